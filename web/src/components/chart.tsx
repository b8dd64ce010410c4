import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface ChartSeries {
  label: string
  color: string
  /** Fill under the line (area) or draw bars. */
  kind?: 'line' | 'area' | 'bars'
  /** Legend value for index i (e.g. the real count when the plotted values are stacked). */
  legend?: (i: number) => string
  dash?: number[]
  points?: boolean
}

export interface ChartProps {
  /** Accessible summary of what the chart shows. */
  summary: string
  /** Seconds since the epoch. */
  x: number[]
  series: ChartSeries[]
  values: (number | null)[][]
  yLabel: string
  height?: number
  yFormat?: (v: number) => string
  yMin?: number
  yMax?: number
}

const AXIS = '#cbd5e1'

/** Thousands as k; small statistics (drift distances of 0.0001) keep two significant digits. */
function defaultFormat(v: number): string {
  const a = Math.abs(v)
  if (a >= 1000) return `${(v / 1000).toFixed(1)}k`
  if (a === 0 || a >= 1) return String(Math.round(v * 100) / 100)
  return String(Number(v.toPrecision(2)))
}
const GRID = 'rgba(148, 163, 184, 0.16)'

/**
 * A uPlot time chart sized to its container (ResizeObserver), with axes, units and a legend.
 * role="img" with a text summary: screen readers get the figures, not a canvas.
 */
export function Chart({ summary, x, series, values, yLabel, height = 220, yFormat, yMin, yMax }: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = box.current
    if (el === null) return
    const fmt = yFormat ?? defaultFormat
    const bars = uPlot.paths.bars?.({ size: [0.72, 48], gap: 1 })
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      legend: { live: true },
      // Axes in UTC like every time in the dashboard; a single timestamp gets an hour either side.
      tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true, range: (_u, min, max) => (min === max ? [min - 3_600, max + 3_600] : [min, max]) }, y: { range: (_u, min, max) => [yMin ?? Math.min(0, min), yMax ?? (max <= 0 ? 1 : max * 1.12)] } },
      axes: [
        { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID } },
        { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID }, label: yLabel, labelSize: 22, size: 56, values: (_u, splits) => splits.map(fmt) },
      ],
      series: [
        { label: 'Time', value: (_u, v) => (v === null ? '—' : new Date(v * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC') },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.kind === 'bars' ? 0 : 2,
          ...(s.kind === 'area' ? { fill: `${s.color}33` } : s.kind === 'bars' ? { fill: s.color, paths: bars } : {}),
          ...(s.dash === undefined ? {} : { dash: s.dash }),
          points: { show: s.points ?? false, size: 6, fill: s.color },
          value: (_u: uPlot, v: number | null, _si: number, i: number | null) => (s.legend !== undefined && i !== null ? s.legend(i) : v === null ? '—' : fmt(v)),
        })),
      ],
    }
    const plot = new uPlot(opts, [x, ...values] as uPlot.AlignedData, el)
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
  }, [x, values, series, height, yLabel, yFormat, yMin, yMax])
  return <div class="chart" ref={box} role="img" aria-label={summary} />
}

/** Horizontal bars in HTML (ranked lists: top scanners, top keys): readable text, no canvas. */
export function BarList({ items, color, unit }: { items: { label: string; value: number; hint?: string }[]; color: string; unit: string }) {
  const max = Math.max(1, ...items.map((i) => i.value))
  return (
    <ol class="barlist">
      {items.map((i) => (
        <li key={i.label}>
          <div class="barlist-row">
            <span class="barlist-label" title={i.label}>
              {i.label}
            </span>
            <span class="barlist-value">
              {i.value} {i.value === 1 ? unit.replace(/s$/, '') : unit}
              {i.hint === undefined ? null : <span class="muted"> · {i.hint}</span>}
            </span>
          </div>
          <div class="barlist-track" aria-hidden="true">
            <div class="barlist-fill" style={{ width: `${(100 * i.value) / max}%`, background: color }} />
          </div>
        </li>
      ))}
    </ol>
  )
}
