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

export const DEFAULT_CALIBRATION: CalibrationOptions = { splits: 30, maxRows: 3000, seed: 7 }
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

/** A random half of `n` positions: a shuffled mask with ⌊n/2⌋ ones. */
function halfMask(mask: Uint8Array, random: ReturnType<typeof createRandom>): Uint8Array {
  const half = Math.floor(mask.length / 2)
  for (let i = 0; i < mask.length; i++) mask[i] = i < half ? 1 : 0
  for (let i = mask.length - 1; i > 0; i--) {
    const j = random.int(i + 1)
    const t = mask[i] as number
    mask[i] = mask[j] as number
    mask[j] = t
  }
  return mask
}

export function calibrateNumeric(sample: readonly number[], options: CalibrationOptions = DEFAULT_CALIBRATION): Calibration | undefined {
  if (sample.length < MIN_ROWS) return undefined
  const random = createRandom(options.seed)
  // Sorted once: splitting a sorted array by a random mask gives two sorted halves.
  const values = Float64Array.from(shuffle([...sample], random).slice(0, options.maxRows)).sort()
  const n = values.length
  const half = Math.floor(n / 2)
  const methods = distanceMethods('numeric')
  const scaled: Partial<Record<DriftMethodId, number[]>> = {}
  const mask = new Uint8Array(n)
  const a = new Float64Array(half)
  const b = new Float64Array(n - half)
  for (let s = 0; s < options.splits; s++) {
    halfMask(mask, random)
    let ia = 0
    let ib = 0
    for (let i = 0; i < n; i++) {
      if (mask[i] === 1) a[ia++] = values[i] as number
      else b[ib++] = values[i] as number
    }
    const sa: NumericSample = { sorted: a, std: populationStd(a) }
    const sb: NumericSample = { sorted: b, std: populationStd(b) }
    for (const id of methods) {
      const m = DRIFT_METHODS[id]
      const v = m.numeric?.(sa, sb).statistic
      if (v !== undefined && Number.isFinite(v)) (scaled[id] ??= []).push(v / noiseScale(m.noise, half, n - half))
    }
  }
  return { splits: options.splits, rows: n, methods: Object.fromEntries(Object.entries(scaled).map(([id, vs]) => [id, estimate(vs)])) }
}

export function calibrateCategorical(sample: readonly string[], options: CalibrationOptions = DEFAULT_CALIBRATION): Calibration | undefined {
  if (sample.length < MIN_ROWS) return undefined
  const random = createRandom(options.seed)
  const picked = shuffle([...sample], random).slice(0, options.maxRows)
  // Categories as small integers, so each split is counted into typed arrays.
  const index = new Map<string, number>()
  const codes = Int32Array.from(picked, (v) => {
    let c = index.get(v)
    if (c === undefined) index.set(v, (c = index.size))
    return c
  })
  const n = codes.length
  const half = Math.floor(n / 2)
  const methods = distanceMethods('categorical')
  const scaled: Partial<Record<DriftMethodId, number[]>> = {}
  const mask = new Uint8Array(n)
  for (let s = 0; s < options.splits; s++) {
    halfMask(mask, random)
    const a = new Array<number>(index.size).fill(0)
    const b = new Array<number>(index.size).fill(0)
    for (let i = 0; i < n; i++) {
      const c = codes[i] as number
      if (mask[i] === 1) a[c] = (a[c] as number) + 1
      else b[c] = (b[c] as number) + 1
    }
    for (const id of methods) {
      const m = DRIFT_METHODS[id]
      const v = m.categorical?.(a, b).statistic
      if (v !== undefined && Number.isFinite(v)) (scaled[id] ??= []).push(v / noiseScale(m.noise, half, n - half))
    }
  }
  return { splits: options.splits, rows: n, methods: Object.fromEntries(Object.entries(scaled).map(([id, vs]) => [id, estimate(vs)])) }
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
