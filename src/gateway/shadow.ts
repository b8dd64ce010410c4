/**
 * Shadow mode: a candidate policy (and/or prompt-injection model) scans every guarded text beside
 * the active one and is never enforced. The candidate is, per tenant: the tenant's stored shadow
 * version (`PUT /v1/shadow/policy`), else the gateway's `shadowPolicy` file, else (with only
 * `shadowDetector`) the tenant's active policy — each with the `shadowDetector` weights when set. Disagreements are logged, counted in Prometheus and
 * stored sealed (as captures of model `rampart-shadow`: same envelope, aad, paging and retention
 * as every capture) so `GET /v1/shadow` and `rampart replay --shadow` can list them.
 *
 * Latency: the enforced path only pushes the text on a bounded in-memory queue. Scanning starts
 * on `setImmediate`, i.e. after the route's handler has returned and its response has been
 * written, and the worker yields to the event loop between texts, so a request waits at most for
 * the one shadow scan in progress, never for the queue (docs/replay.md has the measured cost).
 * When the queue is full (the candidate is slower than the traffic) a text is
 * dropped and counted (`rampart_shadow_dropped_total`) rather than buffered without bound: shadow
 * results are a sample under overload, never a cause of it. Queued texts are lost on a crash or
 * restart (they are not the record of anything enforced).
 */
import type { Registry } from 'prom-client'
import { Counter, Gauge } from 'prom-client'
import { RampartError } from '../core/errors.js'
import { loadPolicyFile, parsePolicy, type Policy } from '../core/policy.js'
import type { ScannerRegistry } from '../core/registry.js'
import type { Action, Direction, ScanContext, ScanResult } from '../core/types.js'
import { createGuard, type Guard } from '../guard.js'
import { guardSignals, type CaptureService } from '../monitor/capture.js'
import { loadDetectorDir, policyWithDetector, type DetectorDir } from '../replay/detector.js'
import { actionsOf, changesBetween } from '../replay/replay.js'
import { SHADOW_MODEL_ID } from '../replay/source.js'
import { builtinRegistry } from '../scanners/index.js'

export interface ShadowLogger {
  warn(obj: Record<string, unknown>, msg: string): void
  error(obj: Record<string, unknown>, msg: string): void
}

/** One guarded text and the verdict that was enforced on it. */
export interface ShadowJob {
  tenant: string
  requestId: string
  direction: Direction
  text: string
  context?: ScanContext
  /** The guard that made the enforced verdict (a detector-only shadow runs its policy with the candidate model). */
  active: Guard
  result: Pick<ScanResult, 'decision' | 'findings' | 'latencyMs'>
}

/** What shadow mode runs: a policy file, a model directory, or both. */
export interface ShadowCandidate {
  policyFile?: string
  detectorDir?: string
}

export interface ShadowStatus {
  /** Whether texts of this tenant are scanned in shadow. */
  enabled: boolean
  /** The gateway-wide candidate (policy file, model directory); empty when none is configured. */
  candidate: Record<string, unknown>
  /** The tenant's stored shadow version, when it set one (it takes precedence over the policy file). */
  tenantVersion?: number
  queued: number
  maxQueue: number
}

/** A tenant's stored shadow version, compiled. */
export interface TenantCandidate {
  version: number
  guard: Guard
}
export type TenantShadow = (tenant: string) => Promise<TenantCandidate | undefined>

export interface ShadowDeps {
  /** Where disagreements are stored (the monitor's capture service: sealed, paged, pruned with captures). */
  captures: Pick<CaptureService, 'capture'>
  /** The gateway's Prometheus registry. */
  registry: Registry
  logger?: ShadowLogger | undefined
  /** Texts waiting at most (default 1,000). */
  maxQueue?: number
  scanners?: ScannerRegistry
  /** Tenants' stored shadow versions (PUT /v1/shadow/policy); none when absent. */
  tenantShadow?: TenantShadow | undefined
}

/** How long a tenant's shadow version is trusted before the store is asked again (bounds how long a change on another replica takes). */
const TENANT_TTL_MS = 5_000

/** Disagreement kinds in the metrics: the decision changed (new/lost block…), or only some scanner's action did. */
function disagreementKinds(active: Action, candidate: Action, activeActions: Record<string, Action>, candidateActions: Record<string, Action>): string[] {
  const kinds: string[] = changesBetween(active, candidate)
  if (kinds.length > 0) return kinds
  const ids = new Set([...Object.keys(activeActions), ...Object.keys(candidateActions)])
  for (const id of ids) if ((activeActions[id] ?? 'allow') !== (candidateActions[id] ?? 'allow')) return ['scanners']
  return []
}

export class ShadowService {
  readonly candidate: Record<string, unknown>
  readonly #policy: Promise<Guard> | undefined
  readonly #detector: DetectorDir | undefined
  readonly #registry: ScannerRegistry
  readonly #byActive = new WeakMap<Guard, Promise<Guard>>()
  readonly #tenantShadow: TenantShadow | undefined
  /** Per tenant: the lookup, when it was made, and (once settled) its answer — null for "no shadow version". */
  readonly #tenants = new Map<string, { at: number; value: Promise<TenantCandidate | undefined>; known?: TenantCandidate | null }>()
  readonly #captures: Pick<CaptureService, 'capture'>
  readonly #logger: ShadowLogger | undefined
  readonly #maxQueue: number
  readonly #queue: ShadowJob[] = []
  #running = false
  #seq = 0
  #idle: (() => void)[] = []
  readonly #decisions: Counter<'direction' | 'active' | 'candidate'>
  readonly #disagreements: Counter<'kind'>
  readonly #dropped: Counter
  readonly #errors: Counter

  private constructor(
    candidate: Record<string, unknown>,
    policy: Policy | undefined,
    detector: DetectorDir | undefined,
    deps: ShadowDeps & { maxQueue: number },
  ) {
    this.candidate = candidate
    this.#tenantShadow = deps.tenantShadow
    this.#registry = deps.scanners ?? builtinRegistry()
    this.#detector = detector
    this.#policy = policy === undefined ? undefined : createGuard({ policy, registry: this.#registry })
    this.#captures = deps.captures
    this.#logger = deps.logger
    this.#maxQueue = deps.maxQueue
    const registers = [deps.registry]
    this.#decisions = new Counter({ name: 'rampart_shadow_decisions_total', help: 'Texts scanned in shadow, by direction, enforced (active) decision and shadow (candidate) decision.', labelNames: ['direction', 'active', 'candidate'], registers })
    this.#disagreements = new Counter({ name: 'rampart_shadow_disagreements_total', help: 'Texts where the shadow candidate disagreed with the enforced verdict, by kind (newBlocks, lostBlocks, newRedactions, lostRedactions, newFlags, lostFlags; scanners: same decision, some scanner changed).', labelNames: ['kind'], registers })
    this.#dropped = new Counter({ name: 'rampart_shadow_dropped_total', help: 'Texts not scanned in shadow because its queue was full.', registers })
    this.#errors = new Counter({ name: 'rampart_shadow_errors_total', help: 'Shadow scans or stores that failed (logged).', registers })
    const queue = this.#queue
    // Read at scrape time.
    new Gauge({
      name: 'rampart_shadow_queue',
      help: 'Texts waiting for the shadow scanner.',
      registers,
      collect() {
        this.set(queue.length)
      },
    })
  }

  /** Builds the shadow candidate (validating the policy file and the model directory now, so a bad one stops the start). */
  static async create(
    candidate: ShadowCandidate,
    deps: ShadowDeps,
  ): Promise<ShadowService> {
    if (candidate.policyFile === undefined && candidate.detectorDir === undefined && deps.tenantShadow === undefined) {
      throw new RampartError('RAMPART_ERR_CONFIG_INVALID', 'shadow mode needs shadowPolicy, shadowDetector or tenant shadow versions', { path: 'config.shadowPolicy' })
    }
    const scanners = deps.scanners ?? builtinRegistry()
    const detector = candidate.detectorDir === undefined ? undefined : loadDetectorDir(candidate.detectorDir, 'config.shadowDetector')
    let policy: Policy | undefined
    if (candidate.policyFile !== undefined) {
      policy = loadPolicyFile(candidate.policyFile, scanners)
      if (detector !== undefined) policy = parsePolicy(policyWithDetector(policy, detector, 'config.shadowDetector'), scanners, 'policy')
    }
    const meta: Record<string, unknown> = {
      ...(policy === undefined ? {} : { policy: { name: policy.name, file: candidate.policyFile } }),
      ...(detector === undefined ? {} : { detector: { dir: detector.dir, ...(detector.card === undefined ? {} : { card: detector.card }) } }),
    }
    const service = new ShadowService(meta, policy, detector, { ...deps, maxQueue: deps.maxQueue ?? 1_000, scanners })
    await service.#policy
    return service
  }

  /** Whether a gateway-wide candidate is configured (every tenant is shadowed). */
  get #everyTenant(): boolean {
    return this.#policy !== undefined || this.#detector !== undefined
  }

  async status(tenant: string): Promise<ShadowStatus> {
    const own = await this.#tenantCandidate(tenant)
    return {
      enabled: this.#everyTenant || own !== undefined,
      candidate: this.candidate,
      ...(own === undefined ? {} : { tenantVersion: own.version }),
      queued: this.#queue.length,
      maxQueue: this.#maxQueue,
    }
  }

  /** Forgets the tenant's shadow version so the next text reads it again (after a change here). */
  invalidate(tenant: string): void {
    this.#tenants.delete(tenant)
  }

  /** The tenant's stored shadow version, read at most every 5 s. */
  #tenantCandidate(tenant: string): Promise<TenantCandidate | undefined> {
    if (this.#tenantShadow === undefined) return Promise.resolve(undefined)
    const now = Date.now()
    const hit = this.#tenants.get(tenant)
    if (hit !== undefined && now - hit.at < TENANT_TTL_MS) return hit.value
    const entry: { at: number; value: Promise<TenantCandidate | undefined>; known?: TenantCandidate | null } = { at: now, value: this.#tenantShadow(tenant) }
    entry.value.then(
      (v) => (entry.known = v ?? null),
      () => this.#tenants.delete(tenant),
    )
    this.#tenants.set(tenant, entry)
    return entry.value
  }

  /** Queues a guarded text for the shadow candidate; never throws, never waits. */
  observe(job: ShadowJob): void {
    if (!this.#everyTenant) {
      // Only tenants with a stored shadow version are shadowed: skip the others without queueing.
      const hit = this.#tenants.get(job.tenant)
      if (hit !== undefined && hit.known === null && Date.now() - hit.at < TENANT_TTL_MS) return
    }
    if (this.#queue.length >= this.#maxQueue) {
      this.#dropped.inc()
      return
    }
    this.#queue.push(job)
    if (!this.#running) {
      this.#running = true
      setImmediate(() => void this.#drain())
    }
  }

  /** Resolves when every queued text has been scanned and stored (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** The candidate guard for a tenant's texts the `active` guard decided; undefined when the tenant is not shadowed. */
  async #candidateFor(tenant: string, active: Guard): Promise<Guard | undefined> {
    const own = await this.#tenantCandidate(tenant)
    if (own !== undefined) return this.#detector === undefined ? own.guard : this.#withDetector(own.guard)
    if (this.#policy !== undefined) return this.#policy
    if (this.#detector === undefined) return undefined
    return this.#withDetector(active)
  }

  /** `base`'s policy with the candidate model's weights (compiled once per guard). */
  #withDetector(active: Guard): Promise<Guard> {
    let g = this.#byActive.get(active)
    if (g === undefined) {
      // A model directory alone: the active policy (per tenant, per version) with the candidate weights.
      let policy: unknown
      try {
        policy = policyWithDetector(active.policy, this.#detector!, 'config.shadowDetector')
      } catch (error) {
        // This policy reads no model weights (prompt_injection off, or its heuristic detector): the
        // candidate is the active guard itself, so it never disagrees. Said once per policy, not per text.
        this.#logger?.warn({ policy: active.policy.name, err: (error as Error).message }, 'shadow: the active policy does not use the candidate model')
        policy = undefined
      }
      g = policy === undefined ? Promise.resolve(active) : createGuard({ policy: parsePolicy(policy, this.#registry, 'policy'), registry: this.#registry })
      this.#byActive.set(active, g)
    }
    return g
  }

  async #drain(): Promise<void> {
    try {
      for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
        try {
          await this.#process(job)
        } catch (error) {
          this.#errors.inc()
          this.#logger?.error({ err: (error as Error).message, requestId: job.requestId }, 'shadow scan failed')
        }
        // Requests first: one shadow text per turn of the event loop.
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    } finally {
      this.#running = false
      const waiting = this.#idle
      this.#idle = []
      for (const resolve of waiting) resolve()
    }
  }

  async #process(job: ShadowJob): Promise<void> {
    const guard = await this.#candidateFor(job.tenant, job.active)
    if (guard === undefined) return
    const shadow = await guard.scan(job.direction, job.text, job.context)
    this.#decisions.inc({ direction: job.direction, active: job.result.decision, candidate: shadow.decision })
    const activeActions = actionsOf(job.result.findings)
    const candidateActions = actionsOf(shadow.findings)
    const kinds = disagreementKinds(job.result.decision, shadow.decision, activeActions, candidateActions)
    if (kinds.length === 0) return
    for (const kind of kinds) this.#disagreements.inc({ kind })
    const changed = [...new Set([...Object.keys(activeActions), ...Object.keys(candidateActions)])].filter((id) => (activeActions[id] ?? 'allow') !== (candidateActions[id] ?? 'allow'))
    // Never the text in the log: ids, decisions and scanners only.
    this.#logger?.warn({ requestId: job.requestId, tenant: job.tenant, direction: job.direction, active: job.result.decision, candidate: shadow.decision, kinds, scanners: changed }, 'shadow disagreement')
    // The request context as the guard saw it (system prompt, canaries), sealed with the text; a vault is process state, not data.
    const { vault: _vault, ...context } = job.context ?? {}
    await this.#captures.capture(
      job.tenant,
      {
        inferenceId: `shadow:${job.requestId}:${job.direction}:${++this.#seq}`,
        modelId: SHADOW_MODEL_ID,
        input: job.direction === 'input' ? job.text : null,
        output: job.direction === 'output' ? job.text : null,
        guard: guardSignals(job.result.decision, job.result.findings, job.result.latencyMs),
        shadow: guardSignals(shadow.decision, shadow.findings, shadow.latencyMs),
        ...(Object.keys(context).length === 0 ? {} : { context }),
      },
      'shadow',
    )
  }
}
