/**
 * A small RunChecks over SageMaker-shaped baseline files: missing columns, completeness below the
 * constraint, numbers outside the baseline's min/max. It stands in where the full checks
 * (monitor/checks.ts: drift tests, categories, quality) are not wired, and keeps the schedule
 * machinery testable on its own.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { RampartError } from '../../core/errors.js'
import type { RunChecks, RunMetric, Violation } from '../types.js'

interface BaselineFeature {
  name: string
  numerical_statistics?: { min?: number; max?: number }
}
interface ConstraintFeature {
  name: string
  completeness?: number
}

async function readJson<T>(dir: string, file: string): Promise<T> {
  try {
    return JSON.parse(await readFile(join(dir, file), 'utf8')) as T
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `baseline ${file}: ${(cause as Error).message}`, { path: file, cause })
  }
}

export const basicRunChecks: RunChecks = async ({ baselineDir, rows }) => {
  const statistics = await readJson<{ features?: BaselineFeature[] }>(baselineDir, 'statistics.json')
  const constraints = await readJson<{ features?: ConstraintFeature[] }>(baselineDir, 'constraints.json')
  const features = statistics.features ?? []
  const present = new Map<string, number>()
  const outOfRange = new Map<string, number>()
  let count = 0
  for await (const row of rows) {
    count++
    for (const f of features) {
      const v = row[f.name]
      if (v === undefined || v === null || v === '') continue
      present.set(f.name, (present.get(f.name) ?? 0) + 1)
      const { min, max } = f.numerical_statistics ?? {}
      if (typeof v === 'number' && ((min !== undefined && v < min) || (max !== undefined && v > max))) outOfRange.set(f.name, (outOfRange.get(f.name) ?? 0) + 1)
    }
  }
  const violations: Violation[] = []
  const metrics: RunMetric[] = []
  let missing = 0
  for (const f of features) {
    const seen = present.get(f.name) ?? 0
    if (count > 0 && seen === 0) {
      missing++
      violations.push({ feature_name: f.name, constraint_check_type: 'missing_column_check', description: `Baseline column ${f.name} is missing from the current data.` })
      continue
    }
    const completeness = count === 0 ? 1 : seen / count
    metrics.push({ name: `feature.${f.name}.completeness`, value: completeness })
    const wanted = constraints.features?.find((c) => c.name === f.name)?.completeness
    if (wanted !== undefined && completeness < wanted) {
      violations.push({ feature_name: f.name, constraint_check_type: 'completeness_check', description: `Completeness ${completeness.toFixed(4)} of ${f.name} is below the baseline's ${wanted}.`, value: completeness, threshold: wanted })
    }
    if (f.numerical_statistics !== undefined) {
      const share = seen === 0 ? 0 : (outOfRange.get(f.name) ?? 0) / seen
      metrics.push({ name: `feature.${f.name}.out_of_range_share`, value: share })
      if (share > 0) {
        const { min, max } = f.numerical_statistics
        violations.push({ feature_name: f.name, constraint_check_type: 'range_check', description: `${(share * 100).toFixed(1)} % of ${f.name} values fall outside the baseline range [${min}, ${max}].`, metric: 'out_of_range_share', value: share, threshold: 0 })
      }
    }
  }
  metrics.push({ name: 'dataset.missing_columns', value: missing })
  return { violations, metrics, rows: count }
}
