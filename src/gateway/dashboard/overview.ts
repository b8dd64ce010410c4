import type { FastifyInstance } from 'fastify'
import { SEVERITIES, type AlertRecord, type Severity } from '../../store/types.js'
import type { GatewayServices } from '../services.js'
import { parseInput } from '../schemas.js'
import { OVERVIEW_WINDOWS, overviewQuerySchema, type Overview } from './schemas.js'
import type { TrafficCounter } from './traffic.js'

/** The overview reads at most this many alerts of a window (newest first); beyond, its counts are lower bounds and say so. */
export const OVERVIEW_ALERT_CAP = 5_000
const PAGE = 500
const TOP = 8

const zeroSeverities = (): Record<Severity, number> => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>

/**
 * `GET /v1/dashboard/overview?window=1h|24h|7d`: traffic and verdicts over time (this process's
 * counts), alerts by severity over time, top scanners and keys by alerts, and the monitor's
 * alarms — one call for the overview page, scoped to the caller's tenant.
 */
export function overviewRoutes(app: FastifyInstance, services: GatewayServices, traffic: TrafficCounter): void {
  app.get('/v1/dashboard/overview', { config: { roles: ['admin', 'analyst'] } }, async (request): Promise<Overview> => {
    const { window } = parseInput(overviewQuerySchema, request.query, 'query')
    const tenant = request.principal!.tenant
    const { spanMs, bucketMs } = OVERVIEW_WINDOWS[window]
    // Buckets end at the next bucket boundary, so a refresh keeps them aligned.
    const until = Math.ceil((Date.now() + 1) / bucketMs) * bucketMs
    const since = until - spanMs
    const counts = traffic.series(tenant, since, until, bucketMs)
    const series = counts.map((c, i) => ({ at: new Date(since + i * bucketMs).toISOString(), ...c, alerts: zeroSeverities() }))

    const alerts: AlertRecord[] = []
    let cursor: string | undefined
    let truncated = false
    for (;;) {
      const page = await services.store.listAlerts({ tenant, since: new Date(since).toISOString(), limit: PAGE, ...(cursor === undefined ? {} : { cursor }) })
      alerts.push(...page.items)
      cursor = page.nextCursor
      if (cursor === undefined) break
      if (alerts.length >= OVERVIEW_ALERT_CAP) {
        truncated = true
        break
      }
    }
    const scanners = new Map<string, number>()
    const keys = new Map<string, { alerts: number; blocked: number }>()
    let unacknowledged = 0
    for (const a of alerts) {
      const bucket = series[Math.floor((Date.parse(a.createdAt) - since) / bucketMs)]
      if (bucket !== undefined) bucket.alerts[a.severity]++
      for (const s of a.scanners) scanners.set(s, (scanners.get(s) ?? 0) + 1)
      if (a.keyId !== null) {
        const k = keys.get(a.keyId) ?? { alerts: 0, blocked: 0 }
        k.alerts++
        if (a.decision === 'block') k.blocked++
        keys.set(a.keyId, k)
      }
      if (a.acknowledgedAt === null) unacknowledged++
    }
    const topKeys = [...keys].sort((a, b) => b[1].alerts - a[1].alerts).slice(0, TOP)
    const names = new Map((await Promise.all(topKeys.map(([id]) => services.store.getKey(id)))).flatMap((k) => (k === undefined || k.tenant !== tenant ? [] : [[k.id, k.name] as const])))
    const alarms = services.monitor === undefined ? [] : await services.store.listAlarms(tenant)
    const sum = (f: (c: (typeof counts)[number]) => number) => counts.reduce((n, c) => n + f(c), 0)
    return {
      window,
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      bucketMs,
      trafficSince: traffic.since.toISOString(),
      series,
      totals: { requests: sum((c) => c.requests), flagged: sum((c) => c.flagged), redacted: sum((c) => c.redacted), blocked: sum((c) => c.blocked), alerts: alerts.length, unacknowledged },
      topScanners: [...scanners].sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([scanner, n]) => ({ scanner, alerts: n })),
      topKeys: topKeys.map(([keyId, k]) => ({ keyId, name: names.get(keyId) ?? '', ...k })),
      alarms: alarms.map((a) => ({ id: a.id, name: a.name, state: a.state, stateReason: a.stateReason, stateUpdatedAt: a.stateUpdatedAt, metricName: a.metricName, scheduleId: a.scheduleId })),
      alertsTruncated: truncated,
    }
  })
}
