/**
 * Per-key rate limits (requests per minute) and quotas (requests per UTC day). One interface,
 * two backends: in-process (`memory.ts`) and Redis (`store/redis/rate-limiter.ts`) so several
 * gateway replicas share one count.
 */

export interface ConsumeOptions {
  /**
   * Sustained rate, and the burst an idle key may send at once; after a burst, one request
   * every 60/limit s. An integer ≥ 1.
   */
  limitPerMinute: number
  /** Requests allowed per UTC day; null = no quota. An integer ≥ 0. */
  dailyQuota: number | null
  /** Milliseconds since the epoch; for tests. Default: the backend's clock (Redis: the server's). */
  now?: number
}

export interface RateLimitResult {
  allowed: boolean
  /** Why it was denied: the per-minute rate, or the daily quota. Absent when allowed. */
  reason?: 'rate' | 'quota'
  /** Requests left under the binding limit (the rate or the quota, whichever has fewer left). */
  remaining: number
  /** The binding limit: `limitPerMinute`, or `dailyQuota` when the quota is the tighter one. */
  limit: number
  /** Milliseconds until the binding limit is back to full (quota: the next UTC midnight). */
  resetMs: number
  /** When denied: whole seconds after which the same request will be allowed (≥ 1). */
  retryAfterSeconds?: number
}

export interface RateLimiter {
  /** Counts one request for `key` if it is allowed; a denied request consumes nothing. */
  consume(key: string, opts: ConsumeOptions): Promise<RateLimitResult>
  /**
   * For readiness probes: rejects with RAMPART_ERR_STORE when the limiter cannot serve (Redis
   * down and failing closed). Absent on backends that are always ready (in process).
   */
  ping?(): Promise<void>
  close(): Promise<void>
}
