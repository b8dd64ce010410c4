/**
 * One protected model: the model's predict function wrapped with extraction detection per client,
 * adversarial-input scoring per request and output hardening. The gateway's predict route and the
 * library wrapper (`shieldModel`) both run through here; what happens when a client is flagged
 * (alert, throttle, revoke) is the caller's `onFlag`.
 */
import type { AdversarialVerdict } from './adversarial.js'
import { historyVerdict, marginOf, withHistory } from './adversarial.js'
import { ExtractionDetector, type ExtractionOptions, type ExtractionSignal, type ExtractionSnapshot, type ExtractionStatus, type QueryEvent } from './extraction.js'
import type { FeatureInput } from './features.js'
import { argmaxOf, OutputHardener, type HardenedOutput, type HardeningOptions } from './hardening.js'
import type { ShieldProfile } from './profile.js'
import type { ClientKey, DetectorCodec, ShieldStateStore } from './state.js'

export interface ProtectedModelOptions {
  name: string
  classes?: readonly string[] | undefined
  /** Without a profile there is no detection, only hardening. */
  profile?: ShieldProfile | undefined
  hardening?: HardeningOptions
  extraction?: { enabled?: boolean; evidence?: number; slack?: number; window?: number; signals?: readonly ExtractionSignal[] }
  /** history (default true): also test each input against the client's earlier queries (needs extraction detection, which keeps them). */
  adversarial?: { enabled?: boolean; squeeze?: boolean; history?: boolean }
  /** Seed of the hardening noise (tests, simulations). */
  seed?: number
}

export interface PredictOutcome {
  outputs: HardenedOutput[]
  /** The model's own probabilities (never returned to a client by the gateway; for captures and simulations). */
  raw: number[][]
  /** Per instance, when adversarial detection is on. */
  adversarial?: AdversarialVerdict[]
  /** The client's extraction status after the last instance, when detection is on. */
  extraction?: ExtractionStatus
}

export type PredictFn = (instances: FeatureInput[]) => Promise<ArrayLike<number>[]>

/** Float32 event ⇄ base64: [label, margin, nearest, kth, …x]. */
export function tabularCodec(profile: ShieldProfile, options: Partial<ExtractionOptions>): DetectorCodec<ExtractionDetector, QueryEvent, ExtractionStatus> {
  const dims = profile.encoder.dims
  const settings = { ...options, referenceSize: profile.index.count }
  return {
    kind: 'tabular',
    create: () => new ExtractionDetector(dims, profile.extraction, settings),
    apply: (d, e) => d.apply(e),
    encodeEvent: (e) => {
      const v = new Float32Array(4 + dims)
      v[0] = e.label
      v[1] = e.margin
      v[2] = e.nearest
      v[3] = e.kth
      v.set(e.x, 4)
      return Buffer.from(v.buffer).toString('base64')
    },
    decodeEvent: (text) => {
      const bytes = Buffer.from(text, 'base64')
      const v = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
      return { label: v[0] as number, margin: v[1] as number, nearest: v[2] as number, kth: v[3] as number, x: v.slice(4) }
    },
    snapshot: (d) => JSON.stringify(d.toJSON()),
    restore: (text) => ExtractionDetector.fromJSON(dims, profile.extraction, settings, JSON.parse(text) as ExtractionSnapshot),
  }
}

export class ProtectedModel {
  readonly hardener: OutputHardener
  readonly #codec: DetectorCodec<ExtractionDetector, QueryEvent, ExtractionStatus> | undefined

  constructor(
    readonly options: ProtectedModelOptions,
    private readonly model: PredictFn,
    private readonly state: ShieldStateStore,
  ) {
    this.hardener = new OutputHardener(options.hardening ?? {}, options.seed)
    const profile = options.profile
    const x = options.extraction ?? {}
    this.#codec =
      profile === undefined || x.enabled === false
        ? undefined
        : tabularCodec(profile, {
            ...(x.evidence === undefined ? {} : { evidence: x.evidence }),
            ...(x.slack === undefined ? {} : { slack: x.slack }),
            ...(x.window === undefined ? {} : { window: x.window }),
            ...(x.signals === undefined ? {} : { signals: x.signals }),
          })
  }

  get name(): string {
    return this.options.name
  }

  get detectsExtraction(): boolean {
    return this.#codec !== undefined
  }

  get detectsAdversarial(): boolean {
    return this.options.profile !== undefined && this.options.adversarial?.enabled !== false
  }

  /**
   * Answers a batch for one client: encodes and checks the inputs (RAMPART_ERR_INPUT_INVALID names
   * the bad feature), asks the model (and, with squeezing, again on the squeezed inputs), scores
   * each instance, records the queries in the client's extraction state, and hardens the answers.
   */
  async predict(client: Omit<ClientKey, 'model'>, instances: readonly FeatureInput[]): Promise<PredictOutcome> {
    const profile = this.options.profile
    const encoded = profile === undefined ? [] : instances.map((x, i) => profile.encoder.encode(x, undefined, instances.length === 1 ? 'features' : `instances.${i}`))
    const squeeze = profile !== undefined && this.detectsAdversarial && this.options.adversarial?.squeeze === true
    const squeezed = squeeze ? instances.map((x, i) => profile.adversarial.squeeze(x, encoded[i] as Float64Array)) : []
    const answers = await this.model([...instances, ...squeezed])
    const raw = answers.slice(0, instances.length).map((p) => Array.from(p))
    const outcome: PredictOutcome = { outputs: raw.map((p) => this.hardener.harden(p, this.options.classes)), raw }
    if (profile === undefined) return outcome
    if (this.detectsAdversarial) {
      outcome.adversarial = raw.map((p, i) => profile.adversarial.assess(encoded[i] as Float64Array, p, squeeze ? (answers[instances.length + i] as ArrayLike<number>) : undefined))
    }
    if (this.#codec !== undefined) {
      const events = instances.map((_, i): QueryEvent => {
        const x = Float32Array.from(encoded[i] as Float64Array)
        const p = raw[i] as number[]
        const nb = profile.index.neighbours(x, profile.extraction.k)
        return { x, label: argmaxOf(p), margin: Math.fround(marginOf(p)), nearest: Math.fround(nb.nearest), kth: Math.fround(nb.kth) }
      })
      const recorded = await this.state.recordMany({ ...client, model: this.name }, this.#codec, events)
      outcome.extraction = recorded.at(-1)?.status
      const history = profile.adversarial.calibration.history
      if (outcome.adversarial !== undefined && history !== undefined && this.options.adversarial?.history !== false) {
        outcome.adversarial = outcome.adversarial.map((verdict, i) => {
          const own = recorded[i]?.status.own
          return own === null || own === undefined ? verdict : withHistory(verdict, historyVerdict(history, own.nearest, own.among))
        })
      }
    }
    return outcome
  }
}
