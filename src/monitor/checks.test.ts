import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildBaseline, readBaseline, writeBaseline, type Baseline } from './baseline.js'
import { checkProfiles, currentProfiler, runChecks, type CheckReport } from './checks.js'
import { DatasetProfiler } from './profile/dataset.js'
import type { QualityColumns } from './quality.js'
import { createRandom, type Random } from './sketch/random.js'

type Row = Record<string, unknown>

const normal = (r: Random) => Math.sqrt(-2 * Math.log(r.next())) * Math.cos(2 * Math.PI * r.next())
const ENGLISH = 'please summarize the quarterly report and list the open tickets for my team'.split(' ')
const GERMAN = 'bitte fasse den bericht zusammen und nenne die offenen punkte für mein team heute'.split(' ')

interface Shape {
  shift?: number
  colors?: string[]
  missingAmount?: number
  words?: string[]
  flagRate?: number
  accuracy?: number
}

function rows(n: number, seed: number, shape: Shape = {}): Row[] {
  const r = createRandom(seed)
  const colors = shape.colors ?? ['red', 'green', 'blue']
  const words = shape.words ?? ENGLISH
  return Array.from({ length: n }, () => {
    const label = r.next() < 0.4 ? 1 : 0
    const correct = r.next() < (shape.accuracy ?? 0.9)
    return {
      amount: r.next() < (shape.missingAmount ?? 0.01) ? null : Math.round((50 + 10 * normal(r) + (shape.shift ?? 0) * 10) * 100) / 100,
      age: 20 + r.int(50) + Math.round(shape.shift ?? 0) * 5,
      color: colors[r.int(colors.length)],
      prompt: Array.from({ length: 8 + r.int(6) }, () => words[r.int(words.length)]).join(' '),
      flagged: r.next() < (shape.flagRate ?? 0.05),
      injection_score: Math.min(1, Math.max(0, 0.1 + 0.05 * normal(r))),
      label,
      predicted: correct ? label : 1 - label,
    }
  })
}

const QUALITY: QualityColumns = { groundTruth: 'label', prediction: 'predicted' }

function baselineOf(data: Row[]): Baseline {
  const p = new DatasetProfiler({ sampleSize: 4000 }, QUALITY)
  for (const row of data) p.addRecord(row)
  return buildBaseline(p)
}

function check(baseline: Baseline, data: Row[]): CheckReport {
  const cur = currentProfiler(baseline)
  for (const row of data) cur.addRecord(row)
  return checkProfiles(baseline, cur)
}

const types = (r: CheckReport) => r.violations.map((v) => `${v.feature_name}:${v.constraint_check_type}`).sort()

describe('checks against a baseline', () => {
  const baseline = baselineOf(rows(20_000, 1))

  it('finds nothing in fresh data from the same distribution', () => {
    const r = check(baseline, rows(10_000, 2))
    expect(types(r)).toEqual([])
    expect(r.datasetDrift.tested).toBe(8)
    expect(r.datasetDrift.drifted).toBe(0)
    expect(r.metrics.find((m) => m.name === 'dataset.drift_share')?.value).toBe(0)
  })

  it('reports missing and extra columns, type mismatches, completeness, ranges and unseen categories', () => {
    const data = rows(5000, 3, { colors: ['red', 'green', 'blue', 'purple', 'teal'], missingAmount: 0.2 }).map((row, i) => {
      const { age: _age, ...rest } = row
      return { ...rest, injection_score: i % 4 === 0 ? 'n/a' : row.injection_score, amount: i % 50 === 0 ? 5000 : row.amount, session: `s${i}` }
    })
    const r = check(baseline, data)
    const found = types(r)
    expect(found).toContain('age:missing_column_check')
    expect(found).toContain('session:extra_column_check')
    expect(found).toContain('injection_score:data_type_check')
    expect(found).toContain('amount:completeness_check')
    expect(found).toContain('amount:range_check')
    expect(found).toContain('color:categorical_values_check')
    const unseen = r.violations.find((v) => v.constraint_check_type === 'categorical_values_check')
    expect(unseen?.value).toBeGreaterThan(0.3)
    expect(unseen?.description).toContain('"purple"')
  })

  it('flags drifted features with effect sizes beside p-values, and dataset drift when most features move', () => {
    const r = check(baseline, rows(10_000, 4, { shift: 1.5 }))
    const drift = r.violations.filter((v) => v.constraint_check_type === 'baseline_drift_check')
    expect(drift.map((v) => v.feature_name).sort()).toEqual(['age', 'amount'])
    for (const v of drift) {
      expect(v.p_value).toBeLessThan(1e-10)
      expect(v.effect_size).toBeGreaterThan(0.1)
      expect(v.value).toBeGreaterThanOrEqual(v.threshold as number)
    }
    expect(r.datasetDrift.violated).toBe(false)
    const many = check(baseline, rows(10_000, 5, { shift: 1.5, colors: ['red', 'red', 'blue'], words: GERMAN, flagRate: 0.3, accuracy: 0.6 }))
    expect(many.datasetDrift.share).toBeGreaterThanOrEqual(0.5)
    expect(types(many)).toContain('*:dataset_drift_check')
  })

  it('drift-tests nearly unique amounts but not sequence ids or columns named like ids', () => {
    const r = createRandom(5)
    const make = (n: number, from: number, scale: number) =>
      Array.from({ length: n }, (_, i) => ({ seq: from + i, user_id: Math.floor(r.next() * 1e9), income: Math.round((30_000 + r.next() * 50_000) * scale) }))
    const baseline = baselineOf(make(2_000, 0, 1))
    const report = check(baseline, make(300, 2_000, 2))
    const feature = (name: string) => report.features.find((f) => f.name === name)!
    // Every income is distinct, yet a doubled income is drift, not "new ids".
    expect(feature('income').drift?.drifted).toBe(true)
    expect(types(report)).toContain('income:baseline_drift_check')
    // New sequence numbers and random user ids are expected to differ: not drift-tested.
    expect(feature('seq').drift).toBeUndefined()
    expect(feature('seq').driftNote).toMatch(/identifier-like.*filling their range/)
    expect(feature('user_id').driftNote).toMatch(/identifier-like.*named user_id/)
  })

  it('checks text drift (vocabulary, script) and the guard signals', () => {
    const r = check(baseline, rows(5000, 6, { words: GERMAN, flagRate: 0.2 }))
    const text = r.violations.find((v) => v.constraint_check_type === 'text_drift_check')
    expect(text?.feature_name).toBe('prompt')
    expect(text?.description).toContain('vocabulary')
    const guard = r.violations.find((v) => v.constraint_check_type === 'guard_signal_check' && v.feature_name === 'flagged')
    expect(guard?.value).toBeCloseTo(0.2, 1)
    expect(guard?.p_value).toBeLessThan(1e-6)
    expect(r.metrics.find((m) => m.name === 'guard.flag_rate')?.value).toBeCloseTo(0.2, 1)
  })

  it('keeps judging a text column as text when its current values turn short', () => {
    const short = rows(2000, 14).map((row) => ({ ...row, prompt: 'ok' }))
    const r = check(baseline, short)
    const prompt = r.features.find((f) => f.name === 'prompt')?.drift
    expect(prompt?.kind).toBe('text')
    expect(prompt?.aspects?.length?.drifted).toBe(true)
    expect(types(r)).toContain('prompt:text_drift_check')
  })

  it('checks model quality against the baseline with a threshold that widens for small samples', () => {
    expect(baseline.constraints.model_quality_constraints?.metrics.accuracy?.baseline).toBeCloseTo(0.9, 1)
    const worse = check(baseline, rows(5000, 7, { accuracy: 0.8 }))
    const acc = worse.violations.find((v) => v.constraint_check_type === 'model_quality_check' && v.feature_name === 'accuracy')
    expect(acc?.value).toBeCloseTo(0.8, 1)
    const same = check(baseline, rows(5000, 8))
    expect(same.violations.filter((v) => v.constraint_check_type === 'model_quality_check')).toEqual([])
    // 40 rows cannot tell 0.85 from 0.9: the threshold moves down with the chunk spread.
    const few = check(baseline, rows(40, 9, { accuracy: 0.85 }))
    const t = few.quality?.checks.find((c) => c.metric === 'accuracy')?.threshold as number
    expect(t).toBeLessThan(0.8)
  })

  it('raises distance thresholds to the reference noise for small current samples, and only then', () => {
    const small = check(baseline, rows(60, 10))
    const amount = small.features.find((f) => f.name === 'amount')?.drift
    expect(amount?.method).toBe('wasserstein')
    expect(amount?.noise).toBeGreaterThan(0.1)
    expect(amount?.threshold).toBe(amount?.noise)
    expect(small.datasetDrift.drifted).toBe(0)
    const large = check(baseline, rows(10_000, 11))
    const big = large.features.find((f) => f.name === 'amount')?.drift
    expect(big?.noise).toBeLessThan(0.1)
    expect(big?.threshold).toBe(0.1)
  })
})

describe('baseline files and runChecks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-monitor-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('writes SageMaker-shaped statistics.json and constraints.json that read back into the same checks', async () => {
    const baseline = baselineOf(rows(5000, 12))
    writeBaseline(dir, baseline)
    const again = readBaseline(dir)
    const stats = again.statistics
    expect(stats.dataset.item_count).toBe(5000)
    const amount = stats.features.find((f) => f.name === 'amount')
    expect(amount?.inferred_type).toBe('Fractional')
    expect(amount?.numerical_statistics?.common.num_missing).toBeGreaterThan(0)
    expect(amount?.numerical_statistics?.distribution.kll.sketch.parameters.k).toBe(200)
    const color = again.constraints.features.find((f) => f.name === 'color')
    expect(color?.string_constraints?.domains.sort()).toEqual(['blue', 'green', 'red'])
    expect(again.constraints.monitoring_config.distribution_constraints.comparison_threshold).toBe(0.1)
    expect(again.constraints.features.find((f) => f.name === 'prompt')?.drift.kind).toBe('text')

    async function* stream(): AsyncIterable<Record<string, unknown>> {
      yield* rows(3000, 13, { shift: 2 })
    }
    const result = await runChecks({ baselineDir: dir, rows: stream(), groundTruthColumn: 'label', predictionColumn: 'predicted' })
    expect(result.rows).toBe(3000)
    expect(result.violations.some((v) => v.feature_name === 'amount' && v.constraint_check_type === 'baseline_drift_check')).toBe(true)
    expect(result.metrics.find((m) => m.name === 'quality.accuracy')?.value).toBeGreaterThan(0.8)
  })
})
