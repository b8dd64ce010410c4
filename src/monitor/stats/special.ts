/**
 * Special functions the tests need: log-gamma, the regularized incomplete gamma function and the
 * chi-square survival function. Double precision, relative error around 1e-14 in the ranges
 * the monitor uses (checked against scipy in stats.test.ts).
 */

// Lanczos approximation, g = 7, n = 9 (Godfrey's coefficients).
const LANCZOS_G = 7
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
]
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI)

/** log Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Infinity : NaN
  if (x < 0.5) {
    // Reflection keeps the approximation in its accurate range.
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  }
  const z = x - 1
  let a = LANCZOS[0] as number
  const t = z + LANCZOS_G + 0.5
  for (let i = 1; i < LANCZOS.length; i++) a += (LANCZOS[i] as number) / (z + i)
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

const EPS = 1e-16
const TINY = 1e-300
const MAX_ITER = 100_000

/** Regularized lower incomplete gamma P(a, x) by its series (converges fast for x < a + 1). */
function gammaSeries(a: number, x: number): number {
  let ap = a
  let term = 1 / a
  let sum = term
  for (let i = 0; i < MAX_ITER; i++) {
    ap += 1
    term *= x / ap
    sum += term
    if (Math.abs(term) < Math.abs(sum) * EPS) break
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a))
}

/** Regularized upper incomplete gamma Q(a, x) by its continued fraction (modified Lentz), for x ≥ a + 1. */
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a
  let c = 1 / TINY
  let d = 1 / b
  let h = d
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < TINY) d = TINY
    c = b + an / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < EPS) break
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h
}

/** Regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), a > 0, x ≥ 0. */
export function gammaQ(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0 || x < 0) return NaN
  if (x === 0) return 1
  if (x === Infinity) return 0
  if (x < a + 1) return 1 - gammaSeries(a, x)
  return gammaContinuedFraction(a, x)
}

/** Regularized lower incomplete gamma function P(a, x) = 1 − Q(a, x), accurate when it is tiny. */
export function gammaP(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0 || x < 0) return NaN
  if (x === 0) return 0
  if (x === Infinity) return 1
  if (x < a + 1) return gammaSeries(a, x)
  return 1 - gammaContinuedFraction(a, x)
}

/** P(X ≥ k) for X ~ Poisson(λ), k ≥ 0. */
export function poissonTail(k: number, lambda: number): number {
  if (k <= 0) return 1
  if (lambda <= 0) return 0
  return gammaP(k, lambda)
}

/** Survival function of the chi-square distribution with `df` degrees of freedom: P(X ≥ x). */
export function chi2Sf(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) return NaN
  if (x <= 0) return 1
  return gammaQ(df / 2, x / 2)
}

/** Round half to even, as numpy's `np.round` does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}
