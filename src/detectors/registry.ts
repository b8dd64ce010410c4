/**
 * The detector registry's library side: reading a model directory into a version record
 * (weights.bin, MODEL_CARD.md, metrics.json — the layout of models/injection/ and of
 * `rampart train injection --out DIR`), comparing two versions' metrics, and the watcher that
 * keeps a process scoring with the version active in the store.
 *
 * Activation reaches every gateway process by polling: each one reads the active activation
 * (one small indexed query) every `pollMs` (default 5 s) and, when it changed, loads that
 * version's weights from the store, checks their sha256 and swaps them in. A process therefore
 * picks up an activation made by any other process sharing the store within `pollMs` plus the
 * time to read ~0.3 MB; the process that made it (HTTP route) refreshes at once.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { RampartError } from '../core/errors.js'
import { weightsId } from '../store/learning-validate.js'
import type { DetectorActivation, DetectorRegistryStore, DetectorVersionRecord, DetectorVersionSummary } from '../store/types.js'
import { activeInjectionModel, loadInjectionWeights, shippedInjectionModel, type ActiveInjectionModel, type LoadedInjectionModel } from './injection/active-model.js'

/** The detectors the registry holds versions of (the one trained detector today). */
export const REGISTRY_DETECTORS = ['prompt_injection'] as const
export const INJECTION_DETECTOR = 'prompt_injection'

/** What `detectors list` shows for the shipped weights: they are the implicit version when nothing is activated. */
export const BUILTIN_VERSION = 'builtin'

function inputError(path: string, message: string, cause?: unknown): RampartError {
  return new RampartError('RAMPART_ERR_INPUT_INVALID', message, { path, ...(cause === undefined ? {} : { cause }) })
}

/**
 * Reads a model directory into a version record: the weights must decode as a prompt-injection
 * weights file, metrics.json must be a JSON object, MODEL_CARD.md must exist (a version nobody
 * can read about is not registered).
 */
export function readModelDir(dir: string, meta: { description?: string; by: string; at: string }, where = 'DIR'): DetectorVersionRecord {
  const abs = resolve(dir)
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw inputError(where, `${where}: ${dir} is not a directory (it holds weights.bin, MODEL_CARD.md and metrics.json, as models/injection/)`)
  const read = (name: string): Buffer => {
    try {
      return readFileSync(join(abs, name))
    } catch (cause) {
      throw inputError(where, `${where}: cannot read ${join(abs, name)} (a model directory holds weights.bin, MODEL_CARD.md and metrics.json): ${(cause as Error).message}`, cause)
    }
  }
  const bytes = read('weights.bin')
  const weights = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  try {
    loadInjectionWeights(weights)
  } catch (cause) {
    throw inputError(where, `${where}: ${join(abs, 'weights.bin')} is not a prompt-injection weights file: ${(cause as Error).message}`, cause)
  }
  const modelCard = read('MODEL_CARD.md').toString('utf8')
  let metrics: unknown
  try {
    metrics = JSON.parse(read('metrics.json').toString('utf8'))
  } catch (cause) {
    if (cause instanceof RampartError) throw cause
    throw inputError(where, `${where}: ${join(abs, 'metrics.json')} is not valid JSON: ${(cause as Error).message}`, cause)
  }
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) throw inputError(where, `${where}: ${join(abs, 'metrics.json')} must hold a JSON object`)
  const id = weightsId(weights)
  // `rampart train injection` records the weights' sha256 as `version`: metrics of other weights must not be registered with these.
  const claimed = (metrics as { version?: unknown }).version
  if (typeof claimed === 'string' && /^[0-9a-f]{64}$/.test(claimed) && claimed !== id) {
    throw inputError(where, `${where}: ${join(abs, 'metrics.json')} describes version ${claimed.slice(0, 12)} but weights.bin is ${id.slice(0, 12)}: the files come from different trainings`)
  }
  const heading = modelCard.split('\n').find((l) => l.startsWith('#'))?.replace(/^#+\s*/, '').trim()
  return {
    id,
    detector: INJECTION_DETECTOR,
    size: weights.byteLength,
    weights,
    modelCard,
    metrics: metrics as Record<string, unknown>,
    description: (meta.description ?? heading ?? '').slice(0, 500),
    createdAt: meta.at,
    createdBy: meta.by,
  }
}

/** The shipped weights as a version summary (models/injection/), for lists and comparisons. */
export function builtinSummary(): DetectorVersionSummary {
  const loaded = shippedInjectionModel()
  let metrics: Record<string, unknown> = {}
  try {
    metrics = JSON.parse(readFileSync(new URL('../../models/injection/metrics.json', import.meta.url), 'utf8')) as Record<string, unknown>
  } catch {
    // A build without the metrics file still lists the built-in version.
  }
  return { id: loaded.id, detector: INJECTION_DETECTOR, size: loaded.window.weights.length, metrics, description: 'shipped weights (models/injection/)', createdAt: '1970-01-01T00:00:00.000Z', createdBy: BUILTIN_VERSION }
}

/**
 * Resolves what a person typed (a full id, a unique prefix of at least 6 hex characters, or
 * `builtin`) to a version id, or null for the built-in weights.
 */
export function resolveVersionRef(ref: string, versions: readonly DetectorVersionSummary[], where = 'ID'): string | null {
  if (ref === BUILTIN_VERSION) return null
  if (!/^[0-9a-f]{6,64}$/.test(ref)) throw inputError(where, `${where}: give a version id (sha256 of the weights, or a unique prefix of at least 6 hex characters) or "builtin", got "${ref}"`)
  const matches = versions.filter((v) => v.id.startsWith(ref))
  if (matches.length === 0) {
    if (ref.length === 64 && ref === shippedInjectionModel().id) return null
    throw new RampartError('RAMPART_ERR_NOT_FOUND', `${where}: no registered prompt_injection version ${ref} (rampart detectors list)`, { path: where })
  }
  if (matches.length > 1) throw inputError(where, `${where}: ${ref} matches ${matches.length} versions; give more characters`)
  return matches[0]!.id
}

export interface MetricRow {
  /** Dotted path in metrics.json: `dev.ensemble.f1`. */
  metric: string
  a: number | undefined
  b: number | undefined
  /** b − a when both are numbers. */
  delta: number | undefined
}

/** Top-level parts of metrics.json that describe training rather than measure the model (shown with `all`). */
const SETTINGS = new Set(['data', 'chosen', 'grid', 'inputs', 'seed', 'comparison', 'reliabilityDev', 'hyperParametersFrom'])

function numericLeaves(value: unknown, prefix: string, out: Map<string, number>, all: boolean): void {
  if (typeof value === 'number' && Number.isFinite(value)) {
    out.set(prefix, value)
    return
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return
  for (const [key, child] of Object.entries(value)) {
    if (!all && (key === 'perSource' || (prefix === '' && SETTINGS.has(key)))) continue
    numericLeaves(child, prefix === '' ? key : `${prefix}.${key}`, out, all)
  }
}

interface Evaluated {
  comparison?: { current?: unknown; candidate?: unknown }
  parent?: unknown
}

/**
 * A version's own scanner-level figures (dev, dev mutation families, red-team corpus) as
 * `rampart train injection` recorded them (`comparison.candidate`); for a version without them
 * (the built-in one), the figures the other version's training measured on it when it was that
 * version's parent (`comparison.current`).
 */
function evaluated(self: { id: string; metrics: Record<string, unknown> }, other: { id: string; metrics: Record<string, unknown> }): unknown {
  const mine = (self.metrics as Evaluated).comparison?.candidate
  if (mine !== undefined) return mine
  const theirs = other.metrics as Evaluated
  return theirs.parent === self.id ? theirs.comparison?.current : undefined
}

/**
 * Two versions side by side: every figure of their metrics.json (`compareMetrics`) and, under
 * `evaluated.`, each one's scanner-level evaluation by `rampart train injection`.
 */
export function compareVersions(a: { id: string; metrics: Record<string, unknown> }, b: { id: string; metrics: Record<string, unknown> }, all = false): MetricRow[] {
  const withEvaluated = (x: typeof a, y: typeof a) => {
    const e = evaluated(x, y)
    return e === undefined ? x.metrics : { ...x.metrics, evaluated: e }
  }
  return compareMetrics(withEvaluated(a, b), withEvaluated(b, a), all)
}

/**
 * Every numeric figure of two metrics.json side by side (dev precision, recall, F1, FPR, hard
 * FPR, per-family recall, LOSO…), in A's order then B's extras. Without `all`, the training
 * settings (`chosen`, `data`), the threshold grid and per-source LOSO rows are left out.
 */
export function compareMetrics(a: Record<string, unknown>, b: Record<string, unknown>, all = false): MetricRow[] {
  const left = new Map<string, number>()
  const right = new Map<string, number>()
  numericLeaves(a, '', left, all)
  numericLeaves(b, '', right, all)
  const names = [...left.keys(), ...[...right.keys()].filter((k) => !left.has(k))]
  return names.map((metric) => {
    const x = left.get(metric)
    const y = right.get(metric)
    return { metric, a: x, b: y, delta: x !== undefined && y !== undefined ? y - x : undefined }
  })
}

export interface DetectorWatcherOptions {
  store: Pick<DetectorRegistryStore, 'getActiveDetector' | 'getDetectorVersion'>
  /** Where the loaded weights go (default: the process's active version). */
  target?: ActiveInjectionModel
  /** How often to read the active activation, ms (default 5 000). */
  pollMs?: number
  logger?: { info?: (obj: Record<string, unknown>, msg: string) => void; error: (obj: Record<string, unknown>, msg: string) => void }
}

/** Keeps a process's prompt_injection weights on the version active in the store (polling). */
export class DetectorWatcher {
  readonly #store: DetectorWatcherOptions['store']
  readonly #target: ActiveInjectionModel
  readonly #pollMs: number
  readonly #logger: DetectorWatcherOptions['logger']
  #seq: number | undefined
  #timer: NodeJS.Timeout | undefined
  #running: Promise<LoadedInjectionModel> | undefined

  constructor(options: DetectorWatcherOptions) {
    this.#store = options.store
    this.#target = options.target ?? activeInjectionModel
    this.#pollMs = options.pollMs ?? 5_000
    this.#logger = options.logger
  }

  /** The version in use now. */
  get current(): LoadedInjectionModel {
    return this.#target.current()
  }

  /** Reads the active activation and swaps the weights when it changed (one refresh at a time). */
  refresh(): Promise<LoadedInjectionModel> {
    this.#running ??= this.#refresh().finally(() => (this.#running = undefined))
    return this.#running
  }

  async #refresh(): Promise<LoadedInjectionModel> {
    const active: DetectorActivation | undefined = await this.#store.getActiveDetector(INJECTION_DETECTOR)
    const seq = active?.seq ?? 0
    if (seq === this.#seq) return this.#target.current()
    if (active === undefined || active.versionId === null) {
      this.#target.reset()
    } else {
      const version = await this.#store.getDetectorVersion(INJECTION_DETECTOR, active.versionId)
      if (version === undefined) throw new RampartError('RAMPART_ERR_STORE', `the active prompt_injection version ${active.versionId} is not in the registry`)
      if (weightsId(version.weights) !== version.id) throw new RampartError('RAMPART_ERR_STORE', `the stored weights of prompt_injection version ${version.id} do not match their sha256`)
      this.#target.set(loadInjectionWeights(version.weights))
    }
    this.#seq = seq
    const now = this.#target.current()
    this.#logger?.info?.({ detector: INJECTION_DETECTOR, version: now.builtin ? BUILTIN_VERSION : now.id, activation: seq }, 'detector version loaded')
    return now
  }

  /** Loads the active version, then polls; a failed poll keeps the weights in use and is logged. */
  async start(): Promise<void> {
    await this.refresh()
    this.#timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.#logger?.error({ err: (error as Error).message }, 'detector registry: could not load the active version; keeping the one in use'))
    }, this.#pollMs)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    await this.#running?.catch(() => undefined)
  }
}
