/**
 * The distribution of the one-sample Kolmogorov–Smirnov statistic D_n, used for the asymptotic
 * p-value of the two-sample test (scipy's `kstwo.sf(d, n)`). The algorithm choice follows
 * Simard & L'Ecuyer (2011), "Computing the Two-Sided Kolmogorov–Smirnov Distribution", with the
 * same switch points scipy uses, so p-values agree with scipy to far better than 1e-6:
 * exact formulas at the ends (Ruben–Gambino), the Durbin matrix (Marsaglia–Tsang–Wang 2003)
 * where it is cheap, the Pelz–Good expansion for large n, and twice the one-sided Smirnov
 * tail (Birnbaum–Tingey) in the far tail.
 */
import { logGamma } from './special.js'

const SCALE = 2 ** 128
const INV_SCALE = 2 ** -128

/**
 * Exact one-sided tail P(D⁺_n ≥ d) by the Birnbaum–Tingey sum, term by term in logs so large n
 * neither overflows nor loses the small terms.
 */
export function smirnovSf(n: number, d: number): number {
  if (!(n >= 1) || Number.isNaN(d)) return NaN
  if (d <= 0) return 1
  if (d >= 1) return 0
  const last = Math.floor(n * (1 - d))
  const logNFact = logGamma(n + 1)
  let sum = 0
  for (let v = 0; v <= last; v++) {
    const a = d + v / n
    const b = 1 - a
    if (n - v > 0 && b <= 0) continue
    const logTerm = logNFact - logGamma(v + 1) - logGamma(n - v + 1) + (v - 1) * Math.log(a) + (n - v > 0 ? (n - v) * Math.log(b) : 0)
    sum += Math.exp(logTerm)
  }
  return Math.min(1, Math.max(0, d * sum))
}

function matMul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m)
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k] as number
      if (aik === 0) continue
      const row = k * m
      const o = i * m
      for (let j = 0; j < m; j++) out[o + j] = (out[o + j] as number) + aik * (b[row + j] as number)
    }
  }
  return out
}

/** P(D_n ≤ d) exactly, by the Durbin matrix: k-th diagonal entry of H^n times n!/n^n, with rescaling. */
export function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1
  const nd = n * d
  if (nd <= 0.5) return 0
  const k = Math.ceil(nd)
  const h = k - nd
  const m = 2 * k - 1
  const invFact = new Float64Array(m + 2)
  invFact[0] = 1
  for (let i = 1; i <= m + 1; i++) invFact[i] = (invFact[i - 1] as number) / i
  let H: Float64Array = new Float64Array(m * m)
  for (let i = 0; i < m; i++) for (let j = 0; j <= Math.min(m - 1, i + 1); j++) H[i * m + j] = invFact[i - j + 1] as number
  for (let i = 0; i < m; i++) {
    H[i * m] = (H[i * m] as number) - h ** (i + 1) * (invFact[i + 1] as number)
    H[(m - 1) * m + i] = (H[(m - 1) * m + i] as number) - h ** (m - i) * (invFact[m - i] as number)
  }
  if (2 * h - 1 > 0) H[(m - 1) * m] = (H[(m - 1) * m] as number) + (2 * h - 1) ** m * (invFact[m] as number)

  let P: Float64Array = new Float64Array(m * m)
  for (let i = 0; i < m; i++) P[i * m + i] = 1
  let pExp = 0
  let hExp = 0
  const centre = (k - 1) * m + (k - 1)
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) {
      P = matMul(P, H, m)
      pExp += hExp
    }
    H = matMul(H, H, m)
    hExp *= 2
    if (Math.abs(H[centre] as number) > SCALE) {
      for (let i = 0; i < H.length; i++) H[i] = (H[i] as number) * INV_SCALE
      hExp += 128
    }
  }
  let p = P[centre] as number
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n
    if (Math.abs(p) < INV_SCALE) {
      p *= SCALE
      pExp -= 128
    }
  }
  return Math.min(1, Math.max(0, p * 2 ** pExp))
}

const PI2 = Math.PI ** 2
const PI4 = Math.PI ** 4
const PI6 = Math.PI ** 6
const SQRT_2PI = Math.sqrt(2 * Math.PI)
const SQRT3 = Math.sqrt(3)

/** Pelz–Good (1976) asymptotic expansion of P(D_n ≤ x) to order n^(-3/2). */
export function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const z = Math.sqrt(n) * x
  const z2 = z * z
  const z4 = z2 * z2
  const z6 = z4 * z2
  const qLog = -PI2 / 8 / z2
  if (qLog < -708) return 0
  const q = Math.exp(qLog)
  // Coefficients of the odd-index sums for K1, K2, K3 (as polynomials in m = 2k - 1).
  const k1a = -z2
  const k1b = PI2 / 4
  const k2a = 6 * z6 + 2 * z4
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4
  const k2c = (PI4 * (1 - 2 * z2)) / 16
  const k3d = (PI6 * (5 - 30 * z2)) / 64
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4
  const k3a = -30 * z6 - 90 * z4 * z4
  const K = [0, 0, 0, 0]
  const maxK = Math.ceil((16 * z) / Math.PI)
  // Horner over q^((2k-1)^2) = q * q^(4k(k-1)): step from k to k-1 multiplies by q^(8(k-1)).
  for (let k = maxK; k >= 1; k--) {
    const m = 2 * k - 1
    const m2 = m * m
    const m4 = m2 * m2
    const m6 = m4 * m2
    const qPower = q ** (8 * k)
    K[0] = (K[0] as number) * qPower + 1
    K[1] = (K[1] as number) * qPower + k1a + k1b * m2
    K[2] = (K[2] as number) * qPower + k2a + k2b * m2 + k2c * m4
    K[3] = (K[3] as number) * qPower + k3a + k3b * m2 + k3c * m4 + k3d * m6
  }
  const divisors = [z, 6 * z4, 72 * z6 * z, 6480 * z6 * z4]
  for (let i = 0; i < 4; i++) K[i] = ((K[i] as number) * q * SQRT_2PI) / (divisors[i] as number)
  // The even-index terms of K2 and K3.
  const q2 = Math.exp(-PI2 / 2 / z2)
  let k2extra = 0
  let k3extra = 0
  for (let k = maxK; k >= 1; k--) {
    const kk = k * k
    const qp = q2 ** kk
    k2extra += kk * qp
    k3extra += (SQRT3 * z + Math.PI * k) * (SQRT3 * z - Math.PI * k) * kk * qp
  }
  K[2] = (K[2] as number) + (k2extra * PI2 * SQRT_2PI) / (-36 * z2 * z)
  K[3] = (K[3] as number) + (k3extra * PI2 * SQRT_2PI) / (216 * z6)
  let sum = 0
  for (let i = 0; i < 4; i++) sum += (K[i] as number) / n ** (i / 2)
  return sum
}

const clip = (p: number) => Math.min(1, Math.max(0, p))

/** log(n! / n^n) by Stirling's series, for the Ruben–Gambino end of the range at large n. */
function logFactorialOverPower(n: number): number {
  const r = 1 / n
  const r2 = r * r
  // Bernoulli terms B_2j / (2j (2j-1)) / n^(2j-1), j = 1..8.
  const c = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400]
  let series = 0
  for (let j = c.length - 1; j >= 0; j--) series = series * r2 + (c[j] as number)
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + r * series
}

/** Survival function P(D_n ≥ x) of the two-sided one-sample KS statistic (scipy `kstwo.sf(x, n)`). */
export function kolmogorovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return NaN
  if (x >= 1) return 0
  if (x <= 0) return 1
  const t = n * x
  if (t <= 1) {
    if (t <= 0.5) return 1
    let cdf: number
    if (n <= 140) {
      cdf = 1
      for (let i = 1; i <= n; i++) cdf *= (i / n) * (2 * t - 1)
    } else cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1))
    return clip(1 - cdf)
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n)
  if (x >= 0.5) return clip(2 * smirnovSf(n, x))
  const nxx = t * x
  if (n <= 140) {
    // Durbin's matrix is exact; scipy uses Pomeranz's recursion for 0.754693 < n x² ≤ 4, which computes the same value.
    if (nxx <= 4) return clip(1 - durbinMatrixCdf(n, x))
    return clip(2 * smirnovSf(n, x))
  }
  if (nxx >= 370) return 0
  if (nxx >= 2.2) return clip(2 * smirnovSf(n, x))
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinMatrixCdf(n, x) : pelzGoodCdf(n, x)
  return clip(1 - cdf)
}
