/**
 * Sentence windows for the trained injection model. An instruction planted in a retrieved
 * document, a web page or a tool result is one or two sentences among benign ones, and the
 * model's score of the whole text dilutes it: every feature weighs 1/√n over the whole text, so
 * the more benign text around the attack, the less the attack's n-grams count. The ensemble
 * therefore also scores windows of 1–4 consecutive sentences of the folded text, each as a text
 * of its own, and keeps the best window.
 *
 * Cost control: a window is featurized from the folded text of its sentences only (the
 * whole-text pass already read the hidden and decoded payloads), in one pass over it — a window's
 * score is assembled from its sentences' sums — and only for texts the whole-text model already
 * leans towards (see WINDOW_FLOOR); ordinary text never pays for it.
 */
import { readFileSync } from 'node:fs'
import type { NormalizedText } from '../../core/normalize.js'
import { MAX_FEATURE_CHARS, addRangeSums } from './features.js'
import { DEFAULT_WEIGHTS_URL } from './model.js'
import { decodeWeights, type ModelHeader } from './weights-format.js'

/**
 * Most consecutive sentences in one window: four, so that a role-play set-up of three sentences
 * keeps its question (LOSO F1 identical to three; +2 dev attacks in documents).
 */
export const WINDOW_SENTENCES = 4
/**
 * Windows are read only when the whole text's calibrated model probability is at least this (or
 * the higher floor selected in training, `thresholds.windowFloor` of the weights file): a text
 * the model finds plainly benign is not re-read sentence by sentence, so the cost of the windows
 * is paid by a few texts in a hundred, not by every scan. 0.35 since windows of four sentences:
 * at 0.2 the 2 KB p99 rose by ~0.2 ms for a LOSO pooled F1 gain of 1e-4.
 */
export const WINDOW_FLOOR = 0.35
/** Sentences shorter than this (characters of folded text) are read with the next one. */
const MIN_SENTENCE_CHARS = 12
/**
 * Windows shorter than this (characters of folded text) are not scored: the model was trained on
 * whole texts, and a fragment of a few words gets an extreme score from a handful of n-grams
 * (`access the document here`, `write letter - write notes` in benign training rows).
 */
const MIN_WINDOW_CHARS = 40
/** At most this many sentences are scored (the rest of a very long text joins the last one). */
const MAX_SENTENCES = 96

/**
 * Sentences of a folded text: end offsets (exclusive) written into `ends`; returns their number.
 * A sentence ends at `.` or `?` followed by a space, or at a space that stands for a line break
 * of the original (`original`, through `folded.toOriginal`): the folded view collapses line
 * breaks, but a document's headings, list items and paragraphs are units of their own.
 */
export function sentenceEnds(folded: NormalizedText, original: string, ends: Int32Array): number {
  const t = folded.text
  const n = Math.min(t.length, MAX_FEATURE_CHARS)
  const cap = Math.min(ends.length, MAX_SENTENCES)
  let count = 0
  let start = 0
  for (let i = 0; i < n && count < cap - 1; i++) {
    if (t.charCodeAt(i) !== 0x20 || i - start < MIN_SENTENCE_CHARS) continue
    // `.`, `!` or `?` before the space ends a sentence (the folded view reads a `!` after letters
    // as leetspeak for `i`, so mostly `.` and `?`); so does a space made from a line break.
    const c = t.charCodeAt(i - 1)
    let end = c === 0x2e || c === 0x21 || c === 0x3f
    if (!end) {
      const span = folded.toOriginal(i, i + 1)
      for (let k = span.start; k < span.end && !end; k++) end = original.charCodeAt(k) === 0x0a
      // A quotation closed and a capital after it (`… with "[Access Granted" The meeting …`): run-on
      // text whose sentence has no full stop, as an instruction pasted into a review often is.
      if (!end) end = closesQuoteBeforeCapital(original, span.start, span.end)
    }
    if (end) {
      ends[count++] = i
      start = i + 1
    }
  }
  // The rest is a sentence of its own, or the end of the last one when it is short.
  if (count === 0 || n - start >= MIN_SENTENCE_CHARS) ends[count++] = n
  else ends[count - 1] = n
  return count
}

/** Closing quotation marks and brackets. */
const CLOSERS = new Set([0x22, 0x27, 0x201d, 0x2019, 0x5d, 0x29, 0xbb])

/**
 * True when, around original [start, end) (the units of one folded space), a closing quotation
 * mark or bracket ends the text before the whitespace and an upper-case letter starts it after.
 */
function closesQuoteBeforeCapital(original: string, start: number, end: number): boolean {
  let a = end - 1
  while (a >= start && (original.charCodeAt(a) === 0x20 || original.charCodeAt(a) === 0x09)) a--
  // The folded space may stand for the whitespace alone, the closer just before it.
  if (a < start) a = start - 1
  let b = end
  while (b < original.length && original.charCodeAt(b) === 0x20) b++
  const after = original.charCodeAt(b)
  return a >= 0 && a < b && CLOSERS.has(original.charCodeAt(a)) && after >= 0x41 && after <= 0x5a
}

const rangeSums = new Float64Array(4)

/**
 * The feature sums of folded text [start, end) read as a text of its own (features.ts
 * addRangeSums: one pass, no buffer, no string per sentence) — word sums counted twice, since a
 * sentence's words view is taken to be its folded words, as it is unless words were cut or
 * glued — written to out[at..at+3] as word weight sum, word count, char weight sum, char count.
 */
function sentenceSums(t: string, start: number, end: number, bits: number, weights: ArrayLike<number>, out: Float64Array, at: number): void {
  rangeSums.fill(0)
  addRangeSums(t, start, end, true, 32 - bits, weights, rangeSums)
  out[at] = 2 * rangeSums[0]!
  out[at + 1] = 2 * rangeSums[1]!
  out[at + 2] = rangeSums[2]!
  out[at + 3] = rangeSums[3]!
}

/** The best window of a text: its raw n-gram logit and its span in the folded text. */
export interface BestWindow {
  logit: number
  start: number
  end: number
}

/**
 * Scores the sentence windows of texts with one set of hashed weights (int8 with a scale when
 * serving, float64 with scale 1 when training). Reuses its buffers: one instance per thread of
 * use, not re-entrant.
 */
export class WindowScorer {
  private ends = new Int32Array(MAX_SENTENCES)
  /** Per sentence: word weight sum, word count, char weight sum, char count. */
  private sums = new Float64Array(4 * MAX_SENTENCES)

  constructor(private readonly bits: number) {}

  /**
   * The best window of 1–WINDOW_SENTENCES consecutive sentences of the folded view of `original`
   * (never the whole text: that is the ordinary score), or undefined when the text has one sentence.
   * logit = bias + scale · (Σw_words / √n_words + Σw_chars / √n_chars) over the window's features.
   */
  best(folded: NormalizedText, original: string, weights: ArrayLike<number>, scale: number, bias: number): BestWindow | undefined {
    const count = sentenceEnds(folded, original, this.ends)
    if (count < 2) return undefined
    const text = folded.text
    const ends = this.ends
    const sums = this.sums
    let start = 0
    for (let k = 0; k < count; k++) {
      const end = ends[k]!
      sentenceSums(text, start, end, this.bits, weights, sums, 4 * k)
      start = end + 1
    }
    let best: BestWindow | undefined
    for (let k = 0; k < count; k++) {
      let sw = 0
      let nw = 0
      let sc = 0
      let nc = 0
      for (let j = k; j < count && j < k + WINDOW_SENTENCES; j++) {
        if (k === 0 && j === count - 1) break
        sw += sums[4 * j]!
        nw += sums[4 * j + 1]!
        sc += sums[4 * j + 2]!
        nc += sums[4 * j + 3]!
        const start = k === 0 ? 0 : ends[k - 1]! + 1
        if (ends[j]! - start < MIN_WINDOW_CHARS) continue
        const z = bias + scale * ((nw > 0 ? sw / Math.sqrt(nw) : 0) + (nc > 0 ? sc / Math.sqrt(nc) : 0))
        if (best === undefined || z > best.logit) best = { logit: z, start, end: ends[j]! }
      }
    }
    return best
  }
}

const loaded = new Map<string, { header: ModelHeader; weights: Int8Array }>()

/** The int8 weights of a weights file (the shipped one by default), read once per path. */
export function loadWindowWeights(url: URL = DEFAULT_WEIGHTS_URL): { header: ModelHeader; weights: Int8Array } {
  let w = loaded.get(url.href)
  if (w === undefined) {
    w = decodeWeights(readFileSync(url))
    loaded.set(url.href, w)
  }
  return w
}
