/**
 * Trains the prompt-injection model and writes models/injection/weights.bin (bit-for-bit
 * reproducible) and models/injection/metrics.json (the figures of MODEL_CARD.md).
 *
 *   npm run train:injection                  # full run: LOSO grid, dev, final weights
 *   npx tsx scripts/train-injection.ts --data DIR --out DIR --limit 300 --quick
 *
 * Selection: every hyper-parameter setting is scored with leave-one-source-out (train
 * without source S, score S, for every S) and on dev.jsonl. What ships is the ensemble (model +
 * heuristic), so settings are compared on the ensemble's LOSO macro F1; among those within 0.01
 * of the best, the best dev F1 wins (dev shares its sources with train and flatters, so it only
 * breaks near-ties). Thresholds maximize LOSO macro F1.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTextViews } from '../src/core/text-views.js'
import { createHeuristicDetector } from '../src/scanners/prompt_injection/heuristic.js'
import { addBenignDirectives, embedAttacks, featurize, fitDense, type LabeledRow, logitOf, type TrainParams, trainLogistic } from '../src/detectors/injection/train.js'
import { encodeWeights, quantize } from '../src/detectors/injection/weights-format.js'
import { keyedRng, MUTATION_FAMILIES, mutate } from '../src/adversarial/mutate.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const quick = process.argv.includes('--quick')
const dataDir = resolve(arg('data') ?? process.env.RAMPART_DATA_DIR ?? join(ROOT, '../shared/data'))
const outDir = resolve(arg('out') ?? join(ROOT, 'models/injection'))
const limit = arg('limit') === undefined ? Infinity : Number(arg('limit'))
const SEED = 20261125

const trainFile = join(dataDir, 'prompt-injection/train.jsonl')
const devFile = join(dataDir, 'prompt-injection/dev.jsonl')
if (!existsSync(trainFile) || !existsSync(devFile)) {
  console.error(`train-injection: ${trainFile} or ${devFile} not found (set RAMPART_DATA_DIR or --data)`)
  process.exit(2)
}

function readRows(file: string): LabeledRow[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LabeledRow)
}
/** A source is the repository a row came from (BIPIA names context + attack files per row). */
const repoOf = (s: string): string => s.split(':')[0]!.split(' + ')[0]!

// A fixed, evenly spaced slice when --limit is given (the reproducibility test trains on one).
function slice<T>(rows: T[], n: number): T[] {
  if (!(n < rows.length)) return rows
  const out: T[] = []
  for (let i = 0; i < n; i++) out.push(rows[Math.floor((i * rows.length) / n)]!)
  return out
}
const train = slice(readRows(trainFile), limit)
const dev = slice(readRows(devFile), limit)
const log = (s: string): void => void process.stderr.write(`${s}\n`)

const BITS = 18
log(`train-injection: ${train.length} train rows, ${dev.length} dev rows, 2^${BITS} buckets`)
const t0 = performance.now()
// Indirect-injection augmentation: training attacks embedded in training benign documents.
const AUGMENT = Math.min(1500, Math.round(train.length / 6))
const embedded = embedAttacks(train, AUGMENT, SEED).map((e) => ({ ...e, kind: 'embed' as const }))
// Obfuscation augmentation: each training attack once more, mutated by one family of
// src/adversarial (families in turn, a generator keyed by the row), so encoded, look-alike and
// wrapped attacks are seen in training. Templates come from the mutation module's `train` pool;
// the bench measures on its `test` pool, so frames seen in training are not scored.
const mutated = train.flatMap((r, i) => {
  if (r.label !== 1 || r.text.length > 2_000) return []
  const family = MUTATION_FAMILIES[i % MUTATION_FAMILIES.length]!
  return [{ text: mutate(r.text, family, keyedRng(SEED, 'train', i), { pool: 'train' }), attack: i, host: i, kind: 'mutate' as const }]
})
// Hard negatives: benign prompts with a request about the form of the answer ("your response").
const directives = addBenignDirectives(train, Math.min(1000, Math.round(train.length / 9)), SEED + 1).map((d) => ({ text: d.text, attack: d.host, host: d.host, kind: 'directive' as const }))
const extra = [...embedded, ...mutated, ...directives]
const xTrain = featurize([...train.map((r) => r.text), ...extra.map((e) => e.text)], BITS, (n) => log(`  featurized ${n}/${train.length + extra.length}`))
const xDev = featurize(dev.map((r) => r.text), BITS)
log(`  features: ${xTrain.indices.length} train entries (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
const yOrig = Int8Array.from(train, (r) => r.label)
const yTrain = Int8Array.from([...yOrig, ...extra.map((e) => (e.kind === 'directive' ? 0 : 1))])
const yDev = Int8Array.from(dev, (r) => r.label)

// The heuristic's score for every row: an input of the ensemble.
const heuristic = createHeuristicDetector()
const logit = (p: number): number => Math.log(Math.max(p, 1e-6) / Math.max(1 - p, 1e-6))
const hTrain = Float64Array.from(train, (r) => logit(heuristic.analyze(r.text, createTextViews(r.text)).score))
const hDev = Float64Array.from(dev, (r) => logit(heuristic.analyze(r.text, createTextViews(r.text)).score))

interface Counts {
  tp: number
  fp: number
  fn: number
  tn: number
}
function counts(scores: ArrayLike<number>, labels: ArrayLike<number>, t: number, pick?: (i: number) => boolean): Counts {
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 }
  for (let i = 0; i < labels.length; i++) {
    if (pick !== undefined && !pick(i)) continue
    const flag = scores[i]! >= t
    if (labels[i] === 1) {
      if (flag) c.tp++
      else c.fn++
    } else if (flag) c.fp++
    else c.tn++
  }
  return c
}
const f1Of = (c: Counts): number => (c.tp === 0 ? 0 : (2 * c.tp) / (2 * c.tp + c.fp + c.fn))
const r4 = (v: number): number => Math.round(v * 10_000) / 10_000

const sources = [...new Set(train.map((r) => repoOf(r.source)))].sort()
const benignOnly = new Set(sources.filter((s) => train.every((r) => repoOf(r.source) !== s || r.label === 0)))

/**
 * LOSO figures from out-of-fold scores: per source recall (attacks) and FPR (benign); macro F1
 * = mean over attack-bearing sources of F1 on that source's rows plus the rows of all
 * benign-only sources (a common benign pool, so precision means something for attack-only
 * sources); pooled = all out-of-fold rows at once.
 */
function losoFigures(oof: Float64Array, t: number): { macroF1: number; pooled: Counts & { f1: number; fpr: number }; perSource: Record<string, Record<string, number>> } {
  const perSource: Record<string, Record<string, number>> = {}
  const inPool = (i: number): boolean => benignOnly.has(repoOf(train[i]!.source))
  let f1Sum = 0
  let f1N = 0
  for (const s of sources) {
    const own = (i: number): boolean => repoOf(train[i]!.source) === s
    const c = counts(oof, yOrig, t, own)
    const entry: Record<string, number> = { rows: c.tp + c.fp + c.fn + c.tn }
    if (c.tp + c.fn > 0) {
      entry.recall = r4(c.tp / (c.tp + c.fn))
      const withPool = counts(oof, yOrig, t, (i) => own(i) || inPool(i))
      entry.f1WithBenignPool = r4(f1Of(withPool))
      f1Sum += f1Of(withPool)
      f1N++
    }
    if (c.fp + c.tn > 0) entry.fpr = r4(c.fp / (c.fp + c.tn))
    perSource[s] = entry
  }
  const all = counts(oof, yOrig, t)
  return { macroF1: f1N > 0 ? f1Sum / f1N : 0, pooled: { ...all, f1: f1Of(all), fpr: all.fp / (all.fp + all.tn) }, perSource }
}

function devFigures(scores: ArrayLike<number>, t: number): Record<string, number> {
  const c = counts(scores, yDev, t)
  const hard = counts(scores, yDev, t, (i) => dev[i]!.kind === 'benign-hard')
  const out: Record<string, number> = {
    precision: r4(c.tp / Math.max(1, c.tp + c.fp)),
    recall: r4(c.tp / Math.max(1, c.tp + c.fn)),
    f1: r4(f1Of(c)),
    fpr: r4(c.fp / Math.max(1, c.fp + c.tn)),
    fprBenignHard: r4(hard.fp / Math.max(1, hard.fp + hard.tn)),
  }
  for (const k of ['jailbreak', 'direct-injection', 'indirect-injection']) {
    const ck = counts(scores, yDev, t, (i) => dev[i]!.kind === k)
    if (ck.tp + ck.fn > 0) out[`recall_${k}`] = r4(ck.tp / (ck.tp + ck.fn))
  }
  return out
}

const trainIdx = train.map((_, i) => i)
/** Rows a model trains on: all training rows but those of `without`, plus (when `augment`) the embedded rows built from neither. */
function trainingRows(augment: Augment, directivesOn: boolean, without?: string): number[] {
  const rows = trainIdx.filter((i) => repoOf(train[i]!.source) !== without)
  extra.forEach((e, k) => {
    if (e.kind === 'directive' ? !directivesOn : augment !== 'both' && augment !== e.kind) return
    if (repoOf(train[e.attack]!.source) !== without && repoOf(train[e.host]!.source) !== without) rows.push(train.length + k)
  })
  return rows
}
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z))

/** Out-of-fold raw logits: for each source S, a model trained without S scores S. */
function outOfFold(p: Params): Float64Array {
  const oof = new Float64Array(train.length)
  for (const s of sources) {
    const rows = trainingRows(p.augment, p.directives, s)
    const m = trainLogistic(xTrain, yTrain, rows, p)
    for (let i = 0; i < train.length; i++) if (repoOf(train[i]!.source) === s) oof[i] = logitOf(m, xTrain, i)
  }
  return oof
}

type Augment = 'none' | 'embed' | 'mutate' | 'both'
type Params = TrainParams & { augment: Augment; directives: boolean }
const base: Params = { bits: BITS, epochs: 6, lr: 0.5, l2: 1e-5, balance: true, seed: SEED, augment: 'both', directives: true }
const grid: Params[] = quick
  ? [{ ...base, epochs: 2 }]
  : [
      { ...base, augment: 'both', directives: false },
      { ...base, augment: 'none' },
      { ...base, augment: 'mutate' },
      { ...base, augment: 'both' },
      { ...base, augment: 'both', l2: 1e-4 },
    ]
const THRESHOLDS = Array.from({ length: 19 }, (_, i) => (i + 1) / 20)

/** The threshold that maximizes LOSO macro F1 (ties: the higher threshold). */
function bestThreshold(oofProb: Float64Array): { t: number; macroF1: number } {
  let best = { t: 0.5, macroF1: -1 }
  for (const t of THRESHOLDS) {
    const f = losoFigures(oofProb, t).macroF1
    if (f >= best.macroF1) best = { t, macroF1: f }
  }
  return best
}

interface Candidate {
  params: Params
  oof: Float64Array
  cal: { a: number; b: number }
  threshold: number
  macroF1: number
  ensMacro: number
  devF1: number
}
let chosen: Candidate | undefined
const candidates: Candidate[] = []
const gridReport: Record<string, number | string>[] = []
for (const p of grid) {
  const t1 = performance.now()
  const oof = outOfFold(p)
  // Platt scaling on the out-of-fold logits: calibrated for sources the model has not seen.
  const fit = fitDense([oof], yOrig)
  const cal = { a: fit.coef[0]!, b: fit.bias }
  const oofProb = oof.map((z) => sigmoid(cal.a * z + cal.b))
  const { t, macroF1 } = bestThreshold(oofProb)
  // What ships is the ensemble, so settings are compared on the ensemble's LOSO macro F1.
  const e = fitDense([oof, hTrain], yOrig, 1500)
  const ensBestT = bestThreshold(Float64Array.from(oof, (z, i) => sigmoid(e.bias + e.coef[0]! * z + e.coef[1]! * hTrain[i]!)))
  const ensMacro = ensBestT.macroF1
  const full = trainLogistic(xTrain, yTrain, trainingRows(p.augment, p.directives), p)
  const devProb = Float64Array.from(dev, (_, i) => sigmoid(cal.a * logitOf(full, xDev, i) + cal.b))
  const d = devFigures(devProb, t)
  const devEnsF1 = devFigures(Float64Array.from(dev, (_, i) => sigmoid(e.bias + e.coef[0]! * logitOf(full, xDev, i) + e.coef[1]! * hDev[i]!)), ensBestT.t).f1!
  gridReport.push({ lr: p.lr, l2: p.l2, epochs: p.epochs, balance: String(p.balance), augment: p.augment, directives: String(p.directives), threshold: t, losoMacroF1: r4(macroF1), ensembleLosoMacroF1: r4(ensMacro), ensembleDevF1: devEnsF1, devF1: d.f1!, devFpr: d.fpr!, devFprBenignHard: d.fprBenignHard! })
  log(`  lr=${p.lr} l2=${p.l2} epochs=${p.epochs} balance=${p.balance} augment=${p.augment} directives=${p.directives}: LOSO macro F1 model ${macroF1.toFixed(4)} @${t}, ensemble ${ensMacro.toFixed(4)}; dev F1 model ${d.f1} ensemble ${devEnsF1} FPR ${d.fpr} hard ${d.fprBenignHard} (${((performance.now() - t1) / 1000).toFixed(1)} s)`)
  candidates.push({ params: p, oof, cal, threshold: t, macroF1, ensMacro, devF1: devEnsF1 })
}
// LOSO first: among settings within LOSO_TOLERANCE of the best ensemble LOSO macro F1 (smaller
// differences are a few rows of one held-out source), the best ensemble dev F1 wins.
const LOSO_TOLERANCE = 0.01
const bestLoso = Math.max(...candidates.map((c) => c.ensMacro))
for (const c of candidates) {
  if (c.ensMacro < bestLoso - LOSO_TOLERANCE) continue
  if (chosen === undefined || c.devF1 > chosen.devF1) chosen = c
}
if (chosen === undefined) throw new Error('no candidate')

// The ensemble: logistic combination of the model's logit and the heuristic's, fitted on LOSO
// out-of-fold model logits (the heuristic has no training folds; its score is used as is).
const ens = fitDense([chosen.oof, hTrain], yOrig)
const ensemble = { bias: ens.bias, model: ens.coef[0]!, heuristic: ens.coef[1]! }
const ensOof = Float64Array.from(chosen.oof, (z, i) => sigmoid(ensemble.bias + ensemble.model * z + ensemble.heuristic * hTrain[i]!))
const ensBest = bestThreshold(ensOof)
const heurOof = hTrain.map(sigmoid)

// Final model on all training rows, quantized as shipped; dev figures use the quantized weights.
log(`final model: l2=${chosen.params.l2} epochs=${chosen.params.epochs} balance=${chosen.params.balance}`)
const final = trainLogistic(xTrain, yTrain, trainingRows(chosen.params.augment, chosen.params.directives), chosen.params)
const { weights: q, scale } = quantize(final.weights)
const deq = { bits: BITS, weights: Float64Array.from(q, (v) => v * scale), bias: final.bias }
const devZ = Float64Array.from(dev, (_, i) => logitOf(deq, xDev, i))
const devModel = devZ.map((z) => sigmoid(chosen.cal.a * z + chosen.cal.b))
const devEns = Float64Array.from(devZ, (z, i) => sigmoid(ensemble.bias + ensemble.model * z + ensemble.heuristic * hDev[i]!))
const devHeur = hDev.map(sigmoid)

/** Reliability on dev: predicted mean vs observed attack rate in five score bins. */
function reliability(scores: Float64Array): { bin: string; rows: number; meanScore: number; attackRate: number }[] {
  const out = []
  for (let b = 0; b < 5; b++) {
    const lo = b / 5
    const hi = (b + 1) / 5
    let n = 0
    let s = 0
    let pos = 0
    for (let i = 0; i < scores.length; i++) {
      const v = scores[i]!
      if (v >= lo && (v < hi || (b === 4 && v <= 1))) {
        n++
        s += v
        pos += yDev[i]!
      }
    }
    out.push({ bin: `${lo.toFixed(1)}-${hi.toFixed(1)}`, rows: n, meanScore: r4(n ? s / n : 0), attackRate: r4(n ? pos / n : 0) })
  }
  return out
}

const metrics = {
  data: { train: train.length, dev: dev.length, sources: sources.length },
  chosen: { ...chosen.params, calibration: chosen.cal, thresholds: { model: chosen.threshold, ensemble: ensBest.t }, ensemble },
  grid: gridReport,
  loso: {
    heuristic: { threshold: 0.5, ...summarize(losoFigures(heurOof, 0.5)) },
    model: { threshold: chosen.threshold, ...summarize(losoFigures(chosen.oof.map((z) => sigmoid(chosen.cal.a * z + chosen.cal.b)), chosen.threshold)) },
    ensemble: { threshold: ensBest.t, ...summarize(losoFigures(ensOof, ensBest.t)) },
    ensembleAt05: summarize(losoFigures(ensOof, 0.5)),
  },
  dev: {
    heuristic: devFigures(devHeur, 0.5),
    model: devFigures(devModel, chosen.threshold),
    ensemble: devFigures(devEns, ensBest.t),
    ensembleAt05: devFigures(devEns, 0.5),
  },
  reliabilityDev: { model: reliability(devModel), ensemble: reliability(devEns) },
}
function summarize(f: ReturnType<typeof losoFigures>): { macroF1: number; pooledF1: number; pooledFpr: number; perSource: Record<string, Record<string, number>> } {
  return { macroF1: r4(f.macroF1), pooledF1: r4(f.pooled.f1), pooledFpr: r4(f.pooled.fpr), perSource: f.perSource }
}

const header = {
  format: 1 as const,
  bits: BITS,
  scale,
  bias: final.bias,
  calibration: chosen.cal,
  ensemble,
  thresholds: { model: chosen.threshold, ensemble: ensBest.t },
  training: { rows: train.length, augment: chosen.params.augment, directives: chosen.params.directives, extraRows: trainingRows(chosen.params.augment, chosen.params.directives).length - train.length, seed: SEED, epochs: chosen.params.epochs, lr: chosen.params.lr, l2: chosen.params.l2, balance: chosen.params.balance },
}
mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'weights.bin'), encodeWeights(header, q))
writeFileSync(join(outDir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`)
log(JSON.stringify({ loso: { heuristic: metrics.loso.heuristic.macroF1, model: metrics.loso.model.macroF1, ensemble: metrics.loso.ensemble.macroF1 }, dev: metrics.dev }, null, 1))
log(`wrote ${join(outDir, 'weights.bin')} and metrics.json in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
