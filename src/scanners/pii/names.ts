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
const SPEAKER_LABEL = /^:[ \t]*[\p{Lu}"“]/u
const AFTER_PERSON = /^(?:'s\b|’s\b|\s*,?\s*(?:is|was|has|had|said|says|wrote|writes|asked|told|thinks|thought|who|lives|lived|will|would|shouted|listed|explained|works|worked|joined|went|wants|wanted|called|replied|added|noted|died|married)\b)/

// Capitalized words, and the lower-case words a name or a firm name may contain. Only these
// become tokens: a 2 KB prompt yields tens of tokens, not hundreds.
// The first class is a cheap superset of upper-case letters; tokenize() keeps true capitals.
const TOKEN_RE = /[A-Z\u00C0-\u024F\u0370-\u052F\u1E00-\u1FFF][\p{L}\p{M}'’-]*|(?:van|von|der|den|de|del|della|di|da|dos|das|du|la|le|bin|ibn|al|el|ter|ten|and)(?![\p{L}\p{M}])/gu
const BOUNDARY = new Set(['.', '!', '?', ':', ';', '"', '“', '(', '•', '*', '>', '-', '\n', '\r', '\t'])

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
    const c = text[i] as string
    if (c === ' ') continue
    return BOUNDARY.has(c)
  }
  return true
}

function tokenize(text: string, lex: NameLexicon): Token[] {
  const tokens: Token[] = []
  TOKEN_RE.lastIndex = 0
  for (let m = TOKEN_RE.exec(text); m !== null; m = TOKEN_RE.exec(text)) {
    // Inside a word ("iPhone"), or glued to a code: not a token start.
    if (m.index > 0) {
      const prev = text.charCodeAt(m.index - 1)
      if (continuesWord(prev) || isCodeChar(prev)) continue
    }
    let word = m[0]
    let last = word.charCodeAt(word.length - 1)
    while (last === 45 || last === 39 || last === 0x2019) {
      word = word.slice(0, -1)
      last = word.charCodeAt(word.length - 1)
    }
    if (word.length === 0) continue
    // Part of a code or an encoded blob ("ORD-2022-385083", "…5yn1Wy8h4…"): not a word.
    const after = m.index + word.length
    if (after < text.length) {
      const next = text.charCodeAt(after)
      if (isCodeChar(next) || (next === 45 && after + 1 < text.length && isDigitCode(text.charCodeAt(after + 1)))) continue
    }
    const c0 = word.charCodeAt(0)
    const lower = word.toLowerCase()
    const cap = c0 < 128 ? c0 >= 65 && c0 <= 90 : lower.charCodeAt(0) !== c0
    if (!cap && c0 >= 0xc0) continue
    tokens.push({
      start: m.index,
      end: m.index + word.length,
      lower,
      cls: classify(lex, lower),
      cap,
      allCaps: cap && word.length > 1 && word === word.toUpperCase(),
      sentenceStart: startsSentence(text, m.index),
    })
  }
  return tokens
}

function classify(lex: NameLexicon, lower: string): WordClass {
  const known = lex.classOf.get(lower)
  if (known !== undefined) return known
  // Contractions and possessives take the class of their stem ("I'm", "Let's", "Paris's").
  const apostrophe = lower.search(/['’]/)
  if (apostrophe > 0) return lex.classOf.get(lower.slice(0, apostrophe)) ?? 'unknown'
  return 'unknown'
}

/** Whether two consecutive tokens are separated only by spaces (same line), or by ". " after an initial ("J. Smith"). */
function joined(text: string, a: Token, b: Token): boolean {
  const gap = b.start - a.end
  if (a.end - a.start === 1 && a.cap && text[a.end] === '.') return gap >= 2 && gap <= 3 && text.slice(a.end + 1, b.start).trim() === ''
  for (let i = a.end; i < b.start; i++) if (text[i] !== ' ') return false
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
  const tokens = tokenize(text, lex)
  let i = 0
  while (i < tokens.length) {
    const t = tokens[i] as Token
    if (!t.cap) {
      i++
      continue
    }
    // Collect a run of capitalized tokens (with name particles inside), same line, ≤ 5 tokens.
    let j = i + 1
    while (j < tokens.length && j - i < 5) {
      const n = tokens[j] as Token
      if (!joined(text, tokens[j - 1] as Token, n)) break
      if (n.cap) j++
      else if (NAME_PARTICLES.has(n.lower) && j + 1 < tokens.length && (tokens[j + 1] as Token).cap && joined(text, n, tokens[j + 1] as Token)) j += 2
      else break
    }
    // Fast path: a lone common word names nothing unless a "Surname, Given" pair starts here.
    if (j === i + 1 && (t.cls === 'common' || t.cls === 'org' || t.cls === 'not')) {
      const n = tokens[j]
      if (n === undefined || n.start !== t.end + 2 || text[t.end] !== ',') {
        i = j
        continue
      }
    }
    let run = tokens.slice(i, j)
    // "Surname, Given" (records, forms): one token, a comma, one first name.
    const next = tokens[j]
    const surname = run[run.length - 1] as Token
    const leadIsCommon = run.slice(0, -1).every((t) => { const c = t.cls; return c === 'common' || c === 'not' })
    if (leadIsCommon && next !== undefined && next.cap && text.slice(surname.end, next.start) === ', ' && lex.firstNames.has(next.lower) && !lex.firstNames.has(surname.lower)) {
      const after = tokens[j + 1]
      const afterNext = tokens[j + 2]
      const cls = surname.cls
      // Not a list of names ("Hawkins, Richardson and Santana"): the pair must not continue with "and X" / ", X".
      const gapAfter = after === undefined ? '' : text.slice(next.end, after.start)
      const listy = after !== undefined && ((after.lower === 'and' && gapAfter === ' ' && afterNext !== undefined && afterNext.cap) || (after.cap && !after.allCaps && gapAfter === ', '))
      if ((cls === 'last' || cls === 'unknown') && !listy && (next.end >= text.length || !/^[ ]\p{Lu}/u.test(text.slice(next.end, next.end + 2)))) {
        out.push({ type: 'PERSON', start: surname.start, end: next.end, score: 0.8, detail: { evidence: 'surname-comma-given' } })
        i = j + 1
        continue
      }
    }
    // Organizations named after people ("Hawkins, Richardson and Santana", "Jones Orchestra", "Civic Impulse LLC").
    if (isOrganizationRun(text, lex, tokens, i, j)) {
      const k = skipOrganization(text, tokens, j)
      organizations?.push([tokens[i]!.start, tokens[k - 1]!.end])
      i = k
      continue
    }
    run = tokens.slice(i, j)
    classifyRun(text, lex, tokens, i, run, opts, out)
    i = j
  }
}

function isOrganizationRun(text: string, lex: NameLexicon, tokens: Token[], i: number, j: number): boolean {
  const last = tokens[j - 1] as Token
  if (j - i >= 2 && (lex.orgWords.has(last.lower) || STREET_TYPES.has(last.lower))) return true
  // "A, B and C" where the tokens are capitalized names: a firm.
  const next = tokens[j]
  if (next !== undefined && next.cap && text.slice(last.end, next.start) === ', ') {
    const third = tokens[j + 1]
    const fourth = tokens[j + 2]
    if (third !== undefined && third.lower === 'and' && fourth !== undefined && fourth.cap) return true
  }
  return false
}

/** Skips the rest of an organization name: following ", X and Y" parts and capitalized words. */
function skipOrganization(text: string, tokens: Token[], j: number): number {
  let k = j
  while (k < tokens.length) {
    const t = tokens[k] as Token
    const prev = tokens[k - 1] as Token
    const gap = text.slice(prev.end, t.start)
    if ((t.cap || t.lower === 'and') && (gap === ' ' || gap === ', ')) k++
    else break
  }
  return k
}

function classifyRun(text: string, lex: NameLexicon, tokens: Token[], index: number, run: Token[], opts: NameFinderOptions, out: RawEntity[]): void {
  const prev = index > 0 ? (tokens[index - 1] as Token) : undefined
  // Honorific right before ("Dr. Jane Doe", "Mr Smith").
  const honorific = prev !== undefined && lex.honorifics.has(prev.lower) && (prev.cap || text[prev.end] === '.') && /^\.?\s{1,2}$/.test(text.slice(prev.end, run[0]!.start))
  // Leading honorific inside the run: split it off.
  let body = run
  let hon = honorific
  while (body.length > 1 && lex.honorifics.has(body[0]!.lower) && body[0]!.lower.length <= 5) {
    body = body.slice(1)
    hon = true
  }
  // Drop leading words that cannot start a name or place: calendar words, demonyms, and
  // capitalized common words ("I'm Naomi Ryan", "Producer James Sparks", "The Hague" is kept
  // by the multi-word place check below).
  const fullPhrase = body.map((t) => t.lower).join(' ')
  if (!lex.places.has(fullPhrase)) {
    while (body.length > 1 && (body[0]!.cls === 'common' || body[0]!.cls === 'not')) {
      body = body.slice(1)
      if (lex.honorifics.has(body[0]!.lower) && body.length > 1) {
        body = body.slice(1)
        hon = true
      }
    }
  }
  if (!lex.places.has(fullPhrase)) {
    while (body.length > 0 && body[0]!.cls === 'not') body = body.slice(1)
    while (body.length > 0 && body[body.length - 1]!.cls === 'not') body = body.slice(0, -1)
  }
  // A lone letter is an initial or a symbol ("C++"), not a name or a place.
  if (body.length === 0 || (body.length === 1 && body[0]!.end - body[0]!.start === 1)) return
  const classes = body.map((t) => t.cls)
  // Most capitalized words in a prompt are sentence-initial common words: nothing to find.
  if (body.length === 1 && (classes[0] === 'common' || classes[0] === 'org') && !hon) return
  const first = body[0] as Token
  const last = body[body.length - 1] as Token
  // Context tests are regexes over the surrounding text: computed only when a rule needs them.
  let leftCache: string | undefined
  const leftText = (): string => (leftCache ??= text.slice(Math.max(0, first.start - 30), first.start).toLowerCase())
  let strongCache: boolean | undefined
  let cueCache: boolean | undefined
  const strongCue = (): boolean => (strongCache ??= STRONG_PERSON_CUE.test(leftText()))
  const cue = (): boolean => (cueCache ??= strongCue() || PERSON_CUE.test(leftText()))
  const afterPerson = (): boolean => AFTER_PERSON.test(text.slice(last.end, last.end + 16))
  const locationCue = (): boolean => LOCATION_CUE.test(leftText())
  const placePreposition = (): boolean => PLACE_PREPOSITION.test(leftText())
  const start = first.start
  const end = last.end
  const allCapsRun = body.every((t) => t.allCaps)

  // Multi-word places first ("New York", "Buenos Aires"), then single-word places.
  if (opts.location) {
    const phrase = body.map((t) => t.lower).join(' ')
    if (body.length > 1 && lex.places.has(phrase)) {
      out.push({ type: 'LOCATION', start, end, score: 0.85, detail: { evidence: 'lexicon' } })
      return
    }
  }

  const nameLike = classes.every((c) => c === 'first' || c === 'last' || c === 'unknown')
  const hasFirst = classes[0] === 'first'
  const hasLast = classes.includes('last')

  if (opts.person && !allCapsRun) {
    let score = 0
    let evidence = ''
    if (hon && classes.every((c) => c !== 'place' && c !== 'org' && c !== 'common')) {
      score = 0.9
      evidence = 'honorific'
    } else if (body.length <= 4 && strongCue() && body.length <= 4 && classes.every((c) => c !== 'place' && c !== 'org' && c !== 'not')) {
      score = classes.some((c) => c === 'common') ? 0.6 : 0.9
      evidence = 'cue'
    } else if (body.length >= 2 && nameLike && (hasFirst || hasLast)) {
      score = hasFirst && hasLast ? 0.9 : hasFirst ? 0.85 : classes[classes.length - 1] === 'last' ? 0.75 : 0.55
      evidence = 'lexicon'
    } else if (body.length === 2 && hasFirst && classes[1] === 'common' && !lex.orgWords.has(last.lower) && !lex.placeWords.has(last.lower) && !STREET_TYPES.has(last.lower) && !last.allCaps) {
      // A first name and a capitalized word that is also a common noun ("James Sparks", "Zoe Young").
      score = 0.6
      evidence = 'lexicon'
    } else if (body.length === 1 && !first.allCaps && (classes[0] === 'unknown' || classes[0] === 'first') && startsLine(text, first.start) && SPEAKER_LABEL.test(text.slice(last.end, last.end + 4)) && dialogueSpeakers(text, lex) >= 2) {
      // A speaker label in a transcript with at least two named speakers ("Nicole: Remember me?").
      score = 0.6
      evidence = 'speaker'
    } else if (body.length === 1 && classes[0] === 'first' && !((lex.places.has(first.lower) && locationCue()) || placePreposition())) {
      score = first.sentenceStart ? (cue() || afterPerson() ? 0.6 : 0.4) : 0.7
      evidence = 'lexicon'
    } else if (body.length === 1 && classes[0] === 'last' && !first.sentenceStart && (cue() || afterPerson())) {
      score = 0.6
      evidence = 'lexicon+cue'
    } else if (body.length === 3 && body[1]!.end - body[1]!.start === 1 && classes[0] !== 'common' && classes[2] !== 'common' && classes[0] !== 'place' && classes[2] !== 'place') {
      // Given name, middle initial, surname ("Ravil G Yefimov", "Sari J. Paavolainen").
      score = 0.8
      evidence = 'initial'
    } else if (body.length >= 2 && body.length <= 3 && classes.every((c) => c === 'unknown' || c === 'first' || c === 'last') && !allCapsRun && run.length === body.length && startsLine(text, first.start) && endsLine(text, last.end) && nextLineHasDigits(text, last.end)) {
      // A name alone on its line heading an address or contact block ("Przemek Kucharski\n\n12 …").
      score = 0.6
      evidence = 'letterhead'
    } else if (body.length >= 2 && body.length <= 3 && classes.every((c) => c === 'unknown') && afterPerson()) {
      score = 0.6
      evidence = 'shape+verb'
    } else if (body.length >= 2 && body.length <= 3 && classes.every((c) => c === 'unknown') && !first.sentenceStart && cue()) {
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
    const placeAt = body.length === 1 && classes[0] === 'first' && ((lex.places.has(first.lower) && locationCue()) || placePreposition()) ? 0 : classes.lastIndexOf('place')
    if (placeAt !== -1) {
      const allOk = classes.every((c, k) => k === placeAt || c === 'unknown' || c === 'place' || c === 'common')
      const s = allOk ? start : body[placeAt]!.start
      const e = allOk ? end : body[placeAt]!.end
      const score = first.sentenceStart && body.length === 1 ? 0.7 : 0.8
      out.push({ type: 'LOCATION', start: s, end: e, score, detail: { evidence: 'lexicon' } })
      return
    }
    // Unknown capitalized words after a place preposition; all-caps only when too long for an acronym.
    if (classes.every((c) => c === 'unknown') && (!allCapsRun || first.end - first.start >= 5) && !first.sentenceStart && body.length <= 3 && locationCue()) {
      out.push({ type: 'LOCATION', start, end, score: 0.5, detail: { evidence: 'shape+cue' } })
    }
  }
}
