/**
 * SELECT lists shared by the SQL adapters. Columns are aliased to the records' field names, so
 * a row is a record once JSON columns are parsed (SQLite returns JSON as text, PostgreSQL's
 * jsonb arrives parsed) and both adapters map rows the same way.
 */
import type { AlertRecord, ApiKeyRecord, AuditEntry, DataKeyRecord, OutboxMessage, PolicyVersionRecord } from './types.js'

export const KEY_COLUMNS = `id, tenant, role, name, secret_hash AS "secretHash", created_at AS "createdAt",
  revoked_at AS "revokedAt", last_used_at AS "lastUsedAt", rate_limit_per_minute AS "rateLimitPerMinute",
  daily_quota AS "dailyQuota"`

export const ALERT_COLUMNS = `id, created_at AS "createdAt", tenant, key_id AS "keyId", request_id AS "requestId",
  direction, decision, severity, scanners, findings, excerpt, source, acknowledged_at AS "acknowledgedAt",
  acknowledged_by AS "acknowledgedBy"`

export const POLICY_COLUMNS = `tenant, version, source, sha256, created_at AS "createdAt", created_by AS "createdBy", description`

export const AUDIT_COLUMNS = `seq, at, actor, tenant, action, target, detail, prev_hash AS "prevHash", hash, mac`

export const DATA_KEY_COLUMNS = `id, wrapped, provider, master_key_id AS "masterKeyId", created_at AS "createdAt", retired_at AS "retiredAt"`

export const OUTBOX_COLUMNS = `id, created_at AS "createdAt", target, event, payload, attempts, next_attempt_at AS "nextAttemptAt",
  delivered_at AS "deliveredAt", last_error AS "lastError"`

function parsed<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

export function toAlert(row: Record<string, unknown>): AlertRecord {
  return { ...(row as unknown as AlertRecord), scanners: parsed(row.scanners), findings: parsed(row.findings) }
}

export function toAuditEntry(row: Record<string, unknown>): AuditEntry {
  return { ...(row as unknown as AuditEntry), detail: parsed(row.detail) }
}

export const toKey = (row: unknown): ApiKeyRecord => row as ApiKeyRecord
export const toPolicy = (row: unknown): PolicyVersionRecord => row as PolicyVersionRecord
export const toDataKey = (row: unknown): DataKeyRecord => row as DataKeyRecord
export const toOutbox = (row: unknown): OutboxMessage => row as OutboxMessage

/** Claimed outbox messages oldest first (UPDATE … RETURNING does not promise an order). */
export function sortClaimed(messages: OutboxMessage[]): OutboxMessage[] {
  return messages.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}
