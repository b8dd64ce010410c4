/**
 * A self-contained HTML page (inline SVG, no scripts, no CDN) with bar charts of the benchmark
 * figures, for people who read charts before tables.
 */

export interface BarGroup {
  /** Group label, e.g. a detector or a type. */
  label: string
  /** One bar per series, in the chart's series order. */
  values: (number | undefined)[]
}

export interface BarChart {
  title: string
  series: string[]
  groups: BarGroup[]
  /** Axis maximum; the largest value when omitted. */
  max?: number
  /** Formats a value for its label. */
  unit?: string
  note?: string
}

const COLORS = ['#1f6feb', '#d97706', '#6b7280', '#059669', '#9333ea', '#dc2626']

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

/** One horizontal grouped bar chart as an SVG element. */
export function renderBarChart(chart: BarChart): string {
  const barH = 14
  const gap = 10
  const labelW = 300
  const plotW = 460
  const groupH = chart.series.length * barH + gap
  const legendH = 22
  const height = legendH + chart.groups.length * groupH + 10
  const max = chart.max ?? Math.max(1e-9, ...chart.groups.flatMap((g) => g.values.filter((v): v is number => v !== undefined && Number.isFinite(v))))
  const parts: string[] = []
  // Legend entries are spaced by their label's length so long names do not overlap.
  let legendX = labelW
  chart.series.forEach((s, i) => {
    parts.push(`<rect x="${legendX}" y="4" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${legendX + 16}" y="14" font-size="12">${escapeHtml(s)}</text>`)
    legendX += 16 + s.length * 7 + 18
  })
  chart.groups.forEach((g, gi) => {
    const y0 = legendH + gi * groupH
    parts.push(`<text x="${labelW - 8}" y="${y0 + (chart.series.length * barH) / 2 + 4}" font-size="12" text-anchor="end">${escapeHtml(g.label)}</text>`)
    g.values.forEach((v, si) => {
      const y = y0 + si * barH
      if (v === undefined || !Number.isFinite(v)) {
        parts.push(`<text x="${labelW + 4}" y="${y + barH - 3}" font-size="10" fill="#888">n/a</text>`)
        return
      }
      const w = Math.max(1, (Math.min(v, max) / max) * plotW)
      parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[si % COLORS.length]}"/>`)
      const label = `${v < 10 ? v.toFixed(3) : Math.round(v).toLocaleString('en-US')}${chart.unit ?? ''}`
      parts.push(`<text x="${labelW + w + 4}" y="${y + barH - 3}" font-size="10">${label}</text>`)
    })
  })
  return `<figure><figcaption>${escapeHtml(chart.title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 90}" height="${height}" role="img" aria-label="${escapeHtml(chart.title)}">${parts.join('')}</svg>${chart.note ? `<p class="note">${escapeHtml(chart.note)}</p>` : ''}</figure>`
}

/** A whole page: title, charts, and the markdown tables as preformatted text. */
export function renderReport(title: string, charts: BarChart[], tables: string[]): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1000px;color:#111}figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.4rem}pre{background:#f6f8fa;padding:1rem;overflow:auto;font-size:12px}.note{color:#555;font-size:12px;margin:.2rem 0}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>Generated ${escapeHtml(new Date().toISOString())} by <code>npm run bench</code>.</p>
${charts.map(renderBarChart).join('\n')}
<h2>Tables</h2>${tables.map((t) => `<pre>${escapeHtml(t)}</pre>`).join('\n')}</body></html>
`
}
