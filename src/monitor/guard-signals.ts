/**
 * The guard's own signals in captured traffic: a column saying whether the guard flagged a
 * request (boolean, 0/1, or a decision allow/flag/redact/block) and a column with its injection
 * score (0..1). Found by name unless given.
 */
import type { ColumnProfiler } from './profile/column.js'
import { categoryCounts } from './summary.js'

export interface GuardSignalColumns {
  flag_column?: string
  score_column?: string
}

const FLAG_NAME = /(^|[._])(flagged|is_flagged|guard_flagged|blocked)$/i
const DECISION_NAME = /(^|[._])(decision|action|verdict)$/i
const SCORE_NAME = /(^|[._])(injection|prompt_injection|guard|risk|attack)[._]?score$/i
const DECISIONS = new Set(['allow', 'flag', 'redact', 'block'])
const FLAGGED_VALUES = new Set(['true', '1', 'flag', 'redact', 'block', 'yes'])

function isDecisionColumn(c: ColumnProfiler): boolean {
  const keys = [...categoryCounts(c).counts.keys()].map((k) => k.toLowerCase())
  return keys.length > 0 && keys.every((k) => DECISIONS.has(k))
}

export function detectGuardSignals(columns: readonly ColumnProfiler[], given: GuardSignalColumns = {}): GuardSignalColumns {
  const out: GuardSignalColumns = { ...given }
  if (out.flag_column === undefined) {
    const c = columns.find((c) => FLAG_NAME.test(c.name) && c.present > 0) ?? columns.find((c) => DECISION_NAME.test(c.name) && isDecisionColumn(c))
    if (c) out.flag_column = c.name
  }
  if (out.score_column === undefined) {
    const c = columns.find((c) => SCORE_NAME.test(c.name) && c.types.integral + c.types.fractional > 0 && c.numbers.min >= 0 && c.numbers.max <= 1)
    if (c) out.score_column = c.name
  }
  return out
}

/** Flagged and total counts of a flag column (booleans, 0/1, or guard decisions). */
export function flagCounts(c: ColumnProfiler): { flagged: number; total: number } {
  let flagged = 0
  let total = 0
  for (const [k, n] of categoryCounts(c).counts) {
    total += n
    if (FLAGGED_VALUES.has(k.toLowerCase())) flagged += n
  }
  return { flagged, total }
}
