import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { chi2Contingency, chiSquare } from './chi2.js'
import { jensenShannon } from './jensen-shannon.js'
import { kolmogorovSf } from './kolmogorov.js'
import { ks2Samp } from './ks.js'
import { binCounts, psi, quantileEdges } from './psi.js'
import { chi2Sf, logGamma } from './special.js'
import { wasserstein } from './wasserstein.js'

interface Vectors {
  scipy: string
  ks_2samp: { name: string; a: number[]; b: number[]; statistic: number; pvalue: number }[]
  kstwo_sf: { n: number; x: number; sf: number }[]
  chi2_sf: { df: number; x: number; sf: number }[]
  chisquare: { observed: number[]; expected: number[]; statistic: number; pvalue: number }[]
  chi2_contingency: { table: number[][]; correction: boolean; statistic: number; pvalue: number; dof: number }[]
  wasserstein_distance: { a: number[]; b: number[]; distance: number }[]
  jensenshannon: { p: number[]; q: number[]; distance: number; distance_base2: number }[]
  psi: { reference: number[]; current: number[]; psi: number }[]
}

const vectors = JSON.parse(readFileSync(new URL('./vectors/scipy.json', import.meta.url), 'utf8')) as Vectors

/** Agreement to 1e-6: absolute for values of order 1, relative for larger ones and for tiny p-values. */
function agrees(actual: number, expected: number): boolean {
  if (expected === actual) return true
  const diff = Math.abs(actual - expected)
  if (diff <= 1e-6 * Math.max(1, Math.abs(expected))) {
    // Tiny p-values must also agree relatively, down to where doubles stop being meaningful.
    return Math.abs(expected) < 1e-250 || diff <= 1e-6 * Math.abs(expected) || Math.abs(expected) >= 1e-6
  }
  return false
}

function expectAgree(actual: number, expected: number, label: string) {
  if (!agrees(actual, expected)) throw new Error(`${label}: got ${actual}, scipy ${expected} (diff ${Math.abs(actual - expected)})`)
}

describe(`stats agree with scipy ${vectors.scipy} to 1e-6`, () => {
  it('ks_2samp (method auto: exact up to 10,000 values, asymptotic beyond)', () => {
    for (const c of vectors.ks_2samp) {
      const r = ks2Samp(c.a, c.b)
      expectAgree(r.statistic, c.statistic, `${c.name} statistic`)
      expectAgree(r.pValue, c.pvalue, `${c.name} p`)
      expect(r.method).toBe(Math.max(c.a.length, c.b.length) <= 10_000 ? 'exact' : 'asymp')
    }
  })
  it('kstwo.sf over every branch (Ruben–Gambino, Durbin, Pelz–Good, Smirnov tail)', () => {
    for (const c of vectors.kstwo_sf) expectAgree(kolmogorovSf(c.n, c.x), c.sf, `kstwo.sf(${c.x}, ${c.n})`)
    expect(vectors.kstwo_sf.length).toBeGreaterThan(200)
  })
  it('chi2.sf', () => {
    for (const c of vectors.chi2_sf) expectAgree(chi2Sf(c.x, c.df), c.sf, `chi2.sf(${c.x}, ${c.df})`)
  })
  it('chisquare', () => {
    for (const c of vectors.chisquare) {
      const r = chiSquare(c.observed, c.expected)
      expectAgree(r.statistic, c.statistic, 'chisquare statistic')
      expectAgree(r.pValue, c.pvalue, 'chisquare p')
    }
  })
  it('chi2_contingency, with and without Yates', () => {
    for (const c of vectors.chi2_contingency) {
      const r = chi2Contingency(c.table, c.correction)
      expectAgree(r.statistic, c.statistic, 'contingency statistic')
      expectAgree(r.pValue, c.pvalue, 'contingency p')
      expect(r.dof).toBe(c.dof)
    }
  })
  it('wasserstein_distance', () => {
    for (const c of vectors.wasserstein_distance) expectAgree(wasserstein(c.a, c.b), c.distance, `wasserstein ${c.a.length}/${c.b.length}`)
  })
  it('jensenshannon (natural log and base 2)', () => {
    for (const c of vectors.jensenshannon) {
      expectAgree(jensenShannon(c.p, c.q), c.distance, 'js')
      expectAgree(jensenShannon(c.p, c.q, 2), c.distance_base2, 'js base 2')
    }
  })
  it('psi (numpy formula)', () => {
    for (const c of vectors.psi) expectAgree(psi(c.reference, c.current), c.psi, 'psi')
  })
})

describe('stats properties', () => {
  it('logGamma matches factorials', () => {
    expect(logGamma(1)).toBeCloseTo(0, 14)
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 12)
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13)
  })
  it('identical samples: KS D = 0, p = 1; disjoint samples: D = 1 and a tiny p', () => {
    const a = [1, 2, 3, 4, 5]
    expect(ks2Samp(a, a)).toMatchObject({ statistic: 0, pValue: 1 })
    const far = ks2Samp(a, [10, 11, 12, 13, 14, 15])
    expect(far.statistic).toBe(1)
    expect(far.pValue).toBeLessThan(0.01)
  })
  it('quantile bins split the reference evenly and PSI is 0 against itself', () => {
    const ref = Float64Array.from({ length: 1000 }, (_, i) => i).sort()
    const edges = quantileEdges(ref, 10)
    expect(edges).toHaveLength(9)
    const counts = binCounts(ref, edges)
    expect(counts.every((c) => c === 100)).toBe(true)
    expect(psi(counts, counts)).toBe(0)
    const shifted = binCounts(Float64Array.from(ref, (x) => x + 300), edges)
    expect(psi(counts, shifted)).toBeGreaterThan(0.5)
  })
})
