import type { FastifyInstance } from 'fastify'
import { RampartError } from '../../core/errors.js'
import type { GatewayServices } from '../services.js'
import { alertQuerySchema, idParamsSchema, parseInput } from '../schemas.js'

/** Alerts of the caller's tenant: list with filters and paging, read one, acknowledge. */
export function alertRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.get('/v1/alerts', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const q = parseInput(alertQuerySchema, request.query, 'query')
    const page = await services.store.listAlerts({ ...q, tenant: request.principal!.tenant })
    return { items: await Promise.all(page.items.map((a) => services.alerts.open(a))), ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) }
  })

  app.get('/v1/alerts/:id', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params')
    const alert = await services.store.getAlert(request.principal!.tenant, id)
    if (alert === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no alert ${id}`, { path: 'id' })
    return services.alerts.open(alert)
  })

  app.post('/v1/alerts/:id/ack', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params')
    const principal = request.principal!
    const before = await services.store.getAlert(principal.tenant, id)
    if (before === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no alert ${id}`, { path: 'id' })
    const alert = await services.store.acknowledgeAlert(principal.tenant, id, principal.keyId, new Date().toISOString())
    if (alert === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no alert ${id}`, { path: 'id' })
    if (before.acknowledgedAt === null) {
      await services.audit.append({ actor: principal.keyId, tenant: principal.tenant, action: 'alert.ack', target: id, detail: {} })
    }
    return services.alerts.open(alert)
  })
}
