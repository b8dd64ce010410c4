/**
 * Trains the prompt-injection model (the procedure behind models/injection/weights.bin): the
 * shipped weights are rebuilt bit-for-bit from the shared training data by `npm run
 * train:injection`, and `rampart train injection` runs the same procedure with labeled rows
 * added (confirmed feedback, the red team's successful attacks).
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
 *
 * Added rows are training rows like the others (augmented the same way, in every LOSO fold but
 * their own source's) but are never scored: the LOSO figures, calibration and thresholds are
 * computed on the shared training rows only, and dev never sees them.
 */
import { createHeuristicDetector } from '../../../scanners/prompt_injection/heuristic.js'
import { addBenignDirectives, BENIGN_ADDITIONS, featurize, type FeatureMatrix, fitDense, type LabeledRow, type LinearModel, logitOf, type TrainParams, trainLogistic } from '../train.js'
import { logitOfProbability, sigmoid } from '../model.js'
import { encodeWeights, type ModelHeader, quantize } from '../weights-format.js'
import { keyedRng, MUTATION_FAMILIES, mutate, type MutationFamily } from '../../../adversarial/mutate.js'
import { foldForMatching, type NormalizedText } from '../../../core/normalize.js'
import { WINDOW_FLOOR, WindowScorer } from '../windows.js'
import { leetReading } from '../../../scanners/prompt_injection/model.js'

/** The seed of the shipped model. */
export const DEFAULT_SEED = 20261125
export const BITS = 18
/** Most benign-hard rows (share) a threshold may flag out of fold. */
export const HARD_FPR_BUDGET = 0.01
/** Mutated copies of each training attack (the grid uses the first 1 or all of them). */
const MAX_MUTATIONS = 3
/**
 * Families that get one more mutated copy of every training attack when a grid setting asks for
 * it (`focus`): letters spaced out or words cut (the char n-grams of the plain attack break at
 * every cut) and the attack inside a document (diluted by the text around it).
 */
const FOCUS_FAMILIES: readonly MutationFamily[] = ['spacing', 'retrieved_document']

/** A labeled row added to the training data (feedback, red-team successes, any labeled file). */
export interface AddedRow {
  text: string
  label: 0 | 1
  /** Its source: `feedback`, `redteam`, or a file's own; a LOSO fold of that name leaves it out. */
  source: string
}

/** The hyper-parameters of one grid setting. */
export type GridParams = TrainParams & { mutations: number; focus: boolean }

/**
 * Which settings are tried: `full` (the grid of the shipped model), `quick` (one setting, two
 * epochs: the CI slice) or one given setting (`reuse`: a retrain with the current model's
 * hyper-parameters, one LOSO pass instead of three).
 */
export type GridChoice = { kind: 'full' } | { kind: 'quick' } | { kind: 'reuse'; params: Pick<GridParams, 'epochs' | 'lr' | 'l2' | 'balance' | 'mutations' | 'focus'> }

export interface TrainingInput {
  /** The shared training rows (already sliced). */
  train: readonly LabeledRow[]
  /** The shared dev rows: only reported. */
  dev: readonly LabeledRow[]
  /** Rows added to training only. */
  added?: readonly AddedRow[]
  /** The scanner's hand-written hard negatives: the selected thresholds must leave them unflagged. */
  benignFixtures: readonly string[]
  seed?: number
  grid: GridChoice
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void
}

interface Counts {
  tp: number
  fp: number
  fn: number
  tn: number
}

export interface LosoFigures {
  macroF1: number
  pooledF1: number
  pooledFpr: number
  fprBenignHard: number
  perSource: Record<string, Record<string, number>>
}

/** metrics.json of a training run (the figures of the model card). */
export interface TrainingMetrics {
  data: { train: number; dev: number; sources: number; extraRows: number; hardFprBudget: number; added?: { rows: number; attacks: number; benign: number; bySource: Record<string, number> } }
  chosen: GridParams & { calibration: { a: number; b: number }; thresholds: ModelHeader['thresholds']; heuristicWeight: number; bias: number }
  grid: Record<string, unknown>[]
  loso: { heuristic: LosoFigures & { threshold: number }; model: LosoFigures & { threshold: number }; ensemble: LosoFigures & { threshold: number } }
  dev: { heuristic: Record<string, number>; model: Record<string, number>; ensemble: Record<string, number> }
  devFamilyRecall: { rows: number } & Record<string, unknown>
  reliabilityDev: { model: { bin: string; rows: number; meanScore: number; attackRate: number }[] }
}

export interface TrainingOutcome {
  header: ModelHeader
  /** The quantized weights (int8, one per hashed bucket). */
  weights: Int8Array
  /** weights.bin: header and weights, deterministic. */
  bytes: Uint8Array
  metrics: TrainingMetrics
}

/** A source is the repository a row came from (BIPIA names context + attack files per row). */
export const repoOf = (s: string): string => s.split(':')[0]!.split(' + ')[0]!

/** A fixed, evenly spaced slice of `n` rows (all of them when n ≥ their number). */
export function sliceEvenly<T>(rows: readonly T[], n: number): T[] {
  if (!(n < rows.length)) return [...rows]
  const out: T[] = []
  for (let i = 0; i < n; i++) out.push(rows[Math.floor((i * rows.length) / n)]!)
  return out
}

const f1Of = (c: Counts): number => (c.tp === 0 ? 0 : (2 * c.tp) / (2 * c.tp + c.fp + c.fn))
const fprOf = (c: Counts): number => c.fp / Math.max(1, c.fp + c.tn)
const r4 = (v: number): number => Math.round(v * 10_000) / 10_000

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

const THRESHOLDS = [...Array.from({ length: 19 }, (_, i) => (i + 1) / 20), 0.97, 0.98, 0.99]
/**
 * Floors tried, highest first: the lowest is the cost bound of windows.ts; a higher one reads
 * windows in fewer texts, so a lower floor must do strictly better on LOSO to be chosen.
 */
const WINDOW_FLOORS = [0.5, WINDOW_FLOOR]
/** Window thresholds tried (those at or above the ensemble's threshold: a finer grid at the top); 1.01 turns the windows off. */
const WINDOW_THRESHOLDS = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.955, 0.96, 0.965, 0.97, 0.975, 0.98, 0.985, 0.99, 0.995]
const WINDOW_OFF = 1.01
const LOSO_TOLERANCE = 0.01
/** Recall every mutation family of the dev attacks should keep (issue 3). */
const FAMILY_FLOOR = 0.9

/**
 * The ensemble's model side with sentence windows: flagged when the whole text's probability
 * reaches `ensemble`, or when it is at least `floor` and the best window's reaches `window`.
 */
function modelSideFlags(pFull: number, pWindow: number, ensemble: number, window: number, floor: number): boolean {
  return pFull >= ensemble || (pFull >= floor && pWindow >= window)
}

/** The settings a grid choice tries, all with `seed`. */
export function gridSettings(choice: GridChoice, seed: number): GridParams[] {
  const base: GridParams = { bits: BITS, epochs: 6, lr: 0.5, l2: 1e-5, balance: true, seed, biasStep: 0.1, denseStep: 0.05, denseInit: 1, mutations: MAX_MUTATIONS, focus: true }
  // Focus copies are part of every setting (LOSO macro F1 with them 0.8268 vs 0.8262 without, at
  // L2 1e-5 and 3 copies: no cost on unseen sources; they are for the two families issue 3 names).
  if (choice.kind === 'quick') return [{ ...base, epochs: 2 }]
  if (choice.kind === 'reuse') return [{ ...base, ...choice.params, mutations: Math.min(MAX_MUTATIONS, Math.max(0, choice.params.mutations)) }]
  return [{ ...base, mutations: 1 }, base, { ...base, l2: 1e-4 }]
}

/**
 * Trains, selects and evaluates on dev; deterministic for the same input (same rows in the same
 * order, same seed, same code, same Node version).
 */
export function trainInjectionModel(input: TrainingInput): TrainingOutcome {
  const SEED = input.seed ?? DEFAULT_SEED
  const log = input.log ?? (() => {})
  const train = input.train
  const dev = input.dev
  const added = input.added ?? []
  /** Every training row: the shared rows first, then the added ones (indices ≥ train.length). */
  const pool: { text: string; label: number; source: string }[] = [...train, ...added]
  log(`train-injection: ${train.length} train rows${added.length > 0 ? ` + ${added.length} added` : ''}, ${dev.length} dev rows, 2^${BITS} buckets`)
  const t0 = performance.now()

  // ── augmentation ────────────────────────────────────────────────────────────────────────
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
  pool.forEach((r, i) => {
    if (r.label !== 1 || r.text.length > 2_000) return
    for (let k = 0; k < MAX_MUTATIONS; k++) {
      const family = MUTATION_FAMILIES[(i + 7 * k) % MUTATION_FAMILIES.length]!
      extra.push({ text: mutate(r.text, family, keyedRng(SEED, 'train', i, k), { pool: 'train' }), label: 1, from: i, copy: k })
    }
    const family = FOCUS_FAMILIES[i % FOCUS_FAMILIES.length]!
    extra.push({ text: mutate(r.text, family, keyedRng(SEED, 'focus', i), { pool: 'train' }), label: 1, from: i, copy: MAX_MUTATIONS })
  })
  // Hard negatives: benign prompts with a request about the form of the answer ("your response"),
  // a revision of the user's own words, attack vocabulary in its everyday sense ("developer mode"
  // on a phone) or a role-play of ordinary use — about 38 rows per hand-written sentence, as many
  // as the first 26 sentences had (1,000 rows), at most a quarter of the training rows.
  for (const d of addBenignDirectives(train, Math.min(Math.round(train.length / 4), 38 * BENIGN_ADDITIONS.length), SEED + 1)) extra.push({ text: d.text, label: 0, from: d.host, copy: -1 })

  // ── features and the heuristic's log-odds (the stacked input) ────────────────────────────
  const heuristic = createHeuristicDetector()
  const heuristicLogit = (text: string, views: Parameters<typeof heuristic.analyze>[1]): number => logitOfProbability(heuristic.analyze(text, views).score)
  const allTexts = [...pool.map((r) => r.text), ...extra.map((e) => e.text)]
  const xTrain = featurize(allTexts, BITS, { dense: heuristicLogit, onProgress: (n) => log(`  featurized ${n}/${allTexts.length}`) })
  const xDev = featurize(
    dev.map((r) => r.text),
    BITS,
    { dense: heuristicLogit },
  )
  log(`  features: ${xTrain.indices.length} entries (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  const yTrain = Int8Array.from([...pool.map((r) => r.label), ...extra.map((e) => e.label)])
  const yOrig = yTrain.subarray(0, train.length)
  const yDev = Int8Array.from(dev, (r) => r.label)
  const hTrain = xTrain.dense!.subarray(0, train.length)
  const hDev = xDev.dense!

  // ── metrics ─────────────────────────────────────────────────────────────────────────────
  const sources = [...new Set(train.map((r) => repoOf(r.source)))].sort()
  const benignOnly = new Set(sources.filter((s) => train.every((r) => repoOf(r.source) !== s || r.label === 0)))
  const sourceOf = pool.map((r) => repoOf(r.source))
  const isHard = (i: number): boolean => train[i]!.kind === 'benign-hard'

  /**
   * LOSO figures of out-of-fold decisions: per source recall (attacks) and FPR (benign); macro F1 =
   * mean over attack-bearing sources of F1 on that source's rows plus the rows of all benign-only
   * sources (a common benign pool, so precision means something for attack-only sources).
   */
  function losoFigures(flag: (i: number) => boolean): LosoFigures {
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

  // ── training ────────────────────────────────────────────────────────────────────────────
  const grid = gridSettings(input.grid, SEED)

  /** Rows a model trains on: the training rows outside `without`, and the extra rows built from them. */
  function trainingRows(p: GridParams, without?: string): number[] {
    const rows: number[] = []
    for (let i = 0; i < pool.length; i++) if (sourceOf[i] !== without) rows.push(i)
    extra.forEach((e, k) => {
      if ((e.copy === MAX_MUTATIONS ? !p.focus : e.copy >= p.mutations) || sourceOf[e.from] === without) return
      rows.push(pool.length + k)
    })
    return rows
  }

  // Sentence windows (windows.ts): the ensemble also reads the best window of 1–4 sentences when
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
  function outOfFold(p: GridParams): { oof: Float64Array; oofWindow: Float64Array } {
    const oof = new Float64Array(train.length)
    const oofWindow = new Float64Array(train.length).fill(-Infinity)
    for (const [k, s] of sources.entries()) {
      const t1 = performance.now()
      const m = trainLogistic(xTrain, yTrain, trainingRows(p, s), p)
      for (let i = 0; i < train.length; i++) {
        if (sourceOf[i] !== s) continue
        oof[i] = logitOf(m, xTrain, i)
        if (sigmoid(hTrain[i]!) < 0.5) oofWindow[i] = windowLogit(m, train[i]!.text, hTrain[i]!, foldedTrain[i]!)
      }
      log(`    fold ${k + 1}/${sources.length} (without ${s}): ${((performance.now() - t1) / 1000).toFixed(1)} s`)
    }
    return { oof, oofWindow }
  }

  const benignFixtures = input.benignFixtures
  const xFixtures = featurize(benignFixtures, BITS, { dense: heuristicLogit })

  interface Candidate {
    params: GridParams
    cal: { a: number; b: number }
    thresholds: { model: number; ensemble: number; window: number; windowFloor: number }
    loso: { model: LosoFigures; ensemble: LosoFigures }
  }
  const heuristicFlags = (i: number): boolean => sigmoid(hTrain[i]!) >= 0.5
  const candidates: Candidate[] = []
  for (const [g, p] of grid.entries()) {
    const t1 = performance.now()
    log(`  setting ${g + 1}/${grid.length}: mutations=${p.mutations} focus=${p.focus} l2=${p.l2} epochs=${p.epochs} (${sources.length} LOSO folds)`)
    const { oof, oofWindow } = outOfFold(p)
    // Platt scaling on the out-of-fold logits: calibrated for sources the model has not seen.
    const fit = fitDense([oof], yOrig)
    const cal = { a: fit.coef[0]!, b: fit.bias }
    const prob = oof.map((z) => sigmoid(cal.a * z + cal.b))
    const probWindow = oofWindow.map((z) => sigmoid(cal.a * z + cal.b))
    const modelAt = (t: number) => (i: number) => prob[i]! >= t
    const ensembleAt =
      (t: number, w = WINDOW_OFF, floor = WINDOW_FLOOR) =>
      (i: number) =>
        heuristicFlags(i) || modelSideFlags(prob[i]!, probWindow[i]!, t, w, floor)
    // The fixtures' probabilities under the model trained on all rows of this setting.
    const m = trainLogistic(xTrain, yTrain, trainingRows(p), p)
    const fixtureProbs = benignFixtures.map((text, i) => {
      const full = sigmoid(cal.a * logitOf(m, xFixtures, i) + cal.b)
      const h = sigmoid(xFixtures.dense![i]!)
      return { p: full, pw: full >= WINDOW_FLOOR ? sigmoid(cal.a * windowLogit(m, text, xFixtures.dense![i]!) + cal.b) : 0, h }
    })
    type FixtureProb = (typeof fixtureProbs)[number]
    const ceiling = (quiet: (f: FixtureProb) => boolean, of: (f: FixtureProb) => number): number => Math.max(0, ...fixtureProbs.filter(quiet).map(of))
    const model = pickThreshold(
      modelAt,
      ceiling(
        () => true,
        (f) => f.p,
      ),
    )
    const ensemble = pickThreshold(
      (t) => ensembleAt(t),
      ceiling(
        (f) => f.h < 0.5,
        (f) => f.p,
      ),
    )
    // Windows are chosen after, at the ensemble's own threshold or higher, by the same rule (the
    // highest LOSO pooled F1 within the benign-hard budget, every fixture quiet); they stay off
    // when they would lower the LOSO pooled or macro F1.
    const noWindows = losoFigures(ensembleAt(ensemble))
    let window = WINDOW_OFF
    let windowFloor = WINDOW_FLOOR
    let bestPooled = noWindows.pooledF1
    for (const floor of WINDOW_FLOORS) {
      const windowCeiling = ceiling(
        (f) => f.h < 0.5 && f.p >= floor,
        (f) => f.pw,
      )
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
    candidates.push({ params: p, cal, thresholds, loso })
    log(
      `  mutations=${p.mutations} focus=${p.focus} l2=${p.l2} epochs=${p.epochs}: LOSO model F1 ${loso.model.pooledF1} @${thresholds.model}, ensemble macro F1 ${loso.ensemble.macroF1} pooled F1 ${loso.ensemble.pooledF1} hard FPR ${loso.ensemble.fprBenignHard} @${thresholds.ensemble} windows @${thresholds.window} from ${thresholds.windowFloor} (${((performance.now() - t1) / 1000).toFixed(1)} s)`,
    )
  }
  // ── selection ───────────────────────────────────────────────────────────────────────────
  // LOSO's order: the settings within LOSO_TOLERANCE of the best macro F1 by pooled F1, then the
  // rest by macro F1. The first whose final model keeps every mutation family of the dev attacks
  // at FAMILY_FLOOR recall (the issue's robustness floor; the issue selects on dev) is chosen —
  // LOSO's first when none does.
  const bestMacro = Math.max(...candidates.map((c) => c.loso.ensemble.macroF1))
  const isTolerant = (c: Candidate): boolean => c.loso.ensemble.macroF1 >= bestMacro - LOSO_TOLERANCE
  const ranked = [
    ...candidates.filter(isTolerant).sort((a, b) => b.loso.ensemble.pooledF1 - a.loso.ensemble.pooledF1),
    ...candidates.filter((c) => !isTolerant(c)).sort((a, b) => b.loso.ensemble.macroF1 - a.loso.ensemble.macroF1),
  ]
  if (ranked.length === 0) throw new Error('train-injection: no grid setting was trained')

  // Recall on the dev attacks (≤ 2,000 characters) mutated once per family with the `test`
  // templates, as the bench measures it.
  const devAttacks = dev.filter((r) => r.label === 1 && r.text.length <= 2_000)
  const familyNames = ['plain', ...MUTATION_FAMILIES]
  const famTexts = familyNames.flatMap((f) => devAttacks.map((r) => (f === 'plain' ? r.text : mutate(r.text, f as (typeof MUTATION_FAMILIES)[number], keyedRng(0, r.text, f), { pool: 'test' }))))
  const xFam = featurize(famTexts, BITS, { dense: heuristicLogit })

  /** A candidate's final model (all rows, quantized as shipped) and its ensemble's decisions. */
  function finalize(c: Candidate) {
    const final = trainLogistic(xTrain, yTrain, trainingRows(c.params), c.params)
    const { weights: q, scale } = quantize(final.weights)
    const deq: LinearModel = { bits: BITS, weights: Float64Array.from(q, (v) => v * scale), bias: final.bias, dense: final.dense }
    const { cal, thresholds } = c
    const probOf = (x: FeatureMatrix, i: number): number => sigmoid(cal.a * logitOf(deq, x, i) + cal.b)
    /** The ensemble's decision on row i of x (`text` its text), sentence windows included. */
    const textFlags = (x: FeatureMatrix, i: number, text: string): boolean => {
      if (sigmoid(x.dense![i]!) >= 0.5) return true
      const full = probOf(x, i)
      if (full >= thresholds.ensemble) return true
      if (full < thresholds.windowFloor || thresholds.window > 1) return false
      return sigmoid(cal.a * windowLogit(deq, text, x.dense![i]!) + cal.b) >= thresholds.window
    }
    // …and, as the shipped ensemble does, a text written in leet throughout is also scored as its
    // words-view reading (scanners/prompt_injection/model.ts).
    const ensembleFlags = (x: FeatureMatrix, i: number, text: string): boolean => {
      if (textFlags(x, i, text)) return true
      const reading = leetReading(text)
      if (reading === undefined) return false
      return textFlags(featurize([reading], BITS, { dense: heuristicLogit }), 0, reading)
    }
    const famRecall: Record<string, Record<string, number>> = { heuristic: {}, model: {}, ensemble: {} }
    familyNames.forEach((f, k) => {
      let h = 0
      let m = 0
      let e = 0
      for (let j = 0; j < devAttacks.length; j++) {
        const i = k * devAttacks.length + j
        if (sigmoid(xFam.dense![i]!) >= 0.5) h++
        if (probOf(xFam, i) >= thresholds.model) m++
        if (ensembleFlags(xFam, i, famTexts[i]!)) e++
      }
      const n = Math.max(1, devAttacks.length)
      famRecall.heuristic![f] = r4(h / n)
      famRecall.model![f] = r4(m / n)
      famRecall.ensemble![f] = r4(e / n)
    })
    const floor = Math.min(...MUTATION_FAMILIES.map((f) => famRecall.ensemble![f]!))
    return { chosen: c, final, q, scale, deq, cal, thresholds, probOf, ensembleFlags, famRecall, floor }
  }

  let picked: ReturnType<typeof finalize> | undefined
  for (const c of ranked) {
    const f = finalize(c)
    log(`final model candidate: mutations=${c.params.mutations} focus=${c.params.focus} l2=${c.params.l2} epochs=${c.params.epochs}: lowest family recall on dev ${f.floor}`)
    picked ??= f
    if (f.floor >= FAMILY_FLOOR) {
      picked = f
      break
    }
  }
  const { chosen, final, q, scale, cal, thresholds, probOf, ensembleFlags, famRecall } = picked!
  log(`final model: mutations=${chosen.params.mutations} focus=${chosen.params.focus} l2=${chosen.params.l2} epochs=${chosen.params.epochs}`)
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

  const data: TrainingMetrics['data'] = { train: train.length, dev: dev.length, sources: sources.length, extraRows: extra.length, hardFprBudget: HARD_FPR_BUDGET }
  if (added.length > 0) {
    const bySource: Record<string, number> = {}
    for (const r of added) bySource[r.source] = (bySource[r.source] ?? 0) + 1
    const attacks = added.filter((r) => r.label === 1).length
    data.added = { rows: added.length, attacks, benign: added.length - attacks, bySource }
  }
  const metrics: TrainingMetrics = {
    data,
    chosen: { ...chosen.params, calibration: cal, thresholds, heuristicWeight: final.dense, bias: final.bias },
    grid: candidates.map((c) => ({
      mutations: c.params.mutations,
      focus: c.params.focus,
      l2: c.params.l2,
      epochs: c.params.epochs,
      thresholds: c.thresholds,
      modelPooledF1: c.loso.model.pooledF1,
      ensembleMacroF1: c.loso.ensemble.macroF1,
      ensemblePooledF1: c.loso.ensemble.pooledF1,
      ensembleFprBenignHard: c.loso.ensemble.fprBenignHard,
    })),
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

  const training: ModelHeader['training'] = {
    rows: train.length,
    extraRows: trainingRows(chosen.params).length - pool.length,
    mutations: chosen.params.mutations,
    focus: chosen.params.focus,
    seed: SEED,
    epochs: chosen.params.epochs,
    lr: chosen.params.lr,
    l2: chosen.params.l2,
    balance: chosen.params.balance,
    hardFprBudget: HARD_FPR_BUDGET,
  }
  // Only when rows were added, so that the shipped model's header (and bytes) stay as they were.
  if (added.length > 0) training.addedRows = added.length
  const header: ModelHeader = { format: 2, bits: BITS, scale, bias: final.bias, heuristic: final.dense, calibration: cal, thresholds, training }
  log(`trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  return { header, weights: q, bytes: encodeWeights(header, q), metrics }
}
