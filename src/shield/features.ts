/**
 * The space the shield measures distances in. A numeric feature is mapped through its reference
 * distribution to a normal score (the reference's own quantiles → Φ⁻¹), so a heavy-tailed count
 * and a bounded ratio weigh alike and one outlier does not dominate every distance; values beyond
 * the reference range keep growing linearly, so far-off inputs stay far. A categorical feature
 * becomes a one-hot scaled by 1/√2, so two different categories are exactly 1 apart.
 */
import { RampartError } from '../core/errors.js'
import { ppnd } from './stats/shapiro-wilk.js'

export interface NumericFeature {
  name: string
  kind: 'numeric'
  /** Non-decreasing reference quantiles (first = min, last = max). */
  quantiles: number[]
  /** Their probabilities, increasing from 0 to 1; equally spaced when absent. */
  probs?: number[]
}

export interface CategoricalFeature {
  name: string
  kind: 'categorical'
  values: string[]
}

export type FeatureSpec = NumericFeature | CategoricalFeature

/** A request's features: values in the model's feature order, or an object keyed by feature name. */
export type FeatureInput = readonly (number | string | boolean | null)[] | Readonly<Record<string, unknown>>

const Z_LIMIT = 3.719 // Φ⁻¹(0.9999): the encoded tails of the reference stop here
const ONE_HOT = Math.SQRT1_2

export class FeatureEncoder {
  /** Dimensions of an encoded vector. */
  readonly dims: number
  readonly names: readonly string[]
  readonly #offsets: number[]
  readonly #index: Map<string, number>[]
  /** Per numeric feature: the scale of linear extrapolation past the reference range. */
  readonly #spread: number[]

  constructor(readonly features: readonly FeatureSpec[]) {
    if (features.length === 0) throw new RampartError('RAMPART_ERR_CONFIG_INVALID', 'a model needs at least one feature', { path: 'features' })
    let dims = 0
    this.#offsets = []
    this.#index = []
    this.#spread = []
    for (const f of features) {
      this.#spread.push(f.kind === 'numeric' ? spreadOf(f) : 0)
      this.#offsets.push(dims)
      if (f.kind === 'numeric') {
        if (f.quantiles.length < 2 || f.quantiles.some((v, i) => !Number.isFinite(v) || (i > 0 && v < (f.quantiles[i - 1] as number)))) {
          throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `feature ${f.name}: quantiles must be ≥ 2 finite, non-decreasing numbers`, { path: `features.${f.name}` })
        }
        if (f.probs !== undefined && (f.probs.length !== f.quantiles.length || f.probs[0] !== 0 || f.probs[f.probs.length - 1] !== 1 || f.probs.some((v, i) => i > 0 && v <= (f.probs![i - 1] as number)))) {
          throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `feature ${f.name}: probs must rise from 0 to 1, one per quantile`, { path: `features.${f.name}` })
        }
        this.#index.push(new Map())
        dims += 1
      } else {
        this.#index.push(new Map(f.values.map((v, i) => [v, i])))
        dims += f.values.length
      }
    }
    this.dims = dims
    this.names = features.map((f) => f.name)
  }

  /** Features learnt from reference rows: `knots` quantiles per numeric feature, the categories seen. */
  static fit(rows: readonly Readonly<Record<string, unknown>>[], names: readonly string[], options: { knots?: number; categorical?: readonly string[] } = {}): FeatureEncoder {
    const knots = options.knots ?? 101
    const categorical = new Set(options.categorical ?? [])
    const specs: FeatureSpec[] = names.map((name) => {
      const raw = rows.map((r) => r[name]).filter((v) => v !== null && v !== undefined && v !== '')
      const numbers = raw.map((v) => (typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN))
      if (!categorical.has(name) && numbers.length > 0 && numbers.every(Number.isFinite)) {
        const sorted = Float64Array.from(numbers).sort()
        const q = Array.from({ length: knots }, (_, i) => sorted[Math.round((i / (knots - 1)) * (sorted.length - 1))] as number)
        return { name, kind: 'numeric', quantiles: q }
      }
      const counts = new Map<string, number>()
      for (const v of raw) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1)
      return { name, kind: 'categorical', values: [...counts.keys()].sort() }
    })
    return new FeatureEncoder(specs)
  }

  static fromJSON(specs: readonly FeatureSpec[]): FeatureEncoder {
    return new FeatureEncoder(specs)
  }

  toJSON(): FeatureSpec[] {
    return this.features.map((f) => ({ ...f }))
  }

  /** The raw value of feature `i` in `input` (array position or object key). */
  valueOf(input: FeatureInput, i: number): unknown {
    return Array.isArray(input) ? input[i] : (input as Record<string, unknown>)[this.names[i] as string]
  }

  /**
   * Encodes one input; throws RAMPART_ERR_INPUT_INVALID naming the bad feature (an array of the
   * wrong length, a number that is not finite, a string for a numeric feature).
   */
  encode(input: FeatureInput, out = new Float64Array(this.dims), path = 'features'): Float64Array {
    if (Array.isArray(input) && input.length !== this.features.length) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${path}: expected ${this.features.length} values (${this.names.join(', ')}), got ${input.length}`, { path })
    }
    if (!Array.isArray(input) && (typeof input !== 'object' || input === null)) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${path}: expected an array of values or an object keyed by feature name`, { path })
    }
    out.fill(0)
    for (let i = 0; i < this.features.length; i++) {
      const f = this.features[i] as FeatureSpec
      const v = this.valueOf(input, i)
      const at = this.#offsets[i] as number
      if (v === null || v === undefined || v === '') {
        if (f.kind === 'numeric') out[at] = 0
        continue
      }
      if (f.kind === 'numeric') {
        const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'boolean' ? Number(v) : Number.NaN
        if (!Number.isFinite(x)) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${path}.${f.name}: expected a finite number`, { path: `${path}.${f.name}` })
        out[at] = normalScore(f, x, this.#spread[i] as number)
      } else {
        const k = this.#index[i]!.get(String(v))
        if (k !== undefined) out[at + k] = ONE_HOT
      }
    }
    return out
  }

  /** The raw value whose encoding is `z` for numeric feature `i` (for squeezing and simulations). */
  decodeNumeric(i: number, z: number): number {
    const f = this.features[i]
    if (f?.kind !== 'numeric') throw new RangeError(`feature ${i} is not numeric`)
    return inverseNormalScore(f, z, this.#spread[i] as number)
  }
}

function probAt(f: NumericFeature, i: number): number {
  return f.probs === undefined ? i / (f.quantiles.length - 1) : (f.probs[i] as number)
}

/** Reference CDF of x by linear interpolation between quantile knots (ties: the middle of the flat run). */
function cdf(f: NumericFeature, x: number): number {
  const q = f.quantiles
  const k = q.length - 1
  if (x <= (q[0] as number)) return 0
  if (x >= (q[k] as number)) return 1
  let lo = 0
  let hi = k
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if ((q[mid] as number) <= x) lo = mid
    else hi = mid
  }
  // Several knots equal to x (a discrete value): take the middle of their probability run.
  if ((q[lo] as number) === x) {
    let first = lo
    while (first > 0 && (q[first - 1] as number) === x) first--
    return (probAt(f, first) + probAt(f, lo)) / 2
  }
  const a = q[lo] as number
  const b = q[hi] as number
  return probAt(f, lo) + ((x - a) / (b - a)) * (probAt(f, hi) - probAt(f, lo))
}

function spreadOf(f: NumericFeature): number {
  const q = f.quantiles
  const iqr = quantileAt(f, 0.75) - quantileAt(f, 0.25)
  const range = (q[q.length - 1] as number) - (q[0] as number)
  return iqr > 0 ? iqr : range > 0 ? range / 4 : 1
}

function normalScore(f: NumericFeature, x: number, spread: number): number {
  const q = f.quantiles
  const min = q[0] as number
  const max = q[q.length - 1] as number
  // Past the reference range, keep distance growing: 1.35 IQR per unit, the normal's ratio.
  if (x < min) return -Z_LIMIT - ((min - x) / spread) * 1.35
  if (x > max) return Z_LIMIT + ((x - max) / spread) * 1.35
  const u = cdf(f, x)
  return Math.max(-Z_LIMIT, Math.min(Z_LIMIT, ppnd(Math.min(1 - 1e-4, Math.max(1e-4, u)))))
}

/** The reference value at probability u (inverse of `cdf`). */
function quantileAt(f: NumericFeature, u: number): number {
  const q = f.quantiles
  const k = q.length - 1
  let lo = 0
  while (lo < k - 1 && probAt(f, lo + 1) <= u) lo++
  const p0 = probAt(f, lo)
  const p1 = probAt(f, lo + 1)
  const t = p1 > p0 ? Math.min(1, Math.max(0, (u - p0) / (p1 - p0))) : 0
  return (q[lo] as number) + t * ((q[lo + 1] as number) - (q[lo] as number))
}

function inverseNormalScore(f: NumericFeature, z: number, spread: number): number {
  const q = f.quantiles
  const min = q[0] as number
  const max = q[q.length - 1] as number
  if (z < -Z_LIMIT) return min - ((-Z_LIMIT - z) / 1.35) * spread
  if (z > Z_LIMIT) return max + ((z - Z_LIMIT) / 1.35) * spread
  return quantileAt(f, Math.min(1, Math.max(0, 0.5 * (1 + erf(z / Math.SQRT2)))))
}

/** erf from the Chebyshev fit of erfc in Numerical Recipes (fractional error below 1.2e-7). */
export function erf(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x))
  const y =
    1 -
    t *
      Math.exp(
        -x * x -
          1.26551223 +
          t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      )
  return x >= 0 ? y : -y
}
