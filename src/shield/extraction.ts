/**
 * Model-extraction detection for one client of one model, on the stream of its queries.
 * Four signals, each compared with the tenant's normal traffic (the model's shield profile):
 *
 * - prada: PRADA's Shapiro–Wilk test on the client's minimum query distances (prada.ts);
 * - proximity: does a query's nearest neighbour among {the client's recent queries ∪ the reference
 *   sample} belong to the client? If the client's queries came from the same distribution as the
 *   reference, that happens with probability h/(h+R) for h recent queries and R reference rows —
 *   whatever the distribution (exchangeability; the nearest-neighbour two-sample test of Schilling
 *   and Henze, run sequentially). Synthetic queries built from earlier ones (augmentation around
 *   seeds, line searches, probes around a crossing) sit next to each other and win far more often;
 * - coverage: queries beyond the reference's off-distribution radius (uniform sweeps of the space);
 * - boundary: queries the model is least sure about (probing where it is least certain).
 *
 * Each count over the last `window` queries is tested against its expected value under natural
 * traffic times `slack` with a Chernoff bound (valid for independent Bernoulli trials of unequal
 * probability): evidence = S·ln(S/μ) − S + μ nats, and the client is flagged when it passes
 * `evidence` (ln 10⁹ by default). The flag is sticky. Every step is deterministic, so replaying the
 * same events rebuilds the same state (what Redis-shared state relies on).
 */
import { PradaState, DEFAULT_PRADA, type PradaOptions, type PradaSnapshot } from './prada.js'
import type { ExtractionCalibration } from './profile.js'
import { packFloats, unpackFloats } from './reference.js'

export type ExtractionSignal = 'prada' | 'proximity' | 'coverage' | 'boundary'
export const EXTRACTION_SIGNALS: readonly ExtractionSignal[] = ['prada', 'proximity', 'coverage', 'boundary']

/** One query as the detector sees it (float32 throughout, so every replica computes the same). */
export interface QueryEvent {
  /** Encoded features. */
  x: Float32Array
  /** Predicted class. */
  label: number
  /** Top-1 minus top-2 probability. */
  margin: number
  /** Distance to the nearest reference row. */
  nearest: number
  /** Distance to the k-th nearest reference row. */
  kth: number
}

export interface ExtractionOptions {
  /** Queries per test window. */
  window: number
  /** Queries before any test. */
  minQueries: number
  /** Evidence (nats) needed to flag; ln(1e9) ≈ 20.7. */
  evidence: number
  /** Natural traffic may run this many times its baseline rate before it counts against a client. */
  slack: number
  /** Recent queries kept for the proximity test. */
  history: number
  /** Reference rows (R) in the proximity test's expectation h/(h+R). */
  referenceSize: number
  signals: readonly ExtractionSignal[]
  prada: PradaOptions
}

export const DEFAULT_EXTRACTION: Omit<ExtractionOptions, 'referenceSize'> = {
  window: 200,
  minQueries: 20,
  evidence: Math.log(1e9),
  slack: 2,
  history: 1000,
  signals: EXTRACTION_SIGNALS,
  prada: DEFAULT_PRADA,
}

export interface ExtractionFlag {
  /** The query (1-based, in the client's order) that tipped it. */
  at: number
  signal: ExtractionSignal
  /** Evidence in nats (PRADA: δ − W). */
  evidence: number
}

export interface ExtractionStatus {
  queries: number
  /** Evidence per windowed signal (nats) and PRADA's latest W. */
  evidence: { proximity: number; coverage: number; boundary: number }
  w: number | null
  flag: ExtractionFlag | null
  /**
   * Distance from this query to the client's nearest earlier query that is not an exact repeat
   * (null before the client has one), and how many earlier queries were searched: what the
   * adversarial detector's history signal reads (an attack's probes sit next to its final input).
   */
  own: { nearest: number; among: number } | null
}

export interface ExtractionSnapshot {
  queries: number
  history: string
  historyCount: number
  historyHead: number
  window: number[][]
  prada: PradaSnapshot
  flag: ExtractionFlag | null
}

/** Chernoff evidence (nats) that S successes exceed a Poisson-binomial mean μ. */
export function chernoffEvidence(s: number, mu: number): number {
  if (s <= mu) return 0
  if (mu <= 0) return Infinity
  return s * Math.log(s / mu) - s + mu
}

export class ExtractionDetector {
  readonly options: ExtractionOptions
  readonly #dims: number
  readonly #calibration: ExtractionCalibration
  #queries = 0
  readonly #history: Float32Array
  #historyCount = 0
  #historyHead = 0
  /** Per windowed query: [proximity hit (−1 = not counted), its expected probability, off-distribution, low margin]. */
  #window: [number, number, number, number][] = []
  #prada: PradaState
  #flag: ExtractionFlag | null = null

  constructor(dims: number, calibration: ExtractionCalibration, options: Partial<ExtractionOptions> & { referenceSize: number }) {
    this.options = { ...DEFAULT_EXTRACTION, ...options, prada: { ...DEFAULT_EXTRACTION.prada, ...options.prada, delta: options.prada?.delta ?? calibration.pradaDelta } }
    this.#dims = dims
    this.#calibration = calibration
    this.#history = new Float32Array(this.options.history * dims)
    this.#prada = new PradaState(dims, this.options.prada)
  }

  get flag(): ExtractionFlag | null {
    return this.#flag
  }

  get queries(): number {
    return this.#queries
  }

  /** Records one query and returns the client's status after it. */
  apply(event: QueryEvent): ExtractionStatus {
    this.#queries++
    const signals = this.options.signals
    const c = this.#calibration
    // Proximity: nearest neighbour among the client's recent queries vs the reference sample.
    let hit = -1
    let expected = 0
    let own: ExtractionStatus['own'] = null
    if (this.#historyCount > 0) {
      const nearest = nearestSquaredDistances(this.#history, this.#historyCount, this.#dims, event.x)
      const self = Math.sqrt(nearest.any)
      // An exact repeat (a retry, the same record scored twice) says nothing about synthesis.
      if (self > 0) {
        hit = self < event.nearest ? 1 : 0
        expected = this.#historyCount / (this.#historyCount + this.options.referenceSize)
      }
      if (Number.isFinite(nearest.other)) own = { nearest: Math.sqrt(nearest.other), among: this.#historyCount }
    }
    this.#remember(event.x)
    const off = event.kth > c.offDistributionRadius ? 1 : 0
    const low = event.margin < c.lowMargin ? 1 : 0
    this.#push([hit, expected, off, low])
    const pradaStep = signals.includes('prada') ? this.#prada.add(event.x, event.label) : undefined

    const n = this.#window.length
    const slack = this.options.slack
    // Summed afresh each time (200 entries): no floating-point drift from adding and removing.
    let hits = 0
    let expectedHits = 0
    let offs = 0
    let lows = 0
    for (const [h, e, o, l] of this.#window) {
      if (h >= 0) {
        hits += h
        expectedHits += e
      }
      offs += o
      lows += l
    }
    const evidence = {
      proximity: signals.includes('proximity') ? chernoffEvidence(hits, slack * expectedHits) : 0,
      coverage: signals.includes('coverage') ? chernoffEvidence(offs, slack * c.offDistributionRate * n) : 0,
      boundary: signals.includes('boundary') ? chernoffEvidence(lows, slack * c.lowMarginRate * n) : 0,
    }
    if (this.#flag === null && this.#queries >= this.options.minQueries) {
      const strongest = (Object.entries(evidence) as [ExtractionSignal, number][]).sort((a, b) => b[1] - a[1])[0] as [ExtractionSignal, number]
      if (strongest[1] >= this.options.evidence) this.#flag = { at: this.#queries, signal: strongest[0], evidence: round(strongest[1]) }
      else if (pradaStep?.alarm === true) this.#flag = { at: this.#queries, signal: 'prada', evidence: round(this.options.prada.delta - (pradaStep.w as number)) }
    }
    return { queries: this.#queries, evidence: { proximity: round(evidence.proximity), coverage: round(evidence.coverage), boundary: round(evidence.boundary) }, w: this.#prada.lastW, flag: this.#flag, own }
  }

  #remember(x: Float32Array): void {
    this.#history.set(x, this.#historyHead * this.#dims)
    this.#historyHead = (this.#historyHead + 1) % this.options.history
    if (this.#historyCount < this.options.history) this.#historyCount++
  }

  #push(entry: [number, number, number, number]): void {
    this.#window.push(entry)
    if (this.#window.length > this.options.window) this.#window.shift()
  }

  toJSON(): ExtractionSnapshot {
    return {
      queries: this.#queries,
      history: packFloats(this.#history.subarray(0, this.#historyCount * this.#dims)),
      historyCount: this.#historyCount,
      historyHead: this.#historyHead,
      window: this.#window.map((e) => [...e]),
      prada: this.#prada.toJSON(),
      flag: this.#flag,
    }
  }

  static fromJSON(dims: number, calibration: ExtractionCalibration, options: Partial<ExtractionOptions> & { referenceSize: number }, snapshot: ExtractionSnapshot): ExtractionDetector {
    const d = new ExtractionDetector(dims, calibration, options)
    d.#queries = snapshot.queries
    d.#history.set(unpackFloats(snapshot.history))
    d.#historyCount = snapshot.historyCount
    d.#historyHead = snapshot.historyHead
    d.#window = snapshot.window.map((e) => [e[0], e[1], e[2], e[3]] as [number, number, number, number])
    d.#prada = PradaState.fromJSON(dims, d.options.prada, snapshot.prada)
    d.#flag = snapshot.flag
    return d
  }
}

/** Squared distance from x to its nearest point (`any`) and to its nearest point that is not x itself (`other`). */
function nearestSquaredDistances(points: Float32Array, count: number, dims: number, x: ArrayLike<number>): { any: number; other: number } {
  let any = Infinity
  let other = Infinity
  for (let p = 0; p < count; p++) {
    const base = p * dims
    let s = 0
    for (let i = 0; i < dims && s < other; i++) {
      const d = (points[base + i] as number) - (x[i] as number)
      s += d * d
    }
    if (s < any) any = s
    if (s > 0 && s < other) other = s
  }
  return { any, other }
}

function round(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 1000) / 1000 : v
}
