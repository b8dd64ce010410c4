import { canonicalCode, collapseRepeats, foldText, isWordChar } from './fold.js'
import type { Severity } from './profanity-en.js'

/**
 * Word lists compiled for matching, and the tokenizer both the lists and the scanned text go
 * through. Matching is by whole token, so `class`, `assess` and `Scunthorpe` never contain a hit.
 */

export interface Entry {
  /** The term as the policy or the built-in list spells it. */
  term: string
  source: 'custom' | 'profanity'
  severity?: Severity
  /** Canonical tokens of the term (one for a word, several for a phrase). */
  tokens: readonly string[]
  /** Which endings also match: all inflections, the plural only, or none. */
  inflect: 'all' | 'plural' | 'none'
  ambiguous: boolean
}

export interface Match {
  entry: Entry
  /** Offsets in the folded text. */
  start: number
  end: number
  inflected: boolean
  /** Found in spaced-out or dotted single letters (`b a d`, `b.a.d`). */
  spaced: boolean
}

// Endings in canonical spelling (canonicalWord leaves these letters unchanged).
const SUFFIXES = ['ings', 'ing', 'ers', 'er', 'ed', 'es', 'in', 's'] as const
const PLURAL = new Set(['s', 'es'])
// Single letters separated by at most this many separators join into one word (`b  a  d`).
const MAX_JOIN_GAP = 3

// ASCII character classes for the tokenizer: letter, other word character (digit, leet symbol,
// `*` mask), and edge punctuation trimmed from both ends of a token (`sh!t` keeps its `!`).
const LETTER = 1
const WORD = 2
const EDGE = 4
const ASCII_CLASS = new Uint8Array(128)
for (let c = 0x61; c <= 0x7a; c++) ASCII_CLASS[c] = LETTER | WORD
for (let c = 0x30; c <= 0x39; c++) ASCII_CLASS[c] = WORD
for (const ch of '@$') ASCII_CLASS[ch.charCodeAt(0)] = WORD
for (const ch of '!*+|') ASCII_CLASS[ch.charCodeAt(0)] = WORD | EDGE

// Classes of non-ASCII code units, filled on first sight (bit 8 marks "known"): a \p{L} regex
// test per character would dominate the scan of a 2 KB text in Cyrillic, Hebrew or CJK.
const UNIT_CLASS = new Uint16Array(65536)
const KNOWN = 0x100

function charClass(c: number): number {
  if (c < 128) return ASCII_CLASS[c] as number
  let cls = UNIT_CLASS[c] as number
  if (cls === 0) {
    cls = KNOWN | (isWordChar(c) ? LETTER | WORD : 0)
    UNIT_CLASS[c] = cls
  }
  return cls & 0xff
}

/**
 * True when a unit ending at `end` and the next one starting at `next` are glued by one of
 * `. - _` (`sh.it`, `bull-shit`). Apostrophes are not glue: `he'll` is not `hell`.
 */
function isGlued(src: Uint16Array, end: number, next: number): boolean {
  if (next - end !== 1) return false
  const c = src[end] as number
  return c === 0x2e || c === 0x2d || c === 0x5f
}

/**
 * The first three distinct-run canonical characters of src[start, end), 5 low bits each:
 * a 15-bit table index (collisions only cost a needless lookup).
 */
function triKey(src: Uint16Array, start: number, end: number): number {
  let key = 0
  let n = 0
  let last = -1
  for (let i = start; i < end && n < 3; i++) {
    const c = canonicalCode(src[i] as number)
    if (c === last) continue
    last = c
    key = (key << 5) | (c & 31)
    n++
  }
  return key << (5 * (3 - n))
}

/** triKey of the string s[start, end). */
function triKeyOf(s: string, start: number, end: number): number {
  let key = 0
  let n = 0
  let last = -1
  for (let i = start; i < end && n < 3; i++) {
    const c = canonicalCode(s.charCodeAt(i))
    if (c === last) continue
    last = c
    key = (key << 5) | (c & 31)
    n++
  }
  return key << (5 * (3 - n))
}

/** True when `token` is `entry` with some characters stretched (`fuuuck`, `asss`), never fewer. */
function coversRuns(token: string, entry: string): boolean {
  let i = 0
  let j = 0
  while (i < token.length && j < entry.length) {
    const c = token[i]
    if (c !== entry[j]) return false
    let a = 0
    let b = 0
    while (i < token.length && token[i] === c) {
      i++
      a++
    }
    while (j < entry.length && entry[j] === c) {
      j++
      b++
    }
    // A letter doubled once is spelling (`shiite` is not `shite`); stretching takes three (`fuuuck`).
    if (a !== b && a < Math.max(3, b + 1)) return false
  }
  return i === token.length && j === entry.length
}

/**
 * Word units of one folded text in typed arrays, reused across scans (a scan is synchronous),
 * so a clean text allocates no per-word objects. A unit is a token, or a run of ≥ 3
 * single-letter tokens joined into one (`b a d`, `b.a.d`, `f-u-c-k`).
 */
export class Units {
  start = new Int32Array(256)
  end = new Int32Array(256)
  /** Index into `joined` for a joined run; PLAIN or MASKED (holds a `*`) for a token. */
  join = new Int32Array(256)
  length = 0
  joined: { canon: string; letters: number[] }[] = []

  reset(): void {
    this.length = 0
    this.joined.length = 0
  }

  push(start: number, end: number, join: number): void {
    if (this.length === this.start.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2)
        b.set(a)
        return b
      }
      this.start = grow(this.start)
      this.end = grow(this.end)
      this.join = grow(this.join)
    }
    this.start[this.length] = start
    this.end[this.length] = end
    this.join[this.length] = join
    this.length++
  }

  /** Canonical spelling of unit `i`. */
  canon(src: Uint16Array, i: number): string {
    const j = this.join[i] as number
    return j >= 0 ? (this.joined[j] as { canon: string }).canon : canonicalRange(src, this.start[i] as number, this.end[i] as number)
  }
}

const PLAIN = -1
const MASKED = -2
const tokenBuffer = new Units()
const unitBuffer = new Units()

/** canonicalWord of the folded code units src[start, end). */
function canonicalRange(src: Uint16Array, start: number, end: number): string {
  let out = ''
  for (let i = start; i < end; i++) out += String.fromCharCode(canonicalCode(src[i] as number))
  return out
}

/** Splits folded text src[0, n) into word tokens (numbers and symbol runs without a letter are skipped). */
function tokenize(src: Uint16Array, n: number, out: Units): Units {
  out.reset()
  const table = ASCII_CLASS
  let i = 0
  while (i < n) {
    const first = src[i] as number
    if (((first < 128 ? (table[first] as number) : charClass(first)) & WORD) === 0) {
      i++
      continue
    }
    let s = i
    let letter = false
    let mask = false
    let j = i
    while (j < n) {
      const c = src[j] as number
      const cls = c < 128 ? (table[c] as number) : charClass(c)
      if ((cls & WORD) === 0) break
      if (cls & LETTER) letter = true
      else if (c === 0x2a) mask = true
      j++
    }
    let e = j
    i = j
    if (!letter) continue
    while (s < e && (charClass(src[s] as number) & EDGE) !== 0) s++
    while (e > s && (charClass(src[e - 1] as number) & EDGE) !== 0) e--
    out.push(s, e, mask ? MASKED : PLAIN)
  }
  return out
}

function isJoinGap(src: Uint16Array, from: number, to: number): boolean {
  const gap = to - from
  if (gap < 1 || gap > MAX_JOIN_GAP) return false
  for (let k = from; k < to; k++) {
    const c = src[k] as number
    // A line break ends a run: letters on separate lines are a list, not a spelled-out word.
    if (c === 10 || c === 13) return false
  }
  return true
}

/** The word units of the folded code units src[0, n) (valid until the next call). */
export function wordUnits(src: Uint16Array, n: number): Units {
  const t = tokenize(src, n, tokenBuffer)
  const u = unitBuffer
  u.reset()
  let i = 0
  while (i < t.length) {
    const s = t.start[i] as number
    if ((t.end[i] as number) - s === 1) {
      let j = i + 1
      while (j < t.length && (t.end[j] as number) - (t.start[j] as number) === 1 && isJoinGap(src, t.end[j - 1] as number, t.start[j] as number)) j++
      if (j - i >= 3) {
        let canon = ''
        const letters: number[] = []
        for (let k = i; k < j; k++) {
          canon += String.fromCharCode(canonicalCode(src[t.start[k] as number] as number))
          letters.push(t.start[k] as number)
        }
        u.joined.push({ canon, letters })
        u.push(s, t.end[j - 1] as number, u.joined.length - 1)
        i = j
        continue
      }
    }
    u.push(s, t.end[i] as number, t.join[i] as number)
    i++
  }
  return u
}

/** The canonical tokens of a term (a list entry or an allow-list word). */
function canonicalTokens(term: string): string[] {
  const folded = foldText(term).text
  const src = new Uint16Array(folded.length)
  for (let i = 0; i < folded.length; i++) src[i] = folded.charCodeAt(i)
  const t = tokenize(src, src.length, new Units())
  const out: string[] = []
  for (let i = 0; i < t.length; i++) out.push(t.canon(src, i))
  return out
}

const FNV_OFFSET = 0x811c9dc5 | 0
const FNV_PRIME = 0x01000193
// 30-bit hashes are small integers: Set lookups box no number.
const HASH_MASK = 0x3fffffff
const prefixHashes = new Int32Array(4096)

/** FNV-1a (30 bits) of canonical(s[start, end)) with runs of one character cut to one. */
function collapsedHash(s: string, start: number, end: number): number {
  let h = FNV_OFFSET
  let last = -1
  for (let k = start; k < end; k++) {
    const c = canonicalCode(s.charCodeAt(k))
    if (c !== last) {
      h = Math.imul(h ^ c, FNV_PRIME)
      last = c
    }
  }
  return h & HASH_MASK
}

export class Lexicon {
  private readonly single = new Map<string, Entry[]>()
  private readonly phrases = new Map<string, Entry[]>()
  private readonly masked = new Map<number, Entry[]>()
  /** collapsedHash of every `single` key and of every `phrases` key: see mayMatch. */
  private readonly singleHashes = new Set<number>()
  private readonly phraseHashes = new Set<number>()
  private readonly allowed: Set<string>
  /** triKey of every entry and of every phrase's first word: a token whose key is absent cannot match. */
  private readonly tri = new Uint8Array(32768)
  private longest = 0
  /** Shortest canonical entry or phrase first word: shorter tokens cannot start a match. */
  private shortest = Number.MAX_SAFE_INTEGER

  constructor(allow: readonly string[]) {
    this.allowed = new Set(allow.map((w) => canonicalTokens(w).join('')).filter((w) => w.length > 0))
  }

  get size(): number {
    let n = 0
    for (const list of this.single.values()) n += list.length
    return n
  }

  /** Adds a word or phrase; terms that fold to nothing (punctuation only) are ignored. */
  add(term: string, source: Entry['source'], options: { severity?: Severity; ambiguous?: boolean; inflections?: boolean } = {}): void {
    const tokens = canonicalTokens(term)
    if (tokens.length === 0) return
    const ambiguous = options.ambiguous ?? false
    const inflect = options.inflections === false ? 'none' : ambiguous ? 'plural' : 'all'
    const entry: Entry = { term, source, tokens, inflect, ambiguous }
    if (options.severity) entry.severity = options.severity
    const whole = tokens.join('')
    if (this.allowed.has(whole)) return
    this.put(this.single, collapseRepeats(whole), entry)
    this.singleHashes.add(collapsedHash(whole, 0, whole.length))
    this.tri[triKeyOf(whole, 0, whole.length)] = 1
    this.tri[triKeyOf(tokens[0] as string, 0, (tokens[0] as string).length)] = 1
    this.longest = Math.max(this.longest, whole.length)
    this.shortest = Math.min(this.shortest, (tokens[0] as string).length)
    if (tokens.length > 1) {
      this.put(this.phrases, collapseRepeats(tokens[0] as string), entry)
      this.phraseHashes.add(collapsedHash(tokens[0] as string, 0, (tokens[0] as string).length))
    }
    else this.put(this.masked, whole.length, entry)
  }

  /**
   * Whether the plain token folded[start, end) (no `*`) can match an entry or start a phrase:
   * false guarantees that `lookup` of its canonical spelling finds nothing and that no phrase
   * starts with it, so the caller can skip building strings for it. Compares hashes of the
   * collapsed canonical spelling of the token, of the token minus each ending, and of the keys.
   */
  mayMatch(src: Uint16Array, start: number, end: number): boolean {
    const len = end - start
    // Tokens longer than the reused table (4 Ki units) get a table of their own.
    const ph = len < prefixHashes.length ? prefixHashes : new Int32Array(len + 1)
    let h = FNV_OFFSET
    let last = -1
    ph[0] = h & HASH_MASK
    for (let k = 0; k < len; k++) {
      const c = canonicalCode(src[start + k] as number)
      if (c !== last) {
        h = Math.imul(h ^ c, FNV_PRIME)
        last = c
      }
      ph[k + 1] = h & HASH_MASK
    }
    const whole = ph[len] as number
    if (this.singleHashes.has(whole) || this.phraseHashes.has(whole)) return true
    for (let q = 0; q < SUFFIXES.length; q++) {
      const suffix = SUFFIXES[q] as string
      const sl = suffix.length
      if (len - sl < 3) continue
      let ends = true
      for (let k = 0; k < sl && ends; k++) ends = canonicalCode(src[end - sl + k] as number) === suffix.charCodeAt(k)
      if (ends && this.singleHashes.has(ph[len - sl] as number)) return true
    }
    return false
  }

  private put<K>(map: Map<K, Entry[]>, key: K, entry: Entry): void {
    const list = map.get(key)
    if (list) list.push(entry)
    else map.set(key, [entry])
  }

  /** The entry `word` spells (with repeated letters, an inflection or `*` masks), if any. */
  lookup(word: string): { entry: Entry; inflected: boolean } | undefined {
    if (this.allowed.has(word)) return undefined
    const exact = this.find(word)
    if (exact) return { entry: exact, inflected: false }
    for (const suffix of SUFFIXES) {
      if (word.length - suffix.length < 3 || !word.endsWith(suffix)) continue
      const base = word.slice(0, -suffix.length)
      if (this.allowed.has(base)) continue
      const e = this.find(base, PLURAL.has(suffix) ? 'plural' : 'all')
      if (e) return { entry: e, inflected: true }
    }
    if (word.includes('*')) {
      const e = this.findMasked(word)
      if (e) return { entry: e, inflected: false }
    }
    return undefined
  }

  private find(word: string, ending?: 'plural' | 'all'): Entry | undefined {
    const list = this.single.get(collapseRepeats(word))
    if (!list) return undefined
    for (const e of list) {
      if (ending !== undefined && (e.inflect === 'none' || (e.inflect === 'plural' && ending === 'all'))) continue
      if (coversRuns(word, e.tokens.join(''))) return e
    }
    return undefined
  }

  /** `f*ck`, `sh**`: letters at both ends, `*` standing for single letters, at least half the letters shown. */
  private findMasked(word: string): Entry | undefined {
    if (word[0] === '*' || word.at(-1) === '*') return undefined
    let stars = 0
    for (const ch of word) if (ch === '*') stars++
    if (stars * 2 > word.length) return undefined
    for (const e of this.masked.get(word.length) ?? []) {
      const w = e.tokens[0] as string
      let ok = true
      for (let k = 0; k < word.length && ok; k++) ok = word[k] === '*' || word[k] === w[k]
      if (ok) return e
    }
    return undefined
  }

  /** Every match among the word units of one folded text, possibly overlapping. */
  matchAll(src: Uint16Array, u: Units): Match[] {
    const out: Match[] = []
    const starts = u.start
    const ends = u.end
    const joins = u.join
    const tri = this.tri
    const n = u.length
    let compoundEnd = 0
    for (let i = 0; i < n; i++) {
      const start = starts[i] as number
      const end = ends[i] as number
      const join = joins[i] as number
      if (join >= 0) {
        const { canon, letters } = u.joined[join] as { canon: string; letters: number[] }
        const hit = this.lookup(canon)
        if (hit) out.push({ entry: hit.entry, start, end, inflected: hit.inflected, spaced: true })
        else this.matchInsideJoined(canon, letters, out)
      } else {
        const maybe = join === MASKED || (end - start >= this.shortest && tri[triKey(src, start, end)] === 1)
        if (maybe) {
          // Strings only for tokens whose hashes say they may spell an entry.
          if (join === MASKED || this.mayMatch(src, start, end)) {
            const canon = u.canon(src, i)
            const hit = this.lookup(canon)
            if (hit) out.push({ entry: hit.entry, start, end, inflected: hit.inflected, spaced: false })
            if (this.phrases.size > 0) this.matchPhrases(src, u, i, canon, out)
          }
        } else if (i < compoundEnd || !isGlued(src, end, i + 1 < n ? (starts[i + 1] as number) : -1)) continue
        if (i >= compoundEnd) compoundEnd = this.matchCompound(src, u, i, out)
        continue
      }
      if (this.phrases.size > 0) this.matchPhrases(src, u, i, u.canon(src, i), out)
      if (i >= compoundEnd) compoundEnd = this.matchCompound(src, u, i, out)
    }
    return out
  }

  private gluedToNext(src: Uint16Array, u: Units, i: number): boolean {
    return i + 1 < u.length && isGlued(src, u.end[i] as number, u.start[i + 1] as number)
  }

  private matchPhrases(src: Uint16Array, u: Units, i: number, first: string, out: Match[]): void {
    const list = this.phrases.get(collapseRepeats(first))
    if (list === undefined) return
    for (const p of list) {
      const k = p.tokens.length
      if (i + k > u.length) continue
      let ok = true
      for (let q = 0; q < k && ok; q++) {
        const tok = q === 0 ? first : u.canon(src, i + q)
        const want = p.tokens[q] as string
        ok = collapseRepeats(tok) === collapseRepeats(want) && coversRuns(tok, want)
      }
      if (ok) out.push({ entry: p, start: u.start[i] as number, end: u.end[i + k - 1] as number, inflected: false, spaced: false })
    }
  }

  /** Units glued by single punctuation marks from `i` on (`sh.it`, `bull-shit`); returns the unit after the group. */
  private matchCompound(src: Uint16Array, u: Units, i: number, out: Match[]): number {
    let b = i + 1
    while (b < u.length && this.gluedToNext(src, u, b - 1)) b++
    if (b - i < 2) return b
    let canon = ''
    for (let k = i; k < b; k++) canon += u.canon(src, k)
    if (!canon.includes('*') && this.tri[triKeyOf(canon, 0, canon.length)] !== 1) return b
    const hit = this.lookup(canon)
    if (hit) out.push({ entry: hit.entry, start: u.start[i] as number, end: u.end[b - 1] as number, inflected: hit.inflected, spaced: false })
    return b
  }

  /** `i got a b a d grade`: the words hidden inside a run of single letters (longest first). */
  private matchInsideJoined(s: string, letters: readonly number[], out: Match[]): void {
    const window = this.longest + 4
    for (let a = 0; a < s.length; a++) {
      const limit = Math.min(s.length, a + window)
      // Most starts cannot begin any entry: one table probe instead of `window` lookups.
      if (this.tri[triKeyOf(s, a, limit)] !== 1) {
        // Later starts inside the same run of one letter see the same key until their window
        // reaches past the run (`ö ö ö ö …`): jump there instead of probing each.
        let runEnd = a + 1
        while (runEnd < s.length && s.charCodeAt(runEnd) === s.charCodeAt(a)) runEnd++
        a = Math.max(a, (runEnd < limit ? runEnd : runEnd - window) - 1)
        continue
      }
      for (let b = limit; b - a >= 3; b--) {
        const hit = this.lookup(s.slice(a, b))
        if (hit) {
          out.push({ entry: hit.entry, start: letters[a] as number, end: (letters[b - 1] as number) + 1, inflected: hit.inflected, spaced: true })
          a = b - 1
          break
        }
      }
    }
  }
}
