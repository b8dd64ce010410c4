/**
 * Span-level scoring of entity detectors (the PII benchmark's rules, shared with tests).
 *
 * - A predicted span is a true positive when it overlaps a gold span OF THE SAME TYPE by at
 *   least half of that gold span's length. Each gold span is matched at most once; a
 *   prediction is matched to at most one gold span.
 * - A row is scored only on its `annotated_types`: predictions of other types are ignored
 *   (neither TP nor FP), gold spans of other types do not exist.
 * - Gold spans of types a detector never predicts still count as misses (FN), so detectors
 *   that cover fewer types are not flattered.
 * - FPR: among rows with no gold span of the evaluated types, the share on which the
 *   detector predicted at least one span of an evaluated type.
 *
 * Offsets are UTF-16 code units (JavaScript string indices), end exclusive.
 */

export interface Span {
  start: number
  end: number
  type: string
}

export interface ScoredRow {
  spans: readonly Span[]
  annotated_types: readonly string[]
}

export interface Counts {
  tp: number
  fp: number
  fn: number
}

export interface PRF {
  precision: number
  recall: number
  f1: number
  tp: number
  fp: number
  fn: number
}

export interface SpanScore {
  overall: PRF & { fpr: number; negativeRows: number; negativeRowsFlagged: number }
  perType: Record<string, PRF & { fpr: number; negativeRows: number }>
}

/** Precision, recall and F1 from counts (0 when undefined). */
export function prf(c: Counts): PRF {
  const precision = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp)
  const recall = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn)
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return { precision, recall, f1, tp: c.tp, fp: c.fp, fn: c.fn }
}

/** Overlap in characters of [a.start, a.end) and [b.start, b.end). */
function overlap(a: Span, b: Span): number {
  return Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start))
}

/** Counts TP/FP/FN per type for one row (only the row's annotated types). */
export function matchRow(gold: readonly Span[], predicted: readonly Span[], annotated: ReadonlySet<string>): Map<string, Counts> {
  const counts = new Map<string, Counts>()
  const get = (t: string): Counts => {
    let c = counts.get(t)
    if (!c) counts.set(t, (c = { tp: 0, fp: 0, fn: 0 }))
    return c
  }
  const goldIn = gold.filter((g) => annotated.has(g.type))
  const predIn = predicted.filter((p) => annotated.has(p.type) && p.end > p.start)
  const goldUsed = new Array<boolean>(goldIn.length).fill(false)
  // Greedy by overlap size: the best-overlapping pairs are matched first.
  const pairs: { p: number; g: number; o: number }[] = []
  predIn.forEach((p, pi) =>
    goldIn.forEach((g, gi) => {
      if (p.type !== g.type) return
      const o = overlap(p, g)
      if (o > 0 && o * 2 >= g.end - g.start) pairs.push({ p: pi, g: gi, o })
    }),
  )
  pairs.sort((a, b) => b.o - a.o)
  const predUsed = new Array<boolean>(predIn.length).fill(false)
  for (const { p, g } of pairs) {
    if (predUsed[p] || goldUsed[g]) continue
    predUsed[p] = true
    goldUsed[g] = true
    get(goldIn[g]!.type).tp++
  }
  predIn.forEach((p, i) => {
    if (!predUsed[i]) get(p.type).fp++
  })
  goldIn.forEach((g, i) => {
    if (!goldUsed[i]) get(g.type).fn++
  })
  return counts
}

/**
 * Scores `predictions[i]` against `rows[i]`. `types`, when given, restricts the evaluation to
 * those types (others are ignored everywhere); by default every annotated type counts.
 */
export function scoreSpans(rows: readonly ScoredRow[], predictions: readonly (readonly Span[])[], types?: readonly string[]): SpanScore {
  if (rows.length !== predictions.length) throw new Error(`rows (${rows.length}) and predictions (${predictions.length}) differ in length`)
  const restrict = types ? new Set(types) : undefined
  const total: Counts = { tp: 0, fp: 0, fn: 0 }
  const byType = new Map<string, Counts>()
  const negRows = new Map<string, number>()
  const negFlagged = new Map<string, number>()
  let negativeRows = 0
  let negativeRowsFlagged = 0
  rows.forEach((row, i) => {
    const annotated = new Set(row.annotated_types.filter((t) => !restrict || restrict.has(t)))
    const preds = predictions[i] ?? []
    for (const [type, c] of matchRow(row.spans, preds, annotated)) {
      const t = byType.get(type) ?? { tp: 0, fp: 0, fn: 0 }
      t.tp += c.tp
      t.fp += c.fp
      t.fn += c.fn
      byType.set(type, t)
      total.tp += c.tp
      total.fp += c.fp
      total.fn += c.fn
    }
    const goldTypes = new Set(row.spans.filter((s) => annotated.has(s.type)).map((s) => s.type))
    const predTypes = new Set(preds.filter((p) => annotated.has(p.type) && p.end > p.start).map((p) => p.type))
    if (goldTypes.size === 0) {
      negativeRows++
      if (predTypes.size > 0) negativeRowsFlagged++
    }
    for (const type of annotated) {
      if (goldTypes.has(type)) continue
      negRows.set(type, (negRows.get(type) ?? 0) + 1)
      if (predTypes.has(type)) negFlagged.set(type, (negFlagged.get(type) ?? 0) + 1)
      if (!byType.has(type)) byType.set(type, { tp: 0, fp: 0, fn: 0 })
    }
  })
  const perType: SpanScore['perType'] = {}
  for (const [type, c] of [...byType].sort((a, b) => a[0].localeCompare(b[0]))) {
    const n = negRows.get(type) ?? 0
    perType[type] = { ...prf(c), fpr: n === 0 ? 0 : (negFlagged.get(type) ?? 0) / n, negativeRows: n }
  }
  return {
    overall: { ...prf(total), fpr: negativeRows === 0 ? 0 : negativeRowsFlagged / negativeRows, negativeRows, negativeRowsFlagged },
    perType,
  }
}
