import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { VERDICTS } from '../../store/types.js'
import { FeedbackService } from '../feedback.js'
import type { GatewayServices } from '../services.js'
import { idParamsSchema, parseInput } from '../schemas.js'

const isoTime = z.iso.datetime({ offset: true })

export const verdictBodySchema = z
  .object({
    verdict: z.enum(VERDICTS).describe('true_positive: the alert was right; false_positive: it was not.'),
    note: z.string().max(2_000).optional().describe('Why (stored sealed).'),
  })
  .strict()

export const feedbackQuerySchema = z
  .object({
    verdict: z.enum(VERDICTS).optional(),
    scanner: z.string().max(100).optional().describe('Only verdicts on alerts raised by this scanner (e.g. prompt_injection).'),
    since: isoTime.optional(),
    until: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(500).optional(),
  })
  .strict()

/**
 * Verdicts on alerts (gateway/feedback.ts): the roles that acknowledge alerts give them, per
 * tenant; texts come back with personal data and secrets redacted.
 */
export function feedbackRoutes(app: FastifyInstance, services: GatewayServices): void {
  const feedback = new FeedbackService({ store: services.store, sealer: services.sealer, audit: services.audit, alerts: services.alerts })

  app.post('/v1/alerts/:id/verdict', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params')
    const body = parseInput(verdictBodySchema, request.body, 'body')
    const principal = request.principal!
    const { record, previous } = await feedback.giveVerdict({ tenant: principal.tenant, alertId: id, verdict: body.verdict, by: principal.keyId, note: body.note })
    return { ...(await feedback.view(record)), previous }
  })

  app.get('/v1/feedback', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const q = parseInput(feedbackQuerySchema, request.query, 'query')
    const page = await services.store.listVerdicts({ ...q, tenant: request.principal!.tenant })
    return { items: await Promise.all(page.items.map((v) => feedback.view(v))), ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) }
  })
}
