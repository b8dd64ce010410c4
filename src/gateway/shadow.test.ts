import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../cli/main.js'
import { decodeWeights, encodeWeights } from '../detectors/injection/weights-format.js'
import { createGuard } from '../guard.js'
import { CaptureService, type CaptureInput } from '../monitor/capture.js'
import { SHADOW_MODEL_ID } from '../replay/source.js'
import { startMockUpstream } from './mock-upstream.js'
import { ShadowService } from './shadow.js'
import { postgresAvailable, postgresBackend, sqliteBackend, startTestGateway, type StoreBackend, type TestGateway } from './testing.js'

const dir = mkdtempSync(join(tmpdir(), 'rampart-shadow-'))
const candidatePolicy = join(dir, 'candidate.yaml')
// The candidate blocks a word the active (default) policy lets through.
writeFileSync(candidatePolicy, 'version: 1\nname: candidate\ninput:\n  word_filter:\n    action: block\n    options: { words: [pineapple] }\n')
const TEXT = 'Could you add pineapple to the shopping list for Saturday?'
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const pgUrl = await postgresAvailable()
if (pgUrl === undefined) console.warn('SKIPPED: shadow mode on PostgreSQL — no server answers at 127.0.0.1:5432 (set RAMPART_TEST_PG_URL)')
const backends: StoreBackend[] = [sqliteBackend, ...(pgUrl === undefined ? [] : [postgresBackend(pgUrl)])]

describe.each(backends.map((b) => [b.name, b] as const))('shadow mode on %s', (_name, backend) => {
  let gw: TestGateway
  let admin: string
  let storeUrl: string | undefined
  let dispose: () => Promise<void>
  beforeAll(async () => {
    ;({ url: storeUrl, dispose } = await backend.create())
    gw = await startTestGateway({ storeUrl, shadowPolicy: candidatePolicy, guardCaptureSampleRate: 1 })
    admin = await gw.key('admin')
  })
  afterAll(async () => {
    await gw.close()
    await dispose()
  })

  it('scans in shadow without enforcing: the response is allowed, the disagreement is logged, counted and stored', async () => {
    const res = await gw.call('/v1/guard', { key: admin, body: { text: TEXT } })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { decision: string }
    expect(body.decision).toBe('allow')
    expect(res.headers.get('x-rampart-decision')).toBe('allow')
    await gw.services.shadow!.idle()

    const metrics = await (await gw.call('/metrics', { key: admin })).text()
    expect(metrics).toMatch(/rampart_shadow_decisions_total\{direction="input",active="allow",candidate="block"\} 1/)
    expect(metrics).toMatch(/rampart_shadow_disagreements_total\{kind="newBlocks"\} 1/)

    // Stored sealed: the raw row does not hold the text.
    const page = await gw.services.store.listCaptures({ tenant: 'default', modelId: SHADOW_MODEL_ID, limit: 10 })
    expect(page.items).toHaveLength(1)
    expect(page.items[0]!.payload).not.toContain('pineapple')
    const opened = await new CaptureService({ store: gw.services.store, sealer: gw.services.sealer }).open(page.items[0]!)
    expect(opened.guard?.decision).toBe('allow')
    expect(opened.shadow?.decision).toBe('block')
    expect(opened.shadow?.actions).toEqual({ word_filter: 'block' })

    const list = await gw.call('/v1/shadow', { key: admin })
    expect(list.status).toBe(200)
    const listed = (await list.json()) as { shadow: { enabled: boolean; candidate: { policy: { name: string } } }; items: { direction: string; active: { decision: string }; candidate: { decision: string; actions: Record<string, string> }; excerpt: string }[] }
    expect(listed.shadow.enabled).toBe(true)
    expect(listed.shadow.candidate.policy.name).toBe('candidate')
    expect(listed.items).toHaveLength(1)
    expect(listed.items[0]).toMatchObject({ direction: 'input', active: { decision: 'allow' }, candidate: { decision: 'block', actions: { word_filter: 'block' } } })
    expect(listed.items[0]!.excerpt).toContain('pineapple')

    const report = (await (await gw.call('/v1/shadow?format=report', { key: admin })).json()) as { report: { changes: { newBlocks: number }; byScanner: Record<string, { newBlocks: number }>; examples: unknown[] } }
    expect(report.report.changes.newBlocks).toBe(1)
    expect(report.report.byScanner.word_filter?.newBlocks).toBe(1)
    expect(report.report.examples).toHaveLength(1)
  })

  it('records no disagreement when both agree, and keeps /v1/shadow for admins', async () => {
    const before = await gw.services.store.listCaptures({ tenant: 'default', modelId: SHADOW_MODEL_ID, limit: 10 })
    const res = await gw.call('/v1/guard', { key: admin, body: { text: 'What time does the bakery open?' } })
    expect(((await res.json()) as { decision: string }).decision).toBe('allow')
    await gw.services.shadow!.idle()
    const after = await gw.services.store.listCaptures({ tenant: 'default', modelId: SHADOW_MODEL_ID, limit: 10 })
    expect(after.items).toHaveLength(before.items.length)
    const app = await gw.key('app')
    expect((await gw.call('/v1/shadow', { key: app })).status).toBe(403)
    expect((await gw.call('/v1/shadow?since=yesterday', { key: admin })).status).toBe(400)
    const doc = (await (await gw.call('/openapi.json')).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths)).toContain('/v1/shadow')
  })

  it('rampart replay --shadow reports the stored disagreements offline, in the replay format', async () => {
    const out: string[] = []
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true))
    const html = join(dir, 'shadow.html')
    try {
      const store = storeUrl === undefined ? [] : ['--store', storeUrl]
      expect(await main(['node', 'rampart', 'replay', '--shadow', '--since', '1h', '--data-dir', gw.dataDir, ...store, '--json', '--html', html])).toBe(0)
    } finally {
      spy.mockRestore()
    }
    const report = JSON.parse(out.join('')) as { candidate: unknown; totals: { captures: number }; changes: { newBlocks: number }; byScanner: Record<string, { newBlocks: number }> }
    expect(report.candidate).toEqual({ shadow: true })
    expect(report.totals.captures).toBe(1)
    expect(report.changes.newBlocks).toBe(1)
    expect(report.byScanner.word_filter?.newBlocks).toBe(1)
    expect(readFileSync(html, 'utf8')).toContain('<svg')
  })

  it('captures /v1/guard traffic when guardCaptureSampleRate opts in (sealed, source guard, with the verdict and its latency)', async () => {
    await gw.services.monitor!.stop()
    const page = await gw.services.store.listCaptures({ tenant: 'default', modelId: 'rampart-guard', limit: 10 })
    expect(page.items.length).toBeGreaterThanOrEqual(2)
    expect(page.items.every((c) => c.source === 'guard')).toBe(true)
    // Both requests may land in one background flush (one receivedAt), so find this one by its text.
    const captures = new CaptureService({ store: gw.services.store, sealer: gw.services.sealer })
    const all = await Promise.all(page.items.map((c) => captures.open(c)))
    expect(all.map((c) => c.input).sort()).toEqual(['What time does the bakery open?', TEXT].sort())
    const opened = all.find((c) => c.input === TEXT)!
    expect(Date.parse(opened.at)).toBeLessThanOrEqual(Date.parse(page.items.find((c) => c.inferenceId === opened.inferenceId)!.receivedAt))
    expect(opened.output).toBeNull()
    expect(opened.guard).toMatchObject({ decision: 'allow', actions: {} })
    expect(typeof opened.guard?.latencyMs).toBe('number')
  })
})

describe('shadow mode on the chat proxy', () => {
  it('forwards and answers what the shadow would block, streamed or not; prompts and answers are both scanned in shadow', async () => {
    const upstream = await startMockUpstream({ reply: () => 'Pineapple added to the list.' })
    const gw = await startTestGateway({ shadowPolicy: candidatePolicy, upstream: upstream.url })
    try {
      const app = await gw.key('app')
      const res = await gw.call('/v1/chat/completions', { key: app, body: { model: 'm', messages: [{ role: 'user', content: TEXT }] } })
      expect(res.status).toBe(200)
      expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('Pineapple added to the list.')
      const streamed = await gw.call('/v1/chat/completions', { key: app, body: { model: 'm', stream: true, messages: [{ role: 'user', content: `${TEXT} Thanks.` }] } })
      expect(streamed.status).toBe(200)
      expect(await streamed.text()).toContain('[DONE]')
      expect(upstream.requests).toHaveLength(2)
      await gw.services.shadow!.idle()
      const page = await gw.services.store.listCaptures({ tenant: 'default', modelId: SHADOW_MODEL_ID, limit: 10 })
      const opened = await Promise.all(page.items.map((r) => new CaptureService({ store: gw.services.store, sealer: gw.services.sealer }).open(r)))
      // The candidate's word filter applies to inputs only: the two prompts disagree, the answers do not.
      expect(opened.map((c) => [typeof c.input === 'string' ? 'input' : 'output', c.guard?.decision, c.shadow?.decision])).toEqual([
        ['input', 'allow', 'block'],
        ['input', 'allow', 'block'],
      ])
      const metrics = await (await gw.call('/metrics', { key: await gw.key('admin') })).text()
      expect(metrics).toMatch(/rampart_shadow_decisions_total\{direction="output",active="allow",candidate="allow"\} 2/)
    } finally {
      await gw.close()
      await upstream.close()
    }
  })
})

describe("a tenant's stored policy version in shadow", () => {
  it('shadows only that tenant, with its version, until cleared; audited', async () => {
    const gw = await startTestGateway({})
    try {
      const acme = await gw.key('admin', 'acme')
      const other = await gw.key('admin', 'globex')
      const created = await gw.call('/v1/policies', { key: acme, body: { source: readFileSync(candidatePolicy, 'utf8') } })
      expect(created.status).toBe(201)
      expect((await gw.call('/v1/shadow/policy', { key: acme, method: 'PUT', body: { version: 9 } })).status).toBe(404)
      expect((await gw.call('/v1/shadow/policy', { key: acme, method: 'PUT', body: { version: 'one' } })).status).toBe(400)
      const put = await gw.call('/v1/shadow/policy', { key: acme, method: 'PUT', body: { version: 1 } })
      expect(put.status).toBe(200)
      expect(await put.json()).toMatchObject({ shadow: { enabled: true, tenantVersion: 1, candidate: {} } })

      for (const key of [acme, other]) {
        const res = await gw.call('/v1/guard', { key, body: { text: TEXT } })
        expect(((await res.json()) as { decision: string }).decision).toBe('allow')
      }
      await gw.services.shadow!.idle()
      const records = async (tenant: string) => (await gw.services.store.listCaptures({ tenant, modelId: SHADOW_MODEL_ID, limit: 10 })).items.length
      expect(await records('acme')).toBe(1)
      expect(await records('globex')).toBe(0)
      expect((await (await gw.call('/v1/shadow', { key: other })).json()) as unknown).toMatchObject({ shadow: { enabled: false }, items: [] })

      const cleared = await gw.call('/v1/shadow/policy', { key: acme, method: 'DELETE' })
      expect(await cleared.json()).toMatchObject({ cleared: true, shadow: { enabled: false } })
      await gw.call('/v1/guard', { key: acme, body: { text: TEXT } })
      await gw.services.shadow!.idle()
      expect(await records('acme')).toBe(1)
      const audit = (await (await gw.call('/v1/audit', { key: acme })).json()) as { items: { action: string; target: string | null }[] }
      expect(audit.items.map((e) => e.action)).toEqual(expect.arrayContaining(['policy.shadow', 'policy.shadow_clear']))
    } finally {
      await gw.close()
    }
  })
})

describe('guard capture is opt-in', () => {
  it('stores nothing from /v1/guard by default', async () => {
    const gw = await startTestGateway({})
    try {
      const admin = await gw.key('admin')
      await gw.call('/v1/guard', { key: admin, body: { text: TEXT } })
      await gw.services.monitor!.stop()
      expect((await gw.services.store.listCaptures({ tenant: 'default', limit: 10 })).items).toHaveLength(0)
      expect((await (await gw.call('/v1/shadow', { key: admin })).json()) as unknown).toMatchObject({ shadow: { enabled: false, candidate: {} }, items: [] })
    } finally {
      await gw.close()
    }
  })
})

describe('ShadowService', () => {
  const setup = async (candidate: { policyFile?: string; detectorDir?: string }, maxQueue = 1_000) => {
    const registry = new Registry()
    const stored: CaptureInput[] = []
    const logs: { obj: Record<string, unknown>; msg: string }[] = []
    const service = await ShadowService.create(candidate, {
      captures: { capture: async (_tenant: string, record: CaptureInput) => (stored.push(record), { inferenceId: record.inferenceId ?? '', stored: true }) },
      registry,
      logger: { warn: (obj, msg) => logs.push({ obj, msg }), error: (obj, msg) => logs.push({ obj, msg }) },
      maxQueue,
    })
    return { service, registry, stored, logs }
  }

  it('scans after the caller has moved on, from a bounded queue: overflow is dropped and counted, disagreements logged without the text', async () => {
    const { service, registry, stored, logs } = await setup({ policyFile: candidatePolicy }, 2)
    const active = await createGuard()
    const result = await active.scanInput(TEXT)
    for (let i = 0; i < 5; i++) service.observe({ tenant: 't', requestId: `r${i}`, direction: 'input', text: TEXT, active, result })
    // observe() only queued: nothing was scanned on the caller's turn.
    expect(stored).toHaveLength(0)
    expect((await service.status('t')).queued).toBe(2)
    await service.idle()
    expect(stored.map((r) => r.inferenceId)).toEqual(['shadow:r0:input:1', 'shadow:r1:input:2'])
    const metrics = await registry.metrics()
    expect(metrics).toMatch(/rampart_shadow_dropped_total 3/)
    expect(metrics).toMatch(/rampart_shadow_disagreements_total\{kind="newBlocks"\} 2/)
    expect(logs.filter((l) => l.msg === 'shadow disagreement')).toHaveLength(2)
    expect(logs[0]!.obj).toMatchObject({ requestId: 'r0', active: 'allow', candidate: 'block', kinds: ['newBlocks'], scanners: ['word_filter'] })
    expect(JSON.stringify(logs)).not.toContain('pineapple')
  })

  it('with a model directory alone, runs the active policy with the candidate weights', async () => {
    const shipped = decodeWeights(readFileSync(fileURLToPath(new URL('../../models/injection/weights.bin', import.meta.url))))
    const model = join(dir, 'model')
    mkdirSync(model, { recursive: true })
    writeFileSync(join(model, 'weights.bin'), encodeWeights({ ...shipped.header, bias: 40 }, shipped.weights))
    const { service, stored } = await setup({ detectorDir: model })
    const active = await createGuard()
    const text = 'What time does the bakery open?'
    const result = await active.scanInput(text)
    expect(result.decision).toBe('allow')
    service.observe({ tenant: 't', requestId: 'r', direction: 'input', text, active, result })
    await service.idle()
    expect(stored).toHaveLength(1)
    expect(stored[0]!.shadow).toMatchObject({ decision: 'block', actions: { prompt_injection: 'block' } })
    expect(service.candidate).toMatchObject({ detector: { dir: model } })
  })

  it("a tenant's stored version takes precedence over the gateway's shadow policy for that tenant", async () => {
    const registry = new Registry()
    const stored: { tenant: string; record: CaptureInput }[] = []
    const lenient = await createGuard()
    const service = await ShadowService.create(
      { policyFile: candidatePolicy },
      {
        captures: { capture: async (tenant: string, record: CaptureInput) => (stored.push({ tenant, record }), { inferenceId: '', stored: true }) },
        registry,
        tenantShadow: async (tenant) => (tenant === 'own' ? { version: 3, guard: lenient } : undefined),
      },
    )
    const result = await lenient.scanInput(TEXT)
    for (const tenant of ['own', 'other']) service.observe({ tenant, requestId: tenant, direction: 'input', text: TEXT, active: lenient, result })
    await service.idle()
    // 'own' runs its version (the default policy: agrees); 'other' runs the file (blocks the word).
    expect(stored.map((s) => s.tenant)).toEqual(['other'])
    expect(await service.status('own')).toMatchObject({ enabled: true, tenantVersion: 3 })
  })

  it('with a model directory alone and a policy that reads no weights, never disagrees and says so once', async () => {
    const { service, stored, logs } = await setup({ detectorDir: join(dir, 'model') })
    const active = await createGuard({ policy: { version: 1, input: { prompt_injection: { options: { detector: 'heuristic' } } } } })
    const result = await active.scanInput(TEXT)
    for (let i = 0; i < 3; i++) service.observe({ tenant: 't', requestId: `h${i}`, direction: 'input', text: TEXT, active, result })
    await service.idle()
    expect(stored).toHaveLength(0)
    expect(logs.map((l) => l.msg)).toEqual(['shadow: the active policy does not use the candidate model'])
  })
})
