import { Registry } from 'prom-client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeSealer } from '../../alerts/testing.js'
import { openStore } from '../../store/open.js'
import type { AuditInput, Store } from '../../store/types.js'
import { MonitorOps } from './monitor-ops.js'

let store: Store
let registry: Registry
const audit: Omit<AuditInput, 'at'>[] = []

function ops(): MonitorOps {
  return new MonitorOps({
    store,
    sealer: createFakeSealer(),
    audit: { append: async (e) => void audit.push(e) },
    alerts: { raise: async () => undefined },
    registry,
    runChecks: async () => ({ violations: [], metrics: [], rows: 0 }),
    dataDir: '/nonexistent',
    captureSampleRate: 1,
  })
}

beforeEach(async () => {
  store = await openStore('sqlite::memory:')
  registry = new Registry()
  audit.length = 0
})
afterEach(async () => {
  await store.close()
})

describe('MonitorOps proxy capture', () => {
  it('queues proxy captures and writes them per tenant on stop; a bad record does not lose its batch', async () => {
    const monitor = ops()
    for (let i = 0; i < 3; i++) monitor.captureInBackground('acme', { inferenceId: `a${i}`, modelId: 'gpt-x', input: `q${i}`, output: `r${i}` })
    monitor.captureInBackground('acme', { inferenceId: 'bad', modelId: 'm'.repeat(300), input: 'q', output: 'r' })
    monitor.captureInBackground('other', { inferenceId: 'a0', modelId: 'gpt-x', input: 'theirs', output: 'r' })
    // Nothing written yet: the batch waits for its timer (or stop).
    expect((await store.listCaptures({ tenant: 'acme', limit: 10 })).items).toEqual([])
    await monitor.stop()
    expect((await store.listCaptures({ tenant: 'acme', limit: 10 })).items.map((c) => c.inferenceId)).toEqual(['a0', 'a1', 'a2'])
    expect((await store.listCaptures({ tenant: 'other', limit: 10 })).items.map((c) => [c.inferenceId, c.source])).toEqual([['a0', 'proxy']])
    const text = await registry.metrics()
    expect(text).toContain('rampart_monitor_captures_total{source="proxy",result="stored"} 4')
    expect(text).toContain('rampart_monitor_captures_total{source="proxy",result="failed"} 1')
  })

  it('writes on its own after a short wait, and at once when a batch is full', async () => {
    const monitor = ops()
    monitor.captureInBackground('acme', { inferenceId: 'solo', modelId: 'm', input: 'q', output: 'r' })
    const deadline = Date.now() + 2_000
    while ((await store.getCapture('acme', 'solo')) === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(await store.getCapture('acme', 'solo')).toBeDefined()
    for (let i = 0; i < 500; i++) monitor.captureInBackground('acme', { inferenceId: `b${i}`, modelId: 'm', input: 'q', output: 'r' })
    // The 500th queued record flushed the batch without waiting for the timer.
    await new Promise((r) => setImmediate(r))
    await monitor.stop()
    expect((await store.listCaptures({ tenant: 'acme', limit: 1000 })).items).toHaveLength(501)
  })

  it('samples at the configured rate', () => {
    const at = (rate: number, draws: number[]) => {
      let i = 0
      const m = new MonitorOps({ store, sealer: createFakeSealer(), audit: { append: async () => undefined }, alerts: { raise: async () => undefined }, registry: new Registry(), runChecks: async () => ({ violations: [], metrics: [], rows: 0 }), dataDir: '/x', captureSampleRate: rate, random: () => draws[i++ % draws.length]! })
      return draws.map(() => m.sampled())
    }
    expect(at(0, [0, 0.5])).toEqual([false, false])
    expect(at(1, [0.99, 0.999])).toEqual([true, true])
    expect(at(0.25, [0.1, 0.3, 0.24, 0.25])).toEqual([true, false, true, false])
  })
})
