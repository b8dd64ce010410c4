/**
 * The chat proxy's memory of messages it has already judged.
 *
 * A chat client sends the whole conversation on every turn: turn n carries the system prompt
 * and the n − 1 messages the proxy has scanned before. Scanning them again costs O(n²) over a
 * conversation, and a message that was flagged would raise a new alert on every later turn —
 * the team would see one prompt as twenty incidents. So the verdict of each scanned message is
 * kept, per guard (a policy version) and tenant, keyed by the SHA-256 of its exact text: the
 * same text under the same policy gets the same verdict (scanning is deterministic), the
 * redaction is applied again, and the alert raised the first time is named instead of a new one.
 *
 * Blocked messages are not kept: they were never answered, so they are not history, and a retry
 * is a new attempt that is scanned and alerted again.
 *
 * Bounded: at most `maxEntries` verdicts per process (least recently used dropped first), texts
 * over `maxChars` are not kept, and only redacted texts are stored (other verdicts keep the
 * findings alone). Per process: a replica that has not seen a message scans it (and alerts) once.
 */
import { hash } from 'node:crypto'
import type { Action, Finding } from '../core/types.js'
import type { Guard } from '../guard.js'

export interface RememberedVerdict {
  decision: Action
  findings: Finding[]
  /** The redacted text, kept only when the decision is `redact`. */
  redacted?: string
  /** The alert raised when the message was first seen, if any. */
  alertId?: string
}

/**
 * The verdict remembered for every allowed message. A hit on an allowed message only skips the
 * scan (its allow-level findings are not reported again), so one shared object does; an entry
 * outlives several young-generation GCs (10 000 entries last ~20 s at 500 requests/s) and each
 * object it holds is promoted, so a verdict and findings array per entry were ~90 of its ~380 bytes.
 */
export const ALLOWED: RememberedVerdict = Object.freeze({ decision: 'allow', findings: Object.freeze([]) as unknown as Finding[] })

export interface HistoryCacheOptions {
  maxEntries?: number
  maxChars?: number
}

export class HistoryCache {
  private readonly maxEntries: number
  private readonly maxChars: number
  // One LRU for the process (Map keeps insertion order; a hit is moved to the end).
  private readonly entries = new Map<string, RememberedVerdict>()
  private readonly guardIds = new WeakMap<Guard, number>()
  private nextGuardId = 1
  hits = 0
  misses = 0

  constructor(options: HistoryCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000
    this.maxChars = options.maxChars ?? 16_384
  }

  /** The key of a text for a guard and tenant, or undefined when the text is too long to keep. */
  key(guard: Guard, tenant: string, text: string): string | undefined {
    if (text.length > this.maxChars) return undefined
    let id = this.guardIds.get(guard)
    if (id === undefined) {
      id = this.nextGuardId++
      this.guardIds.set(guard, id)
    }
    // crypto.hash, not createHash(): each Hash is a native object behind a weak handle, and
    // finalizing ~2 of them per proxied request (here and in auth) was a visible part of every
    // scavenge's pause (heap.external_weak_global_handles in --trace-gc-nvp).
    return `${id}\u0000${tenant}\u0000${hash('sha256', text, 'base64')}`
  }

  get(key: string): RememberedVerdict | undefined {
    const v = this.entries.get(key)
    if (v === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    this.entries.delete(key)
    this.entries.set(key, v)
    return v
  }

  set(key: string, verdict: RememberedVerdict): void {
    this.entries.delete(key)
    this.entries.set(key, verdict)
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!)
  }

  get size(): number {
    return this.entries.size
  }
}
