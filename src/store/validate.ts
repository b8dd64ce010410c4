/**
 * Input checks shared by every adapter, so SQLite and PostgreSQL reject the same bad input with
 * the same error (`RAMPART_ERR_INPUT_INVALID`, dotted path) before anything reaches the database.
 * Each `check*` returns a normalized copy: times become canonical `toISOString()` text, which
 * keeps SQLite's text columns in chronological order and makes both backends return equal values.
 */
import { RampartError } from '../core/errors.js'
import { ACTIONS, DIRECTIONS } from '../core/types.js'
import { ROLES, SEVERITIES } from './types.js'
import type {
  AlertFilter,
  AlertRecord,
  ApiKeyRecord,
  AuditInput,
  DataKeyRecord,
  OutboxMessage,
  PolicyVersionRecord,
  Role,
} from './types.js'

/** Largest page a list call may ask for. */
export const MAX_PAGE_LIMIT = 1000

const MAX_ID_LENGTH = 256
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/
const SHA256_HEX = /^[0-9a-f]{64}$/

function invalid(path: string, message: string): RampartError {
  return new RampartError('RAMPART_ERR_INPUT_INVALID', `${path}: ${message}`, { path })
}

export function checkId(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw invalid(path, `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`)
  }
  return checkText(value, path)
}

/** Any string without NUL characters (PostgreSQL text cannot hold them; SQLite would, so both refuse). */
export function checkText(value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalid(path, 'must be a string')
  if (value.includes('\u0000')) throw invalid(path, 'must not contain NUL characters')
  return value
}

function checkNullableId(value: unknown, path: string): string | null {
  return value === null ? null : checkId(value, path)
}

/** An ISO-8601 time with a zone, returned as `YYYY-MM-DDTHH:MM:SS.sssZ`. */
export function checkTime(value: unknown, path: string): string {
  if (typeof value !== 'string' || !ISO_TIME.test(value)) throw invalid(path, 'must be an ISO-8601 time with a zone')
  const date = new Date(value)
  const iso = Number.isNaN(date.getTime()) ? '' : date.toISOString()
  // Years past 9999 would print as `+010000-…` and break the text ordering SQLite relies on.
  if (!/^\d{4}-/.test(iso)) throw invalid(path, 'must be a valid time between years 0000 and 9999')
  return iso
}

function checkNullableTime(value: unknown, path: string): string | null {
  return value === null ? null : checkTime(value, path)
}

function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(path, `must be one of ${allowed.join(', ')}`)
  }
  return value as T
}

function checkNullableCount(value: unknown, path: string): number | null {
  if (value === null) return null
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw invalid(path, 'must be null or a non-negative integer')
  return value as number
}

export function checkLimit(value: unknown, path = 'limit'): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_PAGE_LIMIT) {
    throw invalid(path, `must be an integer from 1 to ${MAX_PAGE_LIMIT}`)
  }
  return value as number
}

export function checkSeq(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw invalid(path, 'must be a non-negative integer')
  return value as number
}

export function checkVersion(value: unknown, path = 'version'): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw invalid(path, 'must be a positive integer')
  return value as number
}

/** JSON text of a value, refusing what JSON cannot carry faithfully (BigInt, cycles). */
export function toJson(value: unknown, path: string): string {
  try {
    const text = JSON.stringify(value)
    if (text === undefined) throw new Error('not serializable')
    return text
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${path}: must be JSON-serializable`, { path, cause })
  }
}

function checkObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'must be an object')
  return value as Record<string, unknown>
}

export function checkKey(record: ApiKeyRecord): ApiKeyRecord {
  checkObject(record, 'key')
  return {
    id: checkId(record.id, 'key.id'),
    tenant: checkId(record.tenant, 'key.tenant'),
    role: checkOneOf(record.role, ROLES, 'key.role'),
    name: checkText(record.name, 'key.name'),
    secretHash: checkId(record.secretHash, 'key.secretHash'),
    createdAt: checkTime(record.createdAt, 'key.createdAt'),
    revokedAt: checkNullableTime(record.revokedAt, 'key.revokedAt'),
    lastUsedAt: checkNullableTime(record.lastUsedAt, 'key.lastUsedAt'),
    rateLimitPerMinute: checkNullableCount(record.rateLimitPerMinute, 'key.rateLimitPerMinute'),
    dailyQuota: checkNullableCount(record.dailyQuota, 'key.dailyQuota'),
  }
}

export function checkAlert(alert: AlertRecord): AlertRecord {
  checkObject(alert, 'alert')
  if (!Array.isArray(alert.scanners)) throw invalid('alert.scanners', 'must be an array of scanner ids')
  if (!Array.isArray(alert.findings)) throw invalid('alert.findings', 'must be an array')
  return {
    id: checkId(alert.id, 'alert.id'),
    createdAt: checkTime(alert.createdAt, 'alert.createdAt'),
    tenant: checkId(alert.tenant, 'alert.tenant'),
    keyId: checkNullableId(alert.keyId, 'alert.keyId'),
    requestId: checkId(alert.requestId, 'alert.requestId'),
    direction: checkOneOf(alert.direction, DIRECTIONS, 'alert.direction'),
    decision: checkOneOf(alert.decision, ACTIONS, 'alert.decision'),
    severity: checkOneOf(alert.severity, SEVERITIES, 'alert.severity'),
    scanners: alert.scanners.map((s, i) => checkId(s, `alert.scanners[${i}]`)),
    findings: alert.findings,
    excerpt: checkText(alert.excerpt, 'alert.excerpt'),
    source: checkId(alert.source, 'alert.source'),
    acknowledgedAt: checkNullableTime(alert.acknowledgedAt, 'alert.acknowledgedAt'),
    acknowledgedBy: checkNullableId(alert.acknowledgedBy, 'alert.acknowledgedBy'),
  }
}

export function checkAlertFilter(filter: AlertFilter): AlertFilter {
  checkObject(filter, 'filter')
  const out: AlertFilter = { tenant: checkId(filter.tenant, 'filter.tenant'), limit: checkLimit(filter.limit, 'filter.limit') }
  if (filter.since !== undefined) out.since = checkTime(filter.since, 'filter.since')
  if (filter.until !== undefined) out.until = checkTime(filter.until, 'filter.until')
  if (filter.scanner !== undefined) out.scanner = checkId(filter.scanner, 'filter.scanner')
  if (filter.severity !== undefined) out.severity = checkOneOf(filter.severity, SEVERITIES, 'filter.severity')
  if (filter.decision !== undefined) out.decision = checkOneOf(filter.decision, ACTIONS, 'filter.decision')
  if (filter.acknowledged !== undefined) {
    if (typeof filter.acknowledged !== 'boolean') throw invalid('filter.acknowledged', 'must be a boolean')
    out.acknowledged = filter.acknowledged
  }
  if (filter.cursor !== undefined) out.cursor = checkText(filter.cursor, 'filter.cursor')
  return out
}

export function checkPolicyInput(input: Omit<PolicyVersionRecord, 'version'>): Omit<PolicyVersionRecord, 'version'> {
  checkObject(input, 'policy')
  if (typeof input.sha256 !== 'string' || !SHA256_HEX.test(input.sha256)) throw invalid('policy.sha256', 'must be 64 lowercase hex digits')
  return {
    tenant: checkId(input.tenant, 'policy.tenant'),
    source: checkText(input.source, 'policy.source'),
    sha256: input.sha256,
    createdAt: checkTime(input.createdAt, 'policy.createdAt'),
    createdBy: checkId(input.createdBy, 'policy.createdBy'),
    description: checkText(input.description, 'policy.description'),
  }
}

/** The audit input as it will be stored and read back, so the seal hashes exactly that. */
export function checkAuditInput(input: AuditInput): { input: AuditInput; detailJson: string } {
  checkObject(input, 'audit')
  const detailJson = toJson(checkObject(input.detail, 'audit.detail'), 'audit.detail')
  return {
    input: {
      at: checkTime(input.at, 'audit.at'),
      actor: checkId(input.actor, 'audit.actor'),
      tenant: checkNullableId(input.tenant, 'audit.tenant'),
      action: checkId(input.action, 'audit.action'),
      target: checkNullableId(input.target, 'audit.target'),
      detail: JSON.parse(detailJson) as Record<string, unknown>,
    },
    detailJson,
  }
}

export function checkSeal(value: unknown): { hash: string; mac: string } {
  const seal = checkObject(value, 'seal')
  return { hash: checkId(seal.hash, 'seal.hash'), mac: checkId(seal.mac, 'seal.mac') }
}

export function checkDataKey(record: DataKeyRecord): DataKeyRecord {
  checkObject(record, 'dataKey')
  return {
    id: checkId(record.id, 'dataKey.id'),
    wrapped: checkId(record.wrapped, 'dataKey.wrapped'),
    provider: checkId(record.provider, 'dataKey.provider'),
    masterKeyId: checkId(record.masterKeyId, 'dataKey.masterKeyId'),
    createdAt: checkTime(record.createdAt, 'dataKey.createdAt'),
    retiredAt: checkNullableTime(record.retiredAt, 'dataKey.retiredAt'),
  }
}

export type OutboxInput = Omit<OutboxMessage, 'attempts' | 'deliveredAt' | 'lastError'>

export function checkOutboxInput(message: OutboxInput): OutboxInput {
  checkObject(message, 'message')
  return {
    id: checkId(message.id, 'message.id'),
    createdAt: checkTime(message.createdAt, 'message.createdAt'),
    target: checkId(message.target, 'message.target'),
    event: checkId(message.event, 'message.event'),
    payload: checkText(message.payload, 'message.payload'),
    nextAttemptAt: checkTime(message.nextAttemptAt, 'message.nextAttemptAt'),
  }
}

export function checkRole(value: unknown, path = 'role'): Role {
  return checkOneOf(value, ROLES, path)
}

/** Arguments of `claimDue`: a lease that ends after `now` (otherwise nothing would be leased). */
export function checkClaim(now: string, leaseUntil: string, limit: number): { at: string; lease: string; max: number } {
  const at = checkTime(now, 'now')
  const lease = checkTime(leaseUntil, 'leaseUntil')
  if (lease <= at) throw invalid('leaseUntil', 'must be later than now')
  return { at, lease, max: checkLimit(limit) }
}
