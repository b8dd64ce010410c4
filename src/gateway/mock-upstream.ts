import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface MockMessage {
  role: string
  content?: unknown
}

export interface MockUpstreamOptions {
  /** The assistant's reply to a conversation; by default it echoes the last user message. */
  reply?: (messages: MockMessage[]) => string
  /** Characters per streamed chunk (default 4, about one token). */
  chunkSize?: number
  /** Pause between streamed chunks, in ms (default 0). */
  chunkDelayMs?: number
  /** Pause before answering, in ms (simulates model latency; default 0). */
  delayMs?: number
  /** Answer every request with this status and an OpenAI-style error body. */
  failWith?: number
  /** Never answer (for timeout tests). */
  hang?: boolean
}

export interface MockUpstream {
  /** Base URL to give `--upstream` (ends in /v1). */
  url: string
  /** Every request body received, in order. */
  readonly requests: { model?: string; messages: MockMessage[]; stream?: boolean }[]
  /** Requests whose caller closed the connection before the answer was complete. */
  readonly cancelled: number
  close(): Promise<void>
}

function lastUser(messages: MockMessage[]): string {
  const m = [...messages].reverse().find((x) => x.role === 'user')
  return typeof m?.content === 'string' ? m.content : ''
}

/**
 * A minimal OpenAI-compatible chat server on loopback: the gateway's tests and benchmark use it
 * as the model, so they need no network and measure Rampart, not a model. It records what
 * reached it — the proof that a blocked prompt was never forwarded.
 */
export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const requests: MockUpstream['requests'] = []
  let cancelled = 0
  const sockets = new Set<import('node:net').Socket>()
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    res.once('close', () => {
      if (!res.writableFinished) cancelled++
    })
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void handle(Buffer.concat(chunks).toString('utf8'), res)
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.keepAliveTimeout = 60_000

  async function handle(raw: string, res: ServerResponse): Promise<void> {
    let body: { model?: string; messages?: MockMessage[]; stream?: boolean }
    try {
      body = JSON.parse(raw) as typeof body
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'bad json', type: 'invalid_request_error' } }))
      return
    }
    const messages = body.messages ?? []
    requests.push({ ...(body.model === undefined ? {} : { model: body.model }), messages, ...(body.stream === undefined ? {} : { stream: body.stream }) })
    if (options.hang === true) return
    if (options.delayMs !== undefined && options.delayMs > 0) await new Promise((r) => setTimeout(r, options.delayMs))
    if (options.failWith !== undefined) {
      res.writeHead(options.failWith, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `mock failure ${options.failWith}`, type: 'server_error' } }))
      return
    }
    const content = (options.reply ?? ((m) => `You said: ${lastUser(m)}`))(messages)
    const id = `chatcmpl-mock${requests.length}`
    const created = Math.floor(Date.now() / 1000)
    const model = body.model ?? 'mock'
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: Math.ceil(content.length / 4), total_tokens: 10 + Math.ceil(content.length / 4) },
        }),
      )
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    // A literal per chunk, not { ...base, choices }: on Node 20 that spread gives every chunk a
    // hidden class of its own, slow and promoted (core/objects.ts), which made the benchmark's
    // stand-in model pause for GC on both the direct and the proxied rows.
    const write = (choices: unknown[]) => res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices })}\n\n`)
    write([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])
    const size = options.chunkSize ?? 4
    for (let i = 0; i < content.length; i += size) {
      if (res.destroyed) return
      write([{ index: 0, delta: { content: content.slice(i, i + size) }, finish_reason: null }])
      if (options.chunkDelayMs !== undefined && options.chunkDelayMs > 0) await new Promise((r) => setTimeout(r, options.chunkDelayMs))
    }
    write([{ index: 0, delta: {}, finish_reason: 'stop' }])
    res.end('data: [DONE]\n\n')
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get cancelled() {
      return cancelled
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
