import { describe, expect, it } from 'vitest'
import { parseCron } from './schedule-cron.js'

const utc = (s: string) => new Date(`${s}Z`)
const iso = (d: Date) => d.toISOString().replace(':00.000Z', '')

/** The next `n` firing times after `from`. */
function runs(expression: string, from: string, n: number): string[] {
  const cron = parseCron(expression)
  const out: string[] = []
  let t = utc(from)
  for (let i = 0; i < n; i++) {
    t = cron.next(t)
    out.push(iso(t))
  }
  return out
}

describe('parseCron', () => {
  it('fires every minute for * * * * *, strictly after the given time, on whole minutes', () => {
    expect(runs('* * * * *', '2026-11-26T10:00:30', 3)).toEqual(['2026-11-26T10:01', '2026-11-26T10:02', '2026-11-26T10:03'])
    expect(runs('* * * * *', '2026-11-26T10:00:00', 1)).toEqual(['2026-11-26T10:01'])
  })

  it('handles steps, ranges, lists and a start/step form', () => {
    expect(runs('*/15 * * * *', '2026-11-26T10:07', 4)).toEqual(['2026-11-26T10:15', '2026-11-26T10:30', '2026-11-26T10:45', '2026-11-26T11:00'])
    expect(runs('5/20 * * * *', '2026-11-26T10:00', 4)).toEqual(['2026-11-26T10:05', '2026-11-26T10:25', '2026-11-26T10:45', '2026-11-26T11:05'])
    expect(runs('0 9-17/4 * * *', '2026-11-26T10:00', 3)).toEqual(['2026-11-26T13:00', '2026-11-26T17:00', '2026-11-27T09:00'])
    expect(runs('0,30 8,20 * * *', '2026-11-26T08:00', 4)).toEqual(['2026-11-26T08:30', '2026-11-26T20:00', '2026-11-26T20:30', '2026-11-27T08:00'])
  })

  it('rolls over hours, days, months and years', () => {
    expect(runs('59 23 31 12 *', '2026-12-31T23:59', 1)).toEqual(['2027-12-31T23:59'])
    expect(runs('0 0 1 * *', '2026-12-15T00:00', 2)).toEqual(['2027-01-01T00:00', '2027-02-01T00:00'])
  })

  it('skips months without the day (31st) and finds Feb 29 only in leap years, not in 2100', () => {
    expect(runs('0 0 31 * *', '2026-01-31T00:00', 3)).toEqual(['2026-03-31T00:00', '2026-05-31T00:00', '2026-07-31T00:00'])
    expect(runs('0 0 29 2 *', '2026-01-01T00:00', 2)).toEqual(['2028-02-29T00:00', '2032-02-29T00:00'])
    expect(runs('0 0 29 2 *', '2097-01-01T00:00', 2)).toEqual(['2104-02-29T00:00', '2108-02-29T00:00'])
  })

  it('ORs day-of-month and day-of-week when both are restricted (Vixie semantics)', () => {
    // 2026-11-26 is a Thursday. The 1st or 15th of a month, or any Monday.
    expect(runs('0 0 1,15 * 1', '2026-11-26T00:00', 4)).toEqual(['2026-11-30T00:00', '2026-12-01T00:00', '2026-12-07T00:00', '2026-12-14T00:00'])
    // With day-of-month `*` only the weekday counts; with `*/2` (starts with *) too.
    expect(runs('0 0 * * 1', '2026-11-26T00:00', 2)).toEqual(['2026-11-30T00:00', '2026-12-07T00:00'])
    expect(runs('0 0 */2 * 1', '2026-11-26T00:00', 2)).toEqual(['2026-11-30T00:00', '2026-12-07T00:00'])
    // With day-of-week `*` only the day of month counts.
    expect(runs('0 0 13 * *', '2026-11-26T00:00', 1)).toEqual(['2026-12-13T00:00'])
  })

  it('accepts 7 and names for Sunday, month names, and macros', () => {
    expect(runs('0 12 * * 7', '2026-11-26T00:00', 1)).toEqual(['2026-11-29T12:00'])
    expect(runs('0 12 * * sun', '2026-11-26T00:00', 1)).toEqual(['2026-11-29T12:00'])
    expect(runs('0 12 * * MON-FRI', '2026-11-27T12:00', 2)).toEqual(['2026-11-30T12:00', '2026-12-01T12:00'])
    expect(runs('0 0 1 jan,Jul *', '2026-11-26T00:00', 2)).toEqual(['2027-01-01T00:00', '2027-07-01T00:00'])
    expect(runs('@hourly', '2026-11-26T10:05', 1)).toEqual(['2026-11-26T11:00'])
    expect(runs('@daily', '2026-11-26T10:05', 1)).toEqual(['2026-11-27T00:00'])
    expect(runs('@weekly', '2026-11-26T10:05', 1)).toEqual(['2026-11-29T00:00'])
    expect(runs('@monthly', '2026-11-26T10:05', 1)).toEqual(['2026-12-01T00:00'])
    expect(runs('@yearly', '2026-11-26T10:05', 1)).toEqual(['2027-01-01T00:00'])
  })

  it('tolerates extra whitespace', () => {
    expect(runs('  0   6  * *   * ', '2026-11-26T10:00', 1)).toEqual(['2026-11-27T06:00'])
  })

  it.each([
    ['', /expected 5 fields/],
    ['* * * *', /expected 5 fields/],
    ['* * * * * *', /expected 5 fields/],
    ['60 * * * *', /minute: 60 is outside 0-59/],
    ['* 24 * * *', /hour: 24 is outside 0-23/],
    ['* * 0 * *', /day of month: 0 is outside 1-31/],
    ['* * * 13 *', /month: 13 is outside 1-12/],
    ['* * * * 8', /day of week: 8 is outside 0-7/],
    ['*/0 * * * *', /step "0"/],
    ['10-5 * * * *', /runs backwards/],
    ['1,,2 * * * *', /empty list item/],
    ['a * * * *', /not a number/],
    ['* * * foo *', /not a number or a name/],
    ['1-2-3 * * * *', /malformed/],
    ['*/5/2 * * * *', /malformed/],
    ['@reboot', /unknown macro/],
    ['0 0 30 2 *', /never fires/],
    ['0 0 31 4,6,9,11 *', /never fires/],
  ])('refuses %j', (expression, message) => {
    expect(() => parseCron(expression)).toThrow(message)
    try {
      parseCron(expression)
    } catch (error) {
      expect(error).toMatchObject({ code: 'RAMPART_ERR_INPUT_INVALID', path: 'cron' })
    }
  })
})
