import { describe, expect, it } from 'vitest'
import { readFixtures, scanWith } from '../testing.js'
import { createTextViews } from '../../core/text-views.js'
import { createGuard } from '../../guard.js'
import { crc32Ascii, hasValidBase62Checksum, isPlaceholder, shannonEntropy } from './checks.js'
import { secrets, SECRET_TYPES } from './index.js'

interface Fixture {
  name: string
  kind: 'positive' | 'negative' | 'evasion'
  text: string
  expect: { type: string; value: string; action?: string }[]
}

const fixtures = readFixtures<Fixture>(new URL('./fixtures.jsonl', import.meta.url))

function scan(text: string, options: Record<string, unknown> = {}) {
  return scanWith(secrets, text, options).map((f) => ({ type: f.type, start: f.start, end: f.end, action: f.action, score: f.score, detail: f.detail }))
}

describe('secrets fixtures', () => {
  it('has positives, negatives and evasions', () => {
    expect(fixtures.filter((f) => f.kind === 'positive').length).toBeGreaterThan(30)
    expect(fixtures.filter((f) => f.kind === 'negative').length).toBeGreaterThan(25)
    expect(fixtures.filter((f) => f.kind === 'evasion').length).toBeGreaterThan(2)
  })

  for (const f of fixtures) {
    it(`${f.kind}: ${f.name}`, () => {
      const expected = f.expect.map((e) => {
        const start = f.text.indexOf(e.value)
        expect(start, `fixture value not in text: ${e.value}`).toBeGreaterThanOrEqual(0)
        return { type: e.type, start, end: start + e.value.length, action: e.action ?? 'block' }
      })
      const got = scan(f.text).map(({ type, start, end, action }) => ({ type, start, end, action }))
      expect(got).toEqual(expected)
    })
  }
})

describe('secrets details', () => {
  it('never puts the secret in the detail', () => {
    for (const f of fixtures) {
      for (const finding of scan(f.text)) {
        const secret = f.text.slice(finding.start, finding.end)
        for (const v of Object.values(finding.detail ?? {})) expect(String(v)).not.toContain(secret)
      }
    }
  })

  it('emits only documented types', () => {
    const types = new Set<string>(SECRET_TYPES)
    for (const f of fixtures) for (const finding of scan(f.text)) expect(types.has(finding.type)).toBe(true)
  })

  it('scores a GitHub token by its checksum', () => {
    const [valid] = scan('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')
    const [invalid] = scan('ghp_hgbceUZn1joc3BH9NUij0NfDFry1vfogpPrK')
    expect(valid?.detail).toMatchObject({ rule: 'github-classic-token', checksum: true })
    expect(valid?.score).toBe(0.99)
    expect(invalid?.detail).toMatchObject({ checksum: false })
    expect(invalid?.score).toBe(0.7)
  })

  it('computes CRC-32 like zlib', () => {
    expect(crc32Ascii('123456789')).toBe(0xcbf43926)
    expect(hasValidBase62Checksum('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', 4)).toBe(true)
  })

  it('keeps context-free high-entropy tokens under the default threshold', () => {
    const raw = secrets.create(secrets.options.parse({}), secrets.defaults).scan('value JgFgZPV42Scbt6RBf6NXk7y6aY0oE2jB', { direction: 'input', context: {}, views: createTextViews('') })
    expect(raw).toEqual([expect.objectContaining({ type: 'HIGH_ENTROPY_TOKEN', score: 0.45 })])
  })

  it('honours disable and allow options', () => {
    const text = 'AWS_ACCESS_KEY_ID=AKIAIHXLS7SE6OZE6HYZ and my password is hunter2'
    expect(scan(text).map((f) => f.type)).toEqual(['AWS_ACCESS_KEY_ID', 'PASSWORD'])
    expect(scan(text, { disable: ['PASSWORD'] }).map((f) => f.type)).toEqual(['AWS_ACCESS_KEY_ID'])
    expect(scan(text, { disable: ['aws-access-key-id'] }).map((f) => f.type)).toEqual(['PASSWORD'])
    expect(scan(text, { allow: ['AKIAIHXLS7SE6OZE6HYZ'] }).map((f) => f.type)).toEqual(['PASSWORD'])
    expect(() => secrets.options.parse({ bogus: true })).toThrow()
  })

  it('recognises placeholders', () => {
    for (const p of ['<your-api-key-here>', '********', 'xxx', '${{ secrets.NPM_TOKEN }}', '${VAR}', 'process.env.X', "os.environ['X']", 'changeme', '', 'YOUR_API_KEY', '%(password)s'])
      expect(isPlaceholder(p), p).toBe(true)
    for (const s of ['hunter2', 'Tr0ub4dor&3', 'AKIAIHXLS7SE6OZE6HYZ']) expect(isPlaceholder(s), s).toBe(false)
  })

  it('measures entropy in bits per character', () => {
    expect(shannonEntropy('aaaa')).toBe(0)
    expect(shannonEntropy('abcd')).toBe(2)
  })
})

describe('secrets through the guard', () => {
  it('redacts the value only, leaving the name and the sentence', async () => {
    const guard = await createGuard({ policy: { version: 1, input: { secrets: { action: 'redact' } } } })
    const r = await guard.scan('input', 'connect with password=Tr0ub4dor&3 and key AKIAIHXLS7SE6OZE6HYZ please')
    expect(r.decision).toBe('redact')
    expect(r.text).toBe('connect with password=[PASSWORD_1] and key [AWS_ACCESS_KEY_ID_1] please')
  })

  it('does not take identifiers for secrets', () => {
    expect(scan('cache_key = user_id2 and token: auth.session3')).toEqual([])
  })
})

describe('secrets adversarial input', () => {
  const cases: [string, string][] = [
    ['100k-char token', 'A1b2C3d4'.repeat(12_500)],
    ['100k of password=', 'password='.repeat(11_112)],
    ['100k of keyword stems', 'pass pw token key secret api '.repeat(3_500)],
    ['100k of BEGIN headers', '-----BEGIN RSA PRIVATE KEY-----\n'.repeat(3_000)],
    ['100k of eyJ', 'eyJ'.repeat(33_334)],
    ['100k of url credentials', 'https://a:b@'.repeat(8_400)],
    ['lone surrogates and controls', '\uD800password=\uDC00hunter2\u0000\u0007 AKIA\uD83D'.repeat(2_000)],
    ['100k of sk-', 'sk-'.repeat(33_334)],
    ['100k of quotes after password', 'password "'.repeat(10_000)],
  ]
  for (const [name, text] of cases) {
    it(`finishes fast on ${name}`, () => {
      const t0 = performance.now()
      scan(text)
      expect(performance.now() - t0).toBeLessThan(5_000)
    })
  }

  it('still finds a secret after lone surrogates', () => {
    const text = '\uD800 password=Qw3rty!9z \uDC00'
    const [f] = scan(text)
    expect(f && text.slice(f.start, f.end)).toBe('Qw3rty!9z')
  })

  it('reports a 100k-char random token once, not per slice', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    let x = 2463534242
    let token = ''
    for (let i = 0; i < 900; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      token += alphabet[(x >>> 0) % alphabet.length]
    }
    const text = `secret key: ${token}`
    const found = scan(text)
    expect(found.map((f) => [f.type, f.start, f.end])).toEqual([['HIGH_ENTROPY_TOKEN', 12, text.length]])
  })
})
