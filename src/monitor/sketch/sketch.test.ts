import { describe, expect, it } from 'vitest'
import { FrequentItems } from './frequent.js'
import { hashNumber, hashString } from './hash.js'
import { HyperLogLog } from './hll.js'
import { KllSketch } from './kll.js'
import { Moments } from './moments.js'
import { createRandom } from './random.js'
import { Reservoir } from './reservoir.js'

/** Largest |estimated rank − true rank| over a grid of values, for a sketch of 0..n-1 shuffled. */
function maxRankError(sketch: KllSketch, n: number): number {
  let worst = 0
  for (let q = 0.01; q < 1; q += 0.01) {
    const x = Math.floor(q * n)
    worst = Math.max(worst, Math.abs(sketch.cdf(x) - (x + 1) / n))
  }
  return worst
}

function permutation(n: number, seed: number): number[] {
  const r = createRandom(seed)
  const a = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(i + 1)
    ;[a[i], a[j]] = [a[j] as number, a[i] as number]
  }
  return a
}

describe('KLL quantile sketch', () => {
  it('keeps ranks within 2 % on a million items with O(k log n) memory', () => {
    const n = 1_000_000
    const s = new KllSketch(200, 7)
    for (const x of permutation(n, 3)) s.update(x)
    expect(s.n).toBe(n)
    expect(maxRankError(s, n)).toBeLessThan(0.02)
    expect(s.retained()).toBeLessThan(1000)
    expect(Math.abs(s.quantile(0.5) - n / 2) / n).toBeLessThan(0.02)
  })
  it('a sketch merged from ten pieces answers like one built at once (within sketch error)', () => {
    const n = 200_000
    const data = permutation(n, 11)
    const whole = new KllSketch(200, 1)
    for (const x of data) whole.update(x)
    const merged = new KllSketch(200, 2)
    for (let p = 0; p < 10; p++) {
      const piece = new KllSketch(200, 100 + p)
      for (let i = p * (n / 10); i < (p + 1) * (n / 10); i++) piece.update(data[i] as number)
      merged.merge(piece)
    }
    expect(merged.n).toBe(n)
    expect(maxRankError(merged, n)).toBeLessThan(0.02)
    for (const q of [0.1, 0.25, 0.5, 0.75, 0.9]) expect(Math.abs(merged.quantile(q) - whole.quantile(q)) / n).toBeLessThan(0.03)
  })
  it('round-trips through JSON', () => {
    const s = new KllSketch(50, 1)
    for (let i = 0; i < 5000; i++) s.update(i)
    const t = KllSketch.fromJSON(JSON.parse(JSON.stringify(s)) as ReturnType<KllSketch['toJSON']>)
    expect(t.quantile(0.3)).toBe(s.quantile(0.3))
    expect(t.n).toBe(5000)
  })
  it('is exact while it holds everything', () => {
    const s = new KllSketch(200, 1)
    for (const x of [5, 1, 3]) s.update(x)
    expect(s.cdf(3)).toBeCloseTo(2 / 3, 12)
    expect(s.quantile(0)).toBe(1)
    expect(s.quantile(1)).toBe(5)
  })
})

describe('HyperLogLog', () => {
  it('estimates distinct counts within 5 % from ten to a million, and merging equals one sketch', () => {
    for (const n of [10, 1000, 100_000, 1_000_000]) {
      const h = new HyperLogLog(12)
      for (let i = 0; i < n; i++) h.add(hashString(`v${i}`))
      expect(Math.abs(h.estimate() - n) / n).toBeLessThan(0.05)
    }
    const a = new HyperLogLog(12)
    const b = new HyperLogLog(12)
    const all = new HyperLogLog(12)
    for (let i = 0; i < 50_000; i++) {
      ;(i % 2 ? a : b).add(hashNumber(i))
      all.add(hashNumber(i))
    }
    a.merge(b)
    expect([...a.registers]).toEqual([...all.registers])
  })
  it('counts a number once whatever its spelling', () => {
    expect(hashNumber(Number('1.0'))).toBe(hashNumber(1))
    expect(hashNumber(-0)).toBe(hashNumber(0))
    expect(hashString('a')).not.toBe(hashString('b'))
  })
})

describe('Moments', () => {
  it('merges pieces to the figures of one pass', () => {
    const data = Array.from({ length: 1001 }, (_, i) => Math.sin(i) * 100 + i / 7)
    const whole = new Moments()
    data.forEach((x) => whole.add(x))
    const a = new Moments()
    const b = new Moments()
    data.forEach((x, i) => (i < 300 ? a : b).add(x))
    a.merge(b)
    expect(a.n).toBe(whole.n)
    expect(a.mean).toBeCloseTo(whole.mean, 10)
    expect(a.stdDev()).toBeCloseTo(whole.stdDev(), 10)
    expect(a.min).toBe(whole.min)
    expect(a.max).toBe(whole.max)
    const mean = data.reduce((s, x) => s + x, 0) / data.length
    expect(whole.variance()).toBeCloseTo(data.reduce((s, x) => s + (x - mean) ** 2, 0) / data.length, 8)
  })
})

describe('FrequentItems', () => {
  it('is exact under capacity; over it, kept counts are lower bounds within the offset', () => {
    const f = new FrequentItems(4)
    for (const k of ['a', 'a', 'b', 'c', 'a']) f.add(k)
    expect(f.exact()).toBe(true)
    expect(f.top(1)).toEqual([['a', 3]])
    const g = new FrequentItems(16)
    const truth = new Map<string, number>()
    const r = createRandom(5)
    for (let i = 0; i < 20_000; i++) {
      // A few heavy hitters over a long tail.
      const k = r.next() < 0.5 ? `h${r.int(5)}` : `t${r.int(5000)}`
      g.add(k)
      truth.set(k, (truth.get(k) ?? 0) + 1)
    }
    expect(g.exact()).toBe(false)
    for (const [k, v] of g.top(5)) {
      expect(k.startsWith('h')).toBe(true)
      expect(v).toBeLessThanOrEqual(truth.get(k) as number)
      expect((truth.get(k) as number) - v).toBeLessThanOrEqual(g.offset)
    }
  })
})

describe('Reservoir', () => {
  it('samples uniformly, and a merge draws from each side in proportion to what it saw', () => {
    const r = new Reservoir<number>(1000, 3)
    for (let i = 0; i < 100_000; i++) r.add(i)
    expect(r.items).toHaveLength(1000)
    const mean = r.items.reduce((s, x) => s + x, 0) / 1000
    expect(Math.abs(mean - 50_000)).toBeLessThan(4000)
    const a = new Reservoir<number>(1000, 1)
    const b = new Reservoir<number>(1000, 2)
    for (let i = 0; i < 30_000; i++) a.add(0)
    for (let i = 0; i < 10_000; i++) b.add(1)
    a.merge(b)
    expect(a.seen).toBe(40_000)
    const ones = a.items.filter((x) => x === 1).length
    expect(Math.abs(ones - 250)).toBeLessThan(60)
  })
  it('keeps everything while under capacity', () => {
    const r = new Reservoir<string>(10)
    ;['x', 'y'].forEach((s) => r.add(s))
    expect(r.items).toEqual(['x', 'y'])
  })
})
