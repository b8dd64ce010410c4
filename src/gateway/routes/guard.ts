import type { FastifyInstance } from 'fastify'
import type { ScanContext } from '../../core/types.js'
import { guardSignals } from '../../monitor/capture.js'
import type { GatewayServices } from '../services.js'
import { guardRequestSchema, parseInput } from '../schemas.js'

/** Model id of captured `/v1/guard` calls. */
export const GUARD_MODEL_ID = 'rampart-guard'

/** `POST /v1/guard`: our ApplyGuardrail — scan one text with the tenant's policy and raise an alert when it is not allowed. */
export function guardRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.post('/v1/guard', { config: { roles: ['admin', 'app'] } }, async (request, reply) => {
    const principal = request.principal!
    const body = parseInput(guardRequestSchema, request.body, 'body')
    let guard
    let policyVersion: number | null
    if (body.policy === undefined) {
      ;({ guard, policyVersion } = await services.guards.forTenant(principal.tenant))
    } else if (typeof body.policy === 'number') {
      guard = await services.guards.forVersion(principal.tenant, body.policy)
      policyVersion = body.policy
    } else {
      guard = await services.guards.forInline(body.policy)
      policyVersion = null
    }
    const context: ScanContext = body.context ?? {}
    const result = await guard.scan(body.direction, body.text, context)
    services.metrics.recordScan(body.direction, result)
    const alert = await services.alerts.raise({
      tenant: principal.tenant,
      keyId: principal.keyId,
      requestId: request.id,
      direction: body.direction,
      source: 'guard',
      text: body.text,
      result,
    })
    // Opt-in (guardCaptureSampleRate): the text as scanned, sealed, so `rampart replay` covers guard traffic.
    if (services.monitor?.sampledGuard() === true) {
      services.monitor.captureInBackground(
        principal.tenant,
        {
          inferenceId: request.id,
          modelId: GUARD_MODEL_ID,
          input: body.direction === 'input' ? body.text : null,
          output: body.direction === 'output' ? body.text : null,
          guard: guardSignals(result.decision, result.findings, result.latencyMs),
          ...(body.context === undefined ? {} : { context: body.context }),
        },
        'guard',
      )
    }
    services.shadow?.observe({ tenant: principal.tenant, requestId: request.id, direction: body.direction, text: body.text, context, active: guard, result })
    void reply.header('x-rampart-decision', result.decision)
    if (alert !== undefined) void reply.header('x-rampart-flagged', 'true').header('x-rampart-alert-id', alert.id)
    return {
      ...(body.id === undefined ? {} : { id: body.id }),
      ...result,
      policyVersion,
      ...(alert === undefined ? {} : { alertId: alert.id }),
    }
  })
}
