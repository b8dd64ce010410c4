/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, with scipy's `ks_2samp(method='auto')`
 * semantics: an exact p-value when both samples have at most 10,000 values, else the
 * asymptotic one from the distribution of D at n = round(n1·n2 / (n1 + n2)).
 */
import { kolmogorovSf } from './kolmogorov.js'
import { roundHalfEven } from './special.js'

export type KsMethod = 'auto' | 'exact' | 'asymp'

export interface KsResult {
  /** sup |F1 − F2|, 0..1 (also the effect size). */
  statistic: number
  pValue: number
  /** The method that produced the p-value. */
  method: 'exact' | 'asymp'
}

/** scipy's MAX_AUTO_N: 'auto' is exact when both samples are at most this large. */
export const KS_MAX_EXACT_N = 10_000

function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort()
}

/** sup_x |F1(x) − F2(x)| of two sorted samples, by one merge pass (ties are stepped together). */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length
  const n2 = b.length
  let i = 0
  let j = 0
  let d = 0
  while (i < n1 && j < n2) {
    const x = Math.min(a[i] as number, b[j] as number)
    while (i < n1 && (a[i] as number) <= x) i++
    while (j < n2 && (b[j] as number) <= x) j++
    const diff = Math.abs(i / n1 - j / n2)
    if (diff > d) d = diff
  }
  return d
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/** P(D_{n,n} ≥ h/n) for equal sample sizes: the reflection-principle series in nested (Horner) form. */
function probOutsideSquare(n: number, h: number): number {
  let p = 0
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let a = 1
    for (let j = 0; j < h; j++) a = ((n - k * h - j) * a) / (n + k * h + j + 1)
    p = a * (1 - p)
  }
  return 2 * p
}

/**
 * P(D_{m,n} ≥ h/lcm) for unequal sizes: the share of monotone lattice paths from (0,0) to (m,n)
 * that touch |x·n/g − y·m/g| ≥ h, computed as a probability at every node so nothing overflows
 * (Hodges' inside method with Viehmann's recursion for 1 − p). Work is m × (band width).
 */
function probOutsideBand(m: number, n: number, g: number, h: number): number {
  if (m < n) [m, n] = [n, m]
  const mg = m / g
  const ng = n / g
  // col[j] = probability that a random path to (i, j) has left the band; outside the band it is 1.
  const col = new Float64Array(n + 1).fill(1)
  const inside = (i: number, j: number) => Math.abs(ng * i - mg * j) < h
  for (let j = 0; j <= n && inside(0, j); j++) col[j] = 0
  let lastMin = 0
  for (let i = 1; i <= m; i++) {
    // The band at column i is the j with |ng·i − mg·j| < h: j in (ng·i − h)/mg … (ng·i + h)/mg.
    const lo = Math.max(0, Math.floor((ng * i - h) / mg) + 1)
    const hi = Math.min(n, Math.ceil((ng * i + h) / mg) - 1)
    for (let j = lastMin; j < Math.min(lo, n + 1); j++) col[j] = 1
    lastMin = lo
    if (hi < lo) return 1
    for (let j = lo; j <= hi; j++) {
      const left = col[j] as number
      const below = j === 0 ? 0 : (col[j - 1] as number)
      col[j] = (i * left + j * below) / (i + j)
    }
  }
  return col[n] as number
}

/** Two-sided two-sample KS test. Samples need not be sorted; NaN values are not allowed. */
export function ks2Samp(sample1: ArrayLike<number>, sample2: ArrayLike<number>, method: KsMethod = 'auto'): KsResult {
  const a = sortedCopy(sample1)
  const b = sortedCopy(sample2)
  return ks2SampSorted(a, b, method)
}

/** As {@link ks2Samp} on samples already sorted ascending. */
export function ks2SampSorted(a: Float64Array, b: Float64Array, method: KsMethod = 'auto'): KsResult {
  const n1 = a.length
  const n2 = b.length
  if (n1 === 0 || n2 === 0) throw new RangeError('ks2Samp: samples must not be empty')
  let d = ksStatisticSorted(a, b)
  const g = gcd(n1, n2)
  let mode: 'exact' | 'asymp' = method === 'auto' ? (Math.max(n1, n2) <= KS_MAX_EXACT_N ? 'exact' : 'asymp') : method
  if (mode === 'exact' && n1 / g >= 2_147_483_647 / (n2 / g)) mode = 'asymp'
  if (mode === 'exact') {
    // D is a multiple of 1/lcm; rounding removes floating-point noise before counting paths.
    const lcm = (n1 / g) * n2
    const h = roundHalfEven(d * lcm)
    d = h / lcm
    if (h === 0) return { statistic: d, pValue: 1, method: 'exact' }
    const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h)
    if (p >= 0 && p <= 1) return { statistic: d, pValue: p, method: 'exact' }
    mode = 'asymp'
  }
  const [big, small] = n1 >= n2 ? [n1, n2] : [n2, n1]
  const en = (big * small) / (big + small)
  const p = kolmogorovSf(roundHalfEven(en), d)
  return { statistic: d, pValue: Math.min(1, Math.max(0, p)), method: 'asymp' }
}
