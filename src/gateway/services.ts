import type { FastifyBaseLogger } from 'fastify'
import type { DetectorWatcher } from '../detectors/registry.js'
import type { MonitorOps } from '../monitor/ops/monitor-ops.js'
import type { ShieldService } from '../shield/service.js'
import type { Store } from '../store/types.js'
import type { AlertService, AuditWriter, Sealer } from './alert-service.js'
import type { GatewayConfig } from './config.js'
import type { GuardResolver } from './guards.js'
import type { HistoryCache } from './history-cache.js'
import type { Authenticator } from './plugins/auth.js'
import type { GatewayMetrics } from './plugins/metrics.js'
import type { ShadowService } from './shadow.js'
import type { Upstream } from './upstream.js'

/** Everything a route may use; built once by runtime.ts (or by a test) and handed to `buildApp`. */
export interface GatewayServices {
  config: GatewayConfig
  store: Store
  sealer: Sealer
  audit: AuditWriter
  alerts: AlertService
  guards: GuardResolver
  auth: Authenticator
  metrics: GatewayMetrics
  upstream: Upstream | undefined
  /** Verifies the audit chain (crypto/audit-chain.ts with the keyring's audit key). */
  verifyAudit: () => Promise<{ ok: boolean; entries: number; firstBadSeq?: number; reason?: string }>
  /** Readiness checks beyond the store (Redis). */
  readiness?: () => Promise<void>
  logger?: FastifyBaseLogger
  /** Capture, schedules and alarms (monitor/ops); the /v1/monitor routes exist only with it. */
  monitor?: MonitorOps
  /** Verdicts of chat messages already scanned (history-cache.ts); absent: every message is scanned every turn. */
  history?: HistoryCache
  /** The model shield: configured models behind `/v1/models/{name}/predict` and the chat proxy's extraction detection. */
  shield?: ShieldService
  /** Candidates scanned in shadow beside the active policy (shadow.ts): the gateway's, and tenants' stored shadow versions. */
  shadow?: ShadowService
  /** Keeps prompt_injection on the detector version active in the store (detectors/registry.ts); absent: the shipped weights. */
  detectors?: DetectorWatcher
}
