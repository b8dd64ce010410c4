/**
 * The drift statistics as one registry of pure functions: each method says which kinds of
 * feature it takes, whether its decision is a p-value or a distance, its default threshold, and
 * how its value under "no drift" shrinks with sample size (used to scale thresholds calibrated
 * on the reference to the sizes of a run). Every result carries an effect size; p-value methods
 * also give the p-value.
 */
import { RampartError } from '../../core/errors.js'
import { chi2Contingency } from './chi2.js'
import { jensenShannon } from './jensen-shannon.js'
import { ks2SampSorted, ksStatisticSorted } from './ks.js'
import { linfCategorical } from './linf.js'
import { binCounts, psi, quantileEdges } from './psi.js'
import { normedWasserstein } from './wasserstein.js'

export type DriftKind = 'numeric' | 'categorical'
export const DRIFT_METHOD_IDS = ['ks', 'chi2', 'wasserstein', 'jensen_shannon', 'psi', 'linf'] as const
export type DriftMethodId = (typeof DRIFT_METHOD_IDS)[number]

/** A numeric sample sorted ascending, with its population standard deviation. */
export interface NumericSample {
  sorted: Float64Array
  std: number
}

export interface MethodResult {
  /** The method's statistic (the p-value methods: D for KS, χ² for chi-square). */
  statistic: number
  pValue?: number
  /** A size of the difference that does not grow with the sample: KS D, Cohen's w, or the distance itself. */
  effectSize: number
}

export interface DriftMethod {
  id: DriftMethodId
  description: string
  kinds: readonly DriftKind[]
  /** 'p_value': drift when p < threshold; 'distance': drift when statistic ≥ threshold. */
  decision: 'p_value' | 'distance'
  defaultThreshold: number
  /** How the statistic's no-drift value scales: √(1/n₁ + 1/n₂) or (1/n₁ + 1/n₂). */
  noise: 'sqrt' | 'linear'
  numeric?: (reference: NumericSample, current: NumericSample) => MethodResult
  categorical?: (reference: readonly number[], current: readonly number[]) => MethodResult
}

/** Quantile bins of the reference: PSI and the binned Jensen–Shannon use 10. */
export const NUMERIC_BINS = 10

function binned(reference: NumericSample, current: NumericSample): [number[], number[]] {
  const edges = quantileEdges(reference.sorted, NUMERIC_BINS)
  return [binCounts(reference.sorted, edges), binCounts(current.sorted, edges)]
}

/**
 * Cohen's w = √(Σ (q − p)² / p): current shares q against reference shares p (smoothed by half a
 * count so an unseen category is large but finite). 0.1 small, 0.3 medium, 0.5 large.
 */
export function cohensW(reference: readonly number[], current: readonly number[]): number {
  const k = reference.length
  const sr = reference.reduce((s, v) => s + v, 0) + 0.5 * k
  const sc = current.reduce((s, v) => s + v, 0)
  let w2 = 0
  for (let i = 0; i < k; i++) {
    const p = ((reference[i] as number) + 0.5) / sr
    const q = (current[i] as number) / sc
    w2 += ((q - p) * (q - p)) / p
  }
  return Math.sqrt(w2)
}

export const DRIFT_METHODS: Readonly<Record<DriftMethodId, DriftMethod>> = {
  ks: {
    id: 'ks',
    description: 'two-sample Kolmogorov–Smirnov test (scipy ks_2samp, auto); effect size D',
    kinds: ['numeric'],
    decision: 'p_value',
    defaultThreshold: 0.05,
    noise: 'sqrt',
    numeric: (r, c) => {
      const t = ks2SampSorted(r.sorted, c.sorted)
      return { statistic: t.statistic, pValue: t.pValue, effectSize: t.statistic }
    },
  },
  chi2: {
    id: 'chi2',
    description: 'chi-square test of homogeneity (scipy chi2_contingency); effect size Cohen’s w',
    kinds: ['categorical'],
    decision: 'p_value',
    defaultThreshold: 0.05,
    noise: 'sqrt',
    categorical: (r, c) => {
      const t = chi2Contingency([r, c])
      return { statistic: t.statistic, pValue: t.pValue, effectSize: cohensW(r, c) }
    },
  },
  wasserstein: {
    id: 'wasserstein',
    description: 'Wasserstein-1 distance divided by the reference standard deviation',
    kinds: ['numeric'],
    decision: 'distance',
    defaultThreshold: 0.1,
    noise: 'sqrt',
    numeric: (r, c) => {
      const d = normedWasserstein(r.sorted, c.sorted, r.std)
      return { statistic: d, effectSize: d }
    },
  },
  jensen_shannon: {
    id: 'jensen_shannon',
    description: 'Jensen–Shannon distance (natural log) over categories, or over 10 reference-quantile bins',
    kinds: ['numeric', 'categorical'],
    decision: 'distance',
    defaultThreshold: 0.1,
    noise: 'sqrt',
    numeric: (r, c) => {
      const [a, b] = binned(r, c)
      const d = jensenShannon(a, b)
      return { statistic: d, effectSize: d }
    },
    categorical: (r, c) => {
      const d = jensenShannon(r, c)
      return { statistic: d, effectSize: d }
    },
  },
  psi: {
    id: 'psi',
    description: 'population stability index over categories, or over 10 reference-quantile bins',
    kinds: ['numeric', 'categorical'],
    decision: 'distance',
    defaultThreshold: 0.1,
    noise: 'linear',
    numeric: (r, c) => {
      const [a, b] = binned(r, c)
      const d = psi(a, b)
      return { statistic: d, effectSize: d }
    },
    categorical: (r, c) => {
      const d = psi(r, c)
      return { statistic: d, effectSize: d }
    },
  },
  linf: {
    id: 'linf',
    description: 'SageMaker’s L∞ distance: largest CDF gap (numbers) or largest share gap (categories)',
    kinds: ['numeric', 'categorical'],
    decision: 'distance',
    defaultThreshold: 0.1,
    noise: 'sqrt',
    numeric: (r, c) => {
      const d = ksStatisticSorted(r.sorted, c.sorted)
      return { statistic: d, effectSize: d }
    },
    categorical: (r, c) => {
      const d = linfCategorical(r, c)
      return { statistic: d, effectSize: d }
    },
  },
}

export function driftMethod(id: string): DriftMethod {
  const m = (DRIFT_METHODS as Record<string, DriftMethod>)[id]
  if (!m) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `unknown drift method "${id}"; valid: ${DRIFT_METHOD_IDS.join(', ')}`, { path: 'drift.method' })
  return m
}

/** The factor by which a method's no-drift value scales at sample sizes n₁, n₂. */
export function noiseScale(noise: 'sqrt' | 'linear', n1: number, n2: number): number {
  const s = 1 / n1 + 1 / n2
  return noise === 'sqrt' ? Math.sqrt(s) : s
}

/** Aligns two category → count maps over the union of their keys (reference order first). */
export function alignCounts(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): { keys: string[]; reference: number[]; current: number[] } {
  const keys = [...reference.keys()]
  for (const k of current.keys()) if (!reference.has(k)) keys.push(k)
  return { keys, reference: keys.map((k) => reference.get(k) ?? 0), current: keys.map((k) => current.get(k) ?? 0) }
}
