import type { ComponentChildren } from 'preact'
import type { Action, Severity } from '../types.js'
import { CheckIcon, CrossIcon, WarningIcon } from './icons.js'

export const SEVERITY_COLORS: Record<Severity, string> = { critical: '#f87171', high: '#fb923c', medium: '#facc15', low: '#60a5fa' }

/** Severity with a warning symbol, its colour and its name: never colour alone. */
export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span class={`badge sev sev-${severity}`}>
      <WarningIcon />
      {severity}
    </span>
  )
}

export function DecisionBadge({ decision }: { decision: Action }) {
  return <span class={`badge decision decision-${decision}`}>{decision === 'block' ? 'blocked' : decision === 'redact' ? 'redacted' : decision === 'flag' ? 'flagged' : 'allowed'}</span>
}

export function StatePill({ state }: { state: string }) {
  const cls = state === 'ALARM' ? 'state-alarm' : state === 'OK' ? 'state-ok' : 'state-unknown'
  return (
    <span class={`badge state ${cls}`}>
      {state === 'ALARM' ? <WarningIcon /> : state === 'OK' ? <CheckIcon /> : null}
      {state === 'INSUFFICIENT_DATA' ? 'insufficient data' : state}
    </span>
  )
}

export function RunStatus({ status }: { status: string }) {
  const cls = status === 'completed' ? 'state-ok' : status === 'failed' ? 'state-alarm' : 'state-unknown'
  return (
    <span class={`badge state ${cls}`}>
      {status === 'failed' ? <CrossIcon /> : status === 'completed' ? <CheckIcon /> : null}
      {status.replace('_', ' ')}
    </span>
  )
}

export function Card({ title, children, actions, class: cls, id }: { title?: ComponentChildren; children: ComponentChildren; actions?: ComponentChildren; class?: string; id?: string }) {
  return (
    <section class={`card ${cls ?? ''}`} aria-labelledby={id === undefined ? undefined : `${id}-title`} id={id}>
      {title === undefined ? null : (
        <header class="card-head">
          <h2 id={id === undefined ? undefined : `${id}-title`}>{title}</h2>
          {actions}
        </header>
      )}
      {children}
    </section>
  )
}

export function Stat({ label, value, hint, tone }: { label: string; value: ComponentChildren; hint?: ComponentChildren; tone?: 'danger' | 'warn' | 'ok' }) {
  return (
    <div class={`stat ${tone === undefined ? '' : `stat-${tone}`}`}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {hint === undefined ? null : <div class="stat-hint">{hint}</div>}
    </div>
  )
}

export function ErrorBox({ error }: { error: Error | undefined }) {
  if (error === undefined) return null
  return (
    <div class="error-box" role="alert">
      <CrossIcon /> {error.message}
    </div>
  )
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>
}

export function Loading() {
  return (
    <p class="loading" aria-live="polite">
      Loading…
    </p>
  )
}

/** Buttons acting as a single-choice group (time windows). */
export function Segmented<T extends string>({ label, options, value, onChange }: { label: string; options: readonly { value: T; label: string }[]; value: T; onChange: (v: T) => void }) {
  return (
    <div class="segmented" role="group" aria-label={label}>
      {options.map((o) => (
        <button type="button" key={o.value} aria-pressed={o.value === value} onClick={() => onChange(o.value)}>
          {o.label}
        </button>
      ))}
    </div>
  )
}
