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

/**
 * A class, not an object literal with getters: V8 gives every evaluation of a literal with
 * accessors its own dictionary-mode object and accessor pair, and under load those objects (with
 * the text and every view they reach) survived scavenges and were promoted, then died in old
 * space — about 1 MB per scavenge with the guard alone (bench/lib/gc-summary.ts). Getters on a
 * class prototype are created once.
 */
class LazyTextViews implements TextViews {
  #normalized: NormalizedText | undefined
  #folded: NormalizedText | undefined
  #hidden: NormalizedText | undefined
  #decoded: readonly DecodedSegment[] | undefined

  constructor(readonly original: string) {}

  get normalized(): NormalizedText {
    this.#normalized ??= normalizeUnicode(this.original)
    return this.#normalized
  }

  get folded(): NormalizedText {
    this.#folded ??= foldForMatching(this.original)
    return this.#folded
  }

  get hidden(): NormalizedText {
    this.#hidden ??= decodeHiddenText(this.original)
    return this.#hidden
  }

  get decoded(): readonly DecodedSegment[] {
    this.#decoded ??= decodePayloads(this.original)
    return this.#decoded
  }
}

export function createTextViews(original: string): TextViews {
  return new LazyTextViews(original)
}
