/**
 * Model quality from ground truth and predictions: accuracy, precision, recall, F1 and ROC AUC
 * for classifiers; MAE, RMSE and R² for regression. Counts are exact over all rows (AUC is exact
 * up to the sample size, 50,000 rows, and estimated on a uniform sample beyond). A uniform
 * sample of rows also gives each metric's spread across chunks of the baseline, which sets how
 * far a current value may fall before it is a violation.
 */
import { Moments, type MomentsState } from './sketch/moments.js'
import { createRandom } from './sketch/random.js'
import { Reservoir, type ReservoirState } from './sketch/reservoir.js'

export type ProblemType = 'classification' | 'regression'

export interface QualityColumns {
  groundTruth: string
  prediction: string
  /** Probability of the positive class, for AUC (optional). */
  score?: string
  positiveLabel?: string
  problemType?: ProblemType
}

export interface QualityState {
  columns: QualityColumns
  rows: number
  confusion: [string, string, number][] | null
  /** Rows whose prediction is a probability: per true label, [count below 0.5, count at or above]. */
  thresholded: [string, number, number][]
  numeric: { count: number; absError: number; sqError: number; truth: MomentsState } | null
  truthFractional: boolean
  sample: ReservoirState<[string, string, number | null]>
}

export interface QualityMetrics {
  problem_type: ProblemType
  rows: number
  positive_label?: string
  accuracy?: number
  precision?: number
  recall?: number
  f1?: number
  auc?: number
  mae?: number
  rmse?: number
  r2?: number
}

/** Metrics where a lower value is better. */
export const LOWER_IS_BETTER = new Set(['mae', 'rmse'])
export const METRIC_NAMES = ['accuracy', 'precision', 'recall', 'f1', 'auc', 'mae', 'rmse', 'r2'] as const
export type MetricName = (typeof METRIC_NAMES)[number]

const MAX_LABELS = 200
const SAMPLE_ROWS = 50_000

/** Canonical label text: numbers by value ("1.0" → "1"), booleans lower-case, strings trimmed. */
export function labelOf(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined
  if (typeof v === 'boolean') return String(v)
  const s = String(v).trim()
  if (s === '') return undefined
  const x = Number(s)
  if (Number.isFinite(x) && /^[-+.\d]/.test(s)) return String(x)
  const lower = s.toLowerCase()
  return lower === 'true' || lower === 'false' ? lower : s
}

function numberOf(label: string | undefined): number | undefined {
  if (label === undefined) return undefined
  const x = Number(label)
  return Number.isFinite(x) ? x : undefined
}

export class QualityAccumulator {
  readonly columns: QualityColumns
  rows = 0
  private confusion: Map<string, number> | null = new Map()
  private labels = new Set<string>()
  private thresholded = new Map<string, [number, number]>()
  private numeric: { count: number; absError: number; sqError: number; truth: Moments } | null = { count: 0, absError: 0, sqError: 0, truth: new Moments() }
  private truthFractional = false
  private readonly sample: Reservoir<[string, string, number | null]>
  private readonly seed: number

  constructor(columns: QualityColumns, seed = 1) {
    this.columns = columns
    this.seed = seed
    this.sample = new Reservoir(SAMPLE_ROWS, seed + 77)
  }

  add(truthRaw: unknown, predictionRaw: unknown, scoreRaw: unknown): void {
    const truth = labelOf(truthRaw)
    const prediction = labelOf(predictionRaw)
    if (truth === undefined || prediction === undefined) return
    this.rows++
    const yt = numberOf(truth)
    const yp = numberOf(prediction)
    let score = numberOf(labelOf(scoreRaw))
    if (this.numeric !== null) {
      if (yt === undefined || yp === undefined) this.numeric = null
      else {
        const e = yp - yt
        this.numeric.count++
        this.numeric.absError += Math.abs(e)
        this.numeric.sqError += e * e
        this.numeric.truth.add(yt)
        if (!Number.isInteger(yt)) this.truthFractional = true
      }
    }
    if (yp !== undefined && yp >= 0 && yp <= 1 && !Number.isInteger(yp)) {
      const t = this.thresholded.get(truth) ?? [0, 0]
      t[yp >= 0.5 ? 1 : 0]++
      this.thresholded.set(truth, t)
      if (score === undefined) score = yp
    }
    if (this.confusion !== null) {
      this.labels.add(truth)
      this.labels.add(prediction)
      if (this.labels.size > MAX_LABELS) this.confusion = null
      else {
        const key = `${truth}\u0000${prediction}`
        this.confusion.set(key, (this.confusion.get(key) ?? 0) + 1)
      }
    }
    this.sample.add([truth, prediction, score ?? null])
  }

  merge(o: QualityAccumulator): void {
    const s = o.toJSON()
    this.rows += s.rows
    if (this.confusion === null || s.confusion === null) this.confusion = null
    else
      for (const [t, p, n] of s.confusion) {
        this.labels.add(t)
        this.labels.add(p)
        const key = `${t}\u0000${p}`
        this.confusion.set(key, (this.confusion.get(key) ?? 0) + n)
      }
    for (const [t, lo, hi] of s.thresholded) {
      const cur = this.thresholded.get(t) ?? [0, 0]
      this.thresholded.set(t, [cur[0] + lo, cur[1] + hi])
    }
    if (this.numeric === null || s.numeric === null) this.numeric = null
    else {
      this.numeric.count += s.numeric.count
      this.numeric.absError += s.numeric.absError
      this.numeric.sqError += s.numeric.sqError
      this.numeric.truth.merge(s.numeric.truth)
    }
    this.truthFractional ||= s.truthFractional
    this.sample.merge(Reservoir.fromJSON(s.sample))
  }

  toJSON(): QualityState {
    return {
      columns: this.columns,
      rows: this.rows,
      confusion: this.confusion === null ? null : [...this.confusion.entries()].map(([k, n]) => [...(k.split('\u0000') as [string, string]), n]),
      thresholded: [...this.thresholded.entries()].map(([t, [lo, hi]]) => [t, lo, hi]),
      numeric: this.numeric === null ? null : { count: this.numeric.count, absError: this.numeric.absError, sqError: this.numeric.sqError, truth: this.numeric.truth.toJSON() },
      truthFractional: this.truthFractional,
      sample: this.sample.toJSON(),
    }
  }

  static fromJSON(s: QualityState, seed = 1): QualityAccumulator {
    const q = new QualityAccumulator(s.columns, seed)
    q.rows = s.rows
    q.confusion = s.confusion === null ? null : new Map(s.confusion.map(([t, p, n]) => [`${t}\u0000${p}`, n]))
    if (s.confusion) for (const [t, p] of s.confusion) q.labels.add(t).add(p)
    q.thresholded = new Map(s.thresholded.map(([t, lo, hi]) => [t, [lo, hi]]))
    q.numeric = s.numeric === null ? null : { ...s.numeric, truth: Moments.fromJSON(s.numeric.truth) }
    q.truthFractional = s.truthFractional
    q.sample.restore(s.sample)
    return q
  }

  /** Regression when truth and predictions are numbers with fractional or many distinct truths; else classification. */
  problemType(): ProblemType {
    if (this.columns.problemType) return this.columns.problemType
    if (this.numeric === null || this.numeric.count === 0) return 'classification'
    const truths = new Set(this.sample.items.map((r) => r[0]))
    return this.truthFractional || truths.size > 20 ? 'regression' : 'classification'
  }

  /** The positive class: the configured one, else "1"/"true" when present, else the rarer of two true labels. */
  positiveLabel(): string | undefined {
    if (this.columns.positiveLabel !== undefined) return labelOf(this.columns.positiveLabel)
    const counts = new Map<string, number>()
    for (const [t] of this.sample.items) counts.set(t, (counts.get(t) ?? 0) + 1)
    for (const p of ['1', 'true']) if (counts.has(p)) return p
    const labels = [...counts.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
    return labels.length === 2 ? labels[0]?.[0] : undefined
  }

  /** Metrics over every row seen. */
  metrics(): QualityMetrics | undefined {
    if (this.rows === 0) return undefined
    const type = this.problemType()
    if (type === 'regression') {
      if (this.numeric === null || this.numeric.count === 0) return undefined
      const n = this.numeric.count
      const sst = this.numeric.truth.m2
      return { problem_type: type, rows: n, mae: this.numeric.absError / n, rmse: Math.sqrt(this.numeric.sqError / n), r2: sst > 0 ? 1 - this.numeric.sqError / sst : NaN }
    }
    const positive = this.positiveLabel()
    let pairs: [string, string, number][]
    if (this.confusion !== null) pairs = [...this.confusion.entries()].map(([k, n]) => [...(k.split('\u0000') as [string, string]), n])
    else if (this.thresholded.size > 0 && positive !== undefined) {
      const negative = [...this.thresholded.keys()].find((t) => t !== positive) ?? 'negative'
      pairs = [...this.thresholded.entries()].flatMap(([t, [lo, hi]]) => [[t, negative, lo] as [string, string, number], [t, positive, hi] as [string, string, number]])
    } else return undefined
    const scored = this.sample.items.filter((r) => r[2] !== null).map((r) => [r[0], r[2] as number] as [string, number])
    return classificationMetrics(pairs, positive, scored)
  }

  /**
   * Standard deviation of each metric at `chunkRows` rows, from `draws` random subsets of the row
   * sample (corrected for drawing without replacement): the spread to expect from sampling alone.
   */
  spread(draws = 40): { chunkRows: number; sd: Partial<Record<MetricName, number>> } | undefined {
    const all = this.sample.items
    const size = Math.min(2000, Math.floor(all.length / 4))
    if (size < 20) return undefined
    const random = createRandom(this.seed + 5)
    const type = this.problemType()
    const positive = this.positiveLabel()
    const values: Partial<Record<MetricName, number[]>> = {}
    const rows = [...all]
    for (let d = 0; d < draws; d++) {
      // A partial Fisher–Yates shuffle draws `size` rows without replacement.
      for (let i = 0; i < size; i++) {
        const j = i + random.int(rows.length - i)
        const t = rows[i] as [string, string, number | null]
        rows[i] = rows[j] as [string, string, number | null]
        rows[j] = t
      }
      const m = metricsOfRows(rows.slice(0, size), type, positive)
      for (const name of METRIC_NAMES) {
        const v = m[name]
        if (v !== undefined && Number.isFinite(v)) (values[name] ??= []).push(v)
      }
    }
    const finite = 1 - size / all.length
    const sd: Partial<Record<MetricName, number>> = {}
    for (const [name, vs] of Object.entries(values) as [MetricName, number[]][]) {
      if (vs.length < 2) continue
      const mean = vs.reduce((s, v) => s + v, 0) / vs.length
      sd[name] = Math.sqrt(vs.reduce((s, v) => s + (v - mean) ** 2, 0) / (vs.length - 1) / finite)
    }
    return { chunkRows: size, sd }
  }
}

/** Metrics of a list of [truth, prediction, score] rows (chunks of the sample). */
export function metricsOfRows(rows: readonly [string, string, number | null][], type: ProblemType, positive: string | undefined): QualityMetrics {
  if (type === 'regression') {
    const truth = new Moments()
    let abs = 0
    let sq = 0
    for (const [t, p] of rows) {
      const e = Number(p) - Number(t)
      abs += Math.abs(e)
      sq += e * e
      truth.add(Number(t))
    }
    const n = rows.length
    return { problem_type: type, rows: n, mae: abs / n, rmse: Math.sqrt(sq / n), r2: truth.m2 > 0 ? 1 - sq / truth.m2 : NaN }
  }
  const counts = new Map<string, number>()
  const isProbability = rows.length > 0 && rows.every(([, p]) => /^0?\.\d+$|^0$|^1$/.test(p)) && rows.some(([, p]) => p.includes('.'))
  for (const [t, p] of rows) {
    const predicted = isProbability && positive !== undefined ? (Number(p) >= 0.5 ? positive : `not ${positive}`) : p
    const key = `${t}\u0000${predicted}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const pairs = [...counts.entries()].map(([k, n]) => [...(k.split('\u0000') as [string, string]), n] as [string, string, number])
  const scored = rows.filter((r) => r[2] !== null).map((r) => [r[0], r[2] as number] as [string, number])
  return classificationMetrics(pairs, positive, scored)
}

/** Accuracy, and precision/recall/F1 for the positive class (binary) or macro-averaged (multiclass); AUC from scores. */
export function classificationMetrics(pairs: readonly [string, string, number][], positive: string | undefined, scored: readonly [string, number][]): QualityMetrics {
  let n = 0
  let correct = 0
  const labels = new Set<string>()
  for (const [t, p, c] of pairs) {
    n += c
    if (t === p) correct += c
    labels.add(t)
  }
  const out: QualityMetrics = { problem_type: 'classification', rows: n, accuracy: n > 0 ? correct / n : NaN }
  const prf = (label: string) => {
    let tp = 0
    let fp = 0
    let fn = 0
    for (const [t, p, c] of pairs) {
      if (p === label && t === label) tp += c
      else if (p === label) fp += c
      else if (t === label) fn += c
    }
    const precision = tp + fp > 0 ? tp / (tp + fp) : 0
    const recall = tp + fn > 0 ? tp / (tp + fn) : 0
    return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 }
  }
  if (labels.size <= 2 && positive !== undefined) {
    Object.assign(out, prf(positive), { positive_label: positive })
    const auc = rocAuc(scored, positive)
    if (auc !== undefined) out.auc = auc
  } else if (labels.size > 0) {
    const per = [...labels].map(prf)
    out.precision = per.reduce((s, m) => s + m.precision, 0) / per.length
    out.recall = per.reduce((s, m) => s + m.recall, 0) / per.length
    out.f1 = per.reduce((s, m) => s + m.f1, 0) / per.length
  }
  return out
}

/** ROC AUC by the Mann–Whitney statistic (ties count one half); undefined without both classes. */
export function rocAuc(scored: readonly [string, number][], positive: string): number | undefined {
  const sorted = [...scored].sort((a, b) => a[1] - b[1])
  let pos = 0
  let neg = 0
  let rankSum = 0
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j < sorted.length && (sorted[j] as [string, number])[1] === (sorted[i] as [string, number])[1]) j++
    const midRank = (i + 1 + j) / 2
    for (let k = i; k < j; k++) {
      if ((sorted[k] as [string, number])[0] === positive) {
        pos++
        rankSum += midRank
      } else neg++
    }
    i = j
  }
  if (pos === 0 || neg === 0) return undefined
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg)
}
