import { describe, expect, it } from 'vitest'
import { createMemoryRateLimiter } from './memory.js'

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0)

describe('memory rate limiter: bounded memory', () => {
  it('drops keys once they are idle, a couple per call, without losing a busy key', async () => {
    const limiter = createMemoryRateLimiter()
    for (let i = 0; i < 1000; i++) await limiter.consume(`idle${i}`, { limitPerMinute: 10, dailyQuota: null, now: T0 })
    expect(limiter.size).toBeGreaterThan(990)
    // Still busy at T0 + 5 s: its TAT is ahead of the clock, so the sweep must keep it.
    for (let i = 0; i < 10; i++) await limiter.consume('busy', { limitPerMinute: 10, dailyQuota: null, now: T0 + 5_000 })
    for (let i = 0; i < 600; i++) await limiter.consume('busy', { limitPerMinute: 10, dailyQuota: null, now: T0 + 61_000 + i })
    expect(limiter.size).toBeLessThan(10)
    await limiter.close()
  })

  it('keeps a key with a quota until its day ends, so the quota cannot be reset by going idle', async () => {
    const limiter = createMemoryRateLimiter()
    const quota = { limitPerMinute: 100, dailyQuota: 2 }
    await limiter.consume('q', { ...quota, now: T0 })
    await limiter.consume('q', { ...quota, now: T0 })
    for (let i = 0; i < 2000; i++) await limiter.consume(`other${i % 50}`, { limitPerMinute: 100, dailyQuota: null, now: T0 + 3_600_000 + i })
    expect(await limiter.consume('q', { ...quota, now: T0 + 7_200_000 })).toMatchObject({ allowed: false, reason: 'quota' })
    // The next day the key is idle and can go.
    for (let i = 0; i < 100; i++) await limiter.consume('x', { limitPerMinute: 1000, dailyQuota: null, now: T0 + 86_400_000 + i })
    expect(limiter.size).toBeLessThanOrEqual(2)
    await limiter.close()
  })

  it('never holds more than maxKeys, dropping the least recently used', async () => {
    const limiter = createMemoryRateLimiter({ maxKeys: 100 })
    for (let i = 0; i < 1000; i++) await limiter.consume(`k${i}`, { limitPerMinute: 1, dailyQuota: null, now: T0 })
    expect(limiter.size).toBe(100)
    expect((await limiter.consume('k999', { limitPerMinute: 1, dailyQuota: null, now: T0 })).allowed).toBe(false)
    await limiter.close()
  })

  it('costs microseconds per call (far inside a 0.3 ms request budget)', async () => {
    const limiter = createMemoryRateLimiter()
    const keys = Array.from({ length: 5000 }, (_, i) => `key${i}`)
    const opts = { limitPerMinute: 1_000_000, dailyQuota: 10_000_000 }
    for (let i = 0; i < 20_000; i++) await limiter.consume(keys[i % keys.length]!, opts)
    const n = 200_000
    const start = process.hrtime.bigint()
    for (let i = 0; i < n; i++) await limiter.consume(keys[i % keys.length]!, opts)
    const usPerCall = Number(process.hrtime.bigint() - start) / 1000 / n
    console.log(`memory consume(): ${usPerCall.toFixed(2)} µs/call over ${n} calls, ${keys.length} keys`)
    // Typically under 1 µs; 5 leaves room for a loaded CI box yet catches an O(keys) regression (7-17 µs).
    expect(usPerCall).toBeLessThan(5)
    await limiter.close()
  })
})
