/**
 * PRADA (Juuti, Szyller, Marchal & Asokan, "PRADA: Protecting against DNN Model Stealing
 * Attacks", EuroS&P 2019), per client: each query's minimum distance to the client's earlier
 * queries of the same predicted class is recorded, and a query far enough from them joins that
 * class's growing set. Natural queries give distances that look normally distributed; synthetic
 * queries (small steps from earlier ones, points along search lines) do not, and the Shapiro–Wilk
 * W of the recent distances drops below δ. Deterministic: the same queries in the same order give
 * the same state, which is what lets several gateways share one client's state.
 */
import { shapiroWilk } from './stats/shapiro-wilk.js'

export interface PradaOptions {
  /** Flag when W of the recent distances falls below this (calibrated on the tenant's normal traffic). */
  delta: number
  /** Distances needed before the first test (the paper's 100). */
  minDistances: number
  /** Test the most recent distances only (≤ 5000, Royston's range): recent behaviour, bounded cost. */
  window: number
  /** Test every this many queries (W moves slowly; testing each query would cost n log n each time). */
  testEvery: number
  /** Points kept per class; past it, new queries are still measured but no longer join the set. */
  maxPointsPerClass: number
  /** Keep every query in the growing set (threshold 0) instead of the paper's novelty threshold. */
  joinAll?: boolean
}

export const DEFAULT_PRADA: PradaOptions = { delta: 0.9, minDistances: 100, window: 1000, testEvery: 10, maxPointsPerClass: 4000 }

interface ClassSet {
  dims: number
  count: number
  points: Float32Array
  /** Distances of the points that joined (for the threshold): sum and sum of squares. */
  joined: number
  sum: number
  sumSq: number
  threshold: number
}

export interface PradaSnapshot {
  classes: { label: number; count: number; points: string; joined: number; sum: number; sumSq: number; threshold: number }[]
  distances: number[]
  seen: number
  lastW: number | null
}

export interface PradaStep {
  /** Minimum distance to earlier queries of the same class; undefined for a class's first query. */
  distance?: number
  /** W when a test ran on this query. */
  w?: number
  /** True when the test ran and W < δ. */
  alarm: boolean
}

function encodeFloats(values: Float32Array, count: number): string {
  return Buffer.from(values.buffer, values.byteOffset, count * 4).toString('base64')
}

function decodeFloats(text: string, capacity: number): Float32Array {
  const bytes = Buffer.from(text, 'base64')
  const out = new Float32Array(Math.max(capacity, bytes.length / 4))
  out.set(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4))
  return out
}

export class PradaState {
  readonly #classes = new Map<number, ClassSet>()
  /** Ring of the most recent distances. */
  readonly #distances: Float64Array
  #head = 0
  #stored = 0
  /** Queries seen (including each class's first). */
  seen = 0
  lastW: number | null = null

  constructor(
    readonly dims: number,
    readonly options: PradaOptions = DEFAULT_PRADA,
  ) {
    this.#distances = new Float64Array(Math.min(5000, options.window))
  }

  get distanceCount(): number {
    return this.#stored
  }

  /** The recent distances, oldest first. */
  recentDistances(): Float64Array {
    const n = this.#stored
    const cap = this.#distances.length
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = this.#distances[(this.#head - n + i + cap) % cap] as number
    return out
  }

  /** Records one query (encoded features, predicted class) and tests when due. */
  add(x: ArrayLike<number>, label: number): PradaStep {
    this.seen++
    let set = this.#classes.get(label)
    if (set === undefined) {
      set = { dims: this.dims, count: 0, points: new Float32Array(this.dims * 64), joined: 0, sum: 0, sumSq: 0, threshold: 0 }
      this.#classes.set(label, set)
      this.#append(set, x)
      return { alarm: false }
    }
    const distance = Math.sqrt(minSquaredDistance(set.points, set.count, this.dims, x))
    this.#pushDistance(distance)
    if (distance > set.threshold && set.count < this.options.maxPointsPerClass) {
      this.#append(set, x)
      set.joined++
      set.sum += distance
      set.sumSq += distance * distance
      const mean = set.sum / set.joined
      const sd = Math.sqrt(Math.max(0, set.sumSq / set.joined - mean * mean))
      if (this.options.joinAll !== true) set.threshold = Math.max(set.threshold, mean - sd)
    }
    const step: PradaStep = { distance, alarm: false }
    if (this.#stored >= this.options.minDistances && this.seen % this.options.testEvery === 0) {
      const w = pradaW(this.recentDistances())
      this.lastW = w
      step.w = w
      step.alarm = w < this.options.delta
    }
    return step
  }

  #append(set: ClassSet, x: ArrayLike<number>): void {
    if ((set.count + 1) * this.dims > set.points.length) {
      const grown = new Float32Array(set.points.length * 2)
      grown.set(set.points)
      set.points = grown
    }
    set.points.set(x, set.count * this.dims)
    set.count++
  }

  #pushDistance(d: number): void {
    const cap = this.#distances.length
    this.#distances[this.#head] = d
    this.#head = (this.#head + 1) % cap
    if (this.#stored < cap) this.#stored++
  }

  toJSON(): PradaSnapshot {
    return {
      classes: [...this.#classes.entries()].map(([label, s]) => ({ label, count: s.count, points: encodeFloats(s.points, s.count * this.dims), joined: s.joined, sum: s.sum, sumSq: s.sumSq, threshold: s.threshold })),
      distances: [...this.recentDistances()],
      seen: this.seen,
      lastW: this.lastW,
    }
  }

  static fromJSON(dims: number, options: PradaOptions, snapshot: PradaSnapshot): PradaState {
    const state = new PradaState(dims, options)
    for (const c of snapshot.classes) {
      state.#classes.set(c.label, { dims, count: c.count, points: decodeFloats(c.points, dims * Math.max(64, c.count)), joined: c.joined, sum: c.sum, sumSq: c.sumSq, threshold: c.threshold })
    }
    for (const d of snapshot.distances.slice(-state.#distances.length)) state.#pushDistance(d)
    state.seen = snapshot.seen
    state.lastW = snapshot.lastW
    return state
  }
}

/**
 * PRADA's statistic: W of the distances after dropping those more than 3 standard deviations from
 * their mean (a few isolated queries must not decide).
 */
export function pradaW(distances: Float64Array): number {
  let sum = 0
  let sumSq = 0
  for (const d of distances) {
    sum += d
    sumSq += d * d
  }
  const n = distances.length
  const mean = sum / n
  const sd = Math.sqrt(Math.max(0, sumSq / n - mean * mean))
  const kept = sd === 0 ? distances : distances.filter((d) => Math.abs(d - mean) < 3 * sd)
  if (kept.length < 3) return 1
  return shapiroWilk(kept.length > 5000 ? kept.subarray(kept.length - 5000) : kept).w
}

/** Smallest squared Euclidean distance from x to the first `count` points (row-major). */
export function minSquaredDistance(points: Float32Array, count: number, dims: number, x: ArrayLike<number>): number {
  let best = Infinity
  for (let p = 0; p < count; p++) {
    const base = p * dims
    let s = 0
    for (let i = 0; i < dims; i++) {
      const d = (points[base + i] as number) - (x[i] as number)
      s += d * d
      if (s >= best) break
    }
    if (s < best) best = s
  }
  return best
}
