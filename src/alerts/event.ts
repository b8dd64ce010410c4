import type { AlertRecord } from '../store/types.js'

/**
 * An alert as a webhook receiver sees it: the stored record with its excerpt opened. The
 * excerpt was redacted of PII and secrets before it was sealed, but it still quotes the prompt,
 * which is why outbox payloads are sealed at rest.
 */
export type AlertNotification = Omit<AlertRecord, 'excerpt'> & { excerpt: string | null }

export const ALERT_CREATED = 'alert.created'

/**
 * The JSON body of every delivery. `id` is the delivery id (also `x-rampart-delivery`): stable
 * across retries of the same delivery, so receivers deduplicate on it. `id` and `type` are in
 * the body, not only in headers, because only the body is signed.
 */
export interface WebhookEvent<T = unknown> {
  id: string
  type: string
  /** When the event was enqueued (ISO-8601 UTC), not when this attempt was sent. */
  createdAt: string
  data: T
}
