import { createHash, randomBytes } from 'node:crypto'
import { beforeEach, describe, expect, it } from 'vitest'
import type { AuditEntry, AuditInput } from '../store/types.js'
import { GENESIS_HASH, auditEntryHash, auditEntryMac, canonicalJson, sealAuditEntry, verifyAuditChain, type AuditVerification } from './audit-chain.js'
import { createMemoryAuditStore, type MemoryAuditStore } from './testing.js'

const auditKey = randomBytes(32)
const ENTRIES = 25
const PAGE = 4
let store: MemoryAuditStore
let reads: Array<[number, number]>

function input(i: number): AuditInput {
  return {
    at: new Date(Date.UTC(2026, 10, 26, 10, 0, i)).toISOString(),
    actor: i % 3 === 0 ? 'cli' : `rk_key${i}`,
    tenant: i % 4 === 0 ? null : `tenant-${i % 2}`,
    action: ['key.create', 'policy.activate', 'alert.create', 'alert.ack'][i % 4]!,
    target: i % 5 === 0 ? null : `obj-${i}`,
    detail: { z: i, a: { nested: [1, 'two', { y: true, b: null }] }, note: `entry ${i} ✓` },
  }
}

beforeEach(async () => {
  store = createMemoryAuditStore()
  reads = []
  const seal = sealAuditEntry(auditKey)
  for (let i = 1; i <= ENTRIES; i++) await store.appendAudit(input(i), seal)
})

function verify(key = auditKey, options: Parameters<typeof verifyAuditChain>[2] = {}): Promise<AuditVerification> {
  return verifyAuditChain(
    async (from, limit) => {
      reads.push([from, limit])
      return store.readAudit(from, limit)
    },
    key,
    { pageSize: PAGE, ...options },
  )
}

function row(seq: number): AuditEntry {
  const r = store.rows.find((e) => e.seq === seq)
  if (!r) throw new Error(`no row ${seq}`)
  return r
}

/** Re-hashes rows from `fromSeq` on, as someone with database access but without the audit key could. */
function rehashFrom(fromSeq: number, macKey = randomBytes(32)): void {
  const rows = [...store.rows].sort((a, b) => a.seq - b.seq)
  for (const [i, r] of rows.entries()) {
    if (r.seq < fromSeq) continue
    r.prevHash = i === 0 ? GENESIS_HASH : rows[i - 1]!.hash
    r.hash = auditEntryHash(r.seq, r.prevHash, r)
    r.mac = auditEntryMac(macKey, r.hash)
  }
}

function expectBroken(result: AuditVerification, kind: AuditVerification['kind'], firstBadSeq: number): void {
  expect(result).toMatchObject({ ok: false, kind, firstBadSeq, entries: firstBadSeq - 1 })
  expect(result.reason).toMatch(new RegExp(`entry ${firstBadSeq}\\b`))
}

describe('audit chain', () => {
  it('verifies an intact log, reading it page by page', async () => {
    const result = await verify()
    expect(result).toEqual({ ok: true, entries: ENTRIES, head: { seq: ENTRIES, hash: row(ENTRIES).hash } })
    expect(reads[0]).toEqual([1, PAGE])
    expect(reads.every(([, limit]) => limit === PAGE)).toBe(true)
    // Full pages, then the last partial one, then one empty read that proves the end.
    expect(reads.map(([from]) => from)).toEqual([1, 5, 9, 13, 17, 21, 25, 26])
    expect(row(1).prevHash).toBe(GENESIS_HASH)
    expect(row(2).prevHash).toBe(row(1).hash)
  })

  it('hashes exactly sha256(prevHash + canonical entry) and MACs the hash', () => {
    const r = row(3)
    const canonical = canonicalJson({ seq: 3, at: r.at, actor: r.actor, tenant: r.tenant, action: r.action, target: r.target, detail: r.detail })
    expect(canonical).toBe(
      '{"action":"alert.ack","actor":"cli","at":"2026-11-26T10:00:03.000Z","detail":{"a":{"nested":[1,"two",{"b":null,"y":true}]},"note":"entry 3 ✓","z":3},"seq":3,"target":"obj-3","tenant":"tenant-1"}',
    )
    expect(r.hash).toBe(createHash('sha256').update(r.prevHash + canonical).digest('hex'))
    expect(r.mac).toBe(auditEntryMac(auditKey, r.hash))
  })

  it('an empty log verifies', async () => {
    store.rows.length = 0
    expect(await verify()).toEqual({ ok: true, entries: 0 })
  })

  it('does not care in which key order the database returns JSON', async () => {
    const r = row(6)
    r.detail = Object.fromEntries(Object.entries(r.detail).reverse())
    expect(Object.keys(r.detail)[0]).toBe('note')
    expect((await verify()).ok).toBe(true)
  })

  it('verifies entries whose detail went through JSON (undefined, NaN, Date)', async () => {
    const fresh = createMemoryAuditStore()
    const seal = sealAuditEntry(auditKey)
    await fresh.appendAudit({ ...input(1), detail: { gone: undefined, n: Number.NaN, when: new Date(0), list: [undefined, 1] } }, seal)
    const result = await verifyAuditChain((f, l) => fresh.readAudit(f, l), auditKey)
    expect(result.ok).toBe(true)
    expect(fresh.rows[0]!.detail).toEqual({ n: null, when: '1970-01-01T00:00:00.000Z', list: [null, 1] })
  })

  describe('detects', () => {
    const edits: Array<[string, (e: AuditEntry) => void]> = [
      ['at', (e) => (e.at = '2026-11-26T09:00:00.000Z')],
      ['actor', (e) => (e.actor = 'someone-else')],
      ['tenant', (e) => (e.tenant = 'tenant-9')],
      ['tenant to null', (e) => (e.tenant = null)],
      ['action', (e) => (e.action = 'policy.create')],
      ['target', (e) => (e.target = 'obj-x')],
      ['a nested detail value', (e) => ((e.detail.a as { nested: unknown[] }).nested[0] = 2)],
      ['an added detail field', (e) => (e.detail.extra = 1)],
      ['the stored hash', (e) => (e.hash = createHash('sha256').update('x').digest('hex'))],
    ]
    for (const [field, edit] of edits) {
      it(`an edited entry (${field})`, async () => {
        edit(row(9))
        expectBroken(await verify(), 'edited', 9)
      })
    }

    it('a removed entry (seq gap)', async () => {
      store.rows.splice(store.rows.indexOf(row(12)), 1)
      expectBroken(await verify(), 'missing', 12)
    })

    it('a removed first entry', async () => {
      store.rows.shift()
      expectBroken(await verify(), 'missing', 1)
    })

    it('a removed entry with the later ones renumbered', async () => {
      store.rows.splice(store.rows.indexOf(row(12)), 1)
      for (const r of store.rows) if (r.seq > 12) r.seq--
      expectBroken(await verify(), 'link', 12)
    })

    it('two entries swapped', async () => {
      const a = row(15)
      const b = row(16)
      a.seq = 16
      b.seq = 15
      expectBroken(await verify(), 'link', 15)
    })

    it('an entry inserted in the middle', async () => {
      for (const r of store.rows) if (r.seq >= 5) r.seq++
      const fake = { ...input(99), seq: 5, prevHash: row(4).hash, hash: '', mac: '' }
      fake.hash = auditEntryHash(5, fake.prevHash, fake)
      fake.mac = auditEntryMac(randomBytes(32), fake.hash)
      store.rows.push(fake)
      // It links and hashes correctly, so only the MAC can tell; the entry after it is then out of line too.
      expectBroken(await verify(), 'forged', 5)
    })

    it('an entry appended without the audit key', async () => {
      const last = row(ENTRIES)
      const fake = { ...input(26), seq: ENTRIES + 1, prevHash: last.hash, hash: '', mac: '' }
      fake.hash = auditEntryHash(fake.seq, fake.prevHash, fake)
      fake.mac = auditEntryMac(randomBytes(32), fake.hash)
      store.rows.push(fake)
      expectBroken(await verify(), 'forged', ENTRIES + 1)
    })

    it('an edit with every later hash recomputed (needs the key)', async () => {
      row(7).detail.z = 700
      rehashFrom(7)
      expectBroken(await verify(), 'forged', 7)
    })

    it('a changed prevHash', async () => {
      row(20).prevHash = row(18).hash
      expectBroken(await verify(), 'link', 20)
    })

    it('a repeated entry', async () => {
      store.rows.splice(store.rows.indexOf(row(11)), 0, { ...row(10) })
      expectBroken(await verify(), 'order', 11)
    })

    it('the wrong audit key', async () => {
      expectBroken(await verify(randomBytes(32)), 'forged', 1)
    })

    it('removal of the newest entries, given a head recorded earlier', async () => {
      const { head } = await verify()
      store.rows.splice(-3, 3)
      // On its own, a shorter chain is still a valid chain.
      expect((await verify()).ok).toBe(true)
      const result = await verify(auditKey, { expectHead: head! })
      expect(result).toMatchObject({ ok: false, kind: 'truncated', firstBadSeq: ENTRIES - 2, entries: ENTRIES - 3 })
    })

    it('a rewrite by someone holding the key, given a head recorded earlier', async () => {
      const { head } = await verify()
      row(20).detail.z = 2000
      rehashFrom(20, auditKey)
      expect((await verify()).ok).toBe(true)
      expectBroken(await verify(auditKey, { expectHead: head! }), 'rewritten', ENTRIES)
    })
  })

  it('refuses a short audit key', () => {
    expect(() => sealAuditEntry(Buffer.alloc(16))).toThrow(/at least 32 bytes/)
  })
})

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes values like JSON.stringify', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: 'x', c: null }], '10': true, '2': false })).toBe('{"10":true,"2":false,"a":[3,{"c":null,"d":"x"}],"b":1}')
    expect(canonicalJson({ a: undefined, f: () => 1, n: Number.POSITIVE_INFINITY, z: -0, e: 1e21, s: 'é"\n\u2028' })).toBe('{"e":1e+21,"n":null,"s":"é\\"\\n\u2028","z":0}')
    expect(canonicalJson({ y: 1, x: 2 })).toBe(canonicalJson({ x: 2, y: 1 }))
    expect(() => canonicalJson({ big: 1n })).toThrow(/BigInt/)
  })
})
