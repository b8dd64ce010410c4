/**
 * The nearest-neighbour view of a dataset: for every row, the rows most like it (Euclidean on the
 * standardized numbers plus category mismatches for tables, cosine on TF-IDF for text), and from
 * them a vote over the labels.
 *
 * Why a second view beside the models: a model summarizes the data into weights, so a tight pocket
 * of one class inside another (red wines among the white ones), or a region whose labels were moved
 * wholesale, is followed only as far as the model's form allows. Neighbours follow it exactly. The
 * vote is out of sample by construction (a row is never its own neighbour), so confident learning
 * can average it with the cross-validated probabilities.
 *
 * Cost: neighbours are searched among a fixed, seeded sample of at most `reference` rows (6,000 by
 * default), so the search is O(rows × reference) — linear in the file — instead of O(rows²).
 */
import { rng, shuffle, type Csr } from './sparse.js'
import type { TabularEncoding } from './tabular-features.js'

export interface Neighbours {
  rows: number
  /** Neighbours kept per row (best first; -1 where fewer exist). */
  kept: number
  /** rows × kept, row-major. */
  index: Int32Array
}

export interface NeighbourOptions {
  /** Neighbours kept per row (default 20: room for votes that leave some rows out). */
  kept?: number
  /** Largest number of rows searched as neighbours (default 6,000). */
  reference?: number
  seed?: number
}

const DEFAULT_KEPT = 20
const DEFAULT_REFERENCE = 6000

/** A seeded sample of the rows (all of them when there are few), ascending. */
function referenceRows(rows: number, size: number, seed: number): Int32Array {
  if (rows <= size) return Int32Array.from({ length: rows }, (_, i) => i)
  const all = Int32Array.from({ length: rows }, (_, i) => i)
  shuffle(all, rng(seed ^ 0x5eed))
  return all.subarray(0, size).sort()
}

/** Keeps the `kept` most similar candidates of each row, best first. */
class TopK {
  readonly index: Int32Array
  private readonly sim: Float64Array
  constructor(
    rows: number,
    private readonly kept: number,
  ) {
    this.index = new Int32Array(rows * kept).fill(-1)
    this.sim = new Float64Array(rows * kept).fill(-Infinity)
  }

  offer(i: number, j: number, s: number): void {
    const base = i * this.kept
    const sim = this.sim
    if (s <= (sim[base + this.kept - 1] as number)) return
    let p = this.kept - 1
    while (p > 0 && (sim[base + p - 1] as number) < s) {
      sim[base + p] = sim[base + p - 1] as number
      this.index[base + p] = this.index[base + p - 1] as number
      p--
    }
    sim[base + p] = s
    this.index[base + p] = j
  }
}

/**
 * Tables: each numeric column as the logistic model sees it (standardized, log1p first when skewed,
 * clipped at ±5 SD; missing = the mean), and 2 per categorical column whose values differ — what the
 * squared distance between their one-hot codes would add.
 */
export function tabularNeighbours(enc: TabularEncoding, options: NeighbourOptions = {}): Neighbours {
  const kept = options.kept ?? DEFAULT_KEPT
  const cols = enc.columns
  const n = enc.X.rows
  const d = cols.length
  const numeric = cols.map((c) => c.kind === 'numeric')
  const data = new Float64Array(n * d)
  cols.forEach((col, ci) => {
    const perValue = enc.valueFeatures[ci] as { value: number }[][]
    for (let i = 0; i < n; i++) {
      const code = col.codes[i] as number
      // Numbers: the first feature of a value is its z-score ("not a number" cells have only an
      // indicator, read as the mean). Categories: the code itself, compared for equality.
      if (numeric[ci]) data[i * d + ci] = code < 0 || (perValue[code] as { value: number }[]).length < 2 ? 0 : ((perValue[code] as { value: number }[])[0]?.value ?? 0)
      else data[i * d + ci] = code
    }
  })
  const ref = referenceRows(n, options.reference ?? DEFAULT_REFERENCE, options.seed ?? 0)
  const top = new TopK(n, kept)
  for (let i = 0; i < n; i++) {
    const a = i * d
    for (let q = 0; q < ref.length; q++) {
      const j = ref[q] as number
      if (j === i) continue
      const b = j * d
      let dist = 0
      for (let c = 0; c < d; c++) {
        const u = data[a + c] as number
        const v = data[b + c] as number
        if (numeric[c]) dist += (u - v) * (u - v)
        else if (u !== v) dist += 2
      }
      top.offer(i, j, -dist)
    }
  }
  return { rows: n, kept, index: top.index }
}

/**
 * Text: cosine similarity of the L2-normalized TF-IDF rows, through an inverted index of the
 * reference rows. Terms in more than a tenth of the reference rows are left out of the index: their
 * IDF weight is small, and their posting lists would make the search quadratic.
 */
export function textNeighbours(X: Csr, options: NeighbourOptions = {}): Neighbours {
  const kept = options.kept ?? DEFAULT_KEPT
  const n = X.rows
  const ref = referenceRows(n, options.reference ?? DEFAULT_REFERENCE, options.seed ?? 0)
  const df = new Int32Array(X.dims)
  for (const i of ref) for (let p = X.indptr[i] as number; p < (X.indptr[i + 1] as number); p++) df[X.indices[p] as number] = (df[X.indices[p] as number] as number) + 1
  const maxDf = Math.max(2, Math.floor(ref.length / 10))
  // Postings as one flat array per term range (CSR of the transposed reference).
  const start = new Int32Array(X.dims + 1)
  for (let f = 0; f < X.dims; f++) start[f + 1] = (start[f] as number) + ((df[f] as number) <= maxDf ? (df[f] as number) : 0)
  const postRow = new Int32Array(start[X.dims] as number)
  const postVal = new Float32Array(start[X.dims] as number)
  const fill = start.slice(0, X.dims)
  for (const i of ref)
    for (let p = X.indptr[i] as number; p < (X.indptr[i + 1] as number); p++) {
      const f = X.indices[p] as number
      if ((df[f] as number) > maxDf) continue
      const at = fill[f] as number
      postRow[at] = i
      postVal[at] = X.values[p] as number
      fill[f] = at + 1
    }
  const acc = new Float64Array(n)
  const touched: number[] = []
  const top = new TopK(n, kept)
  for (let i = 0; i < n; i++) {
    for (let p = X.indptr[i] as number; p < (X.indptr[i + 1] as number); p++) {
      const f = X.indices[p] as number
      const v = X.values[p] as number
      for (let q = start[f] as number; q < (start[f + 1] as number); q++) {
        const j = postRow[q] as number
        if (j === i) continue
        if (acc[j] === 0) touched.push(j)
        acc[j] = (acc[j] as number) + v * (postVal[q] as number)
      }
    }
    for (const j of touched) {
      top.offer(i, j, acc[j] as number)
      acc[j] = 0
    }
    touched.length = 0
  }
  return { rows: n, kept, index: top.index }
}

/**
 * Per row, the label distribution of its `k` nearest labelled neighbours outside `exclude`,
 * smoothed towards the class shares by one pseudo-vote: (votes_c + share_c) / (votes + 1). A row
 * with no usable neighbour gets the class shares. rows × classes, row-major.
 */
export function neighbourVotes(nb: Neighbours, y: Int32Array, classes: number, options: { k?: number; exclude?: ReadonlySet<number> } = {}): Float64Array {
  const k = options.k ?? 10
  const K = classes
  const share = new Float64Array(K)
  let labelled = 0
  for (const v of y)
    if (v >= 0) {
      share[v] = (share[v] as number) + 1
      labelled++
    }
  for (let c = 0; c < K; c++) share[c] = labelled > 0 ? (share[c] as number) / labelled : 1 / K
  const out = new Float64Array(nb.rows * K)
  for (let i = 0; i < nb.rows; i++) {
    let used = 0
    const base = i * K
    for (let q = 0; q < nb.kept && used < k; q++) {
      const j = nb.index[i * nb.kept + q] as number
      if (j < 0) break
      const yj = y[j] as number
      if (yj < 0 || options.exclude?.has(j) === true) continue
      out[base + yj] = (out[base + yj] as number) + 1
      used++
    }
    for (let c = 0; c < K; c++) out[base + c] = ((out[base + c] as number) + (share[c] as number)) / (used + 1)
  }
  return out
}
