/**
 * The engine's vocabulary. Everything else in Rampart speaks these types.
 */

/** Actions ordered by severity: a decision is the strongest action among the findings. */
export const ACTIONS = ['allow', 'flag', 'redact', 'block'] as const
export type Action = (typeof ACTIONS)[number]

export const DIRECTIONS = ['input', 'output'] as const
/** `input` is a prompt on its way to the model; `output` is a model response on its way to the user. */
export type Direction = (typeof DIRECTIONS)[number]

export type FindingDetail = Record<string, string | number | boolean>

export interface Finding {
  /** Id of the scanner that produced the finding, e.g. `pii`. */
  scanner: string
  /** What was found, e.g. `EMAIL`, `JAILBREAK`, `AWS_ACCESS_KEY`. */
  type: string
  /** Confidence, 0..1. */
  score: number
  action: Action
  /** UTF-16 offset of the first character in the ORIGINAL text (inclusive). */
  start?: number
  /** UTF-16 offset after the last character in the ORIGINAL text (exclusive). */
  end?: number
  /** Explanations; never the matched secret itself. */
  detail?: FindingDetail
}

export interface ScanResult {
  decision: Action
  /** The text with redactions applied (the original text when nothing was redacted). */
  text: string
  findings: Finding[]
  /** Wall time of the whole scan in milliseconds. */
  latencyMs: number
}

/**
 * What the application knows about the request. Output scanners use it to recognise
 * leaks of the system prompt, canary tokens and internal identifiers.
 */
export interface ScanContext {
  /** The system prompt the model was given (output direction: leak detection). */
  systemPrompt?: string
  /** Canary tokens planted in the system prompt or in documents; seeing one in a response is a leak. */
  canaries?: readonly string[]
  /** Internal identifiers that must not reach a user: data-source, table, file and host names. */
  internalNames?: readonly string[]
  /** The user's prompt, when scanning a response to it. */
  prompt?: string
  /**
   * A vault that records redacted values under their placeholders, so a later response
   * that echoes a placeholder can be de-anonymized. See `createVault`.
   */
  vault?: Vault
}

/** Keeps placeholder ↔ original value pairs for reversible redaction. */
export interface Vault {
  /** Returns the placeholder for `value` of entity `type`, creating `[TYPE_n]` on first sight. */
  placeholderFor(type: string, value: string): string
  /** Replaces every known placeholder in `text` by its original value. */
  deanonymize(text: string): string
  /** Number of stored values. */
  readonly size: number
}
