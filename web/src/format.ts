import type { AlertView } from './types.js'

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
const dtf = new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'UTC' })
const nf = new Intl.NumberFormat('en')

export function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—'
  return `${dtf.format(new Date(iso))} UTC`
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined) return 'never'
  const s = Math.round((Date.parse(iso) - now) / 1000)
  const a = Math.abs(s)
  if (a < 60) return rtf.format(s, 'second')
  if (a < 3_600) return rtf.format(Math.round(s / 60), 'minute')
  if (a < 86_400) return rtf.format(Math.round(s / 3_600), 'hour')
  return rtf.format(Math.round(s / 86_400), 'day')
}

export const num = (n: number): string => nf.format(n)
export const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)} %`
export const score = (x: number): string => x.toFixed(x >= 0.995 || x === 0 ? 2 : 3)
export const shortId = (id: string): string => (id.length > 12 ? `${id.slice(0, 8)}…` : id)

/** What an alert caught, in a few words: the strongest finding's scanner and type. */
export function reasonOf(a: AlertView): string {
  const top = [...a.findings].filter((f) => f.action !== 'allow').sort((x, y) => y.score - x.score)[0]
  return top === undefined ? a.scanners.join(', ') : `${top.scanner} · ${top.type}`
}
