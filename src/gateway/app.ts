import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { RampartError } from '../core/errors.js'
import { dashboardRoutes } from './dashboard/index.js'
import { openApiDocument } from './openapi.js'
import { registerErrorHandling } from './plugins/errors.js'
import { alertRoutes } from './routes/alerts.js'
import { auditRoutes } from './routes/audit.js'
import { chatRoutes } from './routes/chat.js'
import { detectorRoutes } from './routes/detectors.js'
import { feedbackRoutes } from './routes/feedback.js'
import { guardRoutes } from './routes/guard.js'
import { shadowRoutes } from './routes/shadow.js'
import { healthRoutes } from './routes/health.js'
import { keyRoutes } from './routes/keys.js'
import { monitorRoutes } from './routes/monitor.js'
import { policyRoutes } from './routes/policies.js'
import { predictRoutes } from './routes/predict.js'
import type { GatewayServices } from './services.js'
import './types.js'

export interface BuildAppOptions {
  /** Fastify's logger option (pino), `false` in tests. */
  logger?: FastifyServerOptions['logger']
  /** TLS options for `node:https` (runtime.ts reads the files). */
  https?: { key: Buffer; cert: Buffer; ca?: Buffer; requestCert?: boolean; rejectUnauthorized?: boolean }
}

/** Headers and fields that must never reach a log line. */
export const LOG_REDACT = ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie']

/**
 * Builds the gateway (routes, auth, limits, metrics, errors) without listening, so tests use
 * `app.inject` or listen on port 0, and runtime.ts adds the process concerns.
 */
export function buildApp(services: GatewayServices, options: BuildAppOptions = {}): FastifyInstance {
  const base: FastifyServerOptions = {
    logger: options.logger ?? false,
    bodyLimit: services.config.bodyLimit,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,100}$/.test(given) ? given : randomUUID()
    },
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: false,
    ...(options.https === undefined ? {} : { https: options.https }),
  }
  const app = (Fastify as unknown as (o: FastifyServerOptions) => FastifyInstance)(base)
  // JSON only: a text/plain body would reach the handlers as a string and fail later with a vaguer message.
  app.removeContentTypeParser(['text/plain'])
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id)
  })
  services.metrics.register(app)
  registerErrorHandling(app, (request, error: RampartError) => {
    services.metrics.denials.inc({ code: error.code })
    request.log.warn({ code: error.code, keyId: request.principal?.keyId, route: request.routeOptions.url, ip: request.ip }, 'request denied')
  })
  services.auth.register(app)
  // First, so that the dashboard's traffic hook sees every guarded route.
  dashboardRoutes(app, services)

  app.get('/openapi.json', { config: { public: true } }, async () => openApiDocument())
  healthRoutes(app, services)
  guardRoutes(app, services)
  chatRoutes(app, services)
  alertRoutes(app, services)
  feedbackRoutes(app, services)
  detectorRoutes(app, services)
  policyRoutes(app, services)
  keyRoutes(app, services)
  auditRoutes(app, services)
  monitorRoutes(app, services)
  predictRoutes(app, services)
  shadowRoutes(app, services)
  return app
}
