/**
 * Inference capture: sampled requests and responses of a model, stored sealed per record (the
 * envelope's aad binds each payload to its tenant and inference id, so a row copied to another
 * tenant or id does not open), and ground-truth labels joined to them later by inference id.
 * The gateway's proxy, `POST /v1/monitor/capture` and library callers all come through here.
 */
import { randomUUID } from 'node:crypto'
import { RampartError } from '../core/errors.js'
import type { Action, ScanContext } from '../core/types.js'
import type { CaptureRecord, CaptureStore, LabelledCapture } from '../store/types.js'

/** What capture needs of `crypto/envelope.ts`'s Envelope. */
export interface CaptureSealer {
  seal(plaintext: string, aad: string): Promise<string>
  open(sealed: string, aad: string): Promise<string>
}

/** The guard's verdict on a proxied exchange, kept so checks can follow its signals over time. */
export interface GuardSignals {
  decision: string
  flagged: boolean
  /** Highest score per scanner among the findings, 0..1. */
  scores: Record<string, number>
  /** Strongest action per scanner among the findings that were not `allow` (replay compares it per scanner); absent in older captures. */
  actions?: Record<string, Action>
  /** Wall time of the scan, ms, when one scan made the verdict (guard API captures). */
  latencyMs?: number
}

const RANK: Record<Action, number> = { allow: 0, flag: 1, redact: 2, block: 3 }

/** The guard's signals of a verdict: decision, whether it was flagged, the top score and the strongest action per scanner. */
export function guardSignals(decision: string, findings: readonly { scanner: string; score: number; action?: Action }[], latencyMs?: number): GuardSignals {
  const scores: Record<string, number> = {}
  const actions: Record<string, Action> = {}
  for (const f of findings) {
    scores[f.scanner] = Math.max(scores[f.scanner] ?? 0, f.score)
    if (f.action !== undefined && f.action !== 'allow' && RANK[f.action] > RANK[actions[f.scanner] ?? 'allow']) actions[f.scanner] = f.action
  }
  return { decision, flagged: decision !== 'allow', scores, actions, ...(latencyMs === undefined ? {} : { latencyMs }) }
}

export type CapturedValue = string | number | boolean | null | Record<string, unknown> | unknown[]

export interface CaptureInput {
  /** Your id for the inference, to send ground truth for it later; a UUID when absent. */
  inferenceId?: string
  modelId: string
  /** The model's input: a feature object (tabular) or a text (LLM). */
  input: CapturedValue
  output: CapturedValue
  /** When the inference happened (ISO-8601); now when absent. */
  at?: string
  guard?: GuardSignals
  /** The scan context of a guard API call (system prompt, canaries…), so a replay scans the output as the gateway did. */
  context?: ScanContext
  /** A shadow disagreement's candidate verdict (gateway/shadow.ts); `guard` is then the enforced one. */
  shadow?: GuardSignals
}

/** A capture opened: what `CaptureInput` stored, with its label when one arrived. */
export interface OpenedCapture {
  inferenceId: string
  modelId: string
  at: string
  receivedAt: string
  source: string
  input: CapturedValue
  output: CapturedValue
  guard?: GuardSignals
  context?: ScanContext
  shadow?: GuardSignals
  /** True when ground truth arrived for this inference. */
  labelled: boolean
  label?: CapturedValue
}

export interface GroundTruthInput {
  inferenceId: string
  label: CapturedValue
}

export function captureAad(tenant: string, inferenceId: string): string {
  return `capture:${tenant}:${inferenceId}`
}

export function labelAad(tenant: string, inferenceId: string): string {
  return `ground-truth:${tenant}:${inferenceId}`
}

const INFERENCE_ID = /^[A-Za-z0-9._:@/+=-]{1,200}$/

function invalid(path: string, message: string): RampartError {
  return new RampartError('RAMPART_ERR_INPUT_INVALID', `${path}: ${message}`, { path })
}

function checkInferenceId(id: unknown, path: string): string {
  if (typeof id !== 'string' || !INFERENCE_ID.test(id)) throw invalid(path, 'must be 1-200 characters of letters, digits and . _ : @ / + = -')
  return id
}

export class CaptureService {
  readonly #store: CaptureStore
  readonly #sealer: CaptureSealer
  readonly #now: () => number

  constructor(deps: { store: CaptureStore; sealer: CaptureSealer; now?: () => number }) {
    this.#store = deps.store
    this.#sealer = deps.sealer
    this.#now = deps.now ?? Date.now
  }

  /**
   * Seals and stores one inference of `tenant`. Returns its inference id and whether it was new
   * (a retried capture with the same id changes nothing).
   */
  async capture(tenant: string, record: CaptureInput, source = 'library'): Promise<{ inferenceId: string; stored: boolean }> {
    const row = await this.#seal(tenant, record, source, new Date(this.#now()).toISOString(), 'record')
    return { inferenceId: row.inferenceId, stored: await this.#store.insertCapture(row) }
  }

  /**
   * `capture` for many records (up to 1,000) in one store transaction — one disk sync instead of
   * one per record. A malformed record fails the whole call before anything is stored.
   */
  async captureMany(tenant: string, records: readonly CaptureInput[], source = 'library'): Promise<{ inferenceId: string; stored: boolean }[]> {
    const receivedAt = new Date(this.#now()).toISOString()
    const rows = await Promise.all(records.map((record, i) => this.#seal(tenant, record, source, receivedAt, `records[${i}]`)))
    const stored = await this.#store.insertCaptures(rows)
    return rows.map((r, i) => ({ inferenceId: r.inferenceId, stored: stored[i] === true }))
  }

  async #seal(tenant: string, record: CaptureInput, source: string, receivedAt: string, path: string): Promise<CaptureRecord> {
    if (typeof record !== 'object' || record === null) throw invalid(path, 'must be an object')
    const inferenceId = record.inferenceId === undefined ? randomUUID() : checkInferenceId(record.inferenceId, `${path}.inferenceId`)
    if (typeof record.modelId !== 'string' || record.modelId.length === 0 || record.modelId.length > 200) throw invalid(`${path}.modelId`, 'must be a string of 1-200 characters')
    if (record.input === undefined) throw invalid(`${path}.input`, 'is required')
    if (record.output === undefined) throw invalid(`${path}.output`, 'is required')
    const payload = JSON.stringify({
      input: record.input,
      output: record.output,
      ...(record.guard === undefined ? {} : { guard: record.guard }),
      ...(record.context === undefined ? {} : { context: record.context }),
      ...(record.shadow === undefined ? {} : { shadow: record.shadow }),
    })
    return { tenant, inferenceId, modelId: record.modelId, at: record.at ?? receivedAt, receivedAt, source, payload: await this.#sealer.seal(payload, captureAad(tenant, inferenceId)) }
  }

  /** Stores ground-truth labels (sealed); returns how many were accepted and how many match a capture. */
  async groundTruth(tenant: string, labels: readonly GroundTruthInput[]): Promise<{ accepted: number; matched: number }> {
    const receivedAt = new Date(this.#now()).toISOString()
    const records = await Promise.all(
      labels.map(async (l, i) => {
        const inferenceId = checkInferenceId(l?.inferenceId, `labels[${i}].inferenceId`)
        if (l.label === undefined) throw invalid(`labels[${i}].label`, 'is required')
        return { tenant, inferenceId, receivedAt, label: await this.#sealer.seal(JSON.stringify(l.label), labelAad(tenant, inferenceId)) }
      }),
    )
    const matched = records.length === 0 ? 0 : await this.#store.putGroundTruth(records)
    return { accepted: records.length, matched }
  }

  async open(record: LabelledCapture): Promise<OpenedCapture> {
    const body = JSON.parse(await this.#sealer.open(record.payload, captureAad(record.tenant, record.inferenceId))) as Pick<OpenedCapture, 'input' | 'output' | 'guard' | 'context' | 'shadow'>
    const opened: OpenedCapture = {
      inferenceId: record.inferenceId,
      modelId: record.modelId,
      at: record.at,
      receivedAt: record.receivedAt,
      source: record.source,
      input: body.input,
      output: body.output,
      ...(body.guard === undefined ? {} : { guard: body.guard }),
      ...(body.context === undefined ? {} : { context: body.context }),
      ...(body.shadow === undefined ? {} : { shadow: body.shadow }),
      labelled: record.label !== null,
    }
    if (record.label !== null) opened.label = JSON.parse(await this.#sealer.open(record.label, labelAad(record.tenant, record.inferenceId))) as CapturedValue
    return opened
  }

  /** The captures of one model received in [since, until), oldest first, opened; paged from the store. */
  async *window(tenant: string, modelId: string, since: string, until: string, pageSize = 500): AsyncGenerator<OpenedCapture> {
    let cursor: string | undefined
    do {
      const page = await this.#store.listCaptures({ tenant, modelId, receivedSince: since, receivedUntil: until, limit: pageSize, ...(cursor === undefined ? {} : { cursor }) })
      for (const record of page.items) yield await this.open(record)
      cursor = page.nextCursor
    } while (cursor !== undefined)
  }
}

export interface RowOptions {
  /** Column the label goes to (default `ground_truth`). */
  groundTruthColumn?: string
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * A capture as one row for the checks: a feature object's fields become columns (a text input
 * becomes the `input` column); an object output's fields too (prefixed `output.` where they would
 * overwrite an input column), a scalar or text output is `output`; the label, when it arrived,
 * is `ground_truth`; guard signals are `guard.decision`, `guard.flagged` and
 * `guard.<scanner>.score` (named so the checks find the injection score). Ids and times are left out: they are not features.
 */
export function captureToRow(capture: OpenedCapture, options: RowOptions = {}): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  if (isPlainObject(capture.input)) Object.assign(row, capture.input)
  else row.input = capture.input
  if (isPlainObject(capture.output)) {
    for (const [k, v] of Object.entries(capture.output)) row[k in row ? `output.${k}` : k] = v
  } else {
    row[('output' in row ? 'output.output' : 'output')] = capture.output
  }
  if (capture.guard !== undefined) {
    row['guard.decision'] = capture.guard.decision
    row['guard.flagged'] = capture.guard.flagged
    for (const [scanner, score] of Object.entries(capture.guard.scores)) row[`guard.${scanner}.score`] = score
  }
  if (capture.labelled) row[options.groundTruthColumn ?? 'ground_truth'] = capture.label
  return row
}
