import type { FastifyInstance } from 'fastify'
import { RampartError } from '../../core/errors.js'
import type { ApiKeyRecord } from '../../store/types.js'
import { generateApiKey } from '../api-keys.js'
import type { GatewayServices } from '../services.js'
import { idParamsSchema, keyCreateSchema, parseInput } from '../schemas.js'

/** A key as the API shows it: never the hash. */
export function publicKey(record: ApiKeyRecord): Omit<ApiKeyRecord, 'secretHash'> {
  const { secretHash: _hash, ...rest } = record
  void _hash
  return rest
}

/** Key management for admins, within their own tenant (the CLI manages every tenant). */
export function keyRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.post('/v1/keys', { config: { roles: ['admin'] } }, async (request, reply) => {
    const principal = request.principal!
    const body = parseInput(keyCreateSchema, request.body, 'body')
    if (body.tenant !== undefined && body.tenant !== principal.tenant) {
      throw new RampartError('RAMPART_ERR_FORBIDDEN', `an admin key of tenant ${principal.tenant} may not create keys for tenant ${body.tenant}`, { path: 'body.tenant' })
    }
    const { token, record } = await generateApiKey({ ...body, tenant: principal.tenant })
    await services.store.insertKey(record)
    await services.audit.append({ actor: principal.keyId, tenant: principal.tenant, action: 'key.create', target: record.id, detail: { role: record.role, name: record.name } })
    return reply.status(201).send({ key: token, ...publicKey(record) })
  })

  app.get('/v1/keys', { config: { roles: ['admin'] } }, async (request) => {
    return { items: (await services.store.listKeys(request.principal!.tenant)).map(publicKey) }
  })

  app.delete('/v1/keys/:id', { config: { roles: ['admin'] } }, async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params')
    const principal = request.principal!
    const record = await services.store.getKey(id)
    if (record === undefined || record.tenant !== principal.tenant) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no key ${id}`, { path: 'id' })
    const revoked = await services.store.revokeKey(id, new Date().toISOString())
    services.auth.forget(id)
    if (revoked) await services.audit.append({ actor: principal.keyId, tenant: principal.tenant, action: 'key.revoke', target: id, detail: {} })
    return publicKey((await services.store.getKey(id))!)
  })
}
