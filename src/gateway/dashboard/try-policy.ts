import type { FastifyInstance } from 'fastify'
import type { GatewayServices } from '../services.js'
import { parseInput } from '../schemas.js'
import { policyTrySchema, type PolicyTryResult } from './schemas.js'

/**
 * `POST /v1/policies/try`: scans a text with a stored version (or the active policy) and returns
 * the findings, for the dashboard's "try it" box. Unlike `/v1/guard` it raises no alert, counts
 * in no traffic figure and stores nothing: trying a policy is not traffic. Analysts may use it
 * (they read policies); the text is the caller's own.
 */
export function tryPolicyRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.post('/v1/policies/try', { config: { roles: ['admin', 'analyst'] } }, async (request): Promise<PolicyTryResult> => {
    const body = parseInput(policyTrySchema, request.body, 'body')
    const tenant = request.principal!.tenant
    const { guard, policyVersion } = body.version === undefined ? await services.guards.forTenant(tenant) : { guard: await services.guards.forVersion(tenant, body.version), policyVersion: body.version }
    const result = await guard.scan(body.direction, body.text, {})
    return { decision: result.decision, text: result.text, findings: result.findings, latencyMs: result.latencyMs, policyVersion }
  })
}
