import { afterAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { redisAvailable, REDIS_URL } from '../../gateway/testing.js'
import { decodePromptEvent, encodePromptEvent, LlmExtractionDetector, promptEvent, type LlmSnapshot, type LlmStatus, type PromptEvent } from '../../shield/llm-extraction.js'
import { MemoryShieldState, type ClientKey, type DetectorCodec } from '../../shield/state.js'
import { RedisShieldState } from './shield-state.js'

const up = await redisAvailable()
if (!up) console.warn(`SKIPPING Redis model-shield state tests (restart-safe, shared by two gateways): no Redis answers at ${REDIS_URL}`)

const prefix = `rampart-test:shield:${process.pid}:${Date.now()}:`
const codec: DetectorCodec<LlmExtractionDetector, PromptEvent, LlmStatus> = {
  kind: 'llm',
  create: () => new LlmExtractionDetector({ minTemplated: 15 }),
  apply: (d, e) => d.apply(e),
  encodeEvent: encodePromptEvent,
  decodeEvent: decodePromptEvent,
  snapshot: (d) => JSON.stringify(d.toJSON()),
  restore: (t) => LlmExtractionDetector.fromJSON({ minTemplated: 15 }, JSON.parse(t) as LlmSnapshot),
}
const prompts = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? `Tell me something about topic number ${i * 7919} please` : `What is the population of city ${i} in the year 2020?`))
const stores: RedisShieldState[] = []
const open = (snapshotEvery = 7) => {
  const s = new RedisShieldState({ url: REDIS_URL, prefix, snapshotEvery })
  stores.push(s)
  return s
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()))
  if (!up) return
  const redis = new Redis(REDIS_URL)
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()
})

describe.skipIf(!up)('model-shield state in Redis', () => {
  it('two gateways see one client as one client: the same statuses as a single process', async () => {
    const key: ClientKey = { tenant: 't1', model: 'chat:m', keyId: 'k-two' }
    const memory = new MemoryShieldState()
    const expected: LlmStatus[] = []
    for (const p of prompts) expected.push((await memory.record(key, codec, promptEvent(p))).status)
    const a = open()
    const b = open()
    const got: LlmStatus[] = []
    for (const [i, p] of prompts.entries()) {
      const r = await (i % 3 === 1 ? b : a).record(key, codec, promptEvent(p))
      expect(r.seq).toBe(i + 1)
      got.push(r.status)
    }
    expect(got).toEqual(expected)
    expect(got.at(-1)?.flag).toMatchObject({ signal: 'enumeration' })
    // Only one of the two raises the alert.
    const claims = await Promise.all([a.claimFlag(key, { by: 'a' }), b.claimFlag(key, { by: 'b' })])
    expect(claims.filter(Boolean)).toHaveLength(1)
    expect(await a.flagOf(key)).toEqual(await b.flagOf(key))
  })

  it('a restarted gateway carries on from the snapshot and the log after it', async () => {
    const key: ClientKey = { tenant: 't1', model: 'chat:m', keyId: 'k-restart' }
    const memory = new MemoryShieldState()
    const first = open(5)
    for (const p of prompts.slice(0, 33)) {
      await first.record(key, codec, promptEvent(p))
      await memory.record(key, codec, promptEvent(p))
    }
    await first.close()
    const raw = new Redis(REDIS_URL)
    const logs = await raw.keys(`${prefix}*k-restart*:log`)
    expect(logs).toHaveLength(1)
    const logLength = await raw.llen(logs[0] as string)
    raw.disconnect()
    // Snapshots every 5 events trimmed the log to its tail.
    expect(logLength).toBeGreaterThan(0)
    expect(logLength).toBeLessThan(33)
    const restarted = open(5)
    for (const p of prompts.slice(33)) {
      const r = await restarted.record(key, codec, promptEvent(p))
      expect(r.status).toEqual((await memory.record(key, codec, promptEvent(p))).status)
    }
  })

  it('orders concurrent queries from two gateways into one log', async () => {
    const key: ClientKey = { tenant: 't2', model: 'chat:m', keyId: 'k-race' }
    const a = open(4)
    const b = open(4)
    const results = await Promise.all(prompts.slice(0, 40).map((p, i) => (i % 2 === 0 ? a : b).record(key, codec, promptEvent(p))))
    expect(results.map((r) => r.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    const after = await a.record(key, codec, promptEvent('one more'))
    expect(after.status.prompts).toBe(41)
    expect(after.seq).toBe(41)
    const viaB = await b.record(key, codec, promptEvent('and another'))
    expect(viaB.status.prompts).toBe(42)
  })

  it('keeps tenants, models and keys apart', async () => {
    const a = open()
    const one = await a.record({ tenant: 'x', model: 'm', keyId: 'same' }, codec, promptEvent('hello'))
    const two = await a.record({ tenant: 'y', model: 'm', keyId: 'same' }, codec, promptEvent('hello'))
    const three = await a.record({ tenant: 'x', model: 'n', keyId: 'same' }, codec, promptEvent('hello'))
    expect([one.seq, two.seq, three.seq]).toEqual([1, 1, 1])
  })
})

describe.skipIf(!up)('model-shield state in Redis, batches', () => {
  it('keeps a batch together and in order, one status per event, across chunks', async () => {
    const key: ClientKey = { tenant: 't3', model: 'chat:m', keyId: 'k-batch' }
    const memory = new MemoryShieldState()
    const events = Array.from({ length: 2300 }, (_, i) => promptEvent(`Question ${i % 50} about item ${i}`))
    const expected = await memory.recordMany(key, codec, events)
    const a = open(500)
    const got = await a.recordMany(key, codec, events)
    expect(got.map((r) => r.seq)).toEqual(expected.map((r) => r.seq))
    expect(got.at(-1)?.status).toEqual(expected.at(-1)?.status)
    const b = open(500)
    expect((await b.record(key, codec, promptEvent('next'))).status).toEqual((await memory.record(key, codec, promptEvent('next'))).status)
  })
})
