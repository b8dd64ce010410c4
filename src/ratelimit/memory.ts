import { consumeCell, msToUs, toRateLimitResult, US_PER_DAY, validateConsumeOptions } from './gcra.js'
import type { GcraCell } from './gcra.js'
import type { ConsumeOptions, RateLimiter, RateLimitResult } from './types.js'

export interface MemoryRateLimiterOptions {
  /**
   * Most keys held at once (default 100 000). Idle keys are dropped long before this; past it an
   * arbitrary key is dropped and starts afresh, so set it above the number of API keys.
   */
  maxKeys?: number
}

interface Cell extends GcraCell {
  /** Whether the last call had a quota: then today's count must outlive the rate state. */
  hasQuota: boolean
}

/** Cells examined per consume: the sweep then passes over every key at least once per size/2 calls. */
const SWEEP_PER_CALL = 2

/**
 * In-process limiter: one GCRA cell per key in a Map. Each call also advances a round-robin
 * sweep over a couple of cells and drops those whose state equals a fresh cell's, so idle keys
 * cost nothing and no full sweep ever stalls the event loop. (A Map re-inserted on every use as
 * an LRU looks tempting but its deleted slots pile up at the front, and reading the first entry
 * then costs O(deletes) — measured 7-17 µs per call and growing.)
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions = {}): RateLimiter & { readonly size: number } {
  const maxKeys = options.maxKeys ?? 100_000
  const cells = new Map<string, Cell>()
  // Map iterators stay valid while entries are added and deleted, so one cursor goes round forever.
  let cursor = cells.entries()

  function nextCell(): [string, Cell] | undefined {
    let step = cursor.next()
    if (step.done === true) {
      cursor = cells.entries()
      step = cursor.next()
    }
    return step.done === true ? undefined : step.value
  }

  function sweep(nowUs: number, today: number): void {
    for (let i = 0; i < SWEEP_PER_CALL; i++) {
      const entry = nextCell()
      if (entry === undefined) return
      const cell = entry[1]
      if (cell.tatUs <= nowUs && (!cell.hasQuota || cell.used === 0 || cell.day !== today)) cells.delete(entry[0])
    }
  }

  function consumeNow(key: string, opts: ConsumeOptions): RateLimitResult {
    validateConsumeOptions(opts)
    const nowUs = msToUs(opts.now ?? Date.now())
    sweep(nowUs, Math.floor(nowUs / US_PER_DAY))
    let cell = cells.get(key)
    if (cell === undefined) {
      if (cells.size >= maxKeys) {
        const victim = nextCell()
        if (victim !== undefined) cells.delete(victim[0])
      }
      cell = { tatUs: 0, day: -1, used: 0, hasQuota: false }
      cells.set(key, cell)
    }
    cell.hasQuota = opts.dailyQuota !== null
    return toRateLimitResult(consumeCell(cell, nowUs, opts.limitPerMinute, opts.dailyQuota), opts.limitPerMinute, opts.dailyQuota)
  }

  return {
    get size() {
      return cells.size
    },
    consume(key, opts) {
      try {
        return Promise.resolve(consumeNow(key, opts))
      } catch (err) {
        return Promise.reject(err)
      }
    },
    close() {
      cells.clear()
      return Promise.resolve()
    },
  }
}
