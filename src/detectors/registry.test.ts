import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../cli/main.js'
import { openStore } from '../store/open.js'
import { postgresAvailable, postgresBackend, sqliteBackend, startTestGateway, type StoreBackend, type TestGateway } from '../gateway/testing.js'
import { ActiveInjectionModel, shippedInjectionModel } from './injection/active-model.js'
import { decodeWeights, encodeWeights } from './injection/weights-format.js'
import { DetectorWatcher, compareMetrics, compareVersions, readModelDir, resolveVersionRef } from './registry.js'

const SHIPPED_DIR = fileURLToPath(new URL('../../models/injection/', import.meta.url))
/** A benign prompt the shipped ensemble allows. */
const BENIGN = 'What is the capital of France? I am planning a trip in spring.'

const dir = mkdtempSync(join(tmpdir(), 'rampart-registry-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/**
 * A model directory whose weights are the shipped ones with the model's and ensemble's
 * thresholds moved to 0.0001: the ensemble then flags nearly every text, so activating it
 * visibly changes the gateway's verdict on a benign prompt (and a no-op activation would not).
 */
function craftModelDir(name: string, f1: number): string {
  const out = join(dir, name)
  const { header, weights } = decodeWeights(readFileSync(join(SHIPPED_DIR, 'weights.bin')))
  const bytes = encodeWeights({ ...header, thresholds: { ...header.thresholds, model: 0.0001, ensemble: 0.0001 }, training: { ...header.training, note: name } }, weights)
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'weights.bin'), bytes)
  writeFileSync(join(out, 'MODEL_CARD.md'), `# Trigger-happy ${name}\n\nThresholds at 0.0001 (test only).\n`)
  const metrics = JSON.parse(readFileSync(join(SHIPPED_DIR, 'metrics.json'), 'utf8')) as { dev: { ensemble: Record<string, number> } }
  metrics.dev.ensemble.f1 = f1
  writeFileSync(join(out, 'metrics.json'), JSON.stringify(metrics))
  return out
}

describe('model directories and metrics', () => {
  it('reads a model directory: id = sha256 of the weights, the card, metrics.json', () => {
    const shipped = readModelDir(SHIPPED_DIR, { by: 'cli', at: '2026-11-26T10:00:00.000Z' })
    expect(shipped.id).toBe(shippedInjectionModel().id)
    expect(shipped.detector).toBe('prompt_injection')
    expect(shipped.size).toBe(readFileSync(join(SHIPPED_DIR, 'weights.bin')).length)
    expect(shipped.metrics).toHaveProperty('dev')
    const crafted = readModelDir(craftModelDir('read', 0.5), { by: 'cli', at: '2026-11-26T10:00:00.000Z' })
    expect(crafted.id).not.toBe(shipped.id)
    expect(crafted.description).toBe('Trigger-happy read')
  })

  it('refuses a directory without weights, with a weights file that does not decode, or without valid metrics', () => {
    const at = { by: 'cli', at: '2026-11-26T10:00:00.000Z' }
    expect(() => readModelDir(join(dir, 'nope'), at)).toThrow(/is not a directory/)
    const bad = craftModelDir('bad', 0.5)
    writeFileSync(join(bad, 'weights.bin'), 'not weights')
    expect(() => readModelDir(bad, at)).toThrow(/not a prompt-injection weights file/)
    const noMetrics = craftModelDir('nometrics', 0.5)
    writeFileSync(join(noMetrics, 'metrics.json'), '[1, 2]')
    expect(() => readModelDir(noMetrics, at)).toThrow(/must hold a JSON object/)
    const mixed = craftModelDir('mixed', 0.5)
    writeFileSync(join(mixed, 'metrics.json'), JSON.stringify({ version: 'a'.repeat(64), dev: {} }))
    expect(() => readModelDir(mixed, at)).toThrow(/describes version aaaaaaaaaaaa but weights\.bin is/)
    const noCard = craftModelDir('nocard', 0.5)
    rmSync(join(noCard, 'MODEL_CARD.md'))
    expect(() => readModelDir(noCard, at)).toThrow(/cannot read .*MODEL_CARD\.md/)
  })

  it('compares the numeric figures of two metrics.json side by side', () => {
    const rows = compareMetrics(
      { dev: { ensemble: { f1: 0.9, fpr: 0.01 } }, devFamilyRecall: { base64: 1 }, grid: [1], chosen: { l2: 1 }, comparison: { current: { f1: 1 } }, loso: { perSource: { x: { recall: 1 } } } },
      { dev: { ensemble: { f1: 0.95 } }, extra: { x: 2 } },
    )
    expect(rows).toEqual([
      { metric: 'dev.ensemble.f1', a: 0.9, b: 0.95, delta: expect.closeTo(0.05, 10) },
      { metric: 'dev.ensemble.fpr', a: 0.01, b: undefined, delta: undefined },
      { metric: 'devFamilyRecall.base64', a: 1, b: undefined, delta: undefined },
      { metric: 'extra.x', a: undefined, b: 2, delta: undefined },
    ])
    expect(compareMetrics({ chosen: { l2: 1 } }, {}, true)).toEqual([{ metric: 'chosen.l2', a: 1, b: undefined, delta: undefined }])
  })

  it("adds each version's scanner-level evaluation, taking the parent's from the child's training when it has none", () => {
    const parent = { id: 'p'.repeat(64), metrics: { dev: { ensemble: { f1: 0.9 } } } }
    const child = { id: 'c'.repeat(64), metrics: { parent: parent.id, dev: { ensemble: { f1: 0.92 } }, comparison: { current: { redteam: { recall: 0.8 } }, candidate: { redteam: { recall: 0.95 } } } } }
    expect(compareVersions(parent, child).find((r) => r.metric === 'evaluated.redteam.recall')).toEqual({ metric: 'evaluated.redteam.recall', a: 0.8, b: 0.95, delta: expect.closeTo(0.15, 10) })
    const stranger = { id: 's'.repeat(64), metrics: { dev: { ensemble: { f1: 0.5 } } } }
    expect(compareVersions(stranger, child).find((r) => r.metric === 'evaluated.redteam.recall')).toMatchObject({ a: undefined, b: 0.95 })
  })

  it('resolves ids, unique prefixes and builtin', () => {
    const v = (id: string) => ({ id, detector: 'prompt_injection', size: 1, metrics: {}, description: '', createdAt: '', createdBy: '' })
    const versions = [v('a'.repeat(64)), v(`abcdef${'0'.repeat(58)}`), v(`abcdee${'0'.repeat(58)}`)]
    expect(resolveVersionRef('builtin', versions)).toBeNull()
    expect(resolveVersionRef('aaaaaa', versions)).toBe('a'.repeat(64))
    expect(() => resolveVersionRef('abcde', versions)).toThrow(/at least 6 hex/)
    expect(() => resolveVersionRef('abcdef0', versions)).not.toThrow()
    expect(() => resolveVersionRef('bbbbbb', versions)).toThrow(expect.objectContaining({ code: 'RAMPART_ERR_NOT_FOUND' }))
    expect(resolveVersionRef(shippedInjectionModel().id, versions)).toBeNull()
  })
})

const pgUrl = await postgresAvailable()
if (pgUrl === undefined) console.warn('SKIPPED: detector registry tests on PostgreSQL — no server answers at 127.0.0.1:5432 (set RAMPART_TEST_PG_URL)')
const backends: StoreBackend[] = [sqliteBackend, ...(pgUrl === undefined ? [] : [postgresBackend(pgUrl)])]

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe.each(backends.map((b) => [b.name, b] as const))('detector registry in the gateway on %s', (name, backend) => {
  let gw: TestGateway
  let dispose: () => Promise<void>
  let storeFlags: string[]
  let storeUrl: string
  let app: string
  let admin: string
  let stdout: string[] = []

  beforeAll(async () => {
    const store = await backend.create()
    dispose = store.dispose
    gw = await startTestGateway({ storeUrl: store.url, detectorPollMs: 100 })
    storeUrl = store.url ?? `sqlite:${join(gw.dataDir, 'rampart.db')}`
    storeFlags = ['--data-dir', gw.dataDir, ...(store.url === undefined ? [] : ['--store', store.url])]
    app = await gw.key('app')
    admin = await gw.key('admin')
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk))
      return true
    })
  })
  afterAll(async () => {
    vi.restoreAllMocks()
    await gw?.close()
    await dispose?.()
  })

  const cli = async (...args: string[]) => {
    stdout = []
    const code = await main(['node', 'rampart', ...args, ...storeFlags])
    return { code, out: stdout.join('') }
  }
  const decision = async () => ((await (await gw.call('/v1/guard', { key: app, body: { text: BENIGN } })).json()) as { decision: string }).decision

  it('activating a registered version changes the verdict within the poll interval; rollback restores it', async () => {
    expect(await decision()).toBe('allow')
    const model = craftModelDir(`gw-${name}`, 0.5)
    const id = readModelDir(model, { by: 'cli', at: '2026-11-26T10:00:00.000Z' }).id

    const registered = await cli('detectors', 'register', model)
    expect(registered).toMatchObject({ code: 0, out: expect.stringContaining(`registered prompt_injection ${id}`) })
    expect((await cli('detectors', 'register', model)).out).toContain('already registered')
    // Registering alone changes nothing.
    await new Promise((r) => setTimeout(r, 300))
    expect(await decision()).toBe('allow')

    expect((await cli('detectors', 'list')).out).toMatch(new RegExp(`\\*\\s+builtin[\\s\\S]*\\n\\s+${id.slice(0, 12)}`))
    expect((await cli('detectors', 'activate', id.slice(0, 8))).code).toBe(0)
    await waitFor('the activated version to flag the benign prompt', async () => ((await decision()) === 'block' ? true : undefined))
    expect((await cli('detectors', 'list')).out).toMatch(new RegExp(`\\*\\s+${id.slice(0, 12)}`))

    const listed = (await (await gw.call('/v1/detectors', { key: admin })).json()) as { active: { versionId: string }; loaded: { id: string; builtin: boolean }; versions: { id: string }[] }
    expect(listed.active.versionId).toBe(id)
    expect(listed.loaded).toEqual({ id, builtin: false })
    expect(listed.versions.map((v) => v.id)).toEqual([shippedInjectionModel().id, id])
    expect((await gw.call('/v1/detectors', { key: app })).status).toBe(403)

    const compared = await cli('detectors', 'compare', 'builtin', id.slice(0, 10))
    expect(compared.code).toBe(0)
    expect(compared.out).toMatch(/dev\.ensemble\.f1\s+0\.9\d+\s+0\.5000\s+-0\.4\d+/)
    expect((await cli('detectors', 'compare', 'builtin', model, '--json')).out).toContain('"metric": "dev.ensemble.recall"')

    // The active version written back out is the registered directory, byte for byte.
    const exported = join(dir, `exported-${name}`)
    expect((await cli('detectors', 'export', 'active', '--out', exported)).code).toBe(0)
    for (const file of ['weights.bin', 'MODEL_CARD.md']) expect(readFileSync(join(exported, file)).equals(readFileSync(join(model, file)))).toBe(true)
    expect(readModelDir(exported, { by: 'cli', at: '2026-11-26T10:00:00.000Z' }).id).toBe(id)
    expect((await cli('detectors', 'export', 'active', '--out', exported)).code).toBe(2)

    expect((await cli('detectors', 'rollback')).out).toContain(`rolled back prompt_injection from ${id.slice(0, 12)} to builtin`)
    await waitFor('the rollback to restore the shipped verdict', async () => ((await decision()) === 'allow' ? true : undefined))
    expect((await cli('detectors', 'rollback')).code).toBe(1)
    expect((await cli('detectors', 'history')).out).toMatch(/rollback\s+builtin[\s\S]*activate\s+[0-9a-f]{12}/)
    expect((await cli('detectors', 'activate', 'ffffff')).code).toBe(2)
    // The shipped weights are the built-in version already; activating builtin explicitly is an activation like any other.
    expect((await cli('detectors', 'register', SHIPPED_DIR)).code).toBe(2)
    expect((await cli('detectors', 'activate', id)).code).toBe(0)
    expect((await cli('detectors', 'activate', 'builtin')).out).toContain(`activated prompt_injection builtin (was ${id.slice(0, 12)})`)
    await waitFor('builtin to be back', async () => ((await decision()) === 'allow' ? true : undefined))

    // Every registry change is in the audit log (gateway-wide entries: tenant null, so not in a tenant's /v1/audit).
    const audit = await gw.services.store.readAudit(1, 1000)
    expect(audit.filter((e) => e.tenant === null).map((e) => e.action)).toEqual(expect.arrayContaining(['detector.register', 'detector.activate', 'detector.rollback']))
  })

  it('another process sharing the store picks an activation up within its poll interval', async () => {
    const [writer, reader] = [await openStore(storeUrl), await openStore(storeUrl)]
    const target = new ActiveInjectionModel()
    const watcher = new DetectorWatcher({ store: reader, target, pollMs: 50 })
    try {
      await watcher.start()
      expect(target.current().builtin).toBe(true)
      const record = readModelDir(craftModelDir(`proc-${name}`, 0.6), { by: 'cli', at: new Date().toISOString() })
      await writer.registerDetectorVersion(record)
      const started = Date.now()
      await writer.activateDetectorVersion('prompt_injection', record.id, 'cli', new Date().toISOString())
      await waitFor('the watcher to load the new version', async () => (target.current().id === record.id ? true : undefined), 2_000)
      expect(Date.now() - started).toBeLessThan(1_000)
      expect(target.current().window.header.thresholds.ensemble).toBe(0.0001)
      await writer.rollbackDetector('prompt_injection', 'cli', new Date().toISOString())
      await waitFor('the watcher to follow the rollback', async () => (target.current().id !== record.id ? true : undefined), 2_000)
    } finally {
      await watcher.stop()
      await writer.close()
      await reader.close()
    }
  })
})

