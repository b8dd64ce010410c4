/** Population stability index and the binning it (and the binned Jensen–Shannon) share. */

/** Shares below this are replaced by it, so an empty bin on one side gives a large but finite PSI. */
export const PSI_EPSILON = 1e-4

/** PSI = Σ (q − p) · ln(q / p) over bins, p = reference shares, q = current shares (counts accepted). */
export function psi(reference: readonly number[], current: readonly number[], epsilon = PSI_EPSILON): number {
  if (reference.length !== current.length || reference.length === 0) throw new RangeError('psi: reference and current must have the same, non-zero length')
  const sr = reference.reduce((s, v) => s + v, 0)
  const sc = current.reduce((s, v) => s + v, 0)
  let total = 0
  for (let i = 0; i < reference.length; i++) {
    const p = Math.max((reference[i] as number) / sr, epsilon)
    const q = Math.max((current[i] as number) / sc, epsilon)
    total += (q - p) * Math.log(q / p)
  }
  return total
}

/**
 * Bin edges at the reference's quantiles (deduplicated, so heavy ties give fewer bins). Values
 * equal to an inner edge fall in the bin above it; the outer bins are open-ended.
 */
export function quantileEdges(sortedReference: Float64Array, bins = 10): number[] {
  const n = sortedReference.length
  const edges: number[] = []
  for (let b = 1; b < bins; b++) {
    const x = sortedReference[Math.min(n - 1, Math.floor((b * n) / bins))] as number
    if (edges.length === 0 || x > (edges[edges.length - 1] as number)) edges.push(x)
  }
  return edges
}

/** Counts per bin of a sorted sample for inner edges e_1 < … < e_k: (−∞, e_1), [e_1, e_2), …, [e_k, ∞). */
export function binCounts(sorted: Float64Array, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0)
  let bin = 0
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i] as number
    while (bin < edges.length && x >= (edges[bin] as number)) bin++
    counts[bin] = (counts[bin] as number) + 1
  }
  return counts
}
