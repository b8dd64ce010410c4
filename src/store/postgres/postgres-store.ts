/**
 * The store for several gateway replicas: PostgreSQL through a `pg` Pool. Every read-then-write
 * runs in one transaction and is serialized where replicas could race: the audit log behind a
 * transaction-scoped advisory lock, policy numbers behind a row lock on the tenant's head row,
 * outbox claims with `FOR UPDATE SKIP LOCKED`, migrations behind a session advisory lock.
 */
import pg from 'pg'
import { RampartError } from '../../core/errors.js'
import { alertListQuery } from '../alert-query.js'
import type { SqlDialect } from '../alert-query.js'
import { ALERT_COLUMNS, AUDIT_COLUMNS, DATA_KEY_COLUMNS, KEY_COLUMNS, OUTBOX_COLUMNS, POLICY_COLUMNS } from '../columns.js'
import { sortClaimed, toAlert, toAuditEntry, toDataKey, toKey, toOutbox, toPolicy } from '../columns.js'
import { toPage } from '../cursor.js'
import { storeError } from '../errors.js'
import { PostgresQueries } from './queries.js'
import { FIRST_PREV_HASH, checkAppliedMigrations, checkMigrationList } from '../migrations.js'
import type { Migration } from '../migrations.js'
import type {
  AlertTextRecord,
  DetectorActivation,
  DetectorVersionRecord,
  DetectorVersionSummary,
  VerdictFilter,
  VerdictInput,
  VerdictRecord,
  AlarmHistoryRecord,
  AlarmRecord,
  CaptureFilter,
  CaptureRecord,
  GroundTruthRecord,
  LabelledCapture,
  MetricPoint,
  MetricQuery,
  RunFilter,
  RunRecord,
  RunUpdate,
  ScheduleCompletion,
  ScheduleRecord,
  AlertFilter,
  AlertRecord,
  ApiKeyRecord,
  AuditEntry,
  AuditInput,
  DataKeyRecord,
  OutboxMessage,
  Page,
  PolicyVersionRecord,
  Role,
  Store,
  JobScheduleRecord,
} from '../types.js'
import {
  checkAlert,
  checkAlertFilter,
  checkAuditInput,
  checkClaim,
  checkDataKey,
  checkId,
  checkKey,
  checkLimit,
  checkOutboxInput,
  checkPolicyInput,
  checkRole,
  checkSeal,
  checkSeq,
  checkText,
  checkTime,
  checkVersion,
  toJson,
} from '../validate.js'
import type { OutboxInput } from '../validate.js'
import { POSTGRES_MIGRATIONS } from './migrations.js'
import { PostgresMonitorStore } from './postgres-monitor.js'
import { PostgresLearningStore } from './postgres-learning.js'
import { PostgresJobStore } from './postgres-jobs.js'

export interface PostgresStoreOptions {
  /** Schema for Rampart's tables (sets `search_path`); created by `migrate` when missing. */
  schema?: string
  /** Most pooled connections (default 10). */
  maxConnections?: number
  /** How long to wait for a connection, in milliseconds (default 5000). */
  connectionTimeoutMs?: number
  /** Schema steps; tests pass a longer list to exercise upgrades. */
  migrations?: readonly Migration[]
}


/** First key of every advisory lock Rampart takes ('RAMP'), so its locks never collide with an application's. */
const LOCK_CLASS = 0x52414d50 & 0x7fffffff
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

const PG_DIALECT: SqlDialect = {
  param: (n) => `$${n}`,
  timeParam: (n) => `$${n}::timestamptz`,
  hasScanner: (p) => `scanners::jsonb @> jsonb_build_array(${p}::text)`,
}

const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => Date

/** Rows come back as the records' own types: timestamptz as ISO text, bigint (counts, seq) as numbers. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.TIMESTAMPTZ) return (text: string) => parseTimestamptz(text).toISOString()
    if (oid === pg.types.builtins.INT8) return (text: string) => Number(text)
    return pg.types.getTypeParser(oid, format)
  }) as pg.CustomTypesConfig['getTypeParser'],
}

export class PostgresStore implements Store {
  readonly kind = 'postgres'
  readonly #pool: pg.Pool
  readonly #pg: PostgresQueries
  readonly #schema: string | undefined
  readonly #migrations: readonly Migration[]
  #closed = false
  readonly #monitor: PostgresMonitorStore
  readonly #learning: PostgresLearningStore
  readonly #jobs: PostgresJobStore

  constructor(pool: pg.Pool, schema: string | undefined, migrations: readonly Migration[]) {
    checkMigrationList(migrations)
    this.#pool = pool
    this.#pg = new PostgresQueries(pool)
    this.#monitor = new PostgresMonitorStore(pool)
    this.#learning = new PostgresLearningStore(pool)
    this.#jobs = new PostgresJobStore(pool)
    this.#schema = schema
    this.#migrations = migrations
  }

  // ------------------------------------------------------------ schema

  async migrate(): Promise<void> {
    let client: pg.PoolClient
    try {
      client = await this.#pool.connect()
    } catch (error) {
      throw storeError(error, 'migrate')
    }
    // Keyed by the configured schema, not current_schema(): the schema may not exist yet.
    const lockKey = `rampart:migrate:${this.#schema ?? ''}`
    let broken: Error | undefined
    try {
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, lockKey])
      try {
        if (this.#schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.#schema}`)
        await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
        const applied = (await client.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version')).rows
        checkAppliedMigrations(applied, this.#migrations)
        for (const migration of this.#migrations) {
          if (applied.some((row) => row.version === migration.version)) continue
          try {
            await client.query('BEGIN')
            await client.query(migration.sql)
            await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name])
            await client.query('COMMIT')
          } catch (error) {
            await client.query('ROLLBACK')
            throw storeError(error, `migration ${migration.version} (${migration.name})`)
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, lockKey])
      }
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error))
      throw storeError(error, 'migrate')
    } finally {
      // A client whose unlock or rollback failed may still hold the session lock: destroy it.
      client.release(broken !== undefined && !(broken instanceof RampartError) ? broken : undefined)
    }
  }

  async schemaVersion(): Promise<number> {
    const [present] = await this.#pg.rows('schemaVersion', "SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
    if (present?.present !== true) return 0
    const [row] = await this.#pg.rows('schemaVersion', 'SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')
    return Number(row?.v ?? 0)
  }

  async ping(): Promise<void> {
    await this.#pg.result('ping', 'SELECT 1')
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#pool.end()
  }

  // ------------------------------------------------------------ keys

  async insertKey(record: ApiKeyRecord): Promise<void> {
    const k = checkKey(record)
    await this.#pg.result(
      'insertKey',
      `INSERT INTO api_keys (id, tenant, role, name, secret_hash, created_at, revoked_at, last_used_at, rate_limit_per_minute,
        daily_quota) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [k.id, k.tenant, k.role, k.name, k.secretHash, k.createdAt, k.revokedAt, k.lastUsedAt, k.rateLimitPerMinute, k.dailyQuota],
    )
  }

  async getKey(id: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.#pg.rows('getKey', `SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [checkId(id, 'id')])
    return row === undefined ? undefined : toKey(row)
  }

  async listKeys(tenant?: string): Promise<ApiKeyRecord[]> {
    const rows =
      tenant === undefined
        ? await this.#pg.rows('listKeys', `SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC, id DESC`)
        : await this.#pg.rows('listKeys', `SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant = $1 ORDER BY created_at DESC, id DESC`, [checkId(tenant, 'tenant')])
    return rows.map(toKey)
  }

  async revokeKey(id: string, at: string): Promise<boolean> {
    const result = await this.#pg.result('revokeKey', 'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [checkTime(at, 'at'), checkId(id, 'id')])
    return result.rowCount === 1
  }

  async touchKey(id: string, at: string): Promise<void> {
    const args = [checkTime(at, 'at'), checkId(id, 'id')]
    await this.#pg.result('touchKey', 'UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)', args)
  }

  async countActiveKeys(role?: Role): Promise<number> {
    const [row] =
      role === undefined
        ? await this.#pg.rows('countActiveKeys', 'SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL')
        : await this.#pg.rows('countActiveKeys', 'SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL AND role = $1', [checkRole(role)])
    return Number(row?.n ?? 0)
  }

  // ------------------------------------------------------------ alerts

  async insertAlert(alert: AlertRecord): Promise<void> {
    const a = checkAlert(alert)
    await this.#pg.result(
      'insertAlert',
      `INSERT INTO alerts (id, created_at, tenant, key_id, request_id, direction, decision, severity, scanners, findings, excerpt,
        source, acknowledged_at, acknowledged_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        a.id, a.createdAt, a.tenant, a.keyId, a.requestId, a.direction, a.decision, a.severity, toJson(a.scanners, 'alert.scanners'),
        toJson(a.findings, 'alert.findings'), a.excerpt, a.source, a.acknowledgedAt, a.acknowledgedBy,
      ],
    )
  }

  async getAlert(tenant: string, id: string): Promise<AlertRecord | undefined> {
    const args = [checkId(tenant, 'tenant'), checkId(id, 'id')]
    const [row] = await this.#pg.rows('getAlert', `SELECT ${ALERT_COLUMNS} FROM alerts WHERE tenant = $1 AND id = $2`, args)
    return row === undefined ? undefined : toAlert(row)
  }

  async listAlerts(filter: AlertFilter): Promise<Page<AlertRecord>> {
    const f = checkAlertFilter(filter)
    const { where, limitParam, args } = alertListQuery(f, PG_DIALECT)
    const rows = await this.#pg.rows('listAlerts', `SELECT ${ALERT_COLUMNS} FROM alerts WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ${limitParam}`, args)
    return toPage(rows.map(toAlert), f.limit)
  }

  async acknowledgeAlert(tenant: string, id: string, by: string, at: string): Promise<AlertRecord | undefined> {
    const args = [checkTime(at, 'at'), checkId(by, 'by'), checkId(tenant, 'tenant'), checkId(id, 'id')]
    await this.#pg.result('acknowledgeAlert', 'UPDATE alerts SET acknowledged_at = $1, acknowledged_by = $2 WHERE tenant = $3 AND id = $4 AND acknowledged_at IS NULL', args)
    return this.getAlert(tenant, id)
  }

  // ------------------------------------------------------------ policies

  async createPolicyVersion(input: Omit<PolicyVersionRecord, 'version'>): Promise<PolicyVersionRecord> {
    const p = checkPolicyInput(input)
    return this.#pg.transactionRows('createPolicyVersion', async (query) => {
      const [head] = await query(
        `INSERT INTO policy_heads (tenant, last_version) VALUES ($1, 1)
         ON CONFLICT (tenant) DO UPDATE SET last_version = policy_heads.last_version + 1 RETURNING last_version`,
        [p.tenant],
      )
      const version = Number(head?.last_version)
      await query(
        'INSERT INTO policy_versions (tenant, version, source, sha256, created_at, created_by, description) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [p.tenant, version, p.source, p.sha256, p.createdAt, p.createdBy, p.description],
      )
      return { ...p, version }
    })
  }

  async getPolicyVersion(tenant: string, version: number): Promise<PolicyVersionRecord | undefined> {
    const args = [checkId(tenant, 'tenant'), checkVersion(version)]
    const [row] = await this.#pg.rows('getPolicyVersion', `SELECT ${POLICY_COLUMNS} FROM policy_versions WHERE tenant = $1 AND version = $2`, args)
    return row === undefined ? undefined : toPolicy(row)
  }

  async listPolicyVersions(tenant: string): Promise<PolicyVersionRecord[]> {
    const rows = await this.#pg.rows('listPolicyVersions', `SELECT ${POLICY_COLUMNS} FROM policy_versions WHERE tenant = $1 ORDER BY version DESC`, [checkId(tenant, 'tenant')])
    return rows.map(toPolicy)
  }

  async activatePolicyVersion(tenant: string, version: number, by: string, at: string): Promise<boolean> {
    const args = [checkId(tenant, 'tenant'), checkVersion(version), checkTime(at, 'at'), checkId(by, 'by')]
    // One statement: the existence check and the upsert cannot be split by a concurrent writer.
    const result = await this.#pg.result(
      'activatePolicyVersion',
      `INSERT INTO policy_active (tenant, version, activated_at, activated_by)
       SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM policy_versions WHERE tenant = $1 AND version = $2)
       ON CONFLICT (tenant) DO UPDATE SET version = excluded.version, activated_at = excluded.activated_at, activated_by = excluded.activated_by`,
      args,
    )
    return result.rowCount === 1
  }

  async getActivePolicyVersion(tenant: string): Promise<PolicyVersionRecord | undefined> {
    const [row] = await this.#pg.rows(
      'getActivePolicyVersion',
      `SELECT ${POLICY_COLUMNS} FROM policy_versions WHERE tenant = $1 AND version = (SELECT version FROM policy_active WHERE tenant = $1)`,
      [checkId(tenant, 'tenant')],
    )
    return row === undefined ? undefined : toPolicy(row)
  }

  async setShadowPolicyVersion(tenant: string, version: number, by: string, at: string): Promise<boolean> {
    const args = [checkId(tenant, 'tenant'), checkVersion(version), checkTime(at, 'at'), checkId(by, 'by')]
    const result = await this.#pg.result(
      'setShadowPolicyVersion',
      `INSERT INTO policy_shadow (tenant, version, set_at, set_by)
       SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM policy_versions WHERE tenant = $1 AND version = $2)
       ON CONFLICT (tenant) DO UPDATE SET version = excluded.version, set_at = excluded.set_at, set_by = excluded.set_by`,
      args,
    )
    return result.rowCount === 1
  }

  async clearShadowPolicyVersion(tenant: string): Promise<boolean> {
    const result = await this.#pg.result('clearShadowPolicyVersion', 'DELETE FROM policy_shadow WHERE tenant = $1', [checkId(tenant, 'tenant')])
    return result.rowCount === 1
  }

  async getShadowPolicyVersion(tenant: string): Promise<PolicyVersionRecord | undefined> {
    const [row] = await this.#pg.rows(
      'getShadowPolicyVersion',
      `SELECT ${POLICY_COLUMNS} FROM policy_versions WHERE tenant = $1 AND version = (SELECT version FROM policy_shadow WHERE tenant = $1)`,
      [checkId(tenant, 'tenant')],
    )
    return row === undefined ? undefined : toPolicy(row)
  }

  // ------------------------------------------------------------ audit

  async appendAudit(
    input: AuditInput,
    seal: (seq: number, prevHash: string, input: AuditInput) => { hash: string; mac: string },
  ): Promise<AuditEntry> {
    const { input: entry, detailJson } = checkAuditInput(input)
    return this.#pg.transactionRows('appendAudit', async (query) => {
      // Held until COMMIT: every replica appending to this schema's log waits its turn, so the
      // last row read below is still the last row when this one is inserted.
      await query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema() || ':audit'))", [LOCK_CLASS])
      const [last] = await query('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')
      const seq = Number(last?.seq ?? 0) + 1
      const prevHash = (last?.hash as string | undefined) ?? FIRST_PREV_HASH
      const { hash, mac } = checkSeal(seal(seq, prevHash, entry))
      await query(
        'INSERT INTO audit_log (seq, at, actor, tenant, action, target, detail, prev_hash, hash, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        [seq, entry.at, entry.actor, entry.tenant, entry.action, entry.target, detailJson, prevHash, hash, mac],
      )
      return { ...entry, seq, prevHash, hash, mac }
    })
  }

  async readAudit(fromSeq: number, limit: number): Promise<AuditEntry[]> {
    const args = [checkSeq(fromSeq, 'fromSeq'), checkLimit(limit)]
    const rows = await this.#pg.rows('readAudit', `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2`, args)
    return rows.map(toAuditEntry)
  }

  // ------------------------------------------------------------ data keys

  async insertDataKey(record: DataKeyRecord): Promise<void> {
    const k = checkDataKey(record)
    await this.#pg.result(
      'insertDataKey',
      'INSERT INTO data_keys (id, wrapped, provider, master_key_id, created_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [k.id, k.wrapped, k.provider, k.masterKeyId, k.createdAt, k.retiredAt],
    )
  }

  async getDataKey(id: string): Promise<DataKeyRecord | undefined> {
    const [row] = await this.#pg.rows('getDataKey', `SELECT ${DATA_KEY_COLUMNS} FROM data_keys WHERE id = $1`, [checkId(id, 'id')])
    return row === undefined ? undefined : toDataKey(row)
  }

  async getCurrentDataKey(): Promise<DataKeyRecord | undefined> {
    const [row] = await this.#pg.rows(
      'getCurrentDataKey',
      `SELECT ${DATA_KEY_COLUMNS} FROM data_keys WHERE retired_at IS NULL ORDER BY created_at DESC, n DESC LIMIT 1`,
    )
    return row === undefined ? undefined : toDataKey(row)
  }

  async listDataKeys(): Promise<DataKeyRecord[]> {
    return (await this.#pg.rows('listDataKeys', `SELECT ${DATA_KEY_COLUMNS} FROM data_keys ORDER BY created_at DESC, n DESC`)).map(toDataKey)
  }

  async rewrapDataKey(id: string, expectedWrapped: string, wrapped: string, masterKeyId: string): Promise<boolean> {
    const args = [checkId(wrapped, 'wrapped'), checkId(masterKeyId, 'masterKeyId'), checkId(id, 'id'), checkId(expectedWrapped, 'expectedWrapped')]
    const result = await this.#pg.result('rewrapDataKey', 'UPDATE data_keys SET wrapped = $1, master_key_id = $2 WHERE id = $3 AND wrapped = $4', args)
    return result.rowCount === 1
  }

  async retireDataKey(id: string, at: string): Promise<void> {
    await this.#pg.result('retireDataKey', 'UPDATE data_keys SET retired_at = $1 WHERE id = $2 AND retired_at IS NULL', [checkTime(at, 'at'), checkId(id, 'id')])
  }

  // ------------------------------------------------------------ outbox

  async enqueue(message: OutboxInput): Promise<void> {
    const m = checkOutboxInput(message)
    await this.#pg.result(
      'enqueue',
      'INSERT INTO outbox (id, created_at, target, event, payload, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, 0, $6)',
      [m.id, m.createdAt, m.target, m.event, m.payload, m.nextAttemptAt],
    )
  }

  async claimDue(now: string, leaseUntil: string, limit: number): Promise<OutboxMessage[]> {
    const { at, lease, max } = checkClaim(now, leaseUntil, limit)
    // SKIP LOCKED: a concurrent claimer passes over rows another replica is leasing right now;
    // rows leased and committed meanwhile fail the re-checked `next_attempt_at <= now`.
    const rows = await this.#pg.rows(
      'claimDue',
      `UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1 WHERE id IN (
         SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= $2
         ORDER BY next_attempt_at, created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING ${OUTBOX_COLUMNS}`,
      [lease, at, max],
    )
    return sortClaimed(rows.map(toOutbox))
  }

  async markDelivered(id: string, at: string): Promise<void> {
    await this.#pg.result('markDelivered', 'UPDATE outbox SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL', [checkTime(at, 'at'), checkId(id, 'id')])
  }

  async markFailed(id: string, error: string, nextAttemptAt: string): Promise<void> {
    const args = [checkText(error, 'error'), checkTime(nextAttemptAt, 'nextAttemptAt'), checkId(id, 'id')]
    await this.#pg.result('markFailed', 'UPDATE outbox SET last_error = $1, next_attempt_at = $2 WHERE id = $3 AND delivered_at IS NULL', args)
  }

  async countPending(): Promise<number> {
    const [row] = await this.#pg.rows('countPending', 'SELECT COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL')
    return Number(row?.n ?? 0)
  }

  // ------------------------------------------------------------ monitor (postgres-monitor.ts)

  insertCapture(record: CaptureRecord): Promise<boolean> { return this.#monitor.insertCapture(record) }
  insertCaptures(records: readonly CaptureRecord[]): Promise<boolean[]> { return this.#monitor.insertCaptures(records) }
  putGroundTruth(records: readonly GroundTruthRecord[]): Promise<number> { return this.#monitor.putGroundTruth(records) }
  getCapture(tenant: string, inferenceId: string): Promise<LabelledCapture | undefined> { return this.#monitor.getCapture(tenant, inferenceId) }
  listCaptures(filter: CaptureFilter): Promise<Page<LabelledCapture>> { return this.#monitor.listCaptures(filter) }
  pruneCaptures(before: string): Promise<number> { return this.#monitor.pruneCaptures(before) }
  createSchedule(record: ScheduleRecord): Promise<void> { return this.#monitor.createSchedule(record) }
  getSchedule(tenant: string, id: string): Promise<ScheduleRecord | undefined> { return this.#monitor.getSchedule(tenant, id) }
  listSchedules(tenant?: string): Promise<ScheduleRecord[]> { return this.#monitor.listSchedules(tenant) }
  deleteSchedule(tenant: string, id: string): Promise<boolean> { return this.#monitor.deleteSchedule(tenant, id) }
  claimDueSchedules(now: string, leaseUntil: string, owner: string, limit: number): Promise<ScheduleRecord[]> { return this.#monitor.claimDueSchedules(now, leaseUntil, owner, limit) }
  claimSchedule(tenant: string, id: string, now: string, leaseUntil: string, owner: string): Promise<ScheduleRecord | undefined> { return this.#monitor.claimSchedule(tenant, id, now, leaseUntil, owner) }
  renewScheduleLease(tenant: string, id: string, owner: string, leaseUntil: string): Promise<boolean> { return this.#monitor.renewScheduleLease(tenant, id, owner, leaseUntil) }
  completeScheduleRun(tenant: string, id: string, owner: string, update: ScheduleCompletion): Promise<boolean> { return this.#monitor.completeScheduleRun(tenant, id, owner, update) }
  insertRun(run: RunRecord): Promise<void> { return this.#monitor.insertRun(run) }
  finishRun(tenant: string, id: string, update: RunUpdate): Promise<boolean> { return this.#monitor.finishRun(tenant, id, update) }
  getRun(tenant: string, id: string): Promise<RunRecord | undefined> { return this.#monitor.getRun(tenant, id) }
  listRuns(filter: RunFilter): Promise<Page<RunRecord>> { return this.#monitor.listRuns(filter) }
  appendMetrics(points: readonly MetricPoint[]): Promise<void> { return this.#monitor.appendMetrics(points) }
  queryMetric(query: MetricQuery): Promise<MetricPoint[]> { return this.#monitor.queryMetric(query) }
  createAlarm(record: AlarmRecord): Promise<void> { return this.#monitor.createAlarm(record) }
  getAlarm(tenant: string, id: string): Promise<AlarmRecord | undefined> { return this.#monitor.getAlarm(tenant, id) }
  listAlarms(tenant?: string, scheduleId?: string): Promise<AlarmRecord[]> { return this.#monitor.listAlarms(tenant, scheduleId) }
  deleteAlarm(tenant: string, id: string): Promise<boolean> { return this.#monitor.deleteAlarm(tenant, id) }
  transitionAlarm(history: AlarmHistoryRecord): Promise<boolean> { return this.#monitor.transitionAlarm(history) }
  listAlarmHistory(tenant: string, alarmId: string, limit: number, cursor?: string): Promise<Page<AlarmHistoryRecord>> { return this.#monitor.listAlarmHistory(tenant, alarmId, limit, cursor) }

  // ------------------------------------------------------------ learning loop (postgres-learning.ts)

  putAlertText(record: AlertTextRecord): Promise<boolean> { return this.#learning.putAlertText(record) }
  getAlertText(tenant: string, alertId: string): Promise<AlertTextRecord | undefined> { return this.#learning.getAlertText(tenant, alertId) }
  putVerdict(input: VerdictInput): Promise<{ record: VerdictRecord; previous: VerdictRecord | undefined }> { return this.#learning.putVerdict(input) }
  getVerdict(tenant: string, alertId: string): Promise<VerdictRecord | undefined> { return this.#learning.getVerdict(tenant, alertId) }
  listVerdicts(filter: VerdictFilter): Promise<Page<VerdictRecord>> { return this.#learning.listVerdicts(filter) }
  registerDetectorVersion(record: DetectorVersionRecord): Promise<boolean> { return this.#learning.registerDetectorVersion(record) }
  listDetectorVersions(detector: string): Promise<DetectorVersionSummary[]> { return this.#learning.listDetectorVersions(detector) }
  getDetectorVersion(detector: string, id: string): Promise<DetectorVersionRecord | undefined> { return this.#learning.getDetectorVersion(detector, id) }
  activateDetectorVersion(detector: string, versionId: string | null, by: string, at: string): Promise<DetectorActivation | undefined> { return this.#learning.activateDetectorVersion(detector, versionId, by, at) }
  rollbackDetector(detector: string, by: string, at: string): Promise<DetectorActivation | undefined> { return this.#learning.rollbackDetector(detector, by, at) }
  getActiveDetector(detector: string): Promise<DetectorActivation | undefined> { return this.#learning.getActiveDetector(detector) }
  listDetectorActivations(detector: string, limit: number): Promise<DetectorActivation[]> { return this.#learning.listDetectorActivations(detector, limit) }

  // ------------------------------------------------------------ gateway-wide jobs (postgres-jobs.ts)

  ensureJobSchedule(name: string, cron: string, nextRunAt: string): Promise<JobScheduleRecord> { return this.#jobs.ensureJobSchedule(name, cron, nextRunAt) }
  claimDueJob(name: string, now: string, leaseUntil: string, owner: string): Promise<JobScheduleRecord | undefined> { return this.#jobs.claimDueJob(name, now, leaseUntil, owner) }
  renewJobLease(name: string, owner: string, leaseUntil: string): Promise<boolean> { return this.#jobs.renewJobLease(name, owner, leaseUntil) }
  completeJob(name: string, owner: string, update: { lastRunAt: string; lastStatus: string; nextRunAt: string }): Promise<boolean> { return this.#jobs.completeJob(name, owner, update) }
  getJobSchedule(name: string): Promise<JobScheduleRecord | undefined> { return this.#jobs.getJobSchedule(name) }
}

/** Creates the pool (connections open lazily); does not migrate. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const schema = options.schema
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', 'store.schema: must be a lowercase SQL identifier (letters, digits, underscore)', { path: 'store.schema' })
  }
  let pool: pg.Pool
  try {
    pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
      types: TYPES,
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    })
  } catch (error) {
    throw new RampartError('RAMPART_ERR_STORE_URL', 'store URL: not a valid PostgreSQL connection URL', { path: 'store.url', cause: error })
  }
  // An idle connection that drops emits here; the pool discards it and the next query reports
  // the outage, so there is nothing to do but keep the process alive.
  pool.on('error', () => undefined)
  return new PostgresStore(pool, schema, options.migrations ?? POSTGRES_MIGRATIONS)
}
