/**
 * One table of Rampart's errors. Codes are stable and never reused; `docs/errors.md`
 * documents each one and a test keeps the two in step.
 */

export const ERROR_CODES = {
  RAMPART_ERR_POLICY_INVALID: { status: 400, title: 'The policy does not match the policy schema.' },
  RAMPART_ERR_POLICY_PARSE: { status: 400, title: 'The policy file is not valid YAML or JSON.' },
  RAMPART_ERR_POLICY_NOT_FOUND: { status: 404, title: 'The policy file could not be read.' },
  RAMPART_ERR_UNKNOWN_SCANNER: { status: 400, title: 'A scanner id is not one of the registered scanners.' },
  RAMPART_ERR_INPUT_TOO_LARGE: { status: 413, title: 'The text is larger than the configured limit.' },
  RAMPART_ERR_INPUT_INVALID: { status: 400, title: 'An input (JSONL line, flag, argument) is malformed.' },
  RAMPART_ERR_DIRECTION: { status: 400, title: 'The direction is not `input` or `output`.' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ERROR_CODES

export class RampartError extends Error {
  readonly code: ErrorCode
  readonly status: number
  /** Where the problem is: a dotted field path, a file and line, a flag name. */
  readonly path?: string

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; path?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RampartError'
    this.code = code
    this.status = ERROR_CODES[code].status
    if (options.path !== undefined) this.path = options.path
  }

  toJSON(): { code: ErrorCode; message: string; path?: string } {
    return this.path === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, path: this.path }
  }
}

export function isRampartError(value: unknown): value is RampartError {
  return value instanceof RampartError
}
