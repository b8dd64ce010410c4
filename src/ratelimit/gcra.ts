import { RampartError } from '../core/errors.js'
import type { ConsumeOptions, RateLimitResult } from './types.js'

/**
 * The arithmetic both backends share. Rates use GCRA (the generic cell rate algorithm, the
 * "virtual scheduling" form of a token bucket): one number per key, the theoretical arrival
 * time (TAT) of the next request. It is exact (no window-boundary double burst as with fixed
 * windows, no approximation as with sliding-window counters), O(1) in time and memory, and
 * fits in one Redis hash written by one Lua script. Times are integer microseconds so the
 * per-request interval is exact to the microsecond and stays below 2^53 for centuries.
 */

export const US_PER_MINUTE = 60_000_000
export const US_PER_DAY = 86_400_000_000

/** Spacing between requests at the sustained rate (µs); `limit` requests fit in one minute. */
export function emissionIntervalUs(limitPerMinute: number): number {
  return Math.floor(US_PER_MINUTE / limitPerMinute)
}

export function validateConsumeOptions(opts: ConsumeOptions): void {
  const { limitPerMinute, dailyQuota } = opts
  if (!Number.isInteger(limitPerMinute) || limitPerMinute < 1 || limitPerMinute > US_PER_MINUTE) {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `limitPerMinute must be an integer from 1 to ${US_PER_MINUTE}, got ${String(limitPerMinute)}`, { path: 'limitPerMinute' })
  }
  if (dailyQuota !== null && (!Number.isInteger(dailyQuota) || dailyQuota < 0)) {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `dailyQuota must be null or an integer ≥ 0, got ${String(dailyQuota)}`, { path: 'dailyQuota' })
  }
}

/** One key's state. Mutated in place by `consumeCell` (no allocation on the hot path). */
export interface GcraCell {
  /** Theoretical arrival time of the next request, µs since the epoch. */
  tatUs: number
  /** The UTC day number (days since the epoch) `used` counts for. */
  day: number
  /** Requests allowed on `day`. */
  used: number
}

/** What one consume decided, in the backends' common raw form (the Lua script returns the same). */
export interface GcraOutcome {
  allowed: boolean
  reason: 'rate' | 'quota' | undefined
  rateRemaining: number
  /** µs until the rate allowance is full again. */
  rateResetUs: number
  /** When denied by rate: µs until one request fits. */
  retryUs: number
  /** -1 when there is no quota. */
  quotaRemaining: number
  /** µs until the next UTC midnight. */
  quotaResetUs: number
}

/**
 * Applies one request at `nowUs` to `cell`. Keep in step with the Lua script in
 * `store/redis/rate-limiter.ts`; the shared semantics test runs both.
 */
export function consumeCell(cell: GcraCell, nowUs: number, limitPerMinute: number, dailyQuota: number | null): GcraOutcome {
  const interval = emissionIntervalUs(limitPerMinute)
  const window = interval * limitPerMinute
  // A wall clock that jumped backwards would leave TAT far ahead and lock the key out for the
  // jump; clamping (and keeping the clamp) bounds that to one normal refill.
  if (cell.tatUs > nowUs + window) cell.tatUs = nowUs + window
  const tat = Math.max(cell.tatUs, nowUs)
  const day = Math.floor(nowUs / US_PER_DAY)
  const used = cell.day === day ? cell.used : 0
  const quotaResetUs = (day + 1) * US_PER_DAY - nowUs
  if (dailyQuota !== null && used >= dailyQuota) {
    return { allowed: false, reason: 'quota', rateRemaining: 0, rateResetUs: tat - nowUs, retryUs: 0, quotaRemaining: 0, quotaResetUs }
  }
  const newTat = tat + interval
  const allowAt = newTat - window
  if (allowAt > nowUs) {
    return { allowed: false, reason: 'rate', rateRemaining: 0, rateResetUs: tat - nowUs, retryUs: allowAt - nowUs, quotaRemaining: dailyQuota === null ? -1 : dailyQuota - used, quotaResetUs }
  }
  cell.tatUs = newTat
  cell.day = day
  cell.used = used + 1
  return {
    allowed: true,
    reason: undefined,
    rateRemaining: Math.floor((nowUs + window - newTat) / interval),
    rateResetUs: newTat - nowUs,
    retryUs: 0,
    quotaRemaining: dailyQuota === null ? -1 : dailyQuota - used - 1,
    quotaResetUs,
  }
}

/** Turns the raw outcome into the public result: the binding limit's figures, rounded up to whole ms/s. */
export function toRateLimitResult(o: GcraOutcome, limitPerMinute: number, dailyQuota: number | null): RateLimitResult {
  if (o.reason === 'quota') {
    return { allowed: false, reason: 'quota', remaining: 0, limit: dailyQuota ?? 0, resetMs: Math.ceil(o.quotaResetUs / 1000), retryAfterSeconds: Math.max(1, Math.ceil(o.quotaResetUs / 1e6)) }
  }
  if (o.reason === 'rate') {
    return { allowed: false, reason: 'rate', remaining: 0, limit: limitPerMinute, resetMs: Math.ceil(o.rateResetUs / 1000), retryAfterSeconds: Math.max(1, Math.ceil(o.retryUs / 1e6)) }
  }
  if (dailyQuota !== null && o.quotaRemaining < o.rateRemaining) {
    return { allowed: true, remaining: o.quotaRemaining, limit: dailyQuota, resetMs: Math.ceil(o.quotaResetUs / 1000) }
  }
  return { allowed: true, remaining: o.rateRemaining, limit: limitPerMinute, resetMs: Math.ceil(o.rateResetUs / 1000) }
}

/** Milliseconds → integer microseconds. */
export function msToUs(ms: number): number {
  return Math.floor(ms * 1000)
}
