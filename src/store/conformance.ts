/**
 * The one suite every store adapter passes (Hono's router `common.case.test.ts` is the model).
 * An adapter's test file calls `describeStoreConformance` with a harness that makes empty
 * databases; each database can be opened several times, which stands for several gateway
 * replicas (concurrency tests) or a restart (persistence tests).
 */
import { createHash, createHmac } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { isRampartError } from '../core/errors.js'
import { AUDIT_KEY, at, auditHash, testSeal } from './conformance-fixtures.js'
import { describeLearningConformance } from './conformance-learning.js'
import { describeJobConformance } from './conformance-jobs.js'
import { describeMonitorConformance } from './conformance-monitor.js'
import type { AlertRecord, ApiKeyRecord, AuditEntry, AuditInput, DataKeyRecord, Store } from './types.js'

export { at, testSeal }

export interface ConformanceDatabase {
  /** A new handle on this database (another replica, or the gateway after a restart). */
  open(options?: { migrate?: boolean }): Promise<Store>
}

export interface ConformanceHarness {
  /** The value of `Store.kind` the adapter reports. */
  kind: string
  /** An empty database no other test uses. */
  newDatabase(): Promise<ConformanceDatabase>
  /** Why the suite cannot run here (backend not answering); the suite is skipped with this reason. */
  skip?: string
}

const ZEROS = '0'.repeat(64)

function verifyChain(entries: AuditEntry[]): void {
  let prev = ZEROS
  entries.forEach((entry, i) => {
    expect(entry.seq).toBe(i + 1)
    expect(entry.prevHash).toBe(prev)
    expect(entry.hash).toBe(auditHash(entry.seq, entry.prevHash, entry))
    expect(entry.mac).toBe(createHmac('sha256', AUDIT_KEY).update(entry.hash).digest('hex'))
    prev = entry.hash
  })
}

function key(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: 'k1',
    tenant: 'acme',
    role: 'app',
    name: 'checkout service',
    secretHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
    createdAt: at(0),
    revokedAt: null,
    lastUsedAt: null,
    rateLimitPerMinute: 600,
    dailyQuota: null,
    ...overrides,
  }
}

function alert(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: 'a1',
    createdAt: at(0),
    tenant: 'acme',
    keyId: 'k1',
    requestId: 'req-1',
    direction: 'input',
    decision: 'block',
    severity: 'high',
    scanners: ['prompt_injection', 'pii'],
    findings: [
      { scanner: 'prompt_injection', type: 'JAILBREAK', score: 0.97, action: 'block' },
      { scanner: 'pii', type: 'EMAIL', score: 1, action: 'redact', start: 10, end: 27, detail: { normalized: true } },
    ],
    excerpt: 'v1.sealed.ZXhjZXJwdA',
    source: 'guard',
    acknowledgedAt: null,
    acknowledgedBy: null,
    ...overrides,
  }
}

function dataKey(overrides: Partial<DataKeyRecord> = {}): DataKeyRecord {
  return { id: 'dk1', wrapped: 'wrapped-1', provider: 'local', masterKeyId: 'mk-v1', createdAt: at(0), retiredAt: null, ...overrides }
}

function auditInput(n: number, overrides: Partial<AuditInput> = {}): AuditInput {
  return { at: at(n), actor: 'cli', tenant: 'acme', action: 'key.create', target: `k${n}`, detail: { n, role: 'app' }, ...overrides }
}

const policy = (tenant: string, n: number) => ({
  tenant,
  source: `version: 1\n# revision ${n}\n`,
  sha256: createHash('sha256').update(`version: 1\n# revision ${n}\n`).digest('hex'),
  createdAt: at(n),
  createdBy: 'k-admin',
  description: `revision ${n}`,
})

/** Awaits `promise` and asserts it rejects with a Rampart error of `code` (and `path`, when given). */
async function expectCode(promise: Promise<unknown>, code: string, path?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isRampartError(error), `expected a RampartError ${code}, got ${String(error)}`).toBe(true)
  expect((error as { code: string }).code).toBe(code)
  if (path !== undefined) expect((error as { path?: string }).path).toBe(path)
}

export function describeStoreConformance(name: string, harness: ConformanceHarness): void {
  if (harness.skip !== undefined) console.warn(`SKIPPING store conformance for ${name}: ${harness.skip}`)

  describe.skipIf(harness.skip !== undefined)(`store conformance: ${name}`, () => {
    const opened: Store[] = []
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()))
    })

    async function database(): Promise<{ db: ConformanceDatabase; open: (o?: { migrate?: boolean }) => Promise<Store> }> {
      const db = await harness.newDatabase()
      const open = async (o?: { migrate?: boolean }) => {
        const s = await db.open(o)
        opened.push(s)
        return s
      }
      return { db, open }
    }

    async function fresh(): Promise<Store> {
      return (await database()).open()
    }

    // ---------------------------------------------------------- schema and lifecycle

    describe('schema and lifecycle', () => {
      it('reports its kind, answers ping and has a schema version of at least 1', async () => {
        const store = await fresh()
        expect(store.kind).toBe(harness.kind)
        await expect(store.ping()).resolves.toBeUndefined()
        expect(await store.schemaVersion()).toBeGreaterThanOrEqual(1)
      })

      it('starts at version 0 without migrating, and migrate is idempotent', async () => {
        const { open } = await database()
        const store = await open({ migrate: false })
        expect(await store.schemaVersion()).toBe(0)
        await store.migrate()
        const version = await store.schemaVersion()
        expect(version).toBeGreaterThanOrEqual(1)
        await store.migrate()
        await store.migrate()
        expect(await store.schemaVersion()).toBe(version)
        await store.insertKey(key())
        await store.migrate()
        expect(await store.getKey('k1')).toEqual(key())
      })

      it('lets several replicas migrate the same empty database at once', async () => {
        const { open } = await database()
        const replicas = await Promise.all([open({ migrate: false }), open({ migrate: false }), open({ migrate: false })])
        await Promise.all(replicas.map((r) => r.migrate()))
        const versions = await Promise.all(replicas.map((r) => r.schemaVersion()))
        expect(new Set(versions).size).toBe(1)
        expect(versions[0]).toBeGreaterThanOrEqual(1)
      })

      it('fails with RAMPART_ERR_STORE after close, and close is idempotent', async () => {
        const store = await fresh()
        await store.close()
        await store.close()
        await expectCode(store.ping(), 'RAMPART_ERR_STORE')
        await expectCode(store.getKey('k1'), 'RAMPART_ERR_STORE')
      })
    })

    // ---------------------------------------------------------- keys

    describe('keys', () => {
      it('stores and returns a key exactly; unknown ids are undefined', async () => {
        const store = await fresh()
        const record = key({ lastUsedAt: at(5), dailyQuota: 10_000, rateLimitPerMinute: null })
        await store.insertKey(record)
        expect(await store.getKey('k1')).toEqual(record)
        expect(await store.getKey('nope')).toBeUndefined()
      })

      it('refuses a duplicate id and keeps the first key', async () => {
        const store = await fresh()
        await store.insertKey(key())
        await expectCode(store.insertKey(key({ tenant: 'evil', role: 'admin' })), 'RAMPART_ERR_STORE')
        expect(await store.getKey('k1')).toEqual(key())
      })

      it('lists a tenant\'s keys newest first, or every key when no tenant is given', async () => {
        const store = await fresh()
        await store.insertKey(key({ id: 'k1', createdAt: at(1) }))
        await store.insertKey(key({ id: 'k2', createdAt: at(3) }))
        await store.insertKey(key({ id: 'k3', tenant: 'other', createdAt: at(2) }))
        expect((await store.listKeys('acme')).map((k) => k.id)).toEqual(['k2', 'k1'])
        expect((await store.listKeys('other')).map((k) => k.id)).toEqual(['k3'])
        expect((await store.listKeys('nobody'))).toEqual([])
        expect((await store.listKeys()).map((k) => k.id)).toEqual(['k2', 'k3', 'k1'])
      })

      it('revokes once: a revoked key stays readable, is no longer active, and a second revoke is false', async () => {
        const store = await fresh()
        await store.insertKey(key({ id: 'k1', role: 'admin' }))
        await store.insertKey(key({ id: 'k2', role: 'app' }))
        await store.insertKey(key({ id: 'k3', role: 'app' }))
        expect(await store.countActiveKeys()).toBe(3)
        expect(await store.countActiveKeys('app')).toBe(2)
        expect(await store.countActiveKeys('analyst')).toBe(0)
        expect(await store.revokeKey('k2', at(10))).toBe(true)
        expect(await store.revokeKey('k2', at(20))).toBe(false)
        expect(await store.revokeKey('missing', at(20))).toBe(false)
        expect((await store.getKey('k2'))?.revokedAt).toBe(at(10))
        expect(await store.countActiveKeys()).toBe(2)
        expect(await store.countActiveKeys('app')).toBe(1)
        expect(await store.countActiveKeys('admin')).toBe(1)
      })

      it('touch records the last use and never moves it backwards', async () => {
        const store = await fresh()
        await store.insertKey(key())
        await store.touchKey('k1', at(50))
        expect((await store.getKey('k1'))?.lastUsedAt).toBe(at(50))
        await store.touchKey('k1', at(40))
        expect((await store.getKey('k1'))?.lastUsedAt).toBe(at(50))
        await store.touchKey('k1', at(60))
        expect((await store.getKey('k1'))?.lastUsedAt).toBe(at(60))
        await expect(store.touchKey('missing', at(60))).resolves.toBeUndefined()
      })

      it('rejects malformed keys with RAMPART_ERR_INPUT_INVALID and the field path', async () => {
        const store = await fresh()
        await expectCode(store.insertKey(key({ role: 'root' as never })), 'RAMPART_ERR_INPUT_INVALID', 'key.role')
        await expectCode(store.insertKey(key({ id: '' })), 'RAMPART_ERR_INPUT_INVALID', 'key.id')
        await expectCode(store.insertKey(key({ dailyQuota: -1 })), 'RAMPART_ERR_INPUT_INVALID', 'key.dailyQuota')
        await expectCode(store.insertKey(key({ rateLimitPerMinute: 1.5 })), 'RAMPART_ERR_INPUT_INVALID', 'key.rateLimitPerMinute')
        await expectCode(store.insertKey(key({ createdAt: 'yesterday' })), 'RAMPART_ERR_INPUT_INVALID', 'key.createdAt')
        await expectCode(store.countActiveKeys('root' as never), 'RAMPART_ERR_INPUT_INVALID', 'role')
        expect(await store.listKeys()).toEqual([])
      })
    })

    // ---------------------------------------------------------- alerts

    describe('alerts', () => {
      it('stores and returns an alert exactly, times normalized to UTC', async () => {
        const store = await fresh()
        const record = alert({ keyId: null })
        await store.insertAlert(record)
        expect(await store.getAlert('acme', 'a1')).toEqual(record)
        await store.insertAlert(alert({ id: 'a2', createdAt: '2026-11-26T11:00:00+01:00' }))
        expect((await store.getAlert('acme', 'a2'))?.createdAt).toBe('2026-11-26T10:00:00.000Z')
        const odd = alert({ id: 'a3', findings: [{ scanner: 'pii', type: 'X', score: 0.5, action: 'flag', detail: { text: 'nul\u0000 and ☃ and "quotes"' } }] })
        await store.insertAlert(odd)
        expect(await store.getAlert('acme', 'a3')).toEqual(odd)
        expect(await store.getAlert('acme', 'missing')).toBeUndefined()
      })

      it('keeps tenants apart: another tenant can neither read, list nor acknowledge an alert', async () => {
        const store = await fresh()
        await store.insertAlert(alert({ id: 'a1', tenant: 'acme' }))
        await store.insertAlert(alert({ id: 'b1', tenant: 'globex' }))
        expect(await store.getAlert('globex', 'a1')).toBeUndefined()
        expect(await store.acknowledgeAlert('globex', 'a1', 'intruder', at(9))).toBeUndefined()
        expect((await store.getAlert('acme', 'a1'))?.acknowledgedAt).toBeNull()
        const listed = await store.listAlerts({ tenant: 'globex', limit: 100 })
        expect(listed.items.map((a) => a.id)).toEqual(['b1'])
        const acknowledged = await store.listAlerts({ tenant: 'acme', acknowledged: true, limit: 100 })
        expect(acknowledged.items).toEqual([])
      })

      it('acknowledges once: a second acknowledgement keeps the first one\'s time and author', async () => {
        const store = await fresh()
        await store.insertAlert(alert())
        const first = await store.acknowledgeAlert('acme', 'a1', 'alice', at(30))
        expect(first).toEqual({ ...alert(), acknowledgedAt: at(30), acknowledgedBy: 'alice' })
        const second = await store.acknowledgeAlert('acme', 'a1', 'bob', at(40))
        expect(second).toEqual(first)
        expect(await store.getAlert('acme', 'a1')).toEqual(first)
        expect(await store.acknowledgeAlert('acme', 'missing', 'alice', at(30))).toBeUndefined()
      })

      it('lists newest first and pages through equal timestamps without losing or repeating an alert', async () => {
        const store = await fresh()
        const ids: string[] = []
        for (let i = 0; i < 25; i++) {
          const id = `a${String(i).padStart(2, '0')}`
          ids.push(id)
          await store.insertAlert(alert({ id, createdAt: i < 5 ? at(i) : at(100) }))
        }
        const seen: string[] = []
        let cursor: string | undefined
        let pages = 0
        do {
          const page = await store.listAlerts({ tenant: 'acme', limit: 7, ...(cursor === undefined ? {} : { cursor }) })
          expect(page.items.length).toBeLessThanOrEqual(7)
          seen.push(...page.items.map((a) => a.id))
          cursor = page.nextCursor
          pages++
        } while (cursor !== undefined && pages < 10)
        expect(pages).toBe(4)
        const expected = [...ids.slice(5)].sort().reverse().concat(['a04', 'a03', 'a02', 'a01', 'a00'])
        expect(seen).toEqual(expected)
      })

      it('gives no next cursor when the page is exactly full', async () => {
        const store = await fresh()
        for (let i = 0; i < 3; i++) await store.insertAlert(alert({ id: `a${i}`, createdAt: at(i) }))
        const page = await store.listAlerts({ tenant: 'acme', limit: 3 })
        expect(page.items).toHaveLength(3)
        expect(page.nextCursor).toBeUndefined()
      })

      it('keeps later pages stable while newer alerts arrive', async () => {
        const store = await fresh()
        for (let i = 0; i < 6; i++) await store.insertAlert(alert({ id: `a${i}`, createdAt: at(i) }))
        const first = await store.listAlerts({ tenant: 'acme', limit: 3 })
        expect(first.items.map((a) => a.id)).toEqual(['a5', 'a4', 'a3'])
        await store.insertAlert(alert({ id: 'a9', createdAt: at(99) }))
        const second = await store.listAlerts({ tenant: 'acme', limit: 3, cursor: first.nextCursor as string })
        expect(second.items.map((a) => a.id)).toEqual(['a2', 'a1', 'a0'])
        expect(second.nextCursor).toBeUndefined()
      })

      it('filters by time window, scanner, severity, decision and acknowledgement', async () => {
        const store = await fresh()
        await store.insertAlert(alert({ id: 'a1', createdAt: at(10), scanners: ['pii'], severity: 'low', decision: 'redact' }))
        await store.insertAlert(alert({ id: 'a2', createdAt: at(20), scanners: ['prompt_injection'], severity: 'critical', decision: 'block' }))
        await store.insertAlert(alert({ id: 'a3', createdAt: at(30), scanners: ['pii', 'secrets'], severity: 'high', decision: 'block' }))
        await store.insertAlert(alert({ id: 'a4', createdAt: at(40), scanners: ['secrets'], severity: 'high', decision: 'flag' }))
        await store.acknowledgeAlert('acme', 'a3', 'alice', at(50))
        const ids = async (f: object) => (await store.listAlerts({ tenant: 'acme', limit: 100, ...f })).items.map((a) => a.id)
        expect(await ids({ since: at(20) })).toEqual(['a4', 'a3', 'a2'])
        expect(await ids({ until: at(30) })).toEqual(['a2', 'a1'])
        expect(await ids({ since: at(20), until: at(40) })).toEqual(['a3', 'a2'])
        expect(await ids({ scanner: 'pii' })).toEqual(['a3', 'a1'])
        expect(await ids({ scanner: 'secrets' })).toEqual(['a4', 'a3'])
        expect(await ids({ scanner: 'pi' })).toEqual([])
        expect(await ids({ severity: 'high' })).toEqual(['a4', 'a3'])
        expect(await ids({ decision: 'block' })).toEqual(['a3', 'a2'])
        expect(await ids({ acknowledged: true })).toEqual(['a3'])
        expect(await ids({ acknowledged: false })).toEqual(['a4', 'a2', 'a1'])
        expect(await ids({ scanner: 'secrets', severity: 'high', acknowledged: false })).toEqual(['a4'])
        expect(await ids({ tenant: 'globex' })).toEqual([])
      })

      it('pages under a filter', async () => {
        const store = await fresh()
        for (let i = 0; i < 10; i++) await store.insertAlert(alert({ id: `a${i}`, createdAt: at(i), severity: i % 2 === 0 ? 'high' : 'low' }))
        const first = await store.listAlerts({ tenant: 'acme', severity: 'high', limit: 3 })
        const second = await store.listAlerts({ tenant: 'acme', severity: 'high', limit: 3, cursor: first.nextCursor as string })
        expect([...first.items, ...second.items].map((a) => a.id)).toEqual(['a8', 'a6', 'a4', 'a2', 'a0'])
        expect(second.nextCursor).toBeUndefined()
      })

      it('rejects bad alerts and bad filters with RAMPART_ERR_INPUT_INVALID, writing nothing', async () => {
        const store = await fresh()
        await expectCode(store.insertAlert(alert({ direction: 'sideways' as never })), 'RAMPART_ERR_INPUT_INVALID', 'alert.direction')
        await expectCode(store.insertAlert(alert({ severity: 'extreme' as never })), 'RAMPART_ERR_INPUT_INVALID', 'alert.severity')
        await expectCode(store.insertAlert(alert({ decision: 'nuke' as never })), 'RAMPART_ERR_INPUT_INVALID', 'alert.decision')
        await expectCode(store.insertAlert(alert({ scanners: 'pii' as never })), 'RAMPART_ERR_INPUT_INVALID', 'alert.scanners')
        await expectCode(store.insertAlert(alert({ tenant: '' })), 'RAMPART_ERR_INPUT_INVALID', 'alert.tenant')
        await expectCode(store.insertAlert(alert({ createdAt: '2026-13-45T99:00:00Z' })), 'RAMPART_ERR_INPUT_INVALID', 'alert.createdAt')
        await expectCode(store.insertAlert(alert({ createdAt: '2026-11-26 10:00' })), 'RAMPART_ERR_INPUT_INVALID', 'alert.createdAt')
        expect((await store.listAlerts({ tenant: 'acme', limit: 10 })).items).toEqual([])
        for (const limit of [0, -1, 1001, 2.5, Number.NaN]) {
          await expectCode(store.listAlerts({ tenant: 'acme', limit }), 'RAMPART_ERR_INPUT_INVALID', 'filter.limit')
        }
        await expectCode(store.listAlerts({ tenant: 'acme', limit: 5, cursor: 'not-a-cursor' }), 'RAMPART_ERR_INPUT_INVALID', 'filter.cursor')
        await expectCode(store.listAlerts({ tenant: 'acme', limit: 5, cursor: Buffer.from('["x","y"]').toString('base64url') }), 'RAMPART_ERR_INPUT_INVALID', 'filter.cursor')
        await expectCode(store.listAlerts({ tenant: '', limit: 5 }), 'RAMPART_ERR_INPUT_INVALID', 'filter.tenant')
        await expectCode(store.listAlerts({ tenant: 'acme', limit: 5, severity: 'extreme' as never }), 'RAMPART_ERR_INPUT_INVALID', 'filter.severity')
        await expectCode(store.listAlerts({ tenant: 'acme', limit: 5, since: 'last week' }), 'RAMPART_ERR_INPUT_INVALID', 'filter.since')
        await expectCode(store.acknowledgeAlert('acme', 'a1', 'alice', 'now'), 'RAMPART_ERR_INPUT_INVALID', 'at')
      })

      it('refuses a duplicate alert id', async () => {
        const store = await fresh()
        await store.insertAlert(alert())
        await expectCode(store.insertAlert(alert({ severity: 'low' })), 'RAMPART_ERR_STORE')
        expect((await store.getAlert('acme', 'a1'))?.severity).toBe('high')
      })
    })

    // ---------------------------------------------------------- policies

    describe('policies', () => {
      it('numbers versions 1, 2, 3 per tenant and returns them as stored', async () => {
        const store = await fresh()
        const v1 = await store.createPolicyVersion(policy('acme', 1))
        const v2 = await store.createPolicyVersion(policy('acme', 2))
        const g1 = await store.createPolicyVersion(policy('globex', 1))
        const v3 = await store.createPolicyVersion(policy('acme', 3))
        expect([v1.version, v2.version, v3.version, g1.version]).toEqual([1, 2, 3, 1])
        expect(v2).toEqual({ ...policy('acme', 2), version: 2 })
        expect(await store.getPolicyVersion('acme', 2)).toEqual(v2)
        expect((await store.listPolicyVersions('acme')).map((p) => p.version)).toEqual([3, 2, 1])
        expect(await store.listPolicyVersions('globex')).toEqual([g1])
        expect(await store.listPolicyVersions('nobody')).toEqual([])
      })

      it('answers undefined for a missing version or another tenant\'s version', async () => {
        const store = await fresh()
        await store.createPolicyVersion(policy('acme', 1))
        await store.createPolicyVersion(policy('acme', 2))
        expect(await store.getPolicyVersion('acme', 3)).toBeUndefined()
        expect(await store.getPolicyVersion('globex', 2)).toBeUndefined()
      })

      it('activates existing versions only, per tenant', async () => {
        const store = await fresh()
        expect(await store.getActivePolicyVersion('acme')).toBeUndefined()
        await store.createPolicyVersion(policy('acme', 1))
        await store.createPolicyVersion(policy('acme', 2))
        expect(await store.activatePolicyVersion('acme', 7, 'k-admin', at(5))).toBe(false)
        expect(await store.activatePolicyVersion('globex', 1, 'k-admin', at(5))).toBe(false)
        expect(await store.getActivePolicyVersion('acme')).toBeUndefined()
        expect(await store.activatePolicyVersion('acme', 2, 'k-admin', at(5))).toBe(true)
        expect((await store.getActivePolicyVersion('acme'))?.version).toBe(2)
        expect(await store.activatePolicyVersion('acme', 1, 'k-admin', at(6))).toBe(true)
        expect(await store.getActivePolicyVersion('acme')).toEqual({ ...policy('acme', 1), version: 1 })
        expect(await store.getActivePolicyVersion('globex')).toBeUndefined()
      })

      it('keeps one shadow version per tenant, existing versions only, independent of the active one', async () => {
        const store = await fresh()
        expect(await store.getShadowPolicyVersion('acme')).toBeUndefined()
        await store.createPolicyVersion(policy('acme', 1))
        await store.createPolicyVersion(policy('acme', 2))
        expect(await store.setShadowPolicyVersion('acme', 7, 'k-admin', at(5))).toBe(false)
        expect(await store.setShadowPolicyVersion('globex', 1, 'k-admin', at(5))).toBe(false)
        expect(await store.getShadowPolicyVersion('acme')).toBeUndefined()
        expect(await store.activatePolicyVersion('acme', 1, 'k-admin', at(5))).toBe(true)
        expect(await store.setShadowPolicyVersion('acme', 2, 'k-admin', at(6))).toBe(true)
        expect(await store.getShadowPolicyVersion('acme')).toEqual({ ...policy('acme', 2), version: 2 })
        expect((await store.getActivePolicyVersion('acme'))?.version).toBe(1)
        expect(await store.setShadowPolicyVersion('acme', 1, 'k-admin', at(7))).toBe(true)
        expect((await store.getShadowPolicyVersion('acme'))?.version).toBe(1)
        expect(await store.getShadowPolicyVersion('globex')).toBeUndefined()
        expect(await store.clearShadowPolicyVersion('acme')).toBe(true)
        expect(await store.clearShadowPolicyVersion('acme')).toBe(false)
        expect(await store.getShadowPolicyVersion('acme')).toBeUndefined()
        expect((await store.getActivePolicyVersion('acme'))?.version).toBe(1)
      })

      it('hands out distinct, gapless versions to 20 concurrent writers on two replicas', async () => {
        const { open } = await database()
        const [a, b] = await Promise.all([open(), open()])
        const created = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).createPolicyVersion(policy('acme', i))))
        expect(created.map((p) => p.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
        const listed = await a.listPolicyVersions('acme')
        expect(listed).toHaveLength(20)
        for (const p of created) expect(await b.getPolicyVersion('acme', p.version)).toEqual(p)
      })

      it('rejects bad policy input and does not consume a version number', async () => {
        const store = await fresh()
        await expectCode(store.createPolicyVersion({ ...policy('acme', 1), sha256: 'abc' }), 'RAMPART_ERR_INPUT_INVALID', 'policy.sha256')
        await expectCode(store.createPolicyVersion({ ...policy('acme', 1), tenant: '' }), 'RAMPART_ERR_INPUT_INVALID', 'policy.tenant')
        await expectCode(store.createPolicyVersion({ ...policy('acme', 1), createdAt: 'soon' }), 'RAMPART_ERR_INPUT_INVALID', 'policy.createdAt')
        await expectCode(store.createPolicyVersion({ ...policy('acme', 1), source: 'a\u0000b' }), 'RAMPART_ERR_INPUT_INVALID', 'policy.source')
        for (const version of [0, -1, 1.5]) {
          await expectCode(store.getPolicyVersion('acme', version), 'RAMPART_ERR_INPUT_INVALID', 'version')
          await expectCode(store.activatePolicyVersion('acme', version, 'k', at(1)), 'RAMPART_ERR_INPUT_INVALID', 'version')
        }
        expect((await store.createPolicyVersion(policy('acme', 1))).version).toBe(1)
      })
    })

    // ---------------------------------------------------------- audit

    describe('audit log', () => {
      it('starts the chain at seq 1 after 64 zeros and seals exactly what it stores', async () => {
        const store = await fresh()
        const calls: [number, string, AuditInput][] = []
        const entry = await store.appendAudit(auditInput(1, { at: '2026-11-26T11:00:01+01:00' }), (seq, prev, input) => {
          calls.push([seq, prev, input])
          return testSeal(seq, prev, input)
        })
        expect(calls).toHaveLength(1)
        expect(calls[0]?.[0]).toBe(1)
        expect(calls[0]?.[1]).toBe(ZEROS)
        expect(calls[0]?.[2]).toEqual(auditInput(1))
        expect(entry).toEqual({ ...auditInput(1), seq: 1, prevHash: ZEROS, ...testSeal(1, ZEROS, auditInput(1)) })
        expect(await store.readAudit(1, 10)).toEqual([entry])
      })

      it('links each entry to the previous one and reads by seq range', async () => {
        const store = await fresh()
        const written: AuditEntry[] = []
        for (let i = 1; i <= 5; i++) written.push(await store.appendAudit(auditInput(i), testSeal))
        verifyChain(written)
        expect(await store.readAudit(1, 100)).toEqual(written)
        expect(await store.readAudit(0, 100)).toEqual(written)
        expect((await store.readAudit(3, 2)).map((e) => e.seq)).toEqual([3, 4])
        expect(await store.readAudit(6, 10)).toEqual([])
      })

      it('keeps detail, null tenant and null target as written', async () => {
        const store = await fresh()
        const detail = { nested: { list: [1, 'two', null, { deep: true }] }, unicode: 'héllo ☃', zero: 0 }
        const entry = await store.appendAudit(auditInput(1, { tenant: null, target: null, actor: 'system', action: 'master.rotate', detail }), testSeal)
        const [read] = await store.readAudit(1, 1)
        expect(read).toEqual(entry)
        expect(read?.detail).toEqual(detail)
        expect(read?.tenant).toBeNull()
        expect(read?.target).toBeNull()
      })

      it('writes nothing when the seal throws, and the next entry takes the same seq', async () => {
        const store = await fresh()
        await store.appendAudit(auditInput(1), testSeal)
        await expect(
          store.appendAudit(auditInput(2), () => {
            throw new Error('audit key unavailable')
          }),
        ).rejects.toThrow(/audit key unavailable/)
        await expectCode(store.appendAudit(auditInput(2), () => ({ hash: '', mac: '' })), 'RAMPART_ERR_INPUT_INVALID', 'seal.hash')
        const next = await store.appendAudit(auditInput(3), testSeal)
        expect(next.seq).toBe(2)
        verifyChain(await store.readAudit(1, 10))
      })

      it('keeps seq gapless and the chain intact under 20 concurrent appends from two replicas', async () => {
        const { open } = await database()
        const [a, b] = await Promise.all([open(), open()])
        const entries = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).appendAudit(auditInput(i + 1), testSeal)))
        expect(entries.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
        const stored = await b.readAudit(1, 100)
        expect(stored).toHaveLength(20)
        verifyChain(stored)
      })

      it('rejects bad audit input and bad ranges', async () => {
        const store = await fresh()
        await expectCode(store.appendAudit(auditInput(1, { detail: [1, 2] as never }), testSeal), 'RAMPART_ERR_INPUT_INVALID', 'audit.detail')
        await expectCode(store.appendAudit(auditInput(1, { detail: { big: 1n } as never }), testSeal), 'RAMPART_ERR_INPUT_INVALID', 'audit.detail')
        await expectCode(store.appendAudit(auditInput(1, { at: 'now' }), testSeal), 'RAMPART_ERR_INPUT_INVALID', 'audit.at')
        await expectCode(store.appendAudit(auditInput(1, { action: '' }), testSeal), 'RAMPART_ERR_INPUT_INVALID', 'audit.action')
        await expectCode(store.readAudit(-1, 10), 'RAMPART_ERR_INPUT_INVALID', 'fromSeq')
        await expectCode(store.readAudit(1, 0), 'RAMPART_ERR_INPUT_INVALID', 'limit')
        expect(await store.readAudit(1, 10)).toEqual([])
      })
    })

    // ---------------------------------------------------------- data keys

    describe('data keys', () => {
      it('stores and returns a data key exactly; unknown ids are undefined', async () => {
        const store = await fresh()
        await store.insertDataKey(dataKey())
        expect(await store.getDataKey('dk1')).toEqual(dataKey())
        expect(await store.getDataKey('nope')).toBeUndefined()
        await expectCode(store.insertDataKey(dataKey({ wrapped: 'other' })), 'RAMPART_ERR_STORE')
        expect(await store.getDataKey('dk1')).toEqual(dataKey())
      })

      it('current is the newest unretired key, insertion order breaking a tie on time', async () => {
        const store = await fresh()
        expect(await store.getCurrentDataKey()).toBeUndefined()
        await store.insertDataKey(dataKey({ id: 'dk1', createdAt: at(1) }))
        await store.insertDataKey(dataKey({ id: 'dk2', createdAt: at(2) }))
        await store.insertDataKey(dataKey({ id: 'dk3', createdAt: at(2) }))
        expect((await store.getCurrentDataKey())?.id).toBe('dk3')
        await store.retireDataKey('dk3', at(10))
        expect((await store.getCurrentDataKey())?.id).toBe('dk2')
        await store.retireDataKey('dk3', at(20))
        expect((await store.getDataKey('dk3'))?.retiredAt).toBe(at(10))
        await store.retireDataKey('dk2', at(11))
        await store.retireDataKey('dk1', at(12))
        expect(await store.getCurrentDataKey()).toBeUndefined()
        expect((await store.listDataKeys()).map((k) => [k.id, k.retiredAt])).toEqual([
          ['dk3', at(10)],
          ['dk2', at(11)],
          ['dk1', at(12)],
        ])
      })

      it('rewraps only when the expected wrapped value still matches (compare-and-swap)', async () => {
        const store = await fresh()
        await store.insertDataKey(dataKey())
        expect(await store.rewrapDataKey('dk1', 'stale', 'wrapped-2', 'mk-v2')).toBe(false)
        expect(await store.getDataKey('dk1')).toEqual(dataKey())
        expect(await store.rewrapDataKey('dk1', 'wrapped-1', 'wrapped-2', 'mk-v2')).toBe(true)
        expect(await store.getDataKey('dk1')).toEqual(dataKey({ wrapped: 'wrapped-2', masterKeyId: 'mk-v2' }))
        expect(await store.rewrapDataKey('dk1', 'wrapped-1', 'wrapped-3', 'mk-v3')).toBe(false)
        expect(await store.rewrapDataKey('missing', 'wrapped-1', 'wrapped-3', 'mk-v3')).toBe(false)
        expect((await store.getDataKey('dk1'))?.masterKeyId).toBe('mk-v2')
      })

      it('lets exactly one of two concurrent rewraps win', async () => {
        const { open } = await database()
        const [a, b] = await Promise.all([open(), open()])
        await a.insertDataKey(dataKey())
        const results = await Promise.all([a.rewrapDataKey('dk1', 'wrapped-1', 'from-a', 'mk-a'), b.rewrapDataKey('dk1', 'wrapped-1', 'from-b', 'mk-b')])
        expect(results.filter(Boolean)).toHaveLength(1)
        const winner = results[0] ? 'a' : 'b'
        expect(await a.getDataKey('dk1')).toEqual(dataKey({ wrapped: `from-${winner}`, masterKeyId: `mk-${winner}` }))
      })

      it('rejects malformed data keys', async () => {
        const store = await fresh()
        await expectCode(store.insertDataKey(dataKey({ wrapped: '' })), 'RAMPART_ERR_INPUT_INVALID', 'dataKey.wrapped')
        await expectCode(store.insertDataKey(dataKey({ retiredAt: 'never' })), 'RAMPART_ERR_INPUT_INVALID', 'dataKey.retiredAt')
        expect(await store.listDataKeys()).toEqual([])
      })
    })

    // ---------------------------------------------------------- outbox

    describe('webhook outbox', () => {
      const message = (id: string, due: number, created = due) => ({ id, createdAt: at(created), target: 'siem', event: 'alert.created', payload: `sealed-${id}`, nextAttemptAt: at(due) })

      it('leases a due message until leaseUntil, then hands it out again (at-least-once)', async () => {
        const store = await fresh()
        await store.enqueue(message('m1', 10))
        expect(await store.countPending()).toBe(1)
        expect(await store.claimDue(at(9), at(69), 10)).toEqual([])
        const [claimed] = await store.claimDue(at(10), at(70), 10)
        expect(claimed).toEqual({ ...message('m1', 10), attempts: 1, nextAttemptAt: at(70), deliveredAt: null, lastError: null })
        expect(await store.claimDue(at(11), at(71), 10)).toEqual([])
        expect(await store.claimDue(at(69), at(129), 10)).toEqual([])
        const again = await store.claimDue(at(70), at(130), 10)
        expect(again.map((m) => [m.id, m.attempts, m.nextAttemptAt])).toEqual([['m1', 2, at(130)]])
        expect(await store.countPending()).toBe(1)
      })

      it('never hands out a delivered message again', async () => {
        const store = await fresh()
        await store.enqueue(message('m1', 10))
        await store.claimDue(at(10), at(70), 10)
        await store.markDelivered('m1', at(12))
        expect(await store.countPending()).toBe(0)
        expect(await store.claimDue(at(1000), at(2000), 10)).toEqual([])
        await store.markFailed('m1', 'late failure report', at(1))
        expect(await store.claimDue(at(1000), at(2000), 10)).toEqual([])
        expect(await store.countPending()).toBe(0)
      })

      it('records a failure and retries at the given time', async () => {
        const store = await fresh()
        await store.enqueue(message('m1', 10))
        await store.claimDue(at(10), at(70), 10)
        await store.markFailed('m1', 'HTTP 503', at(40))
        expect(await store.claimDue(at(39), at(99), 10)).toEqual([])
        const [retry] = await store.claimDue(at(40), at(100), 10)
        expect(retry).toMatchObject({ id: 'm1', attempts: 2, lastError: 'HTTP 503', nextAttemptAt: at(100), deliveredAt: null })
      })

      it('claims at most limit messages, oldest first, and leaves future ones alone', async () => {
        const store = await fresh()
        await store.enqueue(message('m3', 3))
        await store.enqueue(message('m1', 1))
        await store.enqueue(message('m2', 2))
        await store.enqueue(message('later', 500))
        const first = await store.claimDue(at(10), at(60), 2)
        expect(first.map((m) => m.id)).toEqual(['m1', 'm2'])
        const rest = await store.claimDue(at(10), at(60), 10)
        expect(rest.map((m) => m.id)).toEqual(['m3'])
        expect(await store.countPending()).toBe(4)
      })

      it('never gives the same message to two concurrent claimers within a lease', async () => {
        const { open } = await database()
        const [a, b] = await Promise.all([open(), open()])
        for (let i = 0; i < 30; i++) await a.enqueue(message(`m${String(i).padStart(2, '0')}`, i % 5))
        const claims = await Promise.all([a, b, a, b, a, b].map((s) => s.claimDue(at(10), at(70), 7)))
        const ids = claims.flat().map((m) => m.id)
        expect(ids).toHaveLength(30)
        expect(new Set(ids).size).toBe(30)
      })

      it('rejects a lease that does not end after now, bad limits and duplicate ids', async () => {
        const store = await fresh()
        await store.enqueue(message('m1', 1))
        await expectCode(store.claimDue(at(10), at(10), 5), 'RAMPART_ERR_INPUT_INVALID', 'leaseUntil')
        await expectCode(store.claimDue(at(10), at(5), 5), 'RAMPART_ERR_INPUT_INVALID', 'leaseUntil')
        await expectCode(store.claimDue(at(10), at(20), 0), 'RAMPART_ERR_INPUT_INVALID', 'limit')
        await expectCode(store.enqueue({ ...message('m2', 1), nextAttemptAt: 'asap' }), 'RAMPART_ERR_INPUT_INVALID', 'message.nextAttemptAt')
        await expectCode(store.enqueue(message('m1', 1)), 'RAMPART_ERR_STORE')
        expect(await store.countPending()).toBe(1)
        expect((await store.claimDue(at(10), at(20), 5)).map((m) => m.attempts)).toEqual([1])
      })
    })

    describeMonitorConformance(fresh, database)
    describeLearningConformance(fresh, database)
    describeJobConformance(fresh, database)

    // ---------------------------------------------------------- restart

    describe('restart', () => {
      it('loses nothing across close and reopen, and the audit chain continues', async () => {
        const { open } = await database()
        const before = await open()
        await before.insertKey(key())
        await before.insertAlert(alert())
        await before.acknowledgeAlert('acme', 'a1', 'alice', at(5))
        const p = await before.createPolicyVersion(policy('acme', 1))
        await before.activatePolicyVersion('acme', 1, 'k-admin', at(6))
        await before.insertDataKey(dataKey())
        await before.enqueue({ id: 'm1', createdAt: at(1), target: 'siem', event: 'alert.created', payload: 'sealed', nextAttemptAt: at(1) })
        const entries: AuditEntry[] = []
        for (let i = 1; i <= 3; i++) entries.push(await before.appendAudit(auditInput(i), testSeal))
        await before.close()

        const after = await open()
        expect(await after.getKey('k1')).toEqual(key())
        expect(await after.getAlert('acme', 'a1')).toEqual({ ...alert(), acknowledgedAt: at(5), acknowledgedBy: 'alice' })
        expect(await after.getActivePolicyVersion('acme')).toEqual(p)
        expect(await after.getCurrentDataKey()).toEqual(dataKey())
        expect(await after.countPending()).toBe(1)
        expect(await after.readAudit(1, 10)).toEqual(entries)
        const next = await after.appendAudit(auditInput(4), testSeal)
        expect(next.seq).toBe(4)
        expect(next.prevHash).toBe(entries[2]?.hash)
        expect((await after.createPolicyVersion(policy('acme', 2))).version).toBe(2)
        verifyChain(await after.readAudit(1, 10))
      })
    })
  })
}
