/**
 * The Shapiro–Wilk W test for normality with Royston's approximations (Algorithm AS R94, 1995):
 * the coefficients from Blom scores corrected by Royston's polynomials, W from the ordered
 * sample, and its significance from a normalizing transform of log(1 − W). Valid for 3 ≤ n ≤ 5000.
 * The normal quantile (AS 111) and tail (AS 66) are the ones AS R94 was fitted with, so W and p
 * agree with scipy.stats.shapiro, which runs the same algorithm (vectors/ hold its results).
 */

export interface ShapiroWilkResult {
  /** The W statistic, 0..1: 1 for a perfectly normal-looking sample. */
  w: number
  /** Probability of a W this small under normality. */
  p: number
  n: number
}

const C1 = [0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056]
const C2 = [0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633]
const C3 = [0.544, -0.39978, 0.025054, -0.0006714]
const C4 = [1.3822, -0.77857, 0.062767, -0.0020322]
const C5 = [-1.5861, -0.31082, -0.083751, 0.0038915]
const C6 = [-0.4803, -0.082676, 0.0030302]
const G = [-2.273, 0.459]
const SMALL = 1e-19

function poly(c: readonly number[], x: number): number {
  let r = 0
  for (let i = c.length - 1; i >= 0; i--) r = r * x + (c[i] as number)
  return r
}

/** Normal quantile, AS 111 (Beasley & Springer 1977): about 7 digits, as AS R94 expects. */
export function ppnd(p: number): number {
  const q = p - 0.5
  if (Math.abs(q) <= 0.42) {
    const r = q * q
    return (q * (((-25.44106049637 * r + 41.39119773534) * r - 18.61500062529) * r + 2.50662823884)) / ((((3.13082909833 * r - 21.06224101826) * r + 23.08336743743) * r - 8.4735109309) * r + 1)
  }
  let r = q > 0 ? 1 - p : p
  if (r <= 0) return 0
  r = Math.sqrt(-Math.log(r))
  const v = (((2.32121276858 * r + 4.85014127135) * r - 2.29796479134) * r - 2.78718931138) / ((1.63706781897 * r + 3.54388924762) * r + 1)
  return q < 0 ? -v : v
}

/** Standard normal tail area, AS 66 (Hill 1973): upper tail from z to +∞ when `upper`. */
export function alnorm(z: number, upper: boolean): number {
  let x = z
  let up = upper
  if (!(x > 0)) {
    up = !up
    x = -x
  }
  if (!(x <= 7 || (up && x <= 38))) return up ? 0 : 1
  const y = 0.5 * x * x
  const t =
    x <= 1.28
      ? 0.5 - x * (0.398942280444 - (0.399903438504 * y) / (y + 5.75885480458 - 29.8213557808 / (y + 2.62433121679 + 48.6959930692 / (y + 5.92885724438))))
      : (0.398942280385 * Math.exp(-y)) / (x - 3.8052e-8 + 1.00000615302 / (x + 3.98064794e-4 + 1.98615381364 / (x - 0.151679116635 + 5.29330324926 / (x + 4.8385912808 - 15.1508972451 / (x + 0.742380924027 + 30.789933034 / (x + 3.99019417011))))))
  return up ? t : 1 - t
}

const coefficientCache = new Map<number, Float64Array>()

/** The n/2 coefficients a_i of the ordered sample (antisymmetric: a_{n+1−i} = −a_i). */
export function shapiroCoefficients(n: number): Float64Array {
  const hit = coefficientCache.get(n)
  if (hit !== undefined) return hit
  const half = Math.floor(n / 2)
  const a = new Float64Array(half)
  if (n === 3) {
    a[0] = Math.SQRT1_2
  } else {
    const an25 = n + 0.25
    let summ2 = 0
    for (let i = 0; i < half; i++) {
      const m = ppnd((i + 1 - 0.375) / an25)
      a[i] = m
      summ2 += m * m
    }
    summ2 *= 2
    const ssumm2 = Math.sqrt(summ2)
    const rsn = 1 / Math.sqrt(n)
    const m0 = a[0] as number
    const a1 = poly(C1, rsn) - m0 / ssumm2
    let first: number
    let fac: number
    if (n > 5) {
      const m1 = a[1] as number
      const a2 = -m1 / ssumm2 + poly(C2, rsn)
      fac = Math.sqrt((summ2 - 2 * m0 * m0 - 2 * m1 * m1) / (1 - 2 * a1 * a1 - 2 * a2 * a2))
      a[1] = a2
      first = 2
    } else {
      fac = Math.sqrt((summ2 - 2 * m0 * m0) / (1 - 2 * a1 * a1))
      first = 1
    }
    a[0] = a1
    for (let i = first; i < half; i++) a[i] = -(a[i] as number) / fac
  }
  if (coefficientCache.size > 64) coefficientCache.clear()
  coefficientCache.set(n, a)
  return a
}

/**
 * Shapiro–Wilk test of `values` (any order; not modified). Throws on fewer than 3 values or more
 * than 5000 (Royston's p-value approximation is not fitted beyond); a sample with zero range
 * returns W = 1, p = 1 (scipy's answer, with a warning there).
 */
export function shapiroWilk(values: ArrayLike<number>): ShapiroWilkResult {
  const n = values.length
  if (n < 3) throw new RangeError(`Shapiro–Wilk needs at least 3 values, got ${n}`)
  if (n > 5000) throw new RangeError(`Shapiro–Wilk (Royston) is fitted for n ≤ 5000, got ${n}`)
  // Centre on a middle value first, as scipy does, so large offsets do not cost precision.
  const centre = values[Math.floor(n / 2)] as number
  const x = Float64Array.from(values, (v) => v - centre).sort()
  const range = (x[n - 1] as number) - (x[0] as number)
  if (range < SMALL) return { w: 1, p: 1, n }
  const a = shapiroCoefficients(n)
  const coef = (i: number) => {
    const j = n - 1 - i
    return i === j ? 0 : i < j ? -(a[i] as number) : (a[j] as number)
  }
  let sa = 0
  let sx = 0
  for (let i = 0; i < n; i++) {
    sa += coef(i)
    sx += (x[i] as number) / range
  }
  sa /= n
  sx /= n
  let ssa = 0
  let ssx = 0
  let sax = 0
  for (let i = 0; i < n; i++) {
    const asa = coef(i) - sa
    const xsx = (x[i] as number) / range - sx
    ssa += asa * asa
    ssx += xsx * xsx
    sax += asa * xsx
  }
  const ssassx = Math.sqrt(ssa * ssx)
  const w1 = ((ssassx - sax) * (ssassx + sax)) / (ssa * ssx)
  const w = 1 - w1
  if (n === 3) {
    // Exact for n = 3; W cannot fall below 0.75 except by rounding.
    if (w < 0.75) return { w: 0.75, p: 0, n }
    return { w, p: Math.max(0, 1 - (6 / Math.PI) * Math.acos(Math.sqrt(w))), n }
  }
  let y = Math.log(w1)
  const lnN = Math.log(n)
  let m: number
  let s: number
  if (n <= 11) {
    const gamma = poly(G, n)
    if (y >= gamma) return { w, p: SMALL, n }
    y = -Math.log(gamma - y)
    m = poly(C3, n)
    s = Math.exp(poly(C4, n))
  } else {
    m = poly(C5, lnN)
    s = Math.exp(poly(C6, lnN))
  }
  return { w, p: alnorm((y - m) / s, true), n }
}
