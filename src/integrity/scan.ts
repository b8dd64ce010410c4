/**
 * `scanDataset`: one pass over a labelled dataset that reports label issues, backdoor triggers,
 * outliers, duplicates, class balance, column summaries and (with a previous version) what changed.
 * The report's field names are stable (snake_case, documented in docs/integrity.md).
 */
import { RampartError } from '../core/errors.js'
import { binColumns } from './boosting.js'
import { crossValidatedBoosted, crossValidatedProbabilities, type OutOfSample } from './cross-val.js'
import { findTabularDuplicates, findTextDuplicates, type DuplicateGroup } from './duplicates.js'
import { findLabelIssues } from './label-issues.js'
import { neighbourVotes, tabularNeighbours, textNeighbours } from './neighbours.js'
import { trainSoftmax } from './logistic.js'
import { findOutliers, tabularView, textView } from './outliers.js'
import { readRecords, type CellValue, type DataFormat } from './readers.js'
import type { Csr } from './sparse.js'
import { diffDatasets, summarizeDataset, type DatasetDiff, type DatasetSummary } from './summary.js'
import { encodeTabular, type TabularEncoding } from './tabular-features.js'
import { featureColumns, loadDataset, type Dataset } from './table.js'
import { encodeTexts, type TextEncoding } from './text-features.js'
import { findTabularTriggers, findTextTriggers } from './triggers.js'

export interface ScanOptions {
  /** Column holding the label. */
  label: string
  /** Column holding free text: the scan then models the text alone. */
  text?: string
  format?: DataFormat
  /** Columns left out of every analysis (ids, leaked copies of the label). */
  ignore?: readonly string[]
  /** Cross-validation folds (default 5). */
  folds?: number
  seed?: number
  /** Previous version of the dataset, to report what changed. */
  previous?: string
  /** Above this many classes the label is not treated as a class (default 50). */
  maxClasses?: number
  /** Smallest outlier score reported (default 0.6). */
  outlierThreshold?: number
  /** Jaccard similarity for near-duplicate texts (default 0.8). */
  duplicateThreshold?: number
  /** Smallest trigger score reported (default 0.55). */
  triggerMinScore?: number
  /** L2 penalty as an inverse strength C (sklearn convention; default 1 tabular, 3 text). */
  regularizationC?: number
  onProgress?: (progress: ScanProgress) => void
  /**
   * Receives the out-of-sample class probabilities confident learning ran on (rows × classes,
   * row-major, class order as in the dataset) with the label codes: for benchmarks that ask how well
   * any cut of that ranking could do. Not called when the label is not modelled.
   */
  onLabelProbabilities?: (probs: Float64Array, y: Int32Array, classes: number) => void
}

export interface ScanProgress {
  stage: 'read' | 'encode' | 'model' | 'triggers' | 'outliers' | 'duplicates' | 'previous'
  done: number
  total?: number
  /** Bytes read (stage read). */
  bytes?: number
}

export interface LabelIssueEntry {
  row: number
  given: CellValue
  suggested: CellValue
  /** 1 − out-of-sample probability of the given label, 0..1. */
  confidence: number
  p_given: number
  p_suggested: number
}

export interface TriggerEntry {
  token: string
  label: CellValue
  score: number
  unexplained_share: number
  rows: number[]
  support: number
  label_share: number
  expected_share: number
}

export interface OutlierEntry {
  row: number
  score: number
  columns: string[]
  evidence: { column: string; value: string; z?: number; share?: number }[]
}

export interface DuplicateEntry {
  rows: number[]
  conflicting_labels: boolean
  labels: CellValue[]
  kind: 'exact' | 'near'
  similarity: number
}

export interface ScanReport extends DatasetSummary {
  format: 'rampart-data-scan'
  version: 1
  file: string
  data_format: DataFormat
  label_column: string
  text_column?: string
  generated_at: string
  duration_ms: number
  model?: {
    kind: 'logistic-regression' | 'logistic-regression+boosted-trees'
    features: string
    dims: number
    folds: number
    /** Out-of-sample agreement with the given labels, 0..1. */
    accuracy: number
    regularization_c: number
  }
  label_issues: LabelIssueEntry[]
  label_noise?: { estimated_rate: number; thresholds: { label: CellValue; threshold: number }[]; joint: number[][] }
  triggers: TriggerEntry[]
  outliers: OutlierEntry[]
  duplicates: DuplicateEntry[]
  counts: {
    label_issues: number
    triggers: number
    trigger_rows: number
    outliers: number
    duplicate_groups: number
    duplicate_rows: number
    conflicting_groups: number
    conflicting_rows: number
    /** Rows with a label issue or carrying a reported trigger: every row the scan says may be poisoned. */
    flagged_rows: number
  }
  diff?: DatasetDiff
  notes: string[]
}

const r4 = (v: number) => Number(v.toFixed(4))
/** Groups listed in the report (conflicting ones first); `counts` covers all of them. */
export const MAX_DUPLICATE_GROUPS = 1000

function accuracyOf(oos: OutOfSample, y: Int32Array): number {
  const K = oos.classes
  let right = 0
  let n = 0
  for (let i = 0; i < y.length; i++) {
    if ((y[i] as number) < 0) continue
    let best = 0
    for (let k = 1; k < K; k++) if ((oos.probs[i * K + k] as number) > (oos.probs[i * K + best] as number)) best = k
    if (best === y[i]) right++
    n++
  }
  return n > 0 ? right / n : 0
}

/**
 * The ensemble confident learning runs on: the models' out-of-sample probabilities (two thirds)
 * and the neighbours' vote (one third — with ten neighbours it moves in steps of 0.1, a coarser
 * view than the models').
 */
export function blendNeighbours(model: Float64Array, votes: Float64Array, classes: number): Float64Array {
  if (model.length !== votes.length || model.length % classes !== 0) throw new Error('blendNeighbours: shapes differ')
  return model.map((p, i) => (2 * p + (votes[i] as number)) / 3)
}

/** Rows whose most probable class is not their label. */
export function disagreements(probs: Float64Array, y: Int32Array, classes: number): Set<number> {
  const out = new Set<number>()
  for (let i = 0; i < y.length; i++) {
    const yi = y[i] as number
    if (yi < 0) continue
    let best = 0
    for (let k = 1; k < classes; k++) if ((probs[i * classes + k] as number) > (probs[i * classes + best] as number)) best = k
    if (best !== yi) out.add(i)
  }
  return out
}

/** Above this ratio of second-pass to first-pass flags the target is read as noisy (see scanLoaded). */
const NOISY_TARGET_GROWTH = 1.1

/** Scans a CSV or JSONL file. */
export async function scanDataset(file: string, options: ScanOptions): Promise<ScanReport> {
  const started = performance.now()
  const progress = options.onProgress ?? (() => {})
  const ds = await loadDataset(file, {
    label: options.label,
    text: options.text,
    format: options.format,
    ignore: options.ignore,
    onProgress: (done, bytes) => progress({ stage: 'read', done, bytes }),
  })
  return scanLoaded(ds, options, started)
}

/** Scans a dataset already in memory (the CLI and the bench load once, scan once). */
export async function scanLoaded(ds: Dataset, options: ScanOptions, started = performance.now()): Promise<ScanReport> {
  const progress = options.onProgress ?? (() => {})
  const notes: string[] = []
  const K = ds.classes.length
  const maxClasses = options.maxClasses ?? 50
  const folds = options.folds ?? 5
  const isText = ds.texts !== undefined
  const features = featureColumns(ds)
  const ids = ds.columns.filter((c) => c.kind === 'id').map((c) => c.name)
  if (ids.length > 0 && !isText) notes.push(`left out of the model as id-like (a distinct value in almost every row): ${ids.join(', ')}`)

  progress({ stage: 'encode', done: 0 })
  let textEnc: TextEncoding | undefined
  let tabEnc: TabularEncoding | undefined
  let X: Csr
  if (isText) {
    textEnc = encodeTexts(ds.texts as string[])
    X = textEnc.X
  } else {
    tabEnc = encodeTabular(features, ds.rows)
    X = tabEnc.X
  }

  const report: ScanReport = {
    format: 'rampart-data-scan',
    version: 1,
    file: ds.file,
    data_format: ds.format,
    label_column: ds.label.name,
    ...(ds.textColumn === undefined ? {} : { text_column: ds.textColumn }),
    generated_at: new Date().toISOString(),
    duration_ms: 0,
    ...summarizeDataset(ds),
    label_issues: [],
    triggers: [],
    outliers: [],
    duplicates: [],
    counts: { label_issues: 0, triggers: 0, trigger_rows: 0, outliers: 0, duplicate_groups: 0, duplicate_rows: 0, conflicting_groups: 0, conflicting_rows: 0, flagged_rows: 0 },
    notes,
  }
  const labelled = ds.rows - report.missing_labels
  const minClassRows = Math.min(...report.class_balance.map((c) => c.count))
  const canModel = K >= 2 && K <= maxClasses && labelled >= folds * 2 && X.dims > 0
  if (K < 2) notes.push('the label has fewer than two classes: no label issues or triggers')
  else if (K > maxClasses) notes.push(`the label has ${K} distinct values (more than ${maxClasses}): it looks continuous, so label issues and triggers were skipped; bin it into classes to check it`)
  else if (X.dims === 0) notes.push('no usable feature columns: label issues and triggers were skipped')
  if (canModel && minClassRows < folds) notes.push(`a class has only ${minClassRows} rows, fewer than the ${folds} folds: its label issues are unreliable`)

  if (canModel) {
    const C = options.regularizationC ?? (isText ? 3 : 1)
    const trainRows = Math.max(1, labelled * (1 - 1 / folds))
    // Tables: logistic regression and boosted trees, probabilities averaged (the linear model is
    // calibrated, the trees follow local structure); text: logistic regression on n-grams.
    const binned = isText ? undefined : binColumns(features, ds.rows)
    const steps = binned === undefined ? folds : 2 * folds
    const cv = (exclude: ReadonlySet<number> | undefined, pass: number, warmStart?: OutOfSample): OutOfSample => {
      const at = (done: number) => progress({ stage: 'model', done: done + (pass - 1) * steps, total: 2 * steps })
      // The second pass starts each fold from the first pass's model of the same fold: nothing of
      // the held-out fold leaks in, and it converges in a fraction of the steps.
      const linear = crossValidatedProbabilities(X, ds.y, K, {
        folds,
        seed: options.seed ?? 0,
        l2: 1 / (C * trainRows),
        maxIterations: warmStart ? 40 : 80,
        exclude,
        onFold: at,
        ...(warmStart ? { warmStart: warmStart.models } : {}),
      })
      if (binned === undefined) return linear
      const trees = crossValidatedBoosted(binned, ds.y, K, { folds, seed: options.seed ?? 0, exclude, onFold: (done) => at(folds + done) })
      const probs = linear.probs.map((p, i) => (p + (trees[i] as number)) / 2)
      return { ...linear, probs }
    }
    // The neighbour view: found once, voted again in the second pass without the suspects.
    const neighbours = isText ? textNeighbours(X, { seed: options.seed ?? 0 }) : tabularNeighbours(tabEnc as TabularEncoding, { seed: options.seed ?? 0 })
    const first = cv(undefined, 1)
    const e1 = blendNeighbours(first.probs, neighbourVotes(neighbours, ds.y, K), K)
    // Confident learning with its counts corrected for each threshold's hit rate, measured on the
    // rows the ensemble assigns to their own label (see findLabelIssues).
    const firstIssues = findLabelIssues(e1, ds.y, K, { correctHitRate: disagreements(e1, ds.y, K) })
    // Second pass: the models are fitted again without the flagged rows, so a wrong label no longer
    // pulls the probabilities of its region towards itself, the neighbours vote without them, and
    // every row is scored again (hit rates now measured on the rows kept in).
    const suspects = new Set(firstIssues.issues.map((i) => i.row))
    const oos = cv(suspects, 2, first)
    const e2 = blendNeighbours(oos.probs, neighbourVotes(neighbours, ds.y, K, { exclude: suspects }), K)
    const second = findLabelIssues(e2, ds.y, K, { correctHitRate: suspects })
    // Both passes count the same way, so only the models differ. When the cleaner models flag many
    // more rows than the first pass, they have grown sure of themselves on rows nobody can predict
    // (noisy targets such as income or default), not found more wrong labels: then only rows
    // flagged by both passes are kept.
    const inflated = second.issues.length > NOISY_TARGET_GROWTH * firstIssues.issues.length
    const cl = inflated ? { ...second, issues: second.issues.filter((i) => suspects.has(i.row)) } : second
    options.onLabelProbabilities?.(e2, ds.y, K)
    if (inflated) notes.push(`label issues: the re-fitted model flagged ${second.issues.length} rows against ${firstIssues.issues.length} at first; only the ${cl.issues.length} flagged by both are reported (the target looks noisy)`)
    report.model = {
      kind: isText ? 'logistic-regression' : 'logistic-regression+boosted-trees',
      features: `${isText ? 'hashed word unigrams and bigrams, TF-IDF' : 'standardized numbers with quantile bins, one-hot categories (logistic regression) averaged with gradient-boosted trees on binned columns'}; blended 2:1 with a 10-nearest-neighbour label vote`,
      dims: X.dims,
      folds,
      accuracy: r4(accuracyOf({ ...oos, probs: e2 }, ds.y)),
      regularization_c: C,
    }
    report.label_issues = cl.issues.map((i) => ({
      row: i.row,
      given: ds.classes[i.given] ?? null,
      suggested: ds.classes[i.suggested] ?? null,
      confidence: r4(i.confidence),
      p_given: r4(i.pGiven),
      p_suggested: r4(i.pSuggested),
    }))
    report.label_noise = {
      estimated_rate: r4(cl.noiseRate),
      thresholds: cl.thresholds.map((t, k) => ({ label: ds.classes[k] ?? null, threshold: r4(t) })),
      joint: cl.joint.map((row) => row.map((v) => Math.round(v))),
    }
    progress({ stage: 'triggers', done: 0 })
    const labelledRows: number[] = []
    for (let i = 0; i < ds.rows; i++) if ((ds.y[i] as number) >= 0) labelledRows.push(i)
    const triggerOptions = {
      minScore: options.triggerMinScore,
      // A refit sees at most 20,000 rows (every k-th), which bounds its cost on large files.
      refit: (exclude: ReadonlySet<number>) => {
        const rows = labelledRows.filter((i) => !exclude.has(i))
        const step = Math.max(1, rows.length / 20_000)
        const sample = step === 1 ? rows : Array.from({ length: Math.floor(rows.length / step) }, (_, k) => rows[Math.floor(k * step)] as number)
        return trainSoftmax(X, ds.y, Int32Array.from(sample), K, { l2: 1 / (C * sample.length), maxIterations: 40 })
      },
    }
    const triggers = isText ? findTextTriggers(textEnc as TextEncoding, ds.y, oos, triggerOptions) : findTabularTriggers(tabEnc as TabularEncoding, ds.y, oos, triggerOptions)
    report.triggers = triggers.map((t) => ({
      token: t.token,
      label: ds.classes[t.label] ?? null,
      score: r4(t.score),
      unexplained_share: r4(t.unexplained),
      rows: t.rows,
      support: t.support,
      label_share: r4(t.labelShare),
      expected_share: r4(t.expectedShare),
    }))
  }

  progress({ stage: 'outliers', done: 0 })
  const view = isText ? textView(ds.texts as string[], (textEnc as TextEncoding).tokens, (textEnc as TextEncoding).tokenDf) : tabularView(features, ds.rows)
  report.outliers = findOutliers(view, ds, { threshold: options.outlierThreshold, seed: options.seed ?? 0 })

  progress({ stage: 'duplicates', done: 0 })
  const groups: DuplicateGroup[] = isText
    ? findTextDuplicates((textEnc as TextEncoding).tokens, ds.texts as string[], ds.y, { threshold: options.duplicateThreshold })
    : findTabularDuplicates(features, ds.rows, ds.y)
  report.duplicates = groups.slice(0, MAX_DUPLICATE_GROUPS).map((g) => ({ rows: g.rows, conflicting_labels: g.conflicting_labels, labels: g.labels.map((k) => ds.classes[k] ?? null), kind: g.kind, similarity: g.similarity }))

  if (options.previous !== undefined) {
    progress({ stage: 'previous', done: 0 })
    let previous: Dataset
    try {
      previous = await loadDataset(options.previous, { label: options.label, text: options.text, format: options.format, ignore: options.ignore })
    } catch (cause) {
      if (cause instanceof RampartError) throw new RampartError(cause.code, `--previous: ${cause.message}`, { path: cause.path ?? '--previous', cause })
      throw cause
    }
    report.diff = diffDatasets(previous, ds)
  }

  const triggerRows = new Set(report.triggers.flatMap((t) => t.rows))
  report.counts = {
    label_issues: report.label_issues.length,
    triggers: report.triggers.length,
    trigger_rows: triggerRows.size,
    outliers: report.outliers.length,
    duplicate_groups: groups.length,
    duplicate_rows: groups.reduce((a, g) => a + g.rows.length, 0),
    conflicting_groups: groups.filter((g) => g.conflicting_labels).length,
    conflicting_rows: groups.filter((g) => g.conflicting_labels).reduce((a, g) => a + g.rows.length, 0),
    flagged_rows: new Set([...triggerRows, ...report.label_issues.map((i) => i.row)]).size,
  }
  report.duration_ms = Math.round(performance.now() - started)
  return report
}

/** Short text of the given rows, read again from the file (the scan keeps no raw rows): for the HTML page. */
export async function collectExcerpts(file: string, rows: ReadonlySet<number>, options: Pick<ScanOptions, 'text' | 'format'> & { maxChars?: number } = {}): Promise<Map<number, string>> {
  const out = new Map<number, string>()
  const maxChars = options.maxChars ?? 160
  if (rows.size === 0) return out
  const last = Math.max(...rows)
  for await (const rec of readRecords(file, { format: options.format })) {
    if (rec.row > last) break
    if (!rows.has(rec.row)) continue
    const text =
      options.text !== undefined
        ? String(rec.values[options.text] ?? '')
        : Object.entries(rec.values)
            .map(([k, v]) => `${k}=${v === null ? '' : String(v)}`)
            .join(', ')
    out.set(rec.row, text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text)
  }
  return out
}
