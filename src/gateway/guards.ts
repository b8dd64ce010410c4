import { createHash } from 'node:crypto'
import { RampartError } from '../core/errors.js'
import { parsePolicy, parsePolicyText, type Policy } from '../core/policy.js'
import type { ScannerRegistry } from '../core/registry.js'
import { createGuard, type Guard } from '../guard.js'
import { builtinRegistry } from '../scanners/index.js'
import type { PolicyStore } from '../store/types.js'

export interface ResolvedGuard {
  guard: Guard
  /** The tenant's active policy version, or null for the gateway's default policy. */
  policyVersion: number | null
}

/**
 * Picks the guard for a request: the tenant's active policy version, else the gateway's policy.
 * Compiling a policy costs milliseconds (regexes, model weights), so compiled guards are cached by
 * content hash, and the active version is re-read at most every `activeTtlMs`, which bounds how
 * long another replica's activation takes to arrive here.
 */
export class GuardResolver {
  private readonly compiled = new Map<string, Promise<Guard>>()
  private readonly active = new Map<string, { at: number; value: Promise<ResolvedGuard> }>()

  constructor(
    private readonly store: PolicyStore,
    private readonly defaultGuard: Guard,
    private readonly options: {
      activeTtlMs?: number
      registry?: ScannerRegistry
      maxCompiled?: number
      /** Makes the guard of a policy on the gateway's scan threads (scan-pool.ts) instead of here; only with the built-in registry. */
      remote?: (policy: Policy) => Guard
    } = {},
  ) {}

  get registry(): ScannerRegistry {
    return this.options.registry ?? builtinRegistry()
  }

  /** Validates a policy document (YAML/JSON text), throwing RAMPART_ERR_POLICY_* naming the field. */
  validateSource(source: string, origin = 'policy'): Policy {
    // Stored policies must not depend on the gateway's environment: no ${VAR} expansion.
    return withoutFileReferences(parsePolicyText(source, this.registry, origin, {}), origin)
  }

  async forTenant(tenant: string): Promise<ResolvedGuard> {
    const now = Date.now()
    const hit = this.active.get(tenant)
    if (hit !== undefined && now - hit.at < (this.options.activeTtlMs ?? 5_000)) return hit.value
    const value = this.loadActive(tenant)
    this.active.set(tenant, { at: now, value })
    value.catch(() => this.active.delete(tenant))
    return value
  }

  /** Forgets the tenant's active version so the next request reads it again (after an activation here). */
  invalidate(tenant: string): void {
    this.active.delete(tenant)
  }

  async forVersion(tenant: string, version: number): Promise<Guard> {
    const record = await this.store.getPolicyVersion(tenant, version)
    if (record === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `policy version ${version} does not exist`, { path: 'policy' })
    return this.compile(record.sha256, () => this.validateSource(record.source, `policy v${version}`))
  }

  /** A policy object given inline in a request body. */
  async forInline(policy: unknown): Promise<Guard> {
    const key = createHash('sha256').update(JSON.stringify(policy)).digest('hex')
    return this.compile(`inline:${key}`, () => withoutFileReferences(parsePolicy(policy, this.registry, 'policy'), 'policy'))
  }

  private async loadActive(tenant: string): Promise<ResolvedGuard> {
    const record = await this.store.getActivePolicyVersion(tenant)
    if (record === undefined) return { guard: this.defaultGuard, policyVersion: null }
    const guard = await this.compile(record.sha256, () => this.validateSource(record.source, `policy v${record.version}`))
    return { guard, policyVersion: record.version }
  }

  private compile(key: string, parse: () => Policy): Promise<Guard> {
    const hit = this.compiled.get(key)
    if (hit !== undefined) return hit
    const max = this.options.maxCompiled ?? 64
    if (this.compiled.size >= max) this.compiled.delete(this.compiled.keys().next().value as string)
    let policy: Policy
    try {
      policy = parse()
    } catch (error) {
      return Promise.reject(error as Error)
    }
    const remote = this.options.registry === undefined ? this.options.remote : undefined
    const guard = remote === undefined ? createGuard({ policy, registry: this.registry }) : Promise.resolve(remote(policy))
    this.compiled.set(key, guard)
    guard.catch(() => this.compiled.delete(key))
    return guard
  }
}

/**
 * A policy that reaches the gateway over HTTP (stored versions, inline policies, tenant shadow
 * policies) may not name a file on the gateway's disk: `prompt_injection.options.weights` would
 * let an API key make the gateway read any path (`/dev/zero`, another tenant's data). Candidate
 * models reach a gateway through the detector registry instead. Policy files given to `rampart
 * serve --policy` are the operator's and keep the option.
 */
function withoutFileReferences(policy: Policy, origin: string): Policy {
  for (const direction of ['input', 'output'] as const) {
    const options = policy[direction].prompt_injection?.options as { weights?: unknown } | undefined
    if (options?.weights !== undefined) {
      throw new RampartError(
        'RAMPART_ERR_POLICY_INVALID',
        `${origin}: ${direction}.prompt_injection.options.weights names a file on the gateway, which a policy sent over the API may not do; register the model with \`rampart detectors register DIR\` and activate it instead`,
        { path: `${direction}.prompt_injection.options.weights` },
      )
    }
  }
  return policy
}
