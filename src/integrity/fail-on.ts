/**
 * Pipeline gates on a scan report: `label_issues:2%,triggers:0` fails when more than 2 % of the
 * rows have label issues or when any trigger is found. A limit is a count, or a percentage of the
 * data rows for the kinds that count rows.
 */
import { RampartError } from '../core/errors.js'
import type { ScanReport } from './scan.js'

const KINDS = {
  label_issues: { rows: true, count: (r: ScanReport) => r.counts.label_issues },
  triggers: { rows: false, count: (r: ScanReport) => r.counts.triggers },
  trigger_rows: { rows: true, count: (r: ScanReport) => r.counts.trigger_rows },
  outliers: { rows: true, count: (r: ScanReport) => r.counts.outliers },
  duplicates: { rows: false, count: (r: ScanReport) => r.counts.duplicate_groups },
  duplicate_rows: { rows: true, count: (r: ScanReport) => r.counts.duplicate_rows },
  conflicting_duplicates: { rows: false, count: (r: ScanReport) => r.counts.conflicting_groups },
  relabelled: { rows: true, count: (r: ScanReport) => r.diff?.relabelled_count ?? 0 },
  flagged_rows: { rows: true, count: (r: ScanReport) => r.counts.flagged_rows },
} as const

export type GateKind = keyof typeof KINDS
export const GATE_KINDS = Object.keys(KINDS) as GateKind[]

export interface Gate {
  kind: GateKind
  /** Largest allowed count, or share of rows (0..1) when `percent`. */
  limit: number
  percent: boolean
}

export interface GateResult {
  kind: GateKind
  count: number
  /** The limit in the unit counted (rows or items). */
  allowed: number
  failed: boolean
}

/** Parses `kind:limit[,kind:limit…]`; limit is a non-negative number, or N% for row kinds. */
export function parseFailOn(spec: string): Gate[] {
  const gates: Gate[] = []
  for (const part of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([a-z_]+)\s*[:=]\s*(\d+(?:\.\d+)?)(%?)$/.exec(part)
    const fail = (why: string) => new RampartError('RAMPART_ERR_INPUT_INVALID', `--fail-on "${part}": ${why}`, { path: '--fail-on' })
    if (m === null) throw fail(`expected kind:limit, e.g. label_issues:2% or triggers:0; kinds: ${GATE_KINDS.join(', ')}`)
    const kind = m[1] as string
    if (!(kind in KINDS)) throw fail(`unknown kind; kinds: ${GATE_KINDS.join(', ')}`)
    const percent = m[3] === '%'
    if (percent && !KINDS[kind as GateKind].rows) throw fail(`${kind} counts items, not rows: give a number, not a percentage`)
    const limit = Number(m[2])
    if (percent && limit > 100) throw fail('a percentage is at most 100')
    gates.push({ kind: kind as GateKind, limit: percent ? limit / 100 : limit, percent })
  }
  if (gates.length === 0) throw new RampartError('RAMPART_ERR_INPUT_INVALID', '--fail-on: give at least one kind:limit', { path: '--fail-on' })
  return gates
}

/** A gate fails when the count is above its limit. */
export function evaluateGates(report: ScanReport, gates: readonly Gate[]): GateResult[] {
  return gates.map((g) => {
    const count = KINDS[g.kind].count(report)
    const allowed = g.percent ? g.limit * report.rows : g.limit
    return { kind: g.kind, count, allowed: Number(allowed.toFixed(2)), failed: count > allowed }
  })
}
