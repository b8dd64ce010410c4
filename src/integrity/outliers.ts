/**
 * Outliers: rows far from the rest of their class. An isolation forest per class (Liu, Ting & Zhou
 * 2008: anomalies are isolated by fewer random splits) gives the score; the columns that make a
 * row odd are named by how far each value sits from its class — robust z-score (median and MAD)
 * for numbers, share of the class for categories.
 */
import { rng } from './sparse.js'
import type { Column, Dataset } from './table.js'
import { tokenize } from './text-features.js'

export interface Outlier {
  row: number
  /** Isolation-forest anomaly score, 0..1 (0.5 is ordinary; near 1 is isolated at once). */
  score: number
  /** Columns that make the row odd, oddest first. */
  columns: string[]
  /** Per column: the value and how odd it is (robust z-score, or share of the class). */
  evidence: { column: string; value: string; z?: number; share?: number }[]
}

export interface OutlierOptions {
  /** Smallest score reported (default 0.6). */
  threshold?: number
  /** Most rows reported (default 1 % of rows, at least 10). */
  maxOutliers?: number
  trees?: number
  seed?: number
}

/** A numeric view of the rows: one column per feature, NaN when missing. */
export interface OutlierView {
  names: string[]
  /** rows × names.length, row-major. */
  data: Float64Array
  /** Per feature: the displayed value of a row. */
  display: (row: number, feature: number) => string
  /** Per categorical feature: the value code of each row (-1 missing); odd by rarity, not distance. */
  codes: (Int32Array | undefined)[]
}

const SAMPLE = 256

/** c(n): average path length of an unsuccessful search in a binary search tree of n nodes. */
function averagePath(n: number): number {
  if (n <= 1) return 0
  if (n === 2) return 1
  return 2 * (Math.log(n - 1) + 0.5772156649) - (2 * (n - 1)) / n
}

interface Tree {
  feature: Int32Array
  split: Float64Array
  left: Int32Array
  right: Int32Array
  /** Leaf size (for the c(n) correction); -1 on inner nodes. */
  size: Int32Array
}

function buildTree(data: Float64Array, d: number, sample: number[], random: () => number, maxDepth: number): Tree {
  const feature: number[] = []
  const split: number[] = []
  const left: number[] = []
  const right: number[] = []
  const size: number[] = []
  const grow = (rows: number[], depth: number): number => {
    const id = feature.length
    feature.push(-1)
    split.push(0)
    left.push(-1)
    right.push(-1)
    size.push(rows.length)
    if (depth >= maxDepth || rows.length <= 1) return id
    // Try a few features: one with a spread among these rows is needed to split.
    for (let attempt = 0; attempt < 2 * d; attempt++) {
      const f = Math.floor(random() * d)
      let lo = Infinity
      let hi = -Infinity
      for (const r of rows) {
        const v = data[r * d + f] as number
        if (Number.isNaN(v)) continue
        if (v < lo) lo = v
        if (v > hi) hi = v
      }
      if (!(hi > lo)) continue
      const s = lo + random() * (hi - lo)
      const l: number[] = []
      const rr: number[] = []
      // Missing values go right with the larger values: they are isolated when rare.
      for (const r of rows) {
        const v = data[r * d + f] as number
        if (!Number.isNaN(v) && v < s) l.push(r)
        else rr.push(r)
      }
      feature[id] = f
      split[id] = s
      size[id] = -1
      left[id] = grow(l, depth + 1)
      right[id] = grow(rr, depth + 1)
      return id
    }
    return id
  }
  grow(sample, 0)
  return { feature: Int32Array.from(feature), split: Float64Array.from(split), left: Int32Array.from(left), right: Int32Array.from(right), size: Int32Array.from(size) }
}

function pathLength(tree: Tree, data: Float64Array, d: number, row: number): number {
  let node = 0
  let depth = 0
  while ((tree.size[node] as number) < 0) {
    const v = data[row * d + (tree.feature[node] as number)] as number
    node = !Number.isNaN(v) && v < (tree.split[node] as number) ? (tree.left[node] as number) : (tree.right[node] as number)
    depth++
  }
  return depth + averagePath(tree.size[node] as number)
}

/** Isolation-forest scores of `rows`, the forest grown on those same rows. */
export function isolationScores(data: Float64Array, d: number, rows: readonly number[], options: { trees?: number; seed?: number } = {}): Float64Array {
  const random = rng(options.seed ?? 0)
  const psi = Math.min(SAMPLE, rows.length)
  const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)))
  const trees: Tree[] = []
  for (let t = 0; t < (options.trees ?? 100); t++) {
    const pool = [...rows]
    for (let i = 0; i < psi; i++) {
      const j = i + Math.floor(random() * (pool.length - i))
      ;[pool[i], pool[j]] = [pool[j] as number, pool[i] as number]
    }
    trees.push(buildTree(data, d, pool.slice(0, psi), random, maxDepth))
  }
  const c = averagePath(psi)
  const scores = new Float64Array(rows.length)
  rows.forEach((r, k) => {
    let total = 0
    for (const tree of trees) total += pathLength(tree, data, d, r)
    scores[k] = c > 0 ? 2 ** (-(total / trees.length) / c) : 0.5
  })
  return scores
}

/**
 * Tabular view: numeric columns as numbers; a category as the share of rows holding it, so a rare
 * value sits at one end of the range where random splits cut it off early.
 */
export function tabularView(columns: Column[], rows: number): OutlierView {
  const d = columns.length
  const data = new Float64Array(rows * d)
  columns.forEach((col, f) => {
    for (let i = 0; i < rows; i++) {
      const code = col.codes[i] as number
      data[i * d + f] = code < 0 ? Number.NaN : col.kind === 'numeric' ? (col.numbers[code] as number) : (col.counts[code] as number) / rows
    }
  })
  return {
    names: columns.map((c) => c.name),
    data,
    codes: columns.map((c) => (c.kind === 'numeric' ? undefined : c.codes)),
    display: (row, f) => {
      const col = columns[f] as Column
      const code = col.codes[row] as number
      return code < 0 ? '(missing)' : (col.values[code] as string)
    },
  }
}

/** Text view: the shape of each text (length, character mix, rare words). */
export function textView(texts: readonly string[], tokens: readonly Int32Array[], tokenDf: Int32Array): OutlierView {
  const names = ['text.chars', 'text.words', 'text.letters', 'text.digits', 'text.uppercase', 'text.non_ascii', 'text.word_length', 'text.rare_words']
  const d = names.length
  const data = new Float64Array(texts.length * d)
  texts.forEach((t, i) => {
    let letters = 0
    let digits = 0
    let upper = 0
    let nonAscii = 0
    for (let k = 0; k < t.length; k++) {
      const c = t.charCodeAt(k)
      // ASCII by code range (most text); the rest through Unicode classes.
      if (c < 128) {
        if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
          letters++
          if (c <= 90) upper++
        } else if (c >= 48 && c <= 57) digits++
        continue
      }
      nonAscii++
      const ch = t[k] as string
      if (/\p{L}/u.test(ch)) {
        letters++
        if (ch !== ch.toLowerCase()) upper++
      } else if (/\p{N}/u.test(ch)) digits++
    }
    const ids = tokens[i] as Int32Array
    const words = tokenize(t)
    let rare = 0
    for (const id of ids) if ((tokenDf[id] as number) <= 1) rare++
    const len = Math.max(1, t.length)
    const row = [Math.log1p(t.length), Math.log1p(ids.length), letters / len, digits / len, letters > 0 ? upper / letters : 0, nonAscii / len, words.length > 0 ? words.join('').length / words.length : 0, ids.length > 0 ? rare / ids.length : 0]
    row.forEach((v, f) => (data[i * d + f] = v))
  })
  return {
    names,
    data,
    codes: names.map(() => undefined),
    display: (row, f) => {
      const v = data[row * d + f] as number
      return f <= 1 ? String(Math.round(Math.expm1(v))) : v.toFixed(3)
    },
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length === 0 ? Number.NaN : s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

/** Flags rows whose class forest isolates them quickly, and names the columns to blame. */
export function findOutliers(view: OutlierView, ds: Pick<Dataset, 'rows' | 'y'>, options: OutlierOptions = {}): Outlier[] {
  const d = view.names.length
  const n = ds.rows
  if (d === 0 || n < 20) return []
  const threshold = options.threshold ?? 0.6
  const maxOutliers = options.maxOutliers ?? Math.max(10, Math.ceil(0.01 * n))
  // Rows without a label form their own group; a class too small for a forest joins the whole set.
  const groups = new Map<number, number[]>()
  for (let i = 0; i < n; i++) {
    const g = ds.y[i] as number
    const list = groups.get(g)
    if (list) list.push(i)
    else groups.set(g, [i])
  }
  const all = Array.from({ length: n }, (_, i) => i)
  const scores = new Float64Array(n)
  const groupOf = new Int32Array(n)
  let seed = options.seed ?? 0
  // Classes too small for a forest of their own share one forest grown on every row.
  let whole: Float64Array | undefined
  for (const [g, rows] of groups) {
    if (rows.length >= 50) {
      const s = isolationScores(view.data, d, rows, { trees: options.trees, seed: seed++ })
      rows.forEach((r, k) => (scores[r] = s[k] as number))
    } else {
      whole ??= isolationScores(view.data, d, all, { trees: options.trees, seed: options.seed ?? 0 })
      for (const r of rows) scores[r] = whole[r] as number
    }
    for (const r of rows) groupOf[r] = g
  }
  const flagged = all
    .filter((i) => (scores[i] as number) >= threshold)
    .sort((a, b) => (scores[b] as number) - (scores[a] as number))
    .slice(0, maxOutliers)
  // Per class and feature: median and MAD (numeric), value shares (categorical).
  const stats = new Map<number, { median: number[]; mad: number[]; shares: Map<number, number>[]; size: number }>()
  const statsFor = (g: number) => {
    let s = stats.get(g)
    if (s) return s
    const rows = groups.get(g) as number[]
    const med: number[] = []
    const mad: number[] = []
    const shares: Map<number, number>[] = []
    for (let f = 0; f < d; f++) {
      const xs = rows.map((r) => view.data[r * d + f] as number).filter((v) => !Number.isNaN(v))
      const m = median(xs)
      med.push(m)
      let spread = 1.4826 * median(xs.map((v) => Math.abs(v - m)))
      if (!(spread > 0)) {
        const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
        spread = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length))
      }
      mad.push(spread > 0 ? spread : Number.NaN)
      const counts = new Map<number, number>()
      const codes = view.codes[f]
      if (codes) for (const r of rows) counts.set(codes[r] as number, (counts.get(codes[r] as number) ?? 0) + 1)
      shares.push(counts)
    }
    s = { median: med, mad, shares, size: rows.length }
    stats.set(g, s)
    return s
  }
  return flagged.map((row) => {
    const s = statsFor(groupOf[row] as number)
    const odd: { column: string; value: string; z?: number; share?: number; oddness: number }[] = []
    for (let f = 0; f < d; f++) {
      const v = view.data[row * d + f] as number
      const column = view.names[f] as string
      if (Number.isNaN(v)) continue
      const codes = view.codes[f]
      if (codes) {
        const share = ((s.shares[f] as Map<number, number>).get(codes[row] as number) ?? 0) / s.size
        if (share <= 0.01) odd.push({ column, value: view.display(row, f), share: Number(share.toFixed(4)), oddness: 4 + Math.log10(1 / Math.max(share, 1e-6)) })
      } else {
        const mad = s.mad[f] as number
        if (Number.isNaN(mad)) continue
        const z = (v - (s.median[f] as number)) / mad
        if (Math.abs(z) >= 3.5) odd.push({ column, value: view.display(row, f), z: Number(z.toFixed(2)), oddness: Math.abs(z) })
      }
    }
    odd.sort((a, b) => b.oddness - a.oddness)
    const evidence = odd.slice(0, 5).map(({ oddness: _o, ...e }) => e)
    return { row, score: Number((scores[row] as number).toFixed(4)), columns: evidence.map((e) => e.column), evidence }
  })
}
