/**
 * The monitor's ports on PostgreSQL, beside PostgresStore (which delegates to it) on the same
 * pool. Schedule leases are taken with `FOR UPDATE SKIP LOCKED` so replicas claiming at the same
 * moment pass over each other's rows; an alarm moves state with a compare-and-set on the old
 * state in the transaction that writes its history, so only one replica records (and notifies)
 * a given transition.
 */
import type pg from 'pg'
import { decodeCursor, pageBy } from '../cursor.js'
import { PostgresQueries } from './queries.js'
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


/** Positional parameters for a list built up piece by piece. */
class Params {
  readonly values: unknown[] = []
  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}

export class PostgresMonitorStore implements CaptureStore, ScheduleStore, MetricSeriesStore, AlarmStore {
  readonly #pg: PostgresQueries

  constructor(pool: pg.Pool) {
    this.#pg = new PostgresQueries(pool)
  }

  // ------------------------------------------------------------ captures and ground truth

  async insertCapture(record: CaptureRecord): Promise<boolean> {
    const c = checkCapture(record)
    const result = await this.#pg.result(
      'insertCapture',
      `INSERT INTO captures (tenant, inference_id, model_id, at, received_at, source, payload) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant, inference_id) DO NOTHING`,
      [c.tenant, c.inferenceId, c.modelId, c.at, c.receivedAt, c.source, c.payload],
    )
    return result.rowCount === 1
  }

  async insertCaptures(records: readonly CaptureRecord[]): Promise<boolean[]> {
    const checked = checkCaptures(records)
    if (checked.length === 0) return []
    // One statement: ON CONFLICT DO NOTHING also skips a repeat of an id earlier in the same batch.
    const rows = await this.#pg.rows(
      'insertCaptures',
      `INSERT INTO captures (tenant, inference_id, model_id, at, received_at, source, payload)
       SELECT a, b, c, d, e, f, g FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[]) WITH ORDINALITY AS r(a, b, c, d, e, f, g, n)
       ORDER BY n
       ON CONFLICT (tenant, inference_id) DO NOTHING RETURNING tenant, inference_id AS "inferenceId"`,
      [checked.map((c) => c.tenant), checked.map((c) => c.inferenceId), checked.map((c) => c.modelId), checked.map((c) => c.at), checked.map((c) => c.receivedAt), checked.map((c) => c.source), checked.map((c) => c.payload)],
    )
    const inserted = new Set(rows.map((r) => `${String(r.tenant)}\u0000${String(r.inferenceId)}`))
    return checked.map((c) => inserted.delete(`${c.tenant}\u0000${c.inferenceId}`))
  }

  async putGroundTruth(records: readonly GroundTruthRecord[]): Promise<number> {
    const labels = checkGroundTruth(records)
    if (labels.length === 0) return 0
    return this.#pg.transaction('putGroundTruth', async (query) => {
      let matched = 0
      for (const g of labels) {
        await query(
          `INSERT INTO ground_truth (tenant, inference_id, label, received_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant, inference_id) DO UPDATE SET label = excluded.label, received_at = excluded.received_at`,
          [g.tenant, g.inferenceId, g.label, g.receivedAt],
        )
        if ((await query('SELECT 1 FROM captures WHERE tenant = $1 AND inference_id = $2', [g.tenant, g.inferenceId])).rowCount === 1) matched++
      }
      return matched
    })
  }

  async getCapture(tenant: string, inferenceId: string): Promise<LabelledCapture | undefined> {
    const [row] = await this.#pg.rows(
      'getCapture',
      `SELECT ${CAPTURE_COLUMNS} FROM captures c LEFT JOIN ground_truth g ON g.tenant = c.tenant AND g.inference_id = c.inference_id
       WHERE c.tenant = $1 AND c.inference_id = $2`,
      [checkId(tenant, 'tenant'), checkId(inferenceId, 'inferenceId')],
    )
    return row === undefined ? undefined : toCapture(row)
  }

  async listCaptures(filter: CaptureFilter): Promise<Page<LabelledCapture>> {
    const f = checkCaptureFilter(filter)
    const p = new Params()
    const where = [`c.tenant = ${p.add(f.tenant)}`]
    if (f.modelId !== undefined) where.push(`c.model_id = ${p.add(f.modelId)}`)
    if (f.receivedSince !== undefined) where.push(`c.received_at >= ${p.add(f.receivedSince)}::timestamptz`)
    if (f.receivedUntil !== undefined) where.push(`c.received_at < ${p.add(f.receivedUntil)}::timestamptz`)
    if (f.cursor !== undefined) {
      const after = decodeCursor(f.cursor, 'filter.cursor')
      const t = p.add(after.createdAt)
      where.push(`(c.received_at > ${t}::timestamptz OR (c.received_at = ${t}::timestamptz AND c.inference_id > ${p.add(after.id)}))`)
    }
    const rows = await this.#pg.rows(
      'listCaptures',
      `SELECT ${CAPTURE_COLUMNS} FROM captures c LEFT JOIN ground_truth g ON g.tenant = c.tenant AND g.inference_id = c.inference_id
       WHERE ${where.join(' AND ')} ORDER BY c.received_at, c.inference_id LIMIT ${p.add(f.limit + 1)}`,
      p.values,
    )
    return pageBy(rows.map(toCapture), f.limit, (c) => ({ createdAt: c.receivedAt, id: c.inferenceId }))
  }

  async pruneCaptures(before: string): Promise<number> {
    const at = checkTime(before, 'before')
    return this.#pg.transaction('pruneCaptures', async (query) => {
      await query('DELETE FROM ground_truth WHERE received_at < $1', [at])
      return (await query('DELETE FROM captures WHERE received_at < $1', [at])).rowCount ?? 0
    })
  }

  // ------------------------------------------------------------ schedules

  async createSchedule(record: ScheduleRecord): Promise<void> {
    const s = checkSchedule(record)
    await this.#pg.result(
      'createSchedule',
      `INSERT INTO monitor_schedules (id, tenant, name, cron, model_id, baseline_dir, baseline_sealed, ground_truth_column, prediction_column,
         enabled, created_at, created_by, next_run_at, window_start, last_run_at, lease_owner, lease_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        s.id, s.tenant, s.name, s.cron, s.modelId, s.baselineDir, s.baselineSealed, s.groundTruthColumn, s.predictionColumn,
        s.enabled ? 1 : 0, s.createdAt, s.createdBy, s.nextRunAt, s.windowStart, s.lastRunAt, s.leaseOwner, s.leaseUntil,
      ],
    )
  }

  async getSchedule(tenant: string, id: string): Promise<ScheduleRecord | undefined> {
    const [row] = await this.#pg.rows('getSchedule', `SELECT ${SCHEDULE_COLUMNS} FROM monitor_schedules WHERE tenant = $1 AND id = $2`, [checkId(tenant, 'tenant'), checkId(id, 'id')])
    return row === undefined ? undefined : toSchedule(row)
  }

  async listSchedules(tenant?: string): Promise<ScheduleRecord[]> {
    const rows =
      tenant === undefined
        ? await this.#pg.rows('listSchedules', `SELECT ${SCHEDULE_COLUMNS} FROM monitor_schedules ORDER BY created_at DESC, id DESC`)
        : await this.#pg.rows('listSchedules', `SELECT ${SCHEDULE_COLUMNS} FROM monitor_schedules WHERE tenant = $1 ORDER BY created_at DESC, id DESC`, [checkId(tenant, 'tenant')])
    return rows.map(toSchedule)
  }

  async deleteSchedule(tenant: string, id: string): Promise<boolean> {
    const args = [checkId(tenant, 'tenant'), checkId(id, 'id')]
    return this.#pg.transaction('deleteSchedule', async (query) => {
      if ((await query('DELETE FROM monitor_schedules WHERE tenant = $1 AND id = $2', args)).rowCount !== 1) return false
      await query('DELETE FROM monitor_alarm_history WHERE tenant = $1 AND alarm_id IN (SELECT id FROM monitor_alarms WHERE tenant = $1 AND schedule_id = $2)', args)
      await query('DELETE FROM monitor_alarms WHERE tenant = $1 AND schedule_id = $2', args)
      await query('DELETE FROM monitor_metrics WHERE tenant = $1 AND schedule_id = $2', args)
      await query('DELETE FROM monitor_runs WHERE tenant = $1 AND schedule_id = $2', args)
      return true
    })
  }

  async claimDueSchedules(now: string, leaseUntil: string, owner: string, limit: number): Promise<ScheduleRecord[]> {
    const lease = checkLease(now, leaseUntil, owner)
    const max = checkLimit(limit)
    const rows = await this.#pg.rows(
      'claimDueSchedules',
      `UPDATE monitor_schedules SET lease_owner = $1, lease_until = $2 WHERE id IN (
         SELECT id FROM monitor_schedules WHERE enabled = 1 AND next_run_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
         ORDER BY next_run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
       RETURNING ${SCHEDULE_COLUMNS}`,
      [lease.owner, lease.until, lease.at, max],
    )
    return rows.map(toSchedule).sort((a, b) => (a.nextRunAt < b.nextRunAt ? -1 : a.nextRunAt > b.nextRunAt ? 1 : a.id < b.id ? -1 : 1))
  }

  async claimSchedule(tenant: string, id: string, now: string, leaseUntil: string, owner: string): Promise<ScheduleRecord | undefined> {
    const lease = checkLease(now, leaseUntil, owner)
    const [row] = await this.#pg.rows(
      'claimSchedule',
      `UPDATE monitor_schedules SET lease_owner = $1, lease_until = $2
       WHERE tenant = $3 AND id = $4 AND (lease_until IS NULL OR lease_until <= $5 OR lease_owner = $1)
       RETURNING ${SCHEDULE_COLUMNS}`,
      [lease.owner, lease.until, checkId(tenant, 'tenant'), checkId(id, 'id'), lease.at],
    )
    return row === undefined ? undefined : toSchedule(row)
  }

  async renewScheduleLease(tenant: string, id: string, owner: string, leaseUntil: string): Promise<boolean> {
    const args = [checkTime(leaseUntil, 'leaseUntil'), checkId(tenant, 'tenant'), checkId(id, 'id'), checkId(owner, 'owner')]
    return (await this.#pg.result('renewScheduleLease', 'UPDATE monitor_schedules SET lease_until = $1 WHERE tenant = $2 AND id = $3 AND lease_owner = $4', args)).rowCount === 1
  }

  async completeScheduleRun(tenant: string, id: string, owner: string, update: ScheduleCompletion): Promise<boolean> {
    const u = checkScheduleCompletion(update)
    const result = await this.#pg.result(
      'completeScheduleRun',
      `UPDATE monitor_schedules SET window_start = $1, last_run_at = $2, next_run_at = $3, lease_owner = NULL, lease_until = NULL
       WHERE tenant = $4 AND id = $5 AND lease_owner = $6`,
      [u.windowStart, u.lastRunAt, u.nextRunAt, checkId(tenant, 'tenant'), checkId(id, 'id'), checkId(owner, 'owner')],
    )
    return result.rowCount === 1
  }

  // ------------------------------------------------------------ runs

  async insertRun(record: RunRecord): Promise<void> {
    const { run: r, metricsJson } = checkRun(record)
    await this.#pg.result(
      'insertRun',
      `INSERT INTO monitor_runs (id, tenant, schedule_id, started_at, finished_at, status, window_start, window_end, row_count, violation_count,
         violations, metrics, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [r.id, r.tenant, r.scheduleId, r.startedAt, r.finishedAt, r.status, r.windowStart, r.windowEnd, r.rows, r.violationCount, r.violations, metricsJson, r.error],
    )
  }

  async finishRun(tenant: string, id: string, update: RunUpdate): Promise<boolean> {
    const { update: u, metricsJson } = checkRunUpdate(update)
    const result = await this.#pg.result(
      'finishRun',
      `UPDATE monitor_runs SET finished_at = $1, status = $2, row_count = $3, violation_count = $4, violations = $5, metrics = $6, error = $7
       WHERE tenant = $8 AND id = $9`,
      [u.finishedAt, u.status, u.rows, u.violationCount, u.violations, metricsJson, u.error, checkId(tenant, 'tenant'), checkId(id, 'id')],
    )
    return result.rowCount === 1
  }

  async getRun(tenant: string, id: string): Promise<RunRecord | undefined> {
    const [row] = await this.#pg.rows('getRun', `SELECT ${RUN_COLUMNS} FROM monitor_runs WHERE tenant = $1 AND id = $2`, [checkId(tenant, 'tenant'), checkId(id, 'id')])
    return row === undefined ? undefined : toRun(row)
  }

  async listRuns(filter: RunFilter): Promise<Page<RunRecord>> {
    const f = checkRunFilter(filter)
    const p = new Params()
    const where = [`tenant = ${p.add(f.tenant)}`]
    if (f.scheduleId !== undefined) where.push(`schedule_id = ${p.add(f.scheduleId)}`)
    if (f.cursor !== undefined) {
      const after = decodeCursor(f.cursor, 'filter.cursor')
      const t = p.add(after.createdAt)
      where.push(`(started_at < ${t}::timestamptz OR (started_at = ${t}::timestamptz AND id < ${p.add(after.id)}))`)
    }
    const rows = await this.#pg.rows('listRuns', `SELECT ${RUN_COLUMNS} FROM monitor_runs WHERE ${where.join(' AND ')} ORDER BY started_at DESC, id DESC LIMIT ${p.add(f.limit + 1)}`, p.values)
    return pageBy(rows.map(toRun), f.limit, (r) => ({ createdAt: r.startedAt, id: r.id }))
  }

  // ------------------------------------------------------------ metric series

  async appendMetrics(points: readonly MetricPoint[]): Promise<void> {
    const checked = checkMetricPoints(points)
    if (checked.length === 0) return
    // One statement per call: unnest keeps it to six parameters whatever the number of points.
    await this.#pg.result(
      'appendMetrics',
      `INSERT INTO monitor_metrics (tenant, schedule_id, name, at, run_id, value)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::double precision[])`,
      [checked.map((p) => p.tenant), checked.map((p) => p.scheduleId), checked.map((p) => p.name), checked.map((p) => p.at), checked.map((p) => p.runId), checked.map((p) => p.value)],
    )
  }

  async queryMetric(query: MetricQuery): Promise<MetricPoint[]> {
    const q = checkMetricQuery(query)
    const rows = await this.#pg.rows(
      'queryMetric',
      `SELECT ${METRIC_COLUMNS} FROM monitor_metrics WHERE tenant = $1 AND schedule_id = $2 AND name = $3 AND at > $4 AND at <= $5
       ORDER BY at, run_id LIMIT ${MAX_METRIC_POINTS}`,
      [q.tenant, q.scheduleId, q.name, q.since, q.until],
    )
    return rows.map(toMetricPoint)
  }

  // ------------------------------------------------------------ alarms

  async createAlarm(record: AlarmRecord): Promise<void> {
    const a = checkAlarm(record)
    await this.#pg.result(
      'createAlarm',
      `INSERT INTO monitor_alarms (id, tenant, name, description, schedule_id, metric_name, statistic, comparison, threshold, period_seconds,
         evaluation_periods, datapoints_to_alarm, treat_missing_data, actions_enabled, state, state_reason, state_updated_at, created_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
      [
        a.id, a.tenant, a.name, a.description, a.scheduleId, a.metricName, a.statistic, a.comparison, a.threshold, a.periodSeconds,
        a.evaluationPeriods, a.datapointsToAlarm, a.treatMissingData, a.actionsEnabled ? 1 : 0, a.state, a.stateReason, a.stateUpdatedAt,
        a.createdAt, a.createdBy,
      ],
    )
  }

  async getAlarm(tenant: string, id: string): Promise<AlarmRecord | undefined> {
    const [row] = await this.#pg.rows('getAlarm', `SELECT ${ALARM_COLUMNS} FROM monitor_alarms WHERE tenant = $1 AND id = $2`, [checkId(tenant, 'tenant'), checkId(id, 'id')])
    return row === undefined ? undefined : toAlarm(row)
  }

  async listAlarms(tenant?: string, scheduleId?: string): Promise<AlarmRecord[]> {
    const p = new Params()
    const where: string[] = []
    if (tenant !== undefined) where.push(`tenant = ${p.add(checkId(tenant, 'tenant'))}`)
    if (scheduleId !== undefined) where.push(`schedule_id = ${p.add(checkId(scheduleId, 'scheduleId'))}`)
    const rows = await this.#pg.rows('listAlarms', `SELECT ${ALARM_COLUMNS} FROM monitor_alarms ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY created_at DESC, id DESC`, p.values)
    return rows.map(toAlarm)
  }

  async deleteAlarm(tenant: string, id: string): Promise<boolean> {
    const args = [checkId(tenant, 'tenant'), checkId(id, 'id')]
    return this.#pg.transaction('deleteAlarm', async (query) => {
      if ((await query('DELETE FROM monitor_alarms WHERE tenant = $1 AND id = $2', args)).rowCount !== 1) return false
      await query('DELETE FROM monitor_alarm_history WHERE tenant = $1 AND alarm_id = $2', args)
      return true
    })
  }

  async transitionAlarm(history: AlarmHistoryRecord): Promise<boolean> {
    const { history: h, reasonDataJson } = checkAlarmHistory(history)
    return this.#pg.transaction('transitionAlarm', async (query) => {
      // The row lock taken by this UPDATE holds a concurrent transition until COMMIT; it then re-checks `state` and finds it moved.
      const moved = await query('UPDATE monitor_alarms SET state = $1, state_reason = $2, state_updated_at = $3 WHERE tenant = $4 AND id = $5 AND state = $6', [
        h.newState, h.reason, h.at, h.tenant, h.alarmId, h.oldState,
      ])
      if (moved.rowCount !== 1) return false
      await query('INSERT INTO monitor_alarm_history (id, tenant, alarm_id, at, old_state, new_state, reason, reason_data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        h.id, h.tenant, h.alarmId, h.at, h.oldState, h.newState, h.reason, reasonDataJson,
      ])
      return true
    })
  }

  async listAlarmHistory(tenant: string, alarmId: string, limit: number, cursor?: string): Promise<Page<AlarmHistoryRecord>> {
    const p = new Params()
    const where = [`tenant = ${p.add(checkId(tenant, 'tenant'))}`, `alarm_id = ${p.add(checkId(alarmId, 'alarmId'))}`]
    const max = checkLimit(limit)
    if (cursor !== undefined) {
      const position = decodeCursor(cursor, 'cursor')
      const t = p.add(position.createdAt)
      where.push(`(at < ${t}::timestamptz OR (at = ${t}::timestamptz AND id < ${p.add(position.id)}))`)
    }
    const rows = await this.#pg.rows('listAlarmHistory', `SELECT ${ALARM_HISTORY_COLUMNS} FROM monitor_alarm_history WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ${p.add(max + 1)}`, p.values)
    return pageBy(rows.map(toAlarmHistory), max, (h) => ({ createdAt: h.at, id: h.id }))
  }
}
