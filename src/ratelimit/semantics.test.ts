import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { RampartError } from '../core/errors.js'
import { createRedisRateLimiter } from '../store/redis/rate-limiter.js'
import { createMemoryRateLimiter } from './memory.js'
import type { RateLimiter } from './types.js'

/** One suite, both backends: the Redis script must mean exactly what the in-process code means. */

const REDIS_URL = 'redis://127.0.0.1:6379'
const redisUp = await (async () => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null })
  probe.on('error', () => undefined)
  try {
    await probe.connect()
    return (await probe.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
})()
if (!redisUp) console.warn(`SKIPPING Redis rate-limiter semantics: no Redis answers at ${REDIS_URL}`)

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0)
const MIDNIGHT = Date.UTC(2026, 10, 27)
let seq = 0
const uniqueKey = () => `k${++seq}`

const redisPrefix = `rampart-test:sem:${process.pid}:${Date.now()}:`
const backends: { name: string; skip: boolean; make: () => RateLimiter }[] = [
  { name: 'memory', skip: false, make: () => createMemoryRateLimiter() },
  { name: 'redis', skip: !redisUp, make: () => createRedisRateLimiter({ url: REDIS_URL, prefix: redisPrefix }) },
]

afterAll(async () => {
  if (!redisUp) return
  const admin = new Redis(REDIS_URL)
  const keys = await admin.keys(`${redisPrefix}*`)
  if (keys.length > 0) await admin.del(...keys)
  admin.disconnect()
})

for (const backend of backends) {
  describe.skipIf(backend.skip)(`rate limiter semantics: ${backend.name}`, () => {
    let limiter: RateLimiter
    beforeAll(() => {
      limiter = backend.make()
    })
    afterAll(async () => {
      await limiter.close()
    })

    it('lets an idle key send its whole per-minute limit at once, then denies with the wait for one slot', async () => {
      const key = uniqueKey()
      const remaining: number[] = []
      for (let i = 0; i < 4; i++) {
        const r = await limiter.consume(key, { limitPerMinute: 4, dailyQuota: null, now: T0 })
        expect(r.allowed).toBe(true)
        remaining.push(r.remaining)
      }
      expect(remaining).toEqual([3, 2, 1, 0])
      const denied = await limiter.consume(key, { limitPerMinute: 4, dailyQuota: null, now: T0 })
      expect(denied).toEqual({ allowed: false, reason: 'rate', remaining: 0, limit: 4, resetMs: 60_000, retryAfterSeconds: 15 })
    })

    it('refills one request per 60/limit seconds, exactly at the boundary', async () => {
      const key = uniqueKey()
      const opts = (now: number) => ({ limitPerMinute: 4, dailyQuota: null, now })
      for (let i = 0; i < 4; i++) await limiter.consume(key, opts(T0))
      expect((await limiter.consume(key, opts(T0 + 14_999))).allowed).toBe(false)
      const r = await limiter.consume(key, opts(T0 + 15_000))
      expect(r).toMatchObject({ allowed: true, remaining: 0 })
      expect((await limiter.consume(key, opts(T0 + 15_000))).allowed).toBe(false)
      // A full minute idle gives the whole burst back, and no more.
      let allowed = 0
      for (let i = 0; i < 6; i++) if ((await limiter.consume(key, opts(T0 + 75_000))).allowed) allowed++
      expect(allowed).toBe(4)
    })

    it('denied requests consume nothing, so hammering does not push the next slot back', async () => {
      const key = uniqueKey()
      const opts = (now: number) => ({ limitPerMinute: 2, dailyQuota: 100, now })
      await limiter.consume(key, opts(T0))
      await limiter.consume(key, opts(T0))
      for (let i = 0; i < 20; i++) expect((await limiter.consume(key, opts(T0 + i * 100))).allowed).toBe(false)
      const r = await limiter.consume(key, opts(T0 + 30_000))
      expect(r.allowed).toBe(true)
      // The quota counted the 3 allowed requests only.
      expect(r.remaining).toBe(0)
      expect(r.limit).toBe(2)
      const far = await limiter.consume(key, opts(T0 + 120_000))
      expect(far).toMatchObject({ allowed: true, remaining: 1, limit: 2 })
    })

    it('holds the long-run rate at the limit under steady overload', async () => {
      const key = uniqueKey()
      let allowed = 0
      // 10 minutes of one request every 2 s (30/min) against a limit of 12/min.
      for (let t = 0; t < 600_000; t += 2_000) if ((await limiter.consume(key, { limitPerMinute: 12, dailyQuota: null, now: T0 + t })).allowed) allowed++
      // Burst of 12 plus one per 5 s over 600 s (the last slot at 600 s falls outside).
      expect(allowed).toBe(12 + 119)
    })

    it('enforces the daily quota with reason quota, retry-after to the next UTC midnight, and resets the next day', async () => {
      const key = uniqueKey()
      const opts = (now: number) => ({ limitPerMinute: 1000, dailyQuota: 3, now })
      const seen = [] as { remaining: number; limit: number }[]
      for (let i = 0; i < 3; i++) {
        const r = await limiter.consume(key, opts(T0 + i))
        expect(r.allowed).toBe(true)
        seen.push({ remaining: r.remaining, limit: r.limit })
      }
      // The quota has fewer left than the rate, so it is the limit reported.
      expect(seen).toEqual([
        { remaining: 2, limit: 3 },
        { remaining: 1, limit: 3 },
        { remaining: 0, limit: 3 },
      ])
      const denied = await limiter.consume(key, opts(T0 + 3_600_000))
      const untilMidnight = MIDNIGHT - (T0 + 3_600_000)
      expect(denied).toEqual({ allowed: false, reason: 'quota', remaining: 0, limit: 3, resetMs: untilMidnight, retryAfterSeconds: untilMidnight / 1000 })
      expect((await limiter.consume(key, opts(MIDNIGHT - 1))).allowed).toBe(false)
      expect(await limiter.consume(key, opts(MIDNIGHT))).toMatchObject({ allowed: true, remaining: 2, limit: 3 })
    })

    it('a quota of 0 denies everything; rate denials do not use up the quota', async () => {
      expect(await limiter.consume(uniqueKey(), { limitPerMinute: 10, dailyQuota: 0, now: T0 })).toMatchObject({ allowed: false, reason: 'quota' })
      const key = uniqueKey()
      const opts = (now: number) => ({ limitPerMinute: 1, dailyQuota: 2, now })
      expect((await limiter.consume(key, opts(T0))).allowed).toBe(true)
      expect(await limiter.consume(key, opts(T0 + 1))).toMatchObject({ allowed: false, reason: 'rate', retryAfterSeconds: 60 })
      expect((await limiter.consume(key, opts(T0 + 60_000))).allowed).toBe(true)
      expect(await limiter.consume(key, opts(T0 + 120_000))).toMatchObject({ allowed: false, reason: 'quota' })
    })

    it('keeps keys apart', async () => {
      const a = uniqueKey()
      const b = uniqueKey()
      expect((await limiter.consume(a, { limitPerMinute: 1, dailyQuota: null, now: T0 })).allowed).toBe(true)
      expect((await limiter.consume(a, { limitPerMinute: 1, dailyQuota: null, now: T0 })).allowed).toBe(false)
      expect((await limiter.consume(b, { limitPerMinute: 1, dailyQuota: null, now: T0 })).allowed).toBe(true)
    })

    it('a clock that jumps back an hour does not lock the key out for that hour', async () => {
      const key = uniqueKey()
      for (let i = 0; i < 3; i++) await limiter.consume(key, { limitPerMinute: 3, dailyQuota: null, now: T0 })
      const back = await limiter.consume(key, { limitPerMinute: 3, dailyQuota: null, now: T0 - 3_600_000 })
      expect(back).toMatchObject({ allowed: false, reason: 'rate', retryAfterSeconds: 20 })
      expect((await limiter.consume(key, { limitPerMinute: 3, dailyQuota: null, now: T0 - 3_600_000 + 20_000 })).allowed).toBe(true)
    })

    it('limits that do not divide a minute evenly still allow the full burst', async () => {
      const key = uniqueKey()
      let allowed = 0
      for (let i = 0; i < 8; i++) if ((await limiter.consume(key, { limitPerMinute: 7, dailyQuota: null, now: T0 })).allowed) allowed++
      expect(allowed).toBe(7)
    })

    it('uses its own clock when no time is given', async () => {
      const key = uniqueKey()
      const results = []
      for (let i = 0; i < 3; i++) results.push(await limiter.consume(key, { limitPerMinute: 2, dailyQuota: null }))
      expect(results.map((r) => r.allowed)).toEqual([true, true, false])
      expect(results[2]!.retryAfterSeconds).toBe(30)
    })

    it('rejects invalid limits with RAMPART_ERR_CONFIG_INVALID', async () => {
      for (const opts of [
        { limitPerMinute: 0, dailyQuota: null },
        { limitPerMinute: 1.5, dailyQuota: null },
        { limitPerMinute: Number.NaN, dailyQuota: null },
        { limitPerMinute: 10, dailyQuota: -1 },
      ]) {
        const err = await limiter.consume('x', opts).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(RampartError)
        expect((err as RampartError).code).toBe('RAMPART_ERR_CONFIG_INVALID')
      }
    })
  })
}
