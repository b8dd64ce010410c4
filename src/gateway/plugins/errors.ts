import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ERROR_CODES, RampartError, isRampartError, type ErrorCode } from '../../core/errors.js'

/**
 * One error shape for the whole gateway: `{ error: { code, message, path? }, requestId }`, or
 * OpenAI's `{ error: { message, type, param, code } }` on the OpenAI-compatible routes, so
 * existing OpenAI clients surface our refusals as they would OpenAI's. Never a stack trace.
 */

/** Maps Fastify's own errors (body parsing, limits) to our codes. */
function fromFastify(error: FastifyError): RampartError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RampartError('RAMPART_ERR_BODY_TOO_LARGE', `request body is larger than the limit (${error.message})`, { path: 'body' })
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RampartError('RAMPART_ERR_UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json', { path: 'content-type' })
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new RampartError('RAMPART_ERR_INPUT_INVALID', 'the JSON body is empty', { path: 'body' })
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new RampartError('RAMPART_ERR_INPUT_INVALID', `malformed JSON: ${error.message}`, { path: 'body' })
    default:
      break
  }
  if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
    return new RampartError('RAMPART_ERR_INPUT_INVALID', `malformed JSON: ${error.message}`, { path: 'body' })
  }
  if (error.statusCode === 413) return new RampartError('RAMPART_ERR_BODY_TOO_LARGE', error.message, { path: 'body' })
  if (error.statusCode === 415) return new RampartError('RAMPART_ERR_UNSUPPORTED_MEDIA_TYPE', error.message, { path: 'content-type' })
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new RampartError('RAMPART_ERR_INPUT_INVALID', error.message)
  }
  return undefined
}

const OPENAI_TYPES: Partial<Record<ErrorCode, string>> = {
  RAMPART_ERR_UNAUTHENTICATED: 'authentication_error',
  RAMPART_ERR_FORBIDDEN: 'permission_error',
  RAMPART_ERR_RATE_LIMITED: 'rate_limit_error',
  RAMPART_ERR_QUOTA_EXCEEDED: 'insufficient_quota',
  RAMPART_ERR_BLOCKED: 'content_policy_violation',
  RAMPART_ERR_UPSTREAM: 'upstream_error',
  RAMPART_ERR_UPSTREAM_TIMEOUT: 'timeout',
}

export function toRampartError(error: unknown): RampartError {
  if (isRampartError(error)) return error
  const mapped = fromFastify(error as FastifyError)
  return mapped ?? new RampartError('RAMPART_ERR_INTERNAL', ERROR_CODES.RAMPART_ERR_INTERNAL.title, { cause: error })
}

export function errorBody(request: FastifyRequest, error: RampartError, extra: Record<string, unknown> = {}): Record<string, unknown> {
  if (request.routeOptions.config.openai === true) {
    return {
      error: { message: error.message, type: OPENAI_TYPES[error.code] ?? (error.status >= 500 ? 'server_error' : 'invalid_request_error'), param: error.path ?? null, code: error.code },
      ...extra,
    }
  }
  return { error: error.toJSON(), requestId: request.id, ...extra }
}

/**
 * Their messages may quote what the client sent (an unknown field's name, a line of a policy that
 * holds canaries): the client gets the message, the log only the code, path and title.
 */
const QUOTES_CLIENT_INPUT: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['RAMPART_ERR_INPUT_INVALID', 'RAMPART_ERR_POLICY_INVALID', 'RAMPART_ERR_POLICY_PARSE'])

export function registerErrorHandling(app: FastifyInstance, onDenied: (request: FastifyRequest, error: RampartError) => void): void {
  app.setErrorHandler((raw: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const error = toRampartError(raw)
    if (error.code === 'RAMPART_ERR_INTERNAL') request.log.error({ err: raw }, 'internal error')
    else if (error.status === 401 || error.status === 403 || error.status === 429) onDenied(request, error)
    else request.log.info({ code: error.code, path: error.path }, QUOTES_CLIENT_INPUT.has(error.code) ? ERROR_CODES[error.code].title : error.message)
    const extra = (error as RampartError & { body?: Record<string, unknown> }).body ?? {}
    void reply.status(error.status).send(errorBody(request, error, extra))
  })
  app.setNotFoundHandler((request, reply) => {
    const error = new RampartError('RAMPART_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, { path: 'url' })
    void reply.status(404).send(errorBody(request, error))
  })
}
