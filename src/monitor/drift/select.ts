/**
 * Which drift test a feature gets, by type and size. Evidently's documented defaults are the
 * starting point: numbers with at most 5 distinct values count as categories; references with
 * at most 1,000 values use p-value tests (KS, chi-square), larger ones distances (normed
 * Wasserstein, Jensen–Shannon) whose thresholds are then raised to the reference's own noise.
 */
import type { ColumnProfiler } from '../profile/column.js'
import { DRIFT_METHODS, type DriftMethodId } from '../stats/registry.js'
import type { ColumnSummary } from '../summary.js'
import type { DriftConstraint, DriftSettings, FeatureDriftKind } from './types.js'

/** Numbers with at most this many distinct values are tested as categories. */
export const CATEGORICAL_NUMERIC_MAX_DISTINCT = 5

/** Column names of identifiers: `id`, `user_id`, `userId`, `order-key`, `uuid`. */
const ID_NAME = /(?:^|[_\-\s.])(?:id|uuid|guid|key)$|[a-z](?:Id|ID|Uuid|Key)$|^(?:id|uuid|guid)$/i

/**
 * Nearly unique integers are an identifier (whose "drift" is only new ids) when they are
 * named like one or fill most of their range, as sequence numbers do. Amounts, incomes and
 * timestamps are nearly unique too, but spread thinly over a wide range: they are features
 * and are drift-tested (a doubled income must not pass as "new ids").
 */
function integerIdentifier(summary: ColumnSummary, column: ColumnProfiler): boolean {
  if (summary.present < 100 || summary.distinct < 0.95 * summary.present) return false
  if (ID_NAME.test(summary.name)) return true
  const span = column.numbers.max - column.numbers.min + 1
  return Number.isFinite(span) && span <= 2 * summary.distinct
}

export function driftKind(summary: ColumnSummary, column: ColumnProfiler): { kind: FeatureDriftKind; reason?: string } {
  switch (summary.type) {
    case 'unknown':
      return { kind: 'none', reason: 'no values in the reference' }
    case 'text':
      return { kind: 'text' }
    case 'boolean':
      return { kind: 'categorical' }
    case 'integral':
      if (integerIdentifier(summary, column)) return { kind: 'none', reason: `identifier-like: about ${summary.distinct} distinct integers in ${summary.present} values${ID_NAME.test(summary.name) ? `, named ${summary.name}` : ', filling their range'}` }
      return column.numericCategories !== null && column.numericCategories.size <= CATEGORICAL_NUMERIC_MAX_DISTINCT ? { kind: 'categorical' } : { kind: 'numeric' }
    case 'fractional':
      return column.numericCategories !== null && column.numericCategories.size <= CATEGORICAL_NUMERIC_MAX_DISTINCT ? { kind: 'categorical' } : { kind: 'numeric' }
    case 'string': {
      if (summary.distinct > 50 && summary.distinct > 0.5 * summary.present) return { kind: 'none', reason: `identifier-like: about ${summary.distinct} distinct values in ${summary.present}` }
      if (!summary.categoriesExact) return { kind: 'none', reason: 'more distinct values than the category sketch counts exactly' }
      return { kind: 'categorical' }
    }
  }
}

/** The method for a kind: the configured one when it applies, else Evidently's choice by reference size. */
export function chooseMethod(kind: 'numeric' | 'categorical', referenceCount: number, settings: DriftSettings): DriftMethodId {
  if (settings.method !== 'auto' && DRIFT_METHODS[settings.method].kinds.includes(kind)) return settings.method
  const small = referenceCount <= settings.small_reference_rows
  if (kind === 'numeric') return small ? 'ks' : 'wasserstein'
  return small ? 'chi2' : 'jensen_shannon'
}

export function selectDrift(summary: ColumnSummary, column: ColumnProfiler, settings: DriftSettings): DriftConstraint {
  const { kind, reason } = driftKind(summary, column)
  if (kind === 'none') return { kind, method: 'jensen_shannon', threshold: DRIFT_METHODS.jensen_shannon.defaultThreshold, ...(reason ? { reason } : {}) }
  const method = chooseMethod(kind === 'text' ? 'numeric' : kind, summary.present, settings)
  return { kind, method, threshold: settings.threshold ?? DRIFT_METHODS[method].defaultThreshold }
}
