/**
 * The WHERE clause of `listAlerts`, built once for both SQL dialects. Tenant scoping comes
 * first and is unconditional: no filter or cursor can widen a query past its tenant.
 */
import { decodeCursor } from './cursor.js'
import type { AlertFilter } from './types.js'

export interface SqlDialect {
  /** Placeholder for the n-th parameter (1-based): `?` or `$n`. */
  param(n: number): string
  /** Placeholder for a time parameter (PostgreSQL casts it to timestamptz). */
  timeParam(n: number): string
  /** Condition "the alert's scanners include the parameter". */
  hasScanner(param: string): string
}

/** `where` for a checked filter, with `limit + 1` as the last parameter (see `toPage`). */
export function alertListQuery(f: AlertFilter, d: SqlDialect): { where: string; limitParam: string; args: unknown[] } {
  const args: unknown[] = []
  const where: string[] = []
  const add = (sql: (p: string) => string, value: unknown, time = false): void => {
    args.push(value)
    where.push(sql(time ? d.timeParam(args.length) : d.param(args.length)))
  }
  add((p) => `tenant = ${p}`, f.tenant)
  if (f.since !== undefined) add((p) => `created_at >= ${p}`, f.since, true)
  if (f.until !== undefined) add((p) => `created_at < ${p}`, f.until, true)
  if (f.scanner !== undefined) add(d.hasScanner, f.scanner)
  if (f.severity !== undefined) add((p) => `severity = ${p}`, f.severity)
  if (f.decision !== undefined) add((p) => `decision = ${p}`, f.decision)
  if (f.acknowledged !== undefined) where.push(f.acknowledged ? 'acknowledged_at IS NOT NULL' : 'acknowledged_at IS NULL')
  if (f.cursor !== undefined) {
    const after = decodeCursor(f.cursor, 'filter.cursor')
    args.push(after.createdAt, after.id)
    where.push(`(created_at, id) < (${d.timeParam(args.length - 1)}, ${d.param(args.length)})`)
  }
  args.push(f.limit + 1)
  return { where: where.join(' AND '), limitParam: d.param(args.length), args }
}
