/**
 * The store's ports: one interface per concern, so the gateway, monitor, shield and dashboard
 * depend on what they use and every adapter (SQLite, PostgreSQL) passes one conformance suite.
 *
 * Conventions shared by every port:
 * - Times are ISO-8601 UTC strings (`2026-11-26T10:00:00.000Z`), ids are opaque strings.
 * - Anything a user typed (prompts, responses, excerpts, webhook payloads) is stored SEALED:
 *   `Sealed` is the envelope ciphertext from `crypto/envelope.ts`. Stores never see plaintext.
 * - Every list is paged by an opaque cursor, newest first unless said otherwise.
 * - Methods are async even on SQLite, so callers are written once for both backends.
 */
import type { Action, Direction, Finding } from '../core/types.js'

/** Envelope ciphertext as produced by `Envelope.seal` (self-describing, base64url text). */
export type Sealed = string

export const ROLES = ['admin', 'analyst', 'app'] as const
/** `admin`: everything in its tenant; `analyst`: read alerts, audit and metrics; `app`: guard and proxy only. */
export type Role = (typeof ROLES)[number]

export interface Page<T> {
  items: T[]
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string
}

// ---------------------------------------------------------------- API keys

export interface ApiKeyRecord {
  /** Public part of the key (`rk_<id>_<secret>`): safe to log and show. */
  id: string
  tenant: string
  role: Role
  name: string
  /** scrypt hash of the secret part, in `scrypt$N$r$p$salt$hash` form. */
  secretHash: string
  createdAt: string
  revokedAt: string | null
  lastUsedAt: string | null
  /** Requests per minute for this key; null = the gateway's default. */
  rateLimitPerMinute: number | null
  /** Requests per UTC day for this key; null = no quota. */
  dailyQuota: number | null
}

export interface KeyStore {
  insertKey(record: ApiKeyRecord): Promise<void>
  getKey(id: string): Promise<ApiKeyRecord | undefined>
  /** All keys of a tenant, or of every tenant when `tenant` is undefined (local CLI only); newest first. */
  listKeys(tenant?: string): Promise<ApiKeyRecord[]>
  /** Sets `revokedAt`; returns false when the key does not exist or was already revoked. */
  revokeKey(id: string, at: string): Promise<boolean>
  /** Sets `lastUsedAt` unless it is already later (touches may land out of order). */
  touchKey(id: string, at: string): Promise<void>
  countActiveKeys(role?: Role): Promise<number>
}

// ---------------------------------------------------------------- alerts

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

export interface AlertRecord {
  id: string
  createdAt: string
  tenant: string
  keyId: string | null
  /** The request that raised it (also in the gateway's logs and the `x-request-id` header). */
  requestId: string
  direction: Direction
  /** The strongest action among the findings: `flag`, `redact` or `block`. */
  decision: Action
  severity: Severity
  /** Scanner ids that produced findings (for filtering). */
  scanners: string[]
  /** Findings as the engine returned them (types, spans, scores; never the matched secret). */
  findings: Finding[]
  /** A short excerpt of the text around the findings, with PII/secrets redacted, sealed. */
  excerpt: Sealed
  /** Where the alert came from: `guard`, `proxy`, `shield`, `monitor`… */
  source: string
  acknowledgedAt: string | null
  acknowledgedBy: string | null
}

export interface AlertFilter {
  tenant: string
  /** Inclusive lower bound on `createdAt`. */
  since?: string
  /** Exclusive upper bound on `createdAt`. */
  until?: string
  /** Alerts whose `scanners` include this id. */
  scanner?: string
  severity?: Severity
  decision?: Action
  acknowledged?: boolean
  /** 1..1000. */
  limit: number
  cursor?: string
}

export interface AlertStore {
  insertAlert(alert: AlertRecord): Promise<void>
  getAlert(tenant: string, id: string): Promise<AlertRecord | undefined>
  listAlerts(filter: AlertFilter): Promise<Page<AlertRecord>>
  /** Returns the updated alert, or undefined when no such alert exists in this tenant. Idempotent. */
  acknowledgeAlert(tenant: string, id: string, by: string, at: string): Promise<AlertRecord | undefined>
}

// ---------------------------------------------------------------- policies

export interface PolicyVersionRecord {
  tenant: string
  /** 1, 2, 3… per tenant; a version never changes once written. */
  version: number
  /** The policy document as submitted (YAML or JSON text). */
  source: string
  /** sha256 of `source`, hex. */
  sha256: string
  createdAt: string
  createdBy: string
  description: string
}

export interface PolicyStore {
  /** Stores the next version for the tenant and returns it (version assigned atomically). */
  createPolicyVersion(input: Omit<PolicyVersionRecord, 'version'>): Promise<PolicyVersionRecord>
  getPolicyVersion(tenant: string, version: number): Promise<PolicyVersionRecord | undefined>
  /** Highest version first. */
  listPolicyVersions(tenant: string): Promise<PolicyVersionRecord[]>
  /** Marks a version active for the tenant; returns false when the version does not exist. */
  activatePolicyVersion(tenant: string, version: number, by: string, at: string): Promise<boolean>
  /** The active version, or undefined when the tenant uses the gateway's default policy. */
  getActivePolicyVersion(tenant: string): Promise<PolicyVersionRecord | undefined>
}

// ---------------------------------------------------------------- audit log

export interface AuditInput {
  at: string
  /** Who: a key id, `cli`, or `system`. */
  actor: string
  tenant: string | null
  /** What: `key.create`, `key.revoke`, `policy.create`, `policy.activate`, `alert.create`, `alert.ack`, `master.rotate`… */
  action: string
  /** The object acted on (key id, policy version, alert id). */
  target: string | null
  detail: Record<string, unknown>
}

export interface AuditEntry extends AuditInput {
  /** 1, 2, 3… with no gaps. */
  seq: number
  /** Hash of the previous entry (64 zeros for the first). */
  prevHash: string
  /** sha256 over prevHash and the canonical JSON of this entry (see crypto/audit-chain.ts). */
  hash: string
  /** HMAC-SHA256 of `hash` under the audit key, so someone with only database access cannot rebuild the chain. */
  mac: string
}

export interface AuditStore {
  /**
   * Appends an entry: reads the last hash, computes this entry's hash and MAC with `seal`,
   * and writes it, all in one transaction (serialized across replicas).
   */
  appendAudit(input: AuditInput, seal: (seq: number, prevHash: string, input: AuditInput) => { hash: string; mac: string }): Promise<AuditEntry>
  /** Entries in `seq` order from `fromSeq` (inclusive), at most `limit`. */
  readAudit(fromSeq: number, limit: number): Promise<AuditEntry[]>
}

// ---------------------------------------------------------------- data keys (envelope encryption)

export interface DataKeyRecord {
  id: string
  /** The data key wrapped (encrypted) by the key provider's master key. */
  wrapped: string
  /** Key provider id (`local`, `aws-kms`) and the master key (version) that wrapped it. */
  provider: string
  masterKeyId: string
  createdAt: string
  /** Set when a newer data key took over sealing; retired keys still open old ciphertexts. */
  retiredAt: string | null
}

export interface DataKeyStore {
  insertDataKey(record: DataKeyRecord): Promise<void>
  getDataKey(id: string): Promise<DataKeyRecord | undefined>
  /** The newest data key that is not retired. */
  getCurrentDataKey(): Promise<DataKeyRecord | undefined>
  /** Newest first, retired ones included. */
  listDataKeys(): Promise<DataKeyRecord[]>
  /** Replaces `wrapped`/`masterKeyId` of one key (master key rotation); compare-and-swap on the old wrapped value. */
  rewrapDataKey(id: string, expectedWrapped: string, wrapped: string, masterKeyId: string): Promise<boolean>
  /** Keeps the first `retiredAt` when called again; no-op for an unknown id. */
  retireDataKey(id: string, at: string): Promise<void>
}

// ---------------------------------------------------------------- webhook outbox

export interface OutboxMessage {
  id: string
  createdAt: string
  /** Which configured webhook it goes to (its name), and the event type (`alert.created`…). */
  target: string
  event: string
  /** The JSON body, sealed (it holds alert excerpts). */
  payload: Sealed
  /** Delivery attempts started: `claimDue` counts one per claim (so a sender that crashes mid-send is counted too). */
  attempts: number
  nextAttemptAt: string
  deliveredAt: string | null
  lastError: string | null
}

export interface OutboxStore {
  enqueue(message: Omit<OutboxMessage, 'attempts' | 'deliveredAt' | 'lastError'>): Promise<void>
  /**
   * Claims up to `limit` undelivered messages due at `now`, pushing their `nextAttemptAt` to
   * `leaseUntil` so another replica does not send them at the same time (at-least-once).
   */
  claimDue(now: string, leaseUntil: string, limit: number): Promise<OutboxMessage[]>
  /** No-op when already delivered or unknown. */
  markDelivered(id: string, at: string): Promise<void>
  /** Records a failed attempt's error and when to try next (the attempt was counted by `claimDue`); no-op once delivered. */
  markFailed(id: string, error: string, nextAttemptAt: string): Promise<void>
  countPending(): Promise<number>
}

// ---------------------------------------------------------------- the whole store

export interface Store extends KeyStore, AlertStore, PolicyStore, AuditStore, DataKeyStore, OutboxStore {
  /** `sqlite` or `postgres`. */
  readonly kind: string
  /** Applies pending schema migrations (versioned, idempotent, safe to call on every start). */
  migrate(): Promise<void>
  /** The applied schema version. */
  schemaVersion(): Promise<number>
  /** Answers when the backend is reachable (for `/readyz`). */
  ping(): Promise<void>
  close(): Promise<void>
}
