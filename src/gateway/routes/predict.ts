import type { FastifyInstance } from 'fastify'
import { RampartError } from '../../core/errors.js'
import { modelParamsSchema, predictRequestSchema } from '../../shield/api-schemas.js'
import type { ThrottleError } from '../../shield/service.js'
import type { GatewayServices } from '../services.js'
import { parseInput } from '../schemas.js'

/**
 * `POST /v1/models/{name}/predict`: the predict proxy for classical models. Keys, tenants, rate
 * limits and quotas as on every route; then the model shield (shield/service.ts) refuses a
 * throttled or blocked client, asks the model, scores the inputs, records the client's queries for
 * extraction detection and hardens the answers.
 */
export function predictRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.post('/v1/models/:name/predict', { config: { roles: ['admin', 'app'] } }, async (request, reply) => {
    const shield = services.shield
    const { name } = parseInput(modelParamsSchema, request.params, 'params')
    if (shield === undefined || !shield.hasModel(name)) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no model ${name} on this gateway (configure it under models)`, { path: 'name' })
    const body = parseInput(predictRequestSchema, request.body, 'body')
    const principal = request.principal!
    try {
      const result = await shield.predict(principal, request.id, name, body.instances ?? [body.features!])
      if (result.rampart.adversarial?.some((a) => a.flagged) === true) void reply.header('x-rampart-adversarial', 'true')
      return result
    } catch (error) {
      const retry = (error as ThrottleError).retryAfterSeconds
      if (retry !== undefined) void reply.header('retry-after', retry)
      throw error
    }
  })
}
