/**
 * The scan report as one self-contained HTML page: inline SVG charts and tables, no scripts, no
 * external resources, every data value escaped (dataset cells are untrusted input).
 */
import { escapeHtml, groupedBarChart } from '../core/html-report.js'
import type { CellValue } from './readers.js'
import type { GateResult } from './fail-on.js'
import type { ScanReport } from './scan.js'

const COLORS = ['#1f6feb', '#d97706', '#059669', '#9333ea', '#dc2626', '#6b7280']

export { escapeHtml }

const show = (v: CellValue) => escapeHtml(v === null ? '(missing)' : String(v))

export interface Bar {
  label: string
  values: number[]
}

/** Horizontal grouped bars (core/html-report.ts), scaled to the largest value; a legend only for several series. */
export function barChart(title: string, series: string[], bars: Bar[], format: (v: number) => string = (v) => String(v)): string {
  if (bars.length === 0) return ''
  const max = Math.max(1e-9, ...bars.flatMap((b) => b.values))
  return groupedBarChart(title, series, bars, { max, format, legend: series.length > 1, maxLabel: 34, colors: COLORS })
}

/** Vertical histogram of values in [lo, hi]. */
function histogram(title: string, values: number[], lo: number, hi: number, bins = 10): string {
  if (values.length === 0) return ''
  const counts = new Array<number>(bins).fill(0)
  for (const v of values) { const b = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins))); counts[b] = (counts[b] as number) + 1 }
  const max = Math.max(...counts)
  const w = 36
  const h = 120
  const parts = counts.map((c, i) => {
    const bh = max > 0 ? (c / max) * h : 0
    const x = 30 + i * w
    return `<rect x="${x}" y="${10 + h - bh}" width="${w - 4}" height="${bh.toFixed(1)}" fill="${COLORS[0]}"/><text x="${x + (w - 4) / 2}" y="${h + 24}" font-size="9" text-anchor="middle">${(lo + ((hi - lo) * i) / bins).toFixed(2)}</text><text x="${x + (w - 4) / 2}" y="${8 + h - bh}" font-size="9" text-anchor="middle">${c}</text>`
  })
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${40 + bins * w}" height="${h + 32}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}</svg></figure>`
}

function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '<p class="none">None.</p>'
  return `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`
}

export interface HtmlOptions {
  /** Short text of some rows (row → excerpt), shown beside them. */
  excerpts?: Map<number, string>
  gates?: GateResult[]
  /** Rows listed per table (default 100). */
  maxRows?: number
}

/** Renders a scan report as a self-contained HTML page. */
export function renderScanHtml(report: ScanReport, options: HtmlOptions = {}): string {
  const ex = (row: number) => escapeHtml(options.excerpts?.get(row) ?? '')
  const max = options.maxRows ?? 100
  const c = report.counts
  const sections: string[] = []
  const gateFailed = options.gates?.some((g) => g.failed) === true
  sections.push(`<p>${escapeHtml(report.file)} — ${report.rows.toLocaleString('en-US')} rows, label <code>${escapeHtml(report.label_column)}</code>${report.text_column ? `, text <code>${escapeHtml(report.text_column)}</code>` : ''}; scanned in ${(report.duration_ms / 1000).toFixed(1)} s${report.model ? `; model agreement with the given labels (out of sample) ${(report.model.accuracy * 100).toFixed(1)} %` : ''}.</p>`)
  if (options.gates && options.gates.length > 0) {
    sections.push(`<p class="${gateFailed ? 'fail' : 'pass'}">Gate ${gateFailed ? 'FAILED' : 'passed'}: ${options.gates.map((g) => `${escapeHtml(g.kind)} ${g.count} (allowed ${g.allowed})${g.failed ? ' ✗' : ' ✓'}`).join(' · ')}</p>`)
  }
  sections.push(
    barChart('Findings', ['rows or groups'], [
      { label: 'label issues (rows)', values: [c.label_issues] },
      { label: 'triggers', values: [c.triggers] },
      { label: 'rows carrying triggers', values: [c.trigger_rows] },
      { label: 'outliers (rows)', values: [c.outliers] },
      { label: 'duplicate groups', values: [c.duplicate_groups] },
      { label: 'conflicting-label groups', values: [c.conflicting_groups] },
    ]),
  )
  sections.push(barChart('Class balance (rows per label)', ['rows'], report.class_balance.map((b) => ({ label: b.label === null ? '(missing)' : String(b.label), values: [b.count] }))))
  if (report.notes.length > 0) sections.push(`<h2>Notes</h2><ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`)

  sections.push('<h2>Label issues</h2>')
  if (report.label_noise) sections.push(`<p>Estimated share of wrong labels (confident joint): ${(report.label_noise.estimated_rate * 100).toFixed(1)} %. Per-class thresholds: ${report.label_noise.thresholds.map((t) => `${show(t.label)} ${t.threshold}`).join(', ')}.</p>`)
  const pairs = new Map<string, number>()
  for (const i of report.label_issues) {
    const k = `${i.given === null ? '(missing)' : String(i.given)} → ${i.suggested === null ? '(missing)' : String(i.suggested)}`
    pairs.set(k, (pairs.get(k) ?? 0) + 1)
  }
  sections.push(barChart('Label issues by given → suggested label', ['rows'], [...pairs].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([label, n]) => ({ label, values: [n] }))))
  sections.push(histogram('Confidence of the label issues (1 − p(given label), out of sample)', report.label_issues.map((i) => i.confidence), 0, 1))
  sections.push(table(['row', 'given', 'suggested', 'confidence', 'excerpt'], report.label_issues.slice(0, max).map((i) => [String(i.row), show(i.given), show(i.suggested), i.confidence.toFixed(3), ex(i.row)])))

  sections.push('<h2>Backdoor triggers</h2>')
  sections.push(barChart('Trigger score (share of the label the rest of the row does not explain)', ['score'], report.triggers.slice(0, 20).map((t) => ({ label: `${t.token} → ${t.label === null ? '' : String(t.label)}`, values: [t.score] })), (v) => v.toFixed(3)))
  sections.push(table(['token', 'label', 'score', 'rows with the label', 'support', 'label share', 'expected share', 'first rows'], report.triggers.map((t) => [escapeHtml(t.token), show(t.label), t.score.toFixed(3), String(t.rows.length), String(t.support), t.label_share.toFixed(3), t.expected_share.toFixed(3), t.rows.slice(0, 12).join(', ')])))

  sections.push('<h2>Outliers</h2>')
  const blamed = new Map<string, number>()
  for (const o of report.outliers) for (const col of o.columns) blamed.set(col, (blamed.get(col) ?? 0) + 1)
  sections.push(barChart('Columns that make outliers odd', ['rows'], [...blamed].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([label, n]) => ({ label, values: [n] }))))
  sections.push(table(['row', 'score', 'odd columns', 'excerpt'], report.outliers.slice(0, max).map((o) => [String(o.row), o.score.toFixed(3), o.evidence.map((e) => escapeHtml(`${e.column}=${e.value}${e.z !== undefined ? ` (z ${e.z})` : ''}${e.share !== undefined ? ` (share ${e.share})` : ''}`)).join('<br>'), ex(o.row)])))

  sections.push('<h2>Duplicates</h2>')
  sections.push(`<p>${c.duplicate_groups} groups (${c.duplicate_rows} rows); ${c.conflicting_groups} groups with conflicting labels (${c.conflicting_rows} rows).</p>`)
  sections.push(table(['rows', 'kind', 'similarity', 'labels', 'excerpt'], report.duplicates.slice(0, max).map((d) => [escapeHtml(d.rows.slice(0, 20).join(', ') + (d.rows.length > 20 ? ` … (${d.rows.length})` : '')), d.kind, d.similarity.toFixed(3), `${d.conflicting_labels ? '<b>conflict</b>: ' : ''}${d.labels.map(show).join(', ')}`, ex(d.rows[0] as number)])))

  if (report.diff) {
    const d = report.diff
    sections.push('<h2>Changes since the previous version</h2>')
    sections.push(`<p>${escapeHtml(d.previous_file)}: ${d.rows.previous} → ${d.rows.current} rows; ${d.rows_added} added, ${d.rows_removed} removed, <b>${d.relabelled_count} relabelled</b> (same inputs, new label).</p>`)
    sections.push(barChart('Class shares: previous vs current', ['previous', 'current'], d.class_balance.map((b) => ({ label: b.label === null ? '(missing)' : String(b.label), values: [b.previous_share, b.share] })), (v) => v.toFixed(3)))
    sections.push(table(['row', 'previous row', 'previous label', 'label'], d.relabelled.slice(0, max).map((r) => [String(r.row), String(r.previous_row), show(r.previous_label), show(r.label)])))
    if (d.columns.added.length + d.columns.removed.length + d.columns.changed.length > 0) {
      sections.push(table(['column', 'change'], [
        ...d.columns.added.map((n) => [escapeHtml(n), 'added']),
        ...d.columns.removed.map((n) => [escapeHtml(n), 'removed']),
        ...d.columns.changed.map((ch) => [escapeHtml(ch.name), escapeHtml(JSON.stringify({ ...ch, name: undefined }))]),
      ]))
    }
  }

  sections.push('<h2>Columns</h2>')
  sections.push(table(['column', 'kind', 'missing', 'distinct', 'min', 'median', 'mean', 'max', 'top values'], report.columns.map((col) => [escapeHtml(col.name), col.kind, String(col.missing), String(col.distinct), String(col.min ?? ''), String(col.median ?? ''), String(col.mean ?? ''), String(col.max ?? ''), escapeHtml((col.top ?? []).map((t) => `${t.value} (${t.count})`).join(', '))])))
  if (report.text) sections.push(`<p>Text column <code>${escapeHtml(report.text.column)}</code>: mean ${report.text.mean_chars} characters, longest ${report.text.max_chars}, ${report.text.empty} empty.</p>`)

  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Rampart data scan: ${escapeHtml(report.file)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#111}figure{margin:1.2rem 0}figcaption{font-weight:600;margin-bottom:.3rem}table{border-collapse:collapse;font-size:12px;margin:.5rem 0 1.5rem}td,th{border:1px solid #ddd;padding:3px 6px;vertical-align:top;text-align:left}th{background:#f6f8fa}td:last-child{max-width:420px;overflow-wrap:anywhere}.fail{color:#b91c1c;font-weight:700}.pass{color:#047857;font-weight:700}.none{color:#666}</style></head>
<body><h1>Rampart data scan</h1>
${sections.join('\n')}
<p class="none">Generated ${escapeHtml(report.generated_at)} by <code>rampart data scan</code>.</p></body></html>
`
}
