/**
 * Plain helpers of the store conformance suite, kept apart from it (no vitest import) so
 * child processes in the adapters' tests can use the same audit seal.
 */
import { createHash, createHmac } from 'node:crypto'
import type { AuditInput } from './types.js'

export const AUDIT_KEY = Buffer.from('conformance-audit-key')

/** A time `seconds` after a fixed instant, as canonical ISO text. */
export function at(seconds: number): string {
  return new Date(Date.UTC(2026, 10, 26, 10, 0, 0) + seconds * 1000).toISOString()
}

export function auditHash(seq: number, prevHash: string, input: AuditInput): string {
  return createHash('sha256')
    .update(prevHash)
    .update(JSON.stringify([seq, input.at, input.actor, input.tenant, input.action, input.target, input.detail]))
    .digest('hex')
}

/** A seal like crypto/audit-chain.ts: hash over the previous hash and the entry, MAC over the hash. */
export function testSeal(seq: number, prevHash: string, input: AuditInput): { hash: string; mac: string } {
  const hash = auditHash(seq, prevHash, input)
  return { hash, mac: createHmac('sha256', AUDIT_KEY).update(hash).digest('hex') }
}
