import type { CaptureService, OpenedCapture } from '../monitor/capture.js'
import type { CaptureStore } from '../store/types.js'

/** Model id of stored shadow disagreements (gateway/shadow.ts); a replay of traffic leaves them out. */
export const SHADOW_MODEL_ID = 'rampart-shadow'

export interface CaptureWindow {
  tenant: string
  /** Inclusive, on the time the gateway stored the capture. */
  since: string
  /** Exclusive. */
  until: string
  /** One model's captures (`rampart-guard` for guard API captures); every model's when absent. */
  modelId?: string
}

/**
 * The captures of a window, oldest first, read page by page and opened one at a time. A capture
 * whose payload does not open (another key ring, a damaged row) is yielded as `{ unreadable }`
 * so the caller counts it instead of stopping; shadow records are left out unless asked for.
 */
export async function* storedCaptures(
  store: CaptureStore,
  captures: Pick<CaptureService, 'open'>,
  window: CaptureWindow,
  options: { pageSize?: number; onUnreadable?: (id: string, error: Error) => void } = {},
): AsyncGenerator<OpenedCapture | { unreadable: true }> {
  let cursor: string | undefined
  do {
    const page = await store.listCaptures({
      tenant: window.tenant,
      receivedSince: window.since,
      receivedUntil: window.until,
      limit: options.pageSize ?? 500,
      ...(window.modelId === undefined ? {} : { modelId: window.modelId }),
      ...(cursor === undefined ? {} : { cursor }),
    })
    for (const record of page.items) {
      if (window.modelId !== SHADOW_MODEL_ID && record.modelId === SHADOW_MODEL_ID) continue
      try {
        yield await captures.open(record)
      } catch (error) {
        options.onUnreadable?.(record.inferenceId, error as Error)
        yield { unreadable: true }
      }
    }
    cursor = page.nextCursor
  } while (cursor !== undefined)
}
