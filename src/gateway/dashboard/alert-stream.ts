import type { FastifyInstance } from 'fastify'
import type { GatewayServices } from '../services.js'
import { parseInput } from '../schemas.js'
import { alertStreamQuerySchema } from './schemas.js'

export interface AlertStreamOptions {
  /** How often the store is asked for new alerts, ms. */
  pollMs?: number
  /** A stream ends after this long (ms); EventSource reconnects, which re-checks the key or session. */
  maxAgeMs?: number
  heartbeatMs?: number
}

/**
 * `GET /v1/alerts/stream`: new alerts of the caller's tenant as Server-Sent Events
 * (`event: alert`, the alert as `GET /v1/alerts/{id}` returns it). It reads the store, not this
 * process's memory, so an alert raised on any replica reaches every dashboard. Each event's id is
 * the alert's creation time, so a reconnecting EventSource (Last-Event-ID) misses nothing.
 */
export function alertStreamRoutes(app: FastifyInstance, services: GatewayServices, options: AlertStreamOptions = {}): void {
  const pollMs = options.pollMs ?? 1_000
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const open = new Set<() => void>()
  // The gateway waits for open connections when it stops: end the streams first.
  app.addHook('preClose', async () => {
    for (const end of open) end()
  })

  app.get('/v1/alerts/stream', { config: { roles: ['admin', 'analyst'] } }, async (request, reply) => {
    const q = parseInput(alertStreamQuerySchema, request.query, 'query')
    const tenant = request.principal!.tenant
    const lastEventId = request.headers['last-event-id']
    const resume = typeof lastEventId === 'string' && !Number.isNaN(Date.parse(lastEventId)) ? lastEventId : undefined
    let since = resume ?? q.since ?? new Date().toISOString()
    // `since` is inclusive: alerts of the same millisecond already sent are remembered by id.
    let sentAtSince = new Set<string>()
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    })
    res.write(`retry: 2000\n\n`)
    let ended = false
    let timer: NodeJS.Timeout | undefined
    const end = () => {
      if (ended) return
      ended = true
      clearTimeout(timer)
      clearInterval(heartbeat)
      clearTimeout(lifetime)
      open.delete(end)
      res.end()
    }
    open.add(end)
    const heartbeat = setInterval(() => res.write(`: keep-alive\n\n`), heartbeatMs)
    const lifetime = setTimeout(end, maxAgeMs)
    // The response closes when the client goes away (or when the stream ends): stop polling then.
    res.once('close', end)

    const poll = async () => {
      try {
        const page = await services.store.listAlerts({ tenant, since, limit: 100 })
        // The store answers newest first; the feed wants them in the order they happened.
        const fresh = page.items.filter((a) => !sentAtSince.has(a.id)).reverse()
        for (const record of fresh) {
          if (ended) return
          const alert = await services.alerts.open(record)
          res.write(`id: ${alert.createdAt}\nevent: alert\ndata: ${JSON.stringify(alert)}\n\n`)
          if (alert.createdAt !== since) sentAtSince = new Set()
          since = alert.createdAt
          sentAtSince.add(alert.id)
        }
      } catch (error) {
        request.log.warn({ err: (error as Error).message }, 'alert stream: reading alerts failed')
        res.write(`event: error\ndata: ${JSON.stringify({ message: 'reading alerts failed; retrying' })}\n\n`)
      }
      if (!ended) timer = setTimeout(() => void poll(), pollMs)
    }
    await poll()
  })
}
