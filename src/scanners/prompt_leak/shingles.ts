import { englishBackground } from '../denied_topics/background.js'
import { foldForMatching, type NormalizedText } from '../../core/normalize.js'

/** Words as the leak comparison sees them: letters and digits; case, punctuation and spacing dropped. */
const WORD_RE = /[\p{L}\p{N}]+/gu

/** A text cut into lower-case words, with each word's span in a normalized view. */
export interface WordSequence {
  readonly words: readonly string[]
  readonly starts: Int32Array
  readonly ends: Int32Array
}

/** Splits a normalized view into lower-case words (offsets into `view.text`). */
export function toWords(view: NormalizedText): WordSequence {
  const words: string[] = []
  const starts: number[] = []
  const ends: number[] = []
  const text = view.text
  const lower = text.toLowerCase()
  const sameLength = lower.length === text.length
  WORD_RE.lastIndex = 0
  for (let m = WORD_RE.exec(text); m !== null; m = WORD_RE.exec(text)) {
    words.push(sameLength ? lower.slice(m.index, m.index + m[0].length) : m[0].toLowerCase())
    starts.push(m.index)
    ends.push(m.index + m[0].length)
  }
  return { words, starts: Int32Array.from(starts), ends: Int32Array.from(ends) }
}

/** A response as prompt word ids (−1 for words the prompt does not have), with word spans. */
export interface IdSequence {
  readonly length: number
  readonly ids: Int32Array
  readonly starts: Int32Array
  readonly ends: Int32Array
}

/** Maps the words of a normalized view to the prompt's word ids, without keeping the words. */
export function toPromptIds(view: NormalizedText, vocab: ReadonlyMap<string, number>): IdSequence {
  const text = view.text
  const lower = text.toLowerCase()
  const sameLength = lower.length === text.length
  let cap = Math.max(16, text.length >> 2)
  let ids = new Int32Array(cap)
  let starts = new Int32Array(cap)
  let ends = new Int32Array(cap)
  let n = 0
  WORD_RE.lastIndex = 0
  for (let m = WORD_RE.exec(text); m !== null; m = WORD_RE.exec(text)) {
    if (n === cap) {
      cap *= 2
      const grow = (a: Int32Array) => {
        const b = new Int32Array(cap)
        b.set(a)
        return b
      }
      ids = grow(ids)
      starts = grow(starts)
      ends = grow(ends)
    }
    const end = m.index + m[0].length
    ids[n] = vocab.get(sameLength ? lower.slice(m.index, end) : m[0].toLowerCase()) ?? -1
    starts[n] = m.index
    ends[n] = end
    n++
  }
  return { length: n, ids, starts, ends }
}

/**
 * How much a word tells about a particular prompt, 0.05..1: −log10 of its frequency in ordinary
 * English (SUBTLEX-US), scaled so that "you", "the" and "a" weigh 0.05 and words rarer than about
 * 1 in 100,000 weigh 1. A 5-word run of function words weighs little; a run of the prompt's
 * own vocabulary ("never reveal the ZEBRA launch code") weighs a lot.
 */
export function wordWeight(word: string): number {
  const info = englishBackground().wordInformation(word)
  const w = (info - 2) / 3
  return w < 0.05 ? 0.05 : w > 1 ? 1 : w
}

/** A system prompt compiled for leak detection: word ids, weights and an index of its n-grams. */
export interface PromptProfile {
  readonly n: number
  readonly length: number
  /** Word → id, for the prompt's own words only. */
  readonly vocab: ReadonlyMap<string, number>
  readonly ids: Int32Array
  readonly weights: Float64Array
  readonly totalWeight: number
  /** n-gram hash → prompt positions where it starts. */
  readonly grams: ReadonlyMap<number, readonly number[]>
}

/** Order-dependent hash of n word ids, exact below 2^53 for small vocabularies; verified on use. */
export function gramHash(ids: ArrayLike<number>, at: number, n: number): number {
  let h = 0
  for (let k = 0; k < n; k++) h = (h * 131_071 + (ids[at + k] as number) + 1) % 9_007_199_254_740_881
  return h
}

/**
 * Compiles a system prompt: folded like a response (`foldForMatching`: NFKC, confusables,
 * case, markup, spaced-out letters, leetspeak), words weighted, n-grams indexed.
 */
export function compilePrompt(systemPrompt: string, n: number): PromptProfile {
  const seq = toWords(foldForMatching(systemPrompt))
  const vocab = new Map<string, number>()
  const ids = new Int32Array(seq.words.length)
  const weights = new Float64Array(seq.words.length)
  let totalWeight = 0
  seq.words.forEach((w, i) => {
    let id = vocab.get(w)
    if (id === undefined) vocab.set(w, (id = vocab.size))
    ids[i] = id
    weights[i] = wordWeight(w)
    totalWeight += weights[i] as number
  })
  const grams = new Map<number, number[]>()
  for (let i = 0; i + n <= ids.length; i++) {
    const h = gramHash(ids, i, n)
    const list = grams.get(h)
    if (list) list.push(i)
    else grams.set(h, [i])
  }
  return { n, length: ids.length, vocab, ids, weights, totalWeight, grams }
}

/** A small least-recently-used cache: applications reuse a handful of system prompts. */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>()
  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key)
    if (v !== undefined) {
      this.map.delete(key)
      this.map.set(key, v)
    }
    return v
  }

  set(key: K, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K)
  }

  get size(): number {
    return this.map.size
  }
}
