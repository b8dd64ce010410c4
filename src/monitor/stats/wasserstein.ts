/** First Wasserstein (earth mover's) distance between two 1-D samples, as scipy's `wasserstein_distance(u, v)`. */

/** ∫ |F_u − F_v| dx over two samples sorted ascending. */
export function wassersteinSorted(u: Float64Array, v: Float64Array): number {
  const nu = u.length
  const nv = v.length
  if (nu === 0 || nv === 0) throw new RangeError('wasserstein: samples must not be empty')
  let i = 0
  let j = 0
  let prev = Math.min(u[0] as number, v[0] as number)
  let total = 0
  while (i < nu || j < nv) {
    const x = j >= nv || (i < nu && (u[i] as number) <= (v[j] as number)) ? (u[i] as number) : (v[j] as number)
    total += Math.abs(i / nu - j / nv) * (x - prev)
    prev = x
    while (i < nu && (u[i] as number) <= x) i++
    while (j < nv && (v[j] as number) <= x) j++
  }
  return total
}

/** W1 between two samples (need not be sorted). */
export function wasserstein(u: ArrayLike<number>, v: ArrayLike<number>): number {
  return wassersteinSorted(Float64Array.from(u).sort(), Float64Array.from(v).sort())
}

/** Population standard deviation (numpy's default ddof = 0). */
export function populationStd(values: ArrayLike<number>): number {
  const n = values.length
  if (n === 0) return NaN
  let mean = 0
  for (let i = 0; i < n; i++) mean += values[i] as number
  mean /= n
  let ss = 0
  for (let i = 0; i < n; i++) ss += ((values[i] as number) - mean) ** 2
  return Math.sqrt(ss / n)
}

/**
 * W1 divided by the reference's standard deviation (floored at 0.001, as Evidently does), so one
 * threshold (0.1 by default) fits every unit: "the current distribution moved by 0.1 sd".
 */
export function normedWasserstein(reference: Float64Array, current: Float64Array, referenceStd = populationStd(reference)): number {
  return wassersteinSorted(reference, current) / Math.max(referenceStd, 0.001)
}
