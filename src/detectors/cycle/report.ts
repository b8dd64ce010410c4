/**
 * The learning cycle's report as a self-contained HTML page: attack success rate per family,
 * round 1 (current version) against round 2 (candidate), the dev figures before and after, and
 * the gate's checks (inline SVG, no script, nothing fetched).
 */
import { escapeHtml, rateBarChart } from '../../core/html-report.js'
import type { GateCheck } from './gate.js'
import type { CycleReport, CycleRound } from './cycle.js'


const pct = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(digits)} %`)


function roundOf(report: CycleReport, version: CycleRound['version'], seed: number): CycleRound | undefined {
  return report.rounds.find((r) => r.version === version && r.seed === seed)
}

function checkRow(c: GateCheck): string {
  const fmt = (v: number | null) => (v === null ? '–' : v.toFixed(4))
  return `<tr><td>${escapeHtml(c.measure)}</td><td>${fmt(c.current)}</td><td>${fmt(c.candidate)}</td><td>${c.delta === null ? '–' : `${c.delta > 0 ? '+' : ''}${c.delta.toFixed(4)}`}</td><td>${c.better}</td><td>${c.tolerance}</td><td>${c.pass ? 'pass' : `<b>fail</b>`}</td></tr>`
}

/** The cycle report as one HTML page. */
export function renderCycleHtml(report: CycleReport): string {
  const seeds = [...new Set(report.rounds.filter((r) => r.version === 'current').map((r) => r.seed))]
  const charts: string[] = []
  for (const seed of seeds) {
    const r1 = roundOf(report, 'current', seed)
    const r2 = roundOf(report, 'candidate', seed)
    const bare = roundOf(report, 'bare', seed)
    const series = [...(bare === undefined ? [] : ['bare model']), 'round 1 (current)', ...(r2 === undefined ? [] : ['round 2 (candidate)'])]
    const families = Object.keys(r1?.byFamily ?? {})
    const values = (f: string | null) => [
      ...(bare === undefined ? [] : [f === null ? bare.successRate : (bare.byFamily[f]?.successRate ?? null)]),
      f === null ? (r1?.successRate ?? null) : (r1?.byFamily[f]?.successRate ?? null),
      ...(r2 === undefined ? [] : [f === null ? r2.successRate : (r2.byFamily[f]?.successRate ?? null)]),
    ]
    charts.push(
      rateBarChart(
        `Attack success rate per family, seed ${seed}${seed === seeds[0] ? ' (the round the candidate learned from)' : ' (new markers and mutation draws)'} — lower is better`,
        series,
        [{ label: 'all attacks', values: values(null) }, ...families.map((f) => ({ label: f, values: values(f) }))],
      ),
    )
  }
  const figures = report.figures
  let devCharts = ''
  if (figures !== null) {
    const { current: c, candidate: d } = figures
    devCharts =
      rateBarChart('Dev F1, precision and recall (higher is better)', ['current', 'candidate'], [
        { label: 'F1', values: [c.dev.f1, d.dev.f1] },
        { label: 'precision', values: [c.dev.precision, d.dev.precision] },
        { label: 'recall', values: [c.dev.recall, d.dev.recall] },
      ]) +
      rateBarChart(
        'Dev false-positive rate (lower is better; axis to 5 %)',
        ['current', 'candidate'],
        [
          { label: 'FPR benign', values: [c.dev.fpr, d.dev.fpr] },
          { label: 'FPR benign-hard', values: [c.dev.fprBenignHard, d.dev.fprBenignHard] },
        ],
        0.05,
      ) +
      rateBarChart('Dev attacks: recall per mutation family (higher is better)', ['current', 'candidate'], Object.keys(d.devFamilyRecall).map((f) => ({ label: f, values: [c.devFamilyRecall[f] ?? null, d.devFamilyRecall[f] ?? null] })))
  }
  const gate =
    report.gate === null
      ? '<p>No gate: there was no candidate to judge.</p>'
      : `<table><thead><tr><th>measure</th><th>current</th><th>candidate</th><th>delta</th><th>better</th><th>tolerance</th><th>result</th></tr></thead><tbody>${report.gate.checks.map(checkRow).join('')}</tbody></table>`
  const rounds = report.rounds
    .map((r) => `<tr><td>${r.round}</td><td>${r.version}</td><td>${r.versionId === null ? '–' : `<code>${r.versionId.slice(0, 12)}</code>`}</td><td>${r.seed}</td><td>${r.successes}/${r.attacks}</td><td>${pct(r.successRate)}</td><td>${pct(r.harmlessRefused)}</td><td><code>${escapeHtml(r.report)}</code></td></tr>`)
    .join('')
  const decision = { activated: 'activated', awaiting_approval: 'registered, awaiting approval', nothing_to_learn: 'nothing to learn', unchanged: 'unchanged' }[report.decision]
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rampart learning cycle</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1000px;color:#111}figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.4rem}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style></head>
<body><h1>Rampart learning cycle: ${escapeHtml(decision)}</h1>
<p>${escapeHtml(report.summary)}.</p>
<p>Started ${escapeHtml(report.startedAt)}, ${report.seconds.total} s (red team ${report.seconds.redteam} s, retraining and evaluation ${report.seconds.train} s). Current version <code>${report.current.builtin ? 'builtin' : report.current.id.slice(0, 12)}</code>${report.candidate === null ? '' : `, candidate <code>${report.candidate.id.slice(0, 12)}</code>`}; learned from ${report.learnedFrom.successes} successful attacks (target <code>${escapeHtml(report.learnedFrom.target)}</code> of <code>${escapeHtml(report.learnedFrom.report)}</code>).</p>
<h2>Red team, round 1 and round 2</h2>
<table><thead><tr><th>round</th><th>version</th><th>id</th><th>seed</th><th>succeeded</th><th>success rate</th><th>harmless refused</th><th>report</th></tr></thead><tbody>${rounds}</tbody></table>
${charts.join('\n')}
<h2>Dev evaluation (shared dev rows; the red-team corpus is not in them)</h2>
${devCharts}
<h2>Gate</h2>
${gate}
</body></html>
`
}
