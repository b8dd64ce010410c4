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
  RAMPART_ERR_UNAUTHENTICATED: { status: 401, title: 'No API key, or a key that is unknown, malformed or revoked.' },
  RAMPART_ERR_FORBIDDEN: { status: 403, title: 'The key\'s role may not do this.' },
  RAMPART_ERR_RATE_LIMITED: { status: 429, title: 'The key sent more requests per minute than allowed.' },
  RAMPART_ERR_QUOTA_EXCEEDED: { status: 429, title: 'The key used up its daily quota.' },
  RAMPART_ERR_NOT_FOUND: { status: 404, title: 'The route or the object (alert, policy version, key) does not exist.' },
  RAMPART_ERR_BODY_TOO_LARGE: { status: 413, title: 'The request body is larger than the gateway\'s body limit.' },
  RAMPART_ERR_BLOCKED: { status: 400, title: 'The guard blocked the request.' },
  RAMPART_ERR_UPSTREAM: { status: 502, title: 'The upstream model server failed or answered with something unusable.' },
  RAMPART_ERR_UPSTREAM_TIMEOUT: { status: 504, title: 'The upstream model server did not answer in time.' },
  RAMPART_ERR_NO_UPSTREAM: { status: 503, title: 'The proxy route was called but no upstream is configured.' },
  RAMPART_ERR_CONFIG_INVALID: { status: 400, title: 'A gateway setting (flag, config file, environment variable) is invalid.' },
  RAMPART_ERR_STORE: { status: 503, title: 'The store (SQLite or PostgreSQL) failed or is unreachable.' },
  RAMPART_ERR_STORE_URL: { status: 400, title: 'The store URL has an unknown scheme or is malformed.' },
  RAMPART_ERR_CRYPTO: { status: 500, title: 'A ciphertext could not be opened or a key could not be unwrapped.' },
  RAMPART_ERR_KEY_PROVIDER: { status: 400, title: 'The key provider is unknown or misconfigured.' },
  RAMPART_ERR_AUDIT_BROKEN: { status: 409, title: 'The audit log\'s hash chain does not verify.' },
  RAMPART_ERR_INTERNAL: { status: 500, title: 'An unexpected internal error; the request id in the response finds it in the logs.' },
  RAMPART_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body is not JSON.' },
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
