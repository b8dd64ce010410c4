/**
 * Gradient-boosted trees on binned tabular columns (histogram boosting, as LightGBM and
 * scikit-learn's HistGradientBoosting do): numbers cut into up to 32 quantile bins, categories one
 * bin each (the 31 most frequent; the rest share one), missing values their own bin. Trees are grown
 * depth-first to `depth` levels with the second-order gain; a numeric node splits on bin ≤ t, a
 * categorical one on bin = c. Softmax loss, one tree per class and round (one tree for two classes).
 *
 * Why here: a linear model cannot follow the local structure of a table (a pocket of red wines
 * inside the white ones), and confident learning is only as good as the probabilities it is given.
 */
import { rng } from './sparse.js'
import type { Column } from './table.js'

export const MAX_BINS = 32
/** Bin of a missing cell (numeric and categorical alike). */
const MISSING = 0

export interface BinnedTable {
  rows: number
  features: number
  /** rows × features, row-major: bin per cell, 0 = missing. */
  bins: Uint8Array
  /** Per feature: categorical (split on equality) or ordered (split on ≤). */
  categorical: boolean[]
  /** Per feature: bins used (1 + values). */
  binCount: number[]
  /** Per column, per value code: its bin (for re-binning a row with another value). */
  valueBins: Uint8Array[]
}

/** Bins the feature columns of a dataset. */
export function binColumns(columns: Column[], rows: number): BinnedTable {
  const F = columns.length
  const bins = new Uint8Array(rows * F)
  const categorical: boolean[] = []
  const binCount: number[] = []
  const valueBins: Uint8Array[] = []
  columns.forEach((col, f) => {
    const perValue = new Uint8Array(col.values.length)
    if (col.kind === 'numeric') {
      const order = Array.from(col.values.keys())
        .filter((v) => !Number.isNaN(col.numbers[v]))
        .sort((a, b) => (col.numbers[a] as number) - (col.numbers[b] as number))
      let total = 0
      for (const v of order) total += col.counts[v] as number
      // Walk the values in order, opening a new bin each time a quantile step is passed.
      let acc = 0
      let bin = 1
      let opened = 0
      for (const v of order) {
        if (acc >= (bin * total) / (MAX_BINS - 1) && bin < MAX_BINS - 1 && opened > 0) {
          bin++
          opened = 0
        }
        perValue[v] = bin
        opened++
        acc += col.counts[v] as number
      }
      for (let v = 0; v < col.values.length; v++) if (Number.isNaN(col.numbers[v])) perValue[v] = MISSING
      categorical.push(false)
      binCount.push(bin + 1)
    } else {
      const order = Array.from(col.values.keys()).sort((a, b) => (col.counts[b] as number) - (col.counts[a] as number))
      order.forEach((v, rank) => (perValue[v] = Math.min(rank + 1, MAX_BINS - 1)))
      categorical.push(true)
      binCount.push(Math.min(order.length + 1, MAX_BINS))
    }
    valueBins.push(perValue)
    for (let i = 0; i < rows; i++) {
      const code = col.codes[i] as number
      bins[i * F + f] = code < 0 ? MISSING : (perValue[code] as number)
    }
  })
  return { rows, features: F, bins, categorical, binCount, valueBins }
}

interface Tree {
  /** Per node: feature (-1 leaf), split bin, children, leaf value. */
  feature: number[]
  bin: number[]
  categorical: boolean[]
  left: number[]
  right: number[]
  value: number[]
}

export interface BoostedModel {
  classes: number
  /** trees[round][k] (k = 0 only for two classes). */
  trees: Tree[][]
  base: Float64Array
  learningRate: number
}

export interface BoostOptions {
  rounds?: number
  depth?: number
  learningRate?: number
  /** Smallest hessian sum in a leaf. */
  minChildWeight?: number
  /** L2 on leaf values. */
  lambda?: number
  /** Fraction of features tried per tree. */
  featureFraction?: number
  seed?: number
}

function leafIndex(tree: Tree, bins: Uint8Array, offset: number): number {
  let node = 0
  while ((tree.feature[node] as number) >= 0) {
    const b = bins[offset + (tree.feature[node] as number)] as number
    const goLeft = tree.categorical[node] ? b === tree.bin[node] : b <= (tree.bin[node] as number)
    node = goLeft ? (tree.left[node] as number) : (tree.right[node] as number)
  }
  return node
}

/** Raw scores of one row (bins of that row at `offset` in `bins`). */
function scores(model: BoostedModel, bins: Uint8Array, offset: number, out: Float64Array): void {
  const K = model.classes
  const T = K === 2 ? 1 : K
  const z = new Float64Array(T)
  for (let k = 0; k < T; k++) z[k] = model.base[k] as number
  for (const round of model.trees) for (let k = 0; k < T; k++) z[k] = (z[k] as number) + ((round[k] as Tree).value[leafIndex(round[k] as Tree, bins, offset)] as number)
  if (K === 2) {
    const p = 1 / (1 + Math.exp(-(z[0] as number)))
    out[0] = 1 - p
    out[1] = p
    return
  }
  let max = -Infinity
  for (let k = 0; k < K; k++) if ((z[k] as number) > max) max = z[k] as number
  let sum = 0
  for (let k = 0; k < K; k++) {
    out[k] = Math.exp((z[k] as number) - max)
    sum += out[k] as number
  }
  for (let k = 0; k < K; k++) out[k] = (out[k] as number) / sum
}

/** Class probabilities of row i of a binned table. */
export function predictBoosted(model: BoostedModel, table: BinnedTable, i: number, out: Float64Array): void {
  scores(model, table.bins, i * table.features, out)
}

/** Class probabilities of a row given as its bins. */
export function predictBoostedBins(model: BoostedModel, rowBins: Uint8Array, out: Float64Array): void {
  scores(model, rowBins, 0, out)
}

interface GrowContext {
  table: BinnedTable
  train: Int32Array
  g: Float64Array
  h: Float64Array
  features: Int32Array
  maxBins: number
  depth: number
  minChild: number
  lambda: number
  lr: number
  tree: Tree
}

/** Gradient and hessian sums per (feature, bin), interleaved, over the rows `idx`. */
function histogram(c: GrowContext, idx: Int32Array): Float64Array {
  const { table, train, g, h, features, maxBins } = c
  const F = table.features
  const bins = table.bins
  const hist = new Float64Array(2 * F * maxBins)
  const nf = features.length
  for (let q = 0; q < idx.length; q++) {
    const t = idx[q] as number
    const off = (train[t] as number) * F
    const gt = g[t] as number
    const ht = h[t] as number
    for (let k = 0; k < nf; k++) {
      const f = features[k] as number
      const b = 2 * (f * maxBins + (bins[off + f] as number))
      hist[b] = (hist[b] as number) + gt
      hist[b + 1] = (hist[b + 1] as number) + ht
    }
  }
  return hist
}

function grow(c: GrowContext, idx: Int32Array, level: number, hist: Float64Array | undefined): number {
  const { table, train, g, h, features, maxBins, depth, minChild, lambda, lr, tree } = c
  const F = table.features
  const node = tree.feature.length
  tree.feature.push(-1)
  tree.bin.push(0)
  tree.categorical.push(false)
  tree.left.push(-1)
  tree.right.push(-1)
  let G = 0
  let H = 0
  for (let q = 0; q < idx.length; q++) {
    G += g[idx[q] as number] as number
    H += h[idx[q] as number] as number
  }
  tree.value.push((-G / (H + lambda)) * lr)
  if (level >= depth || H < 2 * minChild) return node
  const own = hist ?? histogram(c, idx)
  const parent = (G * G) / (H + lambda)
  let bestGain = 1e-9
  let bestF = -1
  let bestBin = 0
  for (let k = 0; k < features.length; k++) {
    const f = features[k] as number
    const nb = table.binCount[f] as number
    const cat = table.categorical[f] as boolean
    let gl = 0
    let hl = 0
    for (let b = 0; b < nb - (cat ? 0 : 1); b++) {
      const bg = own[2 * (f * maxBins + b)] as number
      const bh = own[2 * (f * maxBins + b) + 1] as number
      if (cat) {
        gl = bg
        hl = bh
      } else {
        gl += bg
        hl += bh
      }
      const gr = G - gl
      const hr = H - hl
      if (hl < minChild || hr < minChild) continue
      const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent
      if (gain > bestGain) {
        bestGain = gain
        bestF = f
        bestBin = b
      }
    }
  }
  if (bestF < 0) return node
  const cat = table.categorical[bestF] as boolean
  let nLeft = 0
  for (let q = 0; q < idx.length; q++) {
    const b = table.bins[(train[idx[q] as number] as number) * F + bestF] as number
    if (cat ? b === bestBin : b <= bestBin) nLeft++
  }
  const left = new Int32Array(nLeft)
  const right = new Int32Array(idx.length - nLeft)
  let li = 0
  let ri = 0
  for (let q = 0; q < idx.length; q++) {
    const t = idx[q] as number
    const b = table.bins[(train[t] as number) * F + bestF] as number
    if (cat ? b === bestBin : b <= bestBin) left[li++] = t
    else right[ri++] = t
  }
  tree.feature[node] = bestF
  tree.bin[node] = bestBin
  tree.categorical[node] = cat
  // Histogram subtraction: scan the smaller child only; the larger one is the parent minus it.
  let leftHist: Float64Array | undefined
  let rightHist: Float64Array | undefined
  if (level + 1 < depth) {
    const small = histogram(c, left.length <= right.length ? left : right)
    const large = new Float64Array(own.length)
    for (let k = 0; k < own.length; k++) large[k] = (own[k] as number) - (small[k] as number)
    if (left.length <= right.length) [leftHist, rightHist] = [small, large]
    else [leftHist, rightHist] = [large, small]
  }
  tree.left[node] = grow(c, left, level + 1, leftHist)
  tree.right[node] = grow(c, right, level + 1, rightHist)
  return node
}

export function trainBoosted(table: BinnedTable, y: Int32Array, train: Int32Array, classes: number, options: BoostOptions = {}): BoostedModel {
  const K = classes
  const T = K === 2 ? 1 : K
  const F = table.features
  const rounds = options.rounds ?? 100
  const depth = options.depth ?? 4
  const lr = options.learningRate ?? 0.1
  const minChild = options.minChildWeight ?? 5
  const lambda = options.lambda ?? 1
  const random = rng(options.seed ?? 7)
  const m = train.length
  const counts = new Float64Array(K).fill(1)
  for (const i of train) counts[y[i] as number] = (counts[y[i] as number] as number) + 1
  const base = new Float64Array(T)
  if (K === 2) base[0] = Math.log((counts[1] as number) / (counts[0] as number))
  else for (let k = 0; k < K; k++) base[k] = Math.log((counts[k] as number) / (m + K))
  const z = new Float64Array(m * T)
  for (let t = 0; t < m; t++) for (let k = 0; k < T; k++) z[t * T + k] = base[k] as number
  const g = new Float64Array(m)
  const h = new Float64Array(m)
  const p = new Float64Array(K)
  const model: BoostedModel = { classes: K, trees: [], base, learningRate: lr }
  const maxBins = Math.max(...table.binCount, 2)
  const probs = new Float64Array(m * K)
  for (let round = 0; round < rounds; round++) {
    // Probabilities of every training row under the current model.
    for (let t = 0; t < m; t++) {
      if (K === 2) {
        const q = 1 / (1 + Math.exp(-(z[t] as number)))
        probs[t * 2] = 1 - q
        probs[t * 2 + 1] = q
        continue
      }
      let max = -Infinity
      for (let k = 0; k < K; k++) if ((z[t * K + k] as number) > max) max = z[t * K + k] as number
      let sum = 0
      for (let k = 0; k < K; k++) {
        p[k] = Math.exp((z[t * K + k] as number) - max)
        sum += p[k] as number
      }
      for (let k = 0; k < K; k++) probs[t * K + k] = (p[k] as number) / sum
    }
    const roundTrees: Tree[] = []
    const features = Array.from({ length: F }, (_, f) => f).filter(() => random() < (options.featureFraction ?? 1))
    if (features.length === 0) features.push(Math.floor(random() * F))
    for (let k = 0; k < T; k++) {
      const cls = K === 2 ? 1 : k
      for (let t = 0; t < m; t++) {
        const q = probs[t * K + cls] as number
        g[t] = q - (y[train[t] as number] === cls ? 1 : 0)
        h[t] = Math.max(q * (1 - q), 1e-6)
      }
      const tree: Tree = { feature: [], bin: [], categorical: [], left: [], right: [], value: [] }
      const ctx: GrowContext = { table, train, g, h, features: Int32Array.from(features), maxBins, depth, minChild, lambda, lr, tree }
      grow(ctx, Int32Array.from({ length: m }, (_, t) => t), 0, undefined)
      roundTrees.push(tree)
      for (let t = 0; t < m; t++) z[t * T + k] = (z[t * T + k] as number) + (tree.value[leafIndex(tree, table.bins, (train[t] as number) * F)] as number)
    }
    model.trees.push(roundTrees)
  }
  return model
}
