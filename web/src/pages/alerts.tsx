import { useCallback, useEffect, useMemo, useState } from 'preact/hooks'
import { api, query } from '../api.js'
import { WarningIcon } from '../components/icons.js'
import { Card, DecisionBadge, Empty, ErrorBox, Loading, SeverityBadge } from '../components/ui.js'
import { ago, reasonOf, score, shortId, when } from '../format.js'
import { useApi } from '../hooks.js'
import { useLiveStatus, useNewAlerts } from '../live.js'
import type { AlertView, Finding, Page, Severity } from '../types.js'

const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low']
const WINDOWS: Record<string, number | undefined> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000, '30d': 2_592_000_000, all: undefined }
const SCANNERS = ['prompt_injection', 'pii', 'secrets', 'invisible_text', 'denied_topics', 'word_filter', 'length', 'prompt_leak', 'data_leak', 'shield', 'monitor']

interface Filters {
  window: string
  severity: string
  scanner: string
  status: string
  key: string
}

function matches(a: AlertView, f: Filters, since: string | undefined): boolean {
  return (
    (since === undefined || a.createdAt >= since) &&
    (f.severity === '' || a.severity === f.severity) &&
    (f.scanner === '' || a.scanners.includes(f.scanner)) &&
    (f.status === '' || (f.status === 'open') === (a.acknowledgedAt === null)) &&
    (f.key === '' || (a.keyId ?? '').includes(f.key.trim()))
  )
}


/** The feed: the newest alerts, then every new one as the gateway raises it (Server-Sent Events). */
export function AlertsPage({ tenant }: { tenant: string }) {
  const [f, setF] = useState<Filters>({ window: '24h', severity: '', scanner: '', status: '', key: '' })
  const [items, setItems] = useState<AlertView[]>([])
  const [cursor, setCursor] = useState<string | undefined>(undefined)
  const [fresh, setFresh] = useState<Set<string>>(new Set())
  const [error, setError] = useState<Error | undefined>(undefined)
  const [loading, setLoading] = useState(true)
  const live = useLiveStatus()
  const [announce, setAnnounce] = useState('')
  const since = useMemo(() => {
    const span = WINDOWS[f.window]
    return span === undefined ? undefined : new Date(Date.now() - span).toISOString()
  }, [f.window])
  const params = (c?: string) => query({ since, severity: f.severity, scanner: f.scanner, acknowledged: f.status === '' ? undefined : f.status === 'acknowledged', limit: 50, cursor: c })

  useEffect(() => {
    setLoading(true)
    api<Page<AlertView>>(`/v1/alerts${params()}`)
      .then((p) => {
        setItems(p.items)
        setCursor(p.nextCursor)
        setError(undefined)
      })
      .catch(setError)
      .finally(() => setLoading(false))
  }, [since, f.severity, f.scanner, f.status])

  useNewAlerts(
    useCallback((alert: AlertView) => {
      setItems((list) => (list.some((a) => a.id === alert.id) ? list : [alert, ...list]))
      setFresh((s) => new Set(s).add(alert.id))
      setAnnounce(`New ${alert.severity} alert: ${alert.decision} by ${reasonOf(alert)}`)
    }, []),
  )

  const shown = items.filter((a) => matches(a, f, since))
  const set = (k: keyof Filters) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value })
  const more = async () => {
    if (cursor === undefined) return
    const p = await api<Page<AlertView>>(`/v1/alerts${params(cursor)}`)
    setItems((list) => [...list, ...p.items.filter((a) => !list.some((b) => b.id === a.id))])
    setCursor(p.nextCursor)
  }

  return (
    <>
      <div class="page-head">
        <h1>Alerts</h1>
        <span class={`live live-${live}`} role="status">
          <span class="dot" aria-hidden="true" />
          {live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </span>
      </div>
      <div class="sr-only" aria-live="assertive">
        {announce}
      </div>
      <form class="filters" aria-label="Filter alerts" onSubmit={(e) => e.preventDefault()}>
        <label>
          Time
          <select value={f.window} onChange={set('window')}>
            <option value="1h">Last hour</option>
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
            <option value="30d">Last 30 days</option>
            <option value="all">All time</option>
          </select>
        </label>
        <AnyOf label="Severity" value={f.severity} options={SEVERITIES} onChange={set('severity')} />
        <AnyOf label="Scanner" value={f.scanner} options={SCANNERS} onChange={set('scanner')} />
        <label>
          Status
          <select value={f.status} onChange={set('status')}>
            <option value="">Any</option>
            <option value="open">Not acknowledged</option>
            <option value="acknowledged">Acknowledged</option>
          </select>
        </label>
        <div class="fixed-filter">
          <span>Tenant</span>
          <strong title="A key sees only its own tenant">{tenant}</strong>
        </div>
        <label>
          Key id
          <input type="search" value={f.key} onInput={set('key')} placeholder="any key" />
        </label>
      </form>
      <ErrorBox error={error} />
      {loading && items.length === 0 ? (
        <Loading />
      ) : shown.length === 0 ? (
        <Empty>No alerts match. New ones appear here as they are raised.</Empty>
      ) : (
        <ul class="feed" aria-label="Alerts, newest first">
          {shown.map((a) => (
            <li key={a.id} class={`feed-item sev-edge-${a.severity} ${fresh.has(a.id) ? 'fresh' : ''} ${a.acknowledgedAt === null ? '' : 'acked'}`}>
              <a href={`#/alerts/${encodeURIComponent(a.id)}`} class="feed-link">
                <span class={`feed-icon sev-text-${a.severity}`}>
                  <WarningIcon label={`${a.severity} alert`} />
                </span>
                <span class="feed-main">
                  <span class="feed-top">
                    <SeverityBadge severity={a.severity} />
                    <DecisionBadge decision={a.decision} />
                    <strong>{reasonOf(a)}</strong>
                    {a.acknowledgedAt === null ? null : <span class="badge ack">acknowledged</span>}
                  </span>
                  <span class="feed-excerpt">{a.excerpt}</span>
                  <span class="feed-meta muted">
                    <time dateTime={a.createdAt} title={when(a.createdAt)}>
                      {ago(a.createdAt)}
                    </time>{' '}
                    · {a.source} · {a.direction} · key <span class="mono">{a.keyId === null ? 'system' : shortId(a.keyId)}</span> · {a.tenant}
                  </span>
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
      {cursor === undefined ? null : (
        <button type="button" class="btn" onClick={() => void more().catch(setError)}>
          Load older alerts
        </button>
      )}
    </>
  )
}

const HIDDEN_DETAIL = new Set(['excerptStart', 'excerptEnd'])

/** The excerpt cut into segments at every finding boundary, each segment marked with the findings covering it. */
function highlight(excerpt: string, findings: Finding[]) {
  const spans = findings.flatMap((f, i) => {
    const s = f.detail?.excerptStart
    const e = f.detail?.excerptEnd
    return typeof s === 'number' && typeof e === 'number' && s < e ? [{ s, e, i }] : []
  })
  const cuts = [...new Set([0, excerpt.length, ...spans.flatMap((x) => [x.s, x.e])])].filter((c) => c >= 0 && c <= excerpt.length).sort((a, b) => a - b)
  const parts: { text: string; by: number[] }[] = []
  for (let k = 0; k + 1 < cuts.length; k++) {
    const from = cuts[k]!
    const to = cuts[k + 1]!
    parts.push({ text: excerpt.slice(from, to), by: spans.filter((x) => x.s <= from && x.e >= to).map((x) => x.i) })
  }
  return { parts, highlighted: spans.length }
}

export function AlertDetailPage({ id }: { id: string }) {
  const { data: alert, error, reload } = useApi<AlertView>(`/v1/alerts/${encodeURIComponent(id)}`)
  const [ackError, setAckError] = useState<Error | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  if (error !== undefined)
    return (
      <>
        <a href="#/alerts">← All alerts</a>
        <ErrorBox error={error} />
      </>
    )
  if (alert === undefined) return <Loading />
  const { parts, highlighted } = highlight(alert.excerpt, alert.findings)
  const ack = async () => {
    setBusy(true)
    try {
      await api(`/v1/alerts/${encodeURIComponent(alert.id)}/ack`, { method: 'POST' })
      reload()
    } catch (e) {
      setAckError(e as Error)
    } finally {
      setBusy(false)
    }
  }
  const findings = [...alert.findings].sort((a, b) => b.score - a.score)
  return (
    <>
      <a href="#/alerts" class="back">
        ← All alerts
      </a>
      <div class={`alert-hero sev-edge-${alert.severity}`}>
        <span class={`hero-icon sev-text-${alert.severity}`}>
          <WarningIcon label={`${alert.severity} alert`} />
        </span>
        <div>
          <h1>
            {alert.decision === 'block' ? 'Blocked' : alert.decision === 'redact' ? 'Redacted' : 'Flagged'}: {reasonOf(alert)}
          </h1>
          <div class="hero-badges">
            <SeverityBadge severity={alert.severity} />
            <DecisionBadge decision={alert.decision} />
            <span class="badge">{alert.direction}</span>
            <span class="badge">{alert.source}</span>
          </div>
        </div>
        <div class="hero-actions">
          {alert.acknowledgedAt === null ? (
            <button type="button" class="btn btn-primary" onClick={() => void ack()} disabled={busy}>
              {busy ? 'Acknowledging…' : 'Acknowledge'}
            </button>
          ) : (
            <p class="acked-note" role="status">
              Acknowledged {ago(alert.acknowledgedAt)} by <span class="mono">{alert.acknowledgedBy}</span>
            </p>
          )}
        </div>
      </div>
      <ErrorBox error={ackError} />
      <div class="grid-2 detail-grid">
        <Card title="What was caught" id="excerpt">
          <p class="muted small">Excerpt around the findings, with personal data and secrets redacted. {highlighted > 0 ? 'Flagged spans are highlighted.' : 'The findings have no span in the text.'}</p>
          <pre class="excerpt">
            {parts.map((p, k) =>
              p.by.length === 0 ? (
                p.text
              ) : (
                <mark key={k} class={`hl hl-${alert.findings[p.by[0]!]!.action}`} title={p.by.map((i) => `${alert.findings[i]!.scanner} · ${alert.findings[i]!.type} (${score(alert.findings[i]!.score)})`).join('\n')}>
                  {p.text}
                </mark>
              ),
            )}
          </pre>
        </Card>
        <Card title="Details" id="meta">
          <dl class="meta">
            <dt>Raised</dt>
            <dd>
              {when(alert.createdAt)} ({ago(alert.createdAt)})
            </dd>
            <dt>Tenant</dt>
            <dd>{alert.tenant}</dd>
            <dt>Key</dt>
            <dd class="mono">{alert.keyId ?? 'system'}</dd>
            <dt>Request id</dt>
            <dd class="mono">{alert.requestId}</dd>
            <dt>Alert id</dt>
            <dd class="mono">{alert.id}</dd>
          </dl>
        </Card>
      </div>
      <Card title="Findings, scores and signals" id="findings">
        <table class="table">
          <caption class="sr-only">Findings of this alert, highest score first</caption>
          <thead>
            <tr>
              <th scope="col">Scanner</th>
              <th scope="col">Type</th>
              <th scope="col">Action</th>
              <th scope="col">Score</th>
              <th scope="col">Span</th>
              <th scope="col">Signals</th>
            </tr>
          </thead>
          <tbody>
            {findings.map((f, k) => (
              <tr key={k}>
                <td>{f.scanner}</td>
                <td class="mono">{f.type}</td>
                <td>
                  <DecisionBadge decision={f.action} />
                </td>
                <td class="nowrap">
                  <span class="scorebar" aria-hidden="true">
                    <span style={{ width: `${Math.round(f.score * 100)}%` }} class={`scorefill hl-${f.action}`} />
                  </span>{' '}
                  {score(f.score)}
                </td>
                <td class="mono nowrap">{f.start === undefined ? '—' : `${f.start}–${f.end}`}</td>
                <td>
                  <ul class="chips">
                    {Object.entries(f.detail ?? {})
                      .filter(([k2]) => !HIDDEN_DETAIL.has(k2))
                      .flatMap(([k2, v]) => (k2 === 'signals' && typeof v === 'string' ? v.split(',').map((s) => ['signal', s] as const) : [[k2, v] as const]))
                      .map(([k2, v], j) => (
                        <li key={j} class="chip">
                          <span class="muted">{k2}</span> {String(v)}
                        </li>
                      ))}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </>
  )
}

/** A filter that is one of `options`, or "Any" (the empty value). */
function AnyOf({ label, value, options, onChange }: { label: string; value: string; options: readonly string[]; onChange: (e: Event) => void }) {
  return (
    <label>
      {label}
      <select value={value} onChange={onChange}>
        <option value="">Any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  )
}
