import { EventEmitter } from 'node:events'
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici'
import { RampartError } from '../core/errors.js'

export interface UpstreamResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Dispatcher.ResponseData['body']
}

/**
 * Cancels one upstream call, as an AbortController would: undici takes an EventEmitter with
 * `aborted`, `reason` and an 'abort' event as the signal. Not an AbortController because on
 * Node 20 every AbortController made survived a scavenge and was promoted, then died in old
 * space (measured: `new AbortController()` alone in a loop promotes ~0.4 MB per scavenge, an
 * EventEmitter or EventTarget nothing), and the proxy makes one per request.
 */
/** Why a call was cancelled: the client closed its connection before the answer was complete. */
export class ClientClosed extends Error {
  constructor() {
    super('the client closed the connection')
    this.name = 'AbortError'
  }
}

export class UpstreamCancel extends EventEmitter {
  aborted = false
  reason: unknown = undefined

  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.emit('abort')
  }
}

/**
 * The model server the proxy forwards to. Keep-alive connections are pooled (one agent per
 * gateway); every call has a deadline for the headers and for each gap in the body, so a
 * stalled upstream becomes a 504, never a hung client.
 */
export class Upstream {
  private readonly agent: Agent
  private readonly base: string
  private readonly targets = new Map<string, { origin: string; path: string }>()

  constructor(
    baseUrl: string,
    private readonly options: { apiKey?: string | undefined; timeoutMs: number; onError?: (kind: string) => void; onHeaders?: (seconds: number) => void },
  ) {
    this.base = baseUrl.replace(/\/+$/, '')
    this.agent = new Agent({ connections: 256, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs })
  }

  get url(): string {
    return this.base
  }

  async post(path: string, body: unknown, signal?: AbortSignal | UpstreamCancel): Promise<UpstreamResponse> {
    const started = process.hrtime.bigint()
    try {
      // The agent's own request(), given origin and path: undici's top-level request(url, options)
      // parses the URL on every call and copies the options as { ...options, origin, path }, a
      // literal that got a new hidden class per request on Node 20 (core/objects.ts).
      const { origin, path: fullPath } = this.target(path)
      const res = await this.agent.request({
        origin,
        path: fullPath,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(this.options.apiKey === undefined ? {} : { authorization: `Bearer ${this.options.apiKey}` }),
        },
        body: JSON.stringify(body),
        ...(signal === undefined ? {} : { signal }),
      })
      this.options.onHeaders?.(Number(process.hrtime.bigint() - started) / 1e9)
      return { status: res.statusCode, headers: res.headers, body: res.body }
    } catch (error) {
      throw this.mapError(error, signal)
    }
  }

  /** Origin and path of `${base}${path}`, as undici's request(url) derives them; parsed once per path. */
  private target(path: string): { origin: string; path: string } {
    let target = this.targets.get(path)
    if (target === undefined) {
      const url = new URL(`${this.base}${path}`)
      target = { origin: url.origin, path: `${url.pathname}${url.search}` }
      this.targets.set(path, target)
    }
    return target
  }

  mapError(error: unknown, signal?: AbortSignal | UpstreamCancel): RampartError {
    if (error instanceof RampartError) return error
    // Cancelled because the client went away: not the upstream's failure.
    if (signal?.aborted === true && signal.reason instanceof ClientClosed) {
      this.options.onError?.('cancelled')
      return new RampartError('RAMPART_ERR_UPSTREAM', 'the client closed the connection; the upstream call was cancelled', { path: 'upstream', cause: error })
    }
    if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
      this.options.onError?.('timeout')
      return new RampartError('RAMPART_ERR_UPSTREAM_TIMEOUT', `upstream ${this.base} did not answer within ${this.options.timeoutMs} ms`, { path: 'upstream', cause: error })
    }
    this.options.onError?.('connect')
    const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)
    return new RampartError('RAMPART_ERR_UPSTREAM', `upstream ${this.base} failed: ${reason}`, { path: 'upstream', cause: error })
  }

  async close(): Promise<void> {
    await this.agent.close()
  }
}
