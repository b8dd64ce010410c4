import { z } from 'zod'
import { printableRatio } from '../../core/normalize.js'
import { defineScanner, type ScannerFinding } from '../../core/scanner.js'
import { ACTIONS } from '../../core/types.js'
import {
  CANDIDATE_RE, type Category, categoryOf, hasRtl, isBidiOverride, isEmojiModifier, isHangulJamo, isJoiningScript, isLetter,
  isPictographic, variationByte,
} from './classify.js'

/** Finding types, one per kind of hidden content. */
export const INVISIBLE_TYPES = ['TAG_CHARACTERS', 'BIDI_CONTROL', 'VARIATION_SELECTORS', 'ZERO_WIDTH', 'ZERO_WIDTH_SEQUENCE', 'INVISIBLE_OTHER'] as const
export type InvisibleType = (typeof INVISIBLE_TYPES)[number]

const action = z.enum(ACTIONS)

export const invisibleTextOptionsSchema = z
  .object({
    /** Report legitimate uses too (ZWJ in emoji, ZWNJ in Persian, a BOM at the start, one variation selector after its base). */
    strict: z.boolean().default(false),
    /** Finding types to skip. */
    disable: z.array(z.enum(INVISIBLE_TYPES)).default([]),
    /**
     * Action per finding type; a type not listed takes the scanner's action. Stray zero-width
     * characters and fillers are common in pasted text, so they are flagged rather than blocked.
     */
    actions: z
      .object({
        TAG_CHARACTERS: action.optional(),
        BIDI_CONTROL: action.optional(),
        VARIATION_SELECTORS: action.optional(),
        ZERO_WIDTH: action.optional(),
        ZERO_WIDTH_SEQUENCE: action.optional(),
        INVISIBLE_OTHER: action.optional(),
      })
      .strict()
      .default({ ZERO_WIDTH: 'flag', INVISIBLE_OTHER: 'flag' }),
  })
  .strict()

// A run of this many zero-width characters carries data (one bit per character in the usual schemes).
const ZERO_WIDTH_SEQUENCE_MIN = 8

const CANDIDATE_G = new RegExp(CANDIDATE_RE.source, 'g')

function codePointBefore(text: string, index: number): number {
  if (index <= 0) return -1
  const low = text.charCodeAt(index - 1)
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = text.charCodeAt(index - 2)
    if (high >= 0xd800 && high <= 0xdbff) return ((high - 0xd800) << 10) + (low - 0xdc00) + 0x10000
  }
  return low
}

/** Index of the code point before `index`. */
function stepBack(text: string, index: number): number {
  const cp = codePointBefore(text, index)
  return index - (cp > 0xffff ? 2 : 1)
}

/** The base character before `index`, skipping variation selectors, skin-tone modifiers and keycap marks. */
function emojiBaseBefore(text: string, index: number): number {
  let i = index
  for (let k = 0; k < 4 && i > 0; k++) {
    const cp = codePointBefore(text, i)
    if ((cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0x20e3 || isEmojiModifier(cp)) {
      i = stepBack(text, i)
      continue
    }
    return cp
  }
  return -1
}

function isSpace(cp: number): boolean {
  return cp === 32 || cp === 9 || cp === 10 || cp === 13 || cp === 0xa0 || cp === 0x3000
}

function hex(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`
}

interface Run {
  category: Category
  start: number
  end: number
  cps: number[]
}

/**
 * Offsets of the bidi openers (embeddings, overrides, isolates) that are not closed by a PDF
 * (U+202C) or PDI (U+2069) before the end of their line: the reordering leaks into what
 * follows, the Trojan Source pattern. One pass over the text.
 */
function unterminatedOpeners(text: string): Set<number> {
  const open = new Set<number>()
  const embeddings: number[] = []
  const isolates: number[] = []
  const flush = () => {
    for (const i of embeddings) open.add(i)
    for (const i of isolates) open.add(i)
    embeddings.length = 0
    isolates.length = 0
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x0a) flush()
    else if (c === 0x202c) embeddings.pop()
    else if (c === 0x2069) isolates.pop()
    else if (c >= 0x202a && c <= 0x202e) embeddings.push(i)
    else if (c >= 0x2066 && c <= 0x2068) isolates.push(i)
  }
  flush()
  return open
}

interface Verdict {
  type: InvisibleType
  score: number
  detail?: Record<string, string | number | boolean>
}

/**
 * Judges one run of invisible characters of one category; undefined when the run is an
 * ordinary use (emoji sequence, Persian ZWNJ, a BOM at the start) and `strict` is off.
 */
function judge(text: string, run: Run, strict: boolean, rtl: () => boolean, openers: () => Set<number>): Verdict | undefined {
  const { cps } = run
  const prev = codePointBefore(text, run.start)
  const next = run.end < text.length ? (text.codePointAt(run.end) as number) : -1
  switch (run.category) {
    case 'TAG': {
      let decoded = 0
      for (const cp of cps) if (cp >= 0xe0020 && cp <= 0xe007e) decoded++
      // 🏴 + tag letters + CANCEL TAG is how subdivision flags (England, Scotland, Wales) are spelled.
      const flag = prev === 0x1f3f4 && cps.at(-1) === 0xe007f && cps.length <= 8 && cps.slice(0, -1).every((c) => (c >= 0xe0030 && c <= 0xe0039) || (c >= 0xe0061 && c <= 0xe007a))
      if (flag && !strict) return undefined
      return { type: 'TAG_CHARACTERS', score: flag ? 0.3 : decoded > 0 ? 1 : 0.9, detail: { decodedLength: decoded } }
    }
    case 'BIDI': {
      const overrides = cps.filter(isBidiOverride).length
      // Embeddings and isolates are how right-to-left text is marked up; overrides have no such excuse.
      const score = overrides > 0 ? 1 : rtl() ? 0.4 : 0.8
      let unterminated = false
      for (let i = run.start; i < run.end && !unterminated; i++) unterminated = openers().has(i)
      return { type: 'BIDI_CONTROL', score, detail: { overrides, isolatesOrEmbeddings: cps.length - overrides, unterminated } }
    }
    case 'VARIATION_SELECTOR': {
      // One selector after a visible base picks a glyph (emoji or text style, CJK variants).
      const ordinary = cps.length === 1 && prev >= 0 && !isSpace(prev) && categoryOf(prev) === undefined
      if (ordinary && !strict) return undefined
      if (cps.length >= 4) {
        const decoded = Buffer.from(cps.map(variationByte)).toString('utf8')
        const printable = !decoded.includes('\uFFFD') && printableRatio(decoded) >= 0.9
        return { type: 'VARIATION_SELECTORS', score: printable ? 1 : 0.85, detail: { bytes: cps.length, printable } }
      }
      return { type: 'VARIATION_SELECTORS', score: ordinary ? 0.2 : 0.6, detail: { bytes: cps.length, printable: false } }
    }
    case 'ZERO_WIDTH': {
      if (cps.length >= ZERO_WIDTH_SEQUENCE_MIN) return { type: 'ZERO_WIDTH_SEQUENCE', score: 0.95, detail: { count: cps.length, distinct: new Set(cps).size } }
      const only = (cp: number) => cps.every((c) => c === cp)
      let ordinary = false
      if (run.start === 0 && only(0xfeff) && cps.length === 1) ordinary = true // byte-order mark
      else if (only(0x200d) && cps.length === 1 && isPictographic(emojiBaseBefore(text, run.start)) && isPictographic(next)) ordinary = true
      else if (cps.every((c) => c === 0x200c || c === 0x200d) && cps.length <= 2 && (isJoiningScript(prev) || isJoiningScript(next))) ordinary = true
      else if (cps.every((c) => c === 0x200e || c === 0x200f || c === 0x61c) && rtl()) ordinary = true
      if (ordinary && !strict) return undefined
      const inWord = prev >= 0 && next >= 0 && isLetter(prev) && isLetter(next)
      // A soft hyphen inside a word is a hyphenation hint from web text; worth recording, not flagging.
      const score = ordinary ? 0.2 : only(0xad) && inWord ? 0.4 : inWord ? 0.8 : 0.6
      return { type: 'ZERO_WIDTH', score, detail: { count: cps.length, insideWord: inWord, codepoints: [...new Set(cps)].slice(0, 4).map(hex).join(' ') } }
    }
    case 'OTHER': {
      const mongolian = cps.every((c) => (c >= 0x180b && c <= 0x180d) || c === 0x180f) && prev >= 0x1800 && prev <= 0x18af
      const jamo = cps.every((c) => c === 0x115f || c === 0x1160) && (isHangulJamo(prev) || isHangulJamo(next))
      if ((mongolian || jamo) && !strict) return undefined
      return { type: 'INVISIBLE_OTHER', score: mongolian || jamo ? 0.2 : 0.7, detail: { count: cps.length, codepoints: [...new Set(cps)].slice(0, 4).map(hex).join(' ') } }
    }
  }
}

export const invisibleText = defineScanner({
  id: 'invisible_text',
  description: 'Detects hidden text: Unicode tag characters (ASCII smuggling), bidi overrides (Trojan Source), variation-selector payloads, zero-width characters and other invisibles.',
  directions: ['input', 'output'],
  defaults: { action: 'block', threshold: 0.5 },
  options: invisibleTextOptionsSchema,
  create(options) {
    const disabled = new Set<string>(options.disable)
    const actions = options.actions as Partial<Record<InvisibleType, (typeof ACTIONS)[number]>>
    return {
      scan(text) {
        CANDIDATE_G.lastIndex = 0
        let m = CANDIDATE_G.exec(text)
        if (m === null) return []
        const findings: ScannerFinding[] = []
        let rtlCache: boolean | undefined
        const rtl = () => (rtlCache ??= hasRtl(text))
        let openersCache: Set<number> | undefined
        const openers = () => (openersCache ??= unterminatedOpeners(text))
        const n = text.length
        let i = m.index
        while (i < n) {
          const cp = text.codePointAt(i) as number
          const category = categoryOf(cp)
          if (category === undefined) {
            // Jump to the next candidate instead of walking visible text.
            CANDIDATE_G.lastIndex = i + 1
            m = CANDIDATE_G.exec(text)
            if (m === null) break
            i = m.index
            continue
          }
          const run: Run = { category, start: i, end: i, cps: [] }
          let j = i
          while (j < n) {
            const c = text.codePointAt(j) as number
            if (categoryOf(c) !== category) break
            run.cps.push(c)
            j += c > 0xffff ? 2 : 1
          }
          run.end = j
          i = j
          const verdict = judge(text, run, options.strict, rtl, openers)
          if (verdict === undefined || disabled.has(verdict.type)) continue
          const finding: ScannerFinding = { type: verdict.type, score: verdict.score, start: run.start, end: run.end }
          if (verdict.detail) finding.detail = verdict.detail
          const a = actions[verdict.type]
          if (a) finding.action = a
          findings.push(finding)
        }
        return findings
      },
    }
  },
})
