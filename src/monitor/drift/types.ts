import type { DriftMethodId } from '../stats/registry.js'

export type FeatureDriftKind = 'numeric' | 'categorical' | 'text' | 'none'

/** Spread of a statistic across random half-splits of the reference, divided by its noise scale. */
export interface NoiseEstimate {
  mean: number
  sd: number
}

export interface Calibration {
  /** Random half-splits of the reference sample. */
  splits: number
  /** Reference values used (half on each side of a split). */
  rows: number
  methods: Partial<Record<DriftMethodId, NoiseEstimate>>
}

export interface TextCalibration {
  splits: number
  rows: number
  length: Partial<Record<DriftMethodId, NoiseEstimate>>
  vocabulary: NoiseEstimate
  charset: NoiseEstimate
  scripts: NoiseEstimate
}

/** The per-feature drift block of constraints.json (editable: method and threshold). */
export interface DriftConstraint {
  kind: FeatureDriftKind
  /** The method whose result decides (ks, chi2, wasserstein, jensen_shannon, psi, linf). */
  method: DriftMethodId
  /** p-value cut for ks/chi2; for distances the floor under the calibrated threshold. */
  threshold: number
  /** Why a feature is not tested for drift (kind none). */
  reason?: string
  calibration?: Calibration
  text_calibration?: TextCalibration
}

/** Run-wide drift settings (monitoring_config.drift in constraints.json, overridable by flags). */
export interface DriftSettings {
  /** 'auto' (by type and size) or one method for every feature it applies to. */
  method: 'auto' | DriftMethodId
  /** References with at most this many values use the p-value tests (KS, chi-square), as Evidently does. */
  small_reference_rows: number
  /** How many sd above the reference's split-to-split mean a distance must be to count as drift. */
  noise_z: number
  /** Share of tested features that must drift for dataset-level drift. */
  dataset_drift_share: number
  /** Overrides the per-feature threshold of the chosen method when set. */
  threshold?: number
}

export const DEFAULT_DRIFT_SETTINGS: DriftSettings = {
  method: 'auto',
  small_reference_rows: 1000,
  noise_z: 3,
  dataset_drift_share: 0.5,
}

export interface FeatureDriftResult {
  feature: string
  kind: FeatureDriftKind
  method: DriftMethodId
  statistic: number
  /** The threshold applied: max(floor, calibrated noise at these sample sizes) for distances. */
  threshold: number
  floor: number
  /** Calibrated no-drift level at these sample sizes (distances only). */
  noise?: number
  pValue?: number
  effectSize: number
  drifted: boolean
  referenceCount: number
  currentCount: number
  /** Every applicable method's result, for the report and metrics. */
  all: Partial<Record<DriftMethodId, { statistic: number; pValue?: number; effectSize: number }>>
  /** Text features: which aspects drifted (length, vocabulary, charset, scripts). */
  aspects?: Record<string, { statistic: number; threshold: number; drifted: boolean; pValue?: number }>
  note?: string
}
