/**
 * In-memory implementations of the two store ports the crypto code uses, for its tests.
 * They keep the ports' contracts (compare-and-swap rewrap, newest non-retired key, gap-free
 * audit seq) so the tests exercise the same behaviour the SQLite and PostgreSQL adapters give.
 * The backing arrays are exposed so tests can tamper with rows the way a database user could.
 */
import type { AuditEntry, AuditInput, AuditStore, DataKeyRecord, DataKeyStore } from '../store/types.js'

export interface MemoryDataKeyStore extends DataKeyStore {
  readonly rows: DataKeyRecord[]
}

export function createMemoryDataKeyStore(): MemoryDataKeyStore {
  const rows: DataKeyRecord[] = []
  const copy = (r: DataKeyRecord | undefined): DataKeyRecord | undefined => (r ? { ...r } : undefined)
  return {
    rows,
    async insertDataKey(record) {
      if (rows.some((r) => r.id === record.id)) throw new Error(`duplicate data key id ${record.id}`)
      rows.push({ ...record })
    },
    async getDataKey(id) {
      return copy(rows.find((r) => r.id === id))
    },
    async getCurrentDataKey() {
      // Insertion order breaks ties between keys created in the same millisecond, like a rowid.
      let best: DataKeyRecord | undefined
      for (const r of rows) if (r.retiredAt === null && (!best || r.createdAt >= best.createdAt)) best = r
      return copy(best)
    },
    async listDataKeys() {
      return rows.map((r) => ({ ...r }))
    },
    async rewrapDataKey(id, expectedWrapped, wrapped, masterKeyId) {
      const row = rows.find((r) => r.id === id)
      if (!row || row.wrapped !== expectedWrapped) return false
      row.wrapped = wrapped
      row.masterKeyId = masterKeyId
      return true
    },
    async retireDataKey(id, at) {
      const row = rows.find((r) => r.id === id)
      if (row && row.retiredAt === null) row.retiredAt = at
    },
  }
}

export interface MemoryAuditStore extends AuditStore {
  readonly rows: AuditEntry[]
}

export function createMemoryAuditStore(): MemoryAuditStore {
  const rows: AuditEntry[] = []
  return {
    rows,
    async appendAudit(input: AuditInput, seal) {
      const last = rows[rows.length - 1]
      const seq = last ? last.seq + 1 : 1
      const prevHash = last ? last.hash : '0'.repeat(64)
      // A JSON round trip, as a database column would do, so tests see what a real store returns.
      const stored = JSON.parse(JSON.stringify(input)) as AuditInput
      const { hash, mac } = seal(seq, prevHash, stored)
      const entry: AuditEntry = { ...stored, seq, prevHash, hash, mac }
      rows.push(entry)
      return JSON.parse(JSON.stringify(entry)) as AuditEntry
    },
    async readAudit(fromSeq, limit) {
      return rows
        .filter((r) => r.seq >= fromSeq)
        .sort((a, b) => a.seq - b.seq)
        .slice(0, limit)
        .map((r) => JSON.parse(JSON.stringify(r)) as AuditEntry)
    },
  }
}
