/**
 * Out-of-sample class probabilities by stratified k-fold cross-validation: every row is scored by a
 * model that never saw it, so a wrong label cannot vouch for itself.
 */
import { predictRow, trainSoftmax, type SoftmaxModel } from './logistic.js'
import { predictBoosted, trainBoosted, type BinnedTable, type BoostOptions } from './boosting.js'
import { rng, shuffle, type Csr } from './sparse.js'

export interface OutOfSample {
  /** rows × classes, row-major. */
  probs: Float64Array
  /** Fold of each row (-1 for rows without a label, scored by fold 0's model). */
  fold: Int32Array
  /** models[f] was trained without fold f. */
  models: SoftmaxModel[]
  classes: number
}

export interface CrossValOptions {
  folds?: number
  seed?: number
  l2: number
  maxIterations?: number
  /** Rows kept out of every training set (still scored). */
  exclude?: ReadonlySet<number>
  /** Per fold, a model to start from (one trained on the same fold's complement converges in a few steps). */
  warmStart?: readonly SoftmaxModel[]
  onFold?: (done: number, total: number) => void
}

/** Stratified assignment: each class's rows shuffled and dealt round-robin. */
export function stratifiedFolds(y: Int32Array, classes: number, folds: number, seed: number): Int32Array {
  const fold = new Int32Array(y.length).fill(-1)
  const random = rng(seed)
  let offset = 0
  for (let k = 0; k < classes; k++) {
    const rows: number[] = []
    for (let i = 0; i < y.length; i++) if (y[i] === k) rows.push(i)
    shuffle(rows, random)
    // Continue the deal where the last class stopped, so small classes do not all start at fold 0.
    rows.forEach((i, j) => (fold[i] = (offset + j) % folds))
    offset = (offset + rows.length) % folds
  }
  return fold
}

export function crossValidatedProbabilities(X: Csr, y: Int32Array, classes: number, options: CrossValOptions): OutOfSample {
  const folds = options.folds ?? 5
  const fold = stratifiedFolds(y, classes, folds, options.seed ?? 0)
  const probs = new Float64Array(y.length * classes)
  const models: SoftmaxModel[] = []
  const out = new Float64Array(classes)
  for (let f = 0; f < folds; f++) {
    const train: number[] = []
    for (let i = 0; i < y.length; i++) if (fold[i] !== f && fold[i] !== -1 && options.exclude?.has(i) !== true) train.push(i)
    const init = options.warmStart?.[f]
    const model = trainSoftmax(X, y, Int32Array.from(train), classes, { l2: options.l2, maxIterations: options.maxIterations, ...(init ? { init } : {}) })
    models.push(model)
    for (let i = 0; i < y.length; i++) {
      if (fold[i] !== f && !(f === 0 && fold[i] === -1)) continue
      predictRow(model, X, i, out)
      probs.set(out, i * classes)
    }
    options.onFold?.(f + 1, folds)
  }
  return { probs, fold, models, classes }
}

/** The same k-fold scheme for gradient-boosted trees (same folds for the same seed). */
export function crossValidatedBoosted(table: BinnedTable, y: Int32Array, classes: number, options: Omit<CrossValOptions, 'l2' | 'maxIterations'> & { boost?: BoostOptions }): Float64Array {
  const folds = options.folds ?? 5
  const fold = stratifiedFolds(y, classes, folds, options.seed ?? 0)
  const probs = new Float64Array(y.length * classes)
  const out = new Float64Array(classes)
  for (let f = 0; f < folds; f++) {
    const train: number[] = []
    for (let i = 0; i < y.length; i++) if (fold[i] !== f && fold[i] !== -1 && options.exclude?.has(i) !== true) train.push(i)
    const model = trainBoosted(table, y, Int32Array.from(train), classes, { seed: (options.seed ?? 0) + f, ...options.boost })
    for (let i = 0; i < y.length; i++) {
      if (fold[i] !== f && !(f === 0 && fold[i] === -1)) continue
      predictBoosted(model, table, i, out)
      probs.set(out, i * classes)
    }
    options.onFold?.(f + 1, folds)
  }
  return probs
}
