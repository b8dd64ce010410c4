/**
 * The learning loop's ports on SQLite (feedback verdicts with their sealed texts, the detector
 * registry), beside SqliteStore, which delegates to it on the same connection. A verdict's
 * revision and an activation's place in the history are read and written in one IMMEDIATE
 * transaction, so two processes on the same file serialize instead of racing.
 */
import type Database from 'better-sqlite3'
import { decodeCursor, pageBy } from '../cursor.js'
import { SqliteStatements } from './statements.js'
import {
  ALERT_TEXT_COLUMNS,
  DETECTOR_ACTIVATION_COLUMNS,
  DETECTOR_SUMMARY_COLUMNS,
  VERDICT_COLUMNS,
  checkAlertText,
  checkDetector,
  checkDetectorVersion,
  checkVerdictFilter,
  checkVerdictInput,
  checkVersionId,
  rollbackRow,
  toActivation,
  toAlertText,
  toDetectorSummary,
  toDetectorVersion,
  toVerdict,
} from '../learning-validate.js'
import type {
  AlertTextRecord,
  DetectorActivation,
  DetectorRegistryStore,
  DetectorVersionRecord,
  DetectorVersionSummary,
  FeedbackStore,
  Page,
  VerdictFilter,
  VerdictInput,
  VerdictRecord,
} from '../types.js'
import { checkId, checkLimit, checkTime, toJson } from '../validate.js'

type Row = Record<string, unknown>

export class SqliteLearningStore implements FeedbackStore, DetectorRegistryStore {
  readonly #sql: SqliteStatements

  constructor(db: Database.Database) {
    this.#sql = new SqliteStatements(db)
  }

  // ------------------------------------------------------------ feedback

  async putAlertText(record: AlertTextRecord): Promise<boolean> {
    const r = checkAlertText(record)
    const result = this.#sql.do('putAlertText', () =>
      this.#sql.stmt('INSERT INTO alert_texts (tenant, alert_id, text, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant, alert_id) DO NOTHING').run(r.tenant, r.alertId, r.text, r.createdAt),
    )
    return result.changes === 1
  }

  async getAlertText(tenant: string, alertId: string): Promise<AlertTextRecord | undefined> {
    const args = [checkId(tenant, 'tenant'), checkId(alertId, 'alertId')]
    const row = this.#sql.do('getAlertText', () => this.#sql.stmt(`SELECT ${ALERT_TEXT_COLUMNS} FROM alert_texts WHERE tenant = ? AND alert_id = ?`).get(...args))
    return row === undefined ? undefined : toAlertText(row)
  }

  #getVerdict(tenant: string, alertId: string): VerdictRecord | undefined {
    const row = this.#sql.stmt(`SELECT ${VERDICT_COLUMNS} FROM feedback WHERE tenant = ? AND alert_id = ?`).get(tenant, alertId) as Row | undefined
    return row === undefined ? undefined : toVerdict(row)
  }

  async putVerdict(input: VerdictInput): Promise<{ record: VerdictRecord; previous: VerdictRecord | undefined }> {
    const v = checkVerdictInput(input)
    const scanners = toJson(v.scanners, 'verdict.scanners')
    return this.#sql.immediate('putVerdict', () => {
      const previous = this.#getVerdict(v.tenant, v.alertId)
      const record: VerdictRecord = { ...v, revision: (previous?.revision ?? 0) + 1 }
      this.#sql.stmt(`INSERT INTO feedback (tenant, alert_id, verdict, by_actor, at, note, text, text_source, scanners, alert_created_at, revision)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant, alert_id) DO UPDATE SET verdict = excluded.verdict, by_actor = excluded.by_actor, at = excluded.at,
        note = excluded.note, text = excluded.text, text_source = excluded.text_source, scanners = excluded.scanners,
        alert_created_at = excluded.alert_created_at, revision = excluded.revision`).run(
        v.tenant, v.alertId, v.verdict, v.by, v.at, v.note, v.text, v.textSource, scanners, v.alertCreatedAt, record.revision,
      )
      return { record, previous }
    })
  }

  async getVerdict(tenant: string, alertId: string): Promise<VerdictRecord | undefined> {
    const args = [checkId(tenant, 'tenant'), checkId(alertId, 'alertId')] as const
    return this.#sql.do('getVerdict', () => this.#getVerdict(...args))
  }

  async listVerdicts(filter: VerdictFilter): Promise<Page<VerdictRecord>> {
    const f = checkVerdictFilter(filter)
    const where = ['tenant = ?']
    const args: unknown[] = [f.tenant]
    const add = (clause: string, value: unknown) => {
      where.push(clause)
      args.push(value)
    }
    if (f.verdict !== undefined) add('verdict = ?', f.verdict)
    if (f.scanner !== undefined) add('EXISTS (SELECT 1 FROM json_each(feedback.scanners) WHERE json_each.value = ?)', f.scanner)
    if (f.since !== undefined) add('at >= ?', f.since)
    if (f.until !== undefined) add('at < ?', f.until)
    if (f.cursor !== undefined) {
      const position = decodeCursor(f.cursor, 'filter.cursor')
      where.push('(at < ? OR (at = ? AND alert_id < ?))')
      args.push(position.createdAt, position.createdAt, position.id)
    }
    args.push(f.limit + 1)
    const rows = this.#sql.do('listVerdicts', () =>
      this.#sql.stmt(`SELECT ${VERDICT_COLUMNS} FROM feedback WHERE ${where.join(' AND ')} ORDER BY at DESC, alert_id DESC LIMIT ?`).all(...args),
    ) as Row[]
    return pageBy(rows.map(toVerdict), f.limit, (v) => ({ createdAt: v.at, id: v.alertId }))
  }

  // ------------------------------------------------------------ detector registry

  async registerDetectorVersion(record: DetectorVersionRecord): Promise<boolean> {
    const v = checkDetectorVersion(record)
    const result = this.#sql.do('registerDetectorVersion', () =>
      this.#sql.stmt(`INSERT INTO detector_versions (detector, id, size, weights, model_card, metrics, description, created_at, created_by)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (detector, id) DO NOTHING`).run(
        v.detector, v.id, v.size, Buffer.from(v.weights.buffer, v.weights.byteOffset, v.weights.byteLength), v.modelCard, v.metricsJson, v.description, v.createdAt, v.createdBy,
      ),
    )
    return result.changes === 1
  }

  async listDetectorVersions(detector: string): Promise<DetectorVersionSummary[]> {
    checkDetector(detector)
    const rows = this.#sql.do('listDetectorVersions', () =>
      this.#sql.stmt(`SELECT ${DETECTOR_SUMMARY_COLUMNS} FROM detector_versions WHERE detector = ? ORDER BY created_at DESC, id DESC`).all(detector),
    ) as Row[]
    return rows.map(toDetectorSummary)
  }

  async getDetectorVersion(detector: string, id: string): Promise<DetectorVersionRecord | undefined> {
    const args = [checkDetector(detector), checkVersionId(id)]
    const row = this.#sql.do('getDetectorVersion', () =>
      this.#sql.stmt(`SELECT ${DETECTOR_SUMMARY_COLUMNS}, weights, model_card AS "modelCard" FROM detector_versions WHERE detector = ? AND id = ?`).get(...args),
    ) as Row | undefined
    return row === undefined ? undefined : toDetectorVersion(row)
  }

  #active(detector: string): DetectorActivation | undefined {
    const row = this.#sql.stmt(`SELECT ${DETECTOR_ACTIVATION_COLUMNS} FROM detector_activations WHERE detector = ? ORDER BY seq DESC LIMIT 1`).get(detector) as Row | undefined
    return row === undefined ? undefined : toActivation(row)
  }

  #append(detector: string, versionId: string | null, at: string, by: string, action: DetectorActivation['action'], previousSeq: number | null): DetectorActivation {
    const row = this.#sql.stmt(`INSERT INTO detector_activations (detector, version_id, at, by_actor, action, previous_seq) VALUES (?, ?, ?, ?, ?, ?)
      RETURNING ${DETECTOR_ACTIVATION_COLUMNS}`).get(detector, versionId, at, by, action, previousSeq) as Row
    return toActivation(row)
  }

  async activateDetectorVersion(detector: string, versionId: string | null, by: string, at: string): Promise<DetectorActivation | undefined> {
    const d = checkDetector(detector)
    const id = versionId === null ? null : checkVersionId(versionId, 'versionId')
    const who = checkId(by, 'by')
    const when = checkTime(at, 'at')
    return this.#sql.immediate('activateDetectorVersion', () => {
      if (id !== null && this.#sql.stmt('SELECT 1 FROM detector_versions WHERE detector = ? AND id = ?').get(d, id) === undefined) return undefined
      return this.#append(d, id, when, who, 'activate', this.#active(d)?.seq ?? null)
    })
  }

  async rollbackDetector(detector: string, by: string, at: string): Promise<DetectorActivation | undefined> {
    const d = checkDetector(detector)
    const who = checkId(by, 'by')
    const when = checkTime(at, 'at')
    return this.#sql.immediate('rollbackDetector', () => {
      const current = this.#active(d)
      const target =
        current?.previousSeq == null
          ? undefined
          : (this.#sql.stmt(`SELECT ${DETECTOR_ACTIVATION_COLUMNS} FROM detector_activations WHERE seq = ?`).get(current.previousSeq) as Row | undefined)
      const next = rollbackRow(current, target === undefined ? undefined : toActivation(target))
      return next === undefined ? undefined : this.#append(d, next.versionId, when, who, 'rollback', next.previousSeq)
    })
  }

  async getActiveDetector(detector: string): Promise<DetectorActivation | undefined> {
    const d = checkDetector(detector)
    return this.#sql.do('getActiveDetector', () => this.#active(d))
  }

  async listDetectorActivations(detector: string, limit: number): Promise<DetectorActivation[]> {
    const args = [checkDetector(detector), checkLimit(limit)]
    const rows = this.#sql.do('listDetectorActivations', () =>
      this.#sql.stmt(`SELECT ${DETECTOR_ACTIVATION_COLUMNS} FROM detector_activations WHERE detector = ? ORDER BY seq DESC LIMIT ?`).all(...args),
    ) as Row[]
    return rows.map(toActivation)
  }
}
