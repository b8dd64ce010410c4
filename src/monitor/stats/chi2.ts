/**
 * Chi-square tests: goodness of fit (scipy `chisquare`) and homogeneity of a contingency
 * table (scipy `chi2_contingency`), each with Cramér's V as its effect size.
 */
import { chi2Sf } from './special.js'

export interface Chi2Result {
  statistic: number
  pValue: number
  dof: number
  /** Cramér's V, 0..1: the effect size that does not grow with the sample. */
  cramersV: number
}

/**
 * Goodness of fit of observed counts to expected counts (same totals), `k − 1 − ddof` degrees of
 * freedom. An expected count of 0 with an observed count above 0 gives an infinite statistic.
 */
export function chiSquare(observed: readonly number[], expected: readonly number[], ddof = 0): Chi2Result {
  if (observed.length !== expected.length || observed.length === 0) throw new RangeError('chiSquare: observed and expected must have the same, non-zero length')
  let stat = 0
  let total = 0
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i] as number
    const e = expected[i] as number
    total += o
    stat += e === 0 ? (o === 0 ? 0 : Infinity) : ((o - e) * (o - e)) / e
  }
  const dof = observed.length - 1 - ddof
  const k = observed.length
  return { statistic: stat, pValue: dof > 0 ? chi2Sf(stat, dof) : NaN, dof, cramersV: total > 0 && k > 1 ? Math.min(1, Math.sqrt(stat / (total * (k - 1)))) : 0 }
}

/**
 * Chi-square test of homogeneity on an r × c table of counts (rows: samples, columns:
 * categories). With `correction` (scipy's default) Yates' continuity correction applies when
 * there is one degree of freedom. Columns whose total is 0 are ignored.
 */
export function chi2Contingency(table: readonly (readonly number[])[], correction = true): Chi2Result {
  const rows = table.length
  const cols = table[0]?.length ?? 0
  const rowSums = table.map((r) => r.reduce((s, v) => s + v, 0))
  const colSums = Array.from({ length: cols }, (_, j) => table.reduce((s, r) => s + (r[j] as number), 0))
  const keep = colSums.map((s, j) => (s > 0 ? j : -1)).filter((j) => j >= 0)
  const total = rowSums.reduce((s, v) => s + v, 0)
  const dof = (rows - 1) * (keep.length - 1)
  if (dof <= 0 || total === 0 || rowSums.some((s) => s === 0)) return { statistic: 0, pValue: 1, dof: Math.max(0, dof), cramersV: 0 }
  let stat = 0
  for (let i = 0; i < rows; i++) {
    for (const j of keep) {
      const e = ((rowSums[i] as number) * (colSums[j] as number)) / total
      let o = table[i]?.[j] as number
      if (correction && dof === 1) {
        const diff = e - o
        o += Math.sign(diff) * Math.min(0.5, Math.abs(diff))
      }
      stat += ((o - e) * (o - e)) / e
    }
  }
  const minDim = Math.min(rows, keep.length)
  return { statistic: stat, pValue: chi2Sf(stat, dof), dof, cramersV: Math.min(1, Math.sqrt(stat / (total * (minDim - 1)))) }
}
