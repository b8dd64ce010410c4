/**
 * The embedded store: one SQLite file through better-sqlite3. WAL lets readers run beside the
 * writer, `synchronous = FULL` makes every commit durable before it returns (a crash or power
 * cut loses no alert or audit entry), and writes that read-then-write run in IMMEDIATE
 * transactions so two processes on the same file serialize instead of racing.
 */
import Database from 'better-sqlite3'
import { RampartError } from '../../core/errors.js'
import { ALERT_COLUMNS, AUDIT_COLUMNS, DATA_KEY_COLUMNS, KEY_COLUMNS, OUTBOX_COLUMNS, POLICY_COLUMNS } from '../columns.js'
import { sortClaimed, toAlert, toAuditEntry, toDataKey, toKey, toOutbox, toPolicy } from '../columns.js'
import { alertListQuery } from '../alert-query.js'
import type { SqlDialect } from '../alert-query.js'
import { toPage } from '../cursor.js'
import { storeError } from '../errors.js'
import { SqliteStatements } from './statements.js'
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
import { SQLITE_MIGRATIONS } from './migrations.js'
import { SqliteMonitorStore } from './sqlite-monitor.js'
import { SqliteLearningStore } from './sqlite-learning.js'
import { SqliteJobStore } from './sqlite-jobs.js'

export interface SqliteStoreOptions {
  /** How long a write waits for another process's lock before failing, in milliseconds. */
  busyTimeoutMs?: number
  /** Schema steps; tests pass a longer list to exercise upgrades. */
  migrations?: readonly Migration[]
  /** Commit durability (see sqliteUrlParts); default `normal`. */
  synchronous?: SqliteSync
}

type Row = Record<string, unknown>

const SQLITE_DIALECT: SqlDialect = {
  param: () => '?',
  timeParam: () => '?',
  hasScanner: (p) => `EXISTS (SELECT 1 FROM json_each(alerts.scanners) WHERE json_each.value = ${p})`,
}

/** How hard a commit waits for the disk (SQLite's `synchronous` pragma, in WAL mode). */
export type SqliteSync = 'normal' | 'full'

/** `sqlite:/abs/file.db`, `sqlite:///abs/file.db`, `sqlite:relative.db` or `sqlite::memory:`, optionally `?synchronous=full`. */
export function sqlitePathFromUrl(url: string): string {
  return sqliteUrlParts(url).path
}

/**
 * The path and settings of a SQLite store URL. The only setting is `synchronous`:
 * - `normal` (default): in WAL mode a commit survives the process crashing or being killed
 *   (the gateway restarting loses nothing); only an operating-system crash or power loss can
 *   roll back the last commits. A commit costs ~0.05 ms instead of an fsync (~1.5 ms here),
 *   and better-sqlite3 is synchronous, so an fsync per alert would stall every request.
 * - `full`: an fsync per commit, so commits also survive power loss; for hosts without a
 *   battery-backed disk that must keep every last audit entry through a power cut.
 */
export function sqliteUrlParts(url: string): { path: string; synchronous: SqliteSync } {
  const rest = url.replace(/^sqlite:/i, '')
  const q = rest.indexOf('?')
  const pathPart = q === -1 ? rest : rest.slice(0, q)
  const path = pathPart.startsWith('//') ? pathPart.slice(2) : pathPart
  if (path.length === 0) {
    throw new RampartError('RAMPART_ERR_STORE_URL', 'store URL: sqlite: needs a file path, e.g. sqlite:/var/lib/rampart/rampart.db or sqlite::memory:', { path: 'store.url' })
  }
  let synchronous: SqliteSync = 'normal'
  if (q !== -1) {
    for (const [name, value] of new URLSearchParams(rest.slice(q + 1))) {
      if (name !== 'synchronous') {
        throw new RampartError('RAMPART_ERR_STORE_URL', `store URL: unknown sqlite setting "${name}" (the only one is synchronous=normal|full)`, { path: 'store.url' })
      }
      const v = value.toLowerCase()
      if (v !== 'normal' && v !== 'full') {
        throw new RampartError('RAMPART_ERR_STORE_URL', `store URL: synchronous must be normal or full, got "${value}"`, { path: 'store.url' })
      }
      synchronous = v
    }
  }
  return { path, synchronous }
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite'
  readonly #db: Database.Database
  readonly #migrations: readonly Migration[]
  readonly #sql: SqliteStatements
  readonly #monitor: SqliteMonitorStore
  readonly #learning: SqliteLearningStore
  readonly #jobs: SqliteJobStore

  constructor(db: Database.Database, migrations: readonly Migration[]) {
    checkMigrationList(migrations)
    this.#db = db
    this.#sql = new SqliteStatements(db)
    this.#migrations = migrations
    this.#monitor = new SqliteMonitorStore(db)
    this.#learning = new SqliteLearningStore(db)
    this.#jobs = new SqliteJobStore(db)
  }

  // ------------------------------------------------------------ schema

  async migrate(): Promise<void> {
    this.#sql.do('migrate', () => {
      this.#db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`)
    })
    this.#sql.do('migrate', () => checkAppliedMigrations(this.#appliedMigrations(), this.#migrations))
    for (const migration of this.#migrations) {
      this.#sql.immediate(`migration ${migration.version} (${migration.name})`, () => {
        // Re-read inside the write lock: another process may have applied steps meanwhile.
        const applied = this.#appliedMigrations()
        checkAppliedMigrations(applied, this.#migrations)
        if (applied.some((row) => row.version === migration.version)) return
        this.#db.exec(migration.sql)
        this.#db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, new Date().toISOString())
      })
    }
  }

  #appliedMigrations(): { version: number; name: string }[] {
    return this.#db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as { version: number; name: string }[]
  }

  async schemaVersion(): Promise<number> {
    return this.#sql.do('schemaVersion', () => {
      const table = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get()
      if (table === undefined) return 0
      const row = this.#db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }
      return row.v
    })
  }

  async ping(): Promise<void> {
    this.#sql.do('ping', () => this.#sql.stmt('SELECT 1').get())
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close()
  }

  // ------------------------------------------------------------ keys

  async insertKey(record: ApiKeyRecord): Promise<void> {
    const k = checkKey(record)
    this.#sql.do('insertKey', () =>
      this.#sql.stmt(`INSERT INTO api_keys (id, tenant, role, name, secret_hash, created_at, revoked_at, last_used_at,
        rate_limit_per_minute, daily_quota) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        k.id, k.tenant, k.role, k.name, k.secretHash, k.createdAt, k.revokedAt, k.lastUsedAt, k.rateLimitPerMinute, k.dailyQuota,
      ),
    )
  }

  async getKey(id: string): Promise<ApiKeyRecord | undefined> {
    checkId(id, 'id')
    const row = this.#sql.do('getKey', () => this.#sql.stmt(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`).get(id))
    return row === undefined ? undefined : toKey(row)
  }

  async listKeys(tenant?: string): Promise<ApiKeyRecord[]> {
    const rows = this.#sql.do('listKeys', () =>
      tenant === undefined
        ? this.#sql.stmt(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC, id DESC`).all()
        : this.#sql.stmt(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant = ? ORDER BY created_at DESC, id DESC`).all(checkId(tenant, 'tenant')),
    )
    return rows.map(toKey)
  }

  async revokeKey(id: string, at: string): Promise<boolean> {
    const args = [checkTime(at, 'at'), checkId(id, 'id')]
    const result = this.#sql.do('revokeKey', () => this.#sql.stmt('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(...args))
    return result.changes === 1
  }

  async touchKey(id: string, at: string): Promise<void> {
    const when = checkTime(at, 'at')
    checkId(id, 'id')
    // Never move lastUsedAt backwards when touches from several requests land out of order.
    this.#sql.do('touchKey', () =>
      this.#sql.stmt('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)').run(when, id, when),
    )
  }

  async countActiveKeys(role?: Role): Promise<number> {
    if (role !== undefined) checkRole(role)
    const row = this.#sql.do('countActiveKeys', () =>
      role === undefined
        ? this.#sql.stmt('SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL').get()
        : this.#sql.stmt('SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL AND role = ?').get(role),
    ) as { n: number }
    return row.n
  }

  // ------------------------------------------------------------ alerts

  async insertAlert(alert: AlertRecord): Promise<void> {
    const a = checkAlert(alert)
    const scanners = toJson(a.scanners, 'alert.scanners')
    const findings = toJson(a.findings, 'alert.findings')
    this.#sql.do('insertAlert', () =>
      this.#sql.stmt(`INSERT INTO alerts (id, created_at, tenant, key_id, request_id, direction, decision, severity, scanners,
        findings, excerpt, source, acknowledged_at, acknowledged_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        a.id, a.createdAt, a.tenant, a.keyId, a.requestId, a.direction, a.decision, a.severity, scanners, findings,
        a.excerpt, a.source, a.acknowledgedAt, a.acknowledgedBy,
      ),
    )
  }

  async getAlert(tenant: string, id: string): Promise<AlertRecord | undefined> {
    const args = [checkId(tenant, 'tenant'), checkId(id, 'id')]
    const row = this.#sql.do('getAlert', () => this.#sql.stmt(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE tenant = ? AND id = ?`).get(...args))
    return row === undefined ? undefined : toAlert(row as Row)
  }

  async listAlerts(filter: AlertFilter): Promise<Page<AlertRecord>> {
    const f = checkAlertFilter(filter)
    const { where, limitParam, args } = alertListQuery(f, SQLITE_DIALECT)
    const sql = `SELECT ${ALERT_COLUMNS} FROM alerts WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ${limitParam}`
    const rows = this.#sql.do('listAlerts', () => this.#sql.stmt(sql).all(...args)) as Row[]
    return toPage(rows.map(toAlert), f.limit)
  }

  async acknowledgeAlert(tenant: string, id: string, by: string, at: string): Promise<AlertRecord | undefined> {
    const args = [checkTime(at, 'at'), checkId(by, 'by'), checkId(tenant, 'tenant'), checkId(id, 'id')]
    this.#sql.do('acknowledgeAlert', () =>
      this.#sql.stmt('UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE tenant = ? AND id = ? AND acknowledged_at IS NULL').run(...args),
    )
    return this.getAlert(tenant, id)
  }

  // ------------------------------------------------------------ policies

  async createPolicyVersion(input: Omit<PolicyVersionRecord, 'version'>): Promise<PolicyVersionRecord> {
    const p = checkPolicyInput(input)
    return this.#sql.immediate('createPolicyVersion', () => {
      const head = this.#sql.stmt(`INSERT INTO policy_heads (tenant, last_version) VALUES (?, 1)
        ON CONFLICT (tenant) DO UPDATE SET last_version = policy_heads.last_version + 1 RETURNING last_version`).get(p.tenant) as { last_version: number }
      const version = head.last_version
      this.#sql.stmt(`INSERT INTO policy_versions (tenant, version, source, sha256, created_at, created_by, description)
        VALUES (?, ?, ?, ?, ?, ?, ?)`).run(p.tenant, version, p.source, p.sha256, p.createdAt, p.createdBy, p.description)
      return { ...p, version }
    })
  }

  async getPolicyVersion(tenant: string, version: number): Promise<PolicyVersionRecord | undefined> {
    const args = [checkId(tenant, 'tenant'), checkVersion(version)]
    const row = this.#sql.do('getPolicyVersion', () => this.#sql.stmt(`SELECT ${POLICY_COLUMNS} FROM policy_versions WHERE tenant = ? AND version = ?`).get(...args))
    return row === undefined ? undefined : toPolicy(row)
  }

  async listPolicyVersions(tenant: string): Promise<PolicyVersionRecord[]> {
    checkId(tenant, 'tenant')
    const rows = this.#sql.do('listPolicyVersions', () =>
      this.#sql.stmt(`SELECT ${POLICY_COLUMNS} FROM policy_versions WHERE tenant = ? ORDER BY version DESC`).all(tenant),
    )
    return rows.map(toPolicy)
  }

  async activatePolicyVersion(tenant: string, version: number, by: string, at: string): Promise<boolean> {
    const args = [checkId(tenant, 'tenant'), checkVersion(version), checkTime(at, 'at'), checkId(by, 'by')] as const
    return this.#sql.immediate('activatePolicyVersion', () => {
      const exists = this.#sql.stmt('SELECT 1 FROM policy_versions WHERE tenant = ? AND version = ?').get(args[0], args[1])
      if (exists === undefined) return false
      this.#sql.stmt(`INSERT INTO policy_active (tenant, version, activated_at, activated_by) VALUES (?, ?, ?, ?)
        ON CONFLICT (tenant) DO UPDATE SET version = excluded.version, activated_at = excluded.activated_at,
        activated_by = excluded.activated_by`).run(...args)
      return true
    })
  }

  async getActivePolicyVersion(tenant: string): Promise<PolicyVersionRecord | undefined> {
    checkId(tenant, 'tenant')
    const row = this.#sql.do('getActivePolicyVersion', () =>
      this.#sql.stmt(`SELECT ${POLICY_COLUMNS} FROM policy_versions
        WHERE tenant = ? AND version = (SELECT version FROM policy_active WHERE tenant = ?)`).get(tenant, tenant),
    )
    return row === undefined ? undefined : toPolicy(row)
  }

  async setShadowPolicyVersion(tenant: string, version: number, by: string, at: string): Promise<boolean> {
    const args = [checkId(tenant, 'tenant'), checkVersion(version), checkTime(at, 'at'), checkId(by, 'by')] as const
    return this.#sql.immediate('setShadowPolicyVersion', () => {
      const exists = this.#sql.stmt('SELECT 1 FROM policy_versions WHERE tenant = ? AND version = ?').get(args[0], args[1])
      if (exists === undefined) return false
      this.#sql.stmt(`INSERT INTO policy_shadow (tenant, version, set_at, set_by) VALUES (?, ?, ?, ?)
        ON CONFLICT (tenant) DO UPDATE SET version = excluded.version, set_at = excluded.set_at, set_by = excluded.set_by`).run(...args)
      return true
    })
  }

  async clearShadowPolicyVersion(tenant: string): Promise<boolean> {
    checkId(tenant, 'tenant')
    return this.#sql.do('clearShadowPolicyVersion', () => this.#sql.stmt('DELETE FROM policy_shadow WHERE tenant = ?').run(tenant).changes === 1)
  }

  async getShadowPolicyVersion(tenant: string): Promise<PolicyVersionRecord | undefined> {
    checkId(tenant, 'tenant')
    const row = this.#sql.do('getShadowPolicyVersion', () =>
      this.#sql.stmt(`SELECT ${POLICY_COLUMNS} FROM policy_versions
        WHERE tenant = ? AND version = (SELECT version FROM policy_shadow WHERE tenant = ?)`).get(tenant, tenant),
    )
    return row === undefined ? undefined : toPolicy(row)
  }

  // ------------------------------------------------------------ audit

  async appendAudit(
    input: AuditInput,
    seal: (seq: number, prevHash: string, input: AuditInput) => { hash: string; mac: string },
  ): Promise<AuditEntry> {
    const { input: entry, detailJson } = checkAuditInput(input)
    return this.#sql.immediate('appendAudit', () => {
      const last = this.#sql.stmt('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined
      const seq = (last?.seq ?? 0) + 1
      const prevHash = last?.hash ?? FIRST_PREV_HASH
      const { hash, mac } = checkSeal(seal(seq, prevHash, entry))
      this.#sql.stmt(`INSERT INTO audit_log (seq, at, actor, tenant, action, target, detail, prev_hash, hash, mac)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(seq, entry.at, entry.actor, entry.tenant, entry.action, entry.target, detailJson, prevHash, hash, mac)
      return { ...entry, seq, prevHash, hash, mac }
    })
  }

  async readAudit(fromSeq: number, limit: number): Promise<AuditEntry[]> {
    const args = [checkSeq(fromSeq, 'fromSeq'), checkLimit(limit)]
    const rows = this.#sql.do('readAudit', () => this.#sql.stmt(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?`).all(...args))
    return (rows as Row[]).map(toAuditEntry)
  }

  // ------------------------------------------------------------ data keys

  async insertDataKey(record: DataKeyRecord): Promise<void> {
    const k = checkDataKey(record)
    this.#sql.do('insertDataKey', () =>
      this.#sql.stmt('INSERT INTO data_keys (id, wrapped, provider, master_key_id, created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        k.id, k.wrapped, k.provider, k.masterKeyId, k.createdAt, k.retiredAt,
      ),
    )
  }

  async getDataKey(id: string): Promise<DataKeyRecord | undefined> {
    checkId(id, 'id')
    const row = this.#sql.do('getDataKey', () => this.#sql.stmt(`SELECT ${DATA_KEY_COLUMNS} FROM data_keys WHERE id = ?`).get(id))
    return row === undefined ? undefined : toDataKey(row)
  }

  async getCurrentDataKey(): Promise<DataKeyRecord | undefined> {
    const row = this.#sql.do('getCurrentDataKey', () =>
      this.#sql.stmt(`SELECT ${DATA_KEY_COLUMNS} FROM data_keys WHERE retired_at IS NULL ORDER BY created_at DESC, n DESC LIMIT 1`).get(),
    )
    return row === undefined ? undefined : toDataKey(row)
  }

  async listDataKeys(): Promise<DataKeyRecord[]> {
    const rows = this.#sql.do('listDataKeys', () => this.#sql.stmt(`SELECT ${DATA_KEY_COLUMNS} FROM data_keys ORDER BY created_at DESC, n DESC`).all())
    return rows.map(toDataKey)
  }

  async rewrapDataKey(id: string, expectedWrapped: string, wrapped: string, masterKeyId: string): Promise<boolean> {
    const args = [checkId(wrapped, 'wrapped'), checkId(masterKeyId, 'masterKeyId'), checkId(id, 'id'), checkId(expectedWrapped, 'expectedWrapped')]
    const result = this.#sql.do('rewrapDataKey', () => this.#sql.stmt('UPDATE data_keys SET wrapped = ?, master_key_id = ? WHERE id = ? AND wrapped = ?').run(...args))
    return result.changes === 1
  }

  async retireDataKey(id: string, at: string): Promise<void> {
    const args = [checkTime(at, 'at'), checkId(id, 'id')]
    this.#sql.do('retireDataKey', () => this.#sql.stmt('UPDATE data_keys SET retired_at = ? WHERE id = ? AND retired_at IS NULL').run(...args))
  }

  // ------------------------------------------------------------ outbox

  async enqueue(message: OutboxInput): Promise<void> {
    const m = checkOutboxInput(message)
    this.#sql.do('enqueue', () =>
      this.#sql.stmt('INSERT INTO outbox (id, created_at, target, event, payload, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, 0, ?)').run(
        m.id, m.createdAt, m.target, m.event, m.payload, m.nextAttemptAt,
      ),
    )
  }

  async claimDue(now: string, leaseUntil: string, limit: number): Promise<OutboxMessage[]> {
    const { at, lease, max } = checkClaim(now, leaseUntil, limit)
    // One UPDATE … RETURNING takes SQLite's write lock for the whole select-and-lease, so two
    // claimers (threads or processes) can never lease the same row.
    const rows = this.#sql.do('claimDue', () =>
      this.#sql.stmt(`UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE id IN (
          SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ?
          ORDER BY next_attempt_at, created_at, id LIMIT ?)
        RETURNING ${OUTBOX_COLUMNS}`).all(lease, at, max),
    )
    return sortClaimed(rows.map(toOutbox))
  }

  async markDelivered(id: string, at: string): Promise<void> {
    const args = [checkTime(at, 'at'), checkId(id, 'id')]
    this.#sql.do('markDelivered', () => this.#sql.stmt('UPDATE outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL').run(...args))
  }

  async markFailed(id: string, error: string, nextAttemptAt: string): Promise<void> {
    const args = [checkText(error, 'error'), checkTime(nextAttemptAt, 'nextAttemptAt'), checkId(id, 'id')]
    this.#sql.do('markFailed', () => this.#sql.stmt('UPDATE outbox SET last_error = ?, next_attempt_at = ? WHERE id = ? AND delivered_at IS NULL').run(...args))
  }

  async countPending(): Promise<number> {
    const row = this.#sql.do('countPending', () => this.#sql.stmt('SELECT COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL').get()) as { n: number }
    return row.n
  }

  // ------------------------------------------------------------ monitor (sqlite-monitor.ts)

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

  // ------------------------------------------------------------ learning loop (sqlite-learning.ts)

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

  // ------------------------------------------------------------ gateway-wide jobs (sqlite-jobs.ts)

  ensureJobSchedule(name: string, cron: string, nextRunAt: string): Promise<JobScheduleRecord> { return this.#jobs.ensureJobSchedule(name, cron, nextRunAt) }
  claimDueJob(name: string, now: string, leaseUntil: string, owner: string): Promise<JobScheduleRecord | undefined> { return this.#jobs.claimDueJob(name, now, leaseUntil, owner) }
  renewJobLease(name: string, owner: string, leaseUntil: string): Promise<boolean> { return this.#jobs.renewJobLease(name, owner, leaseUntil) }
  completeJob(name: string, owner: string, update: { lastRunAt: string; lastStatus: string; nextRunAt: string }): Promise<boolean> { return this.#jobs.completeJob(name, owner, update) }
  getJobSchedule(name: string): Promise<JobScheduleRecord | undefined> { return this.#jobs.getJobSchedule(name) }
}

/** Opens (creating if needed) the database file and sets the pragmas; does not migrate. */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  let db: Database.Database | undefined
  try {
    db = new Database(path)
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    db.pragma('foreign_keys = ON')
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`)
    return new SqliteStore(db, options.migrations ?? SQLITE_MIGRATIONS)
  } catch (error) {
    db?.close()
    throw storeError(error, `open sqlite database ${path}`)
  }
}
