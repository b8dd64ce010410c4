import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeSealer } from '../alerts/testing.js'
import { openStore } from '../store/open.js'
import type { Store } from '../store/types.js'
import { CaptureService, captureAad, captureToRow, guardSignals, labelAad, type OpenedCapture } from './capture.js'

let store: Store
let now = Date.parse('2026-11-26T10:00:00.000Z')
const sealer = createFakeSealer()
const service = () => new CaptureService({ store, sealer, now: () => now })

beforeEach(async () => {
  store = await openStore('sqlite::memory:')
})
afterEach(async () => {
  await store.close()
})

describe('CaptureService', () => {
  it('seals each record bound to its tenant and inference id, and opens it back', async () => {
    const r = await service().capture('acme', { inferenceId: 'inf-1', modelId: 'm1', input: { age: 40 }, output: { score: 0.7 }, at: '2026-11-26T09:59:00Z' }, 'api')
    expect(r).toEqual({ inferenceId: 'inf-1', stored: true })
    const row = (await store.getCapture('acme', 'inf-1'))!
    expect(row).toMatchObject({ modelId: 'm1', at: '2026-11-26T09:59:00.000Z', receivedAt: '2026-11-26T10:00:00.000Z', source: 'api', label: null })
    expect(row.payload).not.toContain('age')
    expect(await sealer.open(row.payload, captureAad('acme', 'inf-1'))).toBe('{"input":{"age":40},"output":{"score":0.7}}')
    // Moved to another tenant or id, the payload no longer opens.
    await expect(service().open({ ...row, tenant: 'other' })).rejects.toMatchObject({ code: 'RAMPART_ERR_CRYPTO' })
    await expect(service().open({ ...row, inferenceId: 'inf-2' })).rejects.toMatchObject({ code: 'RAMPART_ERR_CRYPTO' })
    expect(await service().open(row)).toEqual({ inferenceId: 'inf-1', modelId: 'm1', at: '2026-11-26T09:59:00.000Z', receivedAt: '2026-11-26T10:00:00.000Z', source: 'api', input: { age: 40 }, output: { score: 0.7 }, labelled: false })
  })

  it('generates an inference id when none is given, and ignores a retried one', async () => {
    const a = await service().capture('acme', { modelId: 'm1', input: 'hello', output: 'hi' })
    expect(a.inferenceId).toMatch(/^[0-9a-f-]{36}$/)
    expect(await service().capture('acme', { inferenceId: a.inferenceId, modelId: 'm1', input: 'changed', output: 'x' })).toEqual({ inferenceId: a.inferenceId, stored: false })
    expect((await service().open((await store.getCapture('acme', a.inferenceId))!)).input).toBe('hello')
  })

  it('refuses malformed records before storing anything', async () => {
    await expect(service().capture('acme', { inferenceId: 'has space', modelId: 'm', input: 1, output: 2 })).rejects.toMatchObject({ code: 'RAMPART_ERR_INPUT_INVALID', path: 'record.inferenceId' })
    await expect(service().capture('acme', { modelId: '', input: 1, output: 2 })).rejects.toMatchObject({ path: 'record.modelId' })
    await expect(service().capture('acme', { modelId: 'm', input: 1 } as never)).rejects.toMatchObject({ path: 'record.output' })
    await expect(service().capture('acme', { modelId: 'm', input: 1, output: 2, at: 'yesterday' })).rejects.toMatchObject({ path: 'capture.at' })
    expect((await store.listCaptures({ tenant: 'acme', limit: 10 })).items).toEqual([])
  })

  it('joins sealed labels by inference id and reports how many matched', async () => {
    await service().capture('acme', { inferenceId: 'a', modelId: 'm', input: 1, output: 0 })
    expect(await service().groundTruth('acme', [{ inferenceId: 'a', label: 1 }, { inferenceId: 'b', label: 0 }])).toEqual({ accepted: 2, matched: 1 })
    const row = (await store.getCapture('acme', 'a'))!
    expect(await sealer.open(row.label!, labelAad('acme', 'a'))).toBe('1')
    expect(await service().open(row)).toMatchObject({ labelled: true, label: 1 })
    await expect(service().groundTruth('acme', [{ inferenceId: '', label: 1 }])).rejects.toMatchObject({ path: 'labels[0].inferenceId' })
  })

  it('reads a window oldest first across pages, one model only, received in [since, until)', async () => {
    for (let i = 0; i < 7; i++) {
      now = Date.parse('2026-11-26T10:00:00.000Z') + i * 1000
      await service().capture('acme', { inferenceId: `i${i}`, modelId: i === 3 ? 'other' : 'm', input: { i }, output: i })
    }
    const seen: unknown[] = []
    for await (const c of service().window('acme', 'm', '2026-11-26T10:00:01.000Z', '2026-11-26T10:00:06.000Z', 2)) seen.push(c.input)
    expect(seen).toEqual([{ i: 1 }, { i: 2 }, { i: 4 }, { i: 5 }])
  })
})

describe('captureToRow', () => {
  const base: OpenedCapture = { inferenceId: 'x', modelId: 'm', at: 't', receivedAt: 't', source: 'api', input: null, output: null, labelled: false }

  it('spreads feature objects, names text input and scalar output, and leaves ids and times out', () => {
    expect(captureToRow({ ...base, input: { age: 40, city: 'Oslo' }, output: { score: 0.2, label: 'no' } })).toEqual({ age: 40, city: 'Oslo', score: 0.2, label: 'no' })
    expect(captureToRow({ ...base, input: 'a prompt', output: 'an answer' })).toEqual({ input: 'a prompt', output: 'an answer' })
    expect(captureToRow({ ...base, input: { a: 1 }, output: 0.9 })).toEqual({ a: 1, output: 0.9 })
  })

  it('prefixes output fields that would overwrite an input column', () => {
    expect(captureToRow({ ...base, input: { score: 1, output: 2 }, output: { score: 0.5 } })).toEqual({ score: 1, output: 2, 'output.score': 0.5 })
    expect(captureToRow({ ...base, input: { output: 2 }, output: 7 })).toEqual({ output: 2, 'output.output': 7 })
  })

  it('adds the label under the ground-truth column, and the guard signals', () => {
    const guard = guardSignals('block', [
      { scanner: 'prompt_injection', score: 0.4, action: 'allow' },
      { scanner: 'prompt_injection', score: 0.95, action: 'block' },
      { scanner: 'pii', score: 1, action: 'redact' },
      { scanner: 'pii', score: 0.6, action: 'flag' },
    ])
    // The strongest action per scanner is kept for replay's per-scanner comparison; it is not a column.
    expect(guard).toEqual({ decision: 'block', flagged: true, scores: { prompt_injection: 0.95, pii: 1 }, actions: { prompt_injection: 'block', pii: 'redact' } })
    expect(captureToRow({ ...base, input: 'p', output: 'o', guard, labelled: true, label: 'toxic' }, { groundTruthColumn: 'truth' })).toEqual({
      input: 'p',
      output: 'o',
      truth: 'toxic',
      'guard.decision': 'block',
      'guard.flagged': true,
      'guard.prompt_injection.score': 0.95,
      'guard.pii.score': 1,
    })
    expect(captureToRow({ ...base, input: 'p', output: 'o', labelled: true, label: 0 })).toMatchObject({ ground_truth: 0 })
  })
})
