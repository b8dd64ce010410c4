import { confusableTarget } from '../../core/confusables.js'
import { isInvisibleCodePoint, type NormalizedText, OffsetMapBuilder } from '../../core/normalize.js'

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

/** Folds `text` for matching; the result keeps a map to UTF-16 offsets of `text`. */
export function foldText(text: string): NormalizedText {
  if (!NON_ASCII_RE.test(text)) {
    const lower = text.toLowerCase()
    return { text: lower, toOriginal: (start, end) => ({ start, end }) }
  }
  const out = new OffsetMapBuilder()
  const n = text.length
  let i = 0
  while (i < n) {
    const start = i
    const cp = text.codePointAt(i) as number
    i += cp > 0xffff ? 2 : 1
    if (cp < 0x80) {
      out.push(cp >= 65 && cp <= 90 ? String.fromCharCode(cp + 32) : String.fromCharCode(cp), start, i)
      continue
    }
    if (isInvisibleCodePoint(cp)) continue
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out.push('\uFFFD', start, i)
      continue
    }
    const look = confusableTarget(cp)
    if (look !== undefined) {
      out.push(look, start, i)
      continue
    }
    const decomposed = String.fromCodePoint(cp).normalize('NFKD').replace(MARKS_RE, '').toLowerCase()
    let folded = ''
    for (const ch of decomposed) folded += confusableTarget(ch.codePointAt(0) as number) ?? ch
    out.push(folded, start, i)
  }
  return out.build(n)
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
