import { createHmac, timingSafeEqual } from 'node:crypto'
import { RampartError } from '../core/errors.js'

/**
 * Webhook signatures, Stripe-style: `x-rampart-signature: t=<unix seconds>,v1=<hex>` where the
 * hex is HMAC-SHA256(secret, `${t}.${raw body}`). Signing the timestamp with the body lets a
 * receiver refuse a captured request replayed later; several `v1=` entries let a sender sign
 * with an old and a new secret while receivers rotate.
 */

export const SIGNATURE_HEADER = 'x-rampart-signature'
/** How far a signature's timestamp may be from the receiver's clock, either way, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300

export type WebhookSecret = string | readonly string[]

function secretsOf(secret: WebhookSecret): readonly string[] {
  const list = typeof secret === 'string' ? [secret] : secret
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', 'a webhook secret must be a non-empty string', { path: 'webhook.secret' })
  }
  return list
}

function hmacHex(secret: string, timestamp: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')
}

/**
 * The signature header value for `body` (the exact bytes sent) at `timestamp` (unix seconds).
 * With several secrets, one `v1=` per secret.
 */
export function signWebhook(secret: WebhookSecret, timestamp: number, body: string | Uint8Array): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `webhook timestamp must be whole unix seconds, got ${String(timestamp)}`, { path: 'timestamp' })
  }
  return [`t=${timestamp}`, ...secretsOf(secret).map((s) => `v1=${hmacHex(s, timestamp, body)}`)].join(',')
}

export type WebhookVerification =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'malformed' | 'too_old' | 'too_new' | 'mismatch' }

export interface VerifyWebhookOptions {
  /** Largest accepted |now − t|, seconds (default 300). */
  toleranceSeconds?: number
  /** The receiver's clock, ms since the epoch (default `Date.now()`). */
  now?: number
}

const TIMESTAMP = /^\d{1,15}$/
const HEX_SHA256 = /^[0-9a-f]{64}$/

/**
 * Checks a received signature header against the raw body (before any JSON parsing). Accepts
 * when any `v1=` matches any of the secrets (constant-time compare) and the timestamp is within
 * the tolerance; unknown schemes (`v0=`, future `v2=`) are ignored.
 */
export function verifyWebhook(secret: WebhookSecret, header: string | undefined, body: string | Uint8Array, options: VerifyWebhookOptions = {}): WebhookVerification {
  const secrets = secretsOf(secret)
  if (typeof header !== 'string' || header.length > 4096) return { ok: false, reason: 'malformed' }
  let timestamp: number | undefined
  const signatures: Buffer[] = []
  for (const part of header.split(',')) {
    const eq = part.indexOf('=')
    if (eq <= 0) return { ok: false, reason: 'malformed' }
    const key = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (key === 't') {
      if (timestamp !== undefined || !TIMESTAMP.test(value)) return { ok: false, reason: 'malformed' }
      timestamp = Number(value)
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value)) return { ok: false, reason: 'malformed' }
      signatures.push(Buffer.from(value, 'hex'))
    }
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' }
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000)
  if (timestamp < nowSeconds - tolerance) return { ok: false, reason: 'too_old' }
  if (timestamp > nowSeconds + tolerance) return { ok: false, reason: 'too_new' }
  let match = false
  for (const s of secrets) {
    const expected = Buffer.from(hmacHex(s, timestamp, body), 'hex')
    // No early exit: the time taken does not tell which entry or secret matched.
    for (const sig of signatures) if (timingSafeEqual(expected, sig)) match = true
  }
  return match ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' }
}
