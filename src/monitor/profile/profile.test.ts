import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildBaseline } from '../baseline.js'
import { createRandom } from '../sketch/random.js'
import { inferType } from '../summary.js'
import { ColumnProfiler } from './column.js'
import { DatasetProfiler, flattenRecord } from './dataset.js'
import { DEFAULT_PROFILE_OPTIONS } from './options.js'

const header = ['id', 'amount', 'score', 'color', 'active', 'comment', 'sparse']
const words = 'please summarize the report about refunds and shipping for my account today'.split(' ')

function syntheticRows(n: number, seed: number): string[][] {
  const r = createRandom(seed)
  return Array.from({ length: n }, (_, i) => {
    const text = Array.from({ length: 5 + r.int(8) }, () => words[r.int(words.length)]).join(' ')
    return [String(i), String(r.int(500)), (r.next() * 10 - 3).toFixed(3), ['red', 'green', 'blue'][r.int(3)] as string, r.next() < 0.3 ? 'true' : 'false', text, r.next() < 0.2 ? '' : 'x']
  })
}

function profileOf(rows: string[][]): DatasetProfiler {
  const p = new DatasetProfiler({ sampleSize: 2000 })
  for (const row of rows) p.addCells(header, row)
  return p
}

describe('column profiles', () => {
  it('infer SageMaker types plus boolean and text, and read missing spellings as missing', () => {
    const p = new DatasetProfiler()
    const rows = [
      ['1', '1.5', 'true', 'a', 'NA'],
      ['2', '2', 'FALSE', '3', ''],
      ['-3', '-0.25', 'false', 'b', 'null'],
    ]
    for (const r of rows) p.addCells(['i', 'f', 'b', 's', 'm'], r)
    expect(p.columns.map(inferType)).toEqual(['integral', 'fractional', 'boolean', 'string', 'unknown'])
    expect(p.getColumn('m')?.present).toBe(0)
    expect(p.getColumn('f')?.numbers.sum).toBeCloseTo(3.25, 12)
  })
  it('reads CSV numbers in place exactly as Number() does', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 8 }), (x, digits) => {
        const c = new ColumnProfiler('x', { ...DEFAULT_PROFILE_OPTIONS, sampleSize: 1 }, 0)
        const text = `, ${x.toFixed(digits)},`
        c.addRange(text, 2, text.length - 1)
        expect(c.numbers.min).toBe(Number(x.toFixed(digits)))
        expect(c.types.integral).toBe(digits === 0 ? 1 : 0)
      }),
      { numRuns: 500 },
    )
    const d = new ColumnProfiler('y', DEFAULT_PROFILE_OPTIONS, 0)
    for (const s of ['007', '+5', '-0.5', '.5', '12.', '1e3', '0x10', '-', 'abc', '123456789012345678']) d.addRange(s, 0, s.length)
    expect(d.types).toEqual({ integral: 3, fractional: 5, boolean: 0, string: 2 })
    expect(d.numbers.sum).toBe(7 + 5 - 0.5 + 0.5 + 12 + 1000 + 16 + Number('123456789012345678'))
  })
  it('profiles free text: lengths, scripts, vocabulary', () => {
    const p = new DatasetProfiler()
    for (let i = 0; i < 300; i++) p.addRecord({ prompt: i % 10 === 0 ? 'Привет, как дела у тебя сегодня утром?' : `Please summarize report number ${i} for the team` })
    const c = p.getColumn('prompt') as ColumnProfiler
    expect(inferType(c)).toBe('text')
    expect(c.text?.rows).toBe(300)
    expect(c.text?.scripts.get('cyrillic')).toBe(30)
    expect(c.text?.scripts.get('latin')).toBe(270)
    expect(c.text?.vocabulary.counts.get('summarize')).toBe(270)
  })
  it('flattens nested JSON records into dotted columns', () => {
    expect(flattenRecord({ a: 1, b: { c: 'x', d: { e: null } }, f: [1, 2] })).toEqual({ a: 1, 'b.c': 'x', 'b.d.e': null, f: [1, 2] })
  })
})

describe('mergeable profiles', () => {
  it('a profile built in four pieces equals one built at once (exact counts, sketches within their error)', () => {
    const rows = syntheticRows(20_000, 3)
    const whole = profileOf(rows)
    const merged = new DatasetProfiler({ sampleSize: 2000 })
    for (let k = 0; k < 4; k++) {
      // Each piece goes through JSON, as baselines built on other machines would.
      const piece = DatasetProfiler.fromJSON(JSON.parse(JSON.stringify(profileOf(rows.slice(k * 5000, (k + 1) * 5000)).toJSON())))
      merged.merge(piece)
    }
    expect(merged.rows).toBe(whole.rows)
    for (const name of header) {
      const a = whole.getColumn(name) as ColumnProfiler
      const b = merged.getColumn(name) as ColumnProfiler
      expect(b.present).toBe(a.present)
      expect(b.types).toEqual(a.types)
      expect(inferType(b)).toBe(inferType(a))
      expect(b.numbers.n).toBe(a.numbers.n)
      if (a.numbers.n > 0) {
        expect(b.numbers.mean).toBeCloseTo(a.numbers.mean, 8)
        expect(b.numbers.stdDev()).toBeCloseTo(a.numbers.stdDev(), 8)
        expect(b.numbers.min).toBe(a.numbers.min)
        for (const q of [0.1, 0.5, 0.9]) {
          const spread = a.numbers.max - a.numbers.min
          expect(Math.abs(b.quantiles.quantile(q) - a.quantiles.quantile(q)) / spread).toBeLessThan(0.03)
        }
      }
      expect(Math.abs(b.distinct.estimate() - a.distinct.estimate()) / Math.max(1, a.distinct.estimate())).toBeLessThan(0.03)
      expect(b.numberSample.items.length).toBe(a.numberSample.items.length)
    }
    expect(new Map((merged.getColumn('color') as ColumnProfiler).categories.counts)).toEqual(new Map((whole.getColumn('color') as ColumnProfiler).categories.counts))
    const ta = (whole.getColumn('comment') as ColumnProfiler).text
    const tb = (merged.getColumn('comment') as ColumnProfiler).text
    expect(tb?.rows).toBe(ta?.rows)
    expect(new Map(tb?.vocabulary.counts)).toEqual(new Map(ta?.vocabulary.counts))
    // The statistics a baseline reports agree too.
    const sa = buildBaseline(whole).statistics
    const sb = buildBaseline(merged).statistics
    expect(sb.dataset).toEqual(sa.dataset)
    expect(sb.features.map((f) => f.inferred_type)).toEqual(sa.features.map((f) => f.inferred_type))
    expect(sb.features.find((f) => f.name === 'color')?.string_statistics?.distribution.categorical.buckets).toEqual(sa.features.find((f) => f.name === 'color')?.string_statistics?.distribution.categorical.buckets)
  })
  it('round-trips through JSON without change', () => {
    const p = profileOf(syntheticRows(3000, 9))
    const once = JSON.stringify(p.toJSON())
    expect(JSON.stringify(DatasetProfiler.fromJSON(JSON.parse(once)).toJSON())).toBe(once)
  })
})
