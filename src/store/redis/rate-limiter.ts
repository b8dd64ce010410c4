import { Redis } from './ioredis.js'
import { RampartError } from '../../core/errors.js'
import { msToUs, toRateLimitResult, validateConsumeOptions } from '../../ratelimit/gcra.js'
import { createMemoryRateLimiter } from '../../ratelimit/memory.js'
import type { ConsumeOptions, RateLimiter, RateLimitResult } from '../../ratelimit/types.js'

/**
 * Rate and quota in ONE atomic script per request, so replicas racing on the same key never
 * both take the last token. The script mirrors `consumeCell` in `ratelimit/gcra.ts`.
 * The cell is one hash (t = TAT µs, d = UTC day, c = requests that day): one key per API key,
 * so the script is also valid on Redis Cluster. Time comes from the Redis server unless the
 * caller passes one, so replicas with skewed clocks still agree.
 */
const CONSUME_LUA = `
local limit = tonumber(ARGV[1])
local quota = tonumber(ARGV[2])
local now
if ARGV[3] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[3])
end
local interval = math.floor(60000000 / limit)
local window = interval * limit
local cell = redis.call('HMGET', KEYS[1], 't', 'd', 'c')
local tat = tonumber(cell[1]) or now
if tat > now + window then
  tat = now + window
  redis.call('HSET', KEYS[1], 't', string.format('%.0f', tat))
end
if tat < now then tat = now end
local day = math.floor(now / 86400000000)
local used = 0
if tonumber(cell[2]) == day then used = tonumber(cell[3]) or 0 end
local quotaReset = (day + 1) * 86400000000 - now
local quotaLeft = -1
if quota >= 0 then quotaLeft = quota - used end
if quota >= 0 and used >= quota then
  return {0, 2, 0, tat - now, 0, 0, quotaReset}
end
local newTat = tat + interval
local allowAt = newTat - window
if allowAt > now then
  return {0, 1, 0, tat - now, allowAt - now, quotaLeft, quotaReset}
end
used = used + 1
redis.call('HSET', KEYS[1], 't', string.format('%.0f', newTat), 'd', string.format('%.0f', day), 'c', used)
local ttl = newTat - now
if quota >= 0 and quotaReset > ttl then ttl = quotaReset end
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000) + 1000)
if quota >= 0 then quotaLeft = quotaLeft - 1 end
return {1, 0, math.floor((now + window - newTat) / interval), newTat - now, 0, quotaLeft, quotaReset}
`

/** What to do when Redis does not answer. */
export type RedisFailMode = 'closed' | 'open'

export interface RedisRateLimiterOptions {
  /** `redis://[user:pass@]host:port/db` or `rediss://…` (TLS). Ignored when `client` is given. */
  url?: string
  /** An ioredis client to use instead (not closed by `close()`). Should have `enableOfflineQueue: false`. */
  client?: Redis
  /** Key prefix, so several gateways (or tests) can share one Redis. Default `rampart:rl:`. */
  prefix?: string
  /** Longest wait for Redis per call, ms (default 250); past it the call counts as a failure. */
  timeoutMs?: number
  /**
   * `closed` (default): a call that cannot reach Redis rejects with RAMPART_ERR_STORE (503), so
   * no request passes unlimited. `open`: it falls back to an in-process limiter with the same
   * limits, per replica, until Redis answers again (the total may reach replicas × limit).
   */
  failMode?: RedisFailMode
  /** Told about each failed Redis call (for logs and metrics); the call then fails or falls back. */
  onError?: (err: Error) => void
}

type ScriptReply = [number, number, number, number, number, number, number]
type ConsumeClient = Redis & { rampartConsume(key: string, limit: string, quota: string, nowUs: string): Promise<ScriptReply> }

export interface RedisRateLimiter extends RateLimiter {
  /** Waits until the connection is up; rejects with RAMPART_ERR_STORE after `timeoutMs` × 8 (min 2 s). */
  ready(): Promise<void>
  ping(): Promise<void>
}

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RedisRateLimiter {
  const prefix = options.prefix ?? 'rampart:rl:'
  const timeoutMs = options.timeoutMs ?? 250
  const failMode = options.failMode ?? 'closed'
  if (options.client === undefined && options.url === undefined) {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', 'the Redis rate limiter needs a url or a client', { path: 'redisUrl' })
  }
  const owned = options.client === undefined
  const redis = (options.client ??
    new Redis(options.url as string, {
      lazyConnect: true,
      // Without these a Redis outage queues requests and holds them for seconds instead of failing fast.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: timeoutMs,
      connectTimeout: Math.max(2000, timeoutMs * 8),
    })) as ConsumeClient
  redis.defineCommand('rampartConsume', { numberOfKeys: 1, lua: CONSUME_LUA })
  // ioredis reconnects by itself; without a listener its connection errors would be thrown as unhandled.
  redis.on('error', (err: Error) => options.onError?.(err))
  const fallback = failMode === 'open' ? createMemoryRateLimiter() : undefined
  let connecting: Promise<void> | undefined

  function ready(): Promise<void> {
    if (redis.status === 'ready') return Promise.resolve()
    connecting ??= (async () => {
      try {
        if (redis.status === 'wait') await redis.connect()
        else await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`not connected after ${timeoutMs * 8} ms (status ${redis.status})`)), Math.max(2000, timeoutMs * 8))
          redis.once('ready', () => {
            clearTimeout(timer)
            resolve()
          })
        })
      } catch (err) {
        throw new RampartError('RAMPART_ERR_STORE', `rate limiter: Redis is unreachable: ${(err as Error).message}`, { cause: err })
      } finally {
        connecting = undefined
      }
    })()
    return connecting
  }

  async function consume(key: string, opts: ConsumeOptions): Promise<RateLimitResult> {
    validateConsumeOptions(opts)
    if (redis.status === 'wait') await ready().catch(() => undefined)
    let reply: ScriptReply
    try {
      reply = await redis.rampartConsume(prefix + key, String(opts.limitPerMinute), String(opts.dailyQuota ?? -1), opts.now === undefined ? '' : String(msToUs(opts.now)))
    } catch (err) {
      options.onError?.(err as Error)
      if (fallback !== undefined) return fallback.consume(key, opts)
      throw new RampartError('RAMPART_ERR_STORE', `rate limiter: Redis did not answer (${(err as Error).message}); the request is refused because the limiter fails closed`, { cause: err })
    }
    const [allowed, reason, rateRemaining, rateResetUs, retryUs, quotaRemaining, quotaResetUs] = reply
    return toRateLimitResult(
      { allowed: allowed === 1, reason: reason === 1 ? 'rate' : reason === 2 ? 'quota' : undefined, rateRemaining, rateResetUs, retryUs, quotaRemaining, quotaResetUs },
      opts.limitPerMinute,
      opts.dailyQuota,
    )
  }

  async function ping(): Promise<void> {
    try {
      await redis.ping()
    } catch (err) {
      // Failing open, this replica still serves (on local limits), so it stays ready.
      if (fallback !== undefined) return
      throw new RampartError('RAMPART_ERR_STORE', `rate limiter: Redis did not answer a ping (${(err as Error).message})`, { cause: err })
    }
  }

  return {
    ready,
    consume,
    ping,
    async close() {
      await fallback?.close()
      if (owned) redis.disconnect()
    },
  }
}
