/**
 * Pieces of the self-contained HTML reports (red team, learning cycle, integrity, replay): inline
 * SVG, no scripts, no external resources, every value escaped.
 */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

const COLORS = ['#d97706', '#1f6feb', '#059669', '#9333ea']

const pct = (v: number, digits: number): string => `${(100 * v).toFixed(digits)} %`

export interface BarGroup {
  label: string
  /** One value per series; null is drawn as "n/a". */
  values: readonly (number | null)[]
}

export interface BarChartOptions {
  /** The value a full-width bar stands for. */
  max: number
  /** The label beside a bar. */
  format: (v: number) => string
  /** A bar's tooltip; none when absent. */
  tooltip?: (series: string, v: number) => string
  /** Draw the legend (default: always). */
  legend?: boolean
  /** Group labels longer than this are cut with an ellipsis. */
  maxLabel?: number
  colors?: readonly string[]
}

/** A horizontal grouped bar chart, one bar per series: the one chart every report draws. */
export function groupedBarChart(title: string, series: readonly string[], groups: readonly BarGroup[], options: BarChartOptions): string {
  const { max, format, tooltip, legend = true, maxLabel = Infinity, colors = COLORS } = options
  const barH = 12
  const labelW = 200
  const plotW = 460
  const groupH = series.length * barH + 8
  const legendH = legend ? 24 : 4
  const height = legendH + groups.length * groupH + 8
  const parts: string[] = []
  let lx = labelW
  if (legend) {
    series.forEach((s, i) => {
      parts.push(`<rect x="${lx}" y="5" width="12" height="12" fill="${colors[i % colors.length]}"/><text x="${lx + 16}" y="15" font-size="12">${escapeHtml(s)}</text>`)
      lx += 16 + s.length * 7 + 20
    })
  }
  groups.forEach((g, gi) => {
    const y0 = legendH + gi * groupH
    const label = g.label.length > maxLabel ? `${g.label.slice(0, maxLabel - 1)}…` : g.label
    parts.push(`<text x="${labelW - 8}" y="${y0 + (series.length * barH) / 2 + 4}" font-size="12" text-anchor="end">${escapeHtml(label)}</text>`)
    g.values.forEach((v, si) => {
      const y = y0 + si * barH
      if (v === null) {
        parts.push(`<text x="${labelW + 4}" y="${y + barH - 2}" font-size="10" fill="#888">n/a</text>`)
        return
      }
      const w = Math.max(1, (v / max) * plotW)
      const tip = tooltip === undefined ? '' : `<title>${escapeHtml(tooltip(series[si] ?? '', v))}</title>`
      parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${colors[si % colors.length]}">${tip}</rect>`)
      parts.push(`<text x="${labelW + w + 4}" y="${y + barH - 2}" font-size="10">${escapeHtml(format(v))}</text>`)
    })
  })
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 80}" height="${height}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}</svg></figure>`
}

/**
 * A horizontal grouped bar chart of rates (0..`max`, shown as percentages), one bar per series;
 * a null value is drawn as "n/a".
 */
export function rateBarChart(title: string, series: readonly string[], groups: readonly BarGroup[], max = 1): string {
  return groupedBarChart(title, series, groups, {
    max,
    format: (v) => pct(v, max < 1 ? 2 : 0),
    tooltip: (s, v) => `${s}: ${pct(v, max < 1 ? 2 : 1)}`,
  })
}
