import { nameLexicon, type NameLexicon, type WordClass } from './lexicon.js'
import type { RawEntity } from './patterns.js'

/**
 * PERSON and LOCATION from capitalized-token runs, scored by compromise's lexicon and context
 * cues (honorifics, "my name is", "Dear …", "live in …"). One regex pass over the text and a
 * few set look-ups per capitalized token: a 2 KB prompt costs tens of microseconds, where a
 * full compromise parse costs milliseconds.
 */

interface Token {
  start: number
  end: number
  lower: string
  cap: boolean
  allCaps: boolean
  /** First token of a sentence or line (capitalization says little there). */
  sentenceStart: boolean
  cls: WordClass
}

// Lower-case particles that may sit inside a name ("Ludwig van Beethoven", "María de la Cruz").
const NAME_PARTICLES = new Set(['van', 'von', 'der', 'den', 'de', 'del', 'della', 'di', 'da', 'dos', 'das', 'du', 'la', 'le', 'bin', 'ibn', 'al', 'el', 'ter', 'ten'])
const PERSON_CUE = /(?:\b(?:my name is|name is|name's|names? ?:|i am|i'm|im|this is|dear|hi|hello|hey|thanks|thank you|regards|sincerely|cheers|signed|sign(?:ed)? by|written by|authored by|named|called|ask for|speak (?:to|with)|talk(?:ed)? to|contact|attn|attention|patient|client|customer|employee|user|cc|from|by|with|met|meet|and)\s*[,:]?\s*)$/
const STRONG_PERSON_CUE = /(?:\b(?:my name is|name is|name's|names? ?:|i am|i'm|dear|signed|sign(?:ed)? by|written by|authored by|named|called|attn|attention|patient|regards|sincerely)\s*[,:]?\s*)$/
const LOCATION_CUE = /\b(?:in|from|near|at|(?:flew|fly|flying|travel(?:l?ing|led)?|moved?|moving|go(?:ing)?|went|trip|back|welcome|drove|driving|relocat(?:ed|ing)) to|visit(?:ed|ing)?|live in|lives in|living in|based in|located in|moved to|city of|town of|born in|across|around|toward|towards)\s*$/
// Right before a single ambiguous first name, these make it a place ("in Austin", "flying to Jackson").
const PLACE_PREPOSITION = /\b(?:in|near|(?:fly|flying|flew|travel(?:l?ing)?|moved?|moving|drive|driving|trip) to)\s$/
// Case-insensitive twins of the left-context cues, for ASCII contexts (see testLeft).
const PERSON_CUE_I = new RegExp(PERSON_CUE.source, 'i')
const STRONG_PERSON_CUE_I = new RegExp(STRONG_PERSON_CUE.source, 'i')
const LOCATION_CUE_I = new RegExp(LOCATION_CUE.source, 'i')
const PLACE_PREPOSITION_I = new RegExp(PLACE_PREPOSITION.source, 'i')
const SPEAKER_LABEL = /^:[ \t]*[\p{Lu}"“]/u
const AFTER_PERSON = /^(?:'s\b|’s\b|\s*,?\s*(?:is|was|has|had|said|says|wrote|writes|asked|told|thinks|thought|who|lives|lived|will|would|shouted|listed|explained|works|worked|joined|went|wants|wanted|called|replied|added|noted|died|married)\b)/

// Capitalized words, and the lower-case words a name or a firm name may contain. Only these
// become tokens: a 2 KB prompt yields tens of tokens, not hundreds.
// The first class is a cheap superset of upper-case letters; tokenize() keeps true capitals.
// The tokenizer matches exactly
//   /[A-Z\u00C0-\u024F\u0370-\u052F\u1E00-\u1FFF][\p{L}\p{M}'’-]*|(?:van|von|der|den|de|del|della|di|da|dos|das|du|la|le|bin|ibn|al|el|ter|ten|and)(?![\p{L}\p{M}])/gu
// by hand (see tokenize), so that a scan allocates no match array per word.
const PARTICLES = ['van', 'von', 'der', 'den', 'de', 'del', 'della', 'di', 'da', 'dos', 'das', 'du', 'la', 'le', 'bin', 'ibn', 'al', 'el', 'ter', 'ten', 'and']
const PARTICLES_BY_LENGTH: (string[] | undefined)[] = []
for (const p of PARTICLES) {
  const list = (PARTICLES_BY_LENGTH[p.length] ??= [])
  list.push(p)
}
const PARTICLE_FIRST = new Uint8Array(128)
for (const p of PARTICLES) PARTICLE_FIRST[p.charCodeAt(0)] = 1
const CONTINUATION_Y = /[\p{L}\p{M}'’-]*/uy
const LETTER_OR_MARK_Y = /[\p{L}\p{M}]/uy
const HONORIFIC_GAP = /^\.?\s{1,2}$/
const SPACE_CAPITAL = /^[ ]\p{Lu}/u

/** Characters before which a capital says little (`. ! ? : ; " “ ( • * > -` and line breaks, tabs). */
function isBoundary(c: number): boolean {
  return c === 46 || c === 33 || c === 63 || c === 58 || c === 59 || c === 34 || c === 0x201c || c === 40 || c === 0x2022 || c === 42 || c === 62 || c === 45 || c === 10 || c === 13 || c === 9
}

/** Characters that glue a word to a code or an encoded blob: digits _ + / = \\ @ # $ %. */
function isCodeChar(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 95 || code === 43 || code === 47 || code === 61 || code === 92 || code === 64 || code === 35 || code === 36 || code === 37
}

const LETTER = /\p{L}/u

/** Letters, and the apostrophes that continue a word ("O'Neil"). ASCII without a regex. */
function continuesWord(code: number): boolean {
  if (code < 128) return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 39
  return code === 0x2019 || LETTER.test(String.fromCharCode(code))
}

const LINE_LABEL = /^[ \t]*(\p{Lu}[\p{L}\p{M}'’-]+):[ \t]*\S/gmu
let speakersText: string | undefined
let speakersCount = 0

/** Distinct line-initial labels ("Nicole:", "Mehrudin:") that are not common words ("Note:", "User:"). */
function dialogueSpeakers(text: string, lex: NameLexicon): number {
  if (speakersText === text) return speakersCount
  const names = new Set<string>()
  let known = false
  let repeated = false
  LINE_LABEL.lastIndex = 0
  for (let m = LINE_LABEL.exec(text); m !== null; m = LINE_LABEL.exec(text)) {
    const w = (m[1] as string).toLowerCase()
    const cls = classify(lex, w)
    if (cls !== 'unknown' && cls !== 'first') continue
    if (names.has(w)) repeated = true
    if (cls === 'first') known = true
    names.add(w)
  }
  speakersText = text
  // Two labels make a dialogue only if one is a known first name or a label takes a second turn;
  // otherwise they are form or header fields ("Authorization:", "Bot:").
  speakersCount = known || repeated ? names.size : 0
  return speakersCount
}

function endsLine(text: string, at: number): boolean {
  for (let i = at; i < text.length; i++) {
    const c = text[i] as string
    if (c === '\n' || c === '\r') return true
    if (c !== ' ' && c !== '\t' && c !== ',') return false
  }
  return false
}

/** Whether one of the next two non-empty lines holds a digit (an address, a phone). */
function nextLineHasDigits(text: string, at: number): boolean {
  const rest = text.slice(at, at + 200).split('\n').slice(1).filter((l) => l.trim() !== '').slice(0, 2)
  return rest.some((l) => /\d/.test(l))
}

function isDigitCode(code: number): boolean {
  return code >= 48 && code <= 57
}

function startsLine(text: string, at: number): boolean {
  for (let i = at - 1; i >= 0; i--) {
    const c = text[i] as string
    if (c === '\n') return true
    if (c !== ' ' && c !== '\t') return false
  }
  return true
}

function startsSentence(text: string, at: number): boolean {
  for (let i = at - 1; i >= 0; i--) {
    const c = text.charCodeAt(i)
    if (c === 32) continue
    return isBoundary(c)
  }
  return true
}

/** The token pool: tokens are reused from scan to scan (no objects per token); `tokenCount` are live. */
const pool: Token[] = []
const MAX_POOLED_TOKENS = 4096
let tokenCount = 0

/** The live token at `k`, or undefined past the last one. */
function tok(k: number): Token | undefined {
  return k < tokenCount ? pool[k] : undefined
}

/** Whether `text` holds a name particle or "and" from `p` to `r` (lower-case ASCII letters). */
function isParticleAt(text: string, p: number, r: number): boolean {
  const list = PARTICLES_BY_LENGTH[r - p]
  if (list === undefined) return false
  outer: for (const w of list) {
    for (let k = 0; k < w.length; k++) if (text.charCodeAt(p + k) !== w.charCodeAt(k)) continue outer
    return true
  }
  return false
}

/**
 * End of a match of `[\p{L}\p{M}'’-]*` from `q` (TOKEN_RE's word continuation): ASCII by
 * hand, the rest with a sticky regex (no match arrays).
 */
function continuationEnd(text: string, q: number): number {
  const n = text.length
  while (q < n) {
    const c = text.charCodeAt(q)
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 39 || c === 45 || c === 0x2019) q++
    else if (c < 128) return q
    else {
      CONTINUATION_Y.lastIndex = q
      CONTINUATION_Y.test(text)
      return CONTINUATION_Y.lastIndex
    }
  }
  return q
}

/**
 * Fills the token pool with the matches of TOKEN_RE that pass the word-boundary checks; returns
 * their count. A hand-written scan that matches exactly what the regex matches, in the same
 * order and with the same consumption, without a match array, a token object or an upper-cased
 * copy per word.
 */
function tokenize(text: string, lex: NameLexicon): number {
  tokenCount = 0
  const n = text.length
  let p = 0
  while (p < n) {
    const c = text.charCodeAt(p)
    if (c >= 97 && c <= 122) {
      // A particle ("van", "de", "and") is a whole run of lower-case letters starting here.
      // After an ASCII letter it would be rejected as inside a word, having consumed only
      // lower-case letters; and no later letter of the run can start a token (each follows
      // an ASCII letter): skip the run.
      if (PARTICLE_FIRST[c] === 1 && (p === 0 || !isAsciiLetter(text.charCodeAt(p - 1)))) {
        let r = p + 1
        while (r < n && text.charCodeAt(r) >= 97 && text.charCodeAt(r) <= 122) r++
        if (isParticleAt(text, p, r) && !letterOrMarkAt(text, r)) addToken(text, lex, p, r)
        p = r
        continue
      }
      p++
      while (p < n) {
        const d = text.charCodeAt(p)
        if (d < 97 || d > 122) break
        p++
      }
      continue
    }
    if ((c >= 65 && c <= 90) || (c >= 0xc0 && c <= 0x24f) || (c >= 0x370 && c <= 0x52f) || (c >= 0x1e00 && c <= 0x1fff)) {
      const end = continuationEnd(text, p + 1)
      addToken(text, lex, p, end)
      p = end
      continue
    }
    p++
  }
  return tokenCount
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

/** Whether the code point at `r` is a letter or a mark (`[\p{L}\p{M}]`). */
function letterOrMarkAt(text: string, r: number): boolean {
  if (r >= text.length) return false
  const c = text.charCodeAt(r)
  if (c < 128) return isAsciiLetter(c)
  LETTER_OR_MARK_Y.lastIndex = r
  return LETTER_OR_MARK_Y.test(text)
}

/** TOKEN_RE's loop body for the match [start, end): boundary checks, then a pooled token. */
function addToken(text: string, lex: NameLexicon, start: number, end: number): void {
  // Inside a word ("iPhone"), or glued to a code: not a token start.
  if (start > 0) {
    const prev = text.charCodeAt(start - 1)
    if (continuesWord(prev) || isCodeChar(prev)) return
  }
  let wordEnd = end
  while (wordEnd > start) {
    const last = text.charCodeAt(wordEnd - 1)
    if (last !== 45 && last !== 39 && last !== 0x2019) break
    wordEnd--
  }
  if (wordEnd === start) return
  // Part of a code or an encoded blob ("ORD-2022-385083", "…5yn1Wy8h4…"): not a word.
  if (wordEnd < text.length) {
    const next = text.charCodeAt(wordEnd)
    if (isCodeChar(next) || (next === 45 && wordEnd + 1 < text.length && isDigitCode(text.charCodeAt(wordEnd + 1)))) return
  }
  const c0 = text.charCodeAt(start)
  let cap: boolean
  let lower: string
  let cls: WordClass
  if (c0 < 128) {
    cap = c0 >= 65 && c0 <= 90
    const slot = internSlot(text, start, wordEnd)
    if (slot >= 0 && internWords[slot] !== undefined) {
      lower = internWords[slot]
      cls = internClasses[slot] as WordClass
    } else {
      lower = text.slice(start, wordEnd).toLowerCase()
      cls = classify(lex, lower)
      if (slot >= 0) intern(text, start, wordEnd, slot, lower, cls)
    }
  } else {
    lower = text.slice(start, wordEnd).toLowerCase()
    cap = lower.charCodeAt(0) !== c0
    if (!cap && c0 >= 0xc0) return
    cls = classify(lex, lower)
  }
  let t = pool[tokenCount]
  if (t === undefined) {
    t = { start: 0, end: 0, lower: '', cap: false, allCaps: false, sentenceStart: false, cls: 'unknown' }
    pool.push(t)
  }
  tokenCount++
  t.start = start
  t.end = wordEnd
  t.lower = lower
  t.cls = cls
  t.cap = cap
  t.allCaps = cap && wordEnd - start > 1 && isAllCaps(text, start, wordEnd)
  t.sentenceStart = startsSentence(text, start)
}

// Words seen before, lower-cased, with their class: an open-addressing table keyed by the
// lower-cased ASCII letters, so a known word costs no string and no lexicon look-up. It is
// cleared when three quarters full, so it follows the vocabulary of recent texts.
const INTERN_SIZE = 16384
const internWords: (string | undefined)[] = new Array<string | undefined>(INTERN_SIZE).fill(undefined)
const internClasses: (WordClass | undefined)[] = new Array<WordClass | undefined>(INTERN_SIZE).fill(undefined)
let internCount = 0

/**
 * The slot of text[start, end) lower-cased: where it is stored, or the free slot where it
 * would go. -1 when the word is not all ASCII or is long (those are not interned).
 */
function internSlot(text: string, start: number, end: number): number {
  if (end - start > 24) return -1
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i)
    if (c >= 128) return -1
    if (c >= 65 && c <= 90) c += 32
    h = Math.imul(h ^ c, 0x01000193)
  }
  let slot = (h >>> 0) & (INTERN_SIZE - 1)
  for (;;) {
    const w = internWords[slot]
    if (w === undefined) return slot
    if (w.length === end - start) {
      let same = true
      for (let i = 0; i < w.length; i++) {
        let c = text.charCodeAt(start + i)
        if (c >= 65 && c <= 90) c += 32
        if (c !== w.charCodeAt(i)) {
          same = false
          break
        }
      }
      if (same) return slot
    }
    slot = (slot + 1) & (INTERN_SIZE - 1)
  }
}

function intern(text: string, start: number, end: number, slot: number, lower: string, cls: WordClass): void {
  if (internCount >= (INTERN_SIZE * 3) / 4) {
    internWords.fill(undefined)
    internClasses.fill(undefined)
    internCount = 0
    slot = internSlot(text, start, end)
  }
  internWords[slot] = lower
  internClasses[slot] = cls
  internCount++
}

/** `word === word.toUpperCase()` for text[start, end): by hand for ASCII. */
function isAllCaps(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c >= 128) {
      const word = text.slice(start, end)
      return word === word.toUpperCase()
    }
    if (c >= 97 && c <= 122) return false
  }
  return true
}

function classify(lex: NameLexicon, lower: string): WordClass {
  const known = lex.classOf.get(lower)
  if (known !== undefined) return known
  // Contractions and possessives take the class of their stem ("I'm", "Let's", "Paris's").
  const a = lower.indexOf("'")
  const b = lower.indexOf('’')
  const apostrophe = a === -1 ? b : b === -1 ? a : Math.min(a, b)
  if (apostrophe > 0) return lex.classOf.get(lower.slice(0, apostrophe)) ?? 'unknown'
  return 'unknown'
}

/** Whether text[from, to) is exactly `gap` (no substring). */
function gapIs(text: string, from: number, to: number, gap: string): boolean {
  if (to - from !== gap.length) return false
  for (let k = 0; k < gap.length; k++) if (text.charCodeAt(from + k) !== gap.charCodeAt(k)) return false
  return true
}

/** Whether two consecutive tokens are separated only by spaces (same line), or by ". " after an initial ("J. Smith"). */
function joined(text: string, a: Token, b: Token): boolean {
  const gap = b.start - a.end
  if (a.end - a.start === 1 && a.cap && text.charCodeAt(a.end) === 46) return gap >= 2 && gap <= 3 && text.slice(a.end + 1, b.start).trim() === ''
  for (let i = a.end; i < b.start; i++) if (text.charCodeAt(i) !== 32) return false
  return gap >= 1 && gap <= 2
}

export const STREET_TYPES = new Set(['street', 'st', 'avenue', 'ave', 'road', 'rd', 'boulevard', 'blvd', 'lane', 'ln', 'drive', 'dr', 'court', 'ct', 'way', 'place', 'pl', 'terrace', 'square', 'highway', 'parkway', 'trail', 'crescent', 'close', 'alley', 'plaza', 'heights', 'gardens', 'grove', 'mews', 'walk', 'route'])

export interface NameFinderOptions {
  person: boolean
  location: boolean
}

/**
 * Finds PERSON / LOCATION spans in `text` (UTF-16 offsets). When `organizations` is given, the
 * spans of the organization names it skipped ("Hawkins, Richardson and Santana") are added to it.
 */
export function findNames(text: string, opts: NameFinderOptions, out: RawEntity[], organizations?: [number, number][]): void {
  const lex = nameLexicon()
  const count = tokenize(text, lex)
  let i = 0
  while (i < count) {
    const t = pool[i] as Token
    if (!t.cap) {
      i++
      continue
    }
    // Collect a run of capitalized tokens (with name particles inside), same line, ≤ 5 tokens.
    let j = i + 1
    while (j < count && j - i < 5) {
      const n = pool[j] as Token
      if (!joined(text, pool[j - 1] as Token, n)) break
      if (n.cap) j++
      else if (NAME_PARTICLES.has(n.lower) && j + 1 < count && (pool[j + 1] as Token).cap && joined(text, n, pool[j + 1] as Token)) j += 2
      else break
    }
    // Fast path: a lone common word names nothing unless a "Surname, Given" pair starts here.
    if (j === i + 1 && (t.cls === 'common' || t.cls === 'org' || t.cls === 'not')) {
      const n = tok(j)
      if (n === undefined || n.start !== t.end + 2 || text.charCodeAt(t.end) !== 44) {
        i = j
        continue
      }
    }
    // "Surname, Given" (records, forms): one token, a comma, one first name.
    const next = tok(j)
    const surname = pool[j - 1] as Token
    let leadIsCommon = true
    for (let k = i; k < j - 1; k++) {
      const c = (pool[k] as Token).cls
      if (c !== 'common' && c !== 'not') {
        leadIsCommon = false
        break
      }
    }
    if (leadIsCommon && next !== undefined && next.cap && gapIs(text, surname.end, next.start, ', ') && lex.firstNames.has(next.lower) && !lex.firstNames.has(surname.lower)) {
      const after = tok(j + 1)
      const afterNext = tok(j + 2)
      const cls = surname.cls
      // Not a list of names ("Hawkins, Richardson and Santana"): the pair must not continue with "and X" / ", X".
      const listy = after !== undefined && ((after.lower === 'and' && gapIs(text, next.end, after.start, ' ') && afterNext !== undefined && afterNext.cap) || (after.cap && !after.allCaps && gapIs(text, next.end, after.start, ', ')))
      if ((cls === 'last' || cls === 'unknown') && !listy && (next.end >= text.length || !SPACE_CAPITAL.test(text.slice(next.end, next.end + 2)))) {
        out.push({ type: 'PERSON', start: surname.start, end: next.end, score: 0.8, detail: { evidence: 'surname-comma-given' } })
        i = j + 1
        continue
      }
    }
    // Organizations named after people ("Hawkins, Richardson and Santana", "Jones Orchestra", "Civic Impulse LLC").
    if (isOrganizationRun(text, lex, i, j)) {
      const k = skipOrganization(text, j)
      organizations?.push([pool[i]!.start, pool[k - 1]!.end])
      i = k
      continue
    }
    classifyRun(text, lex, i, j, opts, out)
    i = j
  }
  // Drop the references to this text (the pool's strings are small and overwritten next scan);
  // a very long text does not leave a very large pool behind.
  if (pool.length > MAX_POOLED_TOKENS) pool.length = MAX_POOLED_TOKENS
  runText = ''
  runLeft = undefined
  runLeftRaw = undefined
}

function isOrganizationRun(text: string, lex: NameLexicon, i: number, j: number): boolean {
  const last = pool[j - 1] as Token
  if (j - i >= 2 && (lex.orgWords.has(last.lower) || STREET_TYPES.has(last.lower))) return true
  // "A, B and C" where the tokens are capitalized names: a firm.
  const next = tok(j)
  if (next !== undefined && next.cap && gapIs(text, last.end, next.start, ', ')) {
    const third = tok(j + 1)
    const fourth = tok(j + 2)
    if (third !== undefined && third.lower === 'and' && fourth !== undefined && fourth.cap) return true
  }
  return false
}

/** Skips the rest of an organization name: following ", X and Y" parts and capitalized words. */
function skipOrganization(text: string, j: number): number {
  let k = j
  while (k < tokenCount) {
    const t = pool[k] as Token
    const prev = pool[k - 1] as Token
    if ((t.cap || t.lower === 'and') && (gapIs(text, prev.end, t.start, ' ') || gapIs(text, prev.end, t.start, ', '))) k++
    else break
  }
  return k
}

/** First words of the multi-word places, so that a run's phrase is joined only when it can be one. */
let placeHeads: Set<string> | undefined

/** `lex.places.has(lowers of pool[bs, be) joined by ' ')`, without joining when no place can match. */
function phraseIsPlace(lex: NameLexicon, bs: number, be: number): boolean {
  const head = (pool[bs] as Token).lower
  if (be - bs === 1) return lex.places.has(head)
  if (placeHeads === undefined) {
    placeHeads = new Set()
    for (const p of lex.places) {
      const sp = p.indexOf(' ')
      if (sp !== -1) placeHeads.add(p.slice(0, sp))
    }
  }
  if (!placeHeads.has(head)) return false
  let phrase = head
  for (let k = bs + 1; k < be; k++) phrase += ' ' + (pool[k] as Token).lower
  return lex.places.has(phrase)
}

// The run being classified and its lazily computed context (module state, not closures per run).
let runText = ''
let runStart = 0
let runEnd = 0
let runLeft: string | undefined
let runStrong = -1
let runCue = -1

let runLeftRaw: string | undefined
let runLeftAscii = -1

function leftText(): string {
  return (runLeft ??= runText.slice(Math.max(0, runStart - 30), runStart).toLowerCase())
}
/**
 * `re.test(leftText())`. An ASCII left context is tested as written with the case-insensitive
 * twin of `re` (the same matches for ASCII, without a lower-cased copy).
 */
function testLeft(re: RegExp, caseless: RegExp): boolean {
  const from = Math.max(0, runStart - 30)
  if (runLeftAscii === -1) {
    runLeftAscii = 1
    for (let k = from; k < runStart; k++) {
      if (runText.charCodeAt(k) >= 128) {
        runLeftAscii = 0
        break
      }
    }
  }
  if (runLeftAscii === 1) return caseless.test((runLeftRaw ??= runText.slice(from, runStart)))
  return re.test(leftText())
}
function strongCue(): boolean {
  if (runStrong === -1) runStrong = testLeft(STRONG_PERSON_CUE, STRONG_PERSON_CUE_I) ? 1 : 0
  return runStrong === 1
}
function cue(): boolean {
  if (runCue === -1) runCue = strongCue() || testLeft(PERSON_CUE, PERSON_CUE_I) ? 1 : 0
  return runCue === 1
}
function afterPerson(): boolean {
  return AFTER_PERSON.test(runText.slice(runEnd, runEnd + 16))
}
function locationCue(): boolean {
  return testLeft(LOCATION_CUE, LOCATION_CUE_I)
}
function placePreposition(): boolean {
  return testLeft(PLACE_PREPOSITION, PLACE_PREPOSITION_I)
}

/** Classifies the run pool[i, j). */
function classifyRun(text: string, lex: NameLexicon, i: number, j: number, opts: NameFinderOptions, out: RawEntity[]): void {
  const prev = i > 0 ? (pool[i - 1] as Token) : undefined
  // Honorific right before ("Dr. Jane Doe", "Mr Smith").
  const honorific = prev !== undefined && lex.honorifics.has(prev.lower) && (prev.cap || text.charCodeAt(prev.end) === 46) && HONORIFIC_GAP.test(text.slice(prev.end, pool[i]!.start))
  // The body is pool[bs, be): leading honorific inside the run split off.
  let bs = i
  let be = j
  let hon = honorific
  while (be - bs > 1 && lex.honorifics.has(pool[bs]!.lower) && pool[bs]!.lower.length <= 5) {
    bs++
    hon = true
  }
  // Drop leading words that cannot start a name or place: calendar words, demonyms, and
  // capitalized common words ("I'm Naomi Ryan", "Producer James Sparks", "The Hague" is kept
  // by the multi-word place check below).
  if (!phraseIsPlace(lex, bs, be)) {
    while (be - bs > 1 && (pool[bs]!.cls === 'common' || pool[bs]!.cls === 'not')) {
      bs++
      if (lex.honorifics.has(pool[bs]!.lower) && be - bs > 1) {
        bs++
        hon = true
      }
    }
    while (be > bs && pool[bs]!.cls === 'not') bs++
    while (be > bs && pool[be - 1]!.cls === 'not') be--
  }
  const len = be - bs
  // A lone letter is an initial or a symbol ("C++"), not a name or a place.
  if (len === 0 || (len === 1 && pool[bs]!.end - pool[bs]!.start === 1)) return
  const first = pool[bs] as Token
  const last = pool[be - 1] as Token
  const cls0 = first.cls
  // Most capitalized words in a prompt are sentence-initial common words: nothing to find.
  if (len === 1 && (cls0 === 'common' || cls0 === 'org') && !hon) return
  // Class counts of the body (what the rules below ask of its classes).
  let nFirst = 0
  let nLast = 0
  let nPlace = 0
  let nOrg = 0
  let nNot = 0
  let nCommon = 0
  let nUnknown = 0
  let nAllCaps = 0
  for (let k = bs; k < be; k++) {
    const t = pool[k] as Token
    if (t.allCaps) nAllCaps++
    switch (t.cls) {
      case 'first': nFirst++; break
      case 'last': nLast++; break
      case 'place': nPlace++; break
      case 'org': nOrg++; break
      case 'not': nNot++; break
      case 'common': nCommon++; break
      default: nUnknown++
    }
  }
  const clsLast = last.cls
  // Context tests are regexes over the surrounding text: computed only when a rule needs them.
  runText = text
  runStart = first.start
  runEnd = last.end
  runLeft = undefined
  runLeftRaw = undefined
  runLeftAscii = -1
  runStrong = -1
  runCue = -1
  const start = first.start
  const end = last.end
  const allCapsRun = nAllCaps === len

  // Multi-word places first ("New York", "Buenos Aires"), then single-word places.
  if (opts.location) {
    if (len > 1 && phraseIsPlace(lex, bs, be)) {
      out.push({ type: 'LOCATION', start, end, score: 0.85, detail: { evidence: 'lexicon' } })
      return
    }
  }

  const nameLike = nFirst + nLast + nUnknown === len
  const hasFirst = cls0 === 'first'
  const hasLast = nLast > 0

  if (opts.person && !allCapsRun) {
    let score = 0
    let evidence = ''
    if (hon && nPlace + nOrg + nCommon === 0) {
      score = 0.9
      evidence = 'honorific'
    } else if (len <= 4 && strongCue() && nPlace + nOrg + nNot === 0) {
      score = nCommon > 0 ? 0.6 : 0.9
      evidence = 'cue'
    } else if (len >= 2 && nameLike && (hasFirst || hasLast)) {
      score = hasFirst && hasLast ? 0.9 : hasFirst ? 0.85 : clsLast === 'last' ? 0.75 : 0.55
      evidence = 'lexicon'
    } else if (len === 2 && hasFirst && clsLast === 'common' && !lex.orgWords.has(last.lower) && !lex.placeWords.has(last.lower) && !STREET_TYPES.has(last.lower) && !last.allCaps) {
      // A first name and a capitalized word that is also a common noun ("James Sparks", "Zoe Young").
      score = 0.6
      evidence = 'lexicon'
    } else if (len === 1 && !first.allCaps && (cls0 === 'unknown' || cls0 === 'first') && startsLine(text, first.start) && SPEAKER_LABEL.test(text.slice(last.end, last.end + 4)) && dialogueSpeakers(text, lex) >= 2) {
      // A speaker label in a transcript with at least two named speakers ("Nicole: Remember me?").
      score = 0.6
      evidence = 'speaker'
    } else if (len === 1 && cls0 === 'first' && !((lex.places.has(first.lower) && locationCue()) || placePreposition())) {
      score = first.sentenceStart ? (cue() || afterPerson() ? 0.6 : 0.4) : 0.7
      evidence = 'lexicon'
    } else if (len === 1 && cls0 === 'last' && !first.sentenceStart && (cue() || afterPerson())) {
      score = 0.6
      evidence = 'lexicon+cue'
    } else if (len === 3 && pool[bs + 1]!.end - pool[bs + 1]!.start === 1 && cls0 !== 'common' && clsLast !== 'common' && cls0 !== 'place' && clsLast !== 'place') {
      // Given name, middle initial, surname ("Ravil G Yefimov", "Sari J. Paavolainen").
      score = 0.8
      evidence = 'initial'
    } else if (len >= 2 && len <= 3 && nameLike && !allCapsRun && j - i === len && startsLine(text, first.start) && endsLine(text, last.end) && nextLineHasDigits(text, last.end)) {
      // A name alone on its line heading an address or contact block ("Przemek Kucharski\n\n12 …").
      score = 0.6
      evidence = 'letterhead'
    } else if (len >= 2 && len <= 3 && nUnknown === len && afterPerson()) {
      score = 0.6
      evidence = 'shape+verb'
    } else if (len >= 2 && len <= 3 && nUnknown === len && !first.sentenceStart && cue()) {
      score = 0.6
      evidence = 'shape+cue'
    }
    if (score > 0) {
      out.push({ type: 'PERSON', start, end, score, detail: { evidence } })
      return
    }
  }

  if (opts.location) {
    // Single places, or runs ending in a place ("Southern Tunisia" keeps the whole run).
    let placeAt = -1
    if (len === 1 && cls0 === 'first' && ((lex.places.has(first.lower) && locationCue()) || placePreposition())) placeAt = 0
    else {
      for (let k = be - 1; k >= bs; k--) {
        if (pool[k]!.cls === 'place') {
          placeAt = k - bs
          break
        }
      }
    }
    if (placeAt !== -1) {
      let allOk = true
      for (let k = 0; k < len; k++) {
        const c = pool[bs + k]!.cls
        if (k !== placeAt && c !== 'unknown' && c !== 'place' && c !== 'common') {
          allOk = false
          break
        }
      }
      const s = allOk ? start : pool[bs + placeAt]!.start
      const e = allOk ? end : pool[bs + placeAt]!.end
      const score = first.sentenceStart && len === 1 ? 0.7 : 0.8
      out.push({ type: 'LOCATION', start: s, end: e, score, detail: { evidence: 'lexicon' } })
      return
    }
    // Unknown capitalized words after a place preposition; all-caps only when too long for an acronym.
    if (nUnknown === len && (!allCapsRun || first.end - first.start >= 5) && !first.sentenceStart && len <= 3 && locationCue()) {
      out.push({ type: 'LOCATION', start, end, score: 0.5, detail: { evidence: 'shape+cue' } })
    }
  }
}
