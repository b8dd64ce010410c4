import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createTextViews } from '../../core/text-views.js'
import { canonicalWord, foldText } from './fold.js'
import { wordFilter } from './index.js'
import { PROFANITY_EN } from './profanity-en.js'

interface Fixture {
  name: string
  kind: 'positive' | 'negative' | 'evasion'
  text: string
  options?: Record<string, unknown>
  expect: { type: string; value: string }[]
}

const DEFAULT_OPTIONS = { words: ['bad word', 'project falcon', 'zorblax'] }

const fixtures = readFileSync(new URL('./fixtures.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Fixture)

function scan(text: string, options: Record<string, unknown> = DEFAULT_OPTIONS) {
  const scanner = wordFilter.create(wordFilter.options.parse(options), wordFilter.defaults)
  const out = scanner.scan(text, { direction: 'input', context: {}, views: createTextViews(text) })
  if (!Array.isArray(out)) throw new Error('word_filter must scan synchronously')
  return out
    .filter((f) => f.score >= wordFilter.defaults.threshold)
    .map((f) => ({ type: f.type, start: f.start as number, end: f.end as number, action: f.action ?? wordFilter.defaults.action, score: f.score, detail: f.detail }))
}

describe('word_filter fixtures', () => {
  it('has positives, negatives and evasions', () => {
    expect(fixtures.filter((f) => f.kind === 'positive').length).toBeGreaterThanOrEqual(12)
    expect(fixtures.filter((f) => f.kind === 'negative').length).toBeGreaterThanOrEqual(12)
    expect(fixtures.filter((f) => f.kind === 'evasion').length).toBeGreaterThanOrEqual(12)
  })
  for (const f of fixtures) {
    it(`${f.kind}: ${f.name}`, () => {
      let from = 0
      const expected = f.expect.map((e) => {
        const start = f.text.indexOf(e.value, from)
        expect(start, `fixture value not in text: ${e.value}`).toBeGreaterThanOrEqual(0)
        from = start + e.value.length
        return { type: e.type, start, end: start + e.value.length, action: e.type === 'PROFANITY' ? 'flag' : 'block' }
      })
      const got = scan(f.text, f.options ?? DEFAULT_OPTIONS).map(({ type, start, end, action }) => ({ type, start, end, action }))
      expect(got).toEqual(expected)
    })
  }
})

describe('word_filter details', () => {
  it('says which evasion was undone', () => {
    const evasions = (t: string) => scan(t).map((f) => f.detail?.evasion)
    expect(evasions('bad word')).toEqual(['none'])
    expect(evasions('Bad Word')).toEqual(['case'])
    expect(evasions('b.a.d w0rd')).toEqual(['leetspeak+spacing'])
    expect(evasions('bаd word')).toEqual(['unicode'])
    expect(evasions('f*ck')).toEqual(['masked'])
    expect(evasions('zorblaxes')).toEqual(['inflection'])
    expect(scan('a bad word')[0]?.detail?.term).toBe('bad word')
  })

  it('scores profanity by severity and lowers ambiguous words written as names', () => {
    expect(scan('damn')[0]?.score).toBe(0.6)
    expect(scan('fuck')[0]?.score).toBe(0.8)
    expect(scan('wetback')[0]).toMatchObject({ score: 0.95, detail: { severity: 'slur' } })
    const raw = wordFilter.create(wordFilter.options.parse({}), wordFilter.defaults).scan('I read Moby Dick', { direction: 'input', context: {}, views: createTextViews('') })
    expect(raw).toEqual([expect.objectContaining({ type: 'PROFANITY', score: 0.4 })])
  })

  it('applies options: profanity action, added words, no inflections', () => {
    expect(scan('fuck', { profanity: { action: 'block' } })[0]?.action).toBe('block')
    expect(scan('you flibbertigibbet', { profanity: { add: ['flibbertigibbet'] } }).map((f) => f.type)).toEqual(['PROFANITY'])
    expect(scan('zorblaxes', { words: ['zorblax'], inflections: false })).toEqual([])
    expect(scan('zorblaxs', { words: ['zorblax'] }).map((f) => f.type)).toEqual(['CUSTOM_WORD'])
    expect(() => wordFilter.options.parse({ profanity: { bogus: 1 } })).toThrow()
  })

  it('prefers a custom word over profanity on the same span', () => {
    expect(scan('hell', { words: ['hell'] }).map((f) => f.type)).toEqual(['CUSTOM_WORD'])
  })

  it('ships a list whose every entry matches itself', () => {
    const scanner = wordFilter.create(wordFilter.options.parse({}), wordFilter.defaults)
    for (const severity of ['slur', 'strong', 'mild'] as const) {
      for (const word of PROFANITY_EN[severity]) {
        const found = scanner.scan(word, { direction: 'input', context: {}, views: createTextViews(word) }) as { start?: number; end?: number }[]
        expect(found.length, word).toBeGreaterThan(0)
        expect([found[0]?.start, found[0]?.end], word).toEqual([0, word.length])
      }
    }
  })

  it('folds look-alikes, diacritics and case with offsets into the original', () => {
    const folded = foldText('Ｂàd\u200b wоrd')
    expect(folded.text).toBe('bad word')
    expect(folded.toOriginal(4, 8)).toEqual({ start: 5, end: 9 })
    expect(canonicalWord('5h1t')).toBe('shit')
    expect(canonicalWord('l1|!')).toBe('iiii')
  })
})

describe('word_filter adversarial input', () => {
  const cases: [string, string][] = [
    ['100k single token', 'a'.repeat(100_000)],
    ['100k spaced single letters', 'a '.repeat(50_000)],
    ['100k spaced letters that start listed words', 'f u c '.repeat(16_000)],
    ['100k dotted compound', 'ab.'.repeat(33_000)],
    ['100k repeated letters', 'f' + 'u'.repeat(100_000) + 'ck'],
    ['100k masked', '*'.repeat(100_000)],
    ['lone surrogates and controls', '\uD800b\u0000a\uDC00d w\u0007ord '.repeat(6_000)],
    ['100k leet symbols', '@$!|+'.repeat(20_000)],
  ]
  for (const [name, text] of cases) {
    it(`finishes fast on ${name}`, () => {
      const t0 = performance.now()
      const found = scan(text)
      expect(performance.now() - t0).toBeLessThan(5_000)
      for (const f of found) expect(f.end).toBeGreaterThan(f.start)
    })
  }

  it('finds a word hidden in a long run of single letters', () => {
    const text = `${'x '.repeat(5_000)}b a d w o r d`
    expect(scan(text).map((f) => [f.type, text.slice(f.start, f.end)])).toEqual([['CUSTOM_WORD', 'b a d w o r d']])
  })

  it('keeps offsets right after astral characters and lone surrogates', () => {
    const text = '😀\uD800 zorblax'
    expect(scan(text).map((f) => text.slice(f.start, f.end))).toEqual(['zorblax'])
  })
})
