import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Command, Option } from 'commander'
import { z } from 'zod'
import { addFile, buildBaseline, readBaseline, writeBaseline, formatJson } from '../../monitor/baseline.js'
import { checkProfiles, currentProfiler } from '../../monitor/checks.js'
import { DEFAULT_PROFILE_OPTIONS } from '../../monitor/profile/options.js'
import { DatasetProfiler } from '../../monitor/profile/dataset.js'
import { fileSize, type TableFormat } from '../../monitor/io/table.js'
import { renderReport } from '../../monitor/report.js'
import { DRIFT_METHOD_IDS } from '../../monitor/stats/registry.js'
import type { QualityColumns } from '../../monitor/quality.js'
import { writeLine } from '../io.js'
import { createProgress } from '../progress.js'
import { parseFlags } from './flags.js'

/** Exit status of `monitor run --fail-on-violation` when the run found violations. */
export const EXIT_VIOLATIONS = 5

const driftMethod = z.enum(['auto', ...DRIFT_METHOD_IDS])
const list = z
  .string()
  .optional()
  .transform((v) => (v === undefined ? undefined : v.split(',').map((s) => s.trim())))

const qualityFlags = {
  groundTruth: z.string().min(1).optional(),
  prediction: z.string().min(1).optional(),
  score: z.string().min(1).optional(),
  positiveLabel: z.string().optional(),
  problemType: z.enum(['classification', 'regression']).optional(),
}

const qualityRefine = {
  check: (f: { groundTruth?: string; prediction?: string }) => (f.groundTruth === undefined) === (f.prediction === undefined),
  message: 'give --ground-truth and --prediction together',
}

export const monitorBaselineFlagsSchema = z
  .object({
    data: z.array(z.string().min(1)).min(1),
    out: z.string().min(1),
    format: z.enum(['csv', 'jsonl']).optional(),
    ...qualityFlags,
    guardFlagColumn: z.string().min(1).optional(),
    guardScoreColumn: z.string().min(1).optional(),
    driftMethod: driftMethod.default('auto'),
    sampleSize: z.coerce.number().int().min(100).max(1_000_000).default(DEFAULT_PROFILE_OPTIONS.sampleSize),
    seed: z.coerce.number().int().min(0).max(0xffffffff).default(1),
    missingValues: list,
  })
  .strict()
  .refine(qualityRefine.check, { message: qualityRefine.message })

export const monitorRunFlagsSchema = z
  .object({
    baseline: z.string().min(1),
    data: z.string().min(1),
    out: z.string().min(1),
    format: z.enum(['csv', 'jsonl']).optional(),
    failOnViolation: z.boolean().default(false),
    ...qualityFlags,
    driftMethod: driftMethod.optional(),
    driftThreshold: z.coerce.number().positive().optional(),
    datasetDriftShare: z.coerce.number().gt(0).max(1).optional(),
  })
  .strict()
  .refine(qualityRefine.check, { message: qualityRefine.message })

export const monitorMergeFlagsSchema = z
  .object({
    baseline: z.array(z.string().min(1)).min(2),
    out: z.string().min(1),
  })
  .strict()

export type MonitorBaselineFlags = z.infer<typeof monitorBaselineFlagsSchema>
export type MonitorRunFlags = z.infer<typeof monitorRunFlagsSchema>
export type MonitorMergeFlags = z.infer<typeof monitorMergeFlagsSchema>

function qualityColumns(f: { groundTruth?: string; prediction?: string; score?: string; positiveLabel?: string; problemType?: 'classification' | 'regression' }): QualityColumns | undefined {
  if (f.groundTruth === undefined || f.prediction === undefined) return undefined
  return {
    groundTruth: f.groundTruth,
    prediction: f.prediction,
    ...(f.score ? { score: f.score } : {}),
    ...(f.positiveLabel !== undefined ? { positiveLabel: f.positiveLabel } : {}),
    ...(f.problemType ? { problemType: f.problemType } : {}),
  }
}

async function readInto(profile: DatasetProfiler, file: string, format: TableFormat | undefined, label: string): Promise<void> {
  const progress = createProgress(`${label} ${file}`, fileSize(file))
  let invalid = 0
  await addFile(profile, file, {
    ...(format ? { format } : {}),
    onProgress: (rows, bytes) => progress.update(rows, bytes),
    onInvalidLine: (line, reason) => {
      invalid++
      if (invalid <= 5) process.stderr.write(`${file}${line > 0 ? `:${line}` : ''}: ${reason}\n`)
    },
  })
  progress.finish(profile.rows, fileSize(file))
  if (invalid > 5) process.stderr.write(`${file}: ${invalid} invalid lines skipped\n`)
}

/** `rampart monitor baseline`: profiles the data (one or more files, as one dataset) and writes the baseline files. */
export async function runMonitorBaseline(flags: MonitorBaselineFlags): Promise<number> {
  const profile = new DatasetProfiler(
    { seed: flags.seed, sampleSize: flags.sampleSize, ...(flags.missingValues ? { missingValues: flags.missingValues } : {}) },
    qualityColumns(flags),
  )
  for (const file of flags.data) await readInto(profile, file, flags.format, 'baseline')
  const baseline = buildBaseline(profile, {
    drift: { method: flags.driftMethod },
    guardSignals: { ...(flags.guardFlagColumn ? { flag_column: flags.guardFlagColumn } : {}), ...(flags.guardScoreColumn ? { score_column: flags.guardScoreColumn } : {}) },
  })
  writeBaseline(flags.out, baseline)
  const types = new Map<string, number>()
  for (const f of baseline.statistics.features) types.set(f.inferred_type, (types.get(f.inferred_type) ?? 0) + 1)
  await writeLine(
    JSON.stringify({
      out: flags.out,
      rows: profile.rows,
      features: baseline.statistics.features.length,
      types: Object.fromEntries(types),
      ...(baseline.statistics.model_quality ? { model_quality: baseline.statistics.model_quality } : {}),
    }),
  )
  return 0
}

/** `rampart monitor run`: checks the data against a baseline; writes violations.json, metrics.json and report.html. */
export async function runMonitorRun(flags: MonitorRunFlags): Promise<number> {
  const baseline = readBaseline(flags.baseline)
  const quality = qualityColumns(flags)
  const current = currentProfiler(baseline, quality)
  await readInto(current, flags.data, flags.format, 'check')
  const drift = {
    ...(flags.driftMethod ? { method: flags.driftMethod } : {}),
    ...(flags.driftThreshold !== undefined ? { threshold: flags.driftThreshold } : {}),
    ...(flags.datasetDriftShare !== undefined ? { dataset_drift_share: flags.datasetDriftShare } : {}),
  }
  const report = checkProfiles(baseline, current, { drift, ...(quality ? { quality } : {}) })
  mkdirSync(flags.out, { recursive: true })
  writeFileSync(join(flags.out, 'violations.json'), `${formatJson({ violations: report.violations })}\n`)
  writeFileSync(join(flags.out, 'metrics.json'), `${formatJson({ rows: report.rows, metrics: report.metrics })}\n`)
  writeFileSync(join(flags.out, 'report.html'), renderReport({ report, baseline, current, baselineLabel: flags.baseline, currentLabel: flags.data }))
  const byType: Record<string, number> = {}
  for (const v of report.violations) byType[v.constraint_check_type] = (byType[v.constraint_check_type] ?? 0) + 1
  await writeLine(
    JSON.stringify({
      out: flags.out,
      rows: report.rows,
      violations: report.violations.length,
      by_type: byType,
      dataset_drift: { drifted: report.datasetDrift.drifted, tested: report.datasetDrift.tested, share: report.datasetDrift.share, violated: report.datasetDrift.violated },
    }),
  )
  return flags.failOnViolation && report.violations.length > 0 ? EXIT_VIOLATIONS : 0
}

/** `rampart monitor merge`: one baseline from baselines built on pieces of the data. */
export async function runMonitorMerge(flags: MonitorMergeFlags): Promise<number> {
  const [first, ...rest] = flags.baseline.map((dir) => readBaseline(dir))
  if (!first) return 2
  const profile = first.profile
  for (const b of rest) profile.merge(b.profile)
  const merged = buildBaseline(profile, { drift: first.constraints.monitoring_config.drift, ...(first.constraints.guard_signals ? { guardSignals: first.constraints.guard_signals } : {}) })
  writeBaseline(flags.out, merged)
  await writeLine(JSON.stringify({ out: flags.out, rows: profile.rows, merged: flags.baseline.length }))
  return 0
}

function addQualityOptions(cmd: Command): Command {
  return cmd
    .option('--ground-truth <column>', 'column with the true label or value (model quality)')
    .option('--prediction <column>', "column with the model's prediction")
    .option('--score <column>', 'column with the probability of the positive class (for AUC)')
    .option('--positive-label <label>', 'positive class (default: 1/true, else the rarer of two labels)')
    .addOption(new Option('--problem-type <type>', 'default: regression for fractional or many-valued numeric ground truth').choices(['classification', 'regression']))
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value]

/** Adds `rampart monitor baseline|run|merge`. */
export function registerMonitorCommands(program: Command, setCode: (code: number) => void): void {
  const monitor = program.command('monitor').description('Data-quality, drift and model-quality monitoring: baselines from reference data, checks of current data against them.')
  addQualityOptions(
    monitor
      .command('baseline')
      .description('Profile reference data (CSV with a header row, or JSONL) and write statistics.json and constraints.json (SageMaker Model Monitor layout) to DIR. Several --data files make one dataset.')
      .option('--data <file>', 'CSV or JSONL file (repeat for several)', collect)
      .requiredOption('--out <dir>', 'folder for statistics.json and constraints.json')
      .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'jsonl']))
      .option('--guard-flag-column <column>', "column saying whether the guard flagged the row (default: found by name)")
      .option('--guard-score-column <column>', "column with the guard's injection score (default: found by name)")
      .addOption(new Option('--drift-method <method>', 'drift test for every feature it applies to').choices(['auto', ...DRIFT_METHOD_IDS]).default('auto'))
      .option('--sample-size <n>', 'values kept per column for drift tests', String(DEFAULT_PROFILE_OPTIONS.sampleSize))
      .option('--seed <n>', 'seed of samples and sketches (same data and seed, same files)', '1')
      .option('--missing-values <list>', `comma-separated spellings read as missing (default: ${DEFAULT_PROFILE_OPTIONS.missingValues.map((v) => (v === '' ? '""' : v)).join(',')})`),
  ).action(async (opts: Record<string, unknown>) => setCode(await runMonitorBaseline(parseFlags(monitorBaselineFlagsSchema, { ...opts, data: opts.data ?? [] }))))

  addQualityOptions(
    monitor
      .command('run')
      .description(`Check current data against a baseline; write violations.json, metrics.json and report.html to DIR and print a summary. Exit 0 when the run completed; with --fail-on-violation, ${EXIT_VIOLATIONS} when there were violations.`)
      .requiredOption('--baseline <dir>', 'folder written by monitor baseline')
      .requiredOption('--data <file>', 'current data, CSV or JSONL')
      .requiredOption('--out <dir>', 'folder for violations.json, metrics.json and report.html')
      .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'jsonl']))
      .option('--fail-on-violation', `exit ${EXIT_VIOLATIONS} when there are violations (for pipelines)`)
      .addOption(new Option('--drift-method <method>', "override the baseline's drift method").choices(['auto', ...DRIFT_METHOD_IDS]))
      .option('--drift-threshold <x>', 'override the drift threshold (p-value cut or distance floor)')
      .option('--dataset-drift-share <x>', 'share of drifted features that makes dataset drift (default 0.5)'),
  ).action(async (opts: Record<string, unknown>) => setCode(await runMonitorRun(parseFlags(monitorRunFlagsSchema, opts))))

  monitor
    .command('merge')
    .description('Merge baselines built on pieces of the data (or on several machines) into one, as if built at once.')
    .option('--baseline <dir>', 'a baseline folder (repeat, at least two)', collect)
    .requiredOption('--out <dir>', 'folder for the merged baseline')
    .action(async (opts: Record<string, unknown>) => setCode(await runMonitorMerge(parseFlags(monitorMergeFlagsSchema, { ...opts, baseline: opts.baseline ?? [] }))))
}
