import type { FastifyInstance } from 'fastify'
import { BUILTIN_VERSION, INJECTION_DETECTOR, builtinSummary } from '../../detectors/registry.js'
import type { GatewayServices } from '../services.js'

/**
 * The detector registry, read-only: which prompt_injection versions are registered, which one
 * is active in the store and which one this process scores with. Activation and rollback are
 * gateway-wide (every tenant's traffic), while an admin key is an admin of one tenant, so they
 * are operator commands on the store (`rampart detectors activate|rollback`), not routes.
 */
export function detectorRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.get('/v1/detectors', { config: { roles: ['admin'] } }, async () => {
    const [versions, active, history] = await Promise.all([
      services.store.listDetectorVersions(INJECTION_DETECTOR),
      services.store.getActiveDetector(INJECTION_DETECTOR),
      services.store.listDetectorActivations(INJECTION_DETECTOR, 20),
    ])
    const loaded = services.detectors?.current
    return {
      detector: INJECTION_DETECTOR,
      active: active === undefined ? { versionId: BUILTIN_VERSION, seq: null } : { ...active, versionId: active.versionId ?? BUILTIN_VERSION },
      loaded: loaded === undefined ? null : { id: loaded.id, builtin: loaded.builtin },
      versions: [{ ...builtinSummary(), builtin: true }, ...versions.map((v) => ({ ...v, builtin: false }))],
      history: history.map((h) => ({ ...h, versionId: h.versionId ?? BUILTIN_VERSION })),
    }
  })
}
