/**
 * Durations as people type them on a command line: `30m`, `24h`, `7d`, `2w`, `90s`, or
 * several parts (`1d12h`). One parser for `rampart replay --since` and `GET /v1/shadow?since=`.
 */
import { RampartError } from '../core/errors.js'

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }
const WHOLE = /^(?:\d{1,7}[smhdw])+$/
const PART = /(\d{1,7})([smhdw])/g

/** Milliseconds of a duration such as `7d` or `1h30m`; throws RAMPART_ERR_INPUT_INVALID naming `where`. */
export function parseDuration(text: string, where = 'duration'): number {
  const s = text.trim()
  if (!WHOLE.test(s)) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${where}: "${text}" is not a duration; use a number and a unit s, m, h, d or w, e.g. 30m, 24h, 7d, 1d12h`, { path: where })
  }
  let ms = 0
  for (const [, n, unit] of s.matchAll(PART)) ms += Number(n) * (UNIT_MS[unit as string] as number)
  if (ms <= 0) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${where}: the duration must be longer than 0`, { path: where })
  return ms
}

/**
 * A window start: an ISO-8601 time as is, or a duration back from `now`.
 * `sinceTime('24h', now)` → the ISO time 24 hours before `now`.
 */
export function sinceTime(text: string, now: number, where = 'since'): string {
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const t = Date.parse(text)
    if (Number.isNaN(t)) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${where}: "${text}" is not a valid ISO-8601 time`, { path: where })
    return new Date(t).toISOString()
  }
  return new Date(now - parseDuration(text, where)).toISOString()
}
