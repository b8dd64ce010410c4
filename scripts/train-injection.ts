/**
 * Rebuilds the shipped prompt-injection model: models/injection/weights.bin (bit-for-bit
 * reproducible) and models/injection/metrics.json (the figures of MODEL_CARD.md).
 *
 *   npm run train:injection                  # full run: LOSO grid, dev, final weights
 *   npx tsx scripts/train-injection.ts --data DIR --out DIR --limit 300 --quick
 *
 * The procedure lives in src/detectors/injection/training/train-model.ts; `rampart train
 * injection` runs it too, with added rows (feedback, red-team successes), a comparison with the
 * current model and a versioned output directory.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readBenignFixtures, readLabeledRows, sharedDataFiles } from '../src/detectors/injection/training/data.js'
import { sliceEvenly, trainInjectionModel } from '../src/detectors/injection/training/train-model.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const quick = process.argv.includes('--quick')
const dataDir = resolve(arg('data') ?? process.env.RAMPART_DATA_DIR ?? join(ROOT, '../shared/data'))
const outDir = resolve(arg('out') ?? join(ROOT, 'models/injection'))
const limit = arg('limit') === undefined ? Infinity : Number(arg('limit'))

const files = sharedDataFiles(dataDir)
if (!existsSync(files.train) || !existsSync(files.dev)) {
  console.error(`train-injection: ${files.train} or ${files.dev} not found (set RAMPART_DATA_DIR or --data)`)
  process.exit(2)
}
const log = (s: string): void => void process.stderr.write(`${s}\n`)
const t0 = performance.now()
const { bytes, metrics } = trainInjectionModel({
  // A fixed, evenly spaced slice when --limit is given (the reproducibility test trains on one).
  train: sliceEvenly(readLabeledRows(files.train), limit),
  dev: sliceEvenly(readLabeledRows(files.dev), limit),
  benignFixtures: readBenignFixtures(join(ROOT, 'src/scanners/prompt_injection/fixtures.jsonl')),
  grid: { kind: quick ? 'quick' : 'full' },
  log,
})
mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'weights.bin'), bytes)
writeFileSync(join(outDir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`)
log(JSON.stringify({ loso: { heuristic: metrics.loso.heuristic.macroF1, model: metrics.loso.model.macroF1, ensemble: metrics.loso.ensemble.macroF1 }, dev: metrics.dev, family: metrics.devFamilyRecall.ensemble }, null, 1))
log(`wrote ${join(outDir, 'weights.bin')} and metrics.json in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
