/**
 * The learning loop's part of the store conformance suite (feedback verdicts and the texts they
 * label, the detector registry with its activation history), called from
 * `describeStoreConformance` so SQLite and PostgreSQL pass the same checks. `database().open()`
 * gives another handle on the same database (another replica).
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isRampartError } from '../core/errors.js'
import { at } from './conformance-fixtures.js'
import type { DetectorVersionRecord, Store, VerdictInput } from './types.js'

async function expectCode(promise: Promise<unknown>, code: string, path?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isRampartError(error), `expected a RampartError ${code}, got ${String(error)}`).toBe(true)
  expect((error as { code: string }).code).toBe(code)
  if (path !== undefined) expect((error as { path?: string }).path).toBe(path)
}

function verdict(alertId: string, n: number, overrides: Partial<VerdictInput> = {}): VerdictInput {
  return {
    tenant: 'acme', alertId, verdict: 'true_positive', by: 'k-analyst', at: at(n), note: null, text: `sealed-text-${alertId}`, textSource: 'scanned',
    scanners: ['prompt_injection'], alertCreatedAt: at(0), ...overrides,
  }
}

function version(seed: number, overrides: Partial<DetectorVersionRecord> = {}): DetectorVersionRecord {
  const weights = new Uint8Array(64).map((_, i) => (i * 7 + seed) & 0xff)
  weights[0] = 0
  return {
    id: createHash('sha256').update(weights).digest('hex'), detector: 'prompt_injection', size: weights.length, weights,
    modelCard: `# model ${seed}\n`, metrics: { dev: { f1: 0.9 + seed / 100 }, seed }, description: `v${seed}`, createdAt: at(seed), createdBy: 'cli', ...overrides,
  }
}

export function describeLearningConformance(fresh: () => Promise<Store>, database: () => Promise<{ open: () => Promise<Store> }>): void {
  describe('feedback: verdicts on alerts', () => {
    it('keeps an alert text once and reads it back per tenant', async () => {
      const store = await fresh()
      expect(await store.putAlertText({ tenant: 'acme', alertId: 'a1', text: 'sealed-full', createdAt: '2026-11-26T11:00:00+01:00' })).toBe(true)
      expect(await store.putAlertText({ tenant: 'acme', alertId: 'a1', text: 'other', createdAt: at(5) })).toBe(false)
      expect(await store.getAlertText('acme', 'a1')).toEqual({ tenant: 'acme', alertId: 'a1', text: 'sealed-full', createdAt: at(0) })
      expect(await store.getAlertText('other', 'a1')).toBeUndefined()
    })

    it('stores a verdict, replaces it on change (latest wins, revision counts), and returns the one replaced', async () => {
      const store = await fresh()
      const first = await store.putVerdict(verdict('a1', 10, { note: 'sealed-note' }))
      expect(first.previous).toBeUndefined()
      expect(first.record).toEqual({ ...verdict('a1', 10, { note: 'sealed-note' }), revision: 1 })
      const second = await store.putVerdict(verdict('a1', 20, { verdict: 'false_positive', by: 'k-admin' }))
      expect(second.previous).toEqual(first.record)
      expect(second.record).toMatchObject({ verdict: 'false_positive', by: 'k-admin', note: null, revision: 2, at: at(20) })
      expect(await store.getVerdict('acme', 'a1')).toEqual(second.record)
      expect(await store.getVerdict('other', 'a1')).toBeUndefined()
      expect((await store.listVerdicts({ tenant: 'acme', limit: 10 })).items).toEqual([second.record])
    })

    it('lists newest first with filters by verdict, scanner and time, paged, tenant-isolated', async () => {
      const store = await fresh()
      for (let i = 1; i <= 5; i++) {
        await store.putVerdict(verdict(`a${i}`, i, { verdict: i % 2 === 0 ? 'false_positive' : 'true_positive', scanners: i === 5 ? ['pii'] : ['prompt_injection', 'secrets'] }))
      }
      await store.putVerdict(verdict('b1', 3, { tenant: 'other' }))
      const ids = async (filter: Partial<Parameters<Store['listVerdicts']>[0]>) => (await store.listVerdicts({ tenant: 'acme', limit: 100, ...filter })).items.map((v) => v.alertId)
      expect(await ids({})).toEqual(['a5', 'a4', 'a3', 'a2', 'a1'])
      expect(await ids({ verdict: 'false_positive' })).toEqual(['a4', 'a2'])
      expect(await ids({ scanner: 'prompt_injection' })).toEqual(['a4', 'a3', 'a2', 'a1'])
      expect(await ids({ scanner: 'pii' })).toEqual(['a5'])
      expect(await ids({ scanner: 'prompt' })).toEqual([])
      expect(await ids({ since: at(2), until: at(4) })).toEqual(['a3', 'a2'])
      const first = await store.listVerdicts({ tenant: 'acme', limit: 2 })
      expect(first.items.map((v) => v.alertId)).toEqual(['a5', 'a4'])
      const second = await store.listVerdicts({ tenant: 'acme', limit: 2, cursor: first.nextCursor! })
      const third = await store.listVerdicts({ tenant: 'acme', limit: 2, cursor: second.nextCursor! })
      expect([...second.items, ...third.items].map((v) => v.alertId)).toEqual(['a3', 'a2', 'a1'])
      expect(third.nextCursor).toBeUndefined()
      expect(await ids({ tenant: 'other' })).toEqual(['b1'])
    })

    it('counts revisions exactly when replicas change the same verdict at once', async () => {
      const db = await database()
      const [a, b] = [await db.open(), await db.open()]
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).putVerdict(verdict('a1', i))))
      expect((await a.getVerdict('acme', 'a1'))?.revision).toBe(10)
    })

    it('refuses bad verdicts naming the field', async () => {
      const store = await fresh()
      await expectCode(store.putVerdict(verdict('a1', 1, { verdict: 'maybe' as 'true_positive' })), 'RAMPART_ERR_INPUT_INVALID', 'verdict.verdict')
      await expectCode(store.putVerdict(verdict('a1', 1, { textSource: 'guess' as 'scanned' })), 'RAMPART_ERR_INPUT_INVALID', 'verdict.textSource')
      await expectCode(store.putVerdict(verdict('a1', 1, { at: 'now' })), 'RAMPART_ERR_INPUT_INVALID', 'verdict.at')
      await expectCode(store.listVerdicts({ tenant: 'acme', limit: 0 }), 'RAMPART_ERR_INPUT_INVALID', 'filter.limit')
      await expectCode(store.listVerdicts({ tenant: 'acme', limit: 5, cursor: 'nope' }), 'RAMPART_ERR_INPUT_INVALID', 'filter.cursor')
      expect(await store.getVerdict('acme', 'a1')).toBeUndefined()
    })
  })

  describe('detector registry', () => {
    it('registers a version once by the sha256 of its weights and reads it back byte for byte', async () => {
      const store = await fresh()
      const v1 = version(1)
      expect(await store.registerDetectorVersion(v1)).toBe(true)
      expect(await store.registerDetectorVersion({ ...v1, description: 'again' })).toBe(false)
      const got = await store.getDetectorVersion('prompt_injection', v1.id)
      expect(got).toEqual({ ...v1 })
      expect(Buffer.from(got!.weights).equals(Buffer.from(v1.weights))).toBe(true)
      await store.registerDetectorVersion(version(2))
      const { weights: _w, modelCard: _m, ...summary } = version(2)
      expect((await store.listDetectorVersions('prompt_injection'))[0]).toEqual(summary)
      expect((await store.listDetectorVersions('prompt_injection')).map((v) => v.description)).toEqual(['v2', 'v1'])
      expect(await store.listDetectorVersions('other_detector')).toEqual([])
      expect(await store.getDetectorVersion('other_detector', v1.id)).toBeUndefined()
    })

    it('refuses a version whose id is not the hash of its weights, and bad ids', async () => {
      const store = await fresh()
      await expectCode(store.registerDetectorVersion({ ...version(1), id: version(2).id }), 'RAMPART_ERR_INPUT_INVALID', 'version.id')
      await expectCode(store.registerDetectorVersion({ ...version(1), detector: 'Prompt Injection' }), 'RAMPART_ERR_INPUT_INVALID', 'version.detector')
      await expectCode(store.getDetectorVersion('prompt_injection', 'abc'), 'RAMPART_ERR_INPUT_INVALID', 'id')
      expect(await store.listDetectorVersions('prompt_injection')).toEqual([])
    })

    it('activates, keeps the history, and rolls back one step at a time down to the built-in weights', async () => {
      const store = await fresh()
      const [v1, v2, v3] = [version(1), version(2), version(3)]
      for (const v of [v1, v2, v3]) await store.registerDetectorVersion(v)
      expect(await store.getActiveDetector('prompt_injection')).toBeUndefined()
      expect(await store.rollbackDetector('prompt_injection', 'cli', at(1))).toBeUndefined()
      expect(await store.activateDetectorVersion('prompt_injection', 'f'.repeat(64), 'cli', at(1))).toBeUndefined()
      const a1 = await store.activateDetectorVersion('prompt_injection', v1.id, 'cli', at(10))
      expect(a1).toMatchObject({ detector: 'prompt_injection', versionId: v1.id, action: 'activate', previousSeq: null, by: 'cli', at: at(10) })
      await store.activateDetectorVersion('prompt_injection', v2.id, 'k-admin', at(20))
      await store.activateDetectorVersion('prompt_injection', v3.id, 'cli', at(30))
      expect((await store.getActiveDetector('prompt_injection'))?.versionId).toBe(v3.id)
      const back = async (n: number) => (await store.rollbackDetector('prompt_injection', 'cli', at(n)))?.versionId
      expect(await back(40)).toBe(v2.id)
      expect(await back(41)).toBe(v1.id)
      expect(await back(42)).toBeNull()
      expect((await store.getActiveDetector('prompt_injection'))).toMatchObject({ versionId: null, action: 'rollback' })
      expect(await store.rollbackDetector('prompt_injection', 'cli', at(43))).toBeUndefined()
      const history = await store.listDetectorActivations('prompt_injection', 100)
      expect(history.map((h) => [h.action, h.versionId])).toEqual([
        ['rollback', null], ['rollback', v1.id], ['rollback', v2.id], ['activate', v3.id], ['activate', v2.id], ['activate', v1.id],
      ])
      expect(history.map((h) => h.seq)).toEqual([...history.map((h) => h.seq)].sort((x, y) => y - x))
      expect(await store.listDetectorActivations('prompt_injection', 2)).toHaveLength(2)
      // Activating after a rollback starts a new branch: rolling back returns to what was active just before.
      await store.activateDetectorVersion('prompt_injection', v2.id, 'cli', at(50))
      expect(await back(51)).toBeNull()
      expect(await store.getActiveDetector('other_detector')).toBeUndefined()
    })

    it('activating the built-in weights explicitly can be rolled back too', async () => {
      const store = await fresh()
      const v1 = version(1)
      await store.registerDetectorVersion(v1)
      await store.activateDetectorVersion('prompt_injection', v1.id, 'cli', at(1))
      expect((await store.activateDetectorVersion('prompt_injection', null, 'cli', at(2)))?.versionId).toBeNull()
      expect((await store.rollbackDetector('prompt_injection', 'cli', at(3)))?.versionId).toBe(v1.id)
    })

    it('serializes activations from several replicas: each one is in the history, and another replica sees the latest', async () => {
      const db = await database()
      const [a, b] = [await db.open(), await db.open()]
      const versions = [version(1), version(2), version(3), version(4)]
      for (const v of versions) await a.registerDetectorVersion(v)
      await Promise.all(versions.map((v, i) => (i % 2 === 0 ? a : b).activateDetectorVersion('prompt_injection', v.id, 'cli', at(i))))
      const history = await b.listDetectorActivations('prompt_injection', 10)
      expect(history).toHaveLength(4)
      // A chain: each activation points at the one before it.
      expect(history.map((h) => h.previousSeq)).toEqual([history[1]!.seq, history[2]!.seq, history[3]!.seq, null])
      expect((await a.getActiveDetector('prompt_injection'))?.seq).toBe(history[0]!.seq)
    })
  })
}
