import { spawn } from 'node:child_process'
import { createServer, connect } from 'node:net'
import type { Server, Socket } from 'node:net'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { RampartError } from '../../core/errors.js'
import { createRateLimiter } from '../../ratelimit/index.js'
import { createRedisRateLimiter } from './rate-limiter.js'

const REDIS_HOST = '127.0.0.1'
const REDIS_PORT = 6379
const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`
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
if (!redisUp) console.warn(`SKIPPING Redis rate-limiter tests (shared limits across processes, fail modes): no Redis answers at ${REDIS_URL}`)

const runPrefix = `rampart-test:rl:${process.pid}:${Date.now()}:`
let seq = 0
const freshPrefix = () => `${runPrefix}${++seq}:`

/**
 * A TCP relay in front of the real Redis, so a test can take "Redis" down (close) or make it hang
 * (swallow requests) without touching the server other tests share.
 */
async function startRelay(port = 0): Promise<{ port: number; url: string; down(): Promise<void>; hang(): void }> {
  const sockets = new Set<Socket>()
  let hanging = false
  const server: Server = createServer((client) => {
    const upstream = connect(REDIS_PORT, REDIS_HOST)
    sockets.add(client).add(upstream)
    client.on('data', (chunk) => {
      if (!hanging) upstream.write(chunk)
    })
    upstream.pipe(client)
    const drop = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const bound = (server.address() as { port: number }).port
  return {
    port: bound,
    url: `redis://127.0.0.1:${bound}`,
    hang() {
      hanging = true
    },
    down: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

const admin = redisUp ? new Redis(REDIS_URL) : undefined
afterAll(async () => {
  if (admin === undefined) return
  const keys = await admin.keys(`${runPrefix}*`)
  if (keys.length > 0) await admin.del(...keys)
  admin.disconnect()
})

describe.skipIf(!redisUp)('Redis rate limiter: shared across processes', () => {
  const here = fileURLToPath(new URL('.', import.meta.url))
  const childSource = `
    const { createRedisRateLimiter } = await import(process.env.RL_REDIS_MODULE)
    const { createMemoryRateLimiter } = await import(process.env.RL_MEMORY_MODULE)
    const n = Number(process.env.RL_N)
    const limiter = process.env.RL_MODE === 'redis'
      ? createRedisRateLimiter({ url: process.env.RL_URL, prefix: process.env.RL_PREFIX })
      : createMemoryRateLimiter()
    if (limiter.ready) await limiter.ready()
    process.stdout.write('ready\\n')
    await new Promise((resolve) => process.stdin.once('data', resolve))
    const results = await Promise.all(Array.from({ length: n }, () => limiter.consume('shared-key', { limitPerMinute: n, dailyQuota: null })))
    process.stdout.write(JSON.stringify({ allowed: results.filter((r) => r.allowed).length }) + '\\n')
    await limiter.close()
    process.stdin.destroy()
  `

  /** Starts two gateway-like processes, lets both send `n` requests at once, returns each one's allowed count. */
  async function runTwoProcesses(mode: 'redis' | 'memory', n: number): Promise<number[]> {
    const prefix = freshPrefix()
    const children = [0, 1].map(() => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childSource], {
        cwd: here,
        env: {
          ...process.env,
          RL_MODE: mode,
          RL_URL: REDIS_URL,
          RL_PREFIX: prefix,
          RL_N: String(n),
          RL_REDIS_MODULE: pathToFileURL(`${here}rate-limiter.ts`).href,
          RL_MEMORY_MODULE: pathToFileURL(`${here}../../ratelimit/memory.ts`).href,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      })
      let out = ''
      let err = ''
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          if (out.startsWith('ready\n')) resolve()
        })
        child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${err}`)))
      })
      const done = new Promise<number>((resolve, reject) => {
        child.on('exit', (code) => {
          if (code !== 0) return reject(new Error(`child exited with ${code}: ${err}`))
          const line = out.split('\n').find((l) => l.startsWith('{'))
          if (line === undefined) return reject(new Error(`no result from child: ${out} ${err}`))
          resolve((JSON.parse(line) as { allowed: number }).allowed)
        })
      })
      return { child, ready, done }
    })
    await Promise.all(children.map((c) => c.ready))
    for (const c of children) c.child.stdin.write('go\n')
    return Promise.all(children.map((c) => c.done))
  }

  it('two processes sending 2N requests against N/min get exactly N allowed in total', async () => {
    const n = 25
    const counts = await runTwoProcesses('redis', n)
    expect(counts[0]! + counts[1]!).toBe(n)
  }, 60_000)

  it('(control) with in-process limits the same two processes let 2N through', async () => {
    const n = 25
    const counts = await runTwoProcesses('memory', n)
    expect(counts).toEqual([n, n])
  }, 60_000)
})

describe.skipIf(!redisUp)('Redis rate limiter: keys', () => {
  it('writes one key per API key under the prefix, expiring when the state is back to fresh', async () => {
    const prefix = freshPrefix()
    const limiter = createRedisRateLimiter({ url: REDIS_URL, prefix })
    await limiter.consume('alpha', { limitPerMinute: 6, dailyQuota: null })
    await limiter.consume('beta', { limitPerMinute: 6, dailyQuota: 100 })
    expect((await admin!.keys(`${prefix}*`)).sort()).toEqual([`${prefix}alpha`, `${prefix}beta`])
    const rateTtl = await admin!.pttl(`${prefix}alpha`)
    // One request at 6/min is fresh again after 10 s (+1 s slack in the script).
    expect(rateTtl).toBeGreaterThan(9_000)
    expect(rateTtl).toBeLessThanOrEqual(11_000)
    // With a quota the day's count must live until the next UTC midnight (server clock).
    const [secs] = await admin!.time()
    const untilMidnight = 86_400_000 - ((Number(secs) * 1000) % 86_400_000)
    const quotaTtl = await admin!.pttl(`${prefix}beta`)
    expect(Math.abs(quotaTtl - Math.max(untilMidnight, 10_000) - 1_000)).toBeLessThan(3_000)
    await limiter.close()
  })
})

describe.skipIf(!redisUp)('Redis rate limiter: when Redis goes away', () => {
  it('fails closed by default: RAMPART_ERR_STORE (503) fast, and recovers by itself when Redis is back', async () => {
    const relay = await startRelay()
    const errors: string[] = []
    const limiter = createRedisRateLimiter({ url: relay.url, prefix: freshPrefix(), timeoutMs: 200, onError: (e) => errors.push(e.message) })
    await limiter.ready()
    expect((await limiter.consume('k', { limitPerMinute: 100, dailyQuota: null })).allowed).toBe(true)
    await expect(limiter.ping()).resolves.toBeUndefined()
    await relay.down()
    await expect(limiter.ping()).rejects.toMatchObject({ code: 'RAMPART_ERR_STORE' })
    const started = Date.now()
    const err = await limiter.consume('k', { limitPerMinute: 100, dailyQuota: null }).catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(err).toBeInstanceOf(RampartError)
    expect((err as RampartError).code).toBe('RAMPART_ERR_STORE')
    expect((err as RampartError).status).toBe(503)
    expect(errors.length).toBeGreaterThan(0)
    const back = await startRelay(relay.port)
    expect(await until(async () => (await limiter.consume('k', { limitPerMinute: 100, dailyQuota: null })).remaining === 98, 10_000)).toBe(true)
    await limiter.close()
    await back.down()
  }, 20_000)

  it('fails closed within timeoutMs when Redis hangs instead of refusing', async () => {
    const relay = await startRelay()
    const limiter = createRedisRateLimiter({ url: relay.url, prefix: freshPrefix(), timeoutMs: 150 })
    await limiter.ready()
    relay.hang()
    const started = Date.now()
    const err = await limiter.consume('k', { limitPerMinute: 100, dailyQuota: null }).catch((e: unknown) => e)
    const waited = Date.now() - started
    expect((err as RampartError).code).toBe('RAMPART_ERR_STORE')
    expect(waited).toBeGreaterThanOrEqual(140)
    expect(waited).toBeLessThan(1000)
    await limiter.close()
    await relay.down()
  })

  it("fail-open falls back to this process's own limits, never to no limit", async () => {
    const relay = await startRelay()
    const limiter = createRedisRateLimiter({ url: relay.url, prefix: freshPrefix(), timeoutMs: 200, failMode: 'open' })
    await limiter.ready()
    expect((await limiter.consume('k', { limitPerMinute: 3, dailyQuota: null })).remaining).toBe(2)
    await relay.down()
    await expect(limiter.ping()).resolves.toBeUndefined()
    const during = []
    for (let i = 0; i < 5; i++) during.push((await limiter.consume('k', { limitPerMinute: 3, dailyQuota: null })).allowed)
    expect(during).toEqual([true, true, true, false, false])
    await limiter.close()
  })

  it('createRateLimiter: memory without a URL; with an unreachable URL it refuses to start unless fail-open', async () => {
    const relay = await startRelay()
    const deadPort = relay.port
    await relay.down()
    const memory = await createRateLimiter()
    expect((await memory.consume('k', { limitPerMinute: 1, dailyQuota: null })).allowed).toBe(true)
    await memory.close()
    const err = await createRateLimiter({ redisUrl: `redis://127.0.0.1:${deadPort}`, redisTimeoutMs: 100 }).catch((e: unknown) => e)
    expect((err as RampartError).code).toBe('RAMPART_ERR_STORE')
    const open = await createRateLimiter({ redisUrl: `redis://127.0.0.1:${deadPort}`, redisTimeoutMs: 100, failMode: 'open', onError: () => undefined })
    expect((await open.consume('k', { limitPerMinute: 1, dailyQuota: null })).allowed).toBe(true)
    expect((await open.consume('k', { limitPerMinute: 1, dailyQuota: null })).allowed).toBe(false)
    await open.close()
  })
})
