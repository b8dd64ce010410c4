import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { alnorm, ppnd, shapiroWilk } from './shapiro-wilk.js'

interface Vectors {
  scipy: string
  cases: { name: string; x: number[]; w: number; p: number }[]
}

const load = (file: string) => JSON.parse(readFileSync(new URL(`../vectors/${file}`, import.meta.url), 'utf8')) as Vectors
const doublePrecision = load('shapiro-scipy.json')
const debian = load('shapiro-debian.json')

describe('Shapiro–Wilk (Royston AS R94)', () => {
  it(`agrees with scipy ${doublePrecision.scipy} (double precision) to 1e-10 on every vector`, () => {
    for (const c of doublePrecision.cases) {
      const r = shapiroWilk(c.x)
      expect(Math.abs(r.w - c.w), `${c.name} W`).toBeLessThan(1e-10)
      expect(Math.abs(r.p - c.p), `${c.name} p`).toBeLessThanOrEqual(1e-10 * Math.max(1, c.p))
      expect(Math.abs(r.p - c.p) / Math.max(c.p, 1e-300), `${c.name} p relative`).toBeLessThan(1e-8)
    }
  })

  it(`agrees with Debian's python3-scipy ${debian.scipy} (single-precision Fortran) within its rounding`, () => {
    for (const c of debian.cases) {
      const r = shapiroWilk(c.x)
      expect(Math.abs(r.w - c.w), `${c.name} W`).toBeLessThan(5e-6)
      // float32 arithmetic over 5000 terms moves the p-value's last digits, never its meaning.
      expect(Math.abs(r.p - c.p), `${c.name} p`).toBeLessThan(1e-5 + 0.02 * c.p)
    }
  })

  it('does not depend on order or location, and rejects sizes the approximation does not cover', () => {
    const x = doublePrecision.cases.find((c) => c.name === 'n100-normal')!.x
    const a = shapiroWilk(x)
    const b = shapiroWilk([...x].reverse().map((v) => v + 1e6))
    expect(b.w).toBeCloseTo(a.w, 9)
    expect(() => shapiroWilk([1, 2])).toThrow(RangeError)
    expect(() => shapiroWilk(new Float64Array(5001))).toThrow(RangeError)
    expect(shapiroWilk([2, 2, 2, 2])).toEqual({ w: 1, p: 1, n: 4 })
  })

  it('tells a normal sample from a spiked one (what PRADA relies on)', () => {
    const normal = doublePrecision.cases.find((c) => c.name === 'n500-normal')!
    const spike = doublePrecision.cases.find((c) => c.name === 'n500-spike')!
    expect(shapiroWilk(normal.x).w).toBeGreaterThan(0.99)
    expect(shapiroWilk(spike.x).w).toBeLessThan(0.5)
  })

  it('uses the normal quantile and tail AS R94 was fitted with', () => {
    expect(ppnd(0.975)).toBeCloseTo(1.959964, 6)
    expect(ppnd(0.5)).toBe(0)
    expect(alnorm(1.959964, true)).toBeCloseTo(0.025, 7)
    expect(alnorm(-1, true)).toBeCloseTo(0.8413447, 7)
  })
})
