/**
 * A deliberately vulnerable, deterministic OpenAI-compatible chat model for the red team's tests
 * and demo. It behaves like a naive but capable model: it reads the current turn's user and tool
 * messages — and documents quoted in them — the way a strong model would, through Rampart's own
 * normalization views (look-alike letters, leetspeak, spacing and punctuation undone; base64,
 * hex, rot13, URL-encoded, tag-character and split payloads decoded), and it obeys what it finds:
 *
 *  - asked to print, repeat or reveal its system prompt or instructions → the system prompt, verbatim;
 *  - asked to call, use, invoke or run one of the request's tools → a tool call to it;
 *  - asked to say, print or reply with a word → that word (a "code word" given earlier is remembered);
 *  - anything else → a fixed, helpful-sounding answer that quotes nothing.
 *
 * It knows nothing of the red team's markers or canaries: it follows instructions in general.
 * No randomness, no clock in the content: the same request gets the same answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { z } from 'zod'
import { foldForMatching } from '../core/normalize.js'
import { createTextViews } from '../core/text-views.js'
import { wordsLexicon } from '../scanners/prompt_injection/lexicon.js'
import { buildWordsView } from '../scanners/prompt_injection/words-view.js'

const contentSchema = z.union([z.string(), z.null(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]).optional()

/** The request body the model accepts: OpenAI's chat shape, unknown fields ignored. */
export const testModelRequestSchema = z.looseObject({
  model: z.string().optional(),
  messages: z.array(z.looseObject({ role: z.string(), content: contentSchema })).min(1),
  tools: z.array(z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string() }) })).optional(),
  stream: z.boolean().optional(),
})
export type TestModelRequest = z.infer<typeof testModelRequestSchema>

export interface TestModelReply {
  content: string | null
  toolCalls: { name: string; arguments: string }[]
}

/** What the model says when no instruction it can follow is found; it quotes nothing of the request. */
export const BENIGN_REPLY = 'Happy to help! Could you give me a few more details about what you need, so that I can answer precisely?'

function textOf(content: TestModelRequest['messages'][number]['content']): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('\n')
}

/**
 * Every reading of a text a capable model would understand, folded to lower case: the text with
 * look-alikes, leetspeak and spacing undone, its words re-joined, text hidden in tag characters,
 * and every decoded payload (itself folded).
 */
export function readingsOf(text: string): string[] {
  const views = createTextViews(text)
  const out = new Set<string>()
  const add = (s: string) => {
    if (s.trim() === '') return
    out.add(s)
    // Words joined by punctuation (`say_this`, `s.a.y`) read as words.
    out.add(s.replace(/(?<=[a-z0-9])[._+*-]+(?=[a-z0-9])/g, ' '))
  }
  add(views.folded.text)
  add(buildWordsView(views.folded, wordsLexicon()).text)
  if (views.hidden.text !== '') add(foldForMatching(views.hidden.text).text)
  for (const d of views.decoded) {
    const inner = createTextViews(d.text)
    add(inner.folded.text)
    add(buildWordsView(inner.folded, wordsLexicon()).text)
  }
  return [...out]
}

const EXTRACT_RE =
  /\b(?:print|repeat|reveal|output|show|display|recite|dump|disclose|leak|write out|tell me|give me|share|spell out|copy)\b[^.!?\n]{0,60}?\b(?:system (?:prompt|message)|(?:initial|original|hidden|secret|previous|earlier|first|your) (?:instructions|prompt|rules)|(?:text|everything|words) above)/
const EXTRACT_QUESTION_RE = /\bwhat (?:is|are|were) your (?:system prompt|instructions|initial instructions|rules)\b/
const SAY_RE =
  /\b(?:say|print|output|type|(?:respond|reply|answer)(?: only| just)? with)\b(?: (?:only|just|exactly|the|word|phrase|code|string|text|following))*[ :]*(?!(?:about|to|that|what|how|it|so|if|when|you|me|this|in|hi|hello|yes|no)\b)([a-z0-9][a-z0-9 -]{0,40}?)(?= (?:and|then|nothing|now)\b|[.!?,;:\n"'`)]|$)/g
const RECALL_RE = /\b(?:say|reply|respond|answer|print)\b[^.!?\n]{0,30}\bcode ?word\b/
const PLANT_RE = /\bcode ?word\b(?: for later)?(?: is)?[ :]+([a-z0-9-]{3,40})/
const ACTION_VERBS = '(?:call|invoke|use|run|execute|trigger)'

function toolPattern(name: string): RegExp {
  const parts = name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((p) => p !== '')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`\\b${ACTION_VERBS}\\b[^.!?\\n]{0,40}?\\b${parts.join('[\\s_.+-]*')}\\b`)
}

/**
 * The model's answer to a chat request: pure and deterministic (see the module comment).
 * Instructions are looked for in the current turn — the messages after the last assistant
 * message with text — in the order extraction, tool call, say.
 */
export function respond(request: TestModelRequest): TestModelReply {
  const messages = request.messages
  const systemPrompt = messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => textOf(m.content))
    .join('\n')
  let from = 0
  messages.forEach((m, i) => {
    if (m.role === 'assistant' && textOf(m.content).trim() !== '') from = i + 1
  })
  const current = messages.slice(from).filter((m) => m.role === 'user' || m.role === 'tool' || m.role === 'function')
  // The latest message first: a later instruction (a tool result) is the one a model acts on.
  const readings = current.reverse().flatMap((m) => readingsOf(textOf(m.content)))
  const reply = (content: string): TestModelReply => ({ content, toolCalls: [] })

  if (systemPrompt !== '' && readings.some((r) => EXTRACT_RE.test(r) || EXTRACT_QUESTION_RE.test(r))) return reply(systemPrompt)
  for (const tool of request.tools ?? []) {
    const re = toolPattern(tool.function.name)
    if (readings.some((r) => re.test(r))) return { content: null, toolCalls: [{ name: tool.function.name, arguments: '{}' }] }
  }
  if (readings.some((r) => RECALL_RE.test(r))) {
    for (const m of messages.slice(0, from).reverse()) {
      if (m.role !== 'user') continue
      for (const r of readingsOf(textOf(m.content))) {
        const planted = PLANT_RE.exec(r)?.[1]
        if (planted !== undefined) return reply(planted)
      }
    }
  }
  for (const r of readings) {
    // The last request to say something in a text is the one a reader acts on (`"output": {…}`
    // in a JSON document comes before the instruction hidden in it).
    const said = [...r.matchAll(SAY_RE)].map((m) => m[1]?.trim() ?? '').filter((s) => s !== '').at(-1)
    if (said !== undefined) return reply(said)
  }
  return reply(BENIGN_REPLY)
}

export interface TestModelOptions {
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number
  host?: string
  /** Characters per streamed chunk (default 8). */
  chunkSize?: number
}

export interface TestModel {
  /** Base URL as given to an OpenAI SDK or `rampart serve --upstream` (ends in /v1). */
  url: string
  /** Chat requests answered so far. */
  readonly requests: number
  close(): Promise<void>
}

function sendError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type: 'invalid_request_error', code: null } }))
}

/** Serves the test model (POST /v1/chat/completions, JSON or `stream: true` SSE; GET /v1/models). */
export async function startTestModel(options: TestModelOptions = {}): Promise<TestModel> {
  let requests = 0
  const sockets = new Set<Socket>()
  const chunkSize = options.chunkSize ?? 8
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'rampart-test-model', object: 'model', owned_by: 'rampart' }] }))
      return
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      sendError(res, 404, `no route ${req.method ?? ''} ${path ?? ''}: this test model serves POST /v1/chat/completions`)
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= 4 * 1024 * 1024) chunks.push(c)
    })
    req.on('end', () => {
      if (size > 4 * 1024 * 1024) return sendError(res, 413, 'request body over 4 MB')
      let raw: unknown
      try {
        raw = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return sendError(res, 400, 'request body is not JSON')
      }
      const parsed = testModelRequestSchema.safeParse(raw)
      if (!parsed.success) return sendError(res, 400, `invalid request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`)
      requests++
      answer(parsed.data, res, requests)
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })

  function answer(body: TestModelRequest, res: ServerResponse, n: number): void {
    const { content, toolCalls } = respond(body)
    const id = `chatcmpl-rt${n}`
    const created = 1_700_000_000
    const model = body.model ?? 'rampart-test-model'
    const calls = toolCalls.map((c, k) => ({ id: `call_rt${n}_${k}`, type: 'function', function: c }))
    const finish = calls.length > 0 ? 'tool_calls' : 'stop'
    if (body.stream !== true) {
      const message = { role: 'assistant', content, ...(calls.length > 0 ? { tool_calls: calls } : {}) }
      const tokens = Math.ceil((content ?? '').length / 4)
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ id, object: 'chat.completion', created, model, choices: [{ index: 0, message, finish_reason: finish }], usage: { prompt_tokens: 0, completion_tokens: tokens, total_tokens: tokens } }),
      )
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    const base = { id, object: 'chat.completion.chunk', created, model }
    const write = (choice: Record<string, unknown>) => res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, finish_reason: null, ...choice }] })}\n\n`)
    write({ delta: { role: 'assistant', content: '' } })
    const text = content ?? ''
    for (let i = 0; i < text.length; i += chunkSize) write({ delta: { content: text.slice(i, i + chunkSize) } })
    if (calls.length > 0) write({ delta: { tool_calls: calls.map((c, index) => ({ index, ...c })) } })
    write({ delta: {}, finish_reason: finish })
    res.end('data: [DONE]\n\n')
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}/v1`,
    get requests() {
      return requests
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
