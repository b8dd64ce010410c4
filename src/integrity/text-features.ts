/**
 * Text rows as model features: lower-cased word unigrams and bigrams, hashed into 2^18 buckets,
 * weighted by sublinear TF × smoothed IDF and L2-normalized. Buckets seen in fewer than two rows are
 * dropped (they cannot generalize to another fold). Rows keep their token ids, so a row can be
 * re-encoded without a token (the trigger search asks "what would the model say without it?").
 */
import { CsrBuilder, type Csr } from './sparse.js'

const HASH_BITS = 18
const MIN_DF = 2
const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu

/** Lower-cased word tokens. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? []
}

/** FNV-1a over UTF-16 code units, 32-bit. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

export interface TextEncoding {
  X: Csr
  /** Per row: token ids. */
  tokens: Int32Array[]
  vocab: string[]
  /** Token id → rows containing it. */
  tokenDf: Int32Array
  /** Encodes a token sequence the way rows were encoded (unknown buckets are left out). */
  encode(ids: ArrayLike<number>): { indices: Int32Array; values: Float32Array }
}

export function encodeTexts(texts: readonly string[]): TextEncoding {
  const vocabIndex = new Map<string, number>()
  const vocab: string[] = []
  const tokenHash: number[] = []
  const tokens: Int32Array[] = texts.map((t) => {
    const words = tokenize(t)
    const ids = new Int32Array(words.length)
    words.forEach((w, k) => {
      let id = vocabIndex.get(w)
      if (id === undefined) {
        id = vocab.length
        vocabIndex.set(w, id)
        vocab.push(w)
        tokenHash.push(hashString(w))
      }
      ids[k] = id
    })
    return ids
  })
  const D = 1 << HASH_BITS
  const mask = D - 1
  const buckets = (ids: ArrayLike<number>): number[] => {
    const out: number[] = []
    for (let k = 0; k < ids.length; k++) {
      const h = tokenHash[ids[k] as number] as number
      out.push(h & mask)
      if (k > 0) out.push(mix(tokenHash[ids[k - 1] as number] as number, h) & mask)
    }
    return out.sort((a, b) => a - b)
  }
  const df = new Int32Array(D)
  const tokenDf = new Int32Array(vocab.length)
  const rowBuckets = tokens.map((ids) => {
    const b = buckets(ids)
    for (let k = 0; k < b.length; k++) if (k === 0 || b[k] !== b[k - 1]) df[b[k] as number] = (df[b[k] as number] as number) + 1
    const seen = new Set<number>()
    for (let k = 0; k < ids.length; k++) seen.add(ids[k] as number)
    for (const id of seen) tokenDf[id] = (tokenDf[id] as number) + 1
    return b
  })
  const compact = new Int32Array(D).fill(-1)
  let dims = 0
  for (let b = 0; b < D; b++) if ((df[b] as number) >= MIN_DF) compact[b] = dims++
  const n = texts.length
  const idf = (b: number) => Math.log((1 + n) / (1 + (df[b] as number))) + 1
  const weigh = (sorted: number[]): { indices: Int32Array; values: Float32Array } => {
    const idx: number[] = []
    const val: number[] = []
    for (let k = 0; k < sorted.length; ) {
      const b = sorted[k] as number
      let tf = 0
      while (k < sorted.length && sorted[k] === b) {
        tf++
        k++
      }
      const c = compact[b] as number
      if (c < 0) continue
      idx.push(c)
      val.push((1 + Math.log(tf)) * idf(b))
    }
    let norm = 0
    for (const v of val) norm += v * v
    norm = Math.sqrt(norm) || 1
    return { indices: Int32Array.from(idx), values: Float32Array.from(val, (v) => v / norm) }
  }
  const builder = new CsrBuilder(dims)
  for (const b of rowBuckets) {
    const { indices, values } = weigh(b)
    for (let k = 0; k < indices.length; k++) builder.add(indices[k] as number, values[k] as number)
    builder.endRow()
  }
  return { X: builder.build(), tokens, vocab, tokenDf, encode: (ids) => weigh(buckets(ids)) }
}
