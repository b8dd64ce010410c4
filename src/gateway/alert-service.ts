import { randomUUID } from 'node:crypto'
import type { Action, Direction, Finding, ScanResult } from '../core/types.js'
import { applyRedactions, resolveRedactionSpans } from '../core/spans.js'
import { createVault } from '../core/vault.js'
import { createGuard, type Guard } from '../guard.js'
import type { AlertRecord, AlertStore, AuditInput, FeedbackStore, Severity } from '../store/types.js'

/** What the gateway needs from envelope encryption (crypto/envelope.ts). */
export interface Sealer {
  seal(plaintext: string, aad: string): Promise<string>
  open(sealed: string, aad: string): Promise<string>
}

/** Appends to the hash-chained audit log (the chain and MAC are computed by the implementation). */
export interface AuditWriter {
  append(input: Omit<AuditInput, 'at'> & { at?: string }): Promise<void>
}

/** Hands a new alert to the webhook outbox (alerts/outbox.ts); absent when no webhook is configured. */
export interface AlertPublisher {
  publish(alert: AlertView): Promise<void>
}

/** An alert as the API returns it: the excerpt opened. */
export type AlertView = Omit<AlertRecord, 'excerpt'> & { excerpt: string }

export interface RaiseInput {
  tenant: string
  keyId: string | null
  requestId: string
  direction: Direction
  source: string
  /** The text that was scanned (original, before redaction). */
  text: string
  result: ScanResult
}

const EXCERPT_RADIUS = 160
const EXCERPT_MAX = 800

export function excerptAad(id: string): string {
  return `alert:${id}:excerpt`
}

/** The full scanned text kept beside an alert for feedback (gateway/feedback.ts). */
export function alertTextAad(id: string): string {
  return `alert:${id}:text`
}

export function severityOf(decision: Action, findings: readonly Finding[]): Severity {
  const top = findings.reduce((m, f) => Math.max(m, f.score), 0)
  if (decision === 'block') return top >= 0.9 ? 'critical' : 'high'
  if (decision === 'redact') return 'medium'
  return top >= 0.8 ? 'medium' : 'low'
}

/**
 * Turns a non-allow verdict into an alert: stored (excerpt sealed), audited, and published to
 * the webhooks. The excerpt is cut around the findings and passed through the PII and secrets
 * scanners in redact mode whatever the policy says, so an alert never stores personal data or
 * a secret in clear, even when the policy only flagged them.
 */
export class AlertService {
  private redactorPromise: Promise<Guard> | undefined
  private readonly alertOn: ReadonlySet<Action>

  constructor(
    private readonly deps: {
      /** With `putAlertText`, the full scanned text is kept sealed beside each alert (labeled data for verdicts, gateway/feedback.ts). */
      store: AlertStore & Partial<Pick<FeedbackStore, 'putAlertText'>>
      sealer: Sealer
      audit: AuditWriter
      publisher?: AlertPublisher | undefined
      onAlert?: (alert: AlertRecord) => void
      /** Decisions that raise an alert (config `alertOn`); flag and block when absent. */
      alertOn?: readonly Action[]
      /** Keep the scanned text beside each alert (config `alertText`, default true) when the store can. */
      keepText?: boolean
      /** Builds the excerpt redactor's guard from its policy (the gateway's scan threads); `createGuard` when absent. */
      guardFor?: (policy: unknown) => Promise<Guard>
    },
  ) {
    this.alertOn = new Set(deps.alertOn ?? ['flag', 'block'])
  }


  private redactor(): Promise<Guard> {
    const policy = {
      version: 1,
      name: 'alert-excerpt',
      input: { pii: { action: 'redact', threshold: 0.3 }, secrets: { action: 'redact', threshold: 0.3 } },
    }
    this.redactorPromise ??= this.deps.guardFor === undefined ? createGuard({ policy }) : this.deps.guardFor(policy)
    return this.redactorPromise
  }

  /** The whole text with personal data and secrets replaced by placeholders, as in excerpts. */
  async redact(text: string): Promise<string> {
    const found = (await (await this.redactor()).scanInput(text)).findings
    return applyRedactions(text, found.filter((f) => f.action === 'redact' && f.start !== undefined && f.end !== undefined))
  }

  async excerpt(text: string, findings: readonly Finding[]): Promise<string> {
    return (await this.excerptWithSpans(text, findings)).excerpt
  }

  /**
   * The excerpt, and where each finding's span lands in it (UTF-16 offsets into the excerpt, past
   * the leading "…" and the redaction placeholders), so a reader can highlight what was flagged
   * without the original text. `undefined` for a finding without a span or outside the excerpt.
   */
  async excerptWithSpans(text: string, findings: readonly Finding[]): Promise<{ excerpt: string; spans: ([number, number] | undefined)[] }> {
    const spans = findings.filter((f) => f.start !== undefined && f.end !== undefined)
    let from = 0
    let to = Math.min(text.length, EXCERPT_MAX)
    if (spans.length > 0) {
      from = Math.max(0, Math.min(...spans.map((f) => f.start!)) - EXCERPT_RADIUS)
      to = Math.min(text.length, Math.max(...spans.map((f) => f.end!)) + EXCERPT_RADIUS, from + EXCERPT_MAX)
    }
    // Redact on the full text first: a secret cut in half by the window would not be recognised.
    const secretsAndPii = (await (await this.redactor()).scanInput(text)).findings
    const redactions = secretsAndPii.filter((f) => f.action === 'redact' && f.start !== undefined && f.end! > from && f.start! < to).map((f) => ({ ...f, start: Math.max(f.start!, from), end: Math.min(f.end!, to) }))
    const redacted = applyRedactions(text, redactions)
    const shift = redacted.length - text.length
    const lead = from > 0 ? 1 : 0
    const excerpt = `${lead === 1 ? '…' : ''}${redacted.slice(from, to + shift)}${to < text.length ? '…' : ''}`
    // The same spans and placeholders applyRedactions used (a fresh vault numbers them alike), to move offsets past them.
    const vault = createVault()
    const moves = resolveRedactionSpans(redactions, text.length).map((r) => ({ start: r.start, end: r.end, length: vault.placeholderFor(r.type, text.slice(r.start, r.end)).length }))
    const at = (offset: number, edge: 'start' | 'end'): number => {
      let moved = offset
      for (const m of moves) {
        if (m.end <= offset) moved += m.length - (m.end - m.start)
        else if (m.start < offset) return (edge === 'start' ? m.start : m.start + m.length) + (moved - offset)
      }
      return moved
    }
    const bodyEnd = lead + (to + shift - from)
    return {
      excerpt,
      spans: findings.map((f) => {
        if (f.start === undefined || f.end === undefined || f.end <= from || f.start >= to) return undefined
        const s = lead + at(Math.max(f.start, from), 'start') - from
        const e = lead + at(Math.min(f.end, to), 'end') - from
        return s < e && e <= bodyEnd ? [s, e] : undefined
      }),
    }
  }

  /** Raises an alert when the verdict is one of `alertOn`; returns it (with the excerpt in clear). */
  async raise(input: RaiseInput): Promise<AlertView | undefined> {
    const { result } = input
    if (!this.alertOn.has(result.decision)) return undefined
    const id = randomUUID()
    const { excerpt, spans } = await this.excerptWithSpans(input.text, result.findings)
    const record: AlertRecord = {
      id,
      createdAt: new Date().toISOString(),
      tenant: input.tenant,
      keyId: input.keyId,
      requestId: input.requestId,
      direction: input.direction,
      decision: result.decision,
      severity: severityOf(result.decision, result.findings),
      scanners: [...new Set(result.findings.filter((f) => f.action !== 'allow').map((f) => f.scanner))],
      // Where each span sits in the excerpt, for highlighting (offsets only, never the text).
      findings: result.findings.map((f, i) => {
        const span = spans[i]
        return span === undefined ? f : { ...f, detail: { ...f.detail, excerptStart: span[0], excerptEnd: span[1] } }
      }),
      excerpt: await this.deps.sealer.seal(excerpt, excerptAad(id)),
      source: input.source,
      acknowledgedAt: null,
      acknowledgedBy: null,
    }
    await this.deps.store.insertAlert(record)
    // The text as scanned, sealed: what a verdict on this alert labels (the excerpt is cut and redacted).
    if (this.deps.keepText !== false) await this.deps.store.putAlertText?.({ tenant: record.tenant, alertId: id, text: await this.deps.sealer.seal(input.text, alertTextAad(id)), createdAt: record.createdAt })
    await this.deps.audit.append({
      actor: input.keyId ?? 'system',
      tenant: input.tenant,
      action: 'alert.create',
      target: id,
      detail: { decision: record.decision, severity: record.severity, scanners: record.scanners, direction: record.direction, requestId: record.requestId },
    })
    this.deps.onAlert?.(record)
    const view: AlertView = { ...record, excerpt }
    await this.deps.publisher?.publish(view)
    return view
  }

  async open(record: AlertRecord): Promise<AlertView> {
    return { ...record, excerpt: await this.deps.sealer.open(record.excerpt, excerptAad(record.id)) }
  }
}
