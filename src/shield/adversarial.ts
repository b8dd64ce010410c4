/**
 * Adversarial-input detection, per request, against the model's baseline. Three signals, each
 * turned into a tail probability by the baseline's own rows (so no threshold is guessed):
 *
 * - distance from the training distribution: Mahalanobis (default) or k-th-neighbour distance in
 *   the shield's encoded space;
 * - feature squeezing (Xu, Evans & Qi, NDSS 2018) for tables: each numeric feature is pulled back
 *   to within `clip` conditional standard deviations of what the other features predict for it
 *   (the Gaussian fit's conditional mean), and the model is asked again; the L1 change of its
 *   probabilities is the score. A natural row barely moves; a row whose features were nudged to
 *   cross the decision boundary is pulled back across it;
 * - the model's own uncertainty (top-1 minus top-2 probability): minimal adversarial inputs sit on
 *   the boundary.
 *
 * The p-values are combined with Fisher's method and the combined statistic's threshold is the
 * (1 − fpr) quantile on a second, held-apart part of the baseline: the false-positive rate on
 * natural inputs is the one asked for.
 *
 * A fourth signal needs the client's history (kept by extraction detection): a query-based attack
 * (SimBA, HopSkipJump, any search that only queries the model) reaches its final input through
 * probes a small step away from it, so that input sits far closer to one of the client's own
 * earlier queries than natural inputs sit to each other (the stateful detection of Chen, Carlini &
 * Wagner, 2020). The baseline says how close natural rows come: for reference samples of h rows
 * (h = 8, 16, …), the distribution of a held-apart row's distance to its nearest one. An input t
 * away from the nearest of the client's h earlier queries gets the share of baseline rows at most
 * t from their nearest among h reference rows (the next size up, so never optimistic), and is
 * flagged when that share is at most `history.fpr` — a small budget of its own, taken out of the
 * profile's `fpr`, so both tests together keep the rate asked for.
 */
import type { FeatureEncoder, FeatureInput } from './features.js'
import { mahalanobis, type GaussianFit, type ReferenceIndex } from './reference.js'

export type DistanceMethod = 'mahalanobis' | 'knn'

export interface AdversarialCalibration {
  distance: DistanceMethod
  /** k for the k-th-neighbour distance. */
  k: number
  /** Squeezing pulls each numeric feature to within this many conditional standard deviations. */
  clip: number
  /** False-positive rate on natural inputs the thresholds were set for. */
  fpr: number
  /** Baseline scores, ascending (the reference for each signal's tail probability). */
  scores: { distance: number[]; squeeze: number[]; margin: number[] }
  /** Fisher statistic thresholds, with and without the squeezing signal (it costs a second model call). */
  threshold: { withSqueeze: number; withoutSqueeze: number }
  /** The Fisher statistic on the held-apart rows, ascending (its tail gives each request's p-value). */
  combined: { withSqueeze: number[]; withoutSqueeze: number[] }
  /** The history signal (absent in profiles built before it). */
  history?: HistoryCalibration
}

export interface HistoryCalibration {
  /** Reference sample sizes h, ascending. */
  sizes: number[]
  /** Per size: the smallest nearest-neighbour distances of the baseline rows to h reference rows, ascending (only the low tail is kept). */
  lowest: number[][]
  /** Baseline rows behind each distribution. */
  rows: number
  /** The false-positive budget of the history test. */
  fpr: number
  /** Confidence that the budget holds despite the finite baseline (see `calibratedRank`). */
  confidence: number
  /** An input is flagged when at most this many baseline rows are as close (for histories up to the largest size). */
  flagAtMost: number
}

/** The history signal of one input: its distance to the client's nearest earlier query. */
export interface HistoryVerdict {
  /** Distance to the nearest earlier query of the client that is not an exact repeat. */
  nearest: number
  /** Earlier queries searched (h). */
  among: number
  /** Bound on the chance that natural traffic puts an earlier query this close. */
  p: number
  flagged: boolean
}

export interface AdversarialVerdict {
  flagged: boolean
  /** Fisher statistic −2 Σ ln p over the signals used; larger is stranger. */
  score: number
  threshold: number
  /** Share of natural inputs at least this strange (the combined statistic's tail); flagged when ≤ fpr. */
  pValue: number
  distance: number
  /** L1 change of the probabilities under squeezing (absent when squeezing is off). */
  squeeze?: number
  margin: number
  /** Tail probability of each signal among the baseline's rows. */
  p: { distance: number; squeeze?: number; margin: number }
  /** The client-history signal, when the client's earlier queries were known. */
  history?: HistoryVerdict
}

/** Top-1 minus top-2 probability, 0..1. */
export function marginOf(probs: ArrayLike<number>): number {
  let a = -Infinity
  let b = -Infinity
  for (let i = 0; i < probs.length; i++) {
    const v = probs[i] as number
    if (v > a) {
      b = a
      a = v
    } else if (v > b) b = v
  }
  return probs.length < 2 ? 1 : a - b
}

/** Share of baseline scores ≥ v (upper tail), with the +1 correction so it is never 0. */
export function upperTail(sorted: readonly number[], v: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((sorted[mid] as number) < v) lo = mid + 1
    else hi = mid
  }
  return (sorted.length - lo + 1) / (sorted.length + 1)
}

/** Share of baseline scores ≤ v (lower tail). */
export function lowerTail(sorted: readonly number[], v: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((sorted[mid] as number) <= v) lo = mid + 1
    else hi = mid
  }
  return (lo + 1) / (sorted.length + 1)
}

export class AdversarialDetector {
  readonly #numeric: number[]

  constructor(
    readonly calibration: AdversarialCalibration,
    private readonly encoder: FeatureEncoder,
    private readonly index: ReferenceIndex,
    private readonly gaussian: GaussianFit,
  ) {
    this.#numeric = []
    let at = 0
    encoder.features.forEach((f, i) => {
      if (f.kind === 'numeric') this.#numeric.push(i, at)
      at += f.kind === 'numeric' ? 1 : f.values.length
    })
  }

  /** Distance of an encoded input from the baseline, by the calibrated method. */
  distance(encoded: ArrayLike<number>, skip = -1): number {
    return this.calibration.distance === 'knn' ? this.index.neighbours(encoded, this.calibration.k, skip).kth : mahalanobis(this.gaussian, encoded)
  }

  /**
   * The squeezed input, in the caller's format: each numeric feature whose value is more than
   * `clip` conditional standard deviations from what the other features predict is pulled back
   * to that bound. Categorical features are left as they are.
   */
  squeeze(input: FeatureInput, encoded: ArrayLike<number>): FeatureInput {
    const { mean, precision } = this.gaussian
    const d = mean.length
    const clip = this.calibration.clip
    const changes = new Map<number, number>()
    for (let n = 0; n < this.#numeric.length; n += 2) {
      const feature = this.#numeric[n] as number
      const j = this.#numeric[n + 1] as number
      const pjj = precision[j * d + j] as number
      let s = 0
      for (let k = 0; k < d; k++) if (k !== j) s += (precision[j * d + k] as number) * ((encoded[k] as number) - (mean[k] as number))
      const conditionalMean = (mean[j] as number) - s / pjj
      const sd = 1 / Math.sqrt(pjj)
      const residual = ((encoded[j] as number) - conditionalMean) / sd
      if (Math.abs(residual) > clip) changes.set(feature, this.encoder.decodeNumeric(feature, conditionalMean + Math.sign(residual) * clip * sd))
    }
    if (Array.isArray(input)) return input.map((v, i) => (changes.has(i) ? (changes.get(i) as number) : v))
    const out: Record<string, unknown> = { ...(input as Record<string, unknown>) }
    for (const [i, v] of changes) out[this.encoder.names[i] as string] = v
    return out
  }

  /** Scores one request; `squeezed` is the model's answer on `squeeze(input)`, when squeezing is on. */
  assess(encoded: ArrayLike<number>, probs: ArrayLike<number>, squeezed?: ArrayLike<number>): AdversarialVerdict {
    const c = this.calibration
    const distance = this.distance(encoded)
    const margin = marginOf(probs)
    const p = { distance: upperTail(c.scores.distance, distance), margin: lowerTail(c.scores.margin, margin) } as AdversarialVerdict['p']
    let score = -2 * (Math.log(p.distance) + Math.log(p.margin))
    let squeeze: number | undefined
    if (squeezed !== undefined) {
      squeeze = l1(probs, squeezed)
      p.squeeze = upperTail(c.scores.squeeze, squeeze)
      score += -2 * Math.log(p.squeeze)
    }
    const threshold = squeezed === undefined ? c.threshold.withoutSqueeze : c.threshold.withSqueeze
    const pValue = upperTail(squeezed === undefined ? c.combined.withoutSqueeze : c.combined.withSqueeze, score)
    return { flagged: score > threshold, score, threshold, pValue, distance, ...(squeeze === undefined ? {} : { squeeze }), margin, p }
  }
}

/**
 * The history signal for an input `nearest` away from the closest of `among` earlier queries of
 * the same client: the share of baseline rows (+1 corrected, so never 0) at most that far from
 * their nearest among h reference rows, h the smallest calibrated size ≥ `among`; past the largest
 * size, multiplied by how many such samples the history spans (a union bound).
 */
export function historyVerdict(calibration: HistoryCalibration, nearest: number, among: number): HistoryVerdict {
  const { sizes, lowest, rows, flagAtMost } = calibration
  let s = sizes.findIndex((h) => h >= among)
  const chunks = s === -1 ? Math.ceil(among / (sizes[sizes.length - 1] as number)) : 1
  if (s === -1) s = sizes.length - 1
  const tail = lowest[s] as number[]
  // Rows at most that far; past the stored tail that count is at least tail.length, far above any budget.
  let below = 0
  while (below < tail.length && (tail[below] as number) <= nearest) below++
  const p = Math.min(1, (chunks * (below + 1)) / (rows + 1))
  const limit = chunks === 1 ? flagAtMost : calibratedRank(rows, calibration.fpr / chunks, calibration.confidence)
  return { nearest, among, p, flagged: below <= limit }
}

/**
 * A verdict with the history signal added: flagged by either test; the p-value is the smaller of
 * the two (the share of natural inputs at least this strange by whichever test is more extreme).
 */
export function withHistory(verdict: AdversarialVerdict, history: HistoryVerdict): AdversarialVerdict {
  return { ...verdict, flagged: verdict.flagged || history.flagged, pValue: Math.min(verdict.pValue, history.p), history }
}

export function l1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] as number) - ((b[i] as number) ?? 0))
  return s
}

/**
 * How many of n calibration values may lie beyond a threshold so that, with probability
 * `confidence` over the draw of the calibration sample, the threshold's true exceedance rate is at
 * most `fpr`: the largest k with P(Binomial(n, fpr) ≤ k) ≤ 1 − confidence (−1 when even k = 0 is
 * too many: the sample is too small for the rate). A plain quantile only holds the rate on average
 * over calibration samples; one profile is one sample, and with a thousand rows its 5 % quantile
 * misses by ±0.7 points.
 */
export function calibratedRank(n: number, fpr: number, confidence: number): number {
  if (fpr <= 0) return -1
  if (fpr >= 1) return n
  const delta = 1 - confidence
  const ratio = fpr / (1 - fpr)
  let logP = n * Math.log1p(-fpr) // ln P(X = 0)
  let cdf = 0
  let k = -1
  for (let j = 0; j <= n; j++) {
    cdf += Math.exp(logP)
    if (cdf > delta) break
    k = j
    logP += Math.log((n - j) / (j + 1)) + Math.log(ratio)
  }
  return k
}

/** The threshold that at most `calibratedRank(n, fpr, confidence)` of `values` exceed (Infinity when none may). */
export function calibratedThreshold(values: readonly number[], fpr: number, confidence: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const k = calibratedRank(sorted.length, fpr, confidence)
  return k < 0 || sorted.length === 0 ? Infinity : (sorted[sorted.length - 1 - Math.min(k, sorted.length - 1)] as number)
}

/** The (1 − fpr) quantile of `values` (the threshold a natural input exceeds with probability fpr). */
export function upperQuantile(values: readonly number[], fpr: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Infinity
  return sorted[Math.min(sorted.length - 1, Math.ceil((1 - fpr) * sorted.length) - 1)] as number
}
