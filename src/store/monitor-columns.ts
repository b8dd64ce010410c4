/**
 * SELECT lists and row mappers of the monitor's tables, shared by the SQL adapters (see
 * columns.ts). SQLite has no boolean type, so flags are 0/1 integers on both backends, and
 * JSON columns are text on both.
 */
import type { AlarmHistoryRecord, AlarmRecord, LabelledCapture, MetricPoint, RunRecord, ScheduleRecord } from './types.js'

/** Captures joined with `ground_truth g` (LEFT JOIN): the label column is null without one. */
export const CAPTURE_COLUMNS = `c.tenant, c.inference_id AS "inferenceId", c.model_id AS "modelId", c.at, c.received_at AS "receivedAt",
  c.source, c.payload, g.label`

export const SCHEDULE_COLUMNS = `id, tenant, name, cron, model_id AS "modelId", baseline_dir AS "baselineDir", baseline_sealed AS "baselineSealed",
  ground_truth_column AS "groundTruthColumn", prediction_column AS "predictionColumn", enabled, created_at AS "createdAt",
  created_by AS "createdBy", next_run_at AS "nextRunAt", window_start AS "windowStart", last_run_at AS "lastRunAt",
  lease_owner AS "leaseOwner", lease_until AS "leaseUntil"`

export const RUN_COLUMNS = `id, tenant, schedule_id AS "scheduleId", started_at AS "startedAt", finished_at AS "finishedAt", status,
  window_start AS "windowStart", window_end AS "windowEnd", row_count AS "rows", violation_count AS "violationCount", violations,
  metrics, error`

export const METRIC_COLUMNS = `tenant, schedule_id AS "scheduleId", run_id AS "runId", name, at, value`

export const ALARM_COLUMNS = `id, tenant, name, description, schedule_id AS "scheduleId", metric_name AS "metricName", statistic, comparison,
  threshold, period_seconds AS "periodSeconds", evaluation_periods AS "evaluationPeriods", datapoints_to_alarm AS "datapointsToAlarm",
  treat_missing_data AS "treatMissingData", actions_enabled AS "actionsEnabled", state, state_reason AS "stateReason",
  state_updated_at AS "stateUpdatedAt", created_at AS "createdAt", created_by AS "createdBy"`

export const ALARM_HISTORY_COLUMNS = `id, tenant, alarm_id AS "alarmId", at, old_state AS "oldState", new_state AS "newState", reason,
  reason_data AS "reasonData"`

function parsed<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

export const toCapture = (row: unknown): LabelledCapture => row as LabelledCapture

export function toSchedule(row: Record<string, unknown>): ScheduleRecord {
  return { ...(row as unknown as ScheduleRecord), enabled: Number(row.enabled) === 1 }
}

export function toRun(row: Record<string, unknown>): RunRecord {
  return { ...(row as unknown as RunRecord), metrics: parsed(row.metrics) }
}

export function toMetricPoint(row: Record<string, unknown>): MetricPoint {
  return { ...(row as unknown as MetricPoint), value: Number(row.value) }
}

export function toAlarm(row: Record<string, unknown>): AlarmRecord {
  return { ...(row as unknown as AlarmRecord), threshold: Number(row.threshold), actionsEnabled: Number(row.actionsEnabled) === 1 }
}

export function toAlarmHistory(row: Record<string, unknown>): AlarmHistoryRecord {
  return { ...(row as unknown as AlarmHistoryRecord), reasonData: parsed(row.reasonData) }
}
