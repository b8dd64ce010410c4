import { Counter, Gauge, type Registry } from 'prom-client'
import { ALARM_STATES, type AlarmStore, type RunRecord, type ScheduleStore } from '../../store/types.js'

export interface MetricsLogger {
  warn(obj: Record<string, unknown>, msg: string): void
}

/**
 * The monitor's Prometheus series, in the gateway's registry. Alarm states and last-run metrics
 * are read from the store at scrape time, so every replica reports the same values whichever
 * of them ran the schedule or moved the alarm. Labels are opaque ids (alarm, schedule), never
 * tenant or alarm names: /metrics is read by analysts of every tenant.
 */
export class MonitorMetrics {
  readonly captures: Counter<'source' | 'result'>
  readonly runs: Counter<'status'>
  readonly transitions: Counter<'to'>

  constructor(registry: Registry, store: AlarmStore & ScheduleStore, logger?: MetricsLogger) {
    this.captures = new Counter({ name: 'rampart_monitor_captures_total', help: 'Inference captures by source (proxy, api, library) and result (stored, duplicate, failed).', labelNames: ['source', 'result'], registers: [registry] })
    this.runs = new Counter({ name: 'rampart_monitor_runs_total', help: 'Monitoring runs finished on this replica, by status.', labelNames: ['status'], registers: [registry] })
    this.transitions = new Counter({ name: 'rampart_monitor_alarm_transitions_total', help: 'Alarm state changes recorded by this replica, by new state.', labelNames: ['to'], registers: [registry] })
    const warn = (err: unknown, what: string) => logger?.warn({ err: (err as Error).message }, `could not read ${what} for /metrics`)
    new Gauge({
      name: 'rampart_monitor_alarm_state',
      help: 'Alarm state: 1 for the state the alarm is in, 0 for the others (OK, ALARM, INSUFFICIENT_DATA).',
      labelNames: ['alarm_id', 'state'],
      registers: [registry],
      async collect() {
        this.reset()
        try {
          for (const alarm of await store.listAlarms()) for (const state of ALARM_STATES) this.set({ alarm_id: alarm.id, state }, alarm.state === state ? 1 : 0)
        } catch (err) {
          warn(err, 'alarm states')
        }
      },
    })
    // Both run gauges come from one read of the store per scrape.
    let snapshot: { at: number; runs: Promise<{ scheduleId: string; last?: RunRecord; completed?: RunRecord }[]> } | undefined
    const lastRuns = () => {
      if (snapshot === undefined || Date.now() - snapshot.at > 1_000) {
        snapshot = {
          at: Date.now(),
          runs: (async () => {
            const out: { scheduleId: string; last?: RunRecord; completed?: RunRecord }[] = []
            for (const schedule of await store.listSchedules()) {
              const runs = (await store.listRuns({ tenant: schedule.tenant, scheduleId: schedule.id, limit: 10 })).items.filter((r) => r.finishedAt !== null)
              const completed = runs.find((r) => r.status === 'completed' || r.status === 'no_data')
              out.push({ scheduleId: schedule.id, ...(runs[0] === undefined ? {} : { last: runs[0] }), ...(completed === undefined ? {} : { completed }) })
            }
            return out
          })(),
        }
      }
      return snapshot.runs
    }
    new Gauge({
      name: 'rampart_monitor_last_run_timestamp_seconds',
      help: 'When the last finished run of a schedule finished (unix seconds), labelled with its status.',
      labelNames: ['schedule_id', 'status'],
      registers: [registry],
      async collect() {
        this.reset()
        try {
          for (const { scheduleId, last } of await lastRuns()) if (last !== undefined) this.set({ schedule_id: scheduleId, status: last.status }, Date.parse(last.finishedAt!) / 1000)
        } catch (err) {
          warn(err, 'runs')
        }
      },
    })
    new Gauge({
      name: 'rampart_monitor_run_metric',
      help: 'The metrics of the last completed run of each schedule (drift scores, quality, violation counts…).',
      labelNames: ['schedule_id', 'metric'],
      registers: [registry],
      async collect() {
        this.reset()
        try {
          for (const { scheduleId, completed } of await lastRuns()) for (const m of completed?.metrics ?? []) this.set({ schedule_id: scheduleId, metric: m.name }, m.value)
        } catch (err) {
          warn(err, 'run metrics')
        }
      },
    })
  }
}
