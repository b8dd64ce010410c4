/**
 * A model's shield profile: what its normal traffic looks like, learnt once from baseline rows
 * and the model's answers on them, and saved as one JSON file the gateway loads per model.
 *
 * The rows are split three ways (seeded): an index (the reference sample distances are measured
 * against), calibration A (each signal's baseline distribution) and calibration B (thresholds of
 * combined statistics and the rates the extraction tests compare against, measured on rows that
 * played no part in fitting them). PRADA's δ is set from simulated natural clients drawn from the
 * calibration rows.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { RampartError } from '../core/errors.js'
import { createRandom, shuffle } from '../monitor/sketch/random.js'
import { AdversarialDetector, calibratedRank, calibratedThreshold, marginOf, l1, lowerTail, upperQuantile, upperTail, type AdversarialCalibration, type DistanceMethod, type HistoryCalibration } from './adversarial.js'
import { FeatureEncoder, type FeatureInput, type FeatureSpec } from './features.js'
import { PradaState, DEFAULT_PRADA, type PradaOptions } from './prada.js'
import { fitGaussian, packFloats, ReferenceIndex, unpackFloats, type GaussianFit } from './reference.js'

/** What the extraction tests compare a client with (the tenant's normal traffic). */
export interface ExtractionCalibration {
  /** k of the k-th-neighbour distance used for coverage. */
  k: number
  /** Coverage: a query is off-distribution when its k-th-neighbour distance exceeds this. */
  offDistributionRadius: number
  /** Share of natural queries beyond the radius (measured on calibration B). */
  offDistributionRate: number
  /** Boundary: a query is near the decision boundary when top-1 − top-2 is below this. */
  lowMargin: number
  /** Share of natural queries below it (measured on calibration B). */
  lowMarginRate: number
  /** PRADA's δ for this model, and the lowest W the simulated natural clients reached. */
  pradaDelta: number
  pradaNaturalMinW: number
}

export interface ShieldProfileJson {
  version: 1
  model: string
  createdAt: string
  features: FeatureSpec[]
  classes?: string[]
  index: { count: number; points: string }
  gaussian: GaussianFit
  extraction: ExtractionCalibration
  adversarial: AdversarialCalibration
}

/** Class probabilities for a batch of inputs, in order. */
export type PredictProbabilities = (inputs: FeatureInput[]) => Promise<ArrayLike<number>[]>

export interface BuildProfileOptions {
  model: string
  /** Baseline rows: arrays in feature order, or objects keyed by feature name. */
  rows: readonly FeatureInput[]
  /** Feature names, in the model's order (object rows are read by name). */
  features?: readonly string[]
  /** Feature names to treat as categories even when their values look numeric. */
  categorical?: readonly string[]
  /** The encoder, when it comes from elsewhere (a monitor baseline: `encoderFromBaseline`). */
  encoder?: FeatureEncoder
  classes?: readonly string[]
  /** The model itself: class probabilities for a batch (called on index and calibration rows and their squeezed forms). */
  predict: PredictProbabilities
  seed?: number
  /** Rows kept as the reference sample (default 2000). */
  indexSize?: number
  /** False-positive rate of adversarial-input detection on natural inputs (default 0.05). */
  fpr?: number
  distance?: DistanceMethod
  /** Squeezing bound in conditional standard deviations (default 1). */
  clip?: number
  /** Part of `fpr` spent on the client-history signal (default 0.002); the per-request test gets the rest. */
  historyFpr?: number
  /** Confidence that the false-positive rates hold despite the finite calibration sample (default 0.9). */
  confidence?: number
  /** Share of natural queries called off-distribution (default 0.01). */
  offDistributionQuantile?: number
  /** Share of natural queries called near the boundary (default 0.1). */
  lowMarginQuantile?: number
  /** Natural clients simulated for PRADA's δ, and their length (default 30 × 600). */
  pradaClients?: number
  pradaQueries?: number
  /** How far below the lowest natural W δ sits (default 0.05: 30 simulated clients see fewer dips than a hundred real ones). */
  pradaMargin?: number
  prada?: Partial<PradaOptions>
}

const K = 5

export class ShieldProfile {
  readonly encoder: FeatureEncoder
  readonly index: ReferenceIndex
  readonly adversarial: AdversarialDetector

  constructor(readonly json: ShieldProfileJson) {
    if (json.version !== 1) throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `shield profile of ${json.model}: unknown version ${String(json.version)}`, { path: 'profile.version' })
    this.encoder = FeatureEncoder.fromJSON(json.features)
    this.index = new ReferenceIndex(this.encoder.dims, unpackFloats(json.index.points))
    if (this.index.count !== json.index.count) throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `shield profile of ${json.model}: index holds ${this.index.count} rows, header says ${json.index.count}`, { path: 'profile.index' })
    this.adversarial = new AdversarialDetector(json.adversarial, this.encoder, this.index, json.gaussian)
  }

  get model(): string {
    return this.json.model
  }

  get extraction(): ExtractionCalibration {
    return this.json.extraction
  }

  static load(file: string): ShieldProfile {
    let json: ShieldProfileJson
    try {
      json = JSON.parse(readFileSync(file, 'utf8')) as ShieldProfileJson
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `shield profile ${file}: ${(cause as Error).message}`, { path: file, cause })
    }
    return new ShieldProfile(json)
  }

  save(file: string): void {
    writeFileSync(file, `${JSON.stringify(this.json)}\n`)
  }

  /** Learns a profile from baseline rows and the model. */
  static async build(options: BuildProfileOptions): Promise<ShieldProfile> {
    const indexSize = options.indexSize ?? 2000
    const fpr = options.fpr ?? 0.05
    if (options.rows.length < indexSize + 400) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `a shield profile needs at least ${indexSize + 400} baseline rows (index ${indexSize} + calibration), got ${options.rows.length}`, { path: 'rows' })
    }
    const names = options.features ?? (options.encoder?.names as string[] | undefined)
    const random = createRandom(options.seed ?? 1)
    const rows = shuffle([...options.rows], random)
    const objects = rows.map((r) => (Array.isArray(r) ? Object.fromEntries((names ?? r.map((_, i) => `f${i}`)).map((n, i) => [n, r[i]])) : (r as Record<string, unknown>)))
    const encoder = options.encoder ?? FeatureEncoder.fit(objects.slice(0, indexSize), names ?? Object.keys(objects[0] ?? {}), { ...(options.categorical === undefined ? {} : { categorical: options.categorical }) })
    const encode = (r: FeatureInput) => Float32Array.from(encoder.encode(r))
    const indexRows = rows.slice(0, indexSize)
    const rest = rows.slice(indexSize)
    const half = Math.floor(rest.length / 2)
    const calA = rest.slice(0, half)
    const calB = rest.slice(half)
    const points = new Float32Array(indexSize * encoder.dims)
    indexRows.forEach((r, i) => points.set(encode(r), i * encoder.dims))
    const index = new ReferenceIndex(encoder.dims, points)
    const gaussian = fitGaussian(index)
    const method = options.distance ?? 'mahalanobis'
    const historyFpr = options.historyFpr ?? 0.002
    const confidence = options.confidence ?? 0.9
    if (!(historyFpr >= 0 && historyFpr < fpr)) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `historyFpr must be at least 0 and below fpr (${fpr}), got ${historyFpr}`, { path: 'historyFpr' })
    const clip = options.clip ?? 1

    // Signals on both calibration halves: distance, model answer, answer after squeezing.
    const provisional = new AdversarialDetector({ distance: method, k: K, clip, fpr, scores: { distance: [], squeeze: [], margin: [] }, threshold: { withSqueeze: Infinity, withoutSqueeze: Infinity }, combined: { withSqueeze: [], withoutSqueeze: [] } }, encoder, index, gaussian)
    const signals = async (part: FeatureInput[]) => {
      const encoded = part.map(encode)
      const squeezedInputs = part.map((r, i) => provisional.squeeze(r, encoded[i] as Float32Array))
      const answers = await options.predict([...part, ...squeezedInputs])
      return part.map((_, i) => {
        const probs = answers[i] as ArrayLike<number>
        const neighbours = index.neighbours(encoded[i] as Float32Array, K)
        return {
          encoded: encoded[i] as Float32Array,
          probs,
          margin: marginOf(probs),
          distance: provisional.distance(encoded[i] as Float32Array),
          squeeze: l1(probs, answers[part.length + i] as ArrayLike<number>),
          kth: neighbours.kth,
        }
      })
    }
    const a = await signals(calA)
    const b = await signals(calB)
    const sorted = (values: number[]) => values.sort((x, y) => x - y)
    const scores = { distance: sorted(a.map((s) => s.distance)), squeeze: sorted(a.map((s) => s.squeeze)), margin: sorted(a.map((s) => s.margin)) }
    const fisher = (s: (typeof b)[number], withSqueeze: boolean) =>
      -2 * (Math.log(upperTail(scores.distance, s.distance)) + Math.log(lowerTail(scores.margin, s.margin)) + (withSqueeze ? Math.log(upperTail(scores.squeeze, s.squeeze)) : 0))
    const combined = { withSqueeze: sorted(b.map((s) => fisher(s, true))), withoutSqueeze: sorted(b.map((s) => fisher(s, false))) }
    const adversarial: AdversarialCalibration = {
      distance: method,
      k: K,
      clip,
      fpr,
      scores,
      // The history test spends its own small budget; the per-request test gets the rest of `fpr`,
      // with a threshold that holds it at `confidence` over the draw of the calibration rows.
      threshold: { withSqueeze: calibratedThreshold(combined.withSqueeze, fpr - historyFpr, confidence), withoutSqueeze: calibratedThreshold(combined.withoutSqueeze, fpr - historyFpr, confidence) },
      combined,
      history: historyCalibration(index, [...a, ...b].map((s) => s.encoded), historyFpr, confidence),
    }

    const offQuantile = options.offDistributionQuantile ?? 0.01
    const lowQuantile = options.lowMarginQuantile ?? 0.1
    const offDistributionRadius = upperQuantile(a.map((s) => s.kth), offQuantile)
    const lowMargin = sorted(a.map((s) => s.margin))[Math.max(0, Math.floor(lowQuantile * a.length) - 1)] as number
    const offDistributionRate = Math.max(offQuantile, b.filter((s) => s.kth > offDistributionRadius).length / b.length)
    const lowMarginRate = Math.max(lowQuantile, b.filter((s) => s.margin < lowMargin).length / b.length)

    const natural = [...a, ...b]
    const pradaOptions = { ...DEFAULT_PRADA, ...options.prada, delta: 0 }
    const clients = options.pradaClients ?? 30
    const queries = Math.min(options.pradaQueries ?? 600, natural.length)
    let minW = 1
    for (let c = 0; c < clients; c++) {
      const order = shuffle(natural.map((_, i) => i), random).slice(0, queries)
      const prada = new PradaState(encoder.dims, pradaOptions)
      for (const i of order) {
        const s = natural[i] as (typeof natural)[number]
        const step = prada.add(s.encoded, argmaxOf(s.probs))
        if (step.w !== undefined) minW = Math.min(minW, step.w)
      }
    }
    const pradaDelta = Math.max(0.5, minW - (options.pradaMargin ?? 0.05))

    return new ShieldProfile({
      version: 1,
      model: options.model,
      createdAt: new Date().toISOString(),
      features: encoder.toJSON(),
      ...(options.classes === undefined ? {} : { classes: [...options.classes] }),
      index: { count: index.count, points: packFloats(points) },
      gaussian,
      extraction: { k: K, offDistributionRadius, offDistributionRate, lowMargin, lowMarginRate, pradaDelta, pradaNaturalMinW: minW },
      adversarial,
    })
  }
}

/**
 * How close natural rows come to each other, for the history signal: for reference samples of
 * h = 8, 16, … rows (the index's first h, up to 1,024), each baseline row's distance to its nearest
 * one; only the low tail (5 %, at least 20 values) is kept, since only it can fall under a budget.
 */
function historyCalibration(index: ReferenceIndex, rows: readonly Float32Array[], fpr: number, confidence: number): HistoryCalibration {
  const sizes: number[] = []
  for (let h = 8; h <= Math.min(1024, index.count); h *= 2) sizes.push(h)
  const keep = Math.min(rows.length, Math.max(20, Math.ceil(0.05 * rows.length)))
  const lowest = sizes.map((h) => {
    const nearest = rows.map((x) => {
      let best = Infinity
      for (let p = 0; p < h; p++) {
        const r = index.row(p)
        let s = 0
        for (let i = 0; i < r.length && s < best; i++) s += ((r[i] as number) - (x[i] as number)) ** 2
        // Exact repeats are skipped, as the client's history skips them.
        if (s > 0 && s < best) best = s
      }
      return Math.sqrt(best)
    })
    return nearest.sort((x, y) => x - y).slice(0, keep)
  })
  return { sizes, lowest, rows: rows.length, fpr, confidence, flagAtMost: calibratedRank(rows.length, fpr, confidence) }
}

function argmaxOf(v: ArrayLike<number>): number {
  let best = 0
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i
  return best
}
