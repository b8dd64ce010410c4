import { decodePayloads, type DecodedSegment } from './decode.js'
import { decodeHiddenText, foldForMatching, type NormalizedText, normalizeUnicode } from './normalize.js'

/**
 * The views of one text that several scanners share. Each view is computed on first use and
 * then cached for the rest of the scan, so a policy pays for normalization once. Every view
 * maps back to UTF-16 offsets of `original` (see docs/normalization.md).
 */
export interface TextViews {
  readonly original: string
  /** NFKC, invisible characters removed, lone surrogates replaced. Case kept. */
  readonly normalized: NormalizedText
  /**
   * For keyword matching: `normalized` plus confusables folded to Latin, diacritics removed,
   * lower case, markdown markup as spaces, whitespace collapsed, spaced-out letters re-joined,
   * leetspeak folded inside word-like tokens.
   */
  readonly folded: NormalizedText
  /** ASCII smuggled in tag characters or variation selectors; empty text when none. */
  readonly hidden: NormalizedText
  /** Embedded base64 / hex / URL-encoded / HTML-entity / rot13 payloads, decoded (depth ≤ 2). */
  readonly decoded: readonly DecodedSegment[]
}

export function createTextViews(original: string): TextViews {
  let normalized: NormalizedText | undefined
  let folded: NormalizedText | undefined
  let hidden: NormalizedText | undefined
  let decoded: readonly DecodedSegment[] | undefined
  return {
    original,
    get normalized() {
      normalized ??= normalizeUnicode(original)
      return normalized
    },
    get folded() {
      folded ??= foldForMatching(original)
      return folded
    },
    get hidden() {
      hidden ??= decodeHiddenText(original)
      return hidden
    },
    get decoded() {
      decoded ??= decodePayloads(original)
      return decoded
    },
  }
}
