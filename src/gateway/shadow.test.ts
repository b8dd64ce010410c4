import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CaptureService } from '../monitor/capture.js'
import { SHADOW_MODEL_ID } from '../replay/source.js'
import { startTestGateway, type TestGateway } from './testing.js'

const dir = mkdtempSync(join(tmpdir(), 'rampart-shadow-'))
const candidatePolicy = join(dir, 'candidate.yaml')
// The candidate blocks a word the active (default) policy lets through.
writeFileSync(candidatePolicy, 'version: 1\nname: candidate\ninput:\n  word_filter:\n    action: block\n    options: { words: [pineapple] }\n')
const TEXT = 'Could you add pineapple to the shopping list for Saturday?'

describe('shadow mode', () => {
  let gw: TestGateway
  let admin: string
  beforeAll(async () => {
    gw = await startTestGateway({ shadowPolicy: candidatePolicy, guardCaptureSampleRate: 1 })
    admin = await gw.key('admin')
  })
  afterAll(async () => {
    await gw.close()
    rmSync(dir, { recursive: true, force: true })
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
  })

  it('captures /v1/guard traffic when guardCaptureSampleRate opts in (sealed, source guard, with the verdict and its latency)', async () => {
    await gw.services.monitor!.stop()
    const page = await gw.services.store.listCaptures({ tenant: 'default', modelId: 'rampart-guard', limit: 10 })
    expect(page.items.length).toBeGreaterThanOrEqual(2)
    expect(page.items.every((c) => c.source === 'guard')).toBe(true)
    const opened = await new CaptureService({ store: gw.services.store, sealer: gw.services.sealer }).open(page.items[0]!)
    expect(opened.input).toBe(TEXT)
    expect(opened.output).toBeNull()
    expect(opened.guard).toMatchObject({ decision: 'allow', actions: {} })
    expect(typeof opened.guard?.latencyMs).toBe('number')
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
      expect(gw.services.shadow).toBeUndefined()
    } finally {
      await gw.close()
    }
  })
})
