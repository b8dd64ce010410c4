import { createRedisRateLimiter } from '../store/redis/rate-limiter.js'
import type { RedisFailMode } from '../store/redis/rate-limiter.js'
import { createMemoryRateLimiter } from './memory.js'
import type { RateLimiter } from './types.js'

export type { ConsumeOptions, RateLimiter, RateLimitResult } from './types.js'
export { createMemoryRateLimiter } from './memory.js'
export { createRedisRateLimiter } from '../store/redis/rate-limiter.js'

export interface CreateRateLimiterOptions {
  /** When set, limits live in Redis and are shared by every replica; otherwise in this process. */
  redisUrl?: string
  /** Redis only; see `RedisRateLimiterOptions`. */
  redisPrefix?: string
  redisTimeoutMs?: number
  failMode?: RedisFailMode
  onError?: (err: Error) => void
  /** In-process only: most keys held (default 100 000). */
  maxKeys?: number
}

/**
 * Picks the backend. With Redis it connects first, so a wrong URL fails at boot with
 * RAMPART_ERR_STORE — unless `failMode` is `open`, where the gateway starts on local limits
 * and moves to Redis when it answers.
 */
export async function createRateLimiter(options: CreateRateLimiterOptions = {}): Promise<RateLimiter> {
  if (options.redisUrl === undefined || options.redisUrl === '') {
    return createMemoryRateLimiter({ maxKeys: options.maxKeys })
  }
  const limiter = createRedisRateLimiter({
    url: options.redisUrl,
    prefix: options.redisPrefix,
    timeoutMs: options.redisTimeoutMs,
    failMode: options.failMode,
    onError: options.onError,
  })
  try {
    await limiter.ready()
  } catch (err) {
    if (options.failMode !== 'open') {
      await limiter.close()
      throw err
    }
    options.onError?.(err as Error)
  }
  return limiter
}
