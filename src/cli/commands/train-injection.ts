import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { z } from 'zod'
import { RampartError } from '../../core/errors.js'
import { buildEvaluationSets, compareFigures, evaluateWeights, renderComparison, type LosoSummary } from '../../detectors/injection/training/compare.js'
import { dedupeAdded, FIXTURES_FILE, readAddedRows, readBenignFixtures, readLabeledRows, REPO_ROOT, sharedDataFiles } from '../../detectors/injection/training/data.js'
import { renderModelCard, type TrainingMode, type VersionedMetrics } from '../../detectors/injection/training/model-card.js'
import { readRedteamReport, redteamSuccesses } from '../../detectors/injection/training/redteam-rows.js'
import { DEFAULT_SEED, sliceEvenly, trainInjectionModel, type AddedRow, type GridChoice } from '../../detectors/injection/training/train-model.js'
import { decodeWeights } from '../../detectors/injection/weights-format.js'
import { writeLine } from '../io.js'
import { createProgress } from '../progress.js'
import { parseFlags } from './flags.js'

/** Exit status with --fail-if-worse when the candidate is worse on a headline measure (the directory is still written). */
export const EXIT_WORSE = 5

/** The shipped model: the default `--current`. */
export const SHIPPED_MODEL_DIR = join(REPO_ROOT, 'models/injection')

/** The `rampart train injection` flags: validated here, typed from here. */
export const trainInjectionFlagsSchema = z
  .object({
    out: z.string().min(1),
    data: z.string().min(1).optional(),
    extra: z.array(z.string().min(1)).default([]),
    redteam: z.array(z.string().min(1)).default([]),
    redteamTarget: z.string().min(1).optional(),
    current: z.string().min(1).optional(),
    quick: z.boolean().default(false),
    hyperFrom: z.string().min(1).optional(),
    seed: z.coerce.number().int().min(0).max(0xffffffff).default(DEFAULT_SEED),
    limit: z.coerce.number().int().min(20).max(10_000_000).optional(),
    corpusSeed: z.coerce.number().int().min(0).max(0xffffffff).default(0),
    force: z.boolean().default(false),
    failIfWorse: z.boolean().default(false),
    json: z.boolean().default(false),
  })
  .strict()
  .refine((f) => !(f.quick && f.hyperFrom !== undefined), { message: 'give --quick or --hyper-from, not both', path: ['hyperFrom'] })
  .refine((f) => f.redteamTarget === undefined || f.redteam.length > 0, { message: '--redteam-target needs --redteam', path: ['redteamTarget'] })

export type TrainInjectionFlags = z.infer<typeof trainInjectionFlagsSchema>

export function parseTrainInjectionFlags(raw: Record<string, unknown>): TrainInjectionFlags {
  return parseFlags(trainInjectionFlagsSchema, raw)
}

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex')

/** The hyper-parameters a model's header records (written by every training run since format 2). */
const headerTrainingSchema = z.looseObject({
  mutations: z.number().int().min(0),
  focus: z.boolean(),
  epochs: z.number().int().min(1),
  lr: z.number().positive(),
  l2: z.number().min(0),
  balance: z.boolean(),
})

/** The LOSO figures of a model directory's metrics.json, when it has them. */
const metricsLosoSchema = z.looseObject({
  data: z.looseObject({ train: z.number(), sources: z.number() }),
  loso: z.looseObject({ ensemble: z.looseObject({ macroF1: z.number(), pooledF1: z.number(), pooledFpr: z.number(), fprBenignHard: z.number() }) }),
})

function readModelDir(dir: string, flag: string): { weightsFile: string; bytes: Uint8Array; header: ReturnType<typeof decodeWeights>['header']; loso?: LosoSummary } {
  const weightsFile = join(dir, 'weights.bin')
  let bytes: Uint8Array
  try {
    bytes = readFileSync(weightsFile)
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${flag} ${dir}: no weights.bin (${(cause as Error).message})`, { cause, path: flag })
  }
  let header
  try {
    header = decodeWeights(bytes).header
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${flag} ${weightsFile}: ${(cause as Error).message}`, { cause, path: flag })
  }
  const metricsFile = join(dir, 'metrics.json')
  let loso: LosoSummary | undefined
  if (existsSync(metricsFile)) {
    let value: unknown
    try {
      value = JSON.parse(readFileSync(metricsFile, 'utf8'))
    } catch {
      value = undefined
    }
    const parsed = metricsLosoSchema.safeParse(value)
    if (parsed.success) loso = { train: parsed.data.data.train, sources: parsed.data.data.sources, ensemble: parsed.data.loso.ensemble }
  }
  return { weightsFile, bytes, header, ...(loso === undefined ? {} : { loso }) }
}

const log = (line: string): void => void process.stderr.write(`${line}\n`)

/**
 * Retrains the injection model with the added rows, compares it with the current model through
 * the scanner, and writes the versioned model directory. Exit 0 when the directory was written
 * (whatever the comparison says: the card and metrics.json say it), or EXIT_WORSE with
 * --fail-if-worse when the candidate is worse on a headline measure.
 */
export async function runTrainInjection(flags: TrainInjectionFlags): Promise<number> {
  const started = performance.now()
  const dataDir = resolve(flags.data ?? process.env.RAMPART_TRAINING_DATA ?? join(REPO_ROOT, '../shared/data'))
  const files = sharedDataFiles(dataDir)
  for (const f of [files.train, files.dev]) if (!existsSync(f)) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--data ${dataDir}: ${f} not found (the shared data folder holds prompt-injection/train.jsonl and dev.jsonl)`, { path: '--data' })
  const currentDir = resolve(flags.current ?? SHIPPED_MODEL_DIR)
  const outDir = resolve(flags.out)
  if (outDir === currentDir || outDir === resolve(SHIPPED_MODEL_DIR)) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--out ${flags.out}: that is the ${outDir === currentDir ? 'current' : 'shipped'} model; write the candidate to a new directory`, { path: '--out' })
  if (existsSync(join(outDir, 'weights.bin')) && !flags.force) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--out ${flags.out}: already holds a model (weights.bin); give another directory or --force`, { path: '--out' })
  const current = readModelDir(currentDir, '--current')

  // Inputs.
  const limit = flags.limit ?? Infinity
  const trainText = readFileSync(files.train)
  const devText = readFileSync(files.dev)
  const train = sliceEvenly(readLabeledRows(files.train), limit)
  const dev = sliceEvenly(readLabeledRows(files.dev), limit)
  const inputFiles: VersionedMetrics['inputs']['files'] = [
    { role: 'train', name: basename(files.train), sha256: sha256(trainText), rows: train.length },
    { role: 'dev', name: basename(files.dev), sha256: sha256(devText), rows: dev.length },
  ]
  const addedAll: AddedRow[] = []
  for (const file of flags.extra) {
    const rows = readAddedRows(file)
    inputFiles.push({ role: 'extra', name: basename(file), sha256: sha256(readFileSync(file)), rows: rows.length })
    addedAll.push(...rows)
    log(`--extra ${file}: ${rows.length} rows`)
  }
  const redteamInputs: VersionedMetrics['inputs']['redteam'] = []
  for (const file of flags.redteam) {
    const report = readRedteamReport(file)
    const x = redteamSuccesses(report, flags.redteamTarget, file)
    inputFiles.push({ role: 'redteam', name: basename(file), sha256: sha256(readFileSync(file)), rows: x.rows.length })
    redteamInputs.push({ file: basename(file), target: x.target, seed: x.seed, succeeded: x.succeeded, used: x.rows.length, skippedDataAttacks: x.skippedDataAttacks, unknownIds: x.unknownIds.length })
    addedAll.push(...x.rows)
    log(`--redteam ${file}: target "${x.target}", ${x.succeeded} successes, ${x.rows.length} used${x.skippedDataAttacks > 0 ? `, ${x.skippedDataAttacks} attack-file successes left out` : ''}${x.unknownIds.length > 0 ? `, ${x.unknownIds.length} unknown ids (${x.unknownIds.slice(0, 3).join(', ')}…)` : ''}`)
  }
  const { kept: added, inDev, repeated } = dedupeAdded(addedAll, dev)
  if (inDev + repeated > 0) log(`added rows: ${inDev} equal to a dev row and ${repeated} repeats left out`)
  const benignFixtures = readBenignFixtures()
  if (benignFixtures.length === 0) log(`warning: ${FIXTURES_FILE} not found: the thresholds are not bounded by the scanner's hard negatives, so the model differs from one trained in the repository`)

  // Grid.
  let grid: GridChoice = { kind: flags.quick ? 'quick' : 'full' }
  let mode: TrainingMode = flags.quick ? 'quick' : 'full-grid'
  let hyperParametersFrom: string | null = null
  if (flags.hyperFrom !== undefined) {
    const from = readModelDir(resolve(flags.hyperFrom), '--hyper-from')
    const parsed = headerTrainingSchema.safeParse(from.header.training)
    if (!parsed.success) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--hyper-from ${flags.hyperFrom}: its header does not record the hyper-parameters (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`, { path: '--hyper-from' })
    const { mutations, focus, epochs, lr, l2, balance } = parsed.data
    grid = { kind: 'reuse', params: { mutations, focus, epochs, lr, l2, balance } }
    mode = 'reused-hyper-parameters'
    hyperParametersFrom = sha256(from.bytes)
  }

  // Train.
  const tTrain = performance.now()
  const outcome = trainInjectionModel({ train, dev, added, benignFixtures, seed: flags.seed, grid, log })
  const trainSeconds = (performance.now() - tTrain) / 1000
  mkdirSync(outDir, { recursive: true })
  const weightsFile = join(outDir, 'weights.bin')
  writeFileSync(weightsFile, outcome.bytes)
  const version = sha256(outcome.bytes)
  log(`wrote ${weightsFile} (version ${version.slice(0, 12)}) after ${trainSeconds.toFixed(1)} s of training`)

  // Compare, both through the scanner.
  const sets = buildEvaluationSets(dev, flags.corpusSeed)
  const evalOf = async (label: string, file: string) => {
    const progress = createProgress(`evaluate ${label}`, undefined)
    let n = 0
    const figures = await evaluateWeights(file, sets, (done) => progress.update((n = done), 0))
    progress.finish(n, 0)
    return figures
  }
  const tEval = performance.now()
  const currentFigures = await evalOf('current', current.weightsFile)
  const candidateFigures = await evalOf('candidate', weightsFile)
  log(`evaluated both models in ${((performance.now() - tEval) / 1000).toFixed(1)} s`)
  const comparison = compareFigures(currentFigures, candidateFigures, {
    ...(current.loso === undefined ? {} : { current: current.loso }),
    candidate: { train: outcome.metrics.data.train, sources: outcome.metrics.data.sources, ensemble: outcome.metrics.loso.ensemble },
  })
  const trainingTexts = new Set(added.map((r) => r.text))
  const corpusInTraining = sets.redteam.filter((a) => !a.benign && a.texts.some((t) => trainingTexts.has(t))).length

  const count = (source: string) => added.filter((r) => r.source === source).length
  const metrics: VersionedMetrics = {
    detector: 'prompt_injection',
    version,
    parent: sha256(current.bytes),
    mode,
    seed: flags.seed,
    hyperParametersFrom,
    inputs: {
      limit: flags.limit ?? null,
      files: inputFiles,
      added: { feedback: count('feedback'), redteam: count('redteam'), other: added.length - count('feedback') - count('redteam'), droppedInDev: inDev, droppedRepeated: repeated },
      redteam: redteamInputs,
      redteamCorpusInTraining: corpusInTraining,
      benignFixtures: benignFixtures.length,
    },
    comparison: { ...comparison, redteamCorpusSeed: flags.corpusSeed },
    ...outcome.metrics,
  }
  writeFileSync(join(outDir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`)
  writeFileSync(join(outDir, 'MODEL_CARD.md'), renderModelCard(metrics))
  await writeLine(flags.json ? JSON.stringify({ version, parent: metrics.parent, mode, worse: comparison.worse, comparison: comparison.rows, losoNote: comparison.losoNote }, null, 2) : `candidate ${version.slice(0, 12)} (${mode}) vs current ${metrics.parent!.slice(0, 12)}\n\n${renderComparison(comparison)}`)
  log(`wrote ${outDir}/{weights.bin,metrics.json,MODEL_CARD.md} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  if (flags.failIfWorse && comparison.worse.length > 0) {
    log(`--fail-if-worse: the candidate is worse on ${comparison.worse.join(', ')}`)
    return EXIT_WORSE
  }
  return 0
}
