/**
 * Text normalization with offset maps: every normalized view remembers, for each of its
 * UTF-16 code units, which span of the original text it came from, so a finding made on the
 * normalized text still points at the caller's characters.
 *
 * Views (see docs/normalization.md):
 * - `normalizeUnicode`: NFKC, invisible characters removed, lone surrogates → U+FFFD.
 * - `foldForMatching`: the above plus confusable folding, diacritics stripped, lower case,
 *   markdown markup removed, whitespace collapsed, spaced-out letters re-joined and leetspeak
 *   folded — the view keyword rules match against.
 * - `decodeHiddenText`: ASCII smuggled in Unicode tag characters or variation selectors.
 */
import { confusableTarget } from './confusables.js'
import { foldLeetToken } from './leetspeak.js'

export interface NormalizedText {
  /** The normalized text. */
  readonly text: string
  /**
   * Maps a span [start, end) of the normalized text (UTF-16) to the smallest span of the
   * original text (UTF-16) that produced it.
   */
  toOriginal(start: number, end: number): { start: number; end: number }
}

/** Offsets into the original text: 16-bit when the original is shorter than 64 Ki units. */
type OffsetArray = Int32Array | Uint16Array

/** Exact-size copy of `from[0, length)`, in 16 bits when every offset (≤ originalLength) fits. */
function compactOffsets(from: Int32Array, length: number, originalLength: number): OffsetArray {
  const to = originalLength <= 0xffff ? new Uint16Array(length) : new Int32Array(length)
  to.set(from.subarray(0, length))
  return to
}

/** A NormalizedText whose per-code-unit map is readable, so views can be chained cheaply. */
class MappedText implements NormalizedText {
  constructor(
    readonly text: string,
    /** Original start offset of each code unit of `text`; undefined: unit k came from k. */
    readonly starts: OffsetArray | undefined,
    /** Original end offset of each code unit of `text`; undefined: unit k came from k. */
    readonly ends: OffsetArray | undefined,
    private readonly originalLength: number,
  ) {}

  toOriginal(start: number, end: number): { start: number; end: number } {
    const n = this.text.length
    if (n === 0) return { start: 0, end: 0 }
    const s = Math.max(0, Math.min(start, n - 1))
    const e = Math.max(s + 1, Math.min(end, n))
    let lo = this.starts === undefined ? s : (this.starts[s] as number)
    let hi = this.ends === undefined ? e : (this.ends[e - 1] as number)
    // Reordering steps (none today) could make later units map earlier; keep the hull.
    if (hi < lo) [lo, hi] = [hi, lo]
    return { start: lo, end: Math.min(this.originalLength, hi) }
  }
}

/**
 * Module scratch buffers serve texts up to this many code units; longer texts get buffers of
 * their own, so one huge input does not pin megabytes for the life of the process.
 */
const SCRATCH_MAX = 1 << 15

// Scratch byte buffer for building one-byte strings from UTF-16 code units (see codesToString).
const latin1Scratch = Buffer.allocUnsafeSlow(SCRATCH_MAX)

/**
 * The string of `codes[from, to)`, without an argument list per code unit: a one-byte string
 * when every unit is ≤ U+00FF (as `String.fromCharCode` would give), else a two-byte one.
 * Code units are copied as they are (lone surrogates included).
 */
export function codesToString(codes: Uint16Array, from: number, to: number): string {
  const length = to - from
  if (length <= 0) return ''
  let wide = false
  for (let i = from; i < to; i++) {
    if ((codes[i] as number) > 0xff) {
      wide = true
      break
    }
  }
  if (wide) return Buffer.from(codes.buffer, codes.byteOffset + 2 * from, length * 2).toString('utf16le')
  const bytes = length <= SCRATCH_MAX ? latin1Scratch : Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) bytes[i] = codes[from + i] as number
  return bytes.toString('latin1', 0, length)
}

/** Accumulates output text and, per output code unit, the original span it came from. */
export class OffsetMapBuilder {
  private codes: Uint16Array
  private starts: Int32Array
  private ends: Int32Array
  private length = 0

  constructor(capacity = 64) {
    const cap = Math.max(16, capacity)
    this.codes = new Uint16Array(cap)
    this.starts = new Int32Array(cap)
    this.ends = new Int32Array(cap)
  }

  /** Appends `out`, every code unit of which came from original [start, end). */
  push(out: string, start: number, end: number): void {
    const k = out.length
    if (k === 0) return
    this.reserve(k)
    const c = this.codes
    const s = this.starts
    const e = this.ends
    let len = this.length
    for (let i = 0; i < k; i++, len++) {
      c[len] = out.charCodeAt(i)
      s[len] = start
      e[len] = end
    }
    this.length = len
  }

  /** Appends `out` where unit k came from original [offset + k, offset + k + 1). */
  pushIdentity(out: string, offset: number): void {
    this.pushRange(out, 0, out.length, offset)
  }

  /** Appends `text[from, to)` where unit k came from original [shift + k, shift + k + 1). */
  pushRange(text: string, from: number, to: number, shift: number = 0): void {
    const k = to - from
    if (k <= 0) return
    this.reserve(k)
    const c = this.codes
    const s = this.starts
    const e = this.ends
    let len = this.length
    for (let i = from; i < to; i++, len++) {
      c[len] = text.charCodeAt(i)
      s[len] = shift + i
      e[len] = shift + i + 1
    }
    this.length = len
  }

  /** Appends `src.text[from, to)` with the original spans recorded in `src`. */
  pushFrom(src: MappedText, from: number, to: number, text?: string): void {
    const k = to - from
    if (k <= 0) return
    this.reserve(k)
    const c = this.codes
    const s = this.starts
    const e = this.ends
    const ss = src.starts
    const se = src.ends
    const t = src.text
    let len = this.length
    for (let i = from; i < to; i++, len++) {
      c[len] = text === undefined ? t.charCodeAt(i) : text.charCodeAt(i - from)
      s[len] = ss === undefined ? i : (ss[i] as number)
      e[len] = se === undefined ? i + 1 : (se[i] as number)
    }
    this.length = len
  }

  /** Number of code units pushed so far. */
  get size(): number {
    return this.length
  }

  private reserve(k: number): void {
    if (this.length + k <= this.starts.length) return
    let cap = this.starts.length * 2
    while (cap < this.length + k) cap *= 2
    const c = new Uint16Array(cap)
    c.set(this.codes.subarray(0, this.length))
    const s = new Int32Array(cap)
    s.set(this.starts.subarray(0, this.length))
    const e = new Int32Array(cap)
    e.set(this.ends.subarray(0, this.length))
    this.codes = c
    this.starts = s
    this.ends = e
  }

  build(originalLength: number): MappedText {
    return new MappedText(codesToString(this.codes, 0, this.length), compactOffsets(this.starts, this.length, originalLength), compactOffsets(this.ends, this.length, originalLength), originalLength)
  }

  /** Empties the builder for reuse, making room for `capacity` units (and at most `max` when given). */
  reset(capacity: number, max?: number): void {
    this.length = 0
    if (this.starts.length < capacity || (max !== undefined && this.starts.length > max)) {
      const cap = Math.max(capacity, 1024)
      this.codes = new Uint16Array(cap)
      this.starts = new Int32Array(cap)
      this.ends = new Int32Array(cap)
    }
  }
}

/** An identity view: the text is its own normalization. */
export function identityView(text: string): NormalizedText {
  return {
    text,
    toOriginal: (start, end) => {
      const s = Math.max(0, Math.min(start, text.length))
      return { start: s, end: Math.max(s, Math.min(end, text.length)) }
    },
  }
}

/**
 * Characters that render as nothing or reorder text: zero-width, bidi controls, Unicode tag
 * characters (U+E0000–U+E007F), variation selectors, soft hyphen and friends. Attackers hide
 * instructions with them or use them to split trigger words.
 */
export const INVISIBLE_RE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]|\uDB40[\uDC00-\uDC7F]|\uDB40[\uDD00-\uDDEF]/

/** True for a code point that is invisible (see INVISIBLE_RE). */
export function isInvisibleCodePoint(cp: number): boolean {
  return (
    cp === 0xad || cp === 0x34f || cp === 0x61c || cp === 0x115f || cp === 0x1160 || cp === 0x17b4 || cp === 0x17b5 ||
    (cp >= 0x180b && cp <= 0x180f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x206f) || cp === 0x3164 || (cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0xfeff ||
    cp === 0xffa0 || (cp >= 0xe0000 && cp <= 0xe007f) || (cp >= 0xe0100 && cp <= 0xe01ef)
  )
}

const COMBINING_RE = /\p{M}/u
const NON_ASCII_RE = /[^\x00-\x7f]/

function isCombining(cp: number): boolean {
  // Every \p{M} code point is ≥ U+0300; skip the regex for the common case.
  return cp >= 0x300 && COMBINING_RE.test(String.fromCodePoint(cp))
}

/**
 * End (exclusive UTF-16 offset) of the combining marks that follow a base character ending at
 * `i`, skipping invisible characters placed between marks; `i` itself when none follow.
 */
function clusterEnd(text: string, i: number, n: number): number {
  while (i < n) {
    const next = text.codePointAt(i) as number
    if (next < 0x300 && next !== 0xad) break
    const width = next > 0xffff ? 2 : 1
    if (isInvisibleCodePoint(next) && i + width < n && isCombining(text.codePointAt(i + width) as number)) {
      i += width
      continue
    }
    if (next >= 0xd800 && next <= 0xdfff) break
    if (!isCombining(next)) break
    i += width
  }
  return i
}

/**
 * NFKC with invisible characters removed and lone surrogates replaced by U+FFFD, keeping an
 * offset map. Each base character is normalized together with the combining marks that follow
 * it, so composition works while offsets stay per cluster. `fold` maps each normalized cluster
 * further (it may return '' to drop it). Pure ASCII without `fold` is returned as an identity view.
 */
export function normalizeUnicode(text: string, fold?: (cluster: string) => string, foldAscii?: (run: string) => string): NormalizedText {
  if (fold === undefined && !NON_ASCII_RE.test(text)) return identityView(text)
  const n = text.length
  // A `fold` callback could normalize again: only the outermost call uses the shared builder.
  const shared = !normalizeBusy && n + 16 <= SCRATCH_MAX
  const out = shared ? normalizeBuilder : new OffsetMapBuilder(n + 16)
  if (shared) {
    normalizeBusy = true
    out.reset(n + 16)
  }
  try {
    return normalizeInto(text, out, fold, foldAscii)
  } finally {
    if (shared) {
      normalizeBusy = false
      // Clusters can expand (NFKC of a ligature): do not keep a buffer grown past the cap.
      out.reset(0, SCRATCH_MAX)
    }
  }
}

const normalizeBuilder = new OffsetMapBuilder(4096)
let normalizeBusy = false

function normalizeInto(text: string, out: OffsetMapBuilder, fold: ((cluster: string) => string) | undefined, foldAscii: ((run: string) => string) | undefined): NormalizedText {
  const n = text.length
  // Whether the output so far is the text itself, unit for unit (then no copy is kept).
  let same = fold === undefined && foldAscii === undefined
  let i = 0
  while (i < n) {
    // Bulk-copy an ASCII run, leaving its last character for the cluster path when a
    // possibly combining character follows (so `e` + U+0301 still composes).
    let j = i
    while (j < n && text.charCodeAt(j) < 0x80) j++
    if (j < n && j > i && text.charCodeAt(j) >= 0x300) j--
    if (j > i) {
      if (foldAscii === undefined) out.pushRange(text, i, j)
      else out.pushIdentity(foldAscii(text.slice(i, j)), i)
      i = j
      if (i >= n) break
    }
    const start = i
    const cp = text.codePointAt(i) as number
    i += cp > 0xffff ? 2 : 1
    if (isInvisibleCodePoint(cp)) {
      same = false
      continue
    }
    // Lone surrogates cannot be normalized; keep a replacement so offsets still line up.
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out.push('\uFFFD', start, i)
      same = false
      continue
    }
    i = clusterEnd(text, i, n)
    const cluster = i - start === (cp > 0xffff ? 2 : 1) ? nfkcOf(cp) : text.slice(start, i).normalize('NFKC')
    // Only a one-unit cluster left as it was maps like the identity.
    if (same && !(i - start === 1 && cluster.length === 1 && cluster.charCodeAt(0) === cp)) same = false
    out.push(fold === undefined ? cluster : fold(cluster), start, i)
  }
  // Nothing changed: the view is the text itself with the identity map (same clamping as any
  // MappedText), without a copy of either.
  if (same) return new MappedText(text, undefined, undefined, n)
  return out.build(n)
}

// NFKC of single code points seen so far: normalizing costs far more than a Map hit.
const nfkcCache = new Map<number, string>()
const NFKC_CACHE_MAX = 16_384

/** NFKC of the one code point `cp` (a cluster without combining marks). */
function nfkcOf(cp: number): string {
  let s = nfkcCache.get(cp)
  if (s === undefined) {
    s = String.fromCodePoint(cp).normalize('NFKC')
    if (nfkcCache.size < NFKC_CACHE_MAX) nfkcCache.set(cp, s)
  }
  return s
}

const MARKS_RE = /\p{M}/gu
const WHITESPACE_RE = /\s/
// Markdown and table markup that attackers wrap around trigger words; read as a separator.
const MARKUP = new Set(['*', '_', '~', '`', '#', '>', '|', '"', "'", '\u201c', '\u201d', '\u2018', '\u2019', '(', ')', '[', ']', '{', '}', '<', '='])

/**
 * Folds one NFKC cluster for keyword matching: confusables to Latin, diacritics removed,
 * lower case. Whitespace and markup become a single space (collapsed later).
 */
function foldCluster(cluster: string): string {
  if (cluster.length === 1) {
    const c = cluster.charCodeAt(0)
    if (c >= 0x41 && c <= 0x5a) return String.fromCharCode(c + 32)
    if (c < 0x80) {
      if (c <= 0x20 || c === 0x7f) return ' '
      return MARKUP.has(cluster) ? ' ' : cluster
    }
  }
  const first = cluster.codePointAt(0) as number
  // CJK, kana and Hangul have no case, marks or Latin look-alikes: keep them (and skip NFD,
  // which would split Hangul syllables into jamo).
  if (first >= 0x2e80 && first <= 0xd7ff && cluster.length === 1) return cluster
  let out = ''
  for (const ch of cluster) {
    const cp = ch.codePointAt(0) as number
    if (cp < 0x80) {
      out += MARKUP.has(ch) ? ' ' : cp <= 0x20 ? ' ' : ch.toLowerCase()
      continue
    }
    const target = confusableTarget(cp)
    if (target !== undefined) {
      out += target
      continue
    }
    if (WHITESPACE_RE.test(ch) || MARKUP.has(ch)) {
      out += ' '
      continue
    }
    const bare = ch.normalize('NFD').replace(MARKS_RE, '')
    const mapped = bare.length === 1 ? confusableTarget(bare.codePointAt(0) as number) : undefined
    out += mapped ?? bare.toLowerCase()
  }
  return out
}


// ASCII folding table: lower case; controls, whitespace and markup → space.
const ASCII_FOLD = new Uint16Array(128)
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c)
  ASCII_FOLD[c] = c <= 0x20 || c === 0x7f || MARKUP.has(ch) ? 0x20 : ch.toLowerCase().charCodeAt(0)
}
const SPACE = 0x20

function isTokenCode(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x40 || c === 0x24 || c === 0x21 || c > 0x7f
}

const DOTTED_RE = /^(?:[a-z0-9@$][.\-·•:/\\]){2,}[a-z0-9@$][.\-·•]?$/

/** Growable parallel arrays: UTF-16 code units and their original spans. */
class UnitBuffer {
  codes: Uint16Array
  starts: Int32Array
  ends: Int32Array
  /**
   * For a unit that a confusable mapping turned into a Latin letter, the letter it was
   * (lower case); 0 otherwise. Allocated on first use.
   */
  alt: Uint16Array | undefined
  length = 0
  constructor(capacity: number) {
    this.codes = new Uint16Array(capacity)
    this.starts = new Int32Array(capacity)
    this.ends = new Int32Array(capacity)
  }
  push(code: number, start: number, end: number): void {
    if (this.length === this.codes.length) this.grow()
    this.codes[this.length] = code
    this.starts[this.length] = start
    this.ends[this.length] = end
    this.length++
  }
  private grow(): void {
    const cap = this.codes.length * 2 + 16
    const c = new Uint16Array(cap)
    c.set(this.codes)
    const s = new Int32Array(cap)
    s.set(this.starts)
    const e = new Int32Array(cap)
    e.set(this.ends)
    this.codes = c
    this.starts = s
    this.ends = e
    if (this.alt !== undefined) {
      const a = new Uint16Array(cap)
      a.set(this.alt)
      this.alt = a
    }
  }
  /** Empties the buffer for reuse, making room for `capacity` units (and at most `max` when given). */
  reset(capacity: number, max?: number): void {
    this.length = 0
    this.alt = undefined
    if (this.codes.length < capacity || (max !== undefined && this.codes.length > max)) {
      const cap = Math.max(capacity, 1024)
      this.codes = new Uint16Array(cap)
      this.starts = new Int32Array(cap)
      this.ends = new Int32Array(cap)
    }
  }
  toText(originalLength: number): MappedText {
    return new MappedText(codesToString(this.codes, 0, this.length), compactOffsets(this.starts, this.length, originalLength), compactOffsets(this.ends, this.length, originalLength), originalLength)
  }
}

// Both passes of folding write here (folding is synchronous); only the exact-size copy of
// pass 2's map made by toText outlives a call.
const pass1 = new UnitBuffer(4096)
const pass2 = new UnitBuffer(4096)

interface FoldedCodePoint {
  /** NFKC of the code point. */
  nfkc: string
  /** `foldCluster(nfkc)`. */
  folded: string
  /** The non-Latin letter a confusable mapping replaced (see UnitBuffer.alt), or 0. */
  alt: number
}

// Pass-1 folding of single code points seen so far (NFKC, NFD and the tables per character
// cost about a microsecond; a Map hit a few nanoseconds).
const foldCache = new Map<number, FoldedCodePoint>()
const FOLD_CACHE_MAX = 16_384

function foldNfkcCluster(nfkc: string): FoldedCodePoint {
  const folded = foldCluster(nfkc)
  let alt = 0
  // Only letters of other scripts (Greek and beyond) that folded to a-z can be look-alikes here;
  // Latin letters with diacritics (é → e) are genuine Latin.
  if (folded.length === 1 && (nfkc.codePointAt(0) as number) >= 0x370) {
    // Remember the letter a confusable replaced, so whole non-Latin words can be restored.
    const plain = nfkc.normalize('NFD').replace(MARKS_RE, '').toLowerCase()
    const f = folded.charCodeAt(0)
    if (plain.length === 1 && plain !== folded && f >= 0x61 && f <= 0x7a && plain.charCodeAt(0) >= 0x80) alt = plain.charCodeAt(0)
  }
  return { nfkc, folded, alt }
}

function foldCodePoint(cp: number): FoldedCodePoint {
  let f = foldCache.get(cp)
  if (f === undefined) {
    f = foldNfkcCluster(nfkcOf(cp))
    if (foldCache.size < FOLD_CACHE_MAX) foldCache.set(cp, f)
  }
  return f
}

/** Pass 1 of folding: NFKC clusters folded (see foldCluster), ASCII through a table. */
function foldUnits(text: string): UnitBuffer {
  const n = text.length
  const buf = n + 16 <= SCRATCH_MAX ? pass1 : new UnitBuffer(n + 16)
  buf.reset(n + 16)
  let i = 0
  while (i < n) {
    // ASCII fast path, written straight into the buffer (it has room for n units).
    const codes = buf.codes
    const starts = buf.starts
    const ends = buf.ends
    let len = buf.length
    if (len + (n - i) <= codes.length) {
      while (i < n) {
        const c = text.charCodeAt(i)
        if (c >= 0x80 || (i + 1 < n && text.charCodeAt(i + 1) >= 0x300)) break
        codes[len] = ASCII_FOLD[c] as number
        starts[len] = i
        ends[len] = i + 1
        len++
        i++
      }
      buf.length = len
      if (i >= n) break
    }
    const c = text.charCodeAt(i)
    if (c < 0x80 && !(i + 1 < n && text.charCodeAt(i + 1) >= 0x300)) {
      buf.push(ASCII_FOLD[c] as number, i, i + 1)
      i++
      continue
    }
    const start = i
    const cp = text.codePointAt(i) as number
    i += cp > 0xffff ? 2 : 1
    if (isInvisibleCodePoint(cp)) continue
    if (cp >= 0xd800 && cp <= 0xdfff) {
      buf.push(0xfffd, start, i)
      continue
    }
    i = clusterEnd(text, i, n)
    const fc = i - start === (cp > 0xffff ? 2 : 1) ? foldCodePoint(cp) : foldNfkcCluster(text.slice(start, i).normalize('NFKC'))
    const folded = fc.folded
    for (let k = 0; k < folded.length; k++) buf.push(folded.charCodeAt(k), start, i)
    if (fc.alt !== 0) {
      buf.alt ??= new Uint16Array(buf.codes.length)
      buf.alt[buf.length - 1] = fc.alt
    }
  }
  return buf
}

/**
 * The view keyword rules match against: `foldForMatching('I G N O R E  A L L')` is
 * `ignore all`; `'1gn0r3 prev1ous ınstructıons'` is `ignore previous instructions`.
 * Lower case, confusables folded, diacritics stripped, markdown markup and quotes turned into
 * spaces, whitespace collapsed to one space, spaced-out or dotted letters re-joined, leetspeak
 * folded inside word-like tokens. Offsets map to the original text.
 */
export function foldForMatching(text: string): NormalizedText {
  const p = foldUnits(text)
  const codes = p.codes
  const ps = p.starts
  const pe = p.ends
  const n = p.length
  const out = n + 1 <= SCRATCH_MAX ? pass2 : new UnitBuffer(n + 1)
  out.reset(n + 1)
  // Output never outgrows pass 1 (tokens are copied, shortened or folded in place).
  const oc = out.codes
  const os = out.starts
  const oe = out.ends
  let o = 0
  let i = 0
  while (i < n && codes[i] === SPACE) i++
  let pendingSpace = -1
  const alt = p.alt
  while (i < n) {
    const a = i
    let leet = false
    let confusable = false
    while (i < n) {
      const c = codes[i] as number
      if (c === SPACE) break
      if ((c >= 0x30 && c <= 0x39) || c === 0x40 || c === 0x24 || c === 0x21) leet = true
      if (alt !== undefined && alt[i] !== 0) confusable = true
      i++
    }
    const b = i
    // A word written in another script (Cyrillic, Greek…) keeps its letters: only words that mix
    // in Latin letters, or consist entirely of look-alikes, are disguised Latin.
    const restore = confusable && alt !== undefined && isForeignWord(codes, alt, a, b)
    if (b - a === 1 && isTokenCode(codes[a] as number) && i + 1 < n) {
      const spaced = collectSpacedLetters(codes, n, a, text, ps)
      if (spaced !== undefined) {
        out.length = o
        pendingSpace = emitSpacedLetters(p, spaced, pendingSpace, out)
        o = out.length
        i = spaced.next
        while (i < n && codes[i] === SPACE) i++
        continue
      }
    }
    if (pendingSpace >= 0 && o > 0) {
      oc[o] = SPACE
      os[o] = ps[pendingSpace] as number
      oe[o] = pe[pendingSpace] as number
      o++
    }
    if (leet || (b - a >= 5 && (codes[a + 1] === 0x2e || codes[a + 1] === 0x2d))) {
      out.length = o
      emitFoldedToken(p, a, b, out)
      o = out.length
    } else {
      for (let k = a; k < b; k++, o++) {
        oc[o] = restore && (alt as Uint16Array)[k] !== 0 ? ((alt as Uint16Array)[k] as number) : (codes[k] as number)
        os[o] = ps[k] as number
        oe[o] = pe[k] as number
      }
    }
    pendingSpace = i < n ? i : -1
    while (i < n && codes[i] === SPACE) i++
  }
  out.length = o
  const view = out.toText(text.length)
  // Clusters can expand (NFKC of a ligature): do not keep buffers grown past the cap.
  pass1.reset(0, SCRATCH_MAX)
  pass2.reset(0, SCRATCH_MAX)
  return view
}

/** True when units [a, b) have no genuine Latin letter and at least one non-Latin letter. */
function isForeignWord(codes: Uint16Array, alt: Uint16Array, a: number, b: number): boolean {
  let foreign = false
  for (let k = a; k < b; k++) {
    const c = codes[k] as number
    if (alt[k] !== 0) continue
    if (c >= 0x61 && c <= 0x7a) return false
    if (c > 0x7f) foreign = true
  }
  return foreign
}

/**
 * A run of spaced-out letters found by collectSpacedLetters, in reused arrays (consumed by
 * emitSpacedLetters before the next run is collected).
 */
interface SpacedLetters {
  /** Pass-1 index of each one-letter token, [0, count). */
  starts: Int32Array
  /** Gap (in spaces) after each token but the last, [0, count - 1). */
  gaps: Int32Array
  count: number
  /** Pass-1 index after the last token. */
  next: number
}

const spacedRun: SpacedLetters = { starts: new Int32Array(256), gaps: new Int32Array(256), count: 0, next: 0 }
// Letters of one spaced-out word, turned into a string for foldLeetToken.
let spacedWord = new Uint16Array(256)

/** Pass-1 index after the one-character token that follows `k` (after spaces), or -1 if none. */
function nextSpacedLetter(codes: Uint16Array, n: number, k: number): number {
  let g = k
  while (g < n && codes[g] === SPACE) g++
  return g < n && (g + 1 === n || codes[g + 1] === SPACE) && isTokenCode(codes[g] as number) ? g : -1
}

// A gap that holds a line break: always a word boundary (`i g n o r e\na l l`), unless every
// gap of the run is one (letters written one per line).
const LINE_BREAK_GAP = 1 << 20

/** Number of spaces in pass-1 units [k, g), or LINE_BREAK_GAP when one of them was a line break. */
function gapWidth(k: number, g: number, text: string, starts: Int32Array): number {
  for (let q = k; q < g; q++) {
    const c = text.charCodeAt(starts[q] as number)
    if (c === 0x0a || c === 0x0d) return LINE_BREAK_GAP
  }
  return g - k
}

/** ≥ 3 one-character tokens in a row starting at `a` (`i g n o r e`), or undefined. */
function collectSpacedLetters(codes: Uint16Array, n: number, a: number, text: string, starts: Int32Array): SpacedLetters | undefined {
  // Most one-letter words (`a`, `i`) are followed by ordinary words.
  const second = nextSpacedLetter(codes, n, a + 1)
  if (second < 0 || nextSpacedLetter(codes, n, second + 1) < 0) return undefined
  const run = spacedRun
  run.starts[0] = a
  let count = 1
  let k = a + 1
  for (;;) {
    const g = nextSpacedLetter(codes, n, k)
    if (g < 0) break
    if (count === run.starts.length) {
      const starts = new Int32Array(count * 2)
      starts.set(run.starts)
      const gaps = new Int32Array(count * 2)
      gaps.set(run.gaps)
      run.starts = starts
      run.gaps = gaps
    }
    run.gaps[count - 1] = gapWidth(k, g, text, starts)
    run.starts[count] = g
    count++
    k = g + 1
  }
  run.count = count
  run.next = k
  return run
}

/** Joins spaced-out letters into words (wider gaps split words); returns the next pending space. */
function emitSpacedLetters(p: UnitBuffer, spaced: SpacedLetters, pendingSpace: number, out: UnitBuffer): number {
  const { starts, gaps, count } = spaced
  let minGap = gaps[0] as number
  for (let m = 1; m < count - 1; m++) if ((gaps[m] as number) < minGap) minGap = gaps[m] as number
  if (spacedWord.length < count) spacedWord = new Uint16Array(count)
  const letters = spacedWord
  let w = 0
  let pending = pendingSpace
  for (let m = 0; m < count; m++) {
    if (m === count - 1 || (gaps[m] as number) > minGap) {
      for (let q = w; q <= m; q++) letters[q - w] = p.codes[starts[q] as number] as number
      const folded = foldLeetToken(codesToString(letters, 0, m - w + 1))
      if (pending >= 0 && out.length > 0) out.push(SPACE, p.starts[pending] as number, p.ends[pending] as number)
      for (let q = w; q <= m; q++) {
        const at = starts[q] as number
        out.push(folded.charCodeAt(q - w), p.starts[at] as number, p.ends[at] as number)
      }
      pending = (starts[m] as number) + 1 < p.length ? (starts[m] as number) + 1 : -1
      w = m + 1
    }
  }
  return pending
}

/** True for a pass-1 unit that DOTTED_RE reads as a separator between letters. */
function isDotSeparator(c: number): boolean {
  return c === 0x2e || c === 0x2d || c === 0xb7 || c === 0x2022 || c === 0x3a || c === 0x2f || c === 0x5c
}

/** True for a unit foldLeetToken reads as a leet letter (see leetspeak.ts). */
function isLeetCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39 && c !== 0x32 && c !== 0x36) || c === 0x40 || c === 0x24 || c === 0x7c || c === 0x21
}

/** Can foldLeetToken change units [from, to)? False when it returns any such token unchanged. */
function mayFoldLeet(codes: Uint16Array, from: number, to: number): boolean {
  if (to - from < 2) return false
  let letters = 0
  let leet = 0
  for (let k = from; k < to; k++) {
    const c = codes[k] as number
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) letters++
    else if (isLeetCode(c)) leet++
    else return false
  }
  return leet > 0 && letters > 0
}

function emitFoldedToken(p: UnitBuffer, a: number, b: number, out: UnitBuffer): void {
  const codes = p.codes
  if (b - a >= 5 && isDotSeparator(codes[a + 1] as number)) {
    const s = codesToString(codes, a, b)
    if (DOTTED_RE.test(s)) {
      // `i.g.n.o.r.e` → `ignore`: each kept letter keeps its own span.
      let word = ''
      for (let k = 0; k < s.length; k += 2) word += s[k]
      const folded = foldLeetToken(word)
      if (/[a-z].*[a-z]/.test(folded)) {
        for (let k = 0; k < folded.length; k++) out.push(folded.charCodeAt(k), p.starts[a + 2 * k] as number, p.ends[a + 2 * k] as number)
        return
      }
    }
  }
  // Fold leet inside alphanumeric runs; other punctuation passes through.
  let k = a
  while (k < b) {
    const from = k
    const token = isTokenCode(codes[k] as number)
    while (k < b && isTokenCode(codes[k] as number) === token) k++
    if (token && mayFoldLeet(codes, from, k)) {
      const folded = foldLeetToken(codesToString(codes, from, k))
      for (let q = 0; q < folded.length; q++) out.push(folded.charCodeAt(q), p.starts[from + q] as number, p.ends[from + q] as number)
    } else {
      for (let q = from; q < k; q++) out.push(codes[q] as number, p.starts[q] as number, p.ends[q] as number)
    }
  }
}

/** Tag characters U+E0020–U+E007E carry printable ASCII one-to-one. */
function tagAscii(cp: number): number {
  return cp >= 0xe0020 && cp <= 0xe007e ? cp - 0xe0000 : -1
}

/** Variation selectors encode one byte each (VS1–16: 0–15, VS17–256: 16–255). */
function variationByte(cp: number): number {
  if (cp >= 0xfe00 && cp <= 0xfe0f) return cp - 0xfe00
  if (cp >= 0xe0100 && cp <= 0xe01ef) return cp - 0xe0100 + 16
  return -1
}

const VS_RE = /[\uFE00-\uFE0F]/
// What decodeHiddenText returns for text without tag characters or variation selectors (an
// empty view maps every span to [0, 0) whatever the original length).
const NOTHING_HIDDEN: NormalizedText = new MappedText('', new Int32Array(0), new Int32Array(0), 0)

/**
 * Text smuggled in invisible characters: Unicode tag characters that spell ASCII, and runs of
 * ≥ 4 variation selectors that decode (one byte each) to printable UTF-8. Runs of the hidden
 * text are separated by a space. Empty text when nothing is hidden.
 */
export function decodeHiddenText(text: string): NormalizedText {
  const n = text.length
  // Fast exit: tag characters and VS17+ are astral (\uDB40 high surrogate); VS1–16 are \uFE0x.
  if (text.indexOf('\uDB40') < 0 && !VS_RE.test(text)) return NOTHING_HIDDEN
  const out = new OffsetMapBuilder()
  let lastEnd = -1
  let vsBytes: number[] = []
  let vsStarts: number[] = []
  const flushVs = (endAt: number): void => {
    if (vsBytes.length >= 4) {
      const decoded = Buffer.from(vsBytes).toString('utf8')
      if (!decoded.includes('\uFFFD') && printableRatio(decoded) >= 0.9) {
        if (out.size > 0) out.push(' ', vsStarts[0] as number, vsStarts[0] as number)
        // Bytes and characters differ in number for non-ASCII; map the decoded run as one span.
        out.push(decoded, vsStarts[0] as number, endAt)
      }
    }
    vsBytes = []
    vsStarts = []
  }
  let i = 0
  while (i < n) {
    const cp = text.codePointAt(i) as number
    const w = cp > 0xffff ? 2 : 1
    const a = tagAscii(cp)
    const b = variationByte(cp)
    if (b >= 0) {
      vsBytes.push(b)
      vsStarts.push(i)
    } else {
      if (vsBytes.length > 0) flushVs(i)
      if (a >= 0) {
        if (lastEnd >= 0 && lastEnd !== i && out.size > 0) out.push(' ', i, i)
        out.push(String.fromCharCode(a), i, i + w)
        lastEnd = i + w
      }
    }
    i += w
  }
  if (vsBytes.length > 0) flushVs(n)
  return out.build(n)
}

/** Share of code points that are printable text (letters, digits, punctuation, spaces), 0..1. */
export function printableRatio(s: string): number {
  if (s.length === 0) return 0
  let ok = 0
  let total = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    total++
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) ok++
    else if (c >= 0xa0 && c !== 0xfffd && !(c >= 0xd800 && c <= 0xdfff)) ok++
  }
  return ok / total
}
