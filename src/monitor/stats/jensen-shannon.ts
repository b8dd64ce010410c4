/** Jensen–Shannon distance between two discrete distributions, as scipy's `spatial.distance.jensenshannon(p, q)`. */

function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y)
  if (x === 0 && y >= 0) return 0
  return Infinity
}

/**
 * sqrt((KL(p‖m) + KL(q‖m)) / 2) with m = (p + q) / 2, natural log unless `base` is given
 * (base 2 bounds it by 1). Inputs are counts or shares; each is normalized to sum 1.
 */
export function jensenShannon(p: readonly number[], q: readonly number[], base?: number): number {
  if (p.length !== q.length || p.length === 0) throw new RangeError('jensenShannon: p and q must have the same, non-zero length')
  const sp = p.reduce((s, v) => s + v, 0)
  const sq = q.reduce((s, v) => s + v, 0)
  let sum = 0
  for (let i = 0; i < p.length; i++) {
    const a = (p[i] as number) / sp
    const b = (q[i] as number) / sq
    const m = (a + b) / 2
    sum += relEntr(a, m) + relEntr(b, m)
  }
  let js = sum / 2
  if (base !== undefined) js /= Math.log(base)
  return Math.sqrt(Math.max(0, js))
}
