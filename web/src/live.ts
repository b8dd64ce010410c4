import { useEffect, useState } from 'preact/hooks'
import type { AlertView } from './types.js'

export type LiveStatus = 'connecting' | 'live' | 'retrying'

type Listener = (alert: AlertView) => void

/**
 * One Server-Sent Events connection per tab (`GET /v1/alerts/stream`), opened once signed in and
 * shared by the shell (toasts, the nav badge) and the alerts page (the feed). EventSource
 * reconnects by itself and resumes from the last alert (Last-Event-ID).
 */
class AlertStream {
  private source: EventSource | undefined
  private readonly listeners = new Set<Listener>()
  private readonly statusListeners = new Set<(s: LiveStatus) => void>()
  status: LiveStatus = 'connecting'

  start(): void {
    if (this.source !== undefined) return
    const source = new EventSource('/v1/alerts/stream')
    this.source = source
    source.onopen = () => this.setStatus('live')
    source.onerror = () => this.setStatus('retrying')
    source.addEventListener('alert', (e) => {
      const alert = JSON.parse((e as MessageEvent<string>).data) as AlertView
      for (const l of this.listeners) l(alert)
    })
  }

  stop(): void {
    this.source?.close()
    this.source = undefined
    this.setStatus('connecting')
  }

  private setStatus(s: LiveStatus): void {
    this.status = s
    for (const l of this.statusListeners) l(s)
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  onStatus(listener: (s: LiveStatus) => void): () => void {
    this.statusListeners.add(listener)
    return () => this.statusListeners.delete(listener)
  }
}

export const alertStream = new AlertStream()

export function useLiveStatus(): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>(alertStream.status)
  useEffect(() => alertStream.onStatus(setStatus), [])
  return status
}

export function useNewAlerts(listener: Listener): void {
  useEffect(() => alertStream.subscribe(listener), [listener])
}
