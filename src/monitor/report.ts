/**
 * The check run as one self-contained HTML page (inline SVG and CSS, no scripts, nothing
 * fetched): summary, violations, drift scores against thresholds, a data-quality table, model
 * quality, and per-feature distributions of reference against current data.
 */
import type { Baseline } from './baseline.js'
import type { CheckReport, FeatureRow } from './checks.js'
import type { FeatureDriftResult } from './drift/types.js'
import type { ColumnProfiler } from './profile/column.js'
import type { DatasetProfiler } from './profile/dataset.js'
import { DRIFT_METHODS } from './stats/registry.js'
import { categoryCounts } from './summary.js'

const REF = '#2563eb'
const CUR = '#ea580c'
const BAD = '#dc2626'
const OK = '#16a34a'
const MUTED = '#6b7280'

export interface ReportInput {
  report: CheckReport
  baseline: Baseline
  current: DatasetProfiler
  title?: string
  baselineLabel?: string
  currentLabel?: string
  /** Features drawn as distributions (drifted and violated first). */
  maxDistributions?: number
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

function num(x: number | undefined, digits = 3): string {
  if (x === undefined || Number.isNaN(x)) return '–'
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞'
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(1)
  if (Math.abs(x) >= 1e5) return x.toExponential(2)
  return Number(x.toFixed(digits)).toString()
}

function pValue(p: number | undefined): string {
  if (p === undefined || Number.isNaN(p)) return '–'
  if (p === 0) return '< 1e-300'
  return p < 1e-3 ? p.toExponential(1) : p.toFixed(3)
}

const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : `${(100 * x).toFixed(x > 0 && x < 0.001 ? 3 : 1)} %`)

/** How far past its threshold a decision went: 1 at the threshold, above 1 when drifted. */
export function thresholdRatio(d: FeatureDriftResult | undefined): number {
  if (d === undefined || !Number.isFinite(d.statistic)) return NaN
  if (DRIFT_METHODS[d.method].decision === 'p_value') {
    const p = Math.max(d.pValue ?? 1, 1e-300)
    return Math.log(p) / Math.log(d.threshold)
  }
  return d.threshold > 0 ? d.statistic / d.threshold : NaN
}

function driftChart(drifts: FeatureDriftResult[]): string {
  const rows = drifts.filter((d) => Number.isFinite(thresholdRatio(d))).sort((a, b) => thresholdRatio(b) - thresholdRatio(a))
  if (rows.length === 0) return '<p class="note">No feature had enough values to test.</p>'
  const labelW = 190
  const plotW = 420
  const rowH = 20
  const top = 24
  const max = Math.min(5, Math.max(2, ...rows.map(thresholdRatio)))
  const x = (v: number) => labelW + (Math.min(v, max) / max) * plotW
  const parts: string[] = []
  parts.push(`<line x1="${x(1)}" y1="${top - 8}" x2="${x(1)}" y2="${top + rows.length * rowH}" stroke="${BAD}" stroke-dasharray="4 3"/>`)
  parts.push(`<text x="${x(1) + 4}" y="${top - 10}" font-size="11" fill="${BAD}">threshold</text>`)
  rows.forEach((d, i) => {
    const y = top + i * rowH
    const r = thresholdRatio(d)
    const color = d.drifted ? BAD : MUTED
    const m = DRIFT_METHODS[d.method]
    const value = m.decision === 'p_value' ? `p ${pValue(d.pValue)} (< ${d.threshold})` : `${num(d.statistic)} / ${num(d.threshold)}`
    parts.push(`<text x="${labelW - 8}" y="${y + 13}" font-size="12" text-anchor="end">${esc(d.feature.length > 26 ? `${d.feature.slice(0, 25)}…` : d.feature)}</text>`)
    parts.push(`<rect x="${labelW}" y="${y + 3}" width="${Math.max(1, x(r) - labelW).toFixed(1)}" height="${rowH - 7}" fill="${color}" rx="2"/>`)
    parts.push(`<text x="${Math.min(x(r), labelW + plotW) + 5}" y="${y + 13}" font-size="11" fill="#333">${esc(`${d.method} ${value}`)}${r > max ? ' ▸' : ''}</text>`)
  })
  const height = top + rows.length * rowH + 8
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 260}" height="${height}" role="img" aria-label="Drift score divided by threshold per feature">${parts.join('')}</svg>
<p class="note">Bar length: the decision statistic divided by its threshold (for p-value tests, log p ÷ log threshold), so the dashed line is the threshold for every method. Red: drifted.</p>`
}

function histogram(values: readonly number[], lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0)
  const width = (hi - lo) / bins || 1
  for (const v of values) {
    if (v < lo || v > hi) continue
    const b = Math.min(bins - 1, Math.floor((v - lo) / width))
    counts[b] = (counts[b] as number) + 1
  }
  const total = values.length || 1
  return counts.map((c) => c / total)
}

function quantileOf(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * sorted.length)))] as number
}

/** Reference and current shares over 24 common bins between the pooled 1st and 99th percentiles. */
function numericSvg(ref: readonly number[], cur: readonly number[]): string {
  if (ref.length === 0 || cur.length === 0) return '<p class="note">no numeric values</p>'
  const pooled = [...ref, ...cur].sort((a, b) => a - b)
  let lo = quantileOf(pooled, 0.01)
  let hi = quantileOf(pooled, 0.99)
  if (hi <= lo) {
    lo = pooled[0] as number
    hi = (pooled[pooled.length - 1] as number) + (lo === pooled[pooled.length - 1] ? 1 : 0)
  }
  const bins = 24
  const a = histogram(ref, lo, hi, bins)
  const b = histogram(cur, lo, hi, bins)
  const w = 300
  const h = 110
  const max = Math.max(...a, ...b, 1e-9)
  const bw = w / bins
  const bars = (shares: number[], color: string, offset: number) =>
    shares.map((s, i) => `<rect x="${(i * bw + offset).toFixed(1)}" y="${(h - (s / max) * h).toFixed(1)}" width="${(bw / 2 - 0.5).toFixed(1)}" height="${((s / max) * h).toFixed(1)}" fill="${color}"/>`).join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w + 10}" height="${h + 18}" role="img" aria-label="histogram, reference against current">${bars(a, REF, 0)}${bars(b, CUR, bw / 2)}<line x1="0" y1="${h}" x2="${w}" y2="${h}" stroke="#999"/><text x="0" y="${h + 14}" font-size="10" fill="#555">${esc(num(lo))}</text><text x="${w}" y="${h + 14}" font-size="10" fill="#555" text-anchor="end">${esc(num(hi))}</text></svg>`
}

/** Shares of the most frequent categories (either side), reference against current. */
function categoricalSvg(ref: ReadonlyMap<string, number>, cur: ReadonlyMap<string, number>): string {
  const tr = [...ref.values()].reduce((s, v) => s + v, 0) || 1
  const tc = [...cur.values()].reduce((s, v) => s + v, 0) || 1
  const keys = [...new Set([...ref.keys(), ...cur.keys()])]
    .map((k) => ({ k, a: (ref.get(k) ?? 0) / tr, b: (cur.get(k) ?? 0) / tc }))
    .sort((x, y) => Math.max(y.a, y.b) - Math.max(x.a, x.b))
  const shown = keys.slice(0, 8)
  const rest = keys.slice(8)
  if (rest.length > 0) shown.push({ k: `(${rest.length} others)`, a: rest.reduce((s, r) => s + r.a, 0), b: rest.reduce((s, r) => s + r.b, 0) })
  const labelW = 110
  const w = 190
  const rowH = 16
  const max = Math.max(...shown.map((r) => Math.max(r.a, r.b)), 1e-9)
  const parts = shown.map((r, i) => {
    const y = i * rowH
    const label = r.k.length > 16 ? `${r.k.slice(0, 15)}…` : r.k
    return `<text x="${labelW - 4}" y="${y + 11}" font-size="10" text-anchor="end">${esc(label)}</text><rect x="${labelW}" y="${y + 1}" width="${((r.a / max) * w).toFixed(1)}" height="6" fill="${REF}"/><rect x="${labelW}" y="${y + 7}" width="${((r.b / max) * w).toFixed(1)}" height="6" fill="${CUR}"/><text x="${labelW + (Math.max(r.a, r.b) / max) * w + 3}" y="${y + 11}" font-size="9" fill="#555">${(100 * r.a).toFixed(1)} → ${(100 * r.b).toFixed(1)} %</text>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + w + 90}" height="${shown.length * rowH + 4}" role="img" aria-label="category shares, reference against current">${parts.join('')}</svg>`
}

function distributionCard(row: FeatureRow, ref: ColumnProfiler | undefined, cur: ColumnProfiler | undefined): string {
  const d = row.drift
  let chart = '<p class="note">not in the current data</p>'
  if (row.driftNote) chart = `<p class="note">${esc(row.driftNote)}</p>`
  else if (ref && cur) {
    if (d?.kind === 'text' && ref.text && cur.text) chart = `<div class="note">length in characters</div>${numericSvg(ref.text.lengthSample.items, cur.text.lengthSample.items)}`
    else if (d?.kind === 'categorical' || (!d && (ref.types.string > 0 || ref.types.boolean > 0))) chart = categoricalSvg(categoryCounts(ref).counts, categoryCounts(cur).counts)
    else {
      chart = numericSvg(ref.numberSample.items, cur.numberSample.items)
      if (ref.numbers.n > 0 && cur.numbers.n > 0) chart += `<div class="note">mean ${num(ref.numbers.mean)} → ${num(cur.numbers.mean)} · sd ${num(Math.sqrt(ref.numbers.variance()))} → ${num(Math.sqrt(cur.numbers.variance()))}</div>`
    }
  }
  const status = row.violations.length > 0 ? `<span class="badge bad">${row.violations.length} violation${row.violations.length > 1 ? 's' : ''}</span>` : '<span class="badge ok">ok</span>'
  let detail = ''
  if (d && Number.isFinite(d.statistic)) {
    detail = `${esc(d.method)} ${num(d.statistic)} (threshold ${num(d.threshold)}), p ${pValue(d.pValue)}, effect ${num(d.effectSize)}`
    if (d.aspects) detail += `<br>${Object.entries(d.aspects).map(([k, a]) => `${esc(k)} ${num(a.statistic)}${a.drifted ? ' ▲' : ''}`).join(' · ')}`
  } else if (d?.note) detail = esc(d.note)
  return `<div class="card"><div class="card-head"><strong>${esc(row.name)}</strong> <span class="type">${esc(row.baselineType)}</span> ${status}</div>${chart}<div class="note">${detail}</div></div>`
}

function qualityTable(report: CheckReport): string {
  if (!report.quality) return ''
  const rows = report.quality.checks
    .map((c) => `<tr><td>${esc(c.metric)}</td><td>${num(c.baseline)}</td><td>${num(c.current)}</td><td>${c.comparison_operator === 'LessThanThreshold' ? '≥' : '≤'} ${num(c.threshold)}</td><td>${c.violated ? '<span class="badge bad">below</span>' : '<span class="badge ok">ok</span>'}</td></tr>`)
    .join('')
  return `<h2>Model quality</h2><p class="note">${report.quality.current.problem_type}, ${report.quality.current.rows.toLocaleString('en-US')} current rows with ground truth${report.quality.current.positive_label ? `, positive class "${esc(report.quality.current.positive_label)}"` : ''}. The threshold is the baseline value less (more, for errors) the larger of a fixed tolerance and 3 sd of the metric across baseline chunks, scaled to these rows.</p>
<table><thead><tr><th>metric</th><th>baseline</th><th>current</th><th>must be</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
}

function qualityRowCells(row: FeatureRow): string {
  const byType = (t: string) => row.violations.filter((v) => v.constraint_check_type === t)
  const flag = (t: string, label: string) => (byType(t).length > 0 ? `<span class="badge bad">${label}</span>` : '')
  const d = row.drift
  const driftCell = d && Number.isFinite(d.statistic) ? `${esc(d.method)} ${num(d.statistic)} / ${num(d.threshold)}` : esc(d?.note ?? row.driftNote ?? '–')
  const drifted = d?.drifted ? '<span class="badge bad">drift</span>' : ''
  const issues = [flag('missing_column_check', 'missing'), flag('data_type_check', 'type'), flag('completeness_check', 'completeness'), flag('range_check', 'range'), flag('categorical_values_check', 'unseen values'), drifted].join(' ')
  return `<tr><td>${esc(row.name)}</td><td>${esc(row.baselineType)}${row.currentType.toLowerCase() !== row.baselineType.toLowerCase() ? ` → ${esc(row.currentType)}` : ''}</td><td>${pct(row.baselineCompleteness)} → ${pct(row.currentCompleteness)}</td><td>${driftCell}</td><td>${pValue(d?.pValue)}</td><td>${num(d?.effectSize)}</td><td>${issues || '<span class="badge ok">ok</span>'}</td></tr>`
}

/** The whole report page. */
export function renderReport(input: ReportInput): string {
  const { report, baseline, current } = input
  const title = input.title ?? 'Rampart monitor report'
  const byType = new Map<string, number>()
  for (const v of report.violations) byType.set(v.constraint_check_type, (byType.get(v.constraint_check_type) ?? 0) + 1)
  const dd = report.datasetDrift
  const drifts = report.features.map((f) => f.drift).filter((d): d is FeatureDriftResult => d !== undefined)
  const ordered = [...report.features].sort((a, b) => Number(b.drift?.drifted ?? false) - Number(a.drift?.drifted ?? false) || b.violations.length - a.violations.length || (thresholdRatio(b.drift) || 0) - (thresholdRatio(a.drift) || 0))
  const cards = ordered.slice(0, input.maxDistributions ?? 60).map((row) => distributionCard(row, baseline.profile.getColumn(row.name), current.getColumn(row.name)))
  const violationRows = report.violations.map((v) => `<tr><td>${esc(v.feature_name)}</td><td><code>${esc(v.constraint_check_type)}</code></td><td>${esc(v.description)}</td></tr>`).join('')
  const guard = report.guard?.flagRate
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1180px;padding:0 1rem;color:#111;line-height:1.4}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #e5e7eb;padding-bottom:.3rem}
.meta{color:#555}.summary{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.tile{border:1px solid #e5e7eb;border-radius:8px;padding:.7rem 1rem;min-width:170px}.tile .big{font-size:1.6rem;font-weight:600}
.bad{color:#fff;background:${BAD}}.ok{color:#fff;background:${OK}}.badge{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.75rem;margin-right:.2rem}
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{border-bottom:1px solid #eee;padding:.3rem .4rem;text-align:left;vertical-align:top}th{background:#f9fafb}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:.8rem}.card{border:1px solid #e5e7eb;border-radius:8px;padding:.6rem}
.card-head{margin-bottom:.3rem}.type{color:#555;font-size:.8rem}.note{color:#555;font-size:.78rem}.legend span{display:inline-block;width:10px;height:10px;margin:0 .3rem 0 .8rem}
code{font-size:.8rem}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="meta">Baseline${input.baselineLabel ? ` <code>${esc(input.baselineLabel)}</code>` : ''}: ${report.baselineRows.toLocaleString('en-US')} rows · current${input.currentLabel ? ` <code>${esc(input.currentLabel)}</code>` : ''}: ${report.rows.toLocaleString('en-US')} rows · generated ${esc(new Date().toISOString())}</p>
<div class="summary">
<div class="tile"><div class="big" style="color:${report.violations.length > 0 ? BAD : OK}">${report.violations.length}</div>violations${byType.size > 0 ? `<div class="note">${[...byType.entries()].map(([t, n]) => `${n} ${esc(t)}`).join('<br>')}</div>` : ''}</div>
<div class="tile"><div class="big" style="color:${dd.violated ? BAD : OK}">${dd.drifted} / ${dd.tested}</div>features drifted (${pct(dd.share)})<div class="note">dataset drift at ≥ ${pct(dd.threshold)}: ${dd.violated ? '<strong>yes</strong>' : 'no'}</div></div>
${report.quality ? `<div class="tile"><div class="big" style="color:${report.quality.checks.some((c) => c.violated) ? BAD : OK}">${num(report.quality.current.accuracy ?? report.quality.current.r2)}</div>${report.quality.current.accuracy !== undefined ? 'accuracy' : 'R²'} (baseline ${num(report.quality.baseline?.accuracy ?? report.quality.baseline?.r2)})</div>` : ''}
${guard ? `<div class="tile"><div class="big" style="color:${guard.violated ? BAD : OK}">${pct(guard.current)}</div>guard flag rate (baseline ${pct(guard.baseline)})<div class="note">p ${pValue(guard.pValue)}, Cohen's h ${num(guard.effectSize)}</div></div>` : ''}
</div>
<h2>Violations</h2>
${report.violations.length === 0 ? '<p>None: the current data meets every constraint.</p>' : `<table><thead><tr><th>feature</th><th>check</th><th>description</th></tr></thead><tbody>${violationRows}</tbody></table>`}
<h2>Drift scores against thresholds</h2>
${driftChart(drifts)}
<h2>Data quality and drift per feature</h2>
<table><thead><tr><th>feature</th><th>type</th><th>completeness</th><th>drift statistic / threshold</th><th>p-value</th><th>effect size</th><th>status</th></tr></thead><tbody>${report.features.map(qualityRowCells).join('')}</tbody></table>
${qualityTable(report)}
<h2>Distributions</h2>
<p class="legend note"><span style="background:${REF}"></span>reference (baseline) <span style="background:${CUR}"></span>current</p>
<div class="grid">${cards.join('\n')}</div>
<h2>How to read this</h2>
<p class="note">Numbers are tested with a two-sample Kolmogorov–Smirnov test when the reference has at most ${report.settings.small_reference_rows.toLocaleString('en-US')} values, else with the Wasserstein distance divided by the reference standard deviation; categories with a chi-square test or the Jensen–Shannon distance. A distance threshold is the larger of its floor (0.1 by default) and the reference's own noise: the mean plus ${report.settings.noise_z} sd of the distance between random halves of the reference, scaled to the sizes compared here. Every row shows an effect size beside its p-value, because with large samples tiny differences have tiny p-values. Dataset drift: at least ${pct(report.settings.dataset_drift_share)} of the tested features drifted.</p>
</body></html>
`
}
