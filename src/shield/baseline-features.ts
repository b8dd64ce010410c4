/**
 * The shield's feature space from a monitor baseline (`rampart monitor baseline`): the same
 * reference distribution the drift checks compare against decides what "normal" looks like to the
 * shield. Numeric features take 101 quantiles from the baseline's KLL sketch (or, without the
 * profile, the seven quantiles and the range in statistics.json); string features take their
 * domain from constraints.json (or the categories in statistics.json).
 */
import { RampartError } from '../core/errors.js'
import type { Baseline } from '../monitor/baseline.js'
import { FeatureEncoder, type FeatureSpec } from './features.js'

const STAT_PROBS: [string, number][] = [
  ['p01', 0.01],
  ['p05', 0.05],
  ['p25', 0.25],
  ['p50', 0.5],
  ['p75', 0.75],
  ['p95', 0.95],
  ['p99', 0.99],
]

/** An encoder over `names` (the model's feature order), from a baseline's documents. */
export function encoderFromBaseline(baseline: Baseline, names: readonly string[]): FeatureEncoder {
  const specs: FeatureSpec[] = names.map((name) => {
    const stats = baseline.statistics.features.find((f) => f.name === name)
    if (stats === undefined) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `baseline has no feature ${name}`, { path: `features.${name}` })
    const numeric = stats.numerical_statistics
    const column = baseline.profile.getColumn(name)
    if (numeric !== undefined && !(numeric.distribution.categorical !== undefined && isCategoricalOverride(baseline, name))) {
      if (column !== undefined && column.numbers.n > 0) {
        const quantiles = Array.from({ length: 101 }, (_, i) => (i === 0 ? column.numbers.min : i === 100 ? column.numbers.max : column.quantiles.quantile(i / 100)))
        for (let i = 1; i < quantiles.length; i++) quantiles[i] = Math.max(quantiles[i] as number, quantiles[i - 1] as number)
        return { name, kind: 'numeric', quantiles }
      }
      const quantiles = [numeric.min, ...STAT_PROBS.map(([k]) => numeric.quantiles[k] as number), numeric.max]
      for (let i = 1; i < quantiles.length; i++) quantiles[i] = Math.max(quantiles[i] as number, quantiles[i - 1] as number)
      return { name, kind: 'numeric', quantiles, probs: [0, ...STAT_PROBS.map(([, p]) => p), 1] }
    }
    const constraint = baseline.constraints.features.find((f) => f.name === name)
    const domains = constraint?.string_constraints?.domains ?? stats.string_statistics?.distribution.categorical.buckets.filter((b) => b.other !== true).map((b) => b.value) ?? numeric?.distribution.categorical?.buckets.filter((b) => b.other !== true).map((b) => b.value) ?? []
    return { name, kind: 'categorical', values: [...domains].sort() }
  })
  return new FeatureEncoder(specs)
}

/** A numeric-coded column the baseline treats as categories (its drift method is categorical). */
function isCategoricalOverride(baseline: Baseline, name: string): boolean {
  return baseline.constraints.features.find((f) => f.name === name)?.drift.kind === 'categorical'
}
