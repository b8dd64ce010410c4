/**
 * Text normalization with offset maps: every normalized view remembers, for each of its
 * UTF-16 code units, which span of the original text it came from, so a finding made on the
 * normalized text still points at the caller's characters.
 */

export interface NormalizedText {
  /** The normalized text. */
  readonly text: string
  /**
   * Maps a span [start, end) of the normalized text (UTF-16) to the smallest span of the
   * original text (UTF-16) that produced it.
   */
  toOriginal(start: number, end: number): { start: number; end: number }
}

/** Accumulates output text and, per output code unit, the original span it came from. */
export class OffsetMapBuilder {
  private readonly parts: string[] = []
  private readonly starts: number[] = []
  private readonly ends: number[] = []

  /** Appends `out`, every code unit of which came from original [start, end). */
  push(out: string, start: number, end: number): void {
    if (out.length === 0) return
    this.parts.push(out)
    for (let i = 0; i < out.length; i++) {
      this.starts.push(start)
      this.ends.push(end)
    }
  }

  build(originalLength: number): NormalizedText {
    const text = this.parts.join('')
    const starts = Int32Array.from(this.starts)
    const ends = Int32Array.from(this.ends)
    return {
      text,
      toOriginal(start: number, end: number) {
        if (text.length === 0) return { start: 0, end: 0 }
        const s = Math.max(0, Math.min(start, text.length - 1))
        const e = Math.max(s + 1, Math.min(end, text.length))
        return { start: starts[s] ?? 0, end: Math.min(originalLength, ends[e - 1] ?? originalLength) }
      },
    }
  }
}

/** An identity view: the text is its own normalization. */
export function identityView(text: string): NormalizedText {
  return {
    text,
    toOriginal: (start, end) => ({ start, end }),
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

/**
 * NFKC with invisible characters removed and lone surrogates replaced by U+FFFD, keeping an
 * offset map. Each base character is normalized together with the combining marks that follow
 * it, so composition works while offsets stay per cluster.
 */
export function normalizeUnicode(text: string, fold: (cluster: string) => string = (c) => c): NormalizedText {
  const out = new OffsetMapBuilder()
  let i = 0
  const n = text.length
  while (i < n) {
    const start = i
    const cp = text.codePointAt(i) as number
    i += cp > 0xffff ? 2 : 1
    if (isInvisibleCodePoint(cp)) continue
    // Lone surrogates cannot be normalized; keep a replacement so offsets still line up.
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out.push('\uFFFD', start, i)
      continue
    }
    // Gather following combining marks (skipping invisibles between them).
    while (i < n) {
      const next = text.codePointAt(i) as number
      const width = next > 0xffff ? 2 : 1
      if (isInvisibleCodePoint(next) && i + width < n && COMBINING_RE.test(String.fromCodePoint(text.codePointAt(i + width) as number))) {
        i += width
        continue
      }
      if (next >= 0xd800 && next <= 0xdfff) break
      if (!COMBINING_RE.test(String.fromCodePoint(next))) break
      i += width
    }
    const cluster = cp < 0x80 && i - start === 1 ? text[start] as string : text.slice(start, i).normalize('NFKC')
    out.push(fold(cluster), start, i)
  }
  return out.build(n)
}
