import { useEffect, useMemo, useState } from 'preact/hooks'
import { api, query } from '../api.js'
import { Chart, type ChartSeries } from '../components/chart.js'
import { WarningIcon } from '../components/icons.js'
import { Card, Empty, ErrorBox, Loading, RunStatus, StatePill } from '../components/ui.js'
import { ago, num, when } from '../format.js'
import { useApi } from '../hooks.js'
import type { AlarmHistoryRecord, AlarmRecord, DashboardSession, MetricSeries, Page, RunView, ScheduleView, Violation } from '../types.js'

const DAY_MS = 86_400_000

export function MonitorPage({ session }: { session: DashboardSession }) {
  const schedules = useApi<Page<ScheduleView>>('/v1/monitor/schedules', 30_000)
  const [selected, setSelected] = useState<string | undefined>(undefined)
  const list = schedules.data?.items ?? []
  const schedule = list.find((s) => s.id === selected) ?? list[0]
  return (
    <>
      <div class="page-head">
        <h1>Monitor</h1>
      </div>
      <ErrorBox error={schedules.error} />
      {schedules.data === undefined ? (
        <Loading />
      ) : list.length === 0 ? (
        <Empty>No monitoring schedules yet. Create one with POST /v1/monitor/schedules (docs/monitor-ops.md).</Empty>
      ) : (
        <>
          <Card title="Schedules" id="schedules">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Schedule</th>
                  <th scope="col">Model</th>
                  <th scope="col">Cron (UTC)</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Next run</th>
                </tr>
              </thead>
              <tbody>
                {list.map((s) => (
                  <tr key={s.id} class={s.id === schedule?.id ? 'selected' : ''}>
                    <td>
                      <button type="button" class="linklike" aria-pressed={s.id === schedule?.id} onClick={() => setSelected(s.id)}>
                        {s.name}
                      </button>
                      {s.running ? <span class="badge">running</span> : null}
                    </td>
                    <td class="mono">{s.modelId}</td>
                    <td class="mono">{s.cron}</td>
                    <td>{ago(s.lastRunAt)}</td>
                    <td>{when(s.nextRunAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
          {schedule === undefined ? null : <ScheduleDetail key={schedule.id} schedule={schedule} admin={session.role === 'admin'} onRun={schedules.reload} />}
        </>
      )}
    </>
  )
}

/** `feature.<name>.drift.<method>`: the first method per feature is the one the check chose (checks.ts pushes it first). */
function driftMetrics(run: RunView | undefined): { feature: string; name: string; method: string }[] {
  const seen = new Map<string, { feature: string; name: string; method: string }>()
  for (const m of run?.metrics ?? []) {
    const match = /^feature\.(.+)\.drift\.([a-z_]+)$/.exec(m.name)
    if (match === null || match[2] === 'p_value' || seen.has(match[1]!)) continue
    seen.set(match[1]!, { feature: match[1]!, name: m.name, method: match[2]! })
  }
  return [...seen.values()]
}

function ScheduleDetail({ schedule, admin, onRun }: { schedule: ScheduleView; admin: boolean; onRun: () => void }) {
  const runs = useApi<Page<RunView>>(`/v1/monitor/runs${query({ scheduleId: schedule.id, limit: 20 })}`, 30_000)
  const alarms = useApi<{ items: AlarmRecord[] }>(`/v1/monitor/alarms${query({ scheduleId: schedule.id })}`, 30_000)
  const lastChecked = runs.data?.items.find((r) => r.status === 'completed')
  const lastRun = useApi<RunView>(lastChecked === undefined ? undefined : `/v1/monitor/runs/${lastChecked.id}`)
  const [runError, setRunError] = useState<Error | undefined>(undefined)
  const [running, setRunning] = useState(false)
  const runNow = async () => {
    setRunning(true)
    setRunError(undefined)
    try {
      await api(`/v1/monitor/schedules/${schedule.id}/run`, { method: 'POST' })
      runs.reload()
      alarms.reload()
      onRun()
    } catch (e) {
      setRunError(e as Error)
    } finally {
      setRunning(false)
    }
  }
  const features = useMemo(() => driftMetrics(lastRun.data), [lastRun.data])
  const violations = lastRun.data?.violations ?? []
  return (
    <>
      <div class="page-head sub">
        <h2 class="h-section">{schedule.name}</h2>
        {admin ? (
          <button type="button" class="btn btn-primary" onClick={() => void runNow()} disabled={running}>
            {running ? 'Running…' : 'Run now'}
          </button>
        ) : null}
      </div>
      <ErrorBox error={runError} />
      <div class="grid-2">
        <Card title="Alarms" id="monitor-alarms">
          {alarms.data === undefined ? <Loading /> : alarms.data.items.length === 0 ? <Empty>No alarms on this schedule.</Empty> : <AlarmList alarms={alarms.data.items} />}
        </Card>
        <Card title="Runs" id="runs">
          {runs.data === undefined ? (
            <Loading />
          ) : runs.data.items.length === 0 ? (
            <Empty>No runs yet.</Empty>
          ) : (
            <table class="table compact">
              <thead>
                <tr>
                  <th scope="col">Finished</th>
                  <th scope="col">Status</th>
                  <th scope="col">Rows</th>
                  <th scope="col">Violations</th>
                </tr>
              </thead>
              <tbody>
                {runs.data.items.map((r) => (
                  <tr key={r.id}>
                    <td title={when(r.finishedAt)}>{ago(r.finishedAt ?? r.startedAt)}</td>
                    <td>
                      <RunStatus status={r.status} />
                    </td>
                    <td>{num(r.rows)}</td>
                    <td>{r.violationCount > 0 ? <strong class="sev-text-high">{r.violationCount}</strong> : r.status === 'completed' ? '0' : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
      <Card title={`Drift against the baseline, per feature${lastChecked === undefined ? '' : ` — last checked ${ago(lastChecked.finishedAt)}`}`} id="drift">
        {lastChecked === undefined ? (
          <Empty>No completed run yet: drift appears after the first run with captured data.</Empty>
        ) : features.length === 0 ? (
          <Empty>The last run measured no feature drift.</Empty>
        ) : (
          <div class="small-multiples">
            {features.map((f) => (
              <DriftChart key={f.name} runId={lastChecked.id} scheduleId={schedule.id} feature={f.feature} metric={f.name} method={f.method} violation={violations.find((v) => v.feature_name === f.feature && (v.constraint_check_type === 'baseline_drift_check' || v.constraint_check_type === 'text_drift_check'))} />
            ))}
          </div>
        )}
      </Card>
      <Card title="Data-quality and drift violations of the last completed run" id="violations">
        {lastRun.data === undefined ? (
          lastChecked === undefined ? <Empty>No completed run yet.</Empty> : <Loading />
        ) : violations.length === 0 ? (
          <Empty>No violations: the last run matched the baseline.</Empty>
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Feature</th>
                <th scope="col">Check</th>
                <th scope="col">What</th>
              </tr>
            </thead>
            <tbody>
              {violations.map((v: Violation, i) => (
                <tr key={i}>
                  <td class="mono">
                    <WarningIcon class="sev-text-high" /> {v.feature_name}
                  </td>
                  <td class="mono">{v.constraint_check_type}</td>
                  <td>{v.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  )
}

function DriftChart({ runId, scheduleId, feature, metric, method, violation }: { runId: string; scheduleId: string; feature: string; metric: string; method: string; violation: Violation | undefined }) {
  const since = useMemo(() => new Date(Date.now() - 30 * DAY_MS).toISOString(), [])
  const { data } = useApi<MetricSeries>(`/v1/monitor/metrics${query({ scheduleId, name: metric, since })}`, undefined, runId)
  const threshold = violation?.threshold
  const x = useMemo(() => (data?.points ?? []).map((p) => Date.parse(p.at) / 1000), [data])
  const values = useMemo(() => [(data?.points ?? []).map((p) => p.value), ...(threshold === undefined ? [] : [(data?.points ?? []).map(() => threshold)])], [data, threshold])
  const series: ChartSeries[] = useMemo(() => [{ label: method, color: violation === undefined ? '#38bdf8' : '#f87171', points: true }, ...(threshold === undefined ? [] : [{ label: 'threshold', color: '#94a3b8', dash: [6, 4] }])], [method, violation, threshold])
  const last = data?.points.at(-1)?.value
  return (
    <figure class={`multiple ${violation === undefined ? '' : 'drifted'}`}>
      <figcaption>
        {violation === undefined ? null : <WarningIcon label="drifted" class="sev-text-critical" />}
        <strong class="mono">{feature}</strong> <span class="muted">{method}</span> {last === undefined ? null : <span class="muted">last {last.toFixed(3)}</span>}
        {violation === undefined ? <span class="badge state state-ok">within baseline</span> : <span class="badge state state-alarm">drifted</span>}
      </figcaption>
      {data === undefined ? <Loading /> : <Chart summary={`${method} drift statistic of ${feature} over the last 30 days${threshold === undefined ? '' : `, threshold ${threshold}`}`} x={x} series={series} values={values} yLabel={method} height={160} yMin={0} />}
    </figure>
  )
}

function AlarmList({ alarms }: { alarms: AlarmRecord[] }) {
  const [open, setOpen] = useState<string | undefined>(undefined)
  const history = useApi<Page<AlarmHistoryRecord>>(open === undefined ? undefined : `/v1/monitor/alarms/${open}/history${query({ limit: 20 })}`, undefined, alarms.map((a) => a.stateUpdatedAt).join())
  useEffect(() => {
    if (alarms.length > 0 && open === undefined) setOpen(alarms.find((a) => a.state === 'ALARM')?.id ?? alarms[0]!.id)
  }, [alarms, open])
  return (
    <>
      <ul class="alarm-list">
        {alarms.map((a) => (
          <li key={a.id} class={a.state === 'ALARM' ? 'alarm-on' : ''}>
            <StatePill state={a.state} />
            <div>
              <button type="button" class="linklike" aria-expanded={open === a.id} onClick={() => setOpen(a.id)}>
                {a.name}
              </button>{' '}
              <span class="muted mono">
                {a.statistic}({a.metricName}) {a.comparison.replace('Threshold', '').replace(/([A-Z])/g, ' $1').toLowerCase()} {a.threshold}
              </span>
              <div class="muted small">
                {a.datapointsToAlarm} of {a.evaluationPeriods} × {a.periodSeconds / 60} min · changed {ago(a.stateUpdatedAt)} — {a.stateReason}
              </div>
            </div>
          </li>
        ))}
      </ul>
      {open === undefined ? null : (
        <div class="history">
          <h3>State history</h3>
          {history.data === undefined ? (
            <Loading />
          ) : history.data.items.length === 0 ? (
            <Empty>No state changes yet.</Empty>
          ) : (
            <ol class="timeline">
              {history.data.items.map((h) => (
                <li key={h.id}>
                  <time dateTime={h.at} title={when(h.at)}>
                    {ago(h.at)}
                  </time>
                  <span>
                    <StatePill state={h.oldState} /> → <StatePill state={h.newState} />
                  </span>
                  <span class="muted small">{h.reason}</span>
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </>
  )
}
