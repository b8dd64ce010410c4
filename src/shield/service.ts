/**
 * The shield inside the gateway: the configured models behind `/v1/models/{name}/predict`, the
 * chat proxy's extraction detection, and what a flag sets off — an alert through the gateway's
 * AlertService (stored, audited, sent to the webhooks like a guard alert) and the model's
 * reaction: `flag` (the alert only), `throttle` (the key is held to `throttlePerMinute` on that
 * model, counted by the gateway's rate limiter, so in Redis when replicas share one) or `block`
 * (the key is revoked, which every replica sees).
 */
import { Counter, type Registry } from 'prom-client'
import { RampartError } from '../core/errors.js'
import type { Finding, ScanResult } from '../core/types.js'
import type { CaptureInput, CapturedValue } from '../monitor/capture.js'
import type { AdversarialVerdict } from './adversarial.js'
import type { ChatExtractionConfig, ModelConfig, Reaction } from './config.js'
import type { ExtractionSignal } from './extraction.js'
import type { FeatureInput } from './features.js'
import { decodePromptEvent, encodePromptEvent, LlmExtractionDetector, promptEvent, type LlmExtractionOptions, type LlmSignal, type LlmSnapshot, type LlmStatus, type PromptEvent } from './llm-extraction.js'
import { ModelEndpoint } from './model-endpoint.js'
import { ShieldProfile } from './profile.js'
import { ProtectedModel } from './protected-model.js'
import { clientId, type ClientKey, type DetectorCodec, type ShieldStateStore } from './state.js'

/** Who is calling (the gateway's Principal). */
export interface ShieldClient {
  tenant: string
  keyId: string
}

export interface ShieldServiceDeps {
  state: ShieldStateStore
  alerts: { raise(input: { tenant: string; keyId: string | null; requestId: string; direction: 'input' | 'output'; source: string; text: string; result: ScanResult }): Promise<{ id: string } | undefined> }
  audit: { append(input: { actor: string; tenant: string; action: string; target: string; detail: Record<string, unknown> }): Promise<void> }
  keys: { revokeKey(id: string, at: string): Promise<boolean> }
  /** Drops a revoked key from the authenticator's cache on this replica. */
  forgetKey?: (keyId: string) => void
  limiter?: { consume(key: string, opts: { limitPerMinute: number; dailyQuota: number | null }): Promise<{ allowed: boolean; retryAfterSeconds?: number; resetMs: number }> }
  /** Inference capture for the monitor (sampled). */
  capture?: { sampled(): boolean; captureInBackground(tenant: string, record: CaptureInput): void }
  registry?: Registry
  /** Builds the model client (tests substitute the function; default: HTTP). */
  predictFor?: (model: ModelConfig) => (instances: FeatureInput[]) => Promise<number[][]>
}

export interface PredictResponse {
  predictions: { label: string; probabilities?: Record<string, number> }[]
  rampart: { model: string; adversarial?: { flagged: boolean; score: number; pValue: number }[] }
}

/** A RampartError with the seconds a throttled client should wait (the route sets `retry-after`). */
export type ThrottleError = RampartError & { retryAfterSeconds?: number }

interface ModelEntry {
  config: ModelConfig
  model: ProtectedModel
  endpoint?: ModelEndpoint
}

function llmCodec(options: Partial<LlmExtractionOptions>): DetectorCodec<LlmExtractionDetector, PromptEvent, LlmStatus> {
  return {
    kind: 'llm',
    create: () => new LlmExtractionDetector(options),
    apply: (d, e) => d.apply(e),
    encodeEvent: encodePromptEvent,
    decodeEvent: decodePromptEvent,
    snapshot: (d) => JSON.stringify(d.toJSON()),
    restore: (text) => LlmExtractionDetector.fromJSON(options, JSON.parse(text) as LlmSnapshot),
  }
}

export class ShieldService {
  readonly #models = new Map<string, ModelEntry>()
  readonly #chat: { config: ChatExtractionConfig; codec: DetectorCodec<LlmExtractionDetector, PromptEvent, LlmStatus> } | undefined
  /** Client id → flag detail (known flagged), or the time until which "not flagged" is trusted. */
  readonly #flags = new Map<string, { detail?: Record<string, unknown>; until: number }>()
  readonly #metrics: { queries: Counter; flags: Counter; adversarial: Counter } | undefined

  constructor(
    models: readonly ModelConfig[],
    chat: ChatExtractionConfig | undefined,
    private readonly deps: ShieldServiceDeps,
  ) {
    for (const config of models) {
      const profile = config.profile === undefined ? undefined : ShieldProfile.load(config.profile)
      let endpoint: ModelEndpoint | undefined
      let predict = deps.predictFor?.(config)
      if (predict === undefined) {
        endpoint = new ModelEndpoint({ name: config.name, url: config.url, apiKey: config.apiKey, timeoutMs: config.timeoutMs, classes: config.classes })
        predict = (instances) => endpoint!.predict(instances)
      }
      const model = new ProtectedModel(
        {
          name: config.name,
          classes: config.classes,
          profile,
          hardening: config.hardening,
          extraction: { ...config.extraction, signals: config.extraction.signals as ExtractionSignal[] | undefined },
          adversarial: config.adversarial,
        },
        predict,
        deps.state,
      )
      this.#models.set(config.name, { config, model, ...(endpoint === undefined ? {} : { endpoint }) })
    }
    if (chat !== undefined && chat.enabled) {
      const options: Partial<LlmExtractionOptions> = {
        ...(chat.signals === undefined ? {} : { signals: chat.signals as LlmSignal[] }),
        ...(chat.minTemplated === undefined ? {} : { minTemplated: chat.minTemplated }),
        ...(chat.minSystemPromptAttempts === undefined ? {} : { minSystemPromptAttempts: chat.minSystemPromptAttempts }),
        ...(chat.minMemorizationProbes === undefined ? {} : { minMemorizationProbes: chat.minMemorizationProbes }),
        ...(chat.window === undefined ? {} : { window: chat.window }),
      }
      this.#chat = { config: chat, codec: llmCodec(options) }
    }
    if (deps.registry !== undefined) {
      const registers = [deps.registry]
      this.#metrics = {
        queries: new Counter({ name: 'rampart_shield_queries_total', help: 'Queries seen by the model shield, by model (chat for the proxy).', labelNames: ['model'], registers }),
        flags: new Counter({ name: 'rampart_shield_flags_total', help: 'Clients flagged for model extraction, by model, signal and reaction.', labelNames: ['model', 'signal', 'action'], registers }),
        adversarial: new Counter({ name: 'rampart_shield_adversarial_total', help: 'Predict inputs scored for adversarial detection, by model and verdict.', labelNames: ['model', 'flagged'], registers }),
      }
    }
  }

  get models(): string[] {
    return [...this.#models.keys()]
  }

  hasModel(name: string): boolean {
    return this.#models.has(name)
  }

  /** Refuses a flagged client before any work, as its model's reaction says. */
  async #gate(client: ShieldClient, model: string, reaction: { action: Reaction; throttlePerMinute: number }): Promise<void> {
    if (reaction.action === 'flag') return
    const key: ClientKey = { ...client, model }
    const id = clientId(key)
    const now = Date.now()
    let known = this.#flags.get(id)
    if (known === undefined || (known.detail === undefined && known.until < now)) {
      const detail = await this.deps.state.flagOf(key)
      known = detail === undefined ? { until: now + 2_000 } : { detail, until: Infinity }
      this.#remember(id, known)
    }
    if (known.detail === undefined) return
    if (reaction.action === 'block') {
      throw new RampartError('RAMPART_ERR_FORBIDDEN', `API key ${client.keyId} is blocked on ${model}: the model shield flagged it for model extraction`, { path: 'authorization' })
    }
    const verdict = await this.deps.limiter?.consume(`shield:${id}`, { limitPerMinute: reaction.throttlePerMinute, dailyQuota: null })
    if (verdict !== undefined && !verdict.allowed) {
      const retry = verdict.retryAfterSeconds ?? Math.ceil(verdict.resetMs / 1000)
      const error: ThrottleError = new RampartError('RAMPART_ERR_RATE_LIMITED', `API key ${client.keyId} is throttled to ${reaction.throttlePerMinute} requests per minute on ${model} (model shield); retry in ${retry} s`, { path: 'rate' })
      error.retryAfterSeconds = retry
      throw error
    }
  }

  #remember(id: string, value: { detail?: Record<string, unknown>; until: number }): void {
    if (this.#flags.size >= 100_000) this.#flags.delete(this.#flags.keys().next().value as string)
    this.#flags.set(id, value)
  }

  /**
   * Raises the alert and applies the reaction, once per client across replicas. Returns true when
   * the current request must be refused (block).
   */
  async #flagged(client: ShieldClient, requestId: string, model: string, reaction: { action: Reaction }, finding: Omit<Finding, 'scanner' | 'action' | 'score'>, summary: string): Promise<boolean> {
    const key: ClientKey = { ...client, model }
    const id = clientId(key)
    // Known flagged here already: the alert and reaction happened (on this replica or another).
    if (this.#flags.get(id)?.detail !== undefined) return reaction.action === 'block'
    const detail = { model, action: reaction.action, ...(finding.detail ?? {}), at: new Date().toISOString() }
    this.#remember(id, { detail, until: Infinity })
    if (!(await this.deps.state.claimFlag(key, detail))) return reaction.action === 'block'
    const action = reaction.action === 'block' ? 'block' : 'flag'
    const findings: Finding[] = [{ scanner: 'shield', action, score: 1, ...finding }]
    await this.deps.alerts.raise({ tenant: client.tenant, keyId: client.keyId, requestId, direction: 'input', source: 'shield', text: summary, result: { decision: action, text: summary, findings, latencyMs: 0 } })
    this.#metrics?.flags.inc({ model: model.startsWith('chat:') ? 'chat' : model, signal: String(finding.detail?.signal ?? finding.type), action: reaction.action })
    await this.deps.audit.append({ actor: 'shield', tenant: client.tenant, action: 'shield.flag', target: client.keyId, detail: { model, reaction: reaction.action, ...(finding.detail ?? {}) } })
    if (reaction.action === 'block') {
      const revoked = await this.deps.keys.revokeKey(client.keyId, new Date().toISOString())
      this.deps.forgetKey?.(client.keyId)
      if (revoked) await this.deps.audit.append({ actor: 'shield', tenant: client.tenant, action: 'key.revoke', target: client.keyId, detail: { reason: 'model extraction', model } })
      return true
    }
    return false
  }

  /** `POST /v1/models/{name}/predict`. */
  async predict(client: ShieldClient, requestId: string, name: string, instances: readonly FeatureInput[]): Promise<PredictResponse> {
    const entry = this.#models.get(name)
    if (entry === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no model ${name} (configured: ${this.models.join(', ') || 'none'})`, { path: 'name' })
    const { config, model } = entry
    if (instances.length === 0 || instances.length > config.maxBatch) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `body.instances: send 1 to ${config.maxBatch} instances, got ${instances.length}`, { path: 'body.instances' })
    }
    await this.#gate(client, name, config.extraction)
    const outcome = await model.predict(client, instances)
    this.#metrics?.queries.inc({ model: name }, instances.length)
    for (const v of outcome.adversarial ?? []) this.#metrics?.adversarial.inc({ model: name, flagged: String(v.flagged) })
    const flag = outcome.extraction?.flag ?? null
    if (flag !== null && config.extraction.enabled) {
      const summary = `model ${name}: key ${client.keyId} flagged for model extraction by the ${flag.signal} test after ${flag.at} queries (evidence ${flag.evidence})`
      const refuse = await this.#flagged(client, requestId, name, config.extraction, { type: 'MODEL_EXTRACTION', detail: { signal: flag.signal, queries: flag.at, evidence: flag.evidence } }, summary)
      if (refuse) throw new RampartError('RAMPART_ERR_FORBIDDEN', `API key ${client.keyId} is blocked on ${name}: the model shield flagged it for model extraction`, { path: 'authorization' })
    }
    const adversarial = outcome.adversarial?.map((v: AdversarialVerdict) => ({ flagged: v.flagged, score: round(v.score), pValue: round(v.pValue) }))
    if (this.deps.capture?.sampled() === true) {
      outcome.outputs.forEach((output, i) => {
        const a = adversarial?.[i]
        this.deps.capture!.captureInBackground(client.tenant, {
          inferenceId: instances.length === 1 ? requestId : `${requestId}:${i}`,
          modelId: name,
          input: instances[i] as CapturedValue,
          output: { ...output, ...(a === undefined ? {} : { adversarial: a }) },
          ...(a === undefined ? {} : { guard: { decision: a.flagged ? 'flag' : 'allow', flagged: a.flagged, scores: { adversarial: round(1 - a.pValue) } } }),
        })
      })
    }
    return { predictions: outcome.outputs, rampart: { model: name, ...(adversarial === undefined ? {} : { adversarial }) } }
  }

  /**
   * The chat proxy's extraction detection: one event per request (its last user message, and
   * whether the guard saw a system-prompt extraction attempt in it). Throws when the client is
   * throttled or blocked; raises the alert when it is first flagged.
   */
  async observeChat(client: ShieldClient, requestId: string, chatModel: string, prompt: string, inputFindings: readonly Finding[]): Promise<void> {
    const chat = this.#chat
    if (chat === undefined || prompt === '') return
    const model = `chat:${chatModel}`
    await this.#gate(client, model, chat.config)
    const extraction = inputFindings.some((f) => f.type === 'SYSTEM_PROMPT_EXTRACTION')
    const { status } = await this.deps.state.record({ ...client, model }, chat.codec, promptEvent(prompt, extraction))
    this.#metrics?.queries.inc({ model: 'chat' })
    if (status.flag === null) return
    const summary = `chat model ${chatModel}: key ${client.keyId} flagged for extraction (${status.flag.signal}: ${status.flag.count} of its recent prompts, after ${status.flag.at})`
    const refuse = await this.#flagged(client, requestId, model, chat.config, { type: 'LLM_EXTRACTION', detail: { signal: status.flag.signal, prompts: status.flag.at, count: status.flag.count } }, summary)
    if (refuse) throw new RampartError('RAMPART_ERR_FORBIDDEN', `API key ${client.keyId} is blocked on ${chatModel}: the model shield flagged it for extraction`, { path: 'authorization' })
  }

  async close(): Promise<void> {
    await Promise.all([...this.#models.values()].map((m) => m.endpoint?.close()))
    await this.deps.state.close()
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000
}
