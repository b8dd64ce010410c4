import { hash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { RampartError } from '../../core/errors.js'
import type { KeyStore } from '../../store/types.js'
import { parseApiKey, verifySecret } from '../api-keys.js'
import type { Principal } from '../types.js'

/** What the gateway needs from a rate limiter (ratelimit/): per key, per minute, and a daily quota. */
export interface RequestLimiter {
  consume(
    key: string,
    opts: { limitPerMinute: number; dailyQuota: number | null },
  ): Promise<{ allowed: boolean; reason?: 'rate' | 'quota'; remaining: number; limit: number; resetMs: number; retryAfterSeconds?: number }>
}

export interface AuthOptions {
  keys: KeyStore
  limiter: RequestLimiter
  defaultRateLimitPerMinute: number
  /** How long a verified key is trusted without asking the store (bounds the revocation delay across replicas). */
  cacheMs: number
  metricsPublic: boolean
  onTouch?: (keyId: string) => void
}

function presentedKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim()
  const header = request.headers['x-api-key']
  return typeof header === 'string' ? header.trim() : undefined
}

/**
 * Authenticates every non-public route, checks the route's roles, then applies the key's rate
 * limit and quota. scrypt is deliberately slow, so it runs once per token per process (keyed by a
 * hash of the full token); the key's record (revocation, role, limits) is re-read from the store
 * every `cacheMs`, and a revocation made through this gateway takes effect at once.
 */
export class Authenticator {
  /** Token digest → verified key id: scrypt runs once per token per process. */
  private readonly verified = new Map<string, Promise<string>>()
  /** Key id → principal read from the store, re-read after `cacheMs` (revocation, role changes). */
  private readonly records = new Map<string, { until: number; principal: Promise<Principal> }>()

  /**
   * Set by the dashboard (dashboard/sessions.ts): the key id behind a valid session cookie
   * (CSRF checked there), undefined when the request carries no session. Consulted only when no
   * API key is presented; the principal, roles and limits are then the key's, exactly as with Bearer.
   */
  sessionKeyId: ((request: FastifyRequest) => Promise<string | undefined>) | undefined

  constructor(private readonly options: AuthOptions) {}

  forget(keyId: string): void {
    this.records.delete(keyId)
  }

  async authenticate(token: string | undefined): Promise<Principal> {
    if (token === undefined || token === '') {
      throw new RampartError('RAMPART_ERR_UNAUTHENTICATED', 'missing API key: send "Authorization: Bearer rk_…" or "x-api-key"', { path: 'authorization' })
    }
    const parsed = parseApiKey(token)
    if (parsed === undefined) throw new RampartError('RAMPART_ERR_UNAUTHENTICATED', 'malformed API key', { path: 'authorization' })
    // One-shot hash: a Hash object per request is a native object the young-generation GC
    // must finalize through a weak handle (see history-cache.ts).
    const digest = hash('sha256', token, 'base64url')
    // Concurrent requests with the same token share one verification (no scrypt stampede).
    let verification = this.verified.get(digest)
    if (verification === undefined) {
      verification = this.verify(parsed.id, parsed.secret)
      if (this.verified.size >= 10_000) this.verified.clear()
      this.verified.set(digest, verification)
      verification.catch(() => this.verified.delete(digest))
    }
    const keyId = await verification
    return this.principal(keyId)
  }

  private async verify(id: string, secret: string): Promise<string> {
    const record = await this.options.keys.getKey(id)
    if (record === undefined || !(await verifySecret(secret, record.secretHash))) {
      throw new RampartError('RAMPART_ERR_UNAUTHENTICATED', `unknown API key ${id}`, { path: 'authorization' })
    }
    return id
  }

  private principal(keyId: string): Promise<Principal> {
    const now = Date.now()
    const hit = this.records.get(keyId)
    if (hit !== undefined && hit.until > now) return hit.principal
    const principal = (async () => {
      const record = await this.options.keys.getKey(keyId)
      if (record === undefined) throw new RampartError('RAMPART_ERR_UNAUTHENTICATED', `unknown API key ${keyId}`, { path: 'authorization' })
      if (record.revokedAt !== null) throw new RampartError('RAMPART_ERR_UNAUTHENTICATED', `API key ${keyId} was revoked at ${record.revokedAt}`, { path: 'authorization' })
      this.options.onTouch?.(record.id)
      return { keyId: record.id, tenant: record.tenant, role: record.role, rateLimitPerMinute: record.rateLimitPerMinute, dailyQuota: record.dailyQuota } satisfies Principal
    })()
    if (this.records.size >= 10_000) this.records.clear()
    this.records.set(keyId, { until: now + this.options.cacheMs, principal })
    principal.catch(() => {
      if (this.records.get(keyId)?.principal === principal) this.records.delete(keyId)
    })
    return principal
  }

  register(app: FastifyInstance): void {
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const config = request.routeOptions.config
      if (config.public === true || request.routeOptions.url === undefined) return
      if (config.metricsRoute === 'metrics' && this.options.metricsPublic) return
      const key = presentedKey(request)
      const sessionKeyId = key === undefined ? await this.sessionKeyId?.(request) : undefined
      const principal = sessionKeyId === undefined ? await this.authenticate(key) : await this.principal(sessionKeyId)
      request.principal = principal
      const roles = config.roles
      if (roles !== undefined && !roles.includes(principal.role)) {
        throw new RampartError('RAMPART_ERR_FORBIDDEN', `role ${principal.role} may not call ${request.method} ${request.routeOptions.url}; allowed: ${roles.join(', ')}`, { path: 'role' })
      }
      const limit = principal.rateLimitPerMinute ?? this.options.defaultRateLimitPerMinute
      const verdict = await this.options.limiter.consume(principal.keyId, { limitPerMinute: limit, dailyQuota: principal.dailyQuota })
      void reply.header('x-ratelimit-limit', verdict.limit).header('x-ratelimit-remaining', Math.max(0, verdict.remaining)).header('x-ratelimit-reset', Math.ceil(verdict.resetMs / 1000))
      if (!verdict.allowed) {
        const retry = verdict.retryAfterSeconds ?? Math.ceil(verdict.resetMs / 1000)
        void reply.header('retry-after', retry)
        throw verdict.reason === 'quota'
          ? new RampartError('RAMPART_ERR_QUOTA_EXCEEDED', `API key ${principal.keyId} used its daily quota of ${principal.dailyQuota ?? 0} requests; it resets in ${retry} s`, { path: 'quota' })
          : new RampartError('RAMPART_ERR_RATE_LIMITED', `API key ${principal.keyId} exceeded ${limit} requests per minute; retry in ${retry} s`, { path: 'rate' })
      }
    })
  }
}
