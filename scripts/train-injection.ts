/**
 * Trains the prompt-injection model and writes models/injection/weights.bin (bit-for-bit
 * reproducible) and models/injection/metrics.json (the figures of MODEL_CARD.md).
 *
 *   npm run train:injection                  # full run: LOSO grid, dev, final weights
 *   npx tsx scripts/train-injection.ts --data DIR --out DIR --limit 300 --quick
 *
 * The model is a hashed n-gram logistic regression stacked on the heuristic detector (the
 * heuristic's log-odds is one more input), so it learns what the hand-written signals miss.
 * The ensemble flags a text when the heuristic does or the model does.
 *
 * Selection, all on leave-one-source-out (LOSO) predictions of the training set — train without
 * source S, score S, for every S — never on dev:
 *  - Platt calibration of the model's logit;
 *  - thresholds: the highest LOSO F1 (all out-of-fold rows pooled) among thresholds whose LOSO
 *    false-positive rate on the benign-hard rows is at most HARD_FPR_BUDGET and that leave every
 *    hard-negative fixture of the scanner unflagged;
 *  - hyper-parameters: the ensemble's LOSO macro F1 (per attack source, with the benign-only
 *    sources as a common benign pool); settings within 0.01 of the best are tied, and the
 *    best LOSO pooled F1 among them wins. Dev is only reported.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createHeuristicDetector } from '../src/scanners/prompt_injection/heuristic.js'
import { addBenignDirectives, featurize, type FeatureMatrix, fitDense, type LabeledRow, type LinearModel, logitOf, type TrainParams, trainLogistic } from '../src/detectors/injection/train.js'
import { logitOfProbability, sigmoid } from '../src/detectors/injection/model.js'
import { encodeWeights, type ModelHeader, quantize } from '../src/detectors/injection/weights-format.js'
import { keyedRng, MUTATION_FAMILIES, mutate, type MutationFamily } from '../src/adversarial/mutate.js'
import { foldForMatching, type NormalizedText } from '../src/core/normalize.js'
import { WINDOW_FLOOR, WindowScorer } from '../src/detectors/injection/windows.js'

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
const BITS = 18
/** Most benign-hard rows (share) a threshold may flag out of fold. */
const HARD_FPR_BUDGET = 0.01
/** Mutated copies of each training attack (the grid uses the first 1 or all of them). */
const MAX_MUTATIONS = 3
/**
 * Families that get one more mutated copy of every training attack when a grid setting asks for
 * it (`focus`): letters spaced out or words cut (the char n-grams of the plain attack break at
 * every cut) and the attack inside a document (diluted by the text around it).
 */
const FOCUS_FAMILIES: readonly MutationFamily[] = ['spacing', 'retrieved_document']

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
log(`train-injection: ${train.length} train rows, ${dev.length} dev rows, 2^${BITS} buckets`)
const t0 = performance.now()

// ── augmentation ──────────────────────────────────────────────────────────────────────────
interface ExtraRow {
  text: string
  label: 0 | 1
  /** The training row it came from (its source decides the LOSO fold). */
  from: number
  /** Mutation number (0 … MAX_MUTATIONS-1; MAX_MUTATIONS for a focus copy), or -1 for a benign directive row. */
  copy: number
}
const extra: ExtraRow[] = []
// Obfuscated attacks: each training attack of ≤ 2,000 characters mutated MAX_MUTATIONS times, by
// families in turn, with the mutation module's `train` template pool (the bench and the family
// figures below use the `test` pool, so frames seen in training are not scored).
train.forEach((r, i) => {
  if (r.label !== 1 || r.text.length > 2_000) return
  for (let k = 0; k < MAX_MUTATIONS; k++) {
    const family = MUTATION_FAMILIES[(i + 7 * k) % MUTATION_FAMILIES.length]!
    extra.push({ text: mutate(r.text, family, keyedRng(SEED, 'train', i, k), { pool: 'train' }), label: 1, from: i, copy: k })
  }
  const family = FOCUS_FAMILIES[i % FOCUS_FAMILIES.length]!
  extra.push({ text: mutate(r.text, family, keyedRng(SEED, 'focus', i), { pool: 'train' }), label: 1, from: i, copy: MAX_MUTATIONS })
})
// Hard negatives: benign prompts with a request about the form of the answer ("your response").
for (const d of addBenignDirectives(train, Math.min(1000, Math.round(train.length / 9)), SEED + 1)) extra.push({ text: d.text, label: 0, from: d.host, copy: -1 })

// ── features and the heuristic's log-odds (the stacked input) ──────────────────────────────
const heuristic = createHeuristicDetector()
const heuristicLogit = (text: string, views: Parameters<typeof heuristic.analyze>[1]): number => logitOfProbability(heuristic.analyze(text, views).score)
const allTexts = [...train.map((r) => r.text), ...extra.map((e) => e.text)]
const xTrain = featurize(allTexts, BITS, { dense: heuristicLogit, onProgress: (n) => log(`  featurized ${n}/${allTexts.length}`) })
const xDev = featurize(dev.map((r) => r.text), BITS, { dense: heuristicLogit })
log(`  features: ${xTrain.indices.length} entries (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
const yTrain = Int8Array.from([...train.map((r) => r.label), ...extra.map((e) => e.label)])
const yOrig = yTrain.subarray(0, train.length)
const yDev = Int8Array.from(dev, (r) => r.label)
const hTrain = xTrain.dense!.subarray(0, train.length)
const hDev = xDev.dense!

// ── metrics ───────────────────────────────────────────────────────────────────────────────
interface Counts {
  tp: number
  fp: number
  fn: number
  tn: number
}
function counts(flag: (i: number) => boolean, labels: ArrayLike<number>, pick?: (i: number) => boolean): Counts {
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 }
  for (let i = 0; i < labels.length; i++) {
    if (pick !== undefined && !pick(i)) continue
    const f = flag(i)
    if (labels[i] === 1) {
      if (f) c.tp++
      else c.fn++
    } else if (f) c.fp++
    else c.tn++
  }
  return c
}
const f1Of = (c: Counts): number => (c.tp === 0 ? 0 : (2 * c.tp) / (2 * c.tp + c.fp + c.fn))
const fprOf = (c: Counts): number => c.fp / Math.max(1, c.fp + c.tn)
const r4 = (v: number): number => Math.round(v * 10_000) / 10_000

const sources = [...new Set(train.map((r) => repoOf(r.source)))].sort()
const benignOnly = new Set(sources.filter((s) => train.every((r) => repoOf(r.source) !== s || r.label === 0)))
const sourceOf = train.map((r) => repoOf(r.source))
const isHard = (i: number): boolean => train[i]!.kind === 'benign-hard'

interface Loso {
  macroF1: number
  pooledF1: number
  pooledFpr: number
  fprBenignHard: number
  perSource: Record<string, Record<string, number>>
}
/**
 * LOSO figures of out-of-fold decisions: per source recall (attacks) and FPR (benign); macro F1 =
 * mean over attack-bearing sources of F1 on that source's rows plus the rows of all benign-only
 * sources (a common benign pool, so precision means something for attack-only sources).
 */
function losoFigures(flag: (i: number) => boolean): Loso {
  const perSource: Record<string, Record<string, number>> = {}
  let f1Sum = 0
  let f1N = 0
  for (const s of sources) {
    const c = counts(flag, yOrig, (i) => sourceOf[i] === s)
    const entry: Record<string, number> = { rows: c.tp + c.fp + c.fn + c.tn }
    if (c.tp + c.fn > 0) {
      entry.recall = r4(c.tp / (c.tp + c.fn))
      const f = f1Of(counts(flag, yOrig, (i) => sourceOf[i] === s || benignOnly.has(sourceOf[i]!)))
      entry.f1WithBenignPool = r4(f)
      f1Sum += f
      f1N++
    }
    if (c.fp + c.tn > 0) entry.fpr = r4(fprOf(c))
    perSource[s] = entry
  }
  const all = counts(flag, yOrig)
  return { macroF1: r4(f1N > 0 ? f1Sum / f1N : 0), pooledF1: r4(f1Of(all)), pooledFpr: r4(fprOf(all)), fprBenignHard: r4(fprOf(counts(flag, yOrig, isHard))), perSource }
}

function devFigures(flag: (i: number) => boolean): Record<string, number> {
  const c = counts(flag, yDev)
  const out: Record<string, number> = {
    precision: r4(c.tp / Math.max(1, c.tp + c.fp)),
    recall: r4(c.tp / Math.max(1, c.tp + c.fn)),
    f1: r4(f1Of(c)),
    fpr: r4(fprOf(c)),
    fprBenignHard: r4(fprOf(counts(flag, yDev, (i) => dev[i]!.kind === 'benign-hard'))),
  }
  for (const k of ['jailbreak', 'direct-injection', 'indirect-injection']) {
    const ck = counts(flag, yDev, (i) => dev[i]!.kind === k)
    if (ck.tp + ck.fn > 0) out[`recall_${k}`] = r4(ck.tp / (ck.tp + ck.fn))
  }
  return out
}

const THRESHOLDS = [...Array.from({ length: 19 }, (_, i) => (i + 1) / 20), 0.97, 0.98, 0.99]

/**
 * The threshold with the highest LOSO pooled F1 among those whose LOSO benign-hard FPR is within
 * budget and that stay above every hard-negative fixture of the scanner (`fixtureCeiling`: the
 * highest probability the model gives one); the highest threshold when none qualifies.
 * `flagAt(t)` gives the out-of-fold decisions.
 */
function pickThreshold(flagAt: (t: number) => (i: number) => boolean, fixtureCeiling = 0): number {
  let best = { t: THRESHOLDS[THRESHOLDS.length - 1]!, f1: -1 }
  for (const t of THRESHOLDS) {
    if (t <= fixtureCeiling) continue
    const flag = flagAt(t)
    if (fprOf(counts(flag, yOrig, isHard)) > HARD_FPR_BUDGET) continue
    const f = f1Of(counts(flag, yOrig))
    if (f > best.f1) best = { t, f1: f }
  }
  return best.t
}

// ── training ──────────────────────────────────────────────────────────────────────────────
type Params = TrainParams & { mutations: number; focus: boolean }
// Focus copies are part of every setting (LOSO macro F1 with them 0.8268 vs 0.8262 without, at
// L2 1e-5 and 3 copies: no cost on unseen sources; they are for the two families issue 3 names).
const base: Params = { bits: BITS, epochs: 6, lr: 0.5, l2: 1e-5, balance: true, seed: SEED, biasStep: 0.1, denseStep: 0.05, denseInit: 1, mutations: MAX_MUTATIONS, focus: true }
const grid: Params[] = quick ? [{ ...base, epochs: 2 }] : [{ ...base, mutations: 1 }, base, { ...base, l2: 1e-4 }]

/** Rows a model trains on: the training rows outside `without`, and the extra rows built from them. */
function trainingRows(p: Params, without?: string): number[] {
  const rows: number[] = []
  for (let i = 0; i < train.length; i++) if (sourceOf[i] !== without) rows.push(i)
  extra.forEach((e, k) => {
    if ((e.copy === MAX_MUTATIONS ? !p.focus : e.copy >= p.mutations) || sourceOf[e.from] === without) return
    rows.push(train.length + k)
  })
  return rows
}

// Sentence windows (windows.ts): the ensemble also reads the best window of 1–3 sentences when
// the heuristic does not flag the text and the whole text's probability is at least the window
// floor (WINDOW_FLOOR or one of the higher WINDOW_FLOORS, selected with the window threshold).
const windowScorer = new WindowScorer(BITS)
const foldedTrain = train.map((r) => foldForMatching(r.text))
/** Raw logit of the best sentence window (heuristic term included), -Infinity for one sentence. */
function windowLogit(m: LinearModel, text: string, heuristicLogOdds: number, folded: NormalizedText = foldForMatching(text)): number {
  const w = windowScorer.best(folded, text, m.weights, 1, m.bias)
  return w === undefined ? -Infinity : w.logit + m.dense * heuristicLogOdds
}

/** Out-of-fold raw logits of the whole text and of its best window: for each source S, a model trained without S scores S. */
function outOfFold(p: Params): { oof: Float64Array; oofWindow: Float64Array } {
  const oof = new Float64Array(train.length)
  const oofWindow = new Float64Array(train.length).fill(-Infinity)
  for (const s of sources) {
    const m = trainLogistic(xTrain, yTrain, trainingRows(p, s), p)
    for (let i = 0; i < train.length; i++) {
      if (sourceOf[i] !== s) continue
      oof[i] = logitOf(m, xTrain, i)
      if (sigmoid(hTrain[i]!) < 0.5) oofWindow[i] = windowLogit(m, train[i]!.text, hTrain[i]!, foldedTrain[i]!)
    }
  }
  return { oof, oofWindow }
}

/**
 * The ensemble's model side with sentence windows: flagged when the whole text's probability
 * reaches `ensemble`, or when it is at least `floor` and the best window's reaches `window`.
 */
function modelSideFlags(pFull: number, pWindow: number, ensemble: number, window: number, floor: number): boolean {
  return pFull >= ensemble || (pFull >= floor && pWindow >= window)
}
/**
 * Floors tried, highest first: the lowest is the cost bound of windows.ts; a higher one reads
 * windows in fewer texts, so a lower floor must do strictly better on LOSO to be chosen.
 */
const WINDOW_FLOORS = [0.5, 0.35, WINDOW_FLOOR]
/** Window thresholds tried (those at or above the ensemble's threshold: a finer grid at the top); 1.01 turns the windows off. */
const WINDOW_THRESHOLDS = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.955, 0.96, 0.965, 0.97, 0.975, 0.98, 0.985, 0.99, 0.995]
const WINDOW_OFF = 1.01

// The scanner's hand-written hard negatives (src/scanners/prompt_injection/fixtures.jsonl): the
// selected thresholds must leave them unflagged, since a detector that blocks "Forget what I
// said before, make it shorter." cannot be a default. Only the fixtures the heuristic leaves
// alone matter for the ensemble (it flags what the heuristic flags anyway).
const fixtureFile = join(ROOT, 'src/scanners/prompt_injection/fixtures.jsonl')
const benignFixtures = existsSync(fixtureFile)
  ? readFileSync(fixtureFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { text: string; label: number })
      .filter((f) => f.label === 0)
      .map((f) => f.text)
  : []
const xFixtures = featurize(benignFixtures, BITS, { dense: heuristicLogit })

interface Candidate {
  params: Params
  oof: Float64Array
  oofWindow: Float64Array
  cal: { a: number; b: number }
  thresholds: { model: number; ensemble: number; window: number; windowFloor: number }
  loso: { model: Loso; ensemble: Loso }
}
const heuristicFlags = (i: number): boolean => sigmoid(hTrain[i]!) >= 0.5
const candidates: Candidate[] = []
for (const p of grid) {
  const t1 = performance.now()
  const { oof, oofWindow } = outOfFold(p)
  // Platt scaling on the out-of-fold logits: calibrated for sources the model has not seen.
  const fit = fitDense([oof], yOrig)
  const cal = { a: fit.coef[0]!, b: fit.bias }
  const prob = oof.map((z) => sigmoid(cal.a * z + cal.b))
  const probWindow = oofWindow.map((z) => sigmoid(cal.a * z + cal.b))
  const modelAt = (t: number) => (i: number) => prob[i]! >= t
  const ensembleAt = (t: number, w = WINDOW_OFF, floor = WINDOW_FLOOR) => (i: number) => heuristicFlags(i) || modelSideFlags(prob[i]!, probWindow[i]!, t, w, floor)
  // The fixtures' probabilities under the model trained on all rows of this setting.
  const m = trainLogistic(xTrain, yTrain, trainingRows(p), p)
  const fixtureProbs = benignFixtures.map((text, i) => {
    const full = sigmoid(cal.a * logitOf(m, xFixtures, i) + cal.b)
    const h = sigmoid(xFixtures.dense![i]!)
    return { p: full, pw: full >= WINDOW_FLOOR ? sigmoid(cal.a * windowLogit(m, text, xFixtures.dense![i]!) + cal.b) : 0, h }
  })
  type FixtureProb = (typeof fixtureProbs)[number]
  const ceiling = (quiet: (f: FixtureProb) => boolean, of: (f: FixtureProb) => number): number => Math.max(0, ...fixtureProbs.filter(quiet).map(of))
  const model = pickThreshold(modelAt, ceiling(() => true, (f) => f.p))
  const ensemble = pickThreshold((t) => ensembleAt(t), ceiling((f) => f.h < 0.5, (f) => f.p))
  // Windows are chosen after, at the ensemble's own threshold or higher, by the same rule (the
  // highest LOSO pooled F1 within the benign-hard budget, every fixture quiet); they stay off
  // when they would lower the LOSO pooled or macro F1.
  const noWindows = losoFigures(ensembleAt(ensemble))
  let window = WINDOW_OFF
  let windowFloor = WINDOW_FLOOR
  let bestPooled = noWindows.pooledF1
  for (const floor of WINDOW_FLOORS) {
    const windowCeiling = ceiling((f) => f.h < 0.5 && f.p >= floor, (f) => f.pw)
    const sweep: string[] = []
    for (const w of WINDOW_THRESHOLDS) {
      if (w < ensemble || w <= windowCeiling) continue
      const flag = ensembleAt(ensemble, w, floor)
      const hard = fprOf(counts(flag, yOrig, isHard))
      const figures = losoFigures(flag)
      sweep.push(`${w}: pooled ${figures.pooledF1} macro ${figures.macroF1} hard ${r4(hard)}`)
      if (hard > HARD_FPR_BUDGET) continue
      if (figures.pooledF1 > bestPooled && figures.macroF1 >= noWindows.macroF1) {
        bestPooled = figures.pooledF1
        window = w
        windowFloor = floor
      }
    }
    log(`    windows from p ≥ ${floor} (none: pooled ${noWindows.pooledF1} macro ${noWindows.macroF1}; fixture ceiling ${r4(windowCeiling)}): ${sweep.join(' · ')}`)
  }
  const thresholds = { model, ensemble, window, windowFloor }
  const loso = { model: losoFigures(modelAt(thresholds.model)), ensemble: losoFigures(ensembleAt(thresholds.ensemble, thresholds.window, thresholds.windowFloor)) }
  candidates.push({ params: p, oof, oofWindow, cal, thresholds, loso })
  log(`  mutations=${p.mutations} focus=${p.focus} l2=${p.l2} epochs=${p.epochs}: LOSO model F1 ${loso.model.pooledF1} @${thresholds.model}, ensemble macro F1 ${loso.ensemble.macroF1} pooled F1 ${loso.ensemble.pooledF1} hard FPR ${loso.ensemble.fprBenignHard} @${thresholds.ensemble} windows @${thresholds.window} from ${thresholds.windowFloor} (${((performance.now() - t1) / 1000).toFixed(1)} s)`)
}
const LOSO_TOLERANCE = 0.01
const bestMacro = Math.max(...candidates.map((c) => c.loso.ensemble.macroF1))
let chosen: Candidate | undefined
for (const c of candidates) {
  if (c.loso.ensemble.macroF1 < bestMacro - LOSO_TOLERANCE) continue
  if (chosen === undefined || c.loso.ensemble.pooledF1 > chosen.loso.ensemble.pooledF1) chosen = c
}
if (chosen === undefined) throw new Error('no candidate')

// ── final model, quantized as shipped ─────────────────────────────────────────────────────
log(`final model: mutations=${chosen.params.mutations} focus=${chosen.params.focus} l2=${chosen.params.l2} epochs=${chosen.params.epochs}`)
const final = trainLogistic(xTrain, yTrain, trainingRows(chosen.params), chosen.params)
const { weights: q, scale } = quantize(final.weights)
const deq: LinearModel = { bits: BITS, weights: Float64Array.from(q, (v) => v * scale), bias: final.bias, dense: final.dense }
const { cal, thresholds } = chosen
const probOf = (x: FeatureMatrix, i: number): number => sigmoid(cal.a * logitOf(deq, x, i) + cal.b)
/** The ensemble's decision on row i of x (`text` its text), sentence windows included. */
const ensembleFlags = (x: FeatureMatrix, i: number, text: string): boolean => {
  if (sigmoid(x.dense![i]!) >= 0.5) return true
  const full = probOf(x, i)
  if (full >= thresholds.ensemble) return true
  if (full < thresholds.windowFloor || thresholds.window > 1) return false
  return sigmoid(cal.a * windowLogit(deq, text, x.dense![i]!) + cal.b) >= thresholds.window
}
const devProb = Float64Array.from(dev, (_, i) => probOf(xDev, i))
const devEnsemble = dev.map((r, i) => ensembleFlags(xDev, i, r.text))
const devHeur = (i: number): boolean => sigmoid(hDev[i]!) >= 0.5

/** Reliability on dev: predicted mean vs observed attack rate in five probability bins. */
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

// Recall on the dev attacks (≤ 2,000 characters) mutated once per family with the `test`
// templates, as the bench measures it.
const devAttacks = dev.filter((r) => r.label === 1 && r.text.length <= 2_000)
const familyNames = ['plain', ...MUTATION_FAMILIES]
const famTexts = familyNames.flatMap((f) => devAttacks.map((r) => (f === 'plain' ? r.text : mutate(r.text, f as (typeof MUTATION_FAMILIES)[number], keyedRng(0, r.text, f), { pool: 'test' }))))
const xFam = featurize(famTexts, BITS, { dense: heuristicLogit })
const famRecall: Record<string, Record<string, number>> = { heuristic: {}, model: {}, ensemble: {} }
familyNames.forEach((f, k) => {
  let h = 0
  let m = 0
  let e = 0
  for (let j = 0; j < devAttacks.length; j++) {
    const i = k * devAttacks.length + j
    const hf = sigmoid(xFam.dense![i]!) >= 0.5
    const p = probOf(xFam, i)
    if (hf) h++
    if (p >= thresholds.model) m++
    if (ensembleFlags(xFam, i, famTexts[i]!)) e++
  }
  const n = Math.max(1, devAttacks.length)
  famRecall.heuristic![f] = r4(h / n)
  famRecall.model![f] = r4(m / n)
  famRecall.ensemble![f] = r4(e / n)
})

const metrics = {
  data: { train: train.length, dev: dev.length, sources: sources.length, extraRows: extra.length, hardFprBudget: HARD_FPR_BUDGET },
  chosen: { ...chosen.params, calibration: cal, thresholds, heuristicWeight: final.dense, bias: final.bias },
  grid: candidates.map((c) => ({ mutations: c.params.mutations, focus: c.params.focus, l2: c.params.l2, epochs: c.params.epochs, thresholds: c.thresholds, modelPooledF1: c.loso.model.pooledF1, ensembleMacroF1: c.loso.ensemble.macroF1, ensemblePooledF1: c.loso.ensemble.pooledF1, ensembleFprBenignHard: c.loso.ensemble.fprBenignHard })),
  loso: {
    heuristic: { threshold: 0.5, ...losoFigures(heuristicFlags) },
    model: { threshold: thresholds.model, ...chosen.loso.model },
    ensemble: { threshold: thresholds.ensemble, ...chosen.loso.ensemble },
  },
  dev: {
    heuristic: devFigures(devHeur),
    model: devFigures((i) => devProb[i]! >= thresholds.model),
    ensemble: devFigures((i) => devEnsemble[i]!),
  },
  devFamilyRecall: { rows: devAttacks.length, ...famRecall },
  reliabilityDev: { model: reliability(devProb) },
}

const header: ModelHeader = {
  format: 2,
  bits: BITS,
  scale,
  bias: final.bias,
  heuristic: final.dense,
  calibration: cal,
  thresholds,
  training: { rows: train.length, extraRows: trainingRows(chosen.params).length - train.length, mutations: chosen.params.mutations, focus: chosen.params.focus, seed: SEED, epochs: chosen.params.epochs, lr: chosen.params.lr, l2: chosen.params.l2, balance: chosen.params.balance, hardFprBudget: HARD_FPR_BUDGET },
}
mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'weights.bin'), encodeWeights(header, q))
writeFileSync(join(outDir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`)
log(JSON.stringify({ loso: { heuristic: metrics.loso.heuristic.macroF1, model: metrics.loso.model.macroF1, ensemble: metrics.loso.ensemble.macroF1 }, dev: metrics.dev, family: famRecall.ensemble }, null, 1))
log(`wrote ${join(outDir, 'weights.bin')} and metrics.json in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
