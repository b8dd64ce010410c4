import { useCallback, useEffect, useState } from 'preact/hooks'
import { reasonOf } from '../format.js'
import { useNewAlerts } from '../live.js'
import type { AlertView } from '../types.js'
import { WarningIcon } from './icons.js'
import { DecisionBadge, SeverityBadge } from './ui.js'

const SHOWN_MS = 15_000

/**
 * New alerts pop up on whatever page the operator is on (not on the feed itself, which shows
 * them): a warning symbol, the severity, what was caught, a link to it. High and critical ones are
 * announced assertively to screen readers.
 */
export function AlertToasts({ onAlertsPage }: { onAlertsPage: boolean }) {
  const [toasts, setToasts] = useState<AlertView[]>([])
  const dismiss = (id: string) => setToasts((t) => t.filter((a) => a.id !== id))
  useNewAlerts(
    useCallback(
      (alert: AlertView) => {
        if (onAlertsPage) return
        setToasts((t) => [alert, ...t.filter((a) => a.id !== alert.id)].slice(0, 3))
        setTimeout(() => setToasts((t) => t.filter((a) => a.id !== alert.id)), SHOWN_MS)
      },
      [onAlertsPage],
    ),
  )
  useEffect(() => {
    if (onAlertsPage) setToasts([])
  }, [onAlertsPage])
  return (
    <div class="toasts" aria-label="New alerts">
      {toasts.map((a) => (
        <div key={a.id} class={`toast sev-edge-${a.severity}`} role={a.severity === 'critical' || a.severity === 'high' ? 'alert' : 'status'}>
          <span class={`sev-text-${a.severity}`}>
            <WarningIcon label={`new ${a.severity} alert`} />
          </span>
          <div class="toast-body">
            <div class="feed-top">
              <SeverityBadge severity={a.severity} />
              <DecisionBadge decision={a.decision} />
            </div>
            <a href={`#/alerts/${encodeURIComponent(a.id)}`} onClick={() => dismiss(a.id)}>
              {reasonOf(a)}
            </a>
          </div>
          <button type="button" class="btn btn-ghost btn-small" aria-label="Dismiss" onClick={() => dismiss(a.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
