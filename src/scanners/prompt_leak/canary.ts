import type { NormalizedText } from '../../core/normalize.js'

/** How a canary was found: as given, altered (case, spacing, punctuation, invisibles), or encoded. */
export type CanaryForm = 'exact' | 'altered' | 'base64' | 'hex'

/** Search strings for one canary, computed once per distinct canary. */
export interface CanaryPattern {
  readonly exact: string
  /** Lower-case letters and digits only; '' when too short to match safely. */
  readonly compact: string
  /** Base64 substrings that encode only canary bytes, at the 3 byte alignments, standard and URL-safe. */
  readonly base64: readonly string[]
  /** Lower-case hex of the canary's UTF-8 bytes. */
  readonly hex: string
}

/** Canaries shorter than this (after compaction) only match exactly: short strings occur by chance. */
export const MIN_COMPACT = 6

const NON_WORD_RE = /[^\p{L}\p{N}]+/gu
const WORD_CP_RE = /^[\p{L}\p{N}]$/u

/**
 * `s` reduced to lower-case letters and digits, for matching canaries whatever the case,
 * spacing, punctuation or separators. `offsetOf` maps a position of the result back to `s`
 * (computed only on a hit: most scans have none).
 */
export interface Compacted {
  readonly text: string
  /** UTF-16 offset in `s` of the compacted text's code unit `k` (k = text.length → s.length). */
  offsetOf(k: number): number
}

export function compact(s: string): Compacted {
  const lower = s.toLowerCase()
  // Lower-casing can change the length (rare: "İ"); then compact the original case.
  const base = lower.length === s.length ? lower : s
  const text = base.replace(NON_WORD_RE, '')
  return {
    text,
    offsetOf(k) {
      let kept = 0
      for (let i = 0; i < base.length; ) {
        const cp = base.codePointAt(i) as number
        const width = cp > 0xffff ? 2 : 1
        const ch = width === 1 ? (base[i] as string) : base.slice(i, i + 2)
        if (cp < 0x80 ? (cp >= 0x30 && cp <= 0x39) || (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) : WORD_CP_RE.test(ch)) {
          if (kept === k) return i
          if (width === 2 && kept + 1 === k) return i + 1
          kept += width
        }
        i += width
      }
      return s.length
    },
  }
}

/** Base64 characters j with 6j ≥ 8k and 6j + 6 ≤ 8(k + L): they depend only on the canary's bytes. */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = []
  for (let k = 0; k < 3; k++) {
    const padded = Buffer.concat([Buffer.alloc(k), bytes, Buffer.alloc(2)])
    const encoded = padded.toString('base64')
    const from = Math.ceil((8 * k) / 6)
    const to = Math.floor((8 * (k + bytes.length)) / 6)
    const core = encoded.slice(from, to)
    if (core.length >= 8) {
      cores.push(core)
      const urlSafe = core.replace(/\+/g, '-').replace(/\//g, '_')
      if (urlSafe !== core) cores.push(urlSafe)
    }
  }
  return cores
}

export function compileCanary(canary: string): CanaryPattern {
  const c = compact(canary).text
  const bytes = Buffer.from(canary, 'utf8')
  return {
    exact: canary,
    compact: c.length >= MIN_COMPACT ? c : '',
    base64: bytes.length >= 6 ? base64Cores(bytes) : [],
    hex: bytes.length >= 4 ? bytes.toString('hex') : '',
  }
}

export interface CanaryHit {
  /** Span in the original text (UTF-16). */
  start: number
  end: number
  form: CanaryForm
}

function allIndexes(haystack: string, needle: string, max: number): number[] {
  const out: number[] = []
  if (needle === '') return out
  for (let i = haystack.indexOf(needle); i >= 0 && out.length < max; i = haystack.indexOf(needle, i + 1)) out.push(i)
  return out
}

/**
 * Finds a canary in a response: as given; with case, spacing, punctuation or invisible
 * characters changed (on the compacted normalized view); base64-encoded (in the original); or
 * hex-encoded (on the compacted view).
 * `compacted` is `compact(view.text)`, shared by all canaries of a scan.
 */
export function findCanary(
  pattern: CanaryPattern,
  original: string,
  view: NormalizedText,
  compacted: Compacted,
  max = 20,
): CanaryHit[] {
  const hits: CanaryHit[] = []
  const overlaps = (s: number, e: number) => hits.some((h) => s < h.end && h.start < e)
  for (const i of allIndexes(original, pattern.exact, max)) hits.push({ start: i, end: i + pattern.exact.length, form: 'exact' })
  for (const i of allIndexes(compacted.text, pattern.compact, max)) {
    const span = view.toOriginal(compacted.offsetOf(i), compacted.offsetOf(i + pattern.compact.length - 1) + 1)
    if (!overlaps(span.start, span.end)) hits.push({ start: span.start, end: span.end, form: 'altered' })
  }
  for (const core of pattern.base64) {
    for (const i of allIndexes(original, core, max)) {
      if (!overlaps(i, i + core.length)) hits.push({ start: i, end: i + core.length, form: 'base64' })
    }
  }
  // Hex on the compacted view: case, and separators such as spaces or colons, do not matter.
  for (const i of allIndexes(compacted.text, pattern.hex, max)) {
    const span = view.toOriginal(compacted.offsetOf(i), compacted.offsetOf(i + pattern.hex.length - 1) + 1)
    if (!overlaps(span.start, span.end)) hits.push({ start: span.start, end: span.end, form: 'hex' })
  }
  return hits
}
