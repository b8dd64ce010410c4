import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { RampartError } from '../../core/errors.js'
import { CaptureService } from '../../monitor/capture.js'
import { sinceTime } from '../../replay/duration.js'
import { ReplayAccumulator, addShadowRecords } from '../../replay/replay.js'
import { SHADOW_MODEL_ID, storedCaptures } from '../../replay/source.js'
import type { GatewayServices } from '../services.js'
import { parseInput } from '../schemas.js'

export const shadowQuerySchema = z
  .object({
    /** `24h`, `7d`… or an ISO-8601 time; default 24h. */
    since: z.string().min(1).default('24h'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().min(1).max(500).optional(),
    /** `list`: one page of disagreements; `report`: the whole window in the replay report's format. */
    format: z.enum(['list', 'report']).default('list'),
  })
  .strict()

export const shadowPolicyBodySchema = z.object({ version: z.number().int().positive().describe('A stored policy version of your tenant, run in shadow.') }).strict()

/**
 * `GET /v1/shadow` (admin): shadow mode's state and the tenant's stored disagreements, newest
 * last, each with a redacted excerpt (never the whole text); `?format=report` sums the window up
 * as `rampart replay` does, with the enforced verdict as "recorded" and the shadow one as "candidate".
 */
export function shadowRoutes(app: FastifyInstance, services: GatewayServices): void {
  // A tenant's own candidate: one of its stored policy versions, scanned beside the active one, never enforced.
  app.put('/v1/shadow/policy', { config: { roles: ['admin'] } }, async (request) => {
    const principal = request.principal!
    const { version } = parseInput(shadowPolicyBodySchema, request.body, 'body')
    if (services.shadow === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', 'this gateway runs without shadow mode', { path: 'shadow' })
    const ok = await services.store.setShadowPolicyVersion(principal.tenant, version, principal.keyId, new Date().toISOString())
    if (!ok) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no policy version ${version}`, { path: 'body.version' })
    await services.audit.append({ actor: principal.keyId, tenant: principal.tenant, action: 'policy.shadow', target: String(version), detail: { version } })
    services.shadow.invalidate(principal.tenant)
    return { shadow: await services.shadow.status(principal.tenant) }
  })

  app.delete('/v1/shadow/policy', { config: { roles: ['admin'] } }, async (request) => {
    const principal = request.principal!
    const cleared = await services.store.clearShadowPolicyVersion(principal.tenant)
    if (cleared) await services.audit.append({ actor: principal.keyId, tenant: principal.tenant, action: 'policy.shadow_clear', target: null, detail: {} })
    services.shadow?.invalidate(principal.tenant)
    return { cleared, shadow: (await services.shadow?.status(principal.tenant)) ?? { enabled: false } }
  })

  app.get('/v1/shadow', { config: { roles: ['admin'] } }, async (request) => {
    const principal = request.principal!
    const q = parseInput(shadowQuerySchema, request.query, 'query')
    const since = sinceTime(q.since, Date.now(), 'query.since')
    const until = new Date(Date.now() + 1).toISOString()
    const status = (await services.shadow?.status(principal.tenant)) ?? { enabled: false }
    const captures = new CaptureService({ store: services.store, sealer: services.sealer })
    if (q.format === 'report') {
      const acc = new ReplayAccumulator({ examplesPerKind: 5, excerpt: (text, findings) => services.alerts.excerpt(text, findings) })
      await addShadowRecords(acc, storedCaptures(services.store, captures, { tenant: principal.tenant, since, until, modelId: SHADOW_MODEL_ID }))
      return { shadow: status, report: acc.report({ candidate: services.shadow?.candidate ?? {}, window: { tenant: principal.tenant, since, until } }) }
    }
    const page = await services.store.listCaptures({ tenant: principal.tenant, modelId: SHADOW_MODEL_ID, receivedSince: since, receivedUntil: until, limit: q.limit, ...(q.cursor === undefined ? {} : { cursor: q.cursor }) })
    const items = []
    for (const record of page.items) {
      let c
      try {
        c = await captures.open(record)
      } catch (cause) {
        throw new RampartError('RAMPART_ERR_STORE', `shadow record ${record.inferenceId} could not be opened`, { cause })
      }
      const direction = typeof c.input === 'string' ? 'input' : 'output'
      const text = String(direction === 'input' ? c.input : c.output)
      items.push({
        id: c.inferenceId,
        at: c.at,
        direction,
        active: { decision: c.guard?.decision, actions: c.guard?.actions ?? {}, latencyMs: c.guard?.latencyMs },
        candidate: { decision: c.shadow?.decision, actions: c.shadow?.actions ?? {}, latencyMs: c.shadow?.latencyMs },
        excerpt: await services.alerts.excerpt(text, []),
      })
    }
    return { shadow: status, items, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) }
  })
}
