import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { scoreSpans, type Span } from '../../../bench/lib/span-score.js'
import { createVault } from '../../core/vault.js'
import { createGuard } from '../../guard.js'
import type { Finding } from '../../core/types.js'
import { cardIssuer, ibanValid, ipv4Valid, luhnValid, ssnValid } from './checks.js'
import { pii } from './index.js'

interface Fixture {
  kind: 'tp' | 'hard_negative' | 'evasion'
  text: string
  expect: [string, string][]
}

const here = fileURLToPath(new URL('.', import.meta.url))
const fixtures: Fixture[] = readFileSync(join(here, 'fixtures.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Fixture)

const guardPromise = createGuard({ only: ['pii'] })

function described(text: string, findings: readonly Finding[]): [string, string][] {
  return findings.map((f) => [f.type, text.slice(f.start ?? 0, f.end ?? 0)] as [string, string])
}

describe('pii fixtures', () => {
  it('has true positives, hard negatives and evasions', () => {
    expect(fixtures.filter((f) => f.kind === 'tp').length).toBeGreaterThanOrEqual(30)
    expect(fixtures.filter((f) => f.kind === 'hard_negative').length).toBeGreaterThanOrEqual(15)
    expect(fixtures.filter((f) => f.kind === 'evasion').length).toBeGreaterThanOrEqual(4)
  })

  for (const fx of fixtures) {
    it(`${fx.kind}: ${JSON.stringify(fx.text.slice(0, 70))}`, async () => {
      const guard = await guardPromise
      const r = await guard.scanInput(fx.text)
      expect(described(fx.text, r.findings)).toEqual(fx.expect)
    })
  }
})

describe('checks', () => {
  it('Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true)
    expect(luhnValid('4111111111111112')).toBe(false)
    expect(luhnValid('79927398713')).toBe(true)
  })
  it('card issuers by IIN range and length', () => {
    expect(cardIssuer('4111111111111111')).toBe('visa')
    expect(cardIssuer('2221000000000009')).toBe('mastercard')
    expect(cardIssuer('2721000000000004')).toBeUndefined()
    expect(cardIssuer('378282246310005')).toBe('amex')
    expect(cardIssuer('37828224631000')).toBeUndefined()
    expect(cardIssuer('9780306406157')).toBeUndefined()
  })
  it('SSN area/group/serial rules', () => {
    expect(ssnValid('536', '22', '1234')).toBe(true)
    expect(ssnValid('000', '22', '1234')).toBe(false)
    expect(ssnValid('666', '22', '1234')).toBe(false)
    expect(ssnValid('900', '22', '1234')).toBe(false)
    expect(ssnValid('536', '00', '1234')).toBe(false)
    expect(ssnValid('536', '22', '0000')).toBe(false)
    expect(ssnValid('078', '05', '1120')).toBe(false)
  })
  it('IBAN mod-97 with the country length', () => {
    expect(ibanValid('DE89370400440532013000')).toBe(true)
    expect(ibanValid('DE89370400440532013001')).toBe(false)
    expect(ibanValid('DE8937040044053201300')).toBe(false)
    expect(ibanValid('XX89370400440532013000')).toBe(false)
  })
  it('IPv4 octets', () => {
    expect(ipv4Valid('255.255.255.255')).toBe(true)
    expect(ipv4Valid('256.1.1.1')).toBe(false)
    expect(ipv4Valid('01.2.3.4')).toBe(false)
  })
})

describe('options', () => {
  it('acts per entity type: URL and LOCATION flag, the rest take the scanner action', async () => {
    const guard = await guardPromise
    const r = await guard.scanInput('Mail ana@example.com from Paris, see https://example.com/a')
    const actions = Object.fromEntries(r.findings.map((f) => [f.type, f.action]))
    expect(actions).toEqual({ EMAIL: 'redact', LOCATION: 'flag', URL: 'flag' })
    expect(r.decision).toBe('redact')
    expect(r.text).toBe('Mail [EMAIL_1] from Paris, see https://example.com/a')
  })

  it('honours per-type actions, enabled entities, minimum scores and the allow-list', async () => {
    const policy = {
      input: {
        pii: {
          options: {
            entities: ['EMAIL', 'CREDIT_CARD', 'PHONE'],
            actions: { CREDIT_CARD: 'block' },
            minScore: { PHONE: 0.9 },
            allow: ['support@example.com'],
          },
        },
      },
    }
    const guard = await createGuard({ policy })
    const text = 'Card 4111 1111 1111 1111, mail support@example.com or bob@example.com, or (415) 555-2671, IP 203.0.113.9'
    const r = await guard.scanInput(text)
    expect(described(text, r.findings)).toEqual([
      ['CREDIT_CARD', '4111 1111 1111 1111'],
      ['EMAIL', 'bob@example.com'],
    ])
    expect(r.decision).toBe('block')
    // Without a phone word the number scores 0.75 (dropped above); "call" in front makes it 0.95.
    const cued = await guard.scanInput('call me on (415) 555-2671')
    expect(described('call me on (415) 555-2671', cued.findings)).toEqual([['PHONE', '(415) 555-2671']])
  })

  it('a flag-only scanner flags every type', async () => {
    const guard = await createGuard({ policy: { input: { pii: { action: 'flag' } } } })
    const r = await guard.scanInput('mail bob@example.com')
    expect(r.findings.map((f) => f.action)).toEqual(['flag'])
    expect(r.text).toBe('mail bob@example.com')
  })

  it('custom entities: required context words, optional context raising the score', async () => {
    const policy = {
      input: {
        pii: {
          options: {
            entities: [],
            custom: [
              { type: 'EMPLOYEE_ID', pattern: 'E-\\d{6}', context: ['employee', 'badge'], contextWindow: 30 },
              { type: 'CASE_REF', pattern: 'CR\\d{4}', context: ['case'], contextWindow: 10, contextRequired: false, score: 0.55, contextScore: 0.9, action: 'flag' },
            ],
          },
        },
      },
    }
    const guard = await createGuard({ policy })
    const text = 'Badge E-123456 opened CR1234; the part E-654321 is unrelated to case CR9999.'
    const r = await guard.scanInput(text)
    expect(r.findings.map((f) => [f.type, text.slice(f.start, f.end), f.score, f.action])).toEqual([
      ['EMPLOYEE_ID', 'E-123456', 0.95, 'redact'],
      ['CASE_REF', 'CR1234', 0.55, 'flag'],
      ['CASE_REF', 'CR9999', 0.9, 'flag'],
    ])
    expect(r.text).toBe('Badge [EMPLOYEE_ID_1] opened CR1234; the part E-654321 is unrelated to case CR9999.')
  })

  it('refuses an invalid custom pattern with the field path', async () => {
    await expect(createGuard({ policy: { input: { pii: { options: { custom: [{ type: 'X_ID', pattern: '(unclosed' }] } } } } })).rejects.toThrow(/input\.pii\.options\.custom\[0\]\.pattern/)
    await expect(createGuard({ policy: { input: { pii: { options: { entities: ['SHOE_SIZE'] } } } } })).rejects.toThrow(/input\.pii\.options\.entities\[0\]/)
    await expect(createGuard({ policy: { input: { pii: { options: { phoneRegions: ['ZZ'] } } } } })).rejects.toThrow(/phoneRegions/)
  })

  it('ner: off finds no names or places; ner: compromise adds compromise\'s people and places', async () => {
    const text = 'yesterday taylor swift sang in Nashville with Jane Doe.'
    const off = await createGuard({ policy: { input: { pii: { options: { ner: 'off' } } } } })
    expect((await off.scanInput(text)).findings).toEqual([])
    const full = await createGuard({ policy: { input: { pii: { options: { ner: 'compromise' } } } } })
    const types = described(text, (await full.scanInput(text)).findings)
    expect(types).toContainEqual(['PERSON', 'Jane Doe'])
    expect(types.some(([t, v]) => t === 'LOCATION' && v === 'Nashville')).toBe(true)
  })
})

describe('reversible redaction through the vault', () => {
  it('redacts with typed placeholders and restores them in the model output', async () => {
    const guard = await createGuard({ only: ['pii'] })
    const vault = createVault()
    const prompt = 'Hi, my name is Laura Bennett. Email laura.bennett@example.org or call +44 20 7946 0958 about card 4111 1111 1111 1111.'
    const r = await guard.scanInput(prompt, { vault })
    expect(r.text).toBe('Hi, my name is [PERSON_1]. Email [EMAIL_1] or call [PHONE_1] about card [CREDIT_CARD_1].')
    // The same values keep their placeholders on the next turn.
    const again = await guard.scanInput('Laura Bennett again: laura.bennett@example.org', { vault })
    expect(again.text).toBe('[PERSON_1] again: [EMAIL_1]')
    const modelReply = 'Thanks [PERSON_1], I wrote to [EMAIL_1] and will call [PHONE_1].'
    expect(vault.deanonymize(modelReply)).toBe('Thanks Laura Bennett, I wrote to laura.bennett@example.org and will call +44 20 7946 0958.')
    // The output direction redacts too (a response that echoes personal data).
    const out = await guard.scanOutput(vault.deanonymize(modelReply), { vault })
    expect(out.text).toBe(modelReply)
  })
})

describe('bad input', () => {
  const scanner = pii.create(pii.options.parse({}), { action: 'redact', threshold: 0.5 })
  const inv = {} as Parameters<typeof scanner.scan>[1]
  const hostile: [string, string][] = [
    ['lone surrogates', '\uD800 call \uDC00 (415) 555-2671 \uD83D'],
    ['control characters', 'a\u0000b\u0007c\u001b[31m bob@example.com \u0085\u2028'],
    ['100k-char token', 'x'.repeat(100_000)],
    ['100k digits', '7'.repeat(100_000)],
    ['digit groups', '1234 '.repeat(20_000)],
    ['at signs', '@'.repeat(50_000) + 'a@b.co' + 'a@'.repeat(20_000)],
    ['colons and hex', 'a:'.repeat(50_000) + '::' + 'ff:'.repeat(20_000)],
    ['dots and digits', '1.'.repeat(50_000)],
    ['capitalized words', 'Ana '.repeat(25_000)],
    ['street-like', '12 Main Street '.repeat(7_000)],
    ['number-word-number', '1 a 2 b '.repeat(12_000)],
    ['urls', 'http://'.repeat(15_000)],
    ['dashes and digits', '1-'.repeat(50_000)],
    ['corner phrases', 'the corner of A and '.repeat(5_000)],
  ]
  for (const [name, text] of hostile) {
    it(`${name}: finishes quickly with in-bounds spans`, () => {
      const t0 = performance.now()
      const findings = scanner.scan(text, inv) as { start?: number; end?: number }[]
      const ms = performance.now() - t0
      expect(ms).toBeLessThan(6_000)
      for (const f of findings) {
        expect(f.start).toBeGreaterThanOrEqual(0)
        expect(f.end).toBeLessThanOrEqual(text.length)
        expect(f.end! > f.start!).toBe(true)
      }
    })
  }

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const findings = scanner.scan(text, inv) as { start?: number; end?: number }[]
        return findings.every((f) => f.start! >= 0 && f.end! <= text.length && f.end! > f.start!)
      }),
      { numRuns: 400 },
    )
  })

  it('finds the structured items when they are glued to hostile text', () => {
    const text = '\u0000'.repeat(10) + ' bob@example.com ' + '\uD800'
    const findings = scanner.scan(text, inv) as { type: string }[]
    expect(findings.map((f) => f.type)).toEqual(['EMAIL'])
  })
})

describe('span scorer', () => {
  const row = (spans: Span[], types = ['PERSON', 'EMAIL']) => ({ spans, annotated_types: types })
  it('counts a TP at half the gold length, of the same type only', () => {
    const s = scoreSpans(
      [row([{ start: 0, end: 10, type: 'PERSON' }]), row([{ start: 0, end: 10, type: 'PERSON' }]), row([{ start: 0, end: 10, type: 'PERSON' }])],
      [[{ start: 5, end: 20, type: 'PERSON' }], [{ start: 6, end: 20, type: 'PERSON' }], [{ start: 0, end: 10, type: 'EMAIL' }]],
    )
    expect(s.perType.PERSON).toMatchObject({ tp: 1, fp: 1, fn: 2 })
    expect(s.perType.EMAIL).toMatchObject({ tp: 0, fp: 1, fn: 0 })
    expect(s.overall).toMatchObject({ tp: 1, fp: 2, fn: 2 })
  })
  it('ignores types a row does not annotate, and measures FPR on gold-negative rows', () => {
    const s = scoreSpans(
      [row([], ['EMAIL']), row([], ['EMAIL']), row([{ start: 0, end: 3, type: 'EMAIL' }], ['EMAIL'])],
      [[{ start: 0, end: 3, type: 'PERSON' }], [{ start: 0, end: 3, type: 'EMAIL' }], []],
    )
    expect(s.overall).toMatchObject({ tp: 0, fp: 1, fn: 1, negativeRows: 2, negativeRowsFlagged: 1, fpr: 0.5 })
    expect(s.perType.PERSON).toBeUndefined()
  })
})

// The labelled PII set is the benchmark's (bench/pii.ts); this guards against regressions only.
const dataDir = process.env.RAMPART_DATA_DIR ?? resolve(here, '../../../../shared/data')
const devFile = join(dataDir, 'pii/dev.jsonl')
describe.skipIf(!existsSync(devFile))('pii/dev.jsonl quality floor', () => {
  it('keeps precision ≥ 0.90 on the types the pii scanner predicts', async () => {
    const guard = await createGuard({ only: ['pii'] })
    const rows = readFileSync(devFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { text: string; spans: Span[]; annotated_types: string[] })
    const predictions: Span[][] = []
    for (const r of rows) predictions.push((await guard.scanInput(r.text)).findings.map((f) => ({ start: f.start ?? 0, end: f.end ?? 0, type: f.type })))
    const s = scoreSpans(rows, predictions, ['EMAIL', 'PHONE', 'CREDIT_CARD', 'US_SSN', 'IBAN', 'IP_ADDRESS', 'URL', 'DATE_OF_BIRTH', 'PERSON', 'LOCATION', 'ADDRESS'])
    expect(s.overall.precision).toBeGreaterThanOrEqual(0.9)
    expect(s.overall.f1).toBeGreaterThanOrEqual(0.6)
  })
})
if (!existsSync(devFile)) console.warn(`pii quality floor skipped: ${devFile} not found (set RAMPART_DATA_DIR)`)

describe('dense input', () => {
  const scanner = pii.create(pii.options.parse({}), { action: 'redact', threshold: 0.5 })
  const inv = {} as Parameters<typeof scanner.scan>[1]
  it('stays linear with thousands of findings in one text', () => {
    const text = 'a@b.co call (415) 555-2671 card 4111 1111 1111 1111. '.repeat(1_800)
    const t0 = performance.now()
    const findings = scanner.scan(text, inv) as { type: string }[]
    expect(performance.now() - t0).toBeLessThan(6_000)
    expect(findings.filter((f) => f.type === 'EMAIL')).toHaveLength(1_800)
    expect(findings.filter((f) => f.type === 'PHONE')).toHaveLength(1_800)
    expect(findings.filter((f) => f.type === 'CREDIT_CARD')).toHaveLength(1_800)
  })
})
