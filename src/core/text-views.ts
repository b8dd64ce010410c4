import { type NormalizedText, normalizeUnicode } from './normalize.js'

/**
 * The views of one text that several scanners share. Each view is computed on first use and
 * then cached for the rest of the scan, so a policy pays for normalization once.
 */
export interface TextViews {
  readonly original: string
  /** NFKC, invisible characters removed, lone surrogates replaced. Case kept. */
  readonly normalized: NormalizedText
}

export function createTextViews(original: string): TextViews {
  let normalized: NormalizedText | undefined
  return {
    original,
    get normalized() {
      normalized ??= normalizeUnicode(original)
      return normalized
    },
  }
}
