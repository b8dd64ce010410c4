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
]
