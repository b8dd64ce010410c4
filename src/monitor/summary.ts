/**
 * What a column profile says once the stream has ended: its inferred type, counts and the
 * figures statistics.json reports. Also the inputs the drift tests compare (sorted samples,
 * category counts), taken from reference and current profiles alike.
 */
import type { ColumnType } from './types.js'
import type { ColumnProfiler } from './profile/column.js'

export interface ColumnSummary {
  name: string
  type: ColumnType
  present: number
  missing: number
  distinct: number
  /** Exact category counts (strings, booleans, or numbers with few distinct values), or undefined. */
  categories: Map<string, number> | undefined
  /** Whether every category count is exact. */
  categoriesExact: boolean
}

/** Inferred type by SageMaker's rule (all numbers → Integral/Fractional, else String) plus Boolean and Text. */
export function inferType(c: ColumnProfiler): ColumnType {
  const t = c.types
  if (c.present === 0) return 'unknown'
  if (t.string === 0 && t.boolean === 0) return t.fractional === 0 ? 'integral' : 'fractional'
  if (t.boolean > 0 && t.integral + t.fractional + t.string === 0) return 'boolean'
  return c.text !== null ? 'text' : 'string'
}

/** Category counts of a column: its strings and booleans, plus its numbers while they were few. */
export function categoryCounts(c: ColumnProfiler): { counts: Map<string, number>; exact: boolean } {
  const counts = new Map<string, number>(c.categories.counts)
  let exact = c.categories.exact()
  if (c.types.integral + c.types.fractional > 0) {
    if (c.numericCategories === null) exact = false
    else for (const [x, n] of c.numericCategories) counts.set(String(x), (counts.get(String(x)) ?? 0) + n)
  }
  return { counts, exact }
}

export function summarizeColumn(c: ColumnProfiler, rows: number): ColumnSummary {
  const { counts, exact } = categoryCounts(c)
  return {
    name: c.name,
    type: inferType(c),
    present: c.present,
    missing: Math.max(0, rows - c.present),
    distinct: Math.round(c.distinct.estimate()),
    categories: counts.size > 0 ? counts : undefined,
    categoriesExact: exact,
  }
}

/** SageMaker spells types with a capital ("Integral"); ours add Boolean and Text. */
export function sageMakerType(t: ColumnType): string {
  return t.charAt(0).toUpperCase() + t.slice(1)
}

export function columnTypeOf(sageMaker: string): ColumnType {
  const t = sageMaker.toLowerCase()
  return (['integral', 'fractional', 'string', 'boolean', 'text', 'unknown'] as const).find((x) => x === t) ?? 'unknown'
}
