/**
 * Check runs: the current data's profile against a baseline. Data quality (missing and extra
 * columns, types, completeness, ranges, unseen categories), drift per feature and for the whole
 * dataset, text and guard-signal drift, and model quality when ground truth is there. Produces
 * violations in SageMaker's constraint_violations.json shape and metrics for the time series.
 */
import { addFile, readBaseline, type Baseline, type FeatureConstraint, type ModelQualityConstraints } from './baseline.js'
import { numericSample } from './drift/calibrate.js'
import { featureDrift } from './drift/evaluate.js'
import { DEFAULT_DRIFT_SETTINGS, type DriftSettings, type FeatureDriftResult } from './drift/types.js'
import { flagCounts } from './guard-signals.js'
import type { ReadTableOptions } from './io/table.js'
import type { ColumnProfiler } from './profile/column.js'
import { DatasetProfiler } from './profile/dataset.js'
import { LOWER_IS_BETTER, type MetricName, type QualityColumns, type QualityMetrics } from './quality.js'
import { DRIFT_METHODS, type DriftMethodId } from './stats/registry.js'
import { chi2Sf, poissonTail } from './stats/special.js'
import { categoryCounts, columnTypeOf, inferType } from './summary.js'
import type { CheckRunResult, RunChecks, RunMetric, Violation } from './types.js'

export interface CheckOptions {
  /** Run-wide drift overrides (method, threshold, dataset share). */
  drift?: Partial<DriftSettings>
  /** Ground truth / prediction columns, when they differ from the baseline's. */
  quality?: Partial<QualityColumns>
}

export interface QualityCheck {
  metric: MetricName
  baseline: number
  current: number
  threshold: number
  comparison_operator: 'LessThanThreshold' | 'GreaterThanThreshold'
  violated: boolean
}

export interface FeatureRow {
  name: string
  baselineType: string
  currentType: string
  baselineCompleteness: number
  currentCompleteness: number | undefined
  drift?: FeatureDriftResult
  /** Why the feature is not tested for drift, when it is not. */
  driftNote?: string
  violations: Violation[]
}

export interface CheckReport extends CheckRunResult {
  baselineRows: number
  features: FeatureRow[]
  datasetDrift: { tested: number; drifted: number; share: number; threshold: number; violated: boolean }
  quality?: { baseline: QualityMetrics | undefined; current: QualityMetrics; checks: QualityCheck[] }
  guard?: { flagRate?: { baseline: number; current: number; pValue: number; effectSize: number; violated: boolean } }
  settings: DriftSettings
}

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(digits) : x.toExponential(2)) : String(x))
const pct = (x: number) => `${(100 * x).toFixed(2)} %`
const short = (x: number) => String(Number(x.toPrecision(6)))
const fmtP = (p: number) => (p === 0 ? '< 1e-300' : p < 1e-3 ? p.toExponential(2) : p.toFixed(3))

/** The profile options and watched ranges a current profile needs to be comparable with the baseline. */
export function currentProfiler(baseline: Baseline, quality?: Partial<QualityColumns>): DatasetProfiler {
  const ranges = new Map<string, readonly [number, number]>()
  for (const f of baseline.constraints.features) if (f.num_constraints) ranges.set(f.name, [f.num_constraints.min, f.num_constraints.max])
  const mq = baseline.constraints.model_quality_constraints
  const groundTruth = quality?.groundTruth ?? mq?.ground_truth_column
  const prediction = quality?.prediction ?? mq?.prediction_column
  const columns: QualityColumns | undefined =
    groundTruth && prediction
      ? {
          groundTruth,
          prediction,
          ...((quality?.score ?? mq?.score_column) ? { score: (quality?.score ?? mq?.score_column) as string } : {}),
          ...((quality?.positiveLabel ?? mq?.positive_label) ? { positiveLabel: (quality?.positiveLabel ?? mq?.positive_label) as string } : {}),
          ...(mq?.problem_type ? { problemType: mq.problem_type } : {}),
        }
      : undefined
  const text = new Set(baseline.constraints.features.filter((f) => f.drift?.kind === 'text').map((f) => f.name))
  return new DatasetProfiler(baseline.profile.options, columns, ranges, text)
}

function conformingShare(f: FeatureConstraint, c: ColumnProfiler): number {
  const t = columnTypeOf(f.inferred_type)
  const n = c.present
  if (n === 0) return 1
  if (t === 'integral') return c.types.integral / n
  if (t === 'fractional') return (c.types.integral + c.types.fractional) / n
  if (t === 'boolean') return c.types.boolean / n
  return 1
}

function perFeatureSettings(settings: DriftSettings, f: FeatureConstraint): DriftSettings {
  const o = f.monitoringConfigOverrides ?? {}
  const out = { ...settings }
  if (typeof o.comparison_threshold === 'number') out.threshold = o.comparison_threshold
  if (typeof o.comparison_method === 'string' && o.comparison_method in DRIFT_METHODS) out.method = o.comparison_method as DriftMethodId
  return out
}

function driftDescription(d: FeatureDriftResult): string {
  const m = DRIFT_METHODS[d.method]
  const p = d.pValue === undefined ? '' : `; p-value ${fmtP(d.pValue)}`
  if (m.decision === 'p_value') return `${m.id} p-value ${fmtP(d.pValue ?? NaN)} is below ${d.threshold}; effect size ${fmt(d.effectSize)} (${m.description})`
  const noise = d.noise !== undefined && d.noise > d.floor ? ` (raised from ${fmt(d.floor)} to the reference's noise at ${d.referenceCount} vs ${d.currentCount} values)` : ''
  return `${m.id} distance ${fmt(d.statistic)} is at or above the threshold ${fmt(d.threshold)}${noise}${p}; effect size ${fmt(d.effectSize)}`
}

function qualityThreshold(c: ModelQualityConstraints, name: MetricName, rows: number): number | undefined {
  const m = c.metrics[name]
  if (!m) return undefined
  // Both the current value and the baseline's carry sampling error: sd² scales as 1/rows on each side.
  const sampling = m.chunk_sd !== undefined && m.chunk_rows ? c.z * m.chunk_sd * Math.sqrt(m.chunk_rows / Math.max(1, rows) + (m.rows ? m.chunk_rows / m.rows : 0)) : 0
  const tolerance = Math.max(m.tolerance_floor, sampling)
  return LOWER_IS_BETTER.has(name) ? m.baseline + tolerance : m.baseline - tolerance
}

/** Compares a finished current profile with a baseline. */
export function checkProfiles(baseline: Baseline, current: DatasetProfiler, options: CheckOptions = {}): CheckReport {
  const cfg = baseline.constraints.monitoring_config
  const settings: DriftSettings = { ...DEFAULT_DRIFT_SETTINGS, ...cfg.drift, ...options.drift }
  const violations: Violation[] = []
  const metrics: RunMetric[] = []
  const features: FeatureRow[] = []
  const drifts: FeatureDriftResult[] = []
  const reference = baseline.profile
  const rows = current.rows
  const add = (v: Violation, row?: FeatureRow) => {
    violations.push(v)
    row?.violations.push(v)
  }
  metrics.push({ name: 'dataset.rows', value: rows })
  const known = new Set(baseline.constraints.features.map((f) => f.name))

  for (const f of baseline.constraints.features) {
    const cur = current.getColumn(f.name)
    const ref = reference.getColumn(f.name)
    const row: FeatureRow = {
      name: f.name,
      baselineType: f.inferred_type,
      currentType: cur ? inferType(cur) : 'absent',
      baselineCompleteness: f.completeness,
      currentCompleteness: cur && rows > 0 ? cur.present / rows : undefined,
      ...(f.drift?.kind === 'none' ? { driftNote: `not drift-tested: ${f.drift.reason ?? 'no test applies'}` } : {}),
      violations: [],
    }
    features.push(row)
    if (rows === 0) continue
    if (!cur) {
      if (f.completeness > 0) add({ feature_name: f.name, constraint_check_type: 'missing_column_check', description: `column "${f.name}" is in the baseline but not in the current data` }, row)
      continue
    }
    const completeness = cur.present / rows
    metrics.push({ name: `feature.${f.name}.completeness`, value: completeness })
    // Completeness: the baseline's share, less 3 binomial sd at these sizes (smoothed so a complete baseline still has some).
    const pRef = ((ref?.present ?? f.completeness * reference.rows) + 0.5) / (reference.rows + 1)
    const tolerance = cfg.completeness_z * Math.sqrt(pRef * (1 - pRef) * (1 / rows + 1 / Math.max(1, reference.rows)))
    const completenessFloor = f.completeness - tolerance
    if (completeness < completenessFloor) {
      add({ feature_name: f.name, constraint_check_type: 'completeness_check', description: `completeness ${pct(completeness)} is below the baseline's ${pct(f.completeness)} (threshold ${pct(Math.max(0, completenessFloor))} at ${rows} rows)`, metric: 'completeness', value: completeness, threshold: completenessFloor }, row)
    }
    const conforming = conformingShare(f, cur)
    if (cur.present > 0 && 1 - conforming > cfg.datatype_check_threshold) {
      add({ feature_name: f.name, constraint_check_type: 'data_type_check', description: `${pct(1 - conforming)} of the values are not ${f.inferred_type} (the baseline type; current values look ${inferType(cur)}); threshold ${pct(cfg.datatype_check_threshold)}`, metric: 'type_mismatch_share', value: 1 - conforming, threshold: cfg.datatype_check_threshold }, row)
    }
    if (f.num_constraints && ref && cur.types.integral + cur.types.fractional > 0) {
      const outside = cur.below + cur.above
      const n = cur.types.integral + cur.types.fractional
      metrics.push({ name: `feature.${f.name}.out_of_range_share`, value: outside / n })
      const expected = (n * 2) / (ref.numbers.n + 1)
      const tail = poissonTail(outside, expected)
      if (outside > 0 && tail < cfg.range_check_p_value) {
        const negatives = f.num_constraints.is_non_negative && cur.numbers.min < 0 ? ' (the baseline had no negative values)' : ''
        add({ feature_name: f.name, constraint_check_type: 'range_check', description: `${outside} values (${pct(outside / n)}) are outside the baseline range [${short(f.num_constraints.min)}, ${short(f.num_constraints.max)}]${negatives}; about ${fmt(expected, 1)} expected by chance (p ${fmtP(tail)})`, metric: 'out_of_range_count', value: outside, threshold: expected, p_value: tail, effect_size: outside / n }, row)
      }
    }
    if (f.string_constraints) {
      const domain = new Set(f.string_constraints.domains)
      const { counts } = categoryCounts(cur)
      let unseen = 0
      let total = 0
      const examples: string[] = []
      for (const [k, v] of [...counts.entries()].sort((a, b) => b[1] - a[1])) {
        total += v
        if (!domain.has(k)) {
          unseen += v
          if (examples.length < 5) examples.push(JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k))
        }
      }
      const share = total > 0 ? unseen / total : 0
      metrics.push({ name: `feature.${f.name}.unseen_share`, value: share })
      if (share > cfg.domain_content_threshold) {
        add({ feature_name: f.name, constraint_check_type: 'categorical_values_check', description: `${pct(share)} of the values are not in the baseline's ${domain.size} categories (threshold ${pct(cfg.domain_content_threshold)}), e.g. ${examples.join(', ')}`, metric: 'unseen_share', value: share, threshold: cfg.domain_content_threshold }, row)
      }
    }
    if (ref && cfg.distribution_constraints.perform_comparison !== 'Disabled') {
      const d = featureDrift(f.name, ref, cur, f.drift, perFeatureSettings(settings, f))
      if (d) {
        row.drift = d
        drifts.push(d)
        if (Number.isFinite(d.statistic)) {
          metrics.push({ name: `feature.${f.name}.drift.${d.method}`, value: d.statistic })
          for (const [id, r] of Object.entries(d.all)) if (id !== d.method && Number.isFinite(r.statistic)) metrics.push({ name: `feature.${f.name}.drift.${id}`, value: r.statistic })
          if (d.pValue !== undefined) metrics.push({ name: `feature.${f.name}.drift.p_value`, value: d.pValue })
        }
        if (d.kind === 'text' && d.aspects) {
          const t = cur.text
          if (t) metrics.push({ name: `text.${f.name}.length.mean`, value: t.lengths.mean })
          for (const [aspect, a] of Object.entries(d.aspects)) metrics.push({ name: `text.${f.name}.${aspect}.distance`, value: a.statistic })
          if (d.drifted) {
            const which = Object.entries(d.aspects)
              .filter(([, a]) => a.drifted)
              .map(([k, a]) => `${k} ${fmt(a.statistic)} ≥ ${fmt(a.threshold)}`)
            add({ feature_name: f.name, constraint_check_type: 'text_drift_check', description: `text drift in ${which.join('; ')} (${d.note ?? ''})`, metric: d.method, value: d.statistic, threshold: d.threshold, effect_size: d.effectSize, ...(d.pValue === undefined ? {} : { p_value: d.pValue }) }, row)
          }
        } else if (d.drifted) {
          add({ feature_name: f.name, constraint_check_type: 'baseline_drift_check', description: driftDescription(d), metric: d.method, value: d.statistic, threshold: d.threshold, effect_size: d.effectSize, ...(d.pValue === undefined ? {} : { p_value: d.pValue }) }, row)
        }
      }
    }
  }

  if (rows > 0) {
    for (const c of current.columns) {
      if (!known.has(c.name) && c.present > 0) add({ feature_name: c.name, constraint_check_type: 'extra_column_check', description: `column "${c.name}" is not in the baseline` })
    }
  }

  const judged = drifts.filter((d) => Number.isFinite(d.statistic))
  const drifted = judged.filter((d) => d.drifted).length
  const share = judged.length > 0 ? drifted / judged.length : 0
  const datasetDrift = { tested: judged.length, drifted, share, threshold: settings.dataset_drift_share, violated: judged.length > 0 && share >= settings.dataset_drift_share }
  metrics.push({ name: 'dataset.drift_share', value: share }, { name: 'dataset.drifted_features', value: drifted })
  if (datasetDrift.violated) {
    add({ feature_name: '*', constraint_check_type: 'dataset_drift_check', description: `${drifted} of ${judged.length} features drifted (${pct(share)}), at or above the dataset threshold ${pct(settings.dataset_drift_share)}`, metric: 'drift_share', value: share, threshold: settings.dataset_drift_share })
  }

  const report: CheckReport = { violations, metrics, rows, baselineRows: reference.rows, features, datasetDrift, settings }

  const guardCols = baseline.constraints.guard_signals
  if (guardCols?.flag_column && rows > 0) {
    const refCol = reference.getColumn(guardCols.flag_column)
    const curCol = current.getColumn(guardCols.flag_column)
    if (refCol && curCol) {
      const a = flagCounts(refCol)
      const b = flagCounts(curCol)
      if (a.total > 0 && b.total > 0) {
        const p1 = a.flagged / a.total
        const p2 = b.flagged / b.total
        const pooled = (a.flagged + b.flagged) / (a.total + b.total)
        const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.total + 1 / b.total))
        const z = se > 0 ? (p2 - p1) / se : 0
        const pValue = chi2Sf(z * z, 1)
        const h = 2 * Math.asin(Math.sqrt(p2)) - 2 * Math.asin(Math.sqrt(p1))
        const limit = Math.max(0.01, 3 * se)
        const violated = Math.abs(p2 - p1) >= limit
        metrics.push({ name: 'guard.flag_rate', value: p2 })
        report.guard = { flagRate: { baseline: p1, current: p2, pValue, effectSize: h, violated } }
        if (violated) {
          add({ feature_name: guardCols.flag_column, constraint_check_type: 'guard_signal_check', description: `guard flag rate ${pct(p2)} vs ${pct(p1)} in the baseline (change ${pct(p2 - p1)}, limit ±${pct(limit)}); p-value ${fmtP(pValue)}, Cohen's h ${fmt(h)}`, metric: 'flag_rate', value: p2, threshold: p1 + Math.sign(p2 - p1) * limit, p_value: pValue, effect_size: h })
        }
      }
    }
  }
  if (guardCols?.score_column && rows > 0) {
    const curCol = current.getColumn(guardCols.score_column)
    const d = drifts.find((x) => x.feature === guardCols.score_column)
    if (curCol && curCol.numbers.n > 0) {
      metrics.push({ name: 'guard.score.mean', value: curCol.numbers.mean })
      const sample = numericSample(curCol.numberSample.items)
      metrics.push({ name: 'guard.score.p95', value: sample.sorted[Math.min(sample.sorted.length - 1, Math.floor(0.95 * sample.sorted.length))] as number })
    }
    if (d?.drifted) {
      add({ feature_name: guardCols.score_column, constraint_check_type: 'guard_signal_check', description: `the guard's score distribution shifted: ${driftDescription(d)}`, metric: d.method, value: d.statistic, threshold: d.threshold, effect_size: d.effectSize, ...(d.pValue === undefined ? {} : { p_value: d.pValue }) })
    }
  }

  const mq = baseline.constraints.model_quality_constraints
  const currentQuality = current.quality?.metrics()
  if (mq && currentQuality) {
    const checks: QualityCheck[] = []
    for (const [name, m] of Object.entries(mq.metrics) as [MetricName, NonNullable<ModelQualityConstraints['metrics'][MetricName]>][]) {
      const value = currentQuality[name]
      const threshold = qualityThreshold(mq, name, currentQuality.rows)
      if (value === undefined || threshold === undefined || !Number.isFinite(value)) continue
      metrics.push({ name: `quality.${name}`, value })
      const violated = m.comparison_operator === 'LessThanThreshold' ? value < threshold : value > threshold
      checks.push({ metric: name, baseline: m.baseline, current: value, threshold, comparison_operator: m.comparison_operator, violated })
      if (violated) {
        add({ feature_name: name, constraint_check_type: 'model_quality_check', description: `${name} ${fmt(value)} is ${m.comparison_operator === 'LessThanThreshold' ? 'below' : 'above'} the threshold ${fmt(threshold)} (baseline ${fmt(m.baseline)}, ${currentQuality.rows} rows with ground truth)`, metric: name, value, threshold })
      }
    }
    report.quality = { baseline: baseline.statistics.model_quality, current: currentQuality, checks }
  }
  metrics.push({ name: 'dataset.violations', value: violations.length })
  return report
}

/** Streams a CSV or JSONL file and checks it against the baseline in `baselineDir`. */
export async function checkFile(baselineDir: string, file: string, options: CheckOptions = {}, read: ReadTableOptions = {}): Promise<{ baseline: Baseline; current: DatasetProfiler; report: CheckReport }> {
  const baseline = readBaseline(baselineDir)
  const current = currentProfiler(baseline, options.quality)
  await addFile(current, file, read)
  return { baseline, current, report: checkProfiles(baseline, current, options) }
}

/** What the gateway's monitoring schedules call: the captured window's rows against a baseline directory. */
export const runChecks: RunChecks = async ({ baselineDir, rows, groundTruthColumn, predictionColumn }) => {
  const baseline = readBaseline(baselineDir)
  const quality = groundTruthColumn && predictionColumn ? { groundTruth: groundTruthColumn, prediction: predictionColumn } : undefined
  const current = currentProfiler(baseline, quality)
  for await (const r of rows) current.addRecord(r)
  const { violations, metrics, rows: count } = checkProfiles(baseline, current, quality ? { quality } : {})
  return { violations, metrics, rows: count }
}
