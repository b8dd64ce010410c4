/**
 * SageMaker Model Monitor's distribution distance: the L∞ distance between the baseline's and the
 * current data's distributions — the largest gap between the two CDFs for numbers (the KS
 * statistic), the largest gap between category shares for categories. Its default threshold is 0.1.
 */

export const LINF_DEFAULT_THRESHOLD = 0.1

/** max_i |p_i − q_i| over aligned category counts (normalized here). */
export function linfCategorical(reference: readonly number[], current: readonly number[]): number {
  if (reference.length !== current.length) throw new RangeError('linfCategorical: lengths differ')
  const sr = reference.reduce((s, v) => s + v, 0)
  const sc = current.reduce((s, v) => s + v, 0)
  let d = 0
  for (let i = 0; i < reference.length; i++) d = Math.max(d, Math.abs((reference[i] as number) / sr - (current[i] as number) / sc))
  return d
}

/** sup_x |F_ref(x) − F_cur(x)| from two CDFs given as functions, evaluated at the union of their breakpoints. */
export function linfFromCdfs(points: readonly number[], refCdf: (x: number) => number, curCdf: (x: number) => number): number {
  let d = 0
  for (const x of points) d = Math.max(d, Math.abs(refCdf(x) - curCdf(x)))
  return d
}
