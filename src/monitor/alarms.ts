/**
 * Alarms on run metrics, modelled on CloudWatch's metric alarms: a statistic of the metric per
 * period, compared with a threshold; the most recent N periods (evaluation periods) decide, M of
 * them breaching (datapoints to alarm) put the alarm in ALARM; missing periods are treated as
 * the alarm says (missing, notBreaching, breaching, ignore). Pure functions, no clock, no I/O:
 * the caller passes `now` and the points, and gets the next state with its reason.
 *
 * Missing data follows CloudWatch's documented rules ("How alarm state is evaluated when data is
 * missing" and "Avoiding premature transitions to alarm state"), and the two example tables of
 * that page are test cases (alarms.test.ts):
 *  - the evaluation range is N + 2 periods (CloudWatch fetches "a higher number of data points
 *    than Evaluation Periods"; its examples use 5 for N = 3);
 *  - at least N real datapoints in the range → the N most recent real ones decide, the
 *    treatment is not consulted;
 *  - none → missing: INSUFFICIENT_DATA, ignore: keep the state, breaching: ALARM, notBreaching: OK;
 *  - some, fewer than N → the shortfall (N − real) is filled: breaching fills count as breaching,
 *    notBreaching fills do not. With missing and ignore nothing is filled: M breaching real
 *    points alarm; when every real point breaches and the oldest is at least M periods old the
 *    alarm goes to ALARM (missing) or keeps its state (ignore) — CloudWatch's premature-alarm
 *    rule; when every real point breaches but they are too recent, the state is kept (the next
 *    point may be fine: CloudWatch "does not go immediately into ALARM"); otherwise OK.
 */
import type { AlarmComparison, AlarmState, AlarmStatistic, TreatMissingData } from '../store/types.js'

export type { AlarmComparison, AlarmState, AlarmStatistic, TreatMissingData }

export interface AlarmDefinition {
  statistic: AlarmStatistic
  comparison: AlarmComparison
  threshold: number
  periodSeconds: number
  evaluationPeriods: number
  datapointsToAlarm: number
  treatMissingData: TreatMissingData
}

export type DatapointClass = 'breaching' | 'notBreaching' | 'missing'

/** The statistic of one period; `value` null when no point fell in it. */
export interface Datapoint {
  /** Period bounds: `start < at <= end` (ISO). */
  start: string
  end: string
  value: number | null
  samples: number
}

export type EvaluationRule = 'real' | 'filled' | 'all_missing' | 'premature' | 'too_recent' | 'partial'

export interface Decision {
  state: AlarmState
  rule: EvaluationRule
  /** Breaching datapoints counted (filled ones included). */
  breaching: number
  /** Real datapoints in the evaluation range. */
  real: number
  /** Missing datapoints filled by the treatment. */
  filled: number
  /** True when the state was kept because the data could not decide. */
  retained: boolean
}

export interface Evaluation extends Decision {
  changed: boolean
  reason: string
  reasonData: Record<string, unknown>
}

/** Periods fetched per evaluation: N + 2, so two missing recent periods can be looked past. */
export function evaluationRange(evaluationPeriods: number): number {
  return evaluationPeriods + 2
}

function statistic(kind: AlarmStatistic, values: readonly number[]): number {
  switch (kind) {
    case 'SampleCount':
      return values.length
    case 'Sum':
      return values.reduce((a, b) => a + b, 0)
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length
    case 'Minimum':
      return Math.min(...values)
    case 'Maximum':
      return Math.max(...values)
  }
}

/**
 * The datapoints of the evaluation range ending at `now`, oldest first. Period k (0 = newest)
 * holds the points with `now − (k+1)·P < at ≤ now − k·P`: periods end at the evaluation time, so
 * a run's metrics count at once instead of waiting for a clock-aligned period to close.
 */
export function datapoints(definition: Pick<AlarmDefinition, 'statistic' | 'periodSeconds' | 'evaluationPeriods'>, points: readonly { at: string; value: number }[], now: Date): Datapoint[] {
  const range = evaluationRange(definition.evaluationPeriods)
  const periodMs = definition.periodSeconds * 1000
  const end = now.getTime()
  const buckets: number[][] = Array.from({ length: range }, () => [])
  for (const p of points) {
    const age = end - Date.parse(p.at)
    if (!(age >= 0) || !Number.isFinite(p.value)) continue
    const k = Math.floor(age / periodMs)
    if (k < range) buckets[k]!.push(p.value)
  }
  const out: Datapoint[] = []
  for (let k = range - 1; k >= 0; k--) {
    const values = buckets[k]!
    out.push({
      start: new Date(end - (k + 1) * periodMs).toISOString(),
      end: new Date(end - k * periodMs).toISOString(),
      value: values.length === 0 ? null : statistic(definition.statistic, values),
      samples: values.length,
    })
  }
  return out
}

export function breaches(comparison: AlarmComparison, value: number, threshold: number): boolean {
  switch (comparison) {
    case 'GreaterThanThreshold':
      return value > threshold
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold
    case 'LessThanThreshold':
      return value < threshold
    case 'LessThanOrEqualToThreshold':
      return value <= threshold
  }
}

export function classify(definition: Pick<AlarmDefinition, 'comparison' | 'threshold'>, points: readonly Datapoint[]): DatapointClass[] {
  return points.map((d) => (d.value === null ? 'missing' : breaches(definition.comparison, d.value, definition.threshold) ? 'breaching' : 'notBreaching'))
}

/**
 * The state machine: the next state from the current one and the classified datapoints of the
 * evaluation range (oldest first, normally N + 2 of them). See the module comment for the rules.
 */
export function decide(definition: Pick<AlarmDefinition, 'evaluationPeriods' | 'datapointsToAlarm' | 'treatMissingData'>, current: AlarmState, classes: readonly DatapointClass[]): Decision {
  const n = definition.evaluationPeriods
  const m = definition.datapointsToAlarm
  const realIndexes = classes.flatMap((c, i) => (c === 'missing' ? [] : [i]))
  const real = realIndexes.length
  const realBreaching = realIndexes.filter((i) => classes[i] === 'breaching').length
  const verdict = (breaching: number, rule: EvaluationRule, filled = 0): Decision => ({ state: breaching >= m ? 'ALARM' : 'OK', rule, breaching, real, filled, retained: false })
  const keep = (rule: EvaluationRule): Decision => ({ state: current, rule, breaching: realBreaching, real, filled: 0, retained: true })

  if (real >= n) {
    const recent = realIndexes.slice(-n)
    return verdict(recent.filter((i) => classes[i] === 'breaching').length, 'real')
  }
  const shortfall = n - real
  if (real === 0) {
    switch (definition.treatMissingData) {
      case 'missing':
        return { state: 'INSUFFICIENT_DATA', rule: 'all_missing', breaching: 0, real: 0, filled: 0, retained: false }
      case 'ignore':
        return keep('all_missing')
      case 'breaching':
        return verdict(shortfall, 'filled', shortfall)
      case 'notBreaching':
        return verdict(0, 'filled', shortfall)
    }
  }
  switch (definition.treatMissingData) {
    case 'breaching':
      return verdict(realBreaching + shortfall, 'filled', shortfall)
    case 'notBreaching':
      return verdict(realBreaching, 'filled', shortfall)
    case 'missing':
    case 'ignore': {
      if (realBreaching >= m) return verdict(realBreaching, 'partial')
      if (realBreaching === real) {
        const oldestAge = classes.length - realIndexes[0]!
        if (oldestAge >= m) return definition.treatMissingData === 'missing' ? { ...verdict(m, 'premature'), breaching: realBreaching } : keep('premature')
        return keep('too_recent')
      }
      return verdict(realBreaching, 'partial')
    }
  }
}

const COMPARISON_WORDS: Record<AlarmComparison, string> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)))
}

/** A sentence in the spirit of CloudWatch's StateReason. */
function reasonText(definition: AlarmDefinition, d: Decision, points: readonly Datapoint[], classes: readonly DatapointClass[]): string {
  const n = definition.evaluationPeriods
  const words = COMPARISON_WORDS[definition.comparison]
  const recent = points
    .map((p, i) => ({ p, c: classes[i]! }))
    .filter((x) => x.c !== 'missing')
    .slice(-n)
    .reverse()
    .map((x) => `${formatNumber(x.p.value!)} (${x.p.end})`)
  const list = recent.length === 0 ? '' : ` [${recent.join(', ')}]`
  const range = points.length
  switch (d.rule) {
    case 'all_missing':
      return d.retained
        ? `No datapoints in the last ${range} periods; missing data is ignored, so the state stays ${d.state}.`
        : `No datapoints in the last ${range} periods (treat missing data: ${definition.treatMissingData}).`
    case 'too_recent':
      return `Only ${d.real} recent datapoint${d.real === 1 ? '' : 's'}${list}, all ${words} the threshold (${formatNumber(definition.threshold)}) but too recent to alarm on; the state stays ${d.state}.`
    case 'premature':
      return d.retained
        ? `Datapoints${list} were ${words} the threshold (${formatNumber(definition.threshold)}) with the rest missing; missing data is ignored, so the state stays ${d.state}.`
        : `Threshold Crossed: every datapoint in the last ${range} periods${list} was ${words} the threshold (${formatNumber(definition.threshold)}), the oldest at least ${definition.datapointsToAlarm} periods ago, the rest missing.`
    default: {
      const filled = d.filled === 0 ? '' : ` (${d.filled} missing treated as ${definition.treatMissingData})`
      const counted = d.rule === 'partial' ? d.real : n
      return `Threshold Crossed: ${d.breaching} of the last ${counted} datapoints${list}${filled} ${d.breaching === 1 ? 'was' : 'were'} ${words} the threshold (${formatNumber(definition.threshold)}); ${definition.datapointsToAlarm} needed for ALARM.`
    }
  }
}

/** Evaluates an alarm at `now` over the metric's points: next state, whether it changed, and why. */
export function evaluateAlarm(definition: AlarmDefinition, current: AlarmState, points: readonly { at: string; value: number }[], now: Date): Evaluation {
  const range = datapoints(definition, points, now)
  const classes = classify(definition, range)
  const d = decide(definition, current, classes)
  return {
    ...d,
    changed: d.state !== current,
    reason: reasonText(definition, d, range, classes),
    reasonData: {
      version: '1.0',
      evaluatedAt: now.toISOString(),
      rule: d.rule,
      statistic: definition.statistic,
      period: definition.periodSeconds,
      threshold: definition.threshold,
      evaluationPeriods: definition.evaluationPeriods,
      datapointsToAlarm: definition.datapointsToAlarm,
      treatMissingData: definition.treatMissingData,
      breaching: d.breaching,
      real: d.real,
      filled: d.filled,
      datapoints: range.map((p, i) => ({ end: p.end, value: p.value, samples: p.samples, class: classes[i] })),
    },
  }
}
