/**
 * Input checks of the monitor's store ports (captures, schedules, runs, metric series, alarms),
 * shared by every adapter like validate.ts: bad input is refused with the same error and dotted
 * path on SQLite and PostgreSQL, and times come back canonical.
 */
import { RampartError } from '../core/errors.js'
import { ALARM_COMPARISONS, ALARM_STATES, ALARM_STATISTICS, RUN_STATUSES, TREAT_MISSING_DATA } from './types.js'
import type {
  AlarmHistoryRecord,
  AlarmRecord,
  CaptureFilter,
  CaptureRecord,
  GroundTruthRecord,
  MetricPoint,
  MetricQuery,
  RunFilter,
  RunRecord,
  RunUpdate,
  ScheduleCompletion,
  ScheduleRecord,
} from './types.js'
import { checkId, checkLimit, checkText, checkTime, toJson } from './validate.js'

/** Most points `appendMetrics` takes at once and `queryMetric` returns. */
export const MAX_METRIC_POINTS = 10_000
/** Most labels per `putGroundTruth` call. */
export const MAX_GROUND_TRUTH_BATCH = 10_000

function invalid(path: string, message: string): RampartError {
  return new RampartError('RAMPART_ERR_INPUT_INVALID', `${path}: ${message}`, { path })
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'must be an object')
  return value as Record<string, unknown>
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw invalid(path, `must be one of ${allowed.join(', ')}`)
  return value as T
}

function nullableId(value: unknown, path: string): string | null {
  return value === null ? null : checkId(value, path)
}

function nullableTime(value: unknown, path: string): string | null {
  return value === null ? null : checkTime(value, path)
}

function nullableText(value: unknown, path: string): string | null {
  return value === null ? null : checkText(value, path)
}

function count(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw invalid(path, 'must be a non-negative integer')
  return value as number
}

function positive(value: unknown, path: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max) throw invalid(path, `must be an integer from 1 to ${max}`)
  return value as number
}

function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(path, 'must be a finite number')
  return value
}

function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw invalid(path, 'must be a boolean')
  return value
}

export function checkCapture(record: CaptureRecord): CaptureRecord {
  object(record, 'capture')
  return {
    tenant: checkId(record.tenant, 'capture.tenant'),
    inferenceId: checkId(record.inferenceId, 'capture.inferenceId'),
    modelId: checkId(record.modelId, 'capture.modelId'),
    at: checkTime(record.at, 'capture.at'),
    receivedAt: checkTime(record.receivedAt, 'capture.receivedAt'),
    source: checkId(record.source, 'capture.source'),
    payload: checkText(record.payload, 'capture.payload'),
  }
}

/** Most records per `insertCaptures` call. */
export const MAX_CAPTURE_BATCH = 1_000

export function checkCaptures(records: readonly CaptureRecord[]): CaptureRecord[] {
  if (!Array.isArray(records)) throw invalid('captures', 'must be an array')
  if (records.length > MAX_CAPTURE_BATCH) throw invalid('captures', `at most ${MAX_CAPTURE_BATCH} per call`)
  return records.map((r, i) => {
    try {
      return checkCapture(r)
    } catch (error) {
      if (error instanceof RampartError && error.path?.startsWith('capture') === true) {
        const path = `captures[${i}]${error.path.slice('capture'.length)}`
        throw new RampartError(error.code, `${path}${error.message.slice(error.path.length)}`, { path })
      }
      throw error
    }
  })
}

export function checkGroundTruth(records: readonly GroundTruthRecord[]): GroundTruthRecord[] {
  if (!Array.isArray(records)) throw invalid('labels', 'must be an array')
  if (records.length > MAX_GROUND_TRUTH_BATCH) throw invalid('labels', `at most ${MAX_GROUND_TRUTH_BATCH} per call`)
  return records.map((r, i) => {
    object(r, `labels[${i}]`)
    return {
      tenant: checkId(r.tenant, `labels[${i}].tenant`),
      inferenceId: checkId(r.inferenceId, `labels[${i}].inferenceId`),
      label: checkText(r.label, `labels[${i}].label`),
      receivedAt: checkTime(r.receivedAt, `labels[${i}].receivedAt`),
    }
  })
}

export function checkCaptureFilter(filter: CaptureFilter): CaptureFilter {
  object(filter, 'filter')
  const out: CaptureFilter = { tenant: checkId(filter.tenant, 'filter.tenant'), limit: checkLimit(filter.limit, 'filter.limit') }
  if (filter.modelId !== undefined) out.modelId = checkId(filter.modelId, 'filter.modelId')
  if (filter.receivedSince !== undefined) out.receivedSince = checkTime(filter.receivedSince, 'filter.receivedSince')
  if (filter.receivedUntil !== undefined) out.receivedUntil = checkTime(filter.receivedUntil, 'filter.receivedUntil')
  if (filter.cursor !== undefined) out.cursor = checkText(filter.cursor, 'filter.cursor')
  return out
}

export function checkSchedule(record: ScheduleRecord): ScheduleRecord {
  object(record, 'schedule')
  const baselineDir = nullableText(record.baselineDir, 'schedule.baselineDir')
  const baselineSealed = nullableText(record.baselineSealed, 'schedule.baselineSealed')
  if ((baselineDir === null) === (baselineSealed === null)) throw invalid('schedule.baselineDir', 'give exactly one of baselineDir and baselineSealed')
  return {
    id: checkId(record.id, 'schedule.id'),
    tenant: checkId(record.tenant, 'schedule.tenant'),
    name: checkId(record.name, 'schedule.name'),
    cron: checkId(record.cron, 'schedule.cron'),
    modelId: checkId(record.modelId, 'schedule.modelId'),
    baselineDir,
    baselineSealed,
    groundTruthColumn: nullableId(record.groundTruthColumn, 'schedule.groundTruthColumn'),
    predictionColumn: nullableId(record.predictionColumn, 'schedule.predictionColumn'),
    enabled: bool(record.enabled, 'schedule.enabled'),
    createdAt: checkTime(record.createdAt, 'schedule.createdAt'),
    createdBy: checkId(record.createdBy, 'schedule.createdBy'),
    nextRunAt: checkTime(record.nextRunAt, 'schedule.nextRunAt'),
    windowStart: checkTime(record.windowStart, 'schedule.windowStart'),
    lastRunAt: nullableTime(record.lastRunAt, 'schedule.lastRunAt'),
    leaseOwner: nullableId(record.leaseOwner, 'schedule.leaseOwner'),
    leaseUntil: nullableTime(record.leaseUntil, 'schedule.leaseUntil'),
  }
}

/** Arguments of a lease: it must end after `now`. */
export function checkLease(now: string, leaseUntil: string, owner: string): { at: string; until: string; owner: string } {
  const at = checkTime(now, 'now')
  const until = checkTime(leaseUntil, 'leaseUntil')
  if (until <= at) throw invalid('leaseUntil', 'must be later than now')
  return { at, until, owner: checkId(owner, 'owner') }
}

export function checkScheduleCompletion(update: ScheduleCompletion): ScheduleCompletion {
  object(update, 'update')
  return {
    windowStart: checkTime(update.windowStart, 'update.windowStart'),
    lastRunAt: checkTime(update.lastRunAt, 'update.lastRunAt'),
    nextRunAt: checkTime(update.nextRunAt, 'update.nextRunAt'),
  }
}

function checkMetrics(value: unknown, path: string): string {
  if (!Array.isArray(value)) throw invalid(path, 'must be an array of { name, value }')
  value.forEach((m: unknown, i) => {
    const metric = object(m, `${path}[${i}]`)
    checkId(metric.name, `${path}[${i}].name`)
    finite(metric.value, `${path}[${i}].value`)
  })
  return toJson(value, path)
}

export function checkRun(run: RunRecord): { run: RunRecord; metricsJson: string } {
  object(run, 'run')
  const metricsJson = checkMetrics(run.metrics, 'run.metrics')
  return {
    run: {
      id: checkId(run.id, 'run.id'),
      tenant: checkId(run.tenant, 'run.tenant'),
      scheduleId: checkId(run.scheduleId, 'run.scheduleId'),
      startedAt: checkTime(run.startedAt, 'run.startedAt'),
      finishedAt: nullableTime(run.finishedAt, 'run.finishedAt'),
      status: oneOf(run.status, RUN_STATUSES, 'run.status'),
      windowStart: checkTime(run.windowStart, 'run.windowStart'),
      windowEnd: checkTime(run.windowEnd, 'run.windowEnd'),
      rows: count(run.rows, 'run.rows'),
      violationCount: count(run.violationCount, 'run.violationCount'),
      violations: nullableText(run.violations, 'run.violations'),
      metrics: run.metrics,
      error: nullableText(run.error, 'run.error'),
    },
    metricsJson,
  }
}

export function checkRunUpdate(update: RunUpdate): { update: RunUpdate; metricsJson: string } {
  object(update, 'update')
  const metricsJson = checkMetrics(update.metrics, 'update.metrics')
  return {
    update: {
      finishedAt: nullableTime(update.finishedAt, 'update.finishedAt'),
      status: oneOf(update.status, RUN_STATUSES, 'update.status'),
      rows: count(update.rows, 'update.rows'),
      violationCount: count(update.violationCount, 'update.violationCount'),
      violations: nullableText(update.violations, 'update.violations'),
      metrics: update.metrics,
      error: nullableText(update.error, 'update.error'),
    },
    metricsJson,
  }
}

export function checkRunFilter(filter: RunFilter): RunFilter {
  object(filter, 'filter')
  const out: RunFilter = { tenant: checkId(filter.tenant, 'filter.tenant'), limit: checkLimit(filter.limit, 'filter.limit') }
  if (filter.scheduleId !== undefined) out.scheduleId = checkId(filter.scheduleId, 'filter.scheduleId')
  if (filter.cursor !== undefined) out.cursor = checkText(filter.cursor, 'filter.cursor')
  return out
}

export function checkMetricPoints(points: readonly MetricPoint[]): MetricPoint[] {
  if (!Array.isArray(points)) throw invalid('points', 'must be an array')
  if (points.length > MAX_METRIC_POINTS) throw invalid('points', `at most ${MAX_METRIC_POINTS} per call`)
  return points.map((p, i) => {
    object(p, `points[${i}]`)
    return {
      tenant: checkId(p.tenant, `points[${i}].tenant`),
      scheduleId: checkId(p.scheduleId, `points[${i}].scheduleId`),
      runId: checkId(p.runId, `points[${i}].runId`),
      name: checkId(p.name, `points[${i}].name`),
      at: checkTime(p.at, `points[${i}].at`),
      value: finite(p.value, `points[${i}].value`),
    }
  })
}

export function checkMetricQuery(query: MetricQuery): MetricQuery {
  object(query, 'query')
  return {
    tenant: checkId(query.tenant, 'query.tenant'),
    scheduleId: checkId(query.scheduleId, 'query.scheduleId'),
    name: checkId(query.name, 'query.name'),
    since: checkTime(query.since, 'query.since'),
    until: checkTime(query.until, 'query.until'),
  }
}

export function checkAlarm(record: AlarmRecord): AlarmRecord {
  object(record, 'alarm')
  const evaluationPeriods = positive(record.evaluationPeriods, 'alarm.evaluationPeriods', 1_000)
  const datapointsToAlarm = positive(record.datapointsToAlarm, 'alarm.datapointsToAlarm', 1_000)
  if (datapointsToAlarm > evaluationPeriods) throw invalid('alarm.datapointsToAlarm', 'must not exceed evaluationPeriods')
  const periodSeconds = positive(record.periodSeconds, 'alarm.periodSeconds', 366 * 86_400)
  if (periodSeconds % 60 !== 0) throw invalid('alarm.periodSeconds', 'must be a multiple of 60')
  return {
    id: checkId(record.id, 'alarm.id'),
    tenant: checkId(record.tenant, 'alarm.tenant'),
    name: checkId(record.name, 'alarm.name'),
    description: checkText(record.description, 'alarm.description'),
    scheduleId: checkId(record.scheduleId, 'alarm.scheduleId'),
    metricName: checkId(record.metricName, 'alarm.metricName'),
    statistic: oneOf(record.statistic, ALARM_STATISTICS, 'alarm.statistic'),
    comparison: oneOf(record.comparison, ALARM_COMPARISONS, 'alarm.comparison'),
    threshold: finite(record.threshold, 'alarm.threshold'),
    periodSeconds,
    evaluationPeriods,
    datapointsToAlarm,
    treatMissingData: oneOf(record.treatMissingData, TREAT_MISSING_DATA, 'alarm.treatMissingData'),
    actionsEnabled: bool(record.actionsEnabled, 'alarm.actionsEnabled'),
    state: oneOf(record.state, ALARM_STATES, 'alarm.state'),
    stateReason: checkText(record.stateReason, 'alarm.stateReason'),
    stateUpdatedAt: checkTime(record.stateUpdatedAt, 'alarm.stateUpdatedAt'),
    createdAt: checkTime(record.createdAt, 'alarm.createdAt'),
    createdBy: checkId(record.createdBy, 'alarm.createdBy'),
  }
}

export function checkAlarmHistory(record: AlarmHistoryRecord): { history: AlarmHistoryRecord; reasonDataJson: string } {
  object(record, 'history')
  const reasonDataJson = toJson(object(record.reasonData, 'history.reasonData'), 'history.reasonData')
  if (record.oldState === record.newState) throw invalid('history.newState', 'must differ from oldState')
  return {
    history: {
      id: checkId(record.id, 'history.id'),
      tenant: checkId(record.tenant, 'history.tenant'),
      alarmId: checkId(record.alarmId, 'history.alarmId'),
      at: checkTime(record.at, 'history.at'),
      oldState: oneOf(record.oldState, ALARM_STATES, 'history.oldState'),
      newState: oneOf(record.newState, ALARM_STATES, 'history.newState'),
      reason: checkText(record.reason, 'history.reason'),
      reasonData: JSON.parse(reasonDataJson) as Record<string, unknown>,
    },
    reasonDataJson,
  }
}
