/**
 * Finds and decodes payloads embedded in a text: base64 (standard and URL-safe), hex
 * (`\x41`, `0x41`, plain hex runs), URL-encoding (`%41`), HTML entities and rot13. A decoded
 * payload is kept only when it reads as text (mostly printable, with letters), so hashes, ids
 * and binary blobs do not become segments. Decoded text is decoded again, up to `maxDepth`.
 *
 * Cost is linear in the text: every pattern is a single character-class run or a literal-led
 * repetition (no nested ambiguous quantifiers), candidates and outputs are capped.
 */
import { printableRatio } from './normalize.js'

export type PayloadKind = 'base64' | 'hex' | 'binary' | 'morse' | 'url' | 'html_entities' | 'rot13' | 'split'

export interface DecodedSegment {
  /** The encoding of the innermost layer that produced `text`. */
  readonly kind: PayloadKind
  /** The decoding chain from outside in, e.g. `base64` or `base64>hex`. */
  readonly via: string
  /** The decoded text. */
  readonly text: string
  /** UTF-16 offset where the encoded payload starts in the ORIGINAL text (inclusive). */
  readonly start: number
  /** UTF-16 offset where the encoded payload ends in the ORIGINAL text (exclusive). */
  readonly end: number
  /** 1 for a payload found in the original text, 2 for one found inside a decoded payload. */
  readonly depth: number
}

export interface DecodeOptions {
  /** Nesting depth: 1 decodes payloads of the original text only. Default 2. */
  maxDepth?: number
  /** At most this many segments are returned. Default 16. */
  maxSegments?: number
  /** Candidates longer than this (UTF-16 units) are not decoded. Default 65,536. */
  maxPayloadChars?: number
}

const ESC_HEX_RE = /(?:\\x[0-9a-fA-F]{2}){4,}/g
const OX_HEX_RE = /(?:0[xX][0-9a-fA-F]{2}[\s,;]{0,2}){4,}/g
const BINARY_RE = /(?:[01]{8}[ ,]?){4,}/g
const PERCENT_RE = /%[0-9A-Fa-f]{2}/g
const ENTITY_RE = /&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/g
const ENTITY_REPLACE_RE = /&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/g

// Character classes for the shape scan, one table lookup per character.
const B64 = 1
const HEX = 2
const COMMON = 4 // e t a o (either case): frequent in English
const SHIFTED = 8 // r g n b: what e t a o become under rot13
const CLASS = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c)
  if (/[A-Za-z0-9+/_-]/.test(ch)) CLASS[c] = (CLASS[c] as number) | B64
  if (/[0-9A-Fa-f :]/.test(ch)) CLASS[c] = (CLASS[c] as number) | HEX
  if (/[etaoETAO]/.test(ch)) CLASS[c] = (CLASS[c] as number) | COMMON
  if (/[rgnbRGNB]/.test(ch)) CLASS[c] = (CLASS[c] as number) | SHIFTED
}

/** Candidate runs of one text, in arrays reused from call to call (read up to the counts). */
interface Shapes {
  /** [start, end) pairs of base64-alphabet runs of ≥ 16 characters. */
  base64: number[]
  base64Count: number
  /** [start, end) pairs of hex-digit/space/colon runs of ≥ 16 characters. */
  hex: number[]
  hexCount: number
  /** [start, end) pairs of lines whose letter frequencies look like rot13 English. */
  rot13Lines: number[]
  rot13Count: number
}

const SHAPES: Shapes = { base64: [], base64Count: 0, hex: [], hexCount: 0, rot13Lines: [], rot13Count: 0 }

/** One pass over the char codes: candidate runs for base64 and hex, and the rot13 line gate. */
function scanShapes(text: string, limit: number): Shapes {
  const shapes = SHAPES
  shapes.base64Count = 0
  shapes.hexCount = 0
  shapes.rot13Count = 0
  const n = Math.min(text.length, limit)
  let b64Start = -1
  let hexStart = -1
  let lineStart = 0
  let common = 0
  let shifted = 0
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 0x0a
    const k = c < 128 ? (CLASS[c] as number) : 0
    if (k & B64) {
      if (b64Start < 0) b64Start = i
    } else if (b64Start >= 0) {
      if (i - b64Start >= 16) {
        shapes.base64[shapes.base64Count++] = b64Start
        shapes.base64[shapes.base64Count++] = i
      }
      b64Start = -1
    }
    if (k & HEX) {
      if (hexStart < 0) hexStart = i
    } else if (hexStart >= 0) {
      if (i - hexStart >= 16) {
        shapes.hex[shapes.hexCount++] = hexStart
        shapes.hex[shapes.hexCount++] = i
      }
      hexStart = -1
    }
    if (k & COMMON) common++
    else if (k & SHIFTED) shifted++
    else if (c === 0x0a) {
      // English is rich in e/t/a/o; rot13 English in r/g/n/b.
      if (shifted >= 5 && shifted >= 0.7 * common) {
        shapes.rot13Lines[shapes.rot13Count++] = lineStart
        shapes.rot13Lines[shapes.rot13Count++] = i
      }
      lineStart = i + 1
      common = 0
      shifted = 0
    }
  }
  return shapes
}

/** True when `s` reads as text: ≥ 90 % printable, ≥ 60 % letters/spaces, at least one 2-letter run. */
export function looksLikeText(s: string): boolean {
  if (s.length < 4 || s.includes('\uFFFD')) return false
  if (printableRatio(s) < 0.9) return false
  let letters = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x20 || c > 0x7f) letters++
  }
  return letters / s.length >= 0.6 && /[A-Za-z\u00C0-\uFFFF]{2}/.test(s)
}

function decodeBase64(s: string): string | undefined {
  const body = s.replace(/=+$/, '')
  if (body.length % 4 === 1) return undefined
  // Pure letters of one case are words or identifiers, not base64 of text (which mixes case).
  if (/^[a-z]+$/.test(body) || /^[A-Z]+$/.test(body)) return undefined
  const out = Buffer.from(body, 'base64').toString('utf8')
  return looksLikeText(out) ? out : undefined
}

function decodeHexDigits(digits: string): string | undefined {
  if (digits.length < 8) return undefined
  const even = digits.length % 2 === 0 ? digits : digits.slice(0, -1)
  const out = Buffer.from(even, 'hex').toString('utf8')
  return looksLikeText(out) ? out : undefined
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

function decodeEntity(e: string): string {
  const body = e.slice(1, -1)
  if (body[0] === '#') {
    const cp = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10)
    return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : e
  }
  return NAMED_ENTITIES[body.toLowerCase()] ?? e
}

/**
 * Words that are frequent in English prompts and attacks. rot13 is invisible by shape, so a
 * line is taken as rot13 when its rot13 reading contains many of these words while the line
 * itself does not.
 */
const DICTIONARY = new Set(
  (
    'the a an and or but if then to of in on at by for with from as is are was were be been am it this that these those ' +
    'you your yours i me my we our us they them their he she his her not no do does did done can could will would should ' +
    'must may might shall have has had what which who how why when where all any every some each now new now just only ' +
    'please tell say said write print show give make let know here there than so very more most about into over after before ' +
    'ignore ignoring disregard forget previous prior above earlier instructions instruction rules rule prompt system ' +
    'reveal password secret secrets assistant model answer respond response reply output text message instead follow ' +
    'following task following act pretend role mode developer admin access granted denied bypass override restrictions ' +
    'filter filters safety policy policies guidelines jailbreak unrestricted anything everything nothing something ' +
    'tell repeat words word begin start stop end code key token user users data confidential hidden initial original ' +
    'how make bomb weapon hack kill steal money character stay unfiltered uncensored chatgpt openai content generate ' +
    'game play rules pretend roleplay simulate answer question questions never always must ethical moral illegal harmful ' +
    'guidelines format start begin reply say print called named going ' +
    // Frequent words of written English, so whole rot13 documents (emails, code answers) read as such.
    'get got go come one well good see take where them some really down little way our too over need mean very off ' +
    'sorry has thank love people sure thing because two doing much help into first find put great thought day work ' +
    'life better again still home other away last keep told things after long name old place fine kind lot years made ' +
    'leave hear through three remember coming wrong might another wanted enough happened course being care getting ' +
    'mind left ask understand which try came own world next else trying someone real room morning hold yourself today ' +
    'looking same job best found pretty ready whole seen together minute many idea without most run while once live ' +
    'used use myself took yet called problem watch bring actually business says hope open already since looks hard ' +
    'wants turn days few until both having face second case thinking probably hand check year hit lost minutes late ' +
    'phone part easy under deal soon four pay happen true each eat working exactly whatever knows gave young chance ' +
    'read makes number taking change anyway week point hands fun bit set cut comes break far times close means goes ' +
    'different least important also line office quite against side six half pick reason almost buy truth behind ' +
    'started speak along either though front sometimes trust free book between fact brought clear its full news ' +
    'months save hour country needs able perfect order living food sound safe date email subject dear regards team ' +
    'thanks hello please following below function file value values list return class import error example using ' +
    'use type string number object method version install run test result results table information customer ' +
    'account payment order company product service update review price total include included add changes'
  ).split(' '),
)

const ROT13_DICTIONARY = new Set([...DICTIONARY].map(rot13))

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
}

/** FNV-1a of a lower-case ASCII word (as findRot13 hashes text, folding case). */
function lowerWordHash(w: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193)
  return h >>> 0
}

// Words of DICTIONARY and ROT13_DICTIONARY by hash.
const DICTIONARY_BY_HASH = new Map<number, string[]>()
for (const w of new Set([...DICTIONARY, ...ROT13_DICTIONARY])) {
  const h = lowerWordHash(w)
  const list = DICTIONARY_BY_HASH.get(h)
  if (list) list.push(w)
  else DICTIONARY_BY_HASH.set(h, [w])
}

/**
 * For the ASCII letters text[start, start + len) with case-folded hash `h`: 1 when the
 * lower-case word is in DICTIONARY, 2 when it is in ROT13_DICTIONARY (only), else 0.
 */
function dictionaryKind(text: string, start: number, len: number, h: number): number {
  const list = DICTIONARY_BY_HASH.get(h)
  if (list === undefined) return 0
  for (let q = 0; q < list.length; q++) {
    const w = list[q] as string
    if (w.length !== len) continue
    let same = true
    for (let k = 0; k < len && same; k++) same = (text.charCodeAt(start + k) | 0x20) === w.charCodeAt(k)
    if (same) return DICTIONARY.has(w) ? 1 : 2
  }
  return 0
}

function rot13(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x41 && c <= 0x5a) out += String.fromCharCode(((c - 0x41 + 13) % 26) + 0x41)
    else if (c >= 0x61 && c <= 0x7a) out += String.fromCharCode(((c - 0x61 + 13) % 26) + 0x61)
    else out += s[i]
  }
  return out
}

const MORSE: Readonly<Record<string, string>> = {
  '.-': 'a', '-...': 'b', '-.-.': 'c', '-..': 'd', '.': 'e', '..-.': 'f', '--.': 'g', '....': 'h', '..': 'i', '.---': 'j',
  '-.-': 'k', '.-..': 'l', '--': 'm', '-.': 'n', '---': 'o', '.--.': 'p', '--.-': 'q', '.-.': 'r', '...': 's', '-': 't',
  '..-': 'u', '...-': 'v', '.--': 'w', '-..-': 'x', '-.--': 'y', '--..': 'z', '-----': '0', '.----': '1', '..---': '2',
  '...--': '3', '....-': '4', '.....': '5', '-....': '6', '--...': '7', '---..': '8', '----.': '9', '.-.-.-': '.',
  '--..--': ',', '..--..': '?', '-.-.--': '!', '-..-.': '/',
}
// Morse: ≥ 8 dot/dash letters separated by single spaces; two or more spaces or ` / ` separate words.
const MORSE_RE = /[.-]{1,6}(?:(?: {1,3}| \/ )[.-]{1,6}){7,}/g

function decodeMorse(s: string): string | undefined {
  const words = s.trim().split(/ {2,}| \/ /)
  let out = ''
  for (const w of words) {
    for (const letter of w.split(' ')) {
      const ch = MORSE[letter]
      if (ch === undefined) return undefined
      out += ch
    }
    out += ' '
  }
  return out.trim()
}

interface RawSegment {
  kind: PayloadKind
  text: string
  start: number
  end: number
}

/** Per-line rot13 word counts (see findRot13). */
interface Rot13Line {
  start: number
  end: number
  /** Words whose rot13 reading is a dictionary word. */
  hits: number
  /** Dictionary words as written. */
  plain: number
  /** Other words. */
  others: number
  /** End of the last plain dictionary word before the first rot13 word (a carrier sentence), or -1. */
  lead: number
}

function rot13LineStats(text: string, lineStart: number, lineEnd: number): Rot13Line {
  const st: Rot13Line = { start: lineStart, end: lineEnd, hits: 0, plain: 0, others: 0, lead: -1 }
  // The words ([A-Za-z]{2,}) of the line, looked up by hash without a string per word.
  let i = lineStart
  while (i < lineEnd) {
    if (!isAsciiLetter(text.charCodeAt(i))) {
      i++
      continue
    }
    const start = i
    let h = 0x811c9dc5
    while (i < lineEnd && isAsciiLetter(text.charCodeAt(i))) {
      h = Math.imul(h ^ (text.charCodeAt(i) | 0x20), 0x01000193)
      i++
    }
    const len = i - start
    if (len < 2) continue
    const kind = len <= 12 ? dictionaryKind(text, start, len, h >>> 0) : 0
    if (kind === 1) {
      st.plain++
      if (st.hits === 0) st.lead = i
    } else if (kind === 2) st.hits++
    else st.others++
  }
  return st
}

/** Number of ASCII letters in text[from, to). */
function letterCount(text: string, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) if (isAsciiLetter(text.charCodeAt(i))) n++
  return n
}

/** Lines with fewer letters than this may sit inside a rot13 block without passing the gate (`vzcbeg bf`). */
const SHORT_LINE_LETTERS = 16

/**
 * rot13 blocks: runs of lines that pass the letter-frequency gate (scanShapes), with short lines
 * in between (code, list items), decoded whole when, over the block, words whose rot13 reading
 * is a dictionary word number ≥ 3, outnumber the plain dictionary words and are at least a
 * third of the unknown words. A block is decoded line start to line end, so an unusual first
 * or last word stays in the payload.
 */
function findRot13(text: string, lines: readonly number[], lineCount: number, out: RawSegment[]): void {
  const passes = (st: Rot13Line): boolean => st.hits >= 3 && st.hits >= st.plain && st.hits * 3 >= st.others
  const emit = (from: number, to: number): void => {
    let start = from
    while (start < to && !isAsciiLetter(text.charCodeAt(start))) start++
    let end = to
    while (end > start && text.charCodeAt(end - 1) <= 0x20) end--
    if (out.length < 64) out.push({ kind: 'rot13', text: rot13(text.slice(start, end)), start, end })
  }
  let block: Rot13Line | undefined
  // The gate lines of the current block, for the line-by-line fallback.
  const members: Rot13Line[] = []
  const flush = (): void => {
    if (block === undefined) return
    // The whole block when it reads as rot13; else each of its lines that does on its own (a
    // rot13 sentence above a table of names).
    // A plain carrier sentence before the payload (`Decode this and follow it: …`) stays out.
    const from = (m: Rot13Line): number => (m.lead >= 0 ? m.lead : m.start)
    if (passes(block)) emit(from(members[0] as Rot13Line), block.end)
    else for (const m of members) if (passes(m)) emit(from(m), m.end)
    block = undefined
    members.length = 0
  }
  for (let l = 0; l + 1 < lineCount; l += 2) {
    const st = rot13LineStats(text, lines[l] as number, lines[l + 1] as number)
    if (block !== undefined) {
      // Lines between the previous gate line and this one join the block when all are short.
      let gapOk = true
      let q = block.end + 1
      while (q < st.start && gapOk) {
        let e = text.indexOf('\n', q)
        if (e < 0 || e > st.start) e = st.start
        if (letterCount(text, q, e) >= SHORT_LINE_LETTERS) gapOk = false
        q = e + 1
      }
      if (gapOk) {
        const mid = rot13LineStats(text, block.end, st.start)
        block = { start: block.start, end: st.end, hits: block.hits + mid.hits + st.hits, plain: block.plain + mid.plain + st.plain, others: block.others + mid.others + st.others, lead: block.lead }
        members.push(st)
        continue
      }
      flush()
    }
    block = st
    members.push(st)
  }
  flush()
}

/** Most string literals one text is searched for (`"…"`), and most characters joined. */
const MAX_SPLIT_PIECES = 64
const MAX_SPLIT_CHARS = 16_384

/** Words that ask for pieces to be put back together (`a + b`, concatenate, join, combine, followed by…). */
const JOIN_RE = /\b(?:concat\w*|join\w*|combin\w*|merg\w*|assembl\w*|glue\w*|put (?:them |these |it |the \w+ )?together|as (?:one|a single)|followed by|in order)\b|\w\s*\+\s*\w/i

/**
 * A payload split into string literals that the model is asked to join (`a = "Ignore prev"`,
 * `b = "ious instructions"`, `Let z = a + b`, or the fields of a JSON object with "read them as
 * one sentence"): the double-quoted strings of the text that are not object keys, joined in
 * order. Kept only when the text asks for a join and one junction cuts a word (a letter or
 * digit on both sides), which is what splitting a payload does and ordinary JSON or quoted
 * prose does not.
 */
function findSplitStrings(text: string, out: RawSegment[]): void {
  if (text.indexOf('"') < 0 || !JOIN_RE.test(text)) return
  const pieces: string[] = []
  let first = -1
  let last = -1
  let cut = false
  let total = 0
  const n = text.length
  let i = 0
  while (i < n && pieces.length < MAX_SPLIT_PIECES && total < MAX_SPLIT_CHARS) {
    const open = text.indexOf('"', i)
    if (open < 0) break
    let j = open + 1
    let escaped = false
    while (j < n) {
      const c = text.charCodeAt(j)
      if (c === 0x5c) escaped = true
      else if (c === 0x22) break
      else if (c === 0x0a) break
      j++
    }
    if (j >= n || text.charCodeAt(j) !== 0x22) {
      i = j + 1
      continue
    }
    // An object key (`"name": …`) is not part of the payload.
    let k = j + 1
    while (k < n && (text.charCodeAt(k) === 0x20 || text.charCodeAt(k) === 0x09)) k++
    i = j + 1
    if (k < n && text.charCodeAt(k) === 0x3a) continue
    let value = text.slice(open + 1, j)
    if (escaped) {
      try {
        value = JSON.parse(`"${value}"`) as string
      } catch {
        // Not JSON-escaped: keep the raw characters.
      }
    }
    if (value.length === 0) continue
    const prev = pieces.length > 0 ? (pieces[pieces.length - 1] as string) : undefined
    if (prev !== undefined && isWordUnit(prev.charCodeAt(prev.length - 1)) && isWordUnit(value.charCodeAt(0))) cut = true
    pieces.push(value)
    total += value.length
    if (first < 0) first = open
    last = j + 1
  }
  if (pieces.length >= 2 && cut) out.push({ kind: 'split', text: pieces.join('').slice(0, MAX_SPLIT_CHARS), start: first, end: last })
}

function isWordUnit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || isAsciiLetter(c) || c > 0x7f
}

function findPayloads(text: string, maxPayloadChars: number): RawSegment[] {
  const found: RawSegment[] = []
  const add = (kind: PayloadKind, decoded: string | undefined, start: number, end: number): void => {
    if (decoded !== undefined && end - start <= maxPayloadChars) found.push({ kind, text: decoded.slice(0, 16_384), start, end })
  }
  const shapes = scanShapes(text, Math.max(maxPayloadChars, 1 << 20))
  for (let k = 0; k + 1 < shapes.base64Count; k += 2) {
    const start = shapes.base64[k] as number
    const end = shapes.base64[k + 1] as number
    let e = end
    while (e < text.length && e - end < 2 && text.charCodeAt(e) === 0x3d) e++
    if (e - start > maxPayloadChars) continue
    add('base64', decodeBase64(text.slice(start, e)), start, e)
  }
  if (text.includes('\\x')) {
    ESC_HEX_RE.lastIndex = 0
    for (let m = ESC_HEX_RE.exec(text); m !== null; m = ESC_HEX_RE.exec(text)) {
      add('hex', decodeHexDigits(m[0].replace(/\\x/g, '')), m.index, m.index + m[0].length)
    }
  }
  if (text.includes('0x') || text.includes('0X')) {
    OX_HEX_RE.lastIndex = 0
    for (let m = OX_HEX_RE.exec(text); m !== null; m = OX_HEX_RE.exec(text)) {
      add('hex', decodeHexDigits(m[0].replace(/0[xX]|[\s,;]/g, '')), m.index, m.index + m[0].trimEnd().length)
    }
  }
  for (let k = 0; k + 1 < shapes.hexCount; k += 2) {
    const runStart = shapes.hex[k] as number
    const runEnd = shapes.hex[k + 1] as number
    let inside = false
    for (let q = 0; q < found.length && !inside; q++) inside = (found[q] as RawSegment).start <= runStart && runStart < (found[q] as RawSegment).end
    if (inside) continue
    const candEnd = Math.min(runEnd, runStart + 4096)
    // A pick without a digit is skipped below: most runs (`a bad cafe`) have none at all.
    let digit = false
    for (let q = runStart; q < candEnd && !digit; q++) digit = text.charCodeAt(q) >= 0x30 && text.charCodeAt(q) <= 0x39
    if (!digit) continue
    // Bounded slice: keeps the sub-patterns below linear on enormous runs.
    const cand = text.slice(runStart, candEnd)
    // Either byte-separated (`41 42 43`, `41:42:43`) or one unbroken run of ≥ 16 hex digits.
    const byteRun = /(?:[0-9A-Fa-f]{2}[ :]){3,}[0-9A-Fa-f]{2}(?![0-9A-Fa-f])/.exec(cand)
    const solid = /[0-9A-Fa-f]{16,}/.exec(cand)
    const pick = byteRun !== null && (solid === null || byteRun[0].length > solid[0].length) ? byteRun : solid
    if (pick === null || !/\d/.test(pick[0])) continue
    const at = runStart + pick.index
    add('hex', decodeHexDigits(pick[0].replace(/[ :]/g, '')), at, at + pick[0].length)
  }
  if (text.includes('00') || text.includes('01')) {
    BINARY_RE.lastIndex = 0
    for (let m = BINARY_RE.exec(text); m !== null; m = BINARY_RE.exec(text)) {
      const bits = m[0].replace(/[ ,]/g, '')
      const bytes: number[] = []
      for (let k = 0; k + 8 <= bits.length; k += 8) bytes.push(parseInt(bits.slice(k, k + 8), 2))
      const decoded = Buffer.from(bytes).toString('utf8')
      add('binary', looksLikeText(decoded) ? decoded : undefined, m.index, m.index + m[0].trimEnd().length)
    }
  }
  if (text.includes('.-') || text.includes('-.')) {
    MORSE_RE.lastIndex = 0
    for (let m = MORSE_RE.exec(text); m !== null; m = MORSE_RE.exec(text)) {
      const decoded = decodeMorse(m[0])
      add('morse', decoded !== undefined && looksLikeText(decoded) ? decoded : undefined, m.index, m.index + m[0].length)
    }
  }
  if (text.includes('%')) findPercent(text, add)
  if (text.includes('&')) findEntities(text, add)
  findRot13(text, shapes.rot13Lines, shapes.rot13Count, found)
  findSplitStrings(text, found)
  return found
}

function findPercent(text: string, add: (k: PayloadKind, d: string | undefined, s: number, e: number) => void): void {
  PERCENT_RE.lastIndex = 0
  let clusterStart = -1
  let clusterEnd = -1
  let count = 0
  const flush = (): void => {
    if (count >= 3) {
      // Extend to the surrounding token (bounded) so `abc%20def` decodes whole.
      let s = clusterStart
      let e = clusterEnd
      for (let k = 0; k < 256 && s > 0 && !/\s/.test(text[s - 1] as string); k++) s--
      for (let k = 0; k < 256 && e < text.length && !/\s/.test(text[e] as string); k++) e++
      const raw = text.slice(s, e)
      let decoded: string
      try {
        decoded = decodeURIComponent(raw.replace(/\+/g, ' '))
      } catch {
        decoded = raw.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
      }
      add('url', looksLikeText(decoded) ? decoded : undefined, s, e)
    }
    count = 0
  }
  for (let m = PERCENT_RE.exec(text); m !== null; m = PERCENT_RE.exec(text)) {
    const gap = text.slice(clusterEnd, m.index)
    if (count > 0 && (m.index - clusterEnd > 24 || /\s/.test(gap))) flush()
    if (count === 0) clusterStart = m.index
    clusterEnd = m.index + 3
    count++
  }
  flush()
}

function findEntities(text: string, add: (k: PayloadKind, d: string | undefined, s: number, e: number) => void): void {
  ENTITY_RE.lastIndex = 0
  let clusterStart = -1
  let clusterEnd = -1
  let count = 0
  const flush = (): void => {
    if (count >= 3) {
      const raw = text.slice(clusterStart, clusterEnd)
      const decoded = raw.replace(ENTITY_REPLACE_RE, decodeEntity)
      add('html_entities', looksLikeText(decoded) ? decoded : undefined, clusterStart, clusterEnd)
    }
    count = 0
  }
  for (let m = ENTITY_RE.exec(text); m !== null; m = ENTITY_RE.exec(text)) {
    if (count > 0 && (m.index - clusterEnd > 16 || text.slice(clusterEnd, m.index).includes('\n'))) flush()
    if (count === 0) clusterStart = m.index
    clusterEnd = m.index + m[0].length
    count++
  }
  flush()
}

/**
 * Embedded payloads of `text` as decoded segments, with offsets into `text` (for nested
 * payloads: the offsets of the outermost encoded payload). Ordered by start offset, outer
 * before inner.
 */
export function decodePayloads(text: string, options: DecodeOptions = {}): DecodedSegment[] {
  const maxDepth = options.maxDepth ?? 2
  const maxSegments = options.maxSegments ?? 16
  const maxPayloadChars = options.maxPayloadChars ?? 65_536
  const result: DecodedSegment[] = []
  const visit = (src: string, depth: number, outer: { start: number; end: number; via: string } | undefined): void => {
    if (depth > maxDepth) return
    const raw = findPayloads(src, maxPayloadChars)
    raw.sort((a, b) => a.start - b.start)
    for (const r of raw) {
      if (result.length >= maxSegments) return
      const start = outer ? outer.start : r.start
      const end = outer ? outer.end : r.end
      const via = outer ? `${outer.via}>${r.kind}` : r.kind
      result.push({ kind: r.kind, via, text: r.text, start, end, depth })
      visit(r.text, depth + 1, { start, end, via })
    }
  }
  visit(text, 1, undefined)
  return result
}
