import { confusableTarget } from '../../core/confusables.js'
import { codesToString, isInvisibleCodePoint, type NormalizedText } from '../../core/normalize.js'

/**
 * Folding for word matching. `foldText` lower-cases, maps look-alike letters to Latin
 * (`bаd` with Cyrillic а → `bad`), strips diacritics and combining marks, applies NFKD
 * compatibility mappings (fullwidth, mathematical letters) and drops invisible characters,
 * keeping an offset map to the original text. `canonicalWord` then merges the characters a
 * writer can swap for each other (`1`/`l`/`i`, `0`/`o`, `@`/`4`/`a`, `$`/`5`/`s` …) so a
 * word list and a text folded the same way compare equal under leetspeak.
 */

const NON_ASCII_RE = /[^\x00-\x7f]/
const MARKS_RE = /\p{M}/gu


/**
 * Folded output with, per output code unit, the original span it came from. Like core's
 * OffsetMapBuilder, but code units go straight into typed arrays (no string per character),
 * which keeps a 2 KB prompt with hundreds of non-ASCII letters at a few microseconds.
 */
class FoldBuffer {
  codes: Uint16Array
  starts: Int32Array
  ends: Int32Array
  length = 0

  constructor(capacity: number) {
    this.codes = new Uint16Array(capacity)
    this.starts = new Int32Array(capacity)
    this.ends = new Int32Array(capacity)
  }

  private reserve(n: number): void {
    if (this.length + n <= this.codes.length) return
    const size = Math.max(this.codes.length * 2, this.length + n)
    const codes = new Uint16Array(size)
    const starts = new Int32Array(size)
    const ends = new Int32Array(size)
    codes.set(this.codes)
    starts.set(this.starts)
    ends.set(this.ends)
    this.codes = codes
    this.starts = starts
    this.ends = ends
  }

  /** Appends original[from, to) (ASCII), lower-cased, one unit per original unit. */
  pushAscii(text: string, from: number, to: number): void {
    this.reserve(to - from)
    const codes = this.codes
    const starts = this.starts
    const ends = this.ends
    let len = this.length
    for (let k = from; k < to; k++, len++) {
      const c = text.charCodeAt(k)
      codes[len] = c >= 65 && c <= 90 ? c + 32 : c
      starts[len] = k
      ends[len] = k + 1
    }
    this.length = len
  }

  /** Empties the buffer for reuse, with room for `capacity` units. */
  reset(capacity: number, max: number = Infinity): void {
    this.length = 0
    if (this.codes.length < capacity || this.codes.length > max) {
      this.codes = new Uint16Array(capacity)
      this.starts = new Int32Array(capacity)
      this.ends = new Int32Array(capacity)
    }
  }

  /** The map of build() without building the folded string (valid while the buffer is). */
  mapOnly(originalLength: number): NormalizedText {
    const { codes, starts, ends } = this
    const n = this.length
    return {
      get text() {
        return codesToString(codes, 0, n)
      },
      toOriginal(start: number, end: number) {
        if (n === 0) return { start: 0, end: 0 }
        const s = Math.max(0, Math.min(start, n - 1))
        const e = Math.max(s + 1, Math.min(end, n))
        return { start: starts[s] as number, end: Math.min(originalLength, ends[e - 1] as number) }
      },
    }
  }

  /** Appends `out`, every unit of which came from original [start, end). */
  push(out: string, start: number, end: number): void {
    this.reserve(out.length)
    for (let k = 0; k < out.length; k++) {
      this.codes[this.length] = out.charCodeAt(k)
      this.starts[this.length] = start
      this.ends[this.length] = end
      this.length++
    }
  }

  build(originalLength: number): NormalizedText {
    // Units are copied as they are: folding already turned lone surrogates into U+FFFD.
    const text = codesToString(this.codes, 0, this.length)
    const starts = this.starts
    const ends = this.ends
    return {
      text,
      toOriginal(start: number, end: number) {
        if (text.length === 0) return { start: 0, end: 0 }
        const s = Math.max(0, Math.min(start, text.length - 1))
        const e = Math.max(s + 1, Math.min(end, text.length))
        return { start: starts[s] as number, end: Math.min(originalLength, ends[e - 1] as number) }
      },
    }
  }
}

// Folded form of non-ASCII code points seen so far ('' for invisible ones): NFKD and the
// confusables table cost about a microsecond per character, a Map hit a few nanoseconds.
const foldCache = new Map<number, string>()
const FOLD_CACHE_MAX = 16_384

function foldCodePoint(cp: number): string {
  let folded = foldCache.get(cp)
  if (folded !== undefined) return folded
  if (isInvisibleCodePoint(cp)) folded = ''
  else if (cp >= 0xd800 && cp <= 0xdfff) folded = '\uFFFD'
  else {
    folded = confusableTarget(cp) ?? ''
    if (folded === '') {
      const decomposed = String.fromCodePoint(cp).normalize('NFKD').replace(MARKS_RE, '').toLowerCase()
      for (const ch of decomposed) folded += confusableTarget(ch.codePointAt(0) as number) ?? ch
    }
  }
  if (foldCache.size < FOLD_CACHE_MAX) foldCache.set(cp, folded)
  return folded
}

// A surrogate pair (one astral character) or any other single non-ASCII code unit.
const NON_ASCII_G = /[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\x00-\x7f]/g

function identityFold(text: string): NormalizedText {
  return { text, toOriginal: (start, end) => ({ start, end }) }
}

// Per code point: its lower case, folded, when both keep its length in code units (so the
// map stays the identity); '' when the fold changes the length; null when the lower case does.
const sameLengthCache = new Map<number, string | null>()

function sameLengthFold(cp: number, width: number): string | null {
  let f = sameLengthCache.get(cp)
  if (f !== undefined) return f
  const lower = (width === 1 ? String.fromCharCode(cp) : String.fromCodePoint(cp)).toLowerCase()
  f = null
  if (lower.length === width) {
    const c0 = lower.charCodeAt(0)
    if (width === 1) f = c0 < 0x80 ? lower : foldCodePoint(c0)
    else {
      const lcp = lower.codePointAt(0) as number
      if (lcp > 0xffff) f = foldCodePoint(lcp)
    }
    // '' marks a fold to another length (a same-length fold is never empty).
    if (f !== null && f.length !== width) f = ''
  }
  if (sameLengthCache.size < FOLD_CACHE_MAX) sameLengthCache.set(cp, f)
  return f
}

/** Folded code units of one text, in a buffer reused by the next call (see foldToCodes). */
export interface FoldedCodes {
  codes: Uint16Array
  length: number
  /** Maps folded offsets to the text's; undefined when the fold kept every offset. */
  map: NormalizedText | undefined
}

const scratch: FoldedCodes = { codes: new Uint16Array(0), length: 0, map: undefined }

// Texts longer than this get a buffer of their own, so one huge input does not stay pinned.
const SCRATCH_MAX = 1 << 15
const smallCodes = new Uint16Array(SCRATCH_MAX)
// foldToCodes's buffer when offsets move (texts up to SCRATCH_MAX - 16 units).
const slowScratch = new FoldBuffer(4096)

function reserveScratch(n: number): Uint16Array {
  scratch.codes = n <= SCRATCH_MAX ? smallCodes : new Uint16Array(n)
  return scratch.codes
}

const SAME = 0
/** The same-length attempt of foldText would fail: some character folds to another length. */
const LONGER = 1
/** Undecided here (a capital sigma, or a lower case of another length): take foldText's path. */
const UNKNOWN = 2

/**
 * The common case of folding, in one pass without intermediate strings: every character,
 * lower-cased then folded, keeps its length, so the map is the identity. Writes the folded
 * units into `codes` and returns SAME, or tells why not.
 */
function foldSameLength(text: string, codes: Uint16Array): number {
  const n = text.length
  // Σ lower-cases by context (final sigma); every other lower case is per character.
  if (text.indexOf('\u03A3') >= 0) return UNKNOWN
  let result = SAME
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c < 0x80) {
      codes[i] = c >= 65 && c <= 90 ? c + 32 : c
      i++
      continue
    }
    let cp = c
    let width = 1
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const low = text.charCodeAt(i + 1)
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = ((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000
        width = 2
      }
    }
    const f = sameLengthFold(cp, width)
    if (f === null) return UNKNOWN
    if (f === '') result = LONGER
    else {
      codes[i] = f.charCodeAt(0)
      if (width === 2) codes[i + 1] = f.charCodeAt(1)
    }
    i += width
  }
  return result
}

/**
 * `foldText(text)` as code units in a reused buffer (valid until the next call), without
 * building the folded string when offsets do not move (pure ASCII, or every character folds
 * to as many units as it had).
 */
export function foldToCodes(text: string): FoldedCodes {
  const n = text.length
  const codes = reserveScratch(n)
  scratch.length = n
  scratch.map = undefined
  if (!NON_ASCII_RE.test(text)) {
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i)
      codes[i] = c >= 65 && c <= 90 ? c + 32 : c
    }
    return scratch
  }
  const same = foldSameLength(text, codes)
  if (same === SAME) return scratch
  if (same === LONGER && n + 16 <= SCRATCH_MAX) {
    // foldText would take its general path: run it into the reused buffer, no string.
    // (A buffer that grew past the cap on expanding folds is replaced, not kept.)
    slowScratch.reset(0, SCRATCH_MAX)
    const buf = foldInto(text, slowScratch)
    scratch.codes = buf.codes
    scratch.length = buf.length
    scratch.map = buf.mapOnly(n)
    return scratch
  }
  const folded = foldText(text)
  const t = folded.text
  const out = reserveScratch(t.length)
  for (let i = 0; i < t.length; i++) out[i] = t.charCodeAt(i)
  scratch.length = t.length
  scratch.map = folded
  return scratch
}

/** Folds `text` for matching; the result keeps a map to UTF-16 offsets of `text`. */
export function foldText(text: string): NormalizedText {
  if (!NON_ASCII_RE.test(text)) return identityFold(text.toLowerCase())
  const codes = reserveScratch(text.length)
  const same = foldSameLength(text, codes)
  if (same === SAME) return identityFold(codesToString(codes, 0, text.length))
  // Common case: every non-ASCII character folds to as many code units as it had (é → e,
  // Cyrillic а → a, an emoji to itself), so offsets do not move and the map is the identity.
  // (foldSameLength decides this without strings unless a capital sigma is present.)
  const lower = same === UNKNOWN ? text.toLowerCase() : ''
  if (same === UNKNOWN && lower.length === text.length) {
    let sameLength = true
    const folded = lower.replace(NON_ASCII_G, (ch) => {
      const f = foldCodePoint(ch.codePointAt(0) as number)
      if (f.length === ch.length) return f
      sameLength = false
      return ch
    })
    if (sameLength) return identityFold(folded)
  }
  return foldInto(text, new FoldBuffer(text.length + 16)).build(text.length)
}

/** foldText's general path: folded units and their spans, written into `out`. */
function foldInto(text: string, out: FoldBuffer): FoldBuffer {
  const n = text.length
  out.reset(n + 16)
  let run = 0
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c < 0x80) {
      i++
      continue
    }
    if (i > run) out.pushAscii(text, run, i)
    const start = i
    let cp = c
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const low = text.charCodeAt(i + 1)
      if (low >= 0xdc00 && low <= 0xdfff) cp = ((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000
    }
    i += cp > 0xffff ? 2 : 1
    run = i
    out.push(foldCodePoint(cp), start, i)
  }
  if (n > run) out.pushAscii(text, run, n)
  return out
}

// Characters merged by canonicalWord: each maps to the first of its group (ASCII only).
const CANON_CODE = new Uint16Array(128)
for (let c = 0; c < 128; c++) CANON_CODE[c] = c
for (const group of ['i1l|!', 'o0', 'e3', 'a4@', 's5$', 't7+', 'b8', 'g9']) {
  for (const ch of group) CANON_CODE[ch.charCodeAt(0)] = group.charCodeAt(0)
}

/** Canonical form of one folded UTF-16 code unit. */
export function canonicalCode(c: number): number {
  return c < 128 ? (CANON_CODE[c] as number) : c
}

/** Canonical spelling of a folded token: leet digits and symbols merged with the letters they imitate. */
export function canonicalWord(token: string): string {
  let out = ''
  for (let i = 0; i < token.length; i++) out += String.fromCharCode(canonicalCode(token.charCodeAt(i)))
  return out
}

/** `token` with runs of one repeated character cut to one (`fuuuck` → `fuck`). */
export function collapseRepeats(token: string): string {
  let out = ''
  let last = -1
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i)
    if (c !== last) out += token[i]
    last = c
  }
  return out
}

/** True for characters that can be part of a word after folding: letters, digits, leet symbols, `*` masks. */
export function isWordChar(c: number): boolean {
  if (c < 0x80) {
    return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x40 || c === 0x24 || c === 0x21 || c === 0x7c || c === 0x2b || c === 0x2a
  }
  return c !== 0xfffd && LETTER_RE.test(String.fromCharCode(c))
}

const LETTER_RE = /\p{L}/u
