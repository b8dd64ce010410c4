import type { FastifyInstance } from 'fastify'

const MINUTE_MS = 60_000
/** A week of minutes: the longest overview window. */
const KEEP_MS = 7 * 86_400_000

export interface TrafficCounts {
  requests: number
  flagged: number
  redacted: number
  blocked: number
}

/** The routes whose verdicts the overview charts: the guard API, the proxy, the model shield. */
const GUARDED_ROUTES = new Set(['/v1/guard', '/v1/chat/completions', '/v1/models/:name/predict'])

/**
 * Guarded requests per tenant and minute, counted in this process from the verdict header the
 * routes already set (`x-rampart-decision`), so the request path needs no change. Alerts are in
 * the store and survive restarts; plain request counts are not stored anywhere else, so these
 * start at zero with the process and each replica counts its own (Prometheus has the fleet's).
 */
export class TrafficCounter {
  readonly since = new Date()
  /** Minute start (ms) → tenant → counts; at most a week of minutes. */
  private readonly minutes = new Map<number, Map<string, TrafficCounts>>()

  record(tenant: string, decision: string | undefined, at = Date.now()): void {
    const minute = at - (at % MINUTE_MS)
    let tenants = this.minutes.get(minute)
    if (tenants === undefined) {
      tenants = new Map()
      this.minutes.set(minute, tenants)
      // Maps iterate in insertion order and minutes arrive in order: the oldest are first.
      for (const m of this.minutes.keys()) {
        if (m > at - KEEP_MS) break
        this.minutes.delete(m)
      }
    }
    let c = tenants.get(tenant)
    if (c === undefined) tenants.set(tenant, (c = { requests: 0, flagged: 0, redacted: 0, blocked: 0 }))
    c.requests++
    if (decision === 'flag') c.flagged++
    else if (decision === 'redact') c.redacted++
    else if (decision === 'block') c.blocked++
  }

  /** Counts of one tenant in buckets of `bucketMs` from `since` (inclusive) to `until` (exclusive); `bucketMs` a multiple of a minute. */
  series(tenant: string, since: number, until: number, bucketMs: number): TrafficCounts[] {
    const out = Array.from({ length: Math.ceil((until - since) / bucketMs) }, () => ({ requests: 0, flagged: 0, redacted: 0, blocked: 0 }))
    for (const [minute, tenants] of this.minutes) {
      if (minute + MINUTE_MS <= since || minute >= until) continue
      const c = tenants.get(tenant)
      const bucket = out[Math.floor((Math.max(minute, since) - since) / bucketMs)]
      if (c === undefined || bucket === undefined) continue
      bucket.requests += c.requests
      bucket.flagged += c.flagged
      bucket.redacted += c.redacted
      bucket.blocked += c.blocked
    }
    return out
  }

  register(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url
      if (route === undefined || !GUARDED_ROUTES.has(route) || request.principal === undefined) return
      const decision = reply.getHeader('x-rampart-decision')
      this.record(request.principal.tenant, typeof decision === 'string' ? decision : undefined)
    })
  }
}
