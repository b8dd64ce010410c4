import { RampartError } from '../core/errors.js'

/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC,
 * with Vixie cron's semantics: lists, ranges, steps (`*\/15`, `1-30/2`, `5/10`), month and day
 * names, 0 or 7 for Sunday, the `@hourly`-style macros, and — the classic trap — when both
 * day-of-month and day-of-week are restricted, a day matches if EITHER does (a field counts as
 * unrestricted when it starts with `*`, as in Vixie cron, so `*\/2` still means "any").
 * Small enough to own; no seconds field, no `L`/`W`/`#`/`?` (Quartz extensions).
 */
export interface CronSchedule {
  /** The expression as given. */
  readonly source: string
  /** The first matching minute strictly after `after` (UTC), as a Date on a whole minute. */
  next(after: Date): Date
}

interface Field {
  name: string
  min: number
  max: number
  names?: readonly string[]
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // 7 is Sunday too; folded onto 0 after parsing.
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
]

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

/** How far ahead `next` looks before deciding an expression never fires (Feb 29 recurs within 8 years). */
const HORIZON_YEARS = 9

function invalid(expression: string, message: string): RampartError {
  return new RampartError('RAMPART_ERR_INPUT_INVALID', `cron: ${message} (in "${expression}")`, { path: 'cron' })
}

function parseValue(text: string, field: Field, expression: string): number {
  const upper = text.toUpperCase()
  const named = field.names?.indexOf(upper) ?? -1
  if (named >= 0) return named + (field.name === 'month' ? 1 : 0)
  if (!/^\d{1,2}$/.test(text)) throw invalid(expression, `${field.name}: "${text}" is not a number${field.names === undefined ? '' : ' or a name'}`)
  const value = Number(text)
  if (value < field.min || value > field.max) throw invalid(expression, `${field.name}: ${value} is outside ${field.min}-${field.max}`)
  return value
}

function parseField(text: string, field: Field, expression: string): Set<number> {
  const values = new Set<number>()
  for (const part of text.split(',')) {
    if (part === '') throw invalid(expression, `${field.name}: empty list item`)
    const [range, stepText, extra] = part.split('/')
    if (extra !== undefined || range === undefined || range === '') throw invalid(expression, `${field.name}: "${part}" is malformed`)
    let step = 1
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) throw invalid(expression, `${field.name}: step "${stepText}" must be a whole number ≥ 1`)
      step = Number(stepText)
    }
    let from: number
    let to: number
    if (range === '*') {
      from = field.min
      to = field.max
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-')
      if (more !== undefined || a === undefined || b === undefined || a === '' || b === '') throw invalid(expression, `${field.name}: range "${range}" is malformed`)
      from = parseValue(a, field, expression)
      to = parseValue(b, field, expression)
      if (from > to) throw invalid(expression, `${field.name}: range ${range} runs backwards`)
    } else {
      from = parseValue(range, field, expression)
      // `5/10` means "from 5 to the end, every 10" (Vixie and most crons).
      to = stepText === undefined ? from : field.max
    }
    for (let v = from; v <= to; v += step) values.add(v)
  }
  return values
}

/**
 * Parses a cron expression. @throws RampartError RAMPART_ERR_INPUT_INVALID naming the field,
 * also for expressions that can never fire (`0 0 30 2 *`).
 */
export function parseCron(expression: string): CronSchedule {
  if (typeof expression !== 'string') throw invalid(String(expression), 'must be a string')
  const source = expression
  const expanded = MACROS[expression.trim().toLowerCase()] ?? expression.trim()
  if (expanded.startsWith('@')) throw invalid(source, `unknown macro; use one of ${Object.keys(MACROS).join(', ')}`)
  const parts = expanded.split(/\s+/)
  if (parts.length !== 5) throw invalid(source, `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`)
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => parseField(p, FIELDS[i]!, source)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>]
  if (weekdays.delete(7)) weekdays.add(0)
  const domStar = parts[2]!.startsWith('*')
  const dowStar = parts[4]!.startsWith('*')

  const dayMatches = (d: Date): boolean => {
    const dom = days.has(d.getUTCDate())
    const dow = weekdays.has(d.getUTCDay())
    if (domStar && dowStar) return true
    if (domStar) return dow
    if (dowStar) return dom
    return dom || dow
  }

  const schedule: CronSchedule = {
    source,
    next(after: Date): Date {
      const t = new Date(after.getTime())
      if (Number.isNaN(t.getTime())) throw invalid(source, 'next() needs a valid date')
      t.setUTCSeconds(0, 0)
      t.setUTCMinutes(t.getUTCMinutes() + 1)
      const limit = after.getTime() + HORIZON_YEARS * 366 * 86_400_000
      // Advance by the coarsest field that does not match; each step lands on a field boundary.
      while (t.getTime() <= limit) {
        if (!months.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1)
          t.setUTCHours(0, 0, 0, 0)
          continue
        }
        if (!dayMatches(t)) {
          t.setUTCDate(t.getUTCDate() + 1)
          t.setUTCHours(0, 0, 0, 0)
          continue
        }
        if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0)
          continue
        }
        if (!minutes.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0)
          continue
        }
        return t
      }
      throw invalid(source, `never fires (no match within ${HORIZON_YEARS} years)`)
    },
  }
  // Refuse at definition time what could never run, instead of a schedule that silently never fires.
  schedule.next(new Date(Date.UTC(2000, 0, 1)))
  return schedule
}
