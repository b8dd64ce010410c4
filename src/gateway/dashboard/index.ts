import type { FastifyInstance } from 'fastify'
import type { GatewayServices } from '../services.js'
import { alertStreamRoutes, type AlertStreamOptions } from './alert-stream.js'
import { overviewRoutes } from './overview.js'
import { DashboardSessions, sessionRoutes } from './sessions.js'
import { findDashboardDir, staticRoutes } from './static.js'
import { TrafficCounter } from './traffic.js'
import { tryPolicyRoutes } from './try-policy.js'

export interface DashboardOptions {
  /** The built front end (default: found beside the package, see static.ts). */
  dir?: string
  stream?: AlertStreamOptions
}

/**
 * The web dashboard: its static files at `/`, sign-in sessions (the auth plugin then accepts the
 * cookie), and the read APIs the pages need beyond the existing ones. Registered before the other
 * routes so that its traffic hook sees every guarded request.
 */
export function dashboardRoutes(app: FastifyInstance, services: GatewayServices, options: DashboardOptions = {}): void {
  const sessions = new DashboardSessions(services)
  services.auth.sessionKeyId = (request) => sessions.resolve(request)
  const traffic = new TrafficCounter()
  traffic.register(app)
  sessionRoutes(app, services, sessions)
  overviewRoutes(app, services, traffic)
  alertStreamRoutes(app, services, options.stream)
  tryPolicyRoutes(app, services)
  staticRoutes(app, options.dir ?? findDashboardDir())
}
