import type { FastifyInstance } from 'fastify'
import type { GatewayServices } from '../services.js'
import { auditQuerySchema, parseInput } from '../schemas.js'

/** The audit log: entries of the caller's tenant (the chain itself spans every tenant), and verification. */
export function auditRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.get('/v1/audit', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const q = parseInput(auditQuerySchema, request.query, 'query')
    const tenant = request.principal!.tenant
    const entries = await services.store.readAudit(q.from, q.limit)
    const last = entries.at(-1)
    return {
      items: entries.filter((e) => e.tenant === tenant),
      ...(last === undefined || entries.length < q.limit ? {} : { nextFrom: last.seq + 1 }),
    }
  })

  app.get('/v1/audit/verify', { config: { roles: ['admin', 'analyst'] } }, async () => services.verifyAudit())
}
