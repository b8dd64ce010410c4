import type { Migration } from '../migrations.js'

/**
 * PostgreSQL schema steps, numbered like SQLite's. Times are timestamptz. JSON is kept as text
 * (not jsonb): jsonb refuses `\u0000` inside strings and reorders keys, and the audit detail
 * must read back byte for byte. Append new steps at the end, never edit a released one.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'gateway_core',
    sql: `
CREATE TABLE api_keys (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'analyst', 'app')),
  name text NOT NULL,
  secret_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz,
  rate_limit_per_minute bigint CHECK (rate_limit_per_minute >= 0),
  daily_quota bigint CHECK (daily_quota >= 0)
);
CREATE INDEX api_keys_tenant ON api_keys (tenant, created_at DESC, id DESC);

CREATE TABLE alerts (
  id text PRIMARY KEY,
  created_at timestamptz NOT NULL,
  tenant text NOT NULL,
  key_id text,
  request_id text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('input', 'output')),
  decision text NOT NULL CHECK (decision IN ('allow', 'flag', 'redact', 'block')),
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  scanners text NOT NULL,
  findings text NOT NULL,
  excerpt text NOT NULL,
  source text NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text
);
CREATE INDEX alerts_tenant_time ON alerts (tenant, created_at DESC, id DESC);

CREATE TABLE policy_versions (
  tenant text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  source text NOT NULL,
  sha256 text NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  description text NOT NULL,
  PRIMARY KEY (tenant, version)
);

-- The last version number handed out per tenant; the upsert that bumps it row-locks it until
-- commit, so concurrent writers on any replica get distinct, gapless numbers.
CREATE TABLE policy_heads (
  tenant text PRIMARY KEY,
  last_version integer NOT NULL
);

CREATE TABLE policy_active (
  tenant text PRIMARY KEY,
  version integer NOT NULL,
  activated_at timestamptz NOT NULL,
  activated_by text NOT NULL,
  FOREIGN KEY (tenant, version) REFERENCES policy_versions (tenant, version)
);

CREATE TABLE audit_log (
  seq bigint PRIMARY KEY CHECK (seq >= 1),
  at timestamptz NOT NULL,
  actor text NOT NULL,
  tenant text,
  action text NOT NULL,
  target text,
  detail text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL UNIQUE,
  mac text NOT NULL
);

CREATE TABLE data_keys (
  n bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  wrapped text NOT NULL,
  provider text NOT NULL,
  master_key_id text NOT NULL,
  created_at timestamptz NOT NULL,
  retired_at timestamptz
);

CREATE TABLE outbox (
  id text PRIMARY KEY,
  created_at timestamptz NOT NULL,
  target text NOT NULL,
  event text NOT NULL,
  payload text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  delivered_at timestamptz,
  last_error text
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, created_at) WHERE delivered_at IS NULL;
`,
  },
  {
    version: 2,
    name: 'monitor',
    sql: `
-- Sampled inferences, sealed. Windows are read by (tenant, model, received_at, inference_id).
CREATE TABLE captures (
  tenant text NOT NULL,
  inference_id text NOT NULL,
  model_id text NOT NULL,
  at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  source text NOT NULL,
  payload text NOT NULL,
  PRIMARY KEY (tenant, inference_id)
);
CREATE INDEX captures_window ON captures (tenant, model_id, received_at, inference_id);
CREATE INDEX captures_received ON captures (received_at);

-- Labels arrive later (or earlier) than their capture, so they live apart and are joined on read.
CREATE TABLE ground_truth (
  tenant text NOT NULL,
  inference_id text NOT NULL,
  label text NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, inference_id)
);
CREATE INDEX ground_truth_received ON ground_truth (received_at);

CREATE TABLE monitor_schedules (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  name text NOT NULL,
  cron text NOT NULL,
  model_id text NOT NULL,
  baseline_dir text,
  baseline_sealed text,
  ground_truth_column text,
  prediction_column text,
  enabled bigint NOT NULL CHECK (enabled IN (0, 1)),
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  next_run_at timestamptz NOT NULL,
  window_start timestamptz NOT NULL,
  last_run_at timestamptz,
  lease_owner text,
  lease_until timestamptz,
  UNIQUE (tenant, name),
  CHECK ((baseline_dir IS NULL) <> (baseline_sealed IS NULL))
);
CREATE INDEX monitor_schedules_tenant ON monitor_schedules (tenant, created_at DESC, id DESC);
CREATE INDEX monitor_schedules_due ON monitor_schedules (next_run_at) WHERE enabled = 1;

CREATE TABLE monitor_runs (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  schedule_id text NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  status text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'no_data')),
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  row_count bigint NOT NULL CHECK (row_count >= 0),
  violation_count bigint NOT NULL CHECK (violation_count >= 0),
  violations text,
  metrics text NOT NULL,
  error text
);
CREATE INDEX monitor_runs_tenant ON monitor_runs (tenant, started_at DESC, id DESC);
CREATE INDEX monitor_runs_schedule ON monitor_runs (tenant, schedule_id, started_at DESC, id DESC);

-- Run metrics as time series: one row per (run, metric).
CREATE TABLE monitor_metrics (
  tenant text NOT NULL,
  schedule_id text NOT NULL,
  name text NOT NULL,
  at timestamptz NOT NULL,
  run_id text NOT NULL,
  value double precision NOT NULL
);
CREATE INDEX monitor_metrics_series ON monitor_metrics (tenant, schedule_id, name, at);

CREATE TABLE monitor_alarms (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  name text NOT NULL,
  description text NOT NULL,
  schedule_id text NOT NULL,
  metric_name text NOT NULL,
  statistic text NOT NULL CHECK (statistic IN ('Average', 'Maximum', 'Minimum', 'Sum', 'SampleCount')),
  comparison text NOT NULL CHECK (comparison IN ('GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold')),
  threshold double precision NOT NULL,
  period_seconds bigint NOT NULL CHECK (period_seconds >= 60),
  evaluation_periods bigint NOT NULL CHECK (evaluation_periods >= 1),
  datapoints_to_alarm bigint NOT NULL CHECK (datapoints_to_alarm >= 1 AND datapoints_to_alarm <= evaluation_periods),
  treat_missing_data text NOT NULL CHECK (treat_missing_data IN ('missing', 'notBreaching', 'breaching', 'ignore')),
  actions_enabled bigint NOT NULL CHECK (actions_enabled IN (0, 1)),
  state text NOT NULL CHECK (state IN ('OK', 'ALARM', 'INSUFFICIENT_DATA')),
  state_reason text NOT NULL,
  state_updated_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  UNIQUE (tenant, name)
);
CREATE INDEX monitor_alarms_tenant ON monitor_alarms (tenant, created_at DESC, id DESC);
CREATE INDEX monitor_alarms_schedule ON monitor_alarms (tenant, schedule_id);

CREATE TABLE monitor_alarm_history (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  alarm_id text NOT NULL,
  at timestamptz NOT NULL,
  old_state text NOT NULL CHECK (old_state IN ('OK', 'ALARM', 'INSUFFICIENT_DATA')),
  new_state text NOT NULL CHECK (new_state IN ('OK', 'ALARM', 'INSUFFICIENT_DATA')),
  reason text NOT NULL,
  reason_data text NOT NULL
);
CREATE INDEX monitor_alarm_history_alarm ON monitor_alarm_history (tenant, alarm_id, at DESC, id DESC);
`,
  },  {
    version: 3,
    name: 'learning_loop',
    sql: `
-- The full text each alert was raised on (what the scanners saw), sealed: the labeled data a verdict points at.
CREATE TABLE alert_texts (
  tenant text NOT NULL,
  alert_id text NOT NULL,
  text text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, alert_id)
);

-- One verdict per alert (latest wins; every change is in the audit log).
CREATE TABLE feedback (
  tenant text NOT NULL,
  alert_id text NOT NULL,
  verdict text NOT NULL CHECK (verdict IN ('true_positive', 'false_positive')),
  by_actor text NOT NULL,
  at timestamptz NOT NULL,
  note text,
  text text NOT NULL,
  text_source text NOT NULL CHECK (text_source IN ('scanned', 'excerpt')),
  scanners text NOT NULL,
  alert_created_at timestamptz NOT NULL,
  revision integer NOT NULL CHECK (revision >= 1),
  PRIMARY KEY (tenant, alert_id)
);
CREATE INDEX feedback_at ON feedback (tenant, at DESC, alert_id DESC);

-- Trained detector versions, identified by the sha256 of their weights.
CREATE TABLE detector_versions (
  detector text NOT NULL,
  id text NOT NULL,
  size integer NOT NULL CHECK (size > 0),
  weights bytea NOT NULL,
  model_card text NOT NULL,
  metrics text NOT NULL,
  description text NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  PRIMARY KEY (detector, id)
);
CREATE INDEX detector_versions_created ON detector_versions (detector, created_at DESC, id DESC);

-- Every activation and rollback, append-only; the latest row of a detector is the one in force.
CREATE TABLE detector_activations (
  seq bigserial PRIMARY KEY,
  detector text NOT NULL,
  version_id text,
  at timestamptz NOT NULL,
  by_actor text NOT NULL,
  action text NOT NULL CHECK (action IN ('activate', 'rollback')),
  previous_seq bigint
);
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
  tenant text PRIMARY KEY,
  version integer NOT NULL,
  set_at timestamptz NOT NULL,
  set_by text NOT NULL,
  FOREIGN KEY (tenant, version) REFERENCES policy_versions (tenant, version)
);
`,
  },
  {
    version: 5,
    name: 'job_schedules',
    sql: `
-- Gateway-wide jobs on a cron schedule (the learning cycle, detectors/cycle/schedule.ts): one row
-- per job, leased to one replica at a time so that exactly one gateway runs each due occurrence.
CREATE TABLE job_schedules (
  name text PRIMARY KEY,
  cron text NOT NULL,
  next_run_at timestamptz NOT NULL,
  last_run_at timestamptz,
  last_status text,
  lease_owner text,
  lease_until timestamptz
);
`,
  },
]
