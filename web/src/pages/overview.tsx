import { useCallback, useMemo, useState } from 'preact/hooks'
import { BarList, Chart, type ChartSeries } from '../components/chart.js'
import { WarningIcon } from '../components/icons.js'
import { Card, DecisionBadge, ErrorBox, Loading, SEVERITY_COLORS, Segmented, SeverityBadge, Stat, StatePill } from '../components/ui.js'
import { ago, num, pct, reasonOf, shortId, when } from '../format.js'
import { useApi } from '../hooks.js'
import { useNewAlerts } from '../live.js'
import type { AlertView, Overview, OverviewWindow, Page, Severity } from '../types.js'

const WINDOWS = [
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
] as const

const BAND: Severity[] = ['low', 'medium', 'high', 'critical']

export function OverviewPage() {
  const [win, setWin] = useState<OverviewWindow>('24h')
  const { data, error } = useApi<Overview>(`/v1/dashboard/overview?window=${win}`, 15_000)
  return (
    <>
      <div class="page-head">
        <h1>Overview</h1>
        <Segmented label="Time window" options={WINDOWS} value={win} onChange={setWin} />
      </div>
      <ErrorBox error={error} />
      {data === undefined ? <Loading /> : <OverviewBody o={data} />}
      <LatestAlerts />
    </>
  )
}

/** The newest alerts not yet acknowledged, refreshed as new ones stream in. */
function LatestAlerts() {
  const { data, reload } = useApi<Page<AlertView>>('/v1/alerts?acknowledged=false&limit=6', 15_000)
  useNewAlerts(useCallback(() => reload(), [reload]))
  return (
    <Card title="Latest alerts not acknowledged" id="latest" actions={<a href="#/alerts">All alerts →</a>}>
      {data === undefined ? (
        <Loading />
      ) : data.items.length === 0 ? (
        <p class="empty">Nothing waiting: every alert is acknowledged.</p>
      ) : (
        <ul class="latest">
          {data.items.map((a) => (
            <li key={a.id}>
              <a href={`#/alerts/${encodeURIComponent(a.id)}`} class={`latest-link sev-edge-${a.severity}`}>
                <span class={`sev-text-${a.severity}`}>
                  <WarningIcon label={`${a.severity} alert`} />
                </span>
                <SeverityBadge severity={a.severity} />
                <DecisionBadge decision={a.decision} />
                <strong>{reasonOf(a)}</strong>
                <span class="latest-excerpt">{a.excerpt}</span>
                <time class="muted small" dateTime={a.createdAt} title={when(a.createdAt)}>
                  {ago(a.createdAt)}
                </time>
              </a>
            </li>
          ))}
        </ul>
      )}
    </Card>
  )
}

function OverviewBody({ o }: { o: Overview }) {
  const x = useMemo(() => o.series.map((b) => Date.parse(b.at) / 1000), [o])
  const traffic = useMemo(() => [o.series.map((b) => b.requests), o.series.map((b) => b.flagged + b.redacted), o.series.map((b) => b.blocked)], [o])
  const rates = useMemo(
    () => [o.series.map((b) => (b.requests === 0 ? null : (b.flagged + b.redacted) / b.requests)), o.series.map((b) => (b.requests === 0 ? null : b.blocked / b.requests))],
    [o],
  )
  // Stacked bars: each band is drawn from zero to the sum of itself and the bands above it, widest first.
  const stacked = useMemo(() => BAND.map((_, k) => o.series.map((b) => BAND.slice(k).reduce((n, s) => n + b.alerts[s], 0))), [o])
  const severitySeries: ChartSeries[] = useMemo(() => BAND.map((s) => ({ label: s, color: SEVERITY_COLORS[s], kind: 'bars' as const, legend: (i: number) => String(o.series[i]?.alerts[s] ?? 0) })), [o])
  const trafficSeries: ChartSeries[] = useMemo(
    () => [
      { label: 'requests', color: '#38bdf8', kind: 'area' },
      { label: 'flagged or redacted', color: '#facc15' },
      { label: 'blocked', color: '#f87171' },
    ],
    [],
  )
  const rateSeries: ChartSeries[] = useMemo(
    () => [
      { label: 'flag rate', color: '#facc15', points: true },
      { label: 'block rate', color: '#f87171', points: true },
    ],
    [],
  )
  const t = o.totals
  const inAlarm = o.alarms.filter((a) => a.state === 'ALARM')
  const percent = (v: number) => `${Math.round(v * 100)} %`
  return (
    <>
      <div class="stats" aria-label="Totals for the window">
        <Stat label="Guarded requests" value={num(t.requests)} hint={`counted since ${ago(o.trafficSince)}`} />
        <Stat label="Flagged or redacted" value={num(t.flagged + t.redacted)} hint={t.requests === 0 ? '—' : pct((t.flagged + t.redacted) / t.requests)} tone={t.flagged + t.redacted > 0 ? 'warn' : undefined} />
        <Stat label="Blocked" value={num(t.blocked)} hint={t.requests === 0 ? '—' : `${pct(t.blocked / t.requests)} of requests`} tone={t.blocked > 0 ? 'danger' : undefined} />
        <Stat label="Alerts" value={num(t.alerts)} hint={<a href="#/alerts">{num(t.unacknowledged)} not acknowledged</a>} tone={t.unacknowledged > 0 ? 'warn' : 'ok'} />
        <Stat
          label="Alarms firing"
          value={
            <>
              {inAlarm.length > 0 ? <WarningIcon /> : null}
              {inAlarm.length}
            </>
          }
          hint={`${o.alarms.length} alarm${o.alarms.length === 1 ? '' : 's'} defined`}
          tone={inAlarm.length > 0 ? 'danger' : 'ok'}
        />
      </div>
      {o.alertsTruncated ? <p class="notice">More alerts than the overview reads in this window: the alert figures are lower bounds.</p> : null}
      <div class="grid-2">
        <Card title="Requests and verdicts" id="traffic">
          <Chart summary={`${t.requests} guarded requests, ${t.flagged + t.redacted} flagged or redacted, ${t.blocked} blocked in the window`} x={x} series={trafficSeries} values={traffic} yLabel="requests per bucket" />
        </Card>
        <Card title="Flag and block rate" id="rates">
          <Chart summary={`Share of requests flagged and blocked per time bucket`} x={x} series={rateSeries} values={rates} yLabel="share of requests" yFormat={percent} yMin={0} />
        </Card>
        <Card title="Alerts by severity" id="alert-severity">
          <Chart summary={`${t.alerts} alerts in the window by severity`} x={x} series={severitySeries} values={stacked} yLabel="alerts per bucket" />
        </Card>
        <Card title="Open alarms" id="alarms" actions={<a href="#/monitor">Monitor →</a>}>
          {o.alarms.length === 0 ? (
            <p class="empty">No alarms defined. Create them on monitoring schedules (POST /v1/monitor/alarms).</p>
          ) : (
            <ul class="alarm-list">
              {[...o.alarms]
                .sort((a, b) => (a.state === 'ALARM' ? -1 : 0) - (b.state === 'ALARM' ? -1 : 0))
                .map((a) => (
                  <li key={a.id} class={a.state === 'ALARM' ? 'alarm-on' : ''}>
                    <StatePill state={a.state} />
                    <div>
                      <strong>{a.name}</strong> <span class="muted mono">{a.metricName}</span>
                      <div class="muted small">
                        changed {ago(a.stateUpdatedAt)} — {a.stateReason}
                      </div>
                    </div>
                  </li>
                ))}
            </ul>
          )}
        </Card>
        <Card title="Top scanners" id="top-scanners">
          {o.topScanners.length === 0 ? <p class="empty">No alerts in this window.</p> : <BarList items={o.topScanners.map((s) => ({ label: s.scanner, value: s.alerts }))} color="#fb923c" unit="alerts" />}
        </Card>
        <Card title="Top flagged keys" id="top-keys">
          {o.topKeys.length === 0 ? (
            <p class="empty">No alerts in this window.</p>
          ) : (
            <BarList items={o.topKeys.map((k) => ({ label: k.name === '' ? `key ${shortId(k.keyId)}` : `${k.name} (${shortId(k.keyId)})`, value: k.alerts, hint: `${k.blocked} blocked` }))} color="#f87171" unit="alerts" />
          )}
        </Card>
      </div>
    </>
  )
}
