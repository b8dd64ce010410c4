/**
 * Thresholds from the reference itself: the reference sample is split at random into halves
 * many times and each distance is measured between the halves. Divided by its noise scale
 * (√(1/n₁ + 1/n₂), or 1/n₁ + 1/n₂ for PSI) the values estimate how large a statistic gets with
 * no drift at all; at run time that level is scaled back to the run's sample sizes. So a small
 * current sample needs a larger distance before it counts as drift, and a large one never turns
 * sampling noise into drift (the distance floor still applies).
 */
import { createRandom, shuffle } from '../sketch/random.js'
import { alignCounts, DRIFT_METHODS, noiseScale, type DriftMethodId, type NumericSample } from '../stats/registry.js'
import { jensenShannon } from '../stats/jensen-shannon.js'
import { populationStd } from '../stats/wasserstein.js'
import { TextProfiler } from '../profile/text.js'
import type { Calibration, NoiseEstimate, TextCalibration } from './types.js'
import { charsetShares, scriptCounts, vocabularyJs } from './text.js'

export interface CalibrationOptions {
  splits: number
  /** Values taken from the reference sample (split into two halves). */
  maxRows: number
  seed: number
}

export const DEFAULT_CALIBRATION: CalibrationOptions = { splits: 40, maxRows: 4000, seed: 7 }
const MIN_ROWS = 40

function estimate(values: number[]): NoiseEstimate {
  const mean = values.reduce((s, v) => s + v, 0) / values.length
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, values.length - 1))
  return { mean, sd }
}

export function numericSample(values: ArrayLike<number>): NumericSample {
  const sorted = Float64Array.from(values).sort()
  return { sorted, std: populationStd(sorted) }
}

function distanceMethods(kind: 'numeric' | 'categorical'): DriftMethodId[] {
  return Object.values(DRIFT_METHODS)
    .filter((m) => m.decision === 'distance' && m.kinds.includes(kind))
    .map((m) => m.id)
}

export function calibrateNumeric(sample: readonly number[], options: CalibrationOptions = DEFAULT_CALIBRATION): Calibration | undefined {
  if (sample.length < MIN_ROWS) return undefined
  const random = createRandom(options.seed)
  const values = shuffle([...sample], random).slice(0, options.maxRows)
  const half = Math.floor(values.length / 2)
  const methods = distanceMethods('numeric')
  const scaled: Partial<Record<DriftMethodId, number[]>> = {}
  for (let s = 0; s < options.splits; s++) {
    shuffle(values, random)
    const a = numericSample(values.slice(0, half))
    const b = numericSample(values.slice(half, 2 * half))
    for (const id of methods) {
      const m = DRIFT_METHODS[id]
      const v = m.numeric?.(a, b).statistic
      if (v !== undefined && Number.isFinite(v)) (scaled[id] ??= []).push(v / noiseScale(m.noise, half, half))
    }
  }
  return { splits: options.splits, rows: 2 * half, methods: Object.fromEntries(Object.entries(scaled).map(([id, vs]) => [id, estimate(vs)])) }
}

function countsOf(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1)
  return m
}

export function calibrateCategorical(sample: readonly string[], options: CalibrationOptions = DEFAULT_CALIBRATION): Calibration | undefined {
  if (sample.length < MIN_ROWS) return undefined
  const random = createRandom(options.seed)
  const values = shuffle([...sample], random).slice(0, options.maxRows)
  const half = Math.floor(values.length / 2)
  const methods = distanceMethods('categorical')
  const scaled: Partial<Record<DriftMethodId, number[]>> = {}
  for (let s = 0; s < options.splits; s++) {
    shuffle(values, random)
    const { reference, current } = alignCounts(countsOf(values.slice(0, half)), countsOf(values.slice(half, 2 * half)))
    for (const id of methods) {
      const m = DRIFT_METHODS[id]
      const v = m.categorical?.(reference, current).statistic
      if (v !== undefined && Number.isFinite(v)) (scaled[id] ??= []).push(v / noiseScale(m.noise, half, half))
    }
  }
  return { splits: options.splits, rows: 2 * half, methods: Object.fromEntries(Object.entries(scaled).map(([id, vs]) => [id, estimate(vs)])) }
}

/** Text: the length distribution like a number, and vocabulary, charset and script distances between halves of the text sample. */
export function calibrateText(texts: readonly string[], lengths: readonly number[], options: CalibrationOptions = DEFAULT_CALIBRATION): TextCalibration | undefined {
  if (texts.length < MIN_ROWS) return undefined
  const random = createRandom(options.seed)
  const values = shuffle([...texts], random).slice(0, options.maxRows)
  const half = Math.floor(values.length / 2)
  const splits = Math.min(options.splits, 20)
  const vocab: number[] = []
  const charset: number[] = []
  const scripts: number[] = []
  const scale = noiseScale('sqrt', half, half)
  for (let s = 0; s < splits; s++) {
    shuffle(values, random)
    const mk = (part: string[]) => {
      const t = new TextProfiler({ sampleSize: 1, textSampleSize: 1, vocabularySize: 4096, seed: 1 })
      for (const v of part) t.add(v)
      return t
    }
    const a = mk(values.slice(0, half))
    const b = mk(values.slice(half, 2 * half))
    vocab.push(vocabularyJs(a, b) / scale)
    charset.push(jensenShannon(charsetShares(a), charsetShares(b)) / scale)
    const sc = alignCounts(scriptCounts(a), scriptCounts(b))
    scripts.push(jensenShannon(sc.reference, sc.current) / scale)
  }
  return {
    splits,
    rows: 2 * half,
    length: calibrateNumeric(lengths, options)?.methods ?? {},
    vocabulary: estimate(vocab),
    charset: estimate(charset),
    scripts: estimate(scripts),
  }
}
