import { describe, expect, it } from 'vitest'
import { ALARM_STATES, TREAT_MISSING_DATA, type AlarmState, type TreatMissingData } from '../store/types.js'
import { breaches, datapoints, decide, evaluateAlarm, evaluationRange, type AlarmDefinition, type DatapointClass } from './alarms.js'

/** `0 - X - X` (oldest first, as in CloudWatch's docs): 0 not breaching, X breaching, - missing. */
function classes(pattern: string): DatapointClass[] {
  return pattern.split(/\s+/).map((c) => (c === 'X' ? 'breaching' : c === '0' ? 'notBreaching' : 'missing'))
}

const RETAIN = 'retain'
type Expected = AlarmState | typeof RETAIN

function check(n: number, m: number, pattern: string, expected: Record<TreatMissingData, Expected>): void {
  for (const treat of TREAT_MISSING_DATA) {
    for (const current of ALARM_STATES) {
      const d = decide({ evaluationPeriods: n, datapointsToAlarm: m, treatMissingData: treat }, current, classes(pattern))
      const want = expected[treat] === RETAIN ? current : expected[treat]
      expect(d.state, `${pattern} N=${n} M=${m} treat=${treat} from ${current}`).toBe(want)
      expect(d.retained, `${pattern} treat=${treat}: retained`).toBe(expected[treat] === RETAIN)
    }
  }
}

describe('decide: CloudWatch documented examples (evaluation range 5)', () => {
  // "Datapoints to Alarm and Evaluation Periods are both 3."
  it.each([
    ['0 - X - X', { missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' }],
    ['0 - - - -', { missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' }],
    ['- - - - -', { missing: 'INSUFFICIENT_DATA', ignore: RETAIN, breaching: 'ALARM', notBreaching: 'OK' }],
    ['0 X X - X', { missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' }],
    ['- - X - -', { missing: 'ALARM', ignore: RETAIN, breaching: 'ALARM', notBreaching: 'OK' }],
  ] as const)('3 of 3: %s', (pattern, expected) => check(3, 3, pattern, expected))

  // "Datapoints to Alarm is only 2 while Evaluation Periods is 3."
  it.each([
    ['0 - X - X', { missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' }],
    ['0 0 X 0 X', { missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' }],
    ['0 - X - -', { missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' }],
    ['- - - - 0', { missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' }],
    ['- - - X -', { missing: 'ALARM', ignore: RETAIN, breaching: 'ALARM', notBreaching: 'OK' }],
  ] as const)('2 of 3: %s', (pattern, expected) => check(3, 2, pattern, expected))

  it('does not alarm prematurely on one fresh breaching point ("- - - - X" and "- - - X -" with M = 3): the state stays', () => {
    check(3, 3, '- - - - X', { missing: RETAIN, ignore: RETAIN, breaching: 'ALARM', notBreaching: 'OK' })
    check(3, 3, '- - - X -', { missing: RETAIN, ignore: RETAIN, breaching: 'ALARM', notBreaching: 'OK' })
    // …and the documented follow-ups resolve to OK once a good point arrives.
    check(3, 3, '- - - X 0', { missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' })
    check(3, 3, '- - X - 0', { missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' })
  })

  it('fills only the shortfall: one real good point and two breaching fills stay below M = 3', () => {
    const d = decide({ evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'breaching' }, 'OK', classes('0 - - - -'))
    expect(d).toMatchObject({ state: 'OK', real: 1, filled: 2, breaching: 2, rule: 'filled' })
  })

  it('uses the most recent N real points, looking past gaps, when there are at least N', () => {
    const d = decide({ evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'breaching' }, 'OK', classes('X 0 X - X'))
    // 0, X, X are the 3 most recent real points; the gap is not filled.
    expect(d).toMatchObject({ state: 'OK', real: 4, filled: 0, breaching: 2, rule: 'real' })
  })
})

describe('decide: every transition under every missing-data treatment', () => {
  const all = (n: number): string[] => {
    const out: string[] = []
    const walk = (prefix: string[]) => {
      if (prefix.length === n) return void out.push(prefix.join(' '))
      for (const c of ['0', 'X', '-']) walk([...prefix, c])
    }
    walk([])
    return out
  }
  const patterns = all(evaluationRange(3))
  const definition = (treat: TreatMissingData, m = 2) => ({ evaluationPeriods: 3, datapointsToAlarm: m, treatMissingData: treat })

  /** Which transitions some pattern produces, per treatment and M, over all 3^5 patterns. */
  function reachable(treat: TreatMissingData, m: number): Set<string> {
    const seen = new Set<string>()
    for (const from of ALARM_STATES) for (const p of patterns) seen.add(`${from}->${decide(definition(treat, m), from, classes(p)).state}`)
    return seen
  }

  const everything = ALARM_STATES.flatMap((a) => ALARM_STATES.map((b) => `${a}->${b}`))
  const intoInsufficient = ['OK->INSUFFICIENT_DATA', 'ALARM->INSUFFICIENT_DATA']

  it.each([2, 3])('missing (M = %i): all nine transitions happen', (m) => {
    expect([...reachable('missing', m)].sort()).toEqual([...everything].sort())
  })

  it.each(['ignore', 'breaching', 'notBreaching'] as const)('%s: every transition except into INSUFFICIENT_DATA; INSUFFICIENT_DATA is left', (treat) => {
    for (const m of [1, 2, 3]) {
      const seen = reachable(treat, m)
      for (const t of everything) expect(seen.has(t), `${treat} M=${m}: ${t}`).toBe(!intoInsufficient.includes(t) && !(treat !== 'ignore' && t === 'INSUFFICIENT_DATA->INSUFFICIENT_DATA'))
    }
  })

  it.each([
    // from, pattern, treatment → to : one witness per cell of the 3×3 table, per treatment.
    ['INSUFFICIENT_DATA', 'X X X X X', 'missing', 'ALARM'],
    ['INSUFFICIENT_DATA', '0 0 0 0 0', 'missing', 'OK'],
    ['INSUFFICIENT_DATA', '- - - - -', 'missing', 'INSUFFICIENT_DATA'],
    ['OK', 'X X X X X', 'missing', 'ALARM'],
    ['OK', '0 0 0 0 0', 'missing', 'OK'],
    ['OK', '- - - - -', 'missing', 'INSUFFICIENT_DATA'],
    ['ALARM', '0 0 0 0 0', 'missing', 'OK'],
    ['ALARM', 'X X X X X', 'missing', 'ALARM'],
    ['ALARM', '- - - - -', 'missing', 'INSUFFICIENT_DATA'],
    ['INSUFFICIENT_DATA', '- - - - -', 'ignore', 'INSUFFICIENT_DATA'],
    ['OK', '- - - - -', 'ignore', 'OK'],
    ['ALARM', '- - - - -', 'ignore', 'ALARM'],
    ['INSUFFICIENT_DATA', '- - - X -', 'ignore', 'INSUFFICIENT_DATA'],
    ['OK', '- - X - -', 'ignore', 'OK'],
    ['INSUFFICIENT_DATA', '- - - - -', 'breaching', 'ALARM'],
    ['OK', '- - - - -', 'breaching', 'ALARM'],
    ['ALARM', '- - - - -', 'breaching', 'ALARM'],
    ['INSUFFICIENT_DATA', '- - - - -', 'notBreaching', 'OK'],
    ['ALARM', '- - - - -', 'notBreaching', 'OK'],
    ['ALARM', '- - - - X', 'notBreaching', 'OK'],
    ['OK', '- - - - 0', 'breaching', 'ALARM'],
    ['ALARM', '0 - - - -', 'ignore', 'OK'],
  ] as const)('%s + [%s] with %s → %s', (from, pattern, treat, to) => {
    expect(decide(definition(treat), from, classes(pattern)).state).toBe(to)
  })

  it('ignores the treatment whenever the range holds N real datapoints', () => {
    for (const p of patterns.filter((x) => classes(x).filter((c) => c !== 'missing').length >= 3)) {
      const states = new Set(TREAT_MISSING_DATA.flatMap((t) => ALARM_STATES.map((from) => decide(definition(t), from, classes(p)).state)))
      expect(states.size, p).toBe(1)
    }
  })

  it('is monotone: treating missing as breaching never gives OK where notBreaching gives ALARM', () => {
    for (const p of patterns) {
      const bad = decide(definition('breaching'), 'OK', classes(p)).state
      const good = decide(definition('notBreaching'), 'OK', classes(p)).state
      expect(!(bad === 'OK' && good === 'ALARM'), p).toBe(true)
    }
  })

  it('ignore differs from missing only by keeping the state where missing would decide on absent data', () => {
    for (const p of patterns) {
      for (const from of ALARM_STATES) {
        const missing = decide(definition('missing'), from, classes(p))
        const ignore = decide(definition('ignore'), from, classes(p))
        if (ignore.state !== missing.state) expect(ignore.retained, `${p} from ${from}`).toBe(true)
      }
    }
  })
})

describe('datapoints and statistics', () => {
  const now = new Date('2026-11-26T12:00:00.000Z')
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString()
  const points = [
    { at: at(0), value: 4 },
    { at: at(30), value: 2 },
    { at: at(59.99), value: 9 },
    { at: at(60), value: 100 }, // exactly one period ago: the newest period ends at now, so this is the previous one
    { at: at(150), value: 1 },
    { at: at(-1), value: 1_000 }, // in the future: ignored
    { at: at(10 * 60), value: 1_000 }, // before the range: ignored
  ]

  it.each([
    ['Average', [null, null, 1, 100, 5]],
    ['Sum', [null, null, 1, 100, 15]],
    ['Minimum', [null, null, 1, 100, 2]],
    ['Maximum', [null, null, 1, 100, 9]],
    ['SampleCount', [null, null, 1, 1, 3]],
  ] as const)('%s per period, oldest first, periods ending at now', (stat, values) => {
    const d = datapoints({ statistic: stat, periodSeconds: 3600, evaluationPeriods: 3 }, points, now)
    expect(d.map((p) => p.value)).toEqual(values)
    expect(d.at(-1)).toMatchObject({ end: now.toISOString(), start: at(60), samples: 3 })
    expect(d[0]).toMatchObject({ start: at(300), end: at(240), samples: 0 })
  })

  it.each([
    ['GreaterThanThreshold', [false, false, true]],
    ['GreaterThanOrEqualToThreshold', [false, true, true]],
    ['LessThanThreshold', [true, false, false]],
    ['LessThanOrEqualToThreshold', [true, true, false]],
  ] as const)('%s compares 0.1, 0.2, 0.3 with 0.2', (comparison, expected) => {
    expect([0.1, 0.2, 0.3].map((v) => breaches(comparison, v, 0.2))).toEqual(expected)
  })
})

describe('evaluateAlarm', () => {
  const base: AlarmDefinition = { statistic: 'Maximum', comparison: 'GreaterThanThreshold', threshold: 0.2, periodSeconds: 3600, evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'missing' }
  const now = new Date('2026-11-26T12:00:00.000Z')

  it('goes INSUFFICIENT_DATA → ALARM on a breaching run metric, with a CloudWatch-style reason and the datapoints', () => {
    const e = evaluateAlarm(base, 'INSUFFICIENT_DATA', [{ at: '2026-11-26T11:59:00.000Z', value: 0.42 }, { at: '2026-11-26T11:30:00.000Z', value: 0.1 }], now)
    expect(e).toMatchObject({ state: 'ALARM', changed: true, rule: 'real', breaching: 1 })
    expect(e.reason).toBe('Threshold Crossed: 1 of the last 1 datapoints [0.42 (2026-11-26T12:00:00.000Z)] was greater than the threshold (0.2); 1 needed for ALARM.')
    expect(e.reasonData).toMatchObject({ rule: 'real', threshold: 0.2, statistic: 'Maximum' })
    expect((e.reasonData.datapoints as unknown[]).length).toBe(3)
  })

  it('stays OK (changed false) on a good metric, and reports missing data', () => {
    expect(evaluateAlarm(base, 'OK', [{ at: '2026-11-26T11:59:00.000Z', value: 0.1 }], now)).toMatchObject({ state: 'OK', changed: false })
    const e = evaluateAlarm(base, 'ALARM', [], now)
    expect(e).toMatchObject({ state: 'INSUFFICIENT_DATA', changed: true, rule: 'all_missing' })
    expect(e.reason).toBe('No datapoints in the last 3 periods (treat missing data: missing).')
    expect(evaluateAlarm({ ...base, treatMissingData: 'ignore' }, 'ALARM', [], now)).toMatchObject({ state: 'ALARM', changed: false, retained: true })
  })
})
