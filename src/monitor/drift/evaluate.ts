/**
 * Drift of one feature between the reference profile and the current one: every applicable
 * statistic is computed (so the report shows p-values with effect sizes beside distances), and
 * the constraint's method decides against max(floor, calibrated noise at these sizes).
 */
import type { ColumnProfiler } from '../profile/column.js'
import { alignCounts, DRIFT_METHODS, noiseScale, type DriftMethodId, type MethodResult, type NumericSample } from '../stats/registry.js'
import { jensenShannon } from '../stats/jensen-shannon.js'
import { categoryCounts } from '../summary.js'
import { numericSample } from './calibrate.js'
import { charsetShares, outOfVocabularyRate, scriptCounts, vocabularyJs } from './text.js'
import type { Calibration, DriftConstraint, DriftSettings, FeatureDriftResult, NoiseEstimate } from './types.js'

/** Fewer current values than this and a feature is reported but not judged. */
export const MIN_CURRENT_VALUES = 30

function threshold(
  id: DriftMethodId,
  floor: number,
  noise: NoiseEstimate | undefined,
  z: number,
  nRef: number,
  nCur: number,
): { threshold: number; noise?: number } {
  const m = DRIFT_METHODS[id]
  if (m.decision === 'p_value' || noise === undefined) return { threshold: floor }
  const level = (noise.mean + z * noise.sd) * noiseScale(m.noise, nRef, nCur)
  return { threshold: Math.max(floor, level), noise: level }
}

function decide(
  feature: string,
  kind: 'numeric' | 'categorical',
  all: Partial<Record<DriftMethodId, MethodResult>>,
  constraint: DriftConstraint,
  settings: DriftSettings,
  calibration: Calibration | undefined,
  nRef: number,
  nCur: number,
): FeatureDriftResult {
  const method = constraint.method
  const r = all[method] as MethodResult
  const floor = settings.threshold ?? constraint.threshold
  const t = threshold(method, floor, calibration?.methods[method], settings.noise_z, nRef, nCur)
  const pValue = r.pValue ?? (kind === 'numeric' ? all.ks?.pValue : all.chi2?.pValue)
  const drifted = DRIFT_METHODS[method].decision === 'p_value' ? (r.pValue as number) < t.threshold : r.statistic >= t.threshold
  return {
    feature,
    kind,
    method,
    statistic: r.statistic,
    threshold: t.threshold,
    floor,
    ...(t.noise === undefined ? {} : { noise: t.noise }),
    ...(pValue === undefined ? {} : { pValue }),
    effectSize: r.effectSize,
    drifted,
    referenceCount: nRef,
    currentCount: nCur,
    all,
  }
}

/** Which method decides, after run-wide overrides: a method that does not take this kind keeps the constraint's. */
function effectiveConstraint(constraint: DriftConstraint, kind: 'numeric' | 'categorical', settings: DriftSettings): DriftConstraint {
  if (settings.method === 'auto' || !DRIFT_METHODS[settings.method].kinds.includes(kind)) return constraint
  return { ...constraint, method: settings.method, threshold: DRIFT_METHODS[settings.method].defaultThreshold }
}

export function numericDrift(feature: string, reference: NumericSample, current: NumericSample, constraint: DriftConstraint, settings: DriftSettings): FeatureDriftResult {
  const c = effectiveConstraint(constraint, 'numeric', settings)
  const all: Partial<Record<DriftMethodId, MethodResult>> = {}
  for (const m of Object.values(DRIFT_METHODS)) if (m.numeric) all[m.id] = m.numeric(reference, current)
  return decide(feature, 'numeric', all, c, settings, constraint.calibration, reference.sorted.length, current.sorted.length)
}

export function categoricalDrift(feature: string, reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>, constraint: DriftConstraint, settings: DriftSettings): FeatureDriftResult {
  const c = effectiveConstraint(constraint, 'categorical', settings)
  const { reference: r, current: q } = alignCounts(reference, current)
  const all: Partial<Record<DriftMethodId, MethodResult>> = {}
  for (const m of Object.values(DRIFT_METHODS)) if (m.categorical) all[m.id] = m.categorical(r, q)
  const nRef = r.reduce((s, v) => s + v, 0)
  const nCur = q.reduce((s, v) => s + v, 0)
  return decide(feature, 'categorical', all, c, settings, constraint.calibration, nRef, nCur)
}

function notJudged(feature: string, constraint: DriftConstraint, note: string, nRef: number, nCur: number): FeatureDriftResult {
  return { feature, kind: constraint.kind, method: constraint.method, statistic: NaN, threshold: constraint.threshold, floor: constraint.threshold, effectSize: NaN, drifted: false, referenceCount: nRef, currentCount: nCur, all: {}, note }
}

/** Text: length (as a number), vocabulary, character classes and dominant scripts; drifted when any aspect is. */
export function textDrift(feature: string, reference: ColumnProfiler, current: ColumnProfiler, constraint: DriftConstraint, settings: DriftSettings): FeatureDriftResult {
  const rt = reference.text
  const ct = current.text
  if (rt === null || ct === null) return notJudged(feature, constraint, 'the current values are not free text', reference.present, current.present)
  const lengthConstraint: DriftConstraint = { ...constraint, kind: 'numeric', method: constraint.method, ...(constraint.text_calibration ? { calibration: { splits: constraint.text_calibration.splits, rows: constraint.text_calibration.rows, methods: constraint.text_calibration.length } } : {}) }
  const length = numericDrift(feature, numericSample(rt.lengthSample.items), numericSample(ct.lengthSample.items), lengthConstraint, settings)
  const cal = constraint.text_calibration
  const nRef = rt.rows
  const nCur = ct.rows
  const floor = settings.threshold ?? DRIFT_METHODS.jensen_shannon.defaultThreshold
  const judge = (statistic: number, noise: NoiseEstimate | undefined) => {
    const t = threshold('jensen_shannon', floor, noise, settings.noise_z, nRef, nCur)
    return { statistic, threshold: t.threshold, drifted: statistic >= t.threshold }
  }
  const vocabulary = judge(vocabularyJs(rt, ct), cal?.vocabulary)
  const cr = charsetShares(rt)
  const cc = charsetShares(ct)
  const charset = judge(cr.some((v) => v > 0) && cc.some((v) => v > 0) ? jensenShannon(cr, cc) : 0, cal?.charset)
  const sc = alignCounts(scriptCounts(rt), scriptCounts(ct))
  const scripts = judge(jensenShannon(sc.reference, sc.current), cal?.scripts)
  const aspects = {
    length: { statistic: length.statistic, threshold: length.threshold, drifted: length.drifted, ...(length.pValue === undefined ? {} : { pValue: length.pValue }) },
    vocabulary,
    charset,
    scripts,
  }
  const drifted = Object.values(aspects).some((a) => a.drifted)
  return {
    ...length,
    kind: 'text',
    drifted,
    aspects,
    note: `out-of-vocabulary rate ${outOfVocabularyRate(rt, ct).toFixed(3)}`,
  }
}

/** Drift of one feature, dispatching on its constraint's kind. */
export function featureDrift(feature: string, reference: ColumnProfiler, current: ColumnProfiler, constraint: DriftConstraint, settings: DriftSettings): FeatureDriftResult | undefined {
  if (constraint.kind === 'none') return undefined
  if (current.present < MIN_CURRENT_VALUES) return notJudged(feature, constraint, `only ${current.present} current values (at least ${MIN_CURRENT_VALUES} needed)`, reference.present, current.present)
  if (constraint.kind === 'text') return textDrift(feature, reference, current, constraint, settings)
  if (constraint.kind === 'numeric') {
    if (current.numberSample.items.length < MIN_CURRENT_VALUES) return notJudged(feature, constraint, 'the current values are not numbers', reference.present, current.present)
    return numericDrift(feature, numericSample(reference.numberSample.items), numericSample(current.numberSample.items), constraint, settings)
  }
  return categoricalDrift(feature, categoryCounts(reference).counts, categoryCounts(current).counts, constraint, settings)
}
