import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { RampartError } from '../../core/errors.js'
import type { PolicyVersionRecord } from '../../store/types.js'
import type { GatewayServices } from '../services.js'
import { parseInput, policyCreateSchema, versionParamsSchema } from '../schemas.js'

function summary(record: PolicyVersionRecord, active: number | undefined) {
  const { source: _source, ...rest } = record
  void _source
  return { ...rest, active: record.version === active }
}

/** Policy versions of the caller's tenant: each version immutable; activation switches the tenant's guard. */
export function policyRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.post('/v1/policies', { config: { roles: ['admin'] } }, async (request, reply) => {
    const principal = request.principal!
    const body = parseInput(policyCreateSchema, request.body, 'body')
    const source = body.source ?? JSON.stringify(body.policy, null, 2)
    // Validate before storing: a version that cannot compile must never exist.
    const policy = services.guards.validateSource(source, 'body.source')
    const record = await services.store.createPolicyVersion({
      tenant: principal.tenant,
      source,
      sha256: createHash('sha256').update(source).digest('hex'),
      createdAt: new Date().toISOString(),
      createdBy: principal.keyId,
      description: body.description,
    })
    await services.audit.append({ actor: principal.keyId, tenant: principal.tenant, action: 'policy.create', target: String(record.version), detail: { sha256: record.sha256, name: policy.name } })
    if (body.activate) await activate(services, principal.tenant, principal.keyId, record.version)
    const active = (await services.store.getActivePolicyVersion(principal.tenant))?.version
    return reply.status(201).send({ ...summary(record, active), policy })
  })

  app.get('/v1/policies', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const tenant = request.principal!.tenant
    const [versions, active] = await Promise.all([services.store.listPolicyVersions(tenant), services.store.getActivePolicyVersion(tenant)])
    return { active: active?.version ?? null, items: versions.map((v) => summary(v, active?.version)) }
  })

  app.get('/v1/policies/:version', { config: { roles: ['admin', 'analyst'] } }, async (request) => {
    const { version } = parseInput(versionParamsSchema, request.params, 'params')
    const tenant = request.principal!.tenant
    const record = await services.store.getPolicyVersion(tenant, version)
    if (record === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no policy version ${version}`, { path: 'version' })
    const active = (await services.store.getActivePolicyVersion(tenant))?.version
    return { ...summary(record, active), source: record.source }
  })

  app.post('/v1/policies/:version/activate', { config: { roles: ['admin'] } }, async (request) => {
    const { version } = parseInput(versionParamsSchema, request.params, 'params')
    const principal = request.principal!
    await activate(services, principal.tenant, principal.keyId, version)
    return { active: version }
  })
}

async function activate(services: GatewayServices, tenant: string, actor: string, version: number): Promise<void> {
  const ok = await services.store.activatePolicyVersion(tenant, version, actor, new Date().toISOString())
  if (!ok) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no policy version ${version}`, { path: 'version' })
  services.guards.invalidate(tenant)
  await services.audit.append({ actor, tenant, action: 'policy.activate', target: String(version), detail: {} })
}
