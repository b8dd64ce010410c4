import { randomUUID } from 'node:crypto'
import { RampartError } from '../core/errors.js'
import type { OutboxMessage, OutboxStore, Sealed } from '../store/types.js'
import { ALERT_CREATED } from './event.js'
import type { AlertNotification, WebhookEvent } from './event.js'
import type { Notifier } from './notifier.js'

/**
 * Webhook delivery through an outbox in the store: an alert is written there (sealed) before
 * anyone tries to send it, and leaves only when a receiver answered 2xx. A receiver that is down,
 * a crash mid-send or a restart lose nothing; the price is that a message may arrive twice
 * (at-least-once), so receivers deduplicate on the delivery id.
 */

/** What the dispatcher needs of `crypto/envelope.ts`'s Envelope. */
export interface PayloadSealer {
  seal(plaintext: string, aad: string): Promise<Sealed>
  open(sealed: Sealed, aad: string): Promise<string>
}

/** Binds a sealed payload to its outbox row, so a payload copied into another row does not open. */
export function outboxAad(id: string): string {
  return `outbox:${id}`
}

/**
 * `nextAttemptAt` of a message that used up `maxAttempts`: it stays in the outbox, undelivered and
 * counted by `countPending`, with `lastError` starting `dead after N attempts:`; it is never
 * claimed again unless an operator moves `nextAttemptAt` back.
 */
export const DEAD_LETTER_AT = '9999-12-31T23:59:59.999Z'

export interface BackoffOptions {
  /** Wait after the first failure, ms (default 2 000). */
  baseMs?: number
  /** Growth per failure (default 2). */
  factor?: number
  /** Longest wait, ms (default 600 000 = 10 min). */
  capMs?: number
  /** Fraction of each wait that is random, 0..1 (default 0.5: between half and all of it). */
  jitter?: number
}

/**
 * Wait before retrying after the `attempt`-th failed attempt (1-based): exponential, capped, with
 * part of it random so that receivers coming back up are not hit by every replica at once. With
 * jitter ≤ 0.5 and factor ≥ 2 the waits never shrink from one attempt to the next.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseMs ?? 2_000
  const factor = options.factor ?? 2
  const cap = options.capMs ?? 600_000
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5))
  const full = Math.min(cap, base * factor ** Math.max(0, attempt - 1))
  return Math.round(full * (1 - jitter * random()))
}

export interface DispatcherLogger {
  warn(obj: Record<string, unknown>, msg: string): void
  error(obj: Record<string, unknown>, msg: string): void
}

export interface OutboxDispatcherOptions {
  store: OutboxStore
  envelope: PayloadSealer
  /** Configured notifiers by name; a message's `target` names one. */
  notifiers: ReadonlyMap<string, Notifier>
  /** How often to look for due messages when idle, ms (default 1 000). New alerts do not wait for it. */
  pollMs?: number
  /** Messages claimed and sent (concurrently) per round (default 20). */
  batch?: number
  /**
   * How long a claimed message is reserved for this process, ms (default 60 000). A send is
   * aborted at 80 % of it, so another replica never sends while this one still might.
   */
  leaseMs?: number
  backoff?: BackoffOptions
  /** Attempts before a message is parked as dead (see DEAD_LETTER_AT); null (default) = retry forever. */
  maxAttempts?: number | null
  logger?: DispatcherLogger
  /** Clock, ms since the epoch (tests). */
  now?: () => number
  /** 0..1 source for the backoff jitter (tests). */
  random?: () => number
}

export interface DispatchRound {
  claimed: number
  delivered: number
  failed: number
}

export interface OutboxDispatcher {
  /** Polls and delivers in the background until `stop`. */
  start(): void
  /**
   * Stops polling and waits for sends in flight; with `flush` (default) it then keeps sending
   * what is due until nothing is left or `deadlineMs` (default 10 000) has passed. Sends still
   * running at the deadline are aborted and stay in the outbox for the next start.
   */
  stop(options?: { flush?: boolean; deadlineMs?: number }): Promise<DispatchRound>
  /** Writes one `alert.created` message per target into the outbox; returns the delivery ids. */
  enqueueAlert(alert: AlertNotification, targets: readonly string[]): Promise<string[]>
  /** Writes one message per target for any event type; returns the delivery ids. */
  enqueue(event: string, data: unknown, targets: readonly string[]): Promise<string[]>
  /** One round: claims what is due and tries each once (the loop calls this; so can a CLI). */
  dispatchDue(): Promise<DispatchRound>
}

const MAX_ERROR_CHARS = 1000

export function createOutboxDispatcher(options: OutboxDispatcherOptions): OutboxDispatcher {
  const { store, envelope, notifiers } = options
  const pollMs = options.pollMs ?? 1_000
  const batch = options.batch ?? 20
  const leaseMs = options.leaseMs ?? 60_000
  const maxAttempts = options.maxAttempts ?? null
  const now = options.now ?? Date.now
  const random = options.random ?? Math.random
  const logger = options.logger
  if (!Number.isInteger(batch) || batch < 1) throw new RampartError('RAMPART_ERR_CONFIG_INVALID', 'outbox batch must be an integer ≥ 1', { path: 'outbox.batch' })
  if (!(leaseMs > 0)) throw new RampartError('RAMPART_ERR_CONFIG_INVALID', 'outbox leaseMs must be > 0', { path: 'outbox.leaseMs' })
  if (maxAttempts !== null && (!Number.isInteger(maxAttempts) || maxAttempts < 1)) {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', 'outbox maxAttempts must be null or an integer ≥ 1', { path: 'outbox.maxAttempts' })
  }
  const iso = (ms: number) => new Date(ms).toISOString()

  let state: 'idle' | 'running' | 'stopping' = 'idle'
  let timer: NodeJS.Timeout | undefined
  let pass: Promise<void> | undefined
  let again = false
  let shutdown = new AbortController()

  async function deliver(message: OutboxMessage): Promise<boolean> {
    // Stores count the attempt when they hand the message out (a crash mid-send still counts).
    const attempt = message.attempts
    try {
      const notifier = notifiers.get(message.target)
      if (notifier === undefined) throw new Error(`no notifier named "${message.target}" is configured`)
      const body = await envelope.open(message.payload, outboxAad(message.id))
      const signal = AbortSignal.any([shutdown.signal, AbortSignal.timeout(Math.max(1, Math.floor(leaseMs * 0.8)))])
      await notifier.send({ deliveryId: message.id, event: message.event, body, attempt }, signal)
    } catch (err) {
      const reason = (err as Error).message.slice(0, MAX_ERROR_CHARS)
      const dead = maxAttempts !== null && attempt >= maxAttempts
      const next = dead ? DEAD_LETTER_AT : iso(now() + backoffDelayMs(attempt, options.backoff, random))
      const log = { deliveryId: message.id, target: message.target, event: message.event, attempt, nextAttemptAt: next, err: reason }
      if (dead) logger?.error(log, 'webhook delivery gave up; the message stays in the outbox as dead')
      else logger?.warn(log, 'webhook delivery failed; will retry')
      // If this write fails too, the lease runs out and the message is claimed again: still not lost.
      await store.markFailed(message.id, dead ? `dead after ${attempt} attempts: ${reason}` : reason, next).catch((e: unknown) => logger?.error({ deliveryId: message.id, err: (e as Error).message }, 'could not record a failed webhook delivery'))
      return false
    }
    // A failure here means the receiver got it but we could not record it: it will be sent again (at-least-once).
    await store.markDelivered(message.id, iso(now())).catch((e: unknown) => logger?.error({ deliveryId: message.id, err: (e as Error).message }, 'could not record a webhook delivery; it will be sent again'))
    return true
  }

  async function dispatchDue(): Promise<DispatchRound> {
    const at = now()
    const messages = await store.claimDue(iso(at), iso(at + leaseMs), batch)
    const outcomes = await Promise.all(messages.map(deliver))
    const delivered = outcomes.filter(Boolean).length
    return { claimed: messages.length, delivered, failed: messages.length - delivered }
  }

  function schedule(ms: number): void {
    clearTimeout(timer)
    timer = setTimeout(runPass, ms)
    // The dispatcher alone must not keep a process alive; the gateway's server does.
    timer.unref()
  }

  function runPass(): void {
    timer = undefined
    if (state !== 'running') return
    if (pass !== undefined) {
      again = true
      return
    }
    again = false
    pass = (async () => {
      // A full batch means there may be more due right now: keep going without waiting.
      while (state === 'running' && (await dispatchDue()).claimed === batch);
    })()
      .catch((err: unknown) => logger?.error({ err: (err as Error).message }, 'webhook outbox round failed; retrying at the next poll'))
      .finally(() => {
        pass = undefined
        if (state === 'running') schedule(again ? 0 : pollMs)
      })
  }

  async function enqueue(event: string, data: unknown, targets: readonly string[]): Promise<string[]> {
    const unknown = targets.filter((t) => !notifiers.has(t))
    if (unknown.length > 0) {
      throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `unknown webhook target ${unknown.map((t) => `"${t}"`).join(', ')}; configured: ${[...notifiers.keys()].join(', ') || '(none)'}`, { path: 'targets' })
    }
    const ids: string[] = []
    for (const target of targets) {
      const id = randomUUID()
      const createdAt = iso(now())
      const body: WebhookEvent = { id, type: event, createdAt, data }
      const payload = await envelope.seal(JSON.stringify(body), outboxAad(id))
      await store.enqueue({ id, createdAt, target, event, payload, nextAttemptAt: createdAt })
      ids.push(id)
    }
    if (ids.length > 0 && state === 'running') {
      if (pass !== undefined) again = true
      else schedule(0)
    }
    return ids
  }

  return {
    start() {
      if (state === 'running') return
      if (state === 'stopping') throw new RampartError('RAMPART_ERR_CONFIG_INVALID', 'the outbox dispatcher is stopping; start it again after stop() resolves')
      shutdown = new AbortController()
      state = 'running'
      schedule(0)
    },

    async stop({ flush = true, deadlineMs = 10_000 } = {}) {
      const total: DispatchRound = { claimed: 0, delivered: 0, failed: 0 }
      if (state !== 'running') return total
      state = 'stopping'
      clearTimeout(timer)
      timer = undefined
      const deadline = Date.now() + deadlineMs
      const killer = setTimeout(() => shutdown.abort(new Error('dispatcher stopped: shutdown deadline reached')), deadlineMs)
      try {
        await pass
        while (flush && !shutdown.signal.aborted && Date.now() < deadline) {
          const round = await dispatchDue().catch((err: unknown) => {
            logger?.error({ err: (err as Error).message }, 'webhook outbox flush failed; undelivered messages stay in the outbox')
            return undefined
          })
          if (round === undefined) break
          total.claimed += round.claimed
          total.delivered += round.delivered
          total.failed += round.failed
          if (round.claimed < batch) break
        }
      } finally {
        clearTimeout(killer)
        state = 'idle'
      }
      return total
    },

    enqueue,
    enqueueAlert: (alert, targets) => enqueue(ALERT_CREATED, { alert }, targets),
    dispatchDue,
  }
}
