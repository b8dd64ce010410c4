import type { Migration } from '../migrations.js'

/**
 * SQLite schema steps. Times are TEXT in canonical `toISOString()` form, so text order is time
 * order; JSON is TEXT. Append new steps at the end, never edit a released one.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'gateway_core',
    sql: `
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'app')),
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  last_used_at TEXT,
  rate_limit_per_minute INTEGER CHECK (rate_limit_per_minute >= 0),
  daily_quota INTEGER CHECK (daily_quota >= 0)
) STRICT;
CREATE INDEX api_keys_tenant ON api_keys (tenant, created_at DESC, id DESC);

CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  tenant TEXT NOT NULL,
  key_id TEXT,
  request_id TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
  decision TEXT NOT NULL CHECK (decision IN ('allow', 'flag', 'redact', 'block')),
  severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  scanners TEXT NOT NULL,
  findings TEXT NOT NULL,
  excerpt TEXT NOT NULL,
  source TEXT NOT NULL,
  acknowledged_at TEXT,
  acknowledged_by TEXT
) STRICT;
CREATE INDEX alerts_tenant_time ON alerts (tenant, created_at DESC, id DESC);

CREATE TABLE policy_versions (
  tenant TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  source TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  description TEXT NOT NULL,
  PRIMARY KEY (tenant, version)
) STRICT;

-- One row per tenant: the last version number handed out. Bumped with an upsert in the same
-- transaction as the insert, so numbers are unique and gapless without a retry loop.
CREATE TABLE policy_heads (
  tenant TEXT PRIMARY KEY,
  last_version INTEGER NOT NULL
) STRICT;

CREATE TABLE policy_active (
  tenant TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  activated_at TEXT NOT NULL,
  activated_by TEXT NOT NULL,
  FOREIGN KEY (tenant, version) REFERENCES policy_versions (tenant, version)
) STRICT;

CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY CHECK (seq >= 1),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  tenant TEXT,
  action TEXT NOT NULL,
  target TEXT,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  mac TEXT NOT NULL
) STRICT;

CREATE TABLE data_keys (
  -- Insertion order breaks ties between keys created in the same millisecond.
  n INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  wrapped TEXT NOT NULL,
  provider TEXT NOT NULL,
  master_key_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  retired_at TEXT
) STRICT;

CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  target TEXT NOT NULL,
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  delivered_at TEXT,
  last_error TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox (next_attempt_at, created_at) WHERE delivered_at IS NULL;
`,
  },
  {
    version: 2,
    name: 'monitor',
    sql: `
-- Sampled inferences, sealed. Windows are read by (tenant, model, received_at, inference_id).
CREATE TABLE captures (
  tenant TEXT NOT NULL,
  inference_id TEXT NOT NULL,
  model_id TEXT NOT NULL,
  at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  source TEXT NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY (tenant, inference_id)
) STRICT;
CREATE INDEX captures_window ON captures (tenant, model_id, received_at, inference_id);
CREATE INDEX captures_received ON captures (received_at);

-- Labels arrive later (or earlier) than their capture, so they live apart and are joined on read.
CREATE TABLE ground_truth (
  tenant TEXT NOT NULL,
  inference_id TEXT NOT NULL,
  label TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (tenant, inference_id)
) STRICT;
CREATE INDEX ground_truth_received ON ground_truth (received_at);

CREATE TABLE monitor_schedules (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  cron TEXT NOT NULL,
  model_id TEXT NOT NULL,
  baseline_dir TEXT,
  baseline_sealed TEXT,
  ground_truth_column TEXT,
  prediction_column TEXT,
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  next_run_at TEXT NOT NULL,
  window_start TEXT NOT NULL,
  last_run_at TEXT,
  lease_owner TEXT,
  lease_until TEXT,
  UNIQUE (tenant, name),
  CHECK ((baseline_dir IS NULL) <> (baseline_sealed IS NULL))
) STRICT;
CREATE INDEX monitor_schedules_tenant ON monitor_schedules (tenant, created_at DESC, id DESC);
CREATE INDEX monitor_schedules_due ON monitor_schedules (next_run_at) WHERE enabled = 1;

CREATE TABLE monitor_runs (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  schedule_id TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'no_data')),
  window_start TEXT NOT NULL,
  window_end TEXT NOT NULL,
  row_count INTEGER NOT NULL CHECK (row_count >= 0),
  violation_count INTEGER NOT NULL CHECK (violation_count >= 0),
  violations TEXT,
  metrics TEXT NOT NULL,
  error TEXT
) STRICT;
CREATE INDEX monitor_runs_tenant ON monitor_runs (tenant, started_at DESC, id DESC);
CREATE INDEX monitor_runs_schedule ON monitor_runs (tenant, schedule_id, started_at DESC, id DESC);

-- Run metrics as time series: one row per (run, metric).
CREATE TABLE monitor_metrics (
  tenant TEXT NOT NULL,
  schedule_id TEXT NOT NULL,
  name TEXT NOT NULL,
  at TEXT NOT NULL,
  run_id TEXT NOT NULL,
  value REAL NOT NULL
) STRICT;
CREATE INDEX monitor_metrics_series ON monitor_metrics (tenant, schedule_id, name, at);

CREATE TABLE monitor_alarms (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  schedule_id TEXT NOT NULL,
  metric_name TEXT NOT NULL,
  statistic TEXT NOT NULL CHECK (statistic IN ('Average', 'Maximum', 'Minimum', 'Sum', 'SampleCount')),
  comparison TEXT NOT NULL CHECK (comparison IN ('GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold')),
  threshold REAL NOT NULL,
  period_seconds INTEGER NOT NULL CHECK (period_seconds >= 60),
  evaluation_periods INTEGER NOT NULL CHECK (evaluation_periods >= 1),
  datapoints_to_alarm INTEGER NOT NULL CHECK (datapoints_to_alarm >= 1 AND datapoints_to_alarm <= evaluation_periods),
  treat_missing_data TEXT NOT NULL CHECK (treat_missing_data IN ('missing', 'notBreaching', 'breaching', 'ignore')),
  actions_enabled INTEGER NOT NULL CHECK (actions_enabled IN (0, 1)),
  state TEXT NOT NULL CHECK (state IN ('OK', 'ALARM', 'INSUFFICIENT_DATA')),
  state_reason TEXT NOT NULL,
  state_updated_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (tenant, name)
) STRICT;
CREATE INDEX monitor_alarms_tenant ON monitor_alarms (tenant, created_at DESC, id DESC);
CREATE INDEX monitor_alarms_schedule ON monitor_alarms (tenant, schedule_id);

CREATE TABLE monitor_alarm_history (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  alarm_id TEXT NOT NULL,
  at TEXT NOT NULL,
  old_state TEXT NOT NULL CHECK (old_state IN ('OK', 'ALARM', 'INSUFFICIENT_DATA')),
  new_state TEXT NOT NULL CHECK (new_state IN ('OK', 'ALARM', 'INSUFFICIENT_DATA')),
  reason TEXT NOT NULL,
  reason_data TEXT NOT NULL
) STRICT;
CREATE INDEX monitor_alarm_history_alarm ON monitor_alarm_history (tenant, alarm_id, at DESC, id DESC);
`,
  },  {
    version: 3,
    name: 'learning_loop',
    sql: `
-- The full text each alert was raised on (what the scanners saw), sealed: the labeled data a verdict points at.
CREATE TABLE alert_texts (
  tenant TEXT NOT NULL,
  alert_id TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant, alert_id)
) STRICT;

-- One verdict per alert (latest wins; every change is in the audit log).
CREATE TABLE feedback (
  tenant TEXT NOT NULL,
  alert_id TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('true_positive', 'false_positive')),
  by_actor TEXT NOT NULL,
  at TEXT NOT NULL,
  note TEXT,
  text TEXT NOT NULL,
  text_source TEXT NOT NULL CHECK (text_source IN ('scanned', 'excerpt')),
  scanners TEXT NOT NULL,
  alert_created_at TEXT NOT NULL,
  revision INTEGER NOT NULL CHECK (revision >= 1),
  PRIMARY KEY (tenant, alert_id)
) STRICT;
CREATE INDEX feedback_at ON feedback (tenant, at DESC, alert_id DESC);

-- Trained detector versions, identified by the sha256 of their weights.
CREATE TABLE detector_versions (
  detector TEXT NOT NULL,
  id TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size > 0),
  weights BLOB NOT NULL,
  model_card TEXT NOT NULL,
  metrics TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (detector, id)
) STRICT;
CREATE INDEX detector_versions_created ON detector_versions (detector, created_at DESC, id DESC);

-- Every activation and rollback, append-only; the latest row of a detector is the one in force.
CREATE TABLE detector_activations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  detector TEXT NOT NULL,
  version_id TEXT,
  at TEXT NOT NULL,
  by_actor TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('activate', 'rollback')),
  previous_seq INTEGER
) STRICT;
CREATE INDEX detector_activations_detector ON detector_activations (detector, seq DESC);
`,
  },
  {
    version: 4,
    name: 'policy_shadow',
    sql: `
-- A stored policy version a tenant runs in shadow beside its active one (gateway/shadow.ts):
-- every text is scanned with it too, never enforced. One row per tenant; no row, no tenant shadow.
CREATE TABLE policy_shadow (
  tenant TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  set_at TEXT NOT NULL,
  set_by TEXT NOT NULL,
  FOREIGN KEY (tenant, version) REFERENCES policy_versions (tenant, version)
) STRICT;
`,
  },
  {
    version: 5,
    name: 'job_schedules',
    sql: `
-- Gateway-wide jobs on a cron schedule (the learning cycle, detectors/cycle/schedule.ts): one row
-- per job, leased to one replica at a time so that exactly one gateway runs each due occurrence.
CREATE TABLE job_schedules (
  name TEXT PRIMARY KEY,
  cron TEXT NOT NULL,
  next_run_at TEXT NOT NULL,
  last_run_at TEXT,
  last_status TEXT,
  lease_owner TEXT,
  lease_until TEXT
) STRICT;
`,
  },
]
