/**
 * The audit log's hash chain. Each entry stores the hash of the one before it, its own hash over
 * that and its content, and a MAC of its hash under the audit key:
 *
 *   hash = sha256( prevHash ‖ canonicalJson({ seq, at, actor, tenant, action, target, detail }) )   hex
 *   mac  = HMAC-SHA256( auditKey, hash )                                                          hex
 *
 * Editing an entry breaks its hash; removing, inserting or reordering breaks `seq` or the links;
 * recomputing the hashes after a change needs the audit key for the MACs, which the database
 * does not hold.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { RampartError } from '../core/errors.js'
import type { AuditEntry, AuditInput } from '../store/types.js'

/** `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64)

/**
 * JSON with object keys sorted (UTF-16 code unit order) at every depth and no whitespace; values
 * as `JSON.stringify` writes them (undefined members dropped, non-finite numbers as null, `toJSON`
 * honoured). This is RFC 8785 (JCS) for the JSON values the audit log holds, and what a JSON column
 * gives back hashes the same whatever key order the database returns.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', 'an audit entry holds a BigInt, which JSON cannot represent')
    case 'object': {
      const toJSON = (value as { toJSON?: unknown }).toJSON
      if (typeof toJSON === 'function') return canonicalJson(toJSON.call(value))
      if (Array.isArray(value)) return `[${value.map((v) => (omitted(v) ? 'null' : canonicalJson(v))).join(',')}]`
      const record = value as Record<string, unknown>
      const members = Object.keys(record)
        .filter((k) => !omitted(record[k]))
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`)
      return `{${members.join(',')}}`
    }
    default:
      return 'null'
  }
}

function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol'
}

/** The hash of an entry: sha256 over the previous hash and the canonical JSON of the entry with its seq. */
export function auditEntryHash(seq: number, prevHash: string, input: AuditInput): string {
  const content = canonicalJson({
    seq,
    at: input.at,
    actor: input.actor,
    // A store may hand back a missing nullable column as undefined; both mean null here.
    tenant: input.tenant ?? null,
    action: input.action,
    target: input.target ?? null,
    detail: input.detail ?? {},
  })
  return createHash('sha256').update(prevHash, 'utf8').update(content, 'utf8').digest('hex')
}

export function auditEntryMac(auditKey: Buffer, hash: string): string {
  return createHmac('sha256', auditKey).update(hash, 'utf8').digest('hex')
}

/** The `seal` callback `AuditStore.appendAudit` calls inside its transaction. */
export function sealAuditEntry(auditKey: Buffer): (seq: number, prevHash: string, input: AuditInput) => { hash: string; mac: string } {
  if (auditKey.length < 32) throw new RampartError('RAMPART_ERR_KEY_PROVIDER', 'the audit key must be at least 32 bytes')
  const key = Buffer.from(auditKey)
  return (seq, prevHash, input) => {
    const hash = auditEntryHash(seq, prevHash, input)
    return { hash, mac: auditEntryMac(key, hash) }
  }
}

/**
 * What broke: `missing` (seq gap), `order` (seq repeated or going back), `link` (prevHash is not
 * the previous hash), `edited` (content does not match hash), `forged` (MAC fails), and against a
 * head recorded earlier: `rewritten` (that entry's hash changed), `truncated` (the log ends before it).
 */
export type AuditBreak = 'missing' | 'order' | 'link' | 'edited' | 'forged' | 'rewritten' | 'truncated'

export interface AuditVerification {
  ok: boolean
  /** Entries verified (all of them when ok; those before the first bad one otherwise). */
  entries: number
  firstBadSeq?: number
  kind?: AuditBreak
  reason?: string
  /** The last verified entry: record it elsewhere and pass it back as `expectHead` to detect removal of the newest entries. */
  head?: { seq: number; hash: string }
}

export interface VerifyAuditOptions {
  /** Entries read per call (default 1000); verification holds one page in memory at a time. */
  pageSize?: number
  /** A head recorded earlier (by a previous verify, or printed to an external log): the chain must still contain it. */
  expectHead?: { seq: number; hash: string }
}

function equalHex(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length) return false
  return timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** Reads the whole log in `seq` order, page by page, and checks every link, hash and MAC. */
export async function verifyAuditChain(
  read: (fromSeq: number, limit: number) => Promise<AuditEntry[]>,
  auditKey: Buffer,
  options: VerifyAuditOptions = {},
): Promise<AuditVerification> {
  const pageSize = options.pageSize ?? 1000
  const anchor = options.expectHead
  let expectedSeq = 1
  let prevHash = GENESIS_HASH
  let entries = 0
  const broken = (firstBadSeq: number, kind: AuditBreak, reason: string): AuditVerification => ({
    ok: false,
    entries,
    firstBadSeq,
    kind,
    reason,
    ...(entries > 0 ? { head: { seq: expectedSeq - 1, hash: prevHash } } : {}),
  })

  for (;;) {
    const page = await read(expectedSeq, pageSize)
    if (page.length === 0) break
    for (const entry of page) {
      const seq = expectedSeq
      if (entry.seq > seq) return broken(seq, 'missing', `entry ${seq} is missing: the next entry has seq ${entry.seq}`)
      if (entry.seq !== seq) return broken(seq, 'order', `expected entry ${seq} but found seq ${entry.seq}: entries are repeated or out of order`)
      if (entry.prevHash !== prevHash) {
        return broken(seq, 'link', `entry ${seq} does not link to entry ${seq - 1} (prevHash differs): an entry before it was inserted, removed, replaced or reordered`)
      }
      if (!equalHex(auditEntryHash(seq, entry.prevHash, entry), entry.hash)) return broken(seq, 'edited', `entry ${seq} does not match its hash: it was edited`)
      if (!equalHex(auditEntryMac(auditKey, entry.hash), entry.mac)) {
        return broken(seq, 'forged', `entry ${seq} has a MAC that does not verify: its hash was written without the audit key, or this is not the log's audit key`)
      }
      if (anchor && anchor.seq === seq && anchor.hash !== entry.hash) {
        return broken(seq, 'rewritten', `entry ${seq} is not the entry recorded earlier (its hash changed): the log was rewritten from here`)
      }
      prevHash = entry.hash
      expectedSeq++
      entries++
    }
  }

  if (anchor && entries < anchor.seq) {
    return broken(entries + 1, 'truncated', `the log ends at entry ${entries} but reached entry ${anchor.seq} before: the newest entries were removed`)
  }
  return entries > 0 ? { ok: true, entries, head: { seq: entries, hash: prevHash } } : { ok: true, entries }
}
