import { describe, expect, it } from 'vitest'
import { applyRedactions, resolveRedactionSpans, strongestAction } from './spans.js'
import type { Finding } from './types.js'
import { createVault } from './vault.js'

const f = (type: string, start: number, end: number, action: Finding['action'] = 'redact', score = 0.9): Finding => ({ scanner: 't', type, start, end, action, score })

describe('strongestAction', () => {
  it('orders block > redact > flag > allow', () => {
    expect(strongestAction([])).toBe('allow')
    expect(strongestAction([{ action: 'flag' }, { action: 'allow' }])).toBe('flag')
    expect(strongestAction([{ action: 'flag' }, { action: 'block' }, { action: 'redact' }])).toBe('block')
    expect(strongestAction([{ action: 'redact' }, { action: 'flag' }])).toBe('redact')
  })
})

describe('redaction', () => {
  it('replaces spans with numbered placeholders, the same value getting the same one', () => {
    const text = 'mail a@x.io or b@y.io, again a@x.io'
    const out = applyRedactions(text, [f('EMAIL', 5, 11), f('EMAIL', 15, 21), f('EMAIL', 29, 35)])
    expect(out).toBe('mail [EMAIL_1] or [EMAIL_2], again [EMAIL_1]')
  })

  it('keeps the longer of two overlapping spans and ignores flag findings', () => {
    const spans = resolveRedactionSpans([f('PHONE', 4, 10), f('ADDRESS', 0, 20), f('EMAIL', 25, 30, 'flag')], 40)
    expect(spans).toEqual([{ start: 0, end: 20, type: 'ADDRESS' }])
  })

  it('clamps spans to the text and drops empty ones', () => {
    expect(applyRedactions('abc', [f('X', 1, 99), f('Y', 2, 2)])).toBe('a[X_1]')
  })

  it('is reversible through a vault shared across calls', () => {
    const vault = createVault()
    const a = applyRedactions('call 555-0100', [f('PHONE', 5, 13)], vault)
    const b = applyRedactions('555-0100 again', [f('PHONE', 0, 8)], vault)
    expect(a).toBe('call [PHONE_1]')
    expect(b).toBe('[PHONE_1] again')
    expect(vault.deanonymize('I will call [PHONE_1] and [PHONE_9].')).toBe('I will call 555-0100 and [PHONE_9].')
    expect(vault.size).toBe(1)
  })
})
