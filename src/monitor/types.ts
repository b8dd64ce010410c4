/**
 * The monitor's shared vocabulary: what a baseline run produces, what a check run produces, and
 * the function the gateway's schedules call. Profiles and checks (profile.ts, checks.ts…) and the
 * operational side (capture, schedules, alarms) meet here.
 */

export type ColumnType = 'integral' | 'fractional' | 'string' | 'boolean' | 'text' | 'unknown'

/** SageMaker Model Monitor's check types, plus ours (range, quality, text, guard signals). */
export const CHECK_TYPES = [
  'data_type_check',
  'completeness_check',
  'baseline_drift_check',
  'missing_column_check',
  'extra_column_check',
  'categorical_values_check',
  'range_check',
  'model_quality_check',
  'text_drift_check',
  'guard_signal_check',
  'dataset_drift_check',
] as const
export type CheckType = (typeof CHECK_TYPES)[number]

/** One entry of violations.json (shape of SageMaker's constraint_violations.json, with extras). */
export interface Violation {
  feature_name: string
  constraint_check_type: CheckType
  description: string
  /** Our additions: the measured value, its threshold, the method (`ks`, `psi`…) and an effect size. */
  metric?: string
  value?: number
  threshold?: number
  p_value?: number
  effect_size?: number
}

/** A labelled number from a check run, stored as a time series and compared by alarms. */
export interface RunMetric {
  /** e.g. `feature.age.drift.wasserstein`, `dataset.drift_share`, `quality.accuracy`, `text.length.mean`, `guard.flag_rate`. */
  name: string
  value: number
}

export interface CheckRunResult {
  violations: Violation[]
  metrics: RunMetric[]
  /** Rows seen in the current data. */
  rows: number
}

/** What a schedule needs from the checks: baseline directory + current rows → violations and metrics. */
export type RunChecks = (input: {
  baselineDir: string
  rows: AsyncIterable<Record<string, unknown>>
  /** Column holding ground truth and prediction, for model-quality checks when present. */
  groundTruthColumn?: string
  predictionColumn?: string
}) => Promise<CheckRunResult>
