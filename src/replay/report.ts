/**
 * The replay report as a text summary and as one self-contained HTML page (inline SVG charts
 * from integrity/html-report.ts, no script, nothing fetched, every value escaped).
 */
import { barChart, escapeHtml } from '../integrity/html-report.js'
import type { Action } from '../core/types.js'
import { CHANGE_KINDS, type ChangeKind, type ReplayReport } from './replay.js'

const LABEL: Record<ChangeKind, string> = {
  newBlocks: 'new blocks',
  lostBlocks: 'lost blocks',
  newRedactions: 'new redactions',
  lostRedactions: 'lost redactions',
  newFlags: 'new flags',
  lostFlags: 'lost flags',
}
const DECISIONS: readonly Action[] = ['allow', 'flag', 'redact', 'block']

const ms = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(3)} ms`)

/** A few lines for the terminal. */
export function renderSummary(r: ReplayReport): string {
  const t = r.totals
  const lines = [
    `replayed ${t.replayed} of ${t.captures} captures (${t.texts} texts; ${t.skipped.noText} without text, ${t.skipped.unreadable} unreadable); compared with the recorded verdict: ${t.compared}${t.undetermined > 0 ? `; ${t.undetermined} undetermined (the proxy capture lacks what the recorded verdict saw)` : ''}`,
    `changes: ${CHANGE_KINDS.map((k) => `${LABEL[k]} ${r.changes[k]}`).join(', ')}; unchanged ${r.changes.unchanged}`,
  ]
  const scanners = Object.entries(r.byScanner).filter(([, s]) => CHANGE_KINDS.some((k) => s[k] > 0))
  for (const [id, s] of scanners) lines.push(`  ${id}: ${CHANGE_KINDS.filter((k) => s[k] > 0).map((k) => `${LABEL[k]} ${s[k]}`).join(', ')}`)
  const c = r.latency.candidate
  const rec = r.latency.recorded
  if (c !== null) lines.push(`latency per text: candidate p50 ${ms(c.p50)}, p99 ${ms(c.p99)}${rec === null ? ' (no recorded latency in these captures)' : `; recorded p50 ${ms(rec.p50)}, p99 ${ms(rec.p99)} (${rec.texts} texts)`}`)
  return lines.join('\n')
}

/** The candidate in words: the policy (name, file or stored version, sha256 prefix) and the model directory. */
function describeCandidate(c: Record<string, unknown>): string {
  if (c.shadow === true) return 'the shadow verdicts stored by shadow mode (recorded = enforced)'
  const parts: string[] = []
  const policy = c.policy as { name?: string; file?: string; version?: number; activeVersion?: number; shipped?: string; sha256?: string } | undefined
  if (policy !== undefined) {
    const stored = policy.version ?? policy.activeVersion
    const where = policy.file ?? (stored !== undefined ? `stored version ${stored}${policy.activeVersion !== undefined ? ', active' : ''}` : policy.shipped ?? '')
    parts.push(`policy <b>${escapeHtml(policy.name ?? '?')}</b>${where === '' ? '' : ` (<code>${escapeHtml(where)}</code>${policy.sha256 === undefined ? '' : `, sha256 ${escapeHtml(policy.sha256.slice(0, 12))}…`})`}`)
  }
  const detector = c.detector as { dir?: string; card?: string } | undefined
  if (detector !== undefined) parts.push(`prompt-injection model <code>${escapeHtml(detector.dir ?? '?')}</code>${detector.card === undefined ? '' : ` (${escapeHtml(detector.card)})`}`)
  return parts.length === 0 ? `<code>${escapeHtml(JSON.stringify(c))}</code>` : parts.join(' with ')
}

/** The report as one HTML page. */
export function renderHtml(r: ReplayReport): string {
  const t = r.totals
  const changes = barChart('Decisions that would change (texts)', ['all scanners'], CHANGE_KINDS.map((k) => ({ label: LABEL[k], values: [r.changes[k]] })))
  const decisions = barChart(
    'Decisions of the compared captures: recorded vs candidate',
    ['recorded', 'candidate'],
    DECISIONS.map((d) => ({ label: d, values: [r.decisions.recorded[d], r.decisions.candidate[d]] })),
  )
  const scannerIds = Object.keys(r.byScanner).filter((id) => CHANGE_KINDS.some((k) => (r.byScanner[id]?.[k] ?? 0) > 0))
  const perScanner =
    scannerIds.length === 0
      ? '<p>No scanner changed its action on the captures that record per-scanner actions.</p>'
      : barChart('Per scanner: changes (texts)', CHANGE_KINDS.map((k) => LABEL[k]), scannerIds.map((id) => ({ label: id, values: CHANGE_KINDS.map((k) => r.byScanner[id]?.[k] ?? 0) })))
  const c = r.latency.candidate
  const rec = r.latency.recorded
  const latency =
    c === null
      ? ''
      : barChart(
          'Scan latency per text (ms)',
          rec === null ? ['candidate'] : ['recorded', 'candidate'],
          (['p50', 'p99'] as const).map((q) => ({ label: q, values: rec === null ? [c[q]] : [rec[q], c[q]] })),
          (v) => `${v.toFixed(3)} ms`,
        )
  const matrix = `<table><tr><th>recorded ↓ / candidate →</th>${DECISIONS.map((d) => `<th>${d}</th>`).join('')}</tr>${DECISIONS.map(
    (d) => `<tr><th>${d}</th>${DECISIONS.map((e) => `<td${d === e ? '' : ' class="chg"'}>${r.decisions.matrix[d][e]}</td>`).join('')}</tr>`,
  ).join('')}</table>`
  const examples =
    r.examples.length === 0
      ? '<p>No decision changed.</p>'
      : `<table><tr><th>change</th><th>capture</th><th>recorded → candidate</th><th>scanners</th><th>excerpt (PII and secrets redacted)</th></tr>${r.examples
          .map(
            (e) =>
              `<tr><td>${escapeHtml(LABEL[e.kind])}</td><td><code>${escapeHtml(e.id)}</code><br><small>${escapeHtml(e.source)} · ${escapeHtml(e.at)}</small></td><td>${e.recorded} → ${e.candidate}</td><td>${e.scanners.map(escapeHtml).join('<br>')}</td><td><pre>${escapeHtml(e.excerpt)}</pre></td></tr>`,
          )
          .join('')}</table>`
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rampart replay report</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#111}figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.4rem}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top;text-align:left}td.chg{background:#fff7ed}pre{white-space:pre-wrap;margin:0;font-size:12px;max-width:520px}</style></head>
<body><h1>Rampart replay report</h1>
<p>Generated ${escapeHtml(r.generatedAt)} by <code>rampart replay</code>. Candidate: ${describeCandidate(r.candidate)}. Tenant <code>${escapeHtml(r.window.tenant)}</code>, captures stored from ${escapeHtml(r.window.since)} to ${escapeHtml(r.window.until)}.</p>
<p>${t.replayed} of ${t.captures} captures replayed (${t.texts} texts); ${t.skipped.noText} without text and ${t.skipped.unreadable} unreadable were skipped. ${t.compared} carry the verdict recorded when they passed and are compared; ${t.comparedPerScanner} of them also per scanner.${t.undetermined > 0 ? ` ${t.undetermined} proxy captures are left out as undetermined: the candidate is looser than the recorded verdict, and the capture lacks what may explain it (text redacted before capture, a blocked answer stored as the notice, no system prompt or canaries for prompt_leak and data_leak).` : ''}</p>
${changes}
${decisions}
<h2>Recorded → candidate</h2>${matrix}
<h2>Per scanner</h2>${perScanner}
${latency}
<h2>Examples</h2>${examples}
</body></html>
`
}
