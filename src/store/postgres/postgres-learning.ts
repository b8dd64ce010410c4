/**
 * The learning loop's ports on PostgreSQL (feedback verdicts with their sealed texts, the
 * detector registry), beside PostgresStore, which delegates to it on the same pool. A verdict's
 * revision is computed under a row lock and a detector's activations behind a transaction-scoped
 * advisory lock per detector, so replicas writing at the same moment serialize.
 */
import type pg from 'pg'
import { decodeCursor, pageBy } from '../cursor.js'
import { PostgresQueries, type RowsQuery as Query } from './queries.js'
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


/** First key of every advisory lock Rampart takes ('RAMP'), as in postgres-store.ts. */
const LOCK_CLASS = 0x52414d50 & 0x7fffffff

export class PostgresLearningStore implements FeedbackStore, DetectorRegistryStore {
  readonly #pg: PostgresQueries

  constructor(pool: pg.Pool) {
    this.#pg = new PostgresQueries(pool)
  }

  // ------------------------------------------------------------ feedback

  async putAlertText(record: AlertTextRecord): Promise<boolean> {
    const r = checkAlertText(record)
    const rows = await this.#pg.rows(
      'putAlertText',
      'INSERT INTO alert_texts (tenant, alert_id, text, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, alert_id) DO NOTHING RETURNING alert_id',
      [r.tenant, r.alertId, r.text, r.createdAt],
    )
    return rows.length === 1
  }

  async getAlertText(tenant: string, alertId: string): Promise<AlertTextRecord | undefined> {
    const [row] = await this.#pg.rows('getAlertText', `SELECT ${ALERT_TEXT_COLUMNS} FROM alert_texts WHERE tenant = $1 AND alert_id = $2`, [checkId(tenant, 'tenant'), checkId(alertId, 'alertId')])
    return row === undefined ? undefined : toAlertText(row)
  }

  async putVerdict(input: VerdictInput): Promise<{ record: VerdictRecord; previous: VerdictRecord | undefined }> {
    const v = checkVerdictInput(input)
    const scanners = toJson(v.scanners, 'verdict.scanners')
    return this.#pg.transactionRows('putVerdict', async (query) => {
      // The alert's lock serializes two verdicts on it (the first one inserts; a row lock needs a row).
      await query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `rampart:feedback:${v.tenant}:${v.alertId}`])
      const [prev] = await query(`SELECT ${VERDICT_COLUMNS} FROM feedback WHERE tenant = $1 AND alert_id = $2`, [v.tenant, v.alertId])
      const previous = prev === undefined ? undefined : toVerdict(prev)
      const record: VerdictRecord = { ...v, revision: (previous?.revision ?? 0) + 1 }
      await query(
        `INSERT INTO feedback (tenant, alert_id, verdict, by_actor, at, note, text, text_source, scanners, alert_created_at, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (tenant, alert_id) DO UPDATE SET verdict = excluded.verdict, by_actor = excluded.by_actor, at = excluded.at,
         note = excluded.note, text = excluded.text, text_source = excluded.text_source, scanners = excluded.scanners,
         alert_created_at = excluded.alert_created_at, revision = excluded.revision`,
        [v.tenant, v.alertId, v.verdict, v.by, v.at, v.note, v.text, v.textSource, scanners, v.alertCreatedAt, record.revision],
      )
      return { record, previous }
    })
  }

  async getVerdict(tenant: string, alertId: string): Promise<VerdictRecord | undefined> {
    const [row] = await this.#pg.rows('getVerdict', `SELECT ${VERDICT_COLUMNS} FROM feedback WHERE tenant = $1 AND alert_id = $2`, [checkId(tenant, 'tenant'), checkId(alertId, 'alertId')])
    return row === undefined ? undefined : toVerdict(row)
  }

  async listVerdicts(filter: VerdictFilter): Promise<Page<VerdictRecord>> {
    const f = checkVerdictFilter(filter)
    const args: unknown[] = [f.tenant]
    const p = (value: unknown) => (args.push(value), `$${args.length}`)
    const where = ['tenant = $1']
    if (f.verdict !== undefined) where.push(`verdict = ${p(f.verdict)}`)
    if (f.scanner !== undefined) where.push(`scanners::jsonb @> jsonb_build_array(${p(f.scanner)}::text)`)
    if (f.since !== undefined) where.push(`at >= ${p(f.since)}::timestamptz`)
    if (f.until !== undefined) where.push(`at < ${p(f.until)}::timestamptz`)
    if (f.cursor !== undefined) {
      const position = decodeCursor(f.cursor, 'filter.cursor')
      const t = p(position.createdAt)
      where.push(`(at < ${t}::timestamptz OR (at = ${t}::timestamptz AND alert_id < ${p(position.id)}))`)
    }
    const rows = await this.#pg.rows('listVerdicts', `SELECT ${VERDICT_COLUMNS} FROM feedback WHERE ${where.join(' AND ')} ORDER BY at DESC, alert_id DESC LIMIT ${p(f.limit + 1)}`, args)
    return pageBy(rows.map(toVerdict), f.limit, (v) => ({ createdAt: v.at, id: v.alertId }))
  }

  // ------------------------------------------------------------ detector registry

  async registerDetectorVersion(record: DetectorVersionRecord): Promise<boolean> {
    const v = checkDetectorVersion(record)
    const rows = await this.#pg.rows(
      'registerDetectorVersion',
      `INSERT INTO detector_versions (detector, id, size, weights, model_card, metrics, description, created_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (detector, id) DO NOTHING RETURNING id`,
      [v.detector, v.id, v.size, Buffer.from(v.weights.buffer, v.weights.byteOffset, v.weights.byteLength), v.modelCard, v.metricsJson, v.description, v.createdAt, v.createdBy],
    )
    return rows.length === 1
  }

  async listDetectorVersions(detector: string): Promise<DetectorVersionSummary[]> {
    const rows = await this.#pg.rows('listDetectorVersions', `SELECT ${DETECTOR_SUMMARY_COLUMNS} FROM detector_versions WHERE detector = $1 ORDER BY created_at DESC, id DESC`, [checkDetector(detector)])
    return rows.map(toDetectorSummary)
  }

  async getDetectorVersion(detector: string, id: string): Promise<DetectorVersionRecord | undefined> {
    const [row] = await this.#pg.rows(
      'getDetectorVersion',
      `SELECT ${DETECTOR_SUMMARY_COLUMNS}, weights, model_card AS "modelCard" FROM detector_versions WHERE detector = $1 AND id = $2`,
      [checkDetector(detector), checkVersionId(id)],
    )
    return row === undefined ? undefined : toDetectorVersion(row)
  }

  static async #active(query: Query, detector: string): Promise<DetectorActivation | undefined> {
    const [row] = await query(`SELECT ${DETECTOR_ACTIVATION_COLUMNS} FROM detector_activations WHERE detector = $1 ORDER BY seq DESC LIMIT 1`, [detector])
    return row === undefined ? undefined : toActivation(row)
  }

  static async #append(query: Query, detector: string, versionId: string | null, at: string, by: string, action: DetectorActivation['action'], previousSeq: number | null): Promise<DetectorActivation> {
    const [row] = await query(
      `INSERT INTO detector_activations (detector, version_id, at, by_actor, action, previous_seq) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${DETECTOR_ACTIVATION_COLUMNS}`,
      [detector, versionId, at, by, action, previousSeq],
    )
    return toActivation(row!)
  }

  async #locked<T>(operation: string, detector: string, work: (query: Query) => Promise<T>): Promise<T> {
    return this.#pg.transactionRows(operation, async (query) => {
      await query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `rampart:detector:${detector}`])
      return work(query)
    })
  }

  async activateDetectorVersion(detector: string, versionId: string | null, by: string, at: string): Promise<DetectorActivation | undefined> {
    const d = checkDetector(detector)
    const id = versionId === null ? null : checkVersionId(versionId, 'versionId')
    const who = checkId(by, 'by')
    const when = checkTime(at, 'at')
    return this.#locked('activateDetectorVersion', d, async (query) => {
      if (id !== null && (await query('SELECT 1 FROM detector_versions WHERE detector = $1 AND id = $2', [d, id])).length === 0) return undefined
      const current = await PostgresLearningStore.#active(query, d)
      return PostgresLearningStore.#append(query, d, id, when, who, 'activate', current?.seq ?? null)
    })
  }

  async rollbackDetector(detector: string, by: string, at: string): Promise<DetectorActivation | undefined> {
    const d = checkDetector(detector)
    const who = checkId(by, 'by')
    const when = checkTime(at, 'at')
    return this.#locked('rollbackDetector', d, async (query) => {
      const current = await PostgresLearningStore.#active(query, d)
      const [target] = current?.previousSeq == null ? [] : await query(`SELECT ${DETECTOR_ACTIVATION_COLUMNS} FROM detector_activations WHERE seq = $1`, [current.previousSeq])
      const next = rollbackRow(current, target === undefined ? undefined : toActivation(target))
      return next === undefined ? undefined : PostgresLearningStore.#append(query, d, next.versionId, when, who, 'rollback', next.previousSeq)
    })
  }

  async getActiveDetector(detector: string): Promise<DetectorActivation | undefined> {
    const d = checkDetector(detector)
    return PostgresLearningStore.#active((sql, args) => this.#pg.rows('getActiveDetector', sql, args), d)
  }

  async listDetectorActivations(detector: string, limit: number): Promise<DetectorActivation[]> {
    const rows = await this.#pg.rows('listDetectorActivations', `SELECT ${DETECTOR_ACTIVATION_COLUMNS} FROM detector_activations WHERE detector = $1 ORDER BY seq DESC LIMIT $2`, [checkDetector(detector), checkLimit(limit)])
    return rows.map(toActivation)
  }
}
