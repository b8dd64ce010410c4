/**
 * Input checks and row mapping for the learning loop's ports (feedback verdicts, detector
 * registry), shared by the SQLite and PostgreSQL adapters so both reject the same bad input with
 * the same `RAMPART_ERR_INPUT_INVALID` path and return equal records.
 */
import { createHash } from 'node:crypto'
import { RampartError } from '../core/errors.js'
import { FEEDBACK_TEXT_SOURCES, VERDICTS } from './types.js'
import type {
  AlertTextRecord,
  DetectorActivation,
  DetectorVersionRecord,
  DetectorVersionSummary,
  VerdictFilter,
  VerdictInput,
  VerdictRecord,
} from './types.js'
import { checkId, checkLimit, checkText, checkTime, toJson } from './validate.js'

/** Largest weights file the registry accepts (a 2^24-bucket int8 model and its header). */
export const MAX_WEIGHTS_BYTES = 20 * 1024 * 1024
const SHA256_HEX = /^[0-9a-f]{64}$/
const DETECTOR_ID = /^[a-z][a-z0-9_]{0,63}$/

function invalid(path: string, message: string): RampartError {
  return new RampartError('RAMPART_ERR_INPUT_INVALID', `${path}: ${message}`, { path })
}

function checkObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'must be an object')
  return value as Record<string, unknown>
}

function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw invalid(path, `must be one of ${allowed.join(', ')}`)
  return value as T
}

export function checkAlertText(record: AlertTextRecord): AlertTextRecord {
  checkObject(record, 'alertText')
  return {
    tenant: checkId(record.tenant, 'alertText.tenant'),
    alertId: checkId(record.alertId, 'alertText.alertId'),
    text: checkText(record.text, 'alertText.text'),
    createdAt: checkTime(record.createdAt, 'alertText.createdAt'),
  }
}

export function checkVerdictInput(input: VerdictInput): VerdictInput {
  checkObject(input, 'verdict')
  if (!Array.isArray(input.scanners)) throw invalid('verdict.scanners', 'must be an array of scanner ids')
  return {
    tenant: checkId(input.tenant, 'verdict.tenant'),
    alertId: checkId(input.alertId, 'verdict.alertId'),
    verdict: checkOneOf(input.verdict, VERDICTS, 'verdict.verdict'),
    by: checkId(input.by, 'verdict.by'),
    at: checkTime(input.at, 'verdict.at'),
    note: input.note === null ? null : checkText(input.note, 'verdict.note'),
    text: checkText(input.text, 'verdict.text'),
    textSource: checkOneOf(input.textSource, FEEDBACK_TEXT_SOURCES, 'verdict.textSource'),
    scanners: input.scanners.map((s, i) => checkId(s, `verdict.scanners[${i}]`)),
    alertCreatedAt: checkTime(input.alertCreatedAt, 'verdict.alertCreatedAt'),
  }
}

export function checkVerdictFilter(filter: VerdictFilter): VerdictFilter {
  checkObject(filter, 'filter')
  const out: VerdictFilter = { tenant: checkId(filter.tenant, 'filter.tenant'), limit: checkLimit(filter.limit, 'filter.limit') }
  if (filter.verdict !== undefined) out.verdict = checkOneOf(filter.verdict, VERDICTS, 'filter.verdict')
  if (filter.scanner !== undefined) out.scanner = checkId(filter.scanner, 'filter.scanner')
  if (filter.since !== undefined) out.since = checkTime(filter.since, 'filter.since')
  if (filter.until !== undefined) out.until = checkTime(filter.until, 'filter.until')
  if (filter.cursor !== undefined) out.cursor = checkText(filter.cursor, 'filter.cursor')
  return out
}

export function checkDetector(value: unknown, path = 'detector'): string {
  if (typeof value !== 'string' || !DETECTOR_ID.test(value)) throw invalid(path, 'must be a detector id such as prompt_injection')
  return value
}

export function checkVersionId(value: unknown, path = 'id'): string {
  if (typeof value !== 'string' || !SHA256_HEX.test(value)) throw invalid(path, 'must be the sha256 of the weights, 64 lowercase hex characters')
  return value
}

/** sha256 hex of a weights file: a detector version's id. */
export function weightsId(weights: Uint8Array): string {
  return createHash('sha256').update(weights).digest('hex')
}

export function checkDetectorVersion(record: DetectorVersionRecord): DetectorVersionRecord & { metricsJson: string } {
  checkObject(record, 'version')
  if (!(record.weights instanceof Uint8Array) || record.weights.byteLength === 0 || record.weights.byteLength > MAX_WEIGHTS_BYTES) {
    throw invalid('version.weights', `must be a non-empty byte array of at most ${MAX_WEIGHTS_BYTES} bytes`)
  }
  const id = checkVersionId(record.id, 'version.id')
  if (weightsId(record.weights) !== id) throw invalid('version.id', 'must be the sha256 of version.weights')
  if (record.size !== record.weights.byteLength) throw invalid('version.size', 'must be the byte length of version.weights')
  const metrics = checkObject(record.metrics, 'version.metrics')
  return {
    id,
    detector: checkDetector(record.detector, 'version.detector'),
    size: record.size,
    weights: record.weights,
    modelCard: checkText(record.modelCard, 'version.modelCard'),
    metrics,
    metricsJson: toJson(metrics, 'version.metrics'),
    description: checkText(record.description, 'version.description'),
    createdAt: checkTime(record.createdAt, 'version.createdAt'),
    createdBy: checkId(record.createdBy, 'version.createdBy'),
  }
}

// ------------------------------------------------------------ columns and rows

export const ALERT_TEXT_COLUMNS = `tenant, alert_id AS "alertId", text, created_at AS "createdAt"`

export const VERDICT_COLUMNS = `tenant, alert_id AS "alertId", verdict, by_actor AS "by", at, note, text, text_source AS "textSource",
  scanners, alert_created_at AS "alertCreatedAt", revision`

export const DETECTOR_SUMMARY_COLUMNS = `id, detector, size, metrics, description, created_at AS "createdAt", created_by AS "createdBy"`

export const DETECTOR_ACTIVATION_COLUMNS = `seq, detector, version_id AS "versionId", at, by_actor AS "by", action, previous_seq AS "previousSeq"`

type Row = Record<string, unknown>

function parsed<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

export const toAlertText = (row: unknown): AlertTextRecord => row as AlertTextRecord

export function toVerdict(row: Row): VerdictRecord {
  return { ...(row as unknown as VerdictRecord), scanners: parsed(row.scanners), revision: Number(row.revision) }
}

export function toDetectorSummary(row: Row): DetectorVersionSummary {
  return { ...(row as unknown as DetectorVersionSummary), size: Number(row.size), metrics: parsed(row.metrics) }
}

export function toDetectorVersion(row: Row): DetectorVersionRecord {
  const weights = row.weights as Uint8Array
  const { weights: _w, modelCard, ...rest } = row
  return { ...toDetectorSummary(rest), modelCard: String(modelCard), weights: new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength) }
}

export function toActivation(row: Row): DetectorActivation {
  return {
    seq: Number(row.seq),
    detector: String(row.detector),
    versionId: row.versionId === null ? null : String(row.versionId),
    at: String(row.at),
    by: String(row.by),
    action: row.action as DetectorActivation['action'],
    previousSeq: row.previousSeq === null ? null : Number(row.previousSeq),
  }
}

/**
 * The row a rollback appends, from the activation in force and the one it had replaced
 * (`target`, undefined when the current activation replaced the built-in weights); undefined
 * when there is nothing to roll back to (no activation, or the built-in weights with no past).
 */
export function rollbackRow(current: DetectorActivation | undefined, target: DetectorActivation | undefined): Pick<DetectorActivation, 'versionId' | 'previousSeq'> | undefined {
  if (current === undefined) return undefined
  if (current.previousSeq === null) return current.versionId === null ? undefined : { versionId: null, previousSeq: null }
  if (target === undefined) throw new RampartError('RAMPART_ERR_STORE', `detector activation ${current.seq} points at a missing activation ${current.previousSeq}`)
  return { versionId: target.versionId, previousSeq: target.previousSeq }
}
