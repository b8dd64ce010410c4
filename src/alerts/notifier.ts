import { request } from 'undici'
import { RampartError } from '../core/errors.js'
import { SIGNATURE_HEADER, signWebhook } from './signing.js'
import type { WebhookSecret } from './signing.js'

/** One delivery attempt as notifiers get it. */
export interface NotifierMessage {
  /** Delivery id, the same on every retry (`x-rampart-delivery`). */
  deliveryId: string
  /** `alert.created`… (`x-rampart-event`). */
  event: string
  /** The JSON body, sent byte for byte as given (the signature covers these bytes). */
  body: string
  /** 1 for the first attempt. */
  attempt: number
}

/**
 * Where notifications go. `send` resolves once the receiver has taken the message and rejects
 * otherwise; the outbox retries rejected sends, so `send` itself never retries.
 */
export interface Notifier {
  readonly id: string
  send(message: NotifierMessage, signal?: AbortSignal): Promise<void>
}

export class DeliveryError extends Error {
  /** The receiver's HTTP status, when it answered. */
  readonly status: number | undefined
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DeliveryError'
    this.status = status
  }
}

export interface WebhookNotifierOptions {
  /** The webhook's name in the configuration (outbox messages name their target by it); the notifier's id. */
  name: string
  /** `https://…` (or `http://…`, e.g. inside a private network). */
  url: string
  /** HMAC key(s): one, or [new, old] while receivers rotate. */
  secret: WebhookSecret
  /** Whole attempt (connect, send, answer), ms; default 10 000. */
  timeoutMs?: number
  /** Extra headers (e.g. a receiver's own auth token). */
  headers?: Record<string, string>
  /** Clock for the signature timestamp, ms (tests). */
  now?: () => number
}

/**
 * POSTs the body signed (`x-rampart-signature`). Only a 2xx counts as delivered; redirects are
 * not followed (a 3xx is a failure, so a moved receiver shows up in `lastError`).
 */
export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier {
  let url: URL
  try {
    url = new URL(options.url)
  } catch (err) {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `webhook ${options.name}: url is not a URL`, { path: `webhooks.${options.name}.url`, cause: err })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `webhook ${options.name}: url must be http(s), got ${url.protocol}`, { path: `webhooks.${options.name}.url` })
  }
  // Fails now, at configuration time, on an empty secret rather than on the first alert.
  signWebhook(options.secret, 0, '')
  const timeoutMs = options.timeoutMs ?? 10_000
  const now = options.now ?? Date.now

  return {
    id: options.name,
    async send(message, signal) {
      const timestamp = Math.floor(now() / 1000)
      const timeout = AbortSignal.timeout(timeoutMs)
      let status: number
      try {
        const res = await request(url, {
          method: 'POST',
          headers: {
            ...options.headers,
            'content-type': 'application/json',
            'user-agent': 'rampart-webhooks/1',
            'x-rampart-event': message.event,
            'x-rampart-delivery': message.deliveryId,
            'x-rampart-attempt': String(message.attempt),
            [SIGNATURE_HEADER]: signWebhook(options.secret, timestamp, message.body),
          },
          body: message.body,
          signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
        })
        status = res.statusCode
        // The answer is not used, but an unread body would hold the connection.
        await res.body.dump({ limit: 64 * 1024 })
      } catch (err) {
        const reason = timeout.aborted ? `timed out after ${timeoutMs} ms` : (err as Error).message
        throw new DeliveryError(`webhook ${options.name}: ${reason}`, undefined, { cause: err })
      }
      if (status < 200 || status > 299) throw new DeliveryError(`webhook ${options.name}: receiver answered HTTP ${status}`, status)
    },
  }
}

/** What the log notifier needs: pino's `info(obj, msg)`. */
export interface NotifierLogger {
  info(obj: Record<string, unknown>, msg: string): void
}

/**
 * Writes a line per notification. It logs what identifies and ranks the alert, never the
 * excerpt or the findings' spans: logs are kept with less care than the sealed outbox.
 */
export function createLogNotifier(options: { name?: string; logger: NotifierLogger }): Notifier {
  const id = options.name ?? 'log'
  return {
    id,
    send(message) {
      let alert: Record<string, unknown> = {}
      try {
        const event = JSON.parse(message.body) as { data?: { alert?: Record<string, unknown> } }
        alert = event.data?.alert ?? {}
      } catch {
        // An unparseable body is still worth a line; the delivery id finds it in the outbox.
      }
      const findings = Array.isArray(alert.findings) ? alert.findings.length : undefined
      options.logger.info(
        {
          notifier: id,
          event: message.event,
          deliveryId: message.deliveryId,
          alertId: alert.id,
          tenant: alert.tenant,
          severity: alert.severity,
          decision: alert.decision,
          scanners: alert.scanners,
          findings,
          requestId: alert.requestId,
        },
        'rampart alert',
      )
      return Promise.resolve()
    },
  }
}
