/**
 * Duplicates and near-duplicates, and whether their labels disagree (the same input taught two
 * answers). Tabular rows are equal when every feature cell is equal (ids and the label aside);
 * texts when equal after lower-casing and collapsing spaces, and near-equal when the Jaccard
 * similarity of their word unigram+bigram sets, estimated by MinHash with LSH banding, reaches the
 * threshold (100 hashes in 20 bands of 5: pairs at 0.8 become candidates with probability > 0.99).
 */
import type { Column } from './table.js'

export interface DuplicateGroup {
  /** 0-based rows, ascending. */
  rows: number[]
  /** The rows carry more than one label. */
  conflicting_labels: boolean
  /** Distinct class indices among the rows. */
  labels: number[]
  kind: 'exact' | 'near'
  /** Lowest estimated Jaccard similarity on the links that joined the group (1 for exact). */
  similarity: number
}

export interface DuplicateOptions {
  /** Near-duplicate Jaccard threshold (default 0.8). */
  threshold?: number
  /** Most groups returned (conflicting ones first, then larger ones; default all). */
  maxGroups?: number
}

const HASHES = 100
const BANDS = 20
const ROWS_PER_BAND = HASHES / BANDS

class UnionFind {
  readonly parent: Int32Array
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i)
  }
  find(x: number): number {
    let r = x
    while (this.parent[r] !== r) r = this.parent[r] as number
    while (this.parent[x] !== r) {
      const next = this.parent[x] as number
      this.parent[x] = r
      x = next
    }
    return r
  }
  union(a: number, b: number): void {
    const ra = this.find(a)
    const rb = this.find(b)
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }
}

function groupsOf(uf: UnionFind, n: number): Map<number, number[]> {
  const groups = new Map<number, number[]>()
  for (let i = 0; i < n; i++) {
    const r = uf.find(i)
    const g = groups.get(r)
    if (g) g.push(i)
    else groups.set(r, [i])
  }
  return groups
}

function describe(rows: number[], y: Int32Array, kind: 'exact' | 'near', similarity: number): DuplicateGroup {
  const labels = [...new Set(rows.map((r) => y[r] as number).filter((v) => v >= 0))].sort((a, b) => a - b)
  return { rows, conflicting_labels: labels.length > 1, labels, kind, similarity: Number(similarity.toFixed(3)) }
}

function rank(groups: DuplicateGroup[], maxGroups: number): DuplicateGroup[] {
  return groups
    .sort((a, b) => Number(b.conflicting_labels) - Number(a.conflicting_labels) || b.rows.length - a.rows.length || (a.rows[0] as number) - (b.rows[0] as number))
    .slice(0, maxGroups)
}

/** Rows equal in every given column. */
export function findTabularDuplicates(columns: Column[], rows: number, y: Int32Array, options: DuplicateOptions = {}): DuplicateGroup[] {
  const seen = new Map<string, number>()
  const uf = new UnionFind(rows)
  for (let i = 0; i < rows; i++) {
    let key = ''
    for (const c of columns) key += `${c.codes[i]},`
    const first = seen.get(key)
    if (first === undefined) seen.set(key, i)
    else uf.union(first, i)
  }
  const out: DuplicateGroup[] = []
  for (const g of groupsOf(uf, rows).values()) if (g.length > 1) out.push(describe(g, y, 'exact', 1))
  return rank(out, options.maxGroups ?? Infinity)
}

function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim()
}

function mix32(x: number, seed: number): number {
  let h = Math.imul(x ^ seed, 0x9e3779b1)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

const SEEDS = Array.from({ length: HASHES }, (_, k) => mix32(k + 1, 0x5bd1e995))

/** Texts equal after normalization, and texts whose word sets nearly coincide. */
export function findTextDuplicates(tokens: readonly Int32Array[], texts: readonly string[], y: Int32Array, options: DuplicateOptions = {}): DuplicateGroup[] {
  const n = texts.length
  const threshold = options.threshold ?? 0.8
  const exact = new UnionFind(n)
  const seen = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const key = normalize(texts[i] as string)
    const first = seen.get(key)
    if (first === undefined) seen.set(key, i)
    else exact.union(first, i)
  }
  // MinHash one representative per exact group; its group follows it.
  const reps: number[] = []
  for (let i = 0; i < n; i++) if (exact.find(i) === i && (tokens[i] as Int32Array).length >= 3) reps.push(i)
  const sig = new Uint32Array(reps.length * HASHES)
  reps.forEach((r, k) => {
    const ids = tokens[r] as Int32Array
    const shingles = new Set<number>()
    for (let t = 0; t < ids.length; t++) {
      shingles.add(mix32(ids[t] as number, 0x1234567))
      if (t > 0) shingles.add(mix32(((ids[t - 1] as number) * 0x01000193) ^ (ids[t] as number), 0x7654321))
    }
    for (let h = 0; h < HASHES; h++) {
      let min = 0xffffffff
      const seed = SEEDS[h] as number
      for (const s of shingles) {
        const v = mix32(s, seed)
        if (v < min) min = v
      }
      sig[k * HASHES + h] = min
    }
  })
  const similarity = (a: number, b: number) => {
    let same = 0
    for (let h = 0; h < HASHES; h++) if (sig[a * HASHES + h] === sig[b * HASHES + h]) same++
    return same / HASHES
  }
  const near = new UnionFind(n)
  for (let i = 0; i < n; i++) near.union(i, exact.find(i))
  const minSim = new Map<number, number>()
  const checked = new Set<number>()
  for (let band = 0; band < BANDS; band++) {
    const buckets = new Map<number, number[]>()
    reps.forEach((_, k) => {
      let h = band
      for (let j = 0; j < ROWS_PER_BAND; j++) h = mix32(sig[k * HASHES + band * ROWS_PER_BAND + j] as number, h)
      const b = buckets.get(h)
      if (b) b.push(k)
      else buckets.set(h, [k])
    })
    for (const bucket of buckets.values()) {
      if (bucket.length < 2) continue
      // A huge bucket is a template repeated many times: link its members to the first one only.
      const pairs: [number, number][] = bucket.length > 64 ? bucket.slice(1).map((k) => [bucket[0] as number, k]) : bucket.flatMap((a, i) => bucket.slice(i + 1).map((b) => [a, b] as [number, number]))
      for (const [a, b] of pairs) {
        const key = a * reps.length + b
        if (checked.has(key)) continue
        checked.add(key)
        const s = similarity(a, b)
        if (s < threshold) continue
        const ra = near.find(reps[a] as number)
        const rb = near.find(reps[b] as number)
        const m = Math.min(s, minSim.get(ra) ?? 1, minSim.get(rb) ?? 1)
        near.union(ra, rb)
        minSim.set(near.find(ra), m)
      }
    }
  }
  const out: DuplicateGroup[] = []
  for (const [root, g] of groupsOf(near, n)) {
    if (g.length < 2) continue
    const allExact = g.every((r) => exact.find(r) === exact.find(g[0] as number))
    out.push(describe(g, y, allExact ? 'exact' : 'near', allExact ? 1 : (minSim.get(root) ?? threshold)))
  }
  return rank(out, options.maxGroups ?? Infinity)
}
