import { isInvisibleCodePoint } from '../../core/normalize.js'

/**
 * What each invisible code point is, and when an invisible character is doing its ordinary job
 * (a ZWJ inside an emoji sequence, a ZWNJ in Persian, a variation selector after its base).
 */

export const CATEGORIES = ['TAG', 'BIDI', 'VARIATION_SELECTOR', 'ZERO_WIDTH', 'OTHER'] as const
export type Category = (typeof CATEGORIES)[number]

/** Any code unit that may start an invisible character (fast pre-check before the code-point loop). */
export const CANDIDATE_RE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]|\uDB40|\uD834[\uDD73-\uDD7A]/

/** Category of an invisible code point; undefined for visible ones. */
export function categoryOf(cp: number): Category | undefined {
  if (cp >= 0xe0000 && cp <= 0xe007f) return 'TAG'
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return 'BIDI'
  if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) return 'VARIATION_SELECTOR'
  if (cp === 0x200b || cp === 0x200c || cp === 0x200d || cp === 0x2060 || cp === 0xfeff || cp === 0xad || cp === 0x180e || cp === 0x34f) return 'ZERO_WIDTH'
  // Directional marks (LRM, RLM, ALM) are zero-width too; they are legitimate in right-to-left text.
  if (cp === 0x200e || cp === 0x200f || cp === 0x61c) return 'ZERO_WIDTH'
  // Interlinear annotation controls and invisible musical formatting characters: not in core's list.
  if ((cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0x1d173 && cp <= 0x1d17a)) return 'OTHER'
  return isInvisibleCodePoint(cp) ? 'OTHER' : undefined
}

/** Bidi overrides reorder the characters that follow them (Trojan Source); isolates and embeddings less so. */
export function isBidiOverride(cp: number): boolean {
  return cp === 0x202d || cp === 0x202e
}

const PICTOGRAPHIC_RE = /\p{Extended_Pictographic}/u
const EMOJI_MODIFIER_RE = /\p{Emoji_Modifier}/u
// Scripts in which ZWNJ and ZWJ select letter forms and ligatures as part of normal spelling.
const JOINING_SCRIPT_RE = /[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tibetan}\p{Script=Hebrew}]/u
const RTL_RE = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFC]/
const LETTER_RE = /\p{L}/u

export function isPictographic(cp: number): boolean {
  return cp >= 0xa9 && PICTOGRAPHIC_RE.test(String.fromCodePoint(cp))
}

export function isEmojiModifier(cp: number): boolean {
  return cp >= 0x1f3fb && cp <= 0x1f3ff && EMOJI_MODIFIER_RE.test(String.fromCodePoint(cp))
}

export function isJoiningScript(cp: number): boolean {
  return cp >= 0x590 && JOINING_SCRIPT_RE.test(String.fromCodePoint(cp))
}

export function isLetter(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)
  return LETTER_RE.test(String.fromCodePoint(cp))
}

/** True when `text` contains right-to-left letters (Hebrew, Arabic, Syriac, Thaana, N'Ko …). */
export function hasRtl(text: string): boolean {
  return RTL_RE.test(text)
}

/** Byte carried by a variation selector: VS1–16 → 0–15, VS17–256 → 16–255. */
export function variationByte(cp: number): number {
  return cp <= 0xfe0f ? cp - 0xfe00 : cp - 0xe0100 + 16
}

export function isHangulJamo(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97f) || (cp >= 0xd7b0 && cp <= 0xd7ff)
}
