import type { FastifyInstance } from 'fastify'
import type { GatewayServices } from '../services.js'

/** Liveness, readiness (store and Redis answer) and Prometheus metrics. */
export function healthRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { config: { public: true } }, async (_request, reply) => {
    const checks: Record<string, string> = {}
    let ok = true
    try {
      await services.store.ping()
      checks.store = 'ok'
    } catch (error) {
      ok = false
      checks.store = (error as Error).message
    }
    if (services.readiness !== undefined) {
      try {
        await services.readiness()
        checks.redis = 'ok'
      } catch (error) {
        ok = false
        checks.redis = (error as Error).message
      }
    }
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks })
  })

  app.get('/metrics', { config: { roles: ['admin', 'analyst'], metricsRoute: 'metrics' } }, async (_request, reply) => {
    const body = await services.metrics.registry.metrics()
    return reply.header('content-type', services.metrics.registry.contentType).send(body)
  })
}
