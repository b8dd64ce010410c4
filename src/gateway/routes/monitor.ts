import type { FastifyInstance } from 'fastify'
import { RampartError } from '../../core/errors.js'
import {
  alarmCreateSchema,
  alarmQuerySchema,
  captureBatchSchema,
  captureRecordSchema,
  groundTruthSchema,
  metricQuerySchema,
  pageQuerySchema,
  runQuerySchema,
  scheduleCreateSchema,
} from '../../monitor/ops/api-schemas.js'
import type { MonitorOps } from '../../monitor/ops/monitor-ops.js'
import type { GatewayServices } from '../services.js'
import { idParamsSchema, parseInput } from '../schemas.js'

const DAY_MS = 86_400_000

/**
 * `/v1/monitor/…`: capture and ground truth (app, admin), schedules and alarms (admin writes,
 * analyst reads), runs, metric series and alarm history. Every object is scoped to the key's
 * tenant; another tenant's id answers 404.
 */
export function monitorRoutes(app: FastifyInstance, services: GatewayServices): void {
  const ops = services.monitor
  if (ops === undefined) return
  const monitor: MonitorOps = ops
  const actor = (request: { principal?: { tenant: string; keyId: string } }) => ({ tenant: request.principal!.tenant, keyId: request.principal!.keyId })

  app.post('/v1/monitor/capture', { config: { roles: ['admin', 'app'] } }, async (request, reply) => {
    const raw = request.body
    const records = typeof raw === 'object' && raw !== null && 'records' in raw ? parseInput(captureBatchSchema, raw, 'body').records : [parseInput(captureRecordSchema, raw, 'body')]
    const results = await monitor.capture(request.principal!.tenant, records, 'api')
    return reply.status(201).send({ items: results })
  })

  app.post('/v1/monitor/ground-truth', { config: { roles: ['admin', 'app'] } }, async (request) => {
    const body = parseInput(groundTruthSchema, request.body, 'body')
    return monitor.groundTruth(request.principal!.tenant, body.labels)
  })

  app.post('/v1/monitor/schedules', { config: { roles: ['admin'] } }, async (request, reply) => {
    const body = parseInput(scheduleCreateSchema, request.body, 'body')
    return reply.status(201).send(await monitor.createSchedule(actor(request), body))
  })

  app.get('/v1/monitor/schedules', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const items = await services.store.listSchedules(request.principal!.tenant)
    return { items: items.map((s) => monitor.scheduleView(s)) }
  })

  app.get('/v1/monitor/schedules/:id', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params')
    return monitor.scheduleView(await monitor.getSchedule(request.principal!.tenant, id))
  })

  app.delete('/v1/monitor/schedules/:id', { config: { roles: ['admin'] } }, async (request, reply) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params')
    await monitor.deleteSchedule(actor(request), id)
    return reply.status(204).send()
  })

  app.post('/v1/monitor/schedules/:id/run', { config: { roles: ['admin'] } }, async (request, reply) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params')
    const run = await monitor.runNow(actor(request), id)
    // Another replica holds the schedule's lease: it is running there right now.
    if (run === undefined) return reply.status(202).send({ started: false, reason: 'the schedule is running on another replica' })
    return reply.status(201).send(run)
  })

  app.get('/v1/monitor/runs', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const q = parseInput(runQuerySchema, request.query, 'query')
    const page = await services.store.listRuns({ tenant: request.principal!.tenant, limit: q.limit, ...(q.scheduleId === undefined ? {} : { scheduleId: q.scheduleId }), ...(q.cursor === undefined ? {} : { cursor: q.cursor }) })
    return { items: await Promise.all(page.items.map((r) => monitor.runView(r, false))), ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) }
  })

  app.get('/v1/monitor/runs/:id', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params')
    const run = await services.store.getRun(request.principal!.tenant, id)
    if (run === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no run ${id}`, { path: 'id' })
    return monitor.runView(run, true)
  })

  app.get('/v1/monitor/metrics', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const q = parseInput(metricQuerySchema, request.query, 'query')
    const until = q.until ?? new Date().toISOString()
    const since = q.since ?? new Date(Date.parse(until) - 7 * DAY_MS).toISOString()
    const points = await services.store.queryMetric({ tenant: request.principal!.tenant, scheduleId: q.scheduleId, name: q.name, since, until })
    return { scheduleId: q.scheduleId, name: q.name, points: points.map((p) => ({ at: p.at, value: p.value, runId: p.runId })) }
  })

  app.post('/v1/monitor/alarms', { config: { roles: ['admin'] } }, async (request, reply) => {
    const body = parseInput(alarmCreateSchema, request.body, 'body')
    return reply.status(201).send(await monitor.createAlarm(actor(request), body))
  })

  app.get('/v1/monitor/alarms', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const q = parseInput(alarmQuerySchema, request.query, 'query')
    return { items: await services.store.listAlarms(request.principal!.tenant, q.scheduleId) }
  })

  app.get('/v1/monitor/alarms/:id', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params')
    return monitor.getAlarm(request.principal!.tenant, id)
  })

  app.delete('/v1/monitor/alarms/:id', { config: { roles: ['admin'] } }, async (request, reply) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params')
    await monitor.deleteAlarm(actor(request), id)
    return reply.status(204).send()
  })

  app.get('/v1/monitor/alarms/:id/history', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params')
    const q = parseInput(pageQuerySchema, request.query, 'query')
    const tenant = request.principal!.tenant
    await monitor.getAlarm(tenant, id)
    const page = await services.store.listAlarmHistory(tenant, id, q.limit, q.cursor)
    return { items: page.items, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) }
  })
}
