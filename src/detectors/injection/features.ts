/**
 * Hashed n-gram features for the trained prompt-injection detector.
 *
 * Features are read from the core's normalization views, not from the raw text: the `folded`
 * view (confusables, leetspeak, spacing, case and markdown folded), text smuggled in tag
 * characters (`hidden`), every decoded payload (`decoded`: base64, hex, URL, entities, rot13,
 * joined string literals) and the prompt-injection detector's `words` view (words cut, glued,
 * punctuated or doubled read back, see scanners/prompt_injection/words-view.ts). An attack
 * hidden by any of those obfuscations therefore lands on the same buckets as the plain attack.
 *
 * Two families, each hashed into the same 2^bits buckets with its own seed:
 *  - words (runs of letters/digits): unigrams and bigrams of every view above;
 *  - characters: 3-, 4- and 5-grams over the folded, hidden and decoded texts (spaces included).
 * A feature's value is 1 / sqrt(n) where n is the number of features of its family in the
 * text (counts, L2-style length normalization without a per-call dictionary), so the score
 * of a text is `bias + Σ w[word features] / sqrt(nw) + Σ w[char features] / sqrt(nc)`.
 *
 * Nothing here allocates per call except folding a hidden or decoded payload: bucket indices
 * go into one reused Int32Array.
 */
import { foldForMatching } from '../../core/normalize.js'
import type { TextViews } from '../../core/text-views.js'
import { wordsViewOf } from '../../scanners/prompt_injection/lexicon.js'

/** Characters of each view that are featurized (the rest is ignored). */
export const MAX_FEATURE_CHARS = 16_384

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
const SEED_UNIGRAM = 0x1b873593
const SEED_BIGRAM = 0x5bd1e995
const SEED_CHAR = 0x27d4eb2f

/** murmur3's 32-bit finalizer: spreads FNV's weak low bits over the whole word. */
function mix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** True for characters that belong to a word: ASCII letters and digits, and any non-ASCII letter-ish unit. */
function isWordChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c > 0x7f && c !== 0xa0 && !(c >= 0x2000 && c <= 0x206f) && c !== 0x3000)
}

/** The features of one text: bucket indices, word features first, then character features. */
export class FeatureBuffer {
  indices: Int32Array
  /** Number of word features (indices [0, words)). */
  words = 0
  /** Total number of features (character features are indices [words, count)). */
  count = 0
  private charIdx: Int32Array

  constructor(readonly bits: number) {
    this.indices = new Int32Array(8 * 1024)
    this.charIdx = new Int32Array(8 * 1024)
  }

  /** Room for `extra` more word and char features. */
  private reserve(extraWords: number, extraChars: number): void {
    if (this.words + extraWords > this.indices.length) {
      const next = new Int32Array(Math.max(this.indices.length * 2, this.words + extraWords))
      next.set(this.indices.subarray(0, this.words))
      this.indices = next
    }
    const chars = this.count
    if (chars + extraChars > this.charIdx.length) {
      const next = new Int32Array(Math.max(this.charIdx.length * 2, chars + extraChars))
      next.set(this.charIdx.subarray(0, chars))
      this.charIdx = next
    }
  }

  /** Featurizes the views of one text (see the module comment). */
  fill(views: TextViews): this {
    this.words = 0
    this.count = 0 // while filling: number of char features in charIdx
    this.addText(views.folded.text, true)
    const hidden = views.hidden.text
    if (hidden.length >= 4) this.addText(foldForMatching(hidden).text, true)
    for (const seg of views.decoded) this.addText(foldForMatching(seg.text).text, true)
    this.addText(wordsViewOf(views).text, false)
    // Lay out: words first, then chars.
    const chars = this.count
    if (this.words + chars > this.indices.length) {
      const next = new Int32Array(this.words + chars)
      next.set(this.indices.subarray(0, this.words))
      this.indices = next
    }
    this.indices.set(this.charIdx.subarray(0, chars), this.words)
    this.count = this.words + chars
    return this
  }

  /** Adds the word features of one folded text, and its character features when `chars`. */
  private addText(t: string, chars: boolean): void {
    const n = Math.min(t.length, MAX_FEATURE_CHARS)
    this.reserve(n + 2, 3 * n + 3)
    const shift = 32 - this.bits
    const idx = this.indices
    const cidx = this.charIdx
    let w = this.words
    let c = this.count
    // Words: unigrams and bigrams.
    let prev = 0
    let h = FNV_OFFSET
    let len = 0
    for (let i = 0; i <= n; i++) {
      const ch = i < n ? t.charCodeAt(i) : 0x20
      if (isWordChar(ch)) {
        h = Math.imul(h ^ (ch | 0x20), FNV_PRIME)
        len++
        continue
      }
      if (len > 0) {
        idx[w++] = mix(h ^ SEED_UNIGRAM) >>> shift
        if (prev !== 0) idx[w++] = mix(Math.imul(prev, 0x2f0b3a49) ^ h ^ SEED_BIGRAM) >>> shift
        prev = h | 1
        h = FNV_OFFSET
        len = 0
      }
    }
    // Characters: 3-, 4- and 5-grams, the text padded with one space each side.
    for (let i = -1; chars && i + 2 <= n; i++) {
      let g = SEED_CHAR
      for (let k = 0; k < 5; k++) {
        const p = i + k
        if (p > n) break
        const ch = p < 0 || p === n ? 0x20 : t.charCodeAt(p)
        g = Math.imul(g ^ ch, FNV_PRIME)
        if (k >= 2) cidx[c++] = mix(g + k) >>> shift
      }
    }
    this.words = w
    this.count = c
  }

  /**
   * `fill(views).dot(weights, scale, bias)` without buffering: the same features, hashed in the
   * same order, summed as they are made (bit-identical result). Scoring reads each bucket once,
   * so writing 4 indices per character and reading them back was a third of the model's time.
   */
  score(views: TextViews, weights: ArrayLike<number>, scale: number, bias: number): number {
    const acc = this.acc
    acc[0] = 0
    acc[1] = 0
    acc[2] = 0
    acc[3] = 0
    this.sumText(views.folded.text, true, weights)
    const hidden = views.hidden.text
    if (hidden.length >= 4) this.sumText(foldForMatching(hidden).text, true, weights)
    for (const seg of views.decoded) this.sumText(foldForMatching(seg.text).text, true, weights)
    this.sumText(wordsViewOf(views).text, false, weights)
    const [sw, nw, sc, nc] = [acc[0]!, acc[1]!, acc[2]!, acc[3]!]
    return bias + scale * ((nw > 0 ? sw / Math.sqrt(nw) : 0) + (nc > 0 ? sc / Math.sqrt(nc) : 0))
  }

  /** Running sums of `score`: word weight sum, word count, char weight sum, char count. */
  private readonly acc = new Float64Array(4)

  /** addText's features of one text, added to `acc` instead of buffered. */
  private sumText(t: string, chars: boolean, weights: ArrayLike<number>): void {
    addRangeSums(t, 0, Math.min(t.length, MAX_FEATURE_CHARS), chars, 32 - this.bits, weights, this.acc)
  }

  /** `bias + Σ w / sqrt(nw) + Σ w / sqrt(nc)` over the buffered features. */
  dot(weights: ArrayLike<number>, scale: number, bias: number): number {
    const idx = this.indices
    let sw = 0
    for (let i = 0; i < this.words; i++) sw += weights[idx[i]!]!
    let sc = 0
    for (let i = this.words; i < this.count; i++) sc += weights[idx[i]!]!
    const nw = this.words
    const nc = this.count - this.words
    return bias + scale * ((nw > 0 ? sw / Math.sqrt(nw) : 0) + (nc > 0 ? sc / Math.sqrt(nc) : 0))
  }
}

/**
 * The features addText makes of t[start, end) read as a text of its own, summed into `acc`
 * instead of buffered: acc[0] += word weights, acc[1] += word count, acc[2] += char weights,
 * acc[3] += char count. Shared by FeatureBuffer.score and the sentence windows (windows.ts).
 */
export function addRangeSums(t: string, start: number, end: number, chars: boolean, shift: number, weights: ArrayLike<number>, acc: Float64Array): void {
  let sw = acc[0]!
  let nw = acc[1]!
  let sc = acc[2]!
  let nc = acc[3]!
  let prev = 0
  let h = FNV_OFFSET
  let len = 0
  for (let i = start; i <= end; i++) {
    const ch = i < end ? t.charCodeAt(i) : 0x20
    if (isWordChar(ch)) {
      h = Math.imul(h ^ (ch | 0x20), FNV_PRIME)
      len++
      continue
    }
    if (len > 0) {
      sw += weights[mix(h ^ SEED_UNIGRAM) >>> shift]!
      nw++
      if (prev !== 0) {
        sw += weights[mix(Math.imul(prev, 0x2f0b3a49) ^ h ^ SEED_BIGRAM) >>> shift]!
        nw++
      }
      prev = h | 1
      h = FNV_OFFSET
      len = 0
    }
  }
  // The same 3-, 4- and 5-grams as addText, over the range padded with one space each side, but
  // with the five characters of each window kept in registers and slid by one per step (one
  // charCodeAt per position instead of five, no per-character bounds branches).
  const n = end - start
  if (chars && n >= 1) {
    // Padded index q: 0 and n + 1 are the spaces, q in [1, n] is t[start + q - 1].
    const at = (q: number): number => (q <= 0 || q === n + 1 ? 0x20 : t.charCodeAt(start + q - 1))
    let c0 = at(0)
    let c1 = at(1)
    let c2 = at(2)
    let c3 = at(3)
    // Windows starting at padded index j; the n-gram of length L exists while j + L - 1 ≤ n + 1.
    const last = n + 1
    for (let j = 0; j + 2 <= last; j++) {
      const c4 = j + 4 <= last ? at(j + 4) : -1
      let g = Math.imul(SEED_CHAR ^ c0, FNV_PRIME)
      g = Math.imul(g ^ c1, FNV_PRIME)
      g = Math.imul(g ^ c2, FNV_PRIME)
      sc += weights[mix(g + 2) >>> shift]!
      nc++
      if (j + 3 <= last) {
        g = Math.imul(g ^ c3, FNV_PRIME)
        sc += weights[mix(g + 3) >>> shift]!
        nc++
        if (c4 !== -1) {
          g = Math.imul(g ^ c4, FNV_PRIME)
          sc += weights[mix(g + 4) >>> shift]!
          nc++
        }
      }
      c0 = c1
      c1 = c2
      c2 = c3
      c3 = c4
    }
  }
  acc[0] = sw
  acc[1] = nw
  acc[2] = sc
  acc[3] = nc
}
