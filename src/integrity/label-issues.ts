/**
 * Confident learning (Northcutt, Jiang & Chuang, JAIR 2021) on out-of-sample probabilities.
 *
 * Each class j gets its own threshold t_j = the mean predicted probability of j over the rows
 * labelled j, so a rare or hard class is judged against its own confidence level instead of being
 * drowned by the common ones. A row labelled i is counted as "confidently j" when p_j ≥ t_j (the
 * largest such j); these counts, calibrated to the class sizes, form the confident joint, whose
 * off-diagonal cells estimate how many rows of class i really belong to j. For every (i, j) that
 * many rows labelled i are flagged, those with the largest margin p_j − p_i ("prune by noise
 * rate"); a row the model still assigns to its given label is never flagged.
 */

export interface LabelIssue {
  /** 0-based data row. */
  row: number
  /** Class index of the given label. */
  given: number
  /** Class index the data points to. */
  suggested: number
  /** 1 − p(given label), out of sample: 0..1. */
  confidence: number
  pGiven: number
  pSuggested: number
}

export interface ConfidentLearningResult {
  /** Sorted by confidence, highest first. */
  issues: LabelIssue[]
  /** Per class: the threshold t_j (0..1). */
  thresholds: number[]
  /** Calibrated confident joint: [given][true] row counts. */
  joint: number[][]
  /** Estimated share of rows whose label is wrong (off-diagonal mass of the joint). */
  noiseRate: number
}

export interface LabelIssueOptions {
  /** Use this confident joint (e.g. from a first pass) for the counts instead of estimating one from `probs`. */
  joint?: number[][]
  /**
   * Correct the confident joint for each threshold's own hit rate, measured on the rows labelled j
   * outside this set (the rows believed clean): r_j = share of them with p_j ≥ t_j. A row of true
   * class j is counted only when it reaches t_j, the *mean* confidence of class j, so about r_j of
   * the rows truly of class j are counted, in whatever class they are labelled. Clean rows of a
   * class pass their (noise-lowered) threshold more often than misfiled rows pass the threshold of
   * their true class, so the plain joint under-counts the misfiled rows; dividing column j by r_j
   * (at least 0.5) restores the proportions before the row calibration.
   */
  correctHitRate?: ReadonlySet<number>
}

export function findLabelIssues(probs: Float64Array, y: Int32Array, classes: number, options: LabelIssueOptions = {}): ConfidentLearningResult {
  const K = classes
  const n = y.length
  const sums = new Float64Array(K)
  const counts = new Float64Array(K)
  for (let i = 0; i < n; i++) {
    const yi = y[i] as number
    if (yi < 0) continue
    counts[yi] = (counts[yi] as number) + 1
    for (let j = 0; j < K; j++) if (j === yi) sums[j] = (sums[j] as number) + (probs[i * K + j] as number)
  }
  const thresholds = Array.from({ length: K }, (_, j) => ((counts[j] as number) > 0 ? (sums[j] as number) / (counts[j] as number) : 1))
  const raw = Array.from({ length: K }, () => new Float64Array(K))
  for (let i = 0; i < n; i++) {
    const yi = y[i] as number
    if (yi < 0) continue
    let best = -1
    let bestP = -1
    for (let j = 0; j < K; j++) {
      const p = probs[i * K + j] as number
      // The threshold test uses a small slack so a class whose rows all sit exactly at t_j still counts.
      if (p >= (thresholds[j] as number) - 1e-12 && p > bestP) {
        best = j
        bestP = p
      }
    }
    if (best >= 0) (raw[yi] as Float64Array)[best] = ((raw[yi] as Float64Array)[best] as number) + 1
  }
  const hitRate = new Float64Array(K).fill(1)
  if (options.correctHitRate !== undefined) {
    const reached = new Float64Array(K)
    const seen = new Float64Array(K)
    for (let i = 0; i < n; i++) {
      const yi = y[i] as number
      if (yi < 0 || options.correctHitRate.has(i)) continue
      seen[yi] = (seen[yi] as number) + 1
      if ((probs[i * K + yi] as number) >= (thresholds[yi] as number) - 1e-12) reached[yi] = (reached[yi] as number) + 1
    }
    for (let j = 0; j < K; j++) if ((seen[j] as number) > 0) hitRate[j] = Math.max(0.5, (reached[j] as number) / (seen[j] as number))
  }
  const joint = options.joint ?? raw.map((row, i) => {
    const corrected = Array.from(row, (v, j) => v / (hitRate[j] as number))
    let total = 0
    for (const v of corrected) total += v
    return corrected.map((v) => (total > 0 ? (v / total) * (counts[i] as number) : 0))
  })
  const flagged = new Map<number, { suggested: number; margin: number }>()
  for (let i = 0; i < K; i++) {
    const rows: number[] = []
    for (let r = 0; r < n; r++) if (y[r] === i) rows.push(r)
    for (let j = 0; j < K; j++) {
      if (j === i) continue
      const take = Math.round((joint[i] as number[])[j] as number)
      if (take <= 0) continue
      const ranked = rows
        .map((r) => ({ r, margin: (probs[r * K + j] as number) - (probs[r * K + i] as number) }))
        .sort((a, b) => b.margin - a.margin)
        .slice(0, take)
      for (const { r, margin } of ranked) {
        const prev = flagged.get(r)
        if (prev === undefined || margin > prev.margin) flagged.set(r, { suggested: j, margin })
      }
    }
  }
  const issues: LabelIssue[] = []
  for (const [row, { suggested }] of flagged) {
    const given = y[row] as number
    let argmax = 0
    for (let j = 1; j < K; j++) if ((probs[row * K + j] as number) > (probs[row * K + argmax] as number)) argmax = j
    if (argmax === given) continue
    const pGiven = probs[row * K + given] as number
    issues.push({ row, given, suggested: argmax === given ? suggested : argmax, confidence: 1 - pGiven, pGiven, pSuggested: probs[row * K + (argmax === given ? suggested : argmax)] as number })
  }
  issues.sort((a, b) => b.confidence - a.confidence || a.row - b.row)
  let off = 0
  let total = 0
  joint.forEach((row, i) =>
    row.forEach((v, j) => {
      total += v
      if (i !== j) off += v
    }),
  )
  return { issues, thresholds, joint, noiseRate: total > 0 ? off / total : 0 }
}
