import { describe, expect, it } from 'vitest'
import { createTextViews } from './text-views.js'
import { createVault } from './vault.js'

describe('createTextViews', () => {
  it('computes each view once, on first use', () => {
    const views = createTextViews('Ｉｇｎｏｒｅ previous')
    expect(views.original).toBe('Ｉｇｎｏｒｅ previous')
    expect(views.normalized).toBe(views.normalized)
    expect(views.normalized.text).toBe('Ignore previous')
    expect(views.folded).toBe(views.folded)
    expect(views.hidden).toBe(views.hidden)
    expect(views.decoded).toBe(views.decoded)
  })

  // An object literal with getters is a dictionary-mode object with accessors of its own in V8;
  // made per scan, those kept each scan's text and views alive through scavenges (text-views.ts).
  it('keeps its accessors on a shared prototype, not on each instance', () => {
    const a = createTextViews('a')
    const b = createTextViews('b')
    for (const key of ['normalized', 'folded', 'hidden', 'decoded']) expect(Object.getOwnPropertyDescriptor(a, key)).toBeUndefined()
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b))
  })
})

describe('createVault', () => {
  it('keeps its size accessor on a shared prototype (one vault per redacted text)', () => {
    const vault = createVault()
    expect(Object.getOwnPropertyDescriptor(vault, 'size')).toBeUndefined()
    expect(vault.size).toBe(0)
    expect(vault.placeholderFor('EMAIL', 'a@x.io')).toBe('[EMAIL_1]')
    expect(vault.size).toBe(1)
  })
})
