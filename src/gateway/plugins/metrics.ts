import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Direction, ScanResult } from '../../core/types.js'

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * The gateway's Prometheus metrics, one registry per app (so tests and several apps in one
 * process do not share counters). Labels are bounded: route templates, not raw URLs; scanner
 * ids and actions; tenants are left out on purpose (unbounded cardinality).
 */
export class GatewayMetrics {
  readonly registry = new Registry()
  readonly requests = new Counter({ name: 'rampart_http_requests_total', help: 'HTTP requests by route, method and status.', labelNames: ['route', 'method', 'status'], registers: [this.registry] })
  readonly duration = new Histogram({ name: 'rampart_http_request_duration_seconds', help: 'HTTP request latency by route.', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers: [this.registry] })
  readonly decisions = new Counter({ name: 'rampart_decisions_total', help: 'Guard verdicts by direction and decision.', labelNames: ['direction', 'decision'], registers: [this.registry] })
  readonly findings = new Counter({ name: 'rampart_findings_total', help: 'Findings by scanner, type and action.', labelNames: ['scanner', 'type', 'action'], registers: [this.registry] })
  readonly scanDuration = new Histogram({ name: 'rampart_scan_duration_seconds', help: 'Guard scan latency by direction.', labelNames: ['direction'], buckets: LATENCY_BUCKETS, registers: [this.registry] })
  readonly upstreamErrors = new Counter({ name: 'rampart_upstream_errors_total', help: 'Upstream failures by kind (connect, timeout, status, protocol; cancelled: the client closed its connection first).', labelNames: ['kind'], registers: [this.registry] })
  readonly upstreamDuration = new Histogram({ name: 'rampart_upstream_duration_seconds', help: 'Time to the upstream response headers.', buckets: LATENCY_BUCKETS, registers: [this.registry] })
  readonly alerts = new Counter({ name: 'rampart_alerts_total', help: 'Alerts raised by severity and source.', labelNames: ['severity', 'source'], registers: [this.registry] })
  readonly denials = new Counter({ name: 'rampart_auth_denials_total', help: 'Requests denied by authentication, role or rate limit.', labelNames: ['code'], registers: [this.registry] })
  readonly historyHits = new Counter({ name: 'rampart_history_cache_hits_total', help: 'Chat messages whose verdict was remembered from an earlier turn (not scanned again).', registers: [this.registry] })
  readonly streamsCut = new Counter({ name: 'rampart_streams_cut_total', help: 'Streamed responses cut because the output guard blocked.', registers: [this.registry] })
  readonly outboxPending = new Gauge({ name: 'rampart_outbox_pending', help: 'Webhook messages waiting for delivery.', registers: [this.registry] })

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'rampart_' })
  }

  recordScan(direction: Direction, result: ScanResult): void {
    this.decisions.inc({ direction, decision: result.decision })
    this.scanDuration.observe({ direction }, result.latencyMs / 1000)
    for (const f of result.findings) this.findings.inc({ scanner: f.scanner, type: f.type, action: f.action })
  }

  register(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.config.metricsRoute ?? request.routeOptions.url ?? 'unmatched'
      this.requests.inc({ route, method: request.method, status: String(reply.statusCode) })
      this.duration.observe({ route }, reply.elapsedTime / 1000)
    })
  }
}
