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
]
