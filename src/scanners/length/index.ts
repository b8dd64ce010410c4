import { z } from 'zod'
import { defineScanner, type ScannerFinding } from '../../core/scanner.js'

export const lengthOptionsSchema = z
  .object({
    /** Maximum length in UTF-16 code units. */
    maxChars: z.number().int().positive().default(20_000),
    /** Maximum approximate token count (see `estimateTokens`). */
    maxTokens: z.number().int().positive().default(4_096),
  })
  .strict()

// Mirrors the pre-tokenizer split of GPT-style BPE tokenizers: contractions, letter runs,
// digit runs, punctuation runs, whitespace. Each piece costs about one token per 4 characters.
const PIECE_RE = /'(?:s|t|re|ve|m|ll|d)| ?\p{L}+| ?\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\s+/gu

/**
 * Approximate number of BPE tokens in `text`: within ±15 % of cl100k for English prose,
 * conservative (over-counting) for code and non-Latin scripts.
 */
export function estimateTokens(text: string): number {
  let tokens = 0
  PIECE_RE.lastIndex = 0
  for (let m = PIECE_RE.exec(text); m !== null; m = PIECE_RE.exec(text)) {
    const piece = m[0]
    tokens += /^\s+$/.test(piece) ? 1 : Math.max(1, Math.ceil(piece.length / 4))
  }
  return tokens
}

export const length = defineScanner({
  id: 'length',
  description: 'Refuses texts longer than a maximum number of characters or approximate tokens.',
  directions: ['input', 'output'],
  defaults: { action: 'block', threshold: 0 },
  options: lengthOptionsSchema,
  create(options) {
    return {
      scan(text) {
        const findings: ScannerFinding[] = []
        if (text.length > options.maxChars) {
          findings.push({ type: 'MAX_CHARS', score: 1, detail: { length: text.length, max: options.maxChars } })
        }
        // Counting tokens is only needed when the text could exceed the limit (≥ 1 char per token).
        if (text.length > options.maxTokens) {
          const tokens = estimateTokens(text)
          if (tokens > options.maxTokens) findings.push({ type: 'MAX_TOKENS', score: 1, detail: { tokens, max: options.maxTokens } })
        }
        return findings
      },
    }
  },
})
