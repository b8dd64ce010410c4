/**
 * Baselines: a profile of reference data written as SageMaker Model Monitor's two files —
 * statistics.json (what the data looks like) and constraints.json (the checks it suggests).
 * statistics.json ends with `profile`, the mergeable sketches and samples the drift checks
 * compare against; constraints.json also holds what SageMaker's lacks: per-feature drift method
 * and threshold with the reference's own calibration, ranges, and model-quality thresholds.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { RampartError } from '../core/errors.js'
import { calibrateCategorical, calibrateNumeric, calibrateText, DEFAULT_CALIBRATION, type CalibrationOptions } from './drift/calibrate.js'
import { selectDrift } from './drift/select.js'
import { DEFAULT_DRIFT_SETTINGS, type DriftConstraint, type DriftSettings } from './drift/types.js'
import { detectGuardSignals, flagCounts, type GuardSignalColumns } from './guard-signals.js'
import { detectFormat, readTable, type ReadTableOptions } from './io/table.js'
import { profileCsvFile } from './profile/csv-profile.js'
import type { ColumnProfiler } from './profile/column.js'
import { DatasetProfiler, type ProfileState } from './profile/dataset.js'
import type { ProfileOptions } from './profile/options.js'
import { CHAR_CLASSES } from './profile/text.js'
import { LOWER_IS_BETTER, METRIC_NAMES, type MetricName, type ProblemType, type QualityColumns, type QualityMetrics } from './quality.js'
import { categoryCounts, sageMakerType, summarizeColumn, type ColumnSummary } from './summary.js'

export const STATISTICS_FILE = 'statistics.json'
export const CONSTRAINTS_FILE = 'constraints.json'

/** Categorical buckets listed in statistics.json; the rest are pooled in one "(other)" bucket. */
export const TOP_CATEGORIES = 100
/** String features with at most this many values get a `domains` constraint. */
export const DOMAIN_MAX_VALUES = 100

export interface Bucket {
  value: string
  count: number
  other?: true
}

export interface FeatureStatistics {
  name: string
  inferred_type: string
  numerical_statistics?: {
    common: { num_present: number; num_missing: number }
    mean: number
    sum: number
    std_dev: number
    min: number
    max: number
    distinct_count: number
    quantiles: Record<string, number>
    distribution: {
      kll: { buckets: { lower_bound: number; upper_bound: number; count: number }[]; sketch: { parameters: { c: number; k: number }; data: number[][] } }
      categorical?: { buckets: Bucket[] }
    }
  }
  string_statistics?: {
    common: { num_present: number; num_missing: number }
    distinct_count: number
    distribution: { categorical: { buckets: Bucket[]; exact: boolean } }
  }
  text_statistics?: {
    length: { mean: number; std_dev: number; min: number; max: number; quantiles: Record<string, number> }
    tokens_per_row: { mean: number; std_dev: number }
    vocabulary: { distinct_count: number; top: Bucket[] }
    charset: Record<string, number>
    scripts: Record<string, number>
  }
}

export interface Statistics {
  version: 0
  dataset: { item_count: number }
  features: FeatureStatistics[]
  model_quality?: QualityMetrics
  guard_signals?: { flag_rate?: number; score_mean?: number }
  /** The mergeable profile (sketches and samples) behind these figures. */
  profile?: ProfileState
}

export interface FeatureConstraint {
  name: string
  inferred_type: string
  completeness: number
  num_constraints?: { is_non_negative: boolean; min: number; max: number }
  string_constraints?: { domains: string[] }
  drift: DriftConstraint
  /** SageMaker's per-feature overrides; we read `comparison_threshold` and `comparison_method` (a drift method id). */
  monitoringConfigOverrides: Record<string, unknown>
}

export interface MetricConstraint {
  baseline: number
  comparison_operator: 'LessThanThreshold' | 'GreaterThanThreshold'
  /** Smallest change that counts, whatever the sample size. */
  tolerance_floor: number
  /** Standard deviation of the metric on random chunks of `chunk_rows` baseline rows. */
  chunk_sd?: number
  chunk_rows?: number
  /** Baseline rows with ground truth (its own uncertainty enters the threshold). */
  rows?: number
}

export interface ModelQualityConstraints {
  problem_type: ProblemType
  ground_truth_column: string
  prediction_column: string
  score_column?: string
  positive_label?: string
  /** How many chunk sd below (above, for errors) the baseline a metric may go, scaled to the run's rows. */
  z: number
  metrics: Partial<Record<MetricName, MetricConstraint>>
}

export interface MonitoringConfig {
  evaluate_constraints: 'Enabled' | 'Disabled'
  emit_metrics: 'Enabled' | 'Disabled'
  /** Share of present values not of the baseline type above which data_type_check fires. */
  datatype_check_threshold: number
  /** Share of present values outside `domains` above which categorical_values_check fires. */
  domain_content_threshold: number
  distribution_constraints: {
    perform_comparison: 'Enabled' | 'Disabled'
    comparison_threshold: number
    comparison_method: 'Simple' | 'Robust'
    categorical_comparison_threshold: number
    categorical_drift_method: 'LInfinity' | 'ChiSquared'
  }
  drift: DriftSettings
  /** completeness_check fires when completeness falls this many binomial sd below the baseline's. */
  completeness_z: number
  /** range_check fires when values outside the baseline range are this improbable (Poisson tail). */
  range_check_p_value: number
}

export interface Constraints {
  version: 0
  features: FeatureConstraint[]
  monitoring_config: MonitoringConfig
  model_quality_constraints?: ModelQualityConstraints
  guard_signals?: GuardSignalColumns
}

export interface BaselineOptions {
  drift?: Partial<DriftSettings>
  calibration?: Partial<CalibrationOptions>
  guardSignals?: GuardSignalColumns
}

const QUANTILES: [string, number][] = [
  ['p01', 0.01],
  ['p05', 0.05],
  ['p25', 0.25],
  ['p50', 0.5],
  ['p75', 0.75],
  ['p95', 0.95],
  ['p99', 0.99],
]

function buckets(counts: Map<string, number>, top: number): Bucket[] {
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  const out: Bucket[] = sorted.slice(0, top).map(([value, count]) => ({ value, count }))
  const rest = sorted.slice(top).reduce((s, [, n]) => s + n, 0)
  if (rest > 0) out.push({ value: '(other)', count: rest, other: true })
  return out
}

/** Ten equal-width buckets between min and max with counts from the KLL sketch, as SageMaker reports. */
function kllBuckets(c: ColumnProfiler): { lower_bound: number; upper_bound: number; count: number }[] {
  const { min, max, n } = c.numbers
  if (n === 0) return []
  if (min === max) return [{ lower_bound: min, upper_bound: max, count: n }]
  const out = []
  let prev = 0
  for (let i = 1; i <= 10; i++) {
    const lo = min + ((max - min) * (i - 1)) / 10
    const hi = i === 10 ? max : min + ((max - min) * i) / 10
    const cum = i === 10 ? n : Math.round(c.quantiles.cdf(hi) * n)
    out.push({ lower_bound: lo, upper_bound: hi, count: Math.max(0, cum - prev) })
    prev = Math.max(prev, cum)
  }
  return out
}

function featureStatistics(c: ColumnProfiler, s: ColumnSummary): FeatureStatistics {
  const common = { num_present: s.present, num_missing: s.missing }
  const f: FeatureStatistics = { name: s.name, inferred_type: sageMakerType(s.type) }
  if (s.type === 'integral' || s.type === 'fractional') {
    const kll = c.quantiles.toJSON()
    f.numerical_statistics = {
      common,
      mean: c.numbers.mean,
      sum: c.numbers.sum,
      std_dev: c.numbers.stdDev(),
      min: c.numbers.min,
      max: c.numbers.max,
      distinct_count: s.distinct,
      quantiles: Object.fromEntries(QUANTILES.map(([k, q]) => [k, c.quantiles.quantile(q)])),
      distribution: {
        kll: { buckets: kllBuckets(c), sketch: { parameters: { c: kll.c, k: kll.k }, data: kll.levels } },
        ...(c.numericCategories !== null && s.categories ? { categorical: { buckets: buckets(s.categories, TOP_CATEGORIES) } } : {}),
      },
    }
  } else if (s.type !== 'unknown') {
    f.string_statistics = {
      common,
      distinct_count: s.distinct,
      distribution: { categorical: { buckets: s.type === 'text' ? [] : buckets(s.categories ?? new Map(), TOP_CATEGORIES), exact: s.categoriesExact } },
    }
  } else {
    f.string_statistics = { common, distinct_count: 0, distribution: { categorical: { buckets: [], exact: true } } }
  }
  if (c.text !== null) {
    const t = c.text
    const totalChars = t.chars.reduce((a, v) => a + v, 0)
    f.text_statistics = {
      length: {
        mean: t.lengths.mean,
        std_dev: t.lengths.stdDev(),
        min: t.lengths.min,
        max: t.lengths.max,
        quantiles: Object.fromEntries(QUANTILES.map(([k, q]) => [k, t.lengthSketch.quantile(q)])),
      },
      tokens_per_row: { mean: t.tokensPerRow.mean, std_dev: t.tokensPerRow.stdDev() },
      vocabulary: { distinct_count: Math.round(t.vocabularyDistinct.estimate()), top: t.vocabulary.top(50).map(([value, count]) => ({ value, count })) },
      charset: Object.fromEntries(CHAR_CLASSES.map((cls, i) => [cls, totalChars > 0 ? (t.chars[i] as number) / totalChars : 0])),
      scripts: Object.fromEntries(t.scripts),
    }
  }
  return f
}

function overrideOf(o: Record<string, unknown>): Partial<DriftSettings> {
  const out: Partial<DriftSettings> = {}
  if (typeof o.comparison_method === 'string' && o.comparison_method !== 'Simple' && o.comparison_method !== 'Robust') out.method = o.comparison_method as DriftSettings['method']
  if (typeof o.comparison_threshold === 'number') out.threshold = o.comparison_threshold
  return out
}

function featureConstraint(c: ColumnProfiler, s: ColumnSummary, rows: number, settings: DriftSettings, calibration: CalibrationOptions, overrides: Record<string, unknown> = {}): FeatureConstraint {
  const drift = selectDrift(s, c, { ...settings, ...overrideOf(overrides) })
  const cal = { ...calibration, seed: calibration.seed + c.present }
  if (drift.kind === 'numeric') {
    const k = calibrateNumeric(c.numberSample.items, cal)
    if (k) drift.calibration = k
  } else if (drift.kind === 'categorical') {
    const sample = c.types.string + c.types.boolean > 0 ? c.categorySample.items : c.numberSample.items.map(String)
    const k = calibrateCategorical(sample, cal)
    if (k) drift.calibration = k
  } else if (drift.kind === 'text' && c.text) {
    const k = calibrateText(c.text.sample.items, c.text.lengthSample.items, cal)
    if (k) drift.text_calibration = k
  }
  const out: FeatureConstraint = { name: s.name, inferred_type: sageMakerType(s.type), completeness: rows > 0 ? s.present / rows : 0, drift, monitoringConfigOverrides: overrides }
  if ((s.type === 'integral' || s.type === 'fractional') && c.numbers.n > 0) out.num_constraints = { is_non_negative: c.numbers.min >= 0, min: c.numbers.min, max: c.numbers.max }
  if ((s.type === 'string' || s.type === 'boolean') && s.categories && s.categoriesExact && s.categories.size <= DOMAIN_MAX_VALUES) {
    out.string_constraints = { domains: [...s.categories.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([v]) => v) }
  }
  return out
}

export const DEFAULT_MONITORING_CONFIG: Omit<MonitoringConfig, 'drift'> = {
  evaluate_constraints: 'Enabled',
  emit_metrics: 'Enabled',
  datatype_check_threshold: 0.1,
  domain_content_threshold: 0.1,
  distribution_constraints: { perform_comparison: 'Enabled', comparison_threshold: 0.1, comparison_method: 'Robust', categorical_comparison_threshold: 0.1, categorical_drift_method: 'LInfinity' },
  completeness_z: 3,
  range_check_p_value: 0.001,
}

function qualityConstraints(p: DatasetProfiler): { statistics?: QualityMetrics; constraints?: ModelQualityConstraints } {
  const q = p.quality
  const metrics = q?.metrics()
  if (!q || !metrics) return {}
  const spread = q.spread()
  const out: ModelQualityConstraints = {
    problem_type: metrics.problem_type,
    ground_truth_column: q.columns.groundTruth,
    prediction_column: q.columns.prediction,
    ...(q.columns.score ? { score_column: q.columns.score } : {}),
    ...(metrics.positive_label ? { positive_label: metrics.positive_label } : {}),
    z: 3,
    metrics: {},
  }
  for (const name of METRIC_NAMES) {
    const v = metrics[name]
    if (v === undefined || !Number.isFinite(v)) continue
    const lower = LOWER_IS_BETTER.has(name)
    out.metrics[name] = {
      baseline: v,
      comparison_operator: lower ? 'GreaterThanThreshold' : 'LessThanThreshold',
      tolerance_floor: lower ? 0.05 * Math.abs(v) : 0.01,
      ...(spread?.sd[name] === undefined ? {} : { chunk_sd: spread.sd[name], chunk_rows: spread.chunkRows, rows: metrics.rows }),
    }
  }
  return { statistics: metrics, constraints: out }
}

export interface Baseline {
  statistics: Statistics
  constraints: Constraints
  profile: DatasetProfiler
}

/** statistics.json and constraints.json from a finished profile. */
export function buildBaseline(profile: DatasetProfiler, options: BaselineOptions = {}): Baseline {
  const settings: DriftSettings = { ...DEFAULT_DRIFT_SETTINGS, ...options.drift }
  const calibration: CalibrationOptions = { ...DEFAULT_CALIBRATION, seed: profile.options.seed + 7, ...options.calibration }
  const summaries = profile.columns.map((c) => summarizeColumn(c, profile.rows))
  const quality = qualityConstraints(profile)
  const guard = detectGuardSignals(profile.columns, options.guardSignals)
  const statistics: Statistics = {
    version: 0,
    dataset: { item_count: profile.rows },
    features: profile.columns.map((c, i) => featureStatistics(c, summaries[i] as ColumnSummary)),
    ...(quality.statistics ? { model_quality: quality.statistics } : {}),
  }
  if (guard.flag_column || guard.score_column) {
    const flag = guard.flag_column ? profile.getColumn(guard.flag_column) : undefined
    const score = guard.score_column ? profile.getColumn(guard.score_column) : undefined
    const fc = flag ? flagCounts(flag) : undefined
    statistics.guard_signals = { ...(fc && fc.total > 0 ? { flag_rate: fc.flagged / fc.total } : {}), ...(score ? { score_mean: score.numbers.mean } : {}) }
  }
  const constraints: Constraints = {
    version: 0,
    features: profile.columns.map((c, i) => featureConstraint(c, summaries[i] as ColumnSummary, profile.rows, settings, calibration)),
    monitoring_config: { ...DEFAULT_MONITORING_CONFIG, drift: settings },
    ...(quality.constraints ? { model_quality_constraints: quality.constraints } : {}),
    ...(guard.flag_column || guard.score_column ? { guard_signals: guard } : {}),
  }
  return { statistics, constraints, profile }
}

/** Streams a CSV or JSONL file into a profile. */
export async function profileFile(file: string, options: Partial<ProfileOptions> = {}, quality?: QualityColumns, read: ReadTableOptions = {}): Promise<DatasetProfiler> {
  const profile = new DatasetProfiler(options, quality)
  await addFile(profile, file, read)
  return profile
}

/** Streams a CSV or JSONL file into an existing profile (CSV fields go straight to their columns). */
export async function addFile(profile: DatasetProfiler, file: string, read: ReadTableOptions = {}): Promise<void> {
  if ((read.format ?? detectFormat(file)) === 'csv') return profileCsvFile(file, profile, read.onProgress)
  for await (const batch of readTable(file, read)) profile.addBatch(batch)
}

/** Indented JSON with arrays of numbers kept on one line (sketch data stays short to scroll past). */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\s*(-?[\d.eE+-]+(?:,\s*-?[\d.eE+-]+)*)\s*\]/g, (_m, inner: string) => `[${inner.replace(/,\s+/g, ', ')}]`)
}

/** statistics.json text: the figures indented, then the profile on one line. */
export function statisticsJson(baseline: Baseline): string {
  const { profile: _unused, ...figures } = baseline.statistics
  const head = formatJson(figures)
  return `${head.slice(0, head.lastIndexOf('}')).trimEnd()},\n  "profile": ${JSON.stringify(baseline.profile.toJSON())}\n}\n`
}

export function writeBaseline(dir: string, baseline: Baseline): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, STATISTICS_FILE), statisticsJson(baseline))
  writeFileSync(join(dir, CONSTRAINTS_FILE), `${formatJson(baseline.constraints)}\n`)
}

function readJson<T>(file: string): T {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `cannot read ${file}: ${(cause as Error).message}`, { path: file, cause })
  }
  try {
    return JSON.parse(text) as T
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file} is not valid JSON: ${(cause as Error).message}`, { path: file, cause })
  }
}

/** A baseline from its two documents (as read from disk, or stored by a schedule). */
export function parseBaseline(statistics: Statistics, constraints: Constraints, where = 'baseline'): Baseline {
  if (!Array.isArray(constraints?.features) || typeof constraints.monitoring_config !== 'object') {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${where}/${CONSTRAINTS_FILE}: expected "features" and "monitoring_config"`, { path: `${where}/${CONSTRAINTS_FILE}` })
  }
  if (statistics?.profile === undefined) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${where}/${STATISTICS_FILE}: no "profile" (write baselines with rampart monitor baseline)`, { path: `${where}/${STATISTICS_FILE}` })
  }
  return { statistics, constraints, profile: DatasetProfiler.fromJSON(statistics.profile) }
}

/** Reads a baseline directory (statistics.json and constraints.json, the latter possibly edited by hand). */
export function readBaseline(dir: string): Baseline {
  return parseBaseline(readJson<Statistics>(join(dir, STATISTICS_FILE)), readJson<Constraints>(join(dir, CONSTRAINTS_FILE)), dir)
}

/** Category counts of a reference column, exposed for the report. */
export { categoryCounts }
