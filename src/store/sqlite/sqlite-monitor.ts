/**
 * The monitor's ports on SQLite (captures, ground truth, schedules and their leases, runs,
 * metric series, alarms). Kept beside SqliteStore, which delegates to it, on the same
 * connection: writes that read-then-write run in IMMEDIATE transactions, and a lease is taken
 * with one UPDATE … RETURNING under SQLite's write lock, so two processes never both hold it.
 */
import type Database from 'better-sqlite3'
import { decodeCursor, pageBy } from '../cursor.js'
import { SqliteStatements } from './statements.js'
import { ALARM_COLUMNS, ALARM_HISTORY_COLUMNS, CAPTURE_COLUMNS, METRIC_COLUMNS, RUN_COLUMNS, SCHEDULE_COLUMNS } from '../monitor-columns.js'
import { toAlarm, toAlarmHistory, toCapture, toMetricPoint, toRun, toSchedule } from '../monitor-columns.js'
import {
  MAX_METRIC_POINTS,
  checkAlarm,
  checkAlarmHistory,
  checkCapture,
  checkCaptureFilter,
  checkCaptures,
  checkGroundTruth,
  checkLease,
  checkMetricPoints,
  checkMetricQuery,
  checkRun,
  checkRunFilter,
  checkRunUpdate,
  checkSchedule,
  checkScheduleCompletion,
} from '../monitor-validate.js'
import type {
  AlarmHistoryRecord,
  AlarmRecord,
  AlarmStore,
  CaptureFilter,
  CaptureRecord,
  CaptureStore,
  GroundTruthRecord,
  LabelledCapture,
  MetricPoint,
  MetricQuery,
  MetricSeriesStore,
  Page,
  RunFilter,
  RunRecord,
  RunUpdate,
  ScheduleCompletion,
  ScheduleRecord,
  ScheduleStore,
} from '../types.js'
import { checkId, checkLimit, checkTime } from '../validate.js'

type Row = Record<string, unknown>

function add(where: string[], args: unknown[], clause: string, value: unknown): void {
  where.push(clause)
  args.push(value)
}

export class SqliteMonitorStore implements CaptureStore, ScheduleStore, MetricSeriesStore, AlarmStore {
  readonly #sql: SqliteStatements

  constructor(db: Database.Database) {
    this.#sql = new SqliteStatements(db)
  }

  // ------------------------------------------------------------ captures and ground truth

  async insertCapture(record: CaptureRecord): Promise<boolean> {
    const c = checkCapture(record)
    const result = this.#sql.do('insertCapture', () =>
      this.#sql.stmt(`INSERT INTO captures (tenant, inference_id, model_id, at, received_at, source, payload) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant, inference_id) DO NOTHING`).run(c.tenant, c.inferenceId, c.modelId, c.at, c.receivedAt, c.source, c.payload),
    )
    return result.changes === 1
  }

  async insertCaptures(records: readonly CaptureRecord[]): Promise<boolean[]> {
    const checked = checkCaptures(records)
    return this.#sql.immediate('insertCaptures', () => {
      const insert = this.#sql.stmt(`INSERT INTO captures (tenant, inference_id, model_id, at, received_at, source, payload) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant, inference_id) DO NOTHING`)
      return checked.map((c) => insert.run(c.tenant, c.inferenceId, c.modelId, c.at, c.receivedAt, c.source, c.payload).changes === 1)
    })
  }

  async putGroundTruth(records: readonly GroundTruthRecord[]): Promise<number> {
    const labels = checkGroundTruth(records)
    return this.#sql.immediate('putGroundTruth', () => {
      let matched = 0
      for (const g of labels) {
        this.#sql.stmt(`INSERT INTO ground_truth (tenant, inference_id, label, received_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (tenant, inference_id) DO UPDATE SET label = excluded.label, received_at = excluded.received_at`).run(g.tenant, g.inferenceId, g.label, g.receivedAt)
        if (this.#sql.stmt('SELECT 1 FROM captures WHERE tenant = ? AND inference_id = ?').get(g.tenant, g.inferenceId) !== undefined) matched++
      }
      return matched
    })
  }

  async getCapture(tenant: string, inferenceId: string): Promise<LabelledCapture | undefined> {
    const args = [checkId(tenant, 'tenant'), checkId(inferenceId, 'inferenceId')]
    const row = this.#sql.do('getCapture', () =>
      this.#sql.stmt(`SELECT ${CAPTURE_COLUMNS} FROM captures c LEFT JOIN ground_truth g ON g.tenant = c.tenant AND g.inference_id = c.inference_id
        WHERE c.tenant = ? AND c.inference_id = ?`).get(...args),
    )
    return row === undefined ? undefined : toCapture(row)
  }

  async listCaptures(filter: CaptureFilter): Promise<Page<LabelledCapture>> {
    const f = checkCaptureFilter(filter)
    const where = ['c.tenant = ?']
    const args: unknown[] = [f.tenant]
    if (f.modelId !== undefined) add(where, args, 'c.model_id = ?', f.modelId)
    if (f.receivedSince !== undefined) add(where, args, 'c.received_at >= ?', f.receivedSince)
    if (f.receivedUntil !== undefined) add(where, args, 'c.received_at < ?', f.receivedUntil)
    if (f.cursor !== undefined) {
      const after = decodeCursor(f.cursor, 'filter.cursor')
      where.push('(c.received_at > ? OR (c.received_at = ? AND c.inference_id > ?))')
      args.push(after.createdAt, after.createdAt, after.id)
    }
    args.push(f.limit + 1)
    const rows = this.#sql.do('listCaptures', () =>
      this.#sql.stmt(`SELECT ${CAPTURE_COLUMNS} FROM captures c LEFT JOIN ground_truth g ON g.tenant = c.tenant AND g.inference_id = c.inference_id
        WHERE ${where.join(' AND ')} ORDER BY c.received_at, c.inference_id LIMIT ?`).all(...args),
    )
    return capturePage(rows.map(toCapture), f.limit)
  }

  async pruneCaptures(before: string): Promise<number> {
    const at = checkTime(before, 'before')
    return this.#sql.immediate('pruneCaptures', () => {
      this.#sql.stmt('DELETE FROM ground_truth WHERE received_at < ?').run(at)
      return this.#sql.stmt('DELETE FROM captures WHERE received_at < ?').run(at).changes
    })
  }

  // ------------------------------------------------------------ schedules

  async createSchedule(record: ScheduleRecord): Promise<void> {
    const s = checkSchedule(record)
    this.#sql.do('createSchedule', () =>
      this.#sql.stmt(`INSERT INTO monitor_schedules (id, tenant, name, cron, model_id, baseline_dir, baseline_sealed, ground_truth_column,
        prediction_column, enabled, created_at, created_by, next_run_at, window_start, last_run_at, lease_owner, lease_until)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        s.id, s.tenant, s.name, s.cron, s.modelId, s.baselineDir, s.baselineSealed, s.groundTruthColumn, s.predictionColumn,
        s.enabled ? 1 : 0, s.createdAt, s.createdBy, s.nextRunAt, s.windowStart, s.lastRunAt, s.leaseOwner, s.leaseUntil,
      ),
    )
  }

  async getSchedule(tenant: string, id: string): Promise<ScheduleRecord | undefined> {
    const args = [checkId(tenant, 'tenant'), checkId(id, 'id')]
    const row = this.#sql.do('getSchedule', () => this.#sql.stmt(`SELECT ${SCHEDULE_COLUMNS} FROM monitor_schedules WHERE tenant = ? AND id = ?`).get(...args))
    return row === undefined ? undefined : toSchedule(row as Row)
  }

  async listSchedules(tenant?: string): Promise<ScheduleRecord[]> {
    const rows = this.#sql.do('listSchedules', () =>
      tenant === undefined
        ? this.#sql.stmt(`SELECT ${SCHEDULE_COLUMNS} FROM monitor_schedules ORDER BY created_at DESC, id DESC`).all()
        : this.#sql.stmt(`SELECT ${SCHEDULE_COLUMNS} FROM monitor_schedules WHERE tenant = ? ORDER BY created_at DESC, id DESC`).all(checkId(tenant, 'tenant')),
    )
    return (rows as Row[]).map(toSchedule)
  }

  async deleteSchedule(tenant: string, id: string): Promise<boolean> {
    const args = [checkId(tenant, 'tenant'), checkId(id, 'id')] as const
    return this.#sql.immediate('deleteSchedule', () => {
      const gone = this.#sql.stmt('DELETE FROM monitor_schedules WHERE tenant = ? AND id = ?').run(...args).changes === 1
      if (!gone) return false
      this.#sql.stmt('DELETE FROM monitor_alarm_history WHERE tenant = ? AND alarm_id IN (SELECT id FROM monitor_alarms WHERE tenant = ? AND schedule_id = ?)').run(args[0], ...args)
      this.#sql.stmt('DELETE FROM monitor_alarms WHERE tenant = ? AND schedule_id = ?').run(...args)
      this.#sql.stmt('DELETE FROM monitor_metrics WHERE tenant = ? AND schedule_id = ?').run(...args)
      this.#sql.stmt('DELETE FROM monitor_runs WHERE tenant = ? AND schedule_id = ?').run(...args)
      return true
    })
  }

  async claimDueSchedules(now: string, leaseUntil: string, owner: string, limit: number): Promise<ScheduleRecord[]> {
    const lease = checkLease(now, leaseUntil, owner)
    const max = checkLimit(limit)
    const rows = this.#sql.do('claimDueSchedules', () =>
      this.#sql.stmt(`UPDATE monitor_schedules SET lease_owner = ?, lease_until = ? WHERE id IN (
          SELECT id FROM monitor_schedules WHERE enabled = 1 AND next_run_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
          ORDER BY next_run_at, id LIMIT ?)
        RETURNING ${SCHEDULE_COLUMNS}`).all(lease.owner, lease.until, lease.at, lease.at, max),
    )
    return (rows as Row[]).map(toSchedule).sort((a, b) => (a.nextRunAt < b.nextRunAt ? -1 : a.nextRunAt > b.nextRunAt ? 1 : a.id < b.id ? -1 : 1))
  }

  async claimSchedule(tenant: string, id: string, now: string, leaseUntil: string, owner: string): Promise<ScheduleRecord | undefined> {
    const lease = checkLease(now, leaseUntil, owner)
    const args = [checkId(tenant, 'tenant'), checkId(id, 'id')]
    const row = this.#sql.do('claimSchedule', () =>
      this.#sql.stmt(`UPDATE monitor_schedules SET lease_owner = ?, lease_until = ?
        WHERE tenant = ? AND id = ? AND (lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)
        RETURNING ${SCHEDULE_COLUMNS}`).get(lease.owner, lease.until, ...args, lease.at, lease.owner),
    )
    return row === undefined ? undefined : toSchedule(row as Row)
  }

  async renewScheduleLease(tenant: string, id: string, owner: string, leaseUntil: string): Promise<boolean> {
    const args = [checkTime(leaseUntil, 'leaseUntil'), checkId(tenant, 'tenant'), checkId(id, 'id'), checkId(owner, 'owner')]
    return this.#sql.do('renewScheduleLease', () => this.#sql.stmt('UPDATE monitor_schedules SET lease_until = ? WHERE tenant = ? AND id = ? AND lease_owner = ?').run(...args).changes === 1)
  }

  async completeScheduleRun(tenant: string, id: string, owner: string, update: ScheduleCompletion): Promise<boolean> {
    const u = checkScheduleCompletion(update)
    const args = [u.windowStart, u.lastRunAt, u.nextRunAt, checkId(tenant, 'tenant'), checkId(id, 'id'), checkId(owner, 'owner')]
    return this.#sql.do('completeScheduleRun', () =>
      this.#sql.stmt(`UPDATE monitor_schedules SET window_start = ?, last_run_at = ?, next_run_at = ?, lease_owner = NULL, lease_until = NULL
        WHERE tenant = ? AND id = ? AND lease_owner = ?`).run(...args).changes === 1,
    )
  }

  // ------------------------------------------------------------ runs

  async insertRun(record: RunRecord): Promise<void> {
    const { run: r, metricsJson } = checkRun(record)
    this.#sql.do('insertRun', () =>
      this.#sql.stmt(`INSERT INTO monitor_runs (id, tenant, schedule_id, started_at, finished_at, status, window_start, window_end, row_count,
        violation_count, violations, metrics, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        r.id, r.tenant, r.scheduleId, r.startedAt, r.finishedAt, r.status, r.windowStart, r.windowEnd, r.rows, r.violationCount,
        r.violations, metricsJson, r.error,
      ),
    )
  }

  async finishRun(tenant: string, id: string, update: RunUpdate): Promise<boolean> {
    const { update: u, metricsJson } = checkRunUpdate(update)
    const args = [u.finishedAt, u.status, u.rows, u.violationCount, u.violations, metricsJson, u.error, checkId(tenant, 'tenant'), checkId(id, 'id')]
    return this.#sql.do('finishRun', () =>
      this.#sql.stmt(`UPDATE monitor_runs SET finished_at = ?, status = ?, row_count = ?, violation_count = ?, violations = ?, metrics = ?, error = ?
        WHERE tenant = ? AND id = ?`).run(...args).changes === 1,
    )
  }

  async getRun(tenant: string, id: string): Promise<RunRecord | undefined> {
    const args = [checkId(tenant, 'tenant'), checkId(id, 'id')]
    const row = this.#sql.do('getRun', () => this.#sql.stmt(`SELECT ${RUN_COLUMNS} FROM monitor_runs WHERE tenant = ? AND id = ?`).get(...args))
    return row === undefined ? undefined : toRun(row as Row)
  }

  async listRuns(filter: RunFilter): Promise<Page<RunRecord>> {
    const f = checkRunFilter(filter)
    const where = ['tenant = ?']
    const args: unknown[] = [f.tenant]
    if (f.scheduleId !== undefined) add(where, args, 'schedule_id = ?', f.scheduleId)
    if (f.cursor !== undefined) {
      const after = decodeCursor(f.cursor, 'filter.cursor')
      where.push('(started_at < ? OR (started_at = ? AND id < ?))')
      args.push(after.createdAt, after.createdAt, after.id)
    }
    args.push(f.limit + 1)
    const rows = this.#sql.do('listRuns', () =>
      this.#sql.stmt(`SELECT ${RUN_COLUMNS} FROM monitor_runs WHERE ${where.join(' AND ')} ORDER BY started_at DESC, id DESC LIMIT ?`).all(...args),
    )
    return pageBy((rows as Row[]).map(toRun), f.limit, (r) => ({ createdAt: r.startedAt, id: r.id }))
  }

  // ------------------------------------------------------------ metric series

  async appendMetrics(points: readonly MetricPoint[]): Promise<void> {
    const checked = checkMetricPoints(points)
    this.#sql.immediate('appendMetrics', () => {
      const insert = this.#sql.stmt('INSERT INTO monitor_metrics (tenant, schedule_id, name, at, run_id, value) VALUES (?, ?, ?, ?, ?, ?)')
      for (const p of checked) insert.run(p.tenant, p.scheduleId, p.name, p.at, p.runId, p.value)
    })
  }

  async queryMetric(query: MetricQuery): Promise<MetricPoint[]> {
    const q = checkMetricQuery(query)
    const rows = this.#sql.do('queryMetric', () =>
      this.#sql.stmt(`SELECT ${METRIC_COLUMNS} FROM monitor_metrics WHERE tenant = ? AND schedule_id = ? AND name = ? AND at > ? AND at <= ?
        ORDER BY at, run_id LIMIT ${MAX_METRIC_POINTS}`).all(q.tenant, q.scheduleId, q.name, q.since, q.until),
    )
    return (rows as Row[]).map(toMetricPoint)
  }

  // ------------------------------------------------------------ alarms

  async createAlarm(record: AlarmRecord): Promise<void> {
    const a = checkAlarm(record)
    this.#sql.do('createAlarm', () =>
      this.#sql.stmt(`INSERT INTO monitor_alarms (id, tenant, name, description, schedule_id, metric_name, statistic, comparison, threshold,
        period_seconds, evaluation_periods, datapoints_to_alarm, treat_missing_data, actions_enabled, state, state_reason, state_updated_at,
        created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        a.id, a.tenant, a.name, a.description, a.scheduleId, a.metricName, a.statistic, a.comparison, a.threshold, a.periodSeconds,
        a.evaluationPeriods, a.datapointsToAlarm, a.treatMissingData, a.actionsEnabled ? 1 : 0, a.state, a.stateReason, a.stateUpdatedAt,
        a.createdAt, a.createdBy,
      ),
    )
  }

  async getAlarm(tenant: string, id: string): Promise<AlarmRecord | undefined> {
    const args = [checkId(tenant, 'tenant'), checkId(id, 'id')]
    const row = this.#sql.do('getAlarm', () => this.#sql.stmt(`SELECT ${ALARM_COLUMNS} FROM monitor_alarms WHERE tenant = ? AND id = ?`).get(...args))
    return row === undefined ? undefined : toAlarm(row as Row)
  }

  async listAlarms(tenant?: string, scheduleId?: string): Promise<AlarmRecord[]> {
    const where: string[] = []
    const args: unknown[] = []
    if (tenant !== undefined) add(where, args, 'tenant = ?', checkId(tenant, 'tenant'))
    if (scheduleId !== undefined) add(where, args, 'schedule_id = ?', checkId(scheduleId, 'scheduleId'))
    const rows = this.#sql.do('listAlarms', () =>
      this.#sql.stmt(`SELECT ${ALARM_COLUMNS} FROM monitor_alarms ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY created_at DESC, id DESC`).all(...args),
    )
    return (rows as Row[]).map(toAlarm)
  }

  async deleteAlarm(tenant: string, id: string): Promise<boolean> {
    const args = [checkId(tenant, 'tenant'), checkId(id, 'id')] as const
    return this.#sql.immediate('deleteAlarm', () => {
      const gone = this.#sql.stmt('DELETE FROM monitor_alarms WHERE tenant = ? AND id = ?').run(...args).changes === 1
      if (gone) this.#sql.stmt('DELETE FROM monitor_alarm_history WHERE tenant = ? AND alarm_id = ?').run(...args)
      return gone
    })
  }

  async transitionAlarm(history: AlarmHistoryRecord): Promise<boolean> {
    const { history: h, reasonDataJson } = checkAlarmHistory(history)
    return this.#sql.immediate('transitionAlarm', () => {
      const moved = this.#sql.stmt('UPDATE monitor_alarms SET state = ?, state_reason = ?, state_updated_at = ? WHERE tenant = ? AND id = ? AND state = ?').run(
        h.newState, h.reason, h.at, h.tenant, h.alarmId, h.oldState,
      )
      if (moved.changes !== 1) return false
      this.#sql.stmt(`INSERT INTO monitor_alarm_history (id, tenant, alarm_id, at, old_state, new_state, reason, reason_data)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(h.id, h.tenant, h.alarmId, h.at, h.oldState, h.newState, h.reason, reasonDataJson)
      return true
    })
  }

  async listAlarmHistory(tenant: string, alarmId: string, limit: number, cursor?: string): Promise<Page<AlarmHistoryRecord>> {
    const args: unknown[] = [checkId(tenant, 'tenant'), checkId(alarmId, 'alarmId')]
    const max = checkLimit(limit)
    let after = ''
    if (cursor !== undefined) {
      const position = decodeCursor(cursor, 'cursor')
      after = ' AND (at < ? OR (at = ? AND id < ?))'
      args.push(position.createdAt, position.createdAt, position.id)
    }
    args.push(max + 1)
    const rows = this.#sql.do('listAlarmHistory', () =>
      this.#sql.stmt(`SELECT ${ALARM_HISTORY_COLUMNS} FROM monitor_alarm_history WHERE tenant = ? AND alarm_id = ?${after} ORDER BY at DESC, id DESC LIMIT ?`).all(...args),
    )
    return pageBy((rows as Row[]).map(toAlarmHistory), max, (h) => ({ createdAt: h.at, id: h.id }))
  }
}

function capturePage(rows: LabelledCapture[], limit: number): Page<LabelledCapture> {
  return pageBy(rows, limit, (c) => ({ createdAt: c.receivedAt, id: c.inferenceId }))
}
