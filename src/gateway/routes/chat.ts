import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { RampartError } from '../../core/errors.js'
import { extend } from '../../core/objects.js'
import { actionRank } from '../../core/spans.js'
import type { Action, Finding, ScanContext, ScanResult } from '../../core/types.js'
import type { Guard } from '../../guard.js'
import { guardSignals } from '../../monitor/capture.js'
import type { Principal } from '../types.js'
import { ALLOWED } from '../history-cache.js'
import type { GatewayServices } from '../services.js'
import { chatRequestSchema, parseInput, type ChatMessage, type ChatRequest } from '../schemas.js'
import { SseParser, StreamGuard, type StreamStep } from '../stream-guard.js'
import { ClientClosed, UpstreamCancel } from '../upstream.js'

/** Roles whose messages come from the end user or from tools (retrieved documents): the untrusted input. */
const SCANNED_ROLES = new Set(['user', 'tool', 'function'])

interface Verdict {
  decision: Action
  findings: Finding[]
  alertIds: string[]
}

/** A short, human-readable reason for the end user's warning: the strongest findings' scanner and type. */
export function reasonOf(findings: readonly Finding[]): string {
  const seen = new Set<string>()
  const parts: string[] = []
  for (const f of [...findings].filter((f) => f.action !== 'allow').sort((a, b) => actionRank(b.action) - actionRank(a.action) || b.score - a.score)) {
    const label = `${f.scanner}:${f.type}`
    if (seen.has(label)) continue
    seen.add(label)
    parts.push(`${label} (${f.action}, score ${f.score.toFixed(2)})`)
    if (parts.length === 3) break
  }
  return parts.join('; ')
}

function stronger(a: Action, b: Action): Action {
  return actionRank(a) >= actionRank(b) ? a : b
}

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('\n')
}

function rampartField(input: Verdict, output: Verdict | undefined): Record<string, unknown> {
  const decision = stronger(input.decision, output?.decision ?? 'allow')
  const findings = [...input.findings, ...(output?.findings ?? [])]
  return {
    flagged: decision !== 'allow',
    decision,
    ...(decision === 'allow' ? {} : { reason: reasonOf(findings) }),
    alertIds: [...input.alertIds, ...(output?.alertIds ?? [])],
    input: { decision: input.decision, findings: input.findings },
    ...(output === undefined ? {} : { output: { decision: output.decision, findings: output.findings } }),
  }
}

/**
 * Hands a sampled exchange to the monitor: the untrusted messages' text as forwarded (after
 * redaction) and the answer as the client got it, under the request id as inference id. A
 * blocked prompt is captured too, with no answer (`output: null`): nothing was forwarded, but a
 * replay of a looser policy must see what it would have let through.
 */
function captureExchange(services: GatewayServices, principal: Principal, requestId: string, body: ChatRequest, output: string | null, verdict: Verdict): void {
  const input = body.messages.filter((m) => SCANNED_ROLES.has(m.role)).map((m) => textOf(m.content)).join('\n')
  services.monitor?.captureInBackground(principal.tenant, { inferenceId: requestId, modelId: body.model, input, output, guard: guardSignals(verdict.decision, verdict.findings) })
}

function blockedNotice(result: ScanResult): string {
  return `[Rampart blocked this response: ${reasonOf(result.findings)}]`
}

/**
 * `POST /v1/chat/completions`: the OpenAI-compatible proxy. User and tool messages are scanned
 * before anything is sent upstream (block → 400 in OpenAI's format, nothing forwarded; redact →
 * the redacted text is forwarded); the response is scanned against the request's system prompt
 * and canaries before the client sees it, streamed or not.
 */
export function chatRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.post('/v1/chat/completions', { config: { roles: ['admin', 'app'], openai: true } }, async (request, reply) => {
    const upstream = services.upstream
    if (upstream === undefined) throw new RampartError('RAMPART_ERR_NO_UPSTREAM', 'this gateway has no upstream: start it with --upstream URL', { path: 'upstream' })
    const principal = request.principal!
    const body = parseInput(chatRequestSchema, request.body, 'body')
    const { guard } = await services.guards.forTenant(principal.tenant)
    const input = await guardMessages(services, guard, principal, request, body)
    // The model shield counts every prompt, refused ones too: an extraction attempt is one either way.
    await services.shield?.observeChat(principal, request.id, body.model, textOf([...body.messages].reverse().find((m) => m.role === 'user')?.content), input.findings)
    const headers = (v: Verdict) => {
      void reply.header('x-rampart-decision', v.decision)
      if (v.decision !== 'allow') void reply.header('x-rampart-flagged', 'true').header('x-rampart-reason', encodeURIComponent(reasonOf(v.findings)))
    }
    if (input.decision === 'block') {
      if (services.monitor?.sampled() === true) captureExchange(services, principal, request.id, body, null, input)
      headers(input)
      const error = new RampartError('RAMPART_ERR_BLOCKED', `Rampart blocked this request: ${reasonOf(input.findings)}`, { path: 'messages' })
      ;(error as RampartError & { body?: Record<string, unknown> }).body = { rampart: rampartField(input, undefined) }
      throw error
    }

    const { rampart: extension, ...forwarded } = body
    const systemPrompt = body.messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content)).join('\n')
    const lastUser = [...body.messages].reverse().find((m) => m.role === 'user')
    // Set field by field: a literal of conditional spreads ({ ...(a ? {} : { a }), ...}) got a new
    // hidden class on every request on Node 20, as { ...base, key } does (core/objects.ts).
    const context: ScanContext = {}
    if (systemPrompt !== '') context.systemPrompt = systemPrompt
    if (extension?.canaries !== undefined) context.canaries = extension.canaries
    if (extension?.internalNames !== undefined) context.internalNames = extension.internalNames
    if (lastUser !== undefined) context.prompt = textOf(lastUser.content)
    const abort = new UpstreamCancel()
    // The response's 'close', not the request's: on Node ≥ 16 a request emits 'close' as soon as
    // its body has been read, so a client that went away never cancelled the upstream call.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort(new ClientClosed())
    })
    const res = await upstream.post('/chat/completions', forwarded, abort)
    const contentType = String(res.headers['content-type'] ?? '')
    if (res.status >= 400) {
      const text = await res.body.text()
      services.metrics.upstreamErrors.inc({ kind: 'status' })
      if (res.status >= 500) throw new RampartError('RAMPART_ERR_UPSTREAM', `upstream answered ${res.status}: ${text.slice(0, 500)}`, { path: 'upstream' })
      // An upstream 4xx (bad model name, context too long) is the caller's to see, unchanged.
      return reply.status(res.status).header('content-type', contentType || 'application/json').send(text)
    }
    if (body.stream === true && contentType.includes('text/event-stream')) {
      headers(input)
      const capture = services.monitor?.sampled() === true ? (output: string, verdict: Verdict) => captureExchange(services, principal, request.id, body, output, verdict) : undefined
      return streamResponse(services, guard, principal, request, reply, res.body, context, input, abort, capture)
    }
    let parsed: { choices?: { index?: number; message?: ChatMessage; finish_reason?: string | null }[] } & Record<string, unknown>
    try {
      parsed = (await res.body.json()) as typeof parsed
    } catch (cause) {
      services.metrics.upstreamErrors.inc({ kind: 'protocol' })
      throw new RampartError('RAMPART_ERR_UPSTREAM', 'upstream answered with a body that is not JSON', { path: 'upstream', cause })
    }
    const output: Verdict = { decision: 'allow', findings: [], alertIds: [] }
    for (const choice of parsed.choices ?? []) {
      const message = choice.message
      if (message === undefined || typeof message.content !== 'string') continue
      const result = await guard.scanOutput(message.content, context)
      services.shadow?.observe({ tenant: principal.tenant, requestId: request.id, direction: 'output', text: message.content, context, active: guard, result })
      services.metrics.recordScan('output', result)
      output.decision = stronger(output.decision, result.decision)
      output.findings.push(...result.findings)
      const alert = await services.alerts.raise({ tenant: principal.tenant, keyId: principal.keyId, requestId: request.id, direction: 'output', source: 'proxy', text: message.content, result })
      if (alert !== undefined) output.alertIds.push(alert.id)
      if (result.decision === 'block') {
        message.content = blockedNotice(result)
        choice.finish_reason = 'content_filter'
      } else if (result.decision === 'redact') {
        message.content = result.text
      }
    }
    const verdict: Verdict = { decision: stronger(input.decision, output.decision), findings: [...input.findings, ...output.findings], alertIds: [...input.alertIds, ...output.alertIds] }
    headers(verdict)
    if (services.monitor?.sampled() === true) captureExchange(services, principal, request.id, body, (parsed.choices ?? []).map((c) => textOf(c.message?.content ?? '')).join('\n'), verdict)
    return extend(parsed, { rampart: rampartField(input, output) })
  })
}

/** Scans the untrusted messages in place (redactions applied to the body that is forwarded). */
async function guardMessages(services: GatewayServices, guard: Guard, principal: Principal, request: FastifyRequest, body: ChatRequest): Promise<Verdict> {
  const verdict: Verdict = { decision: 'allow', findings: [], alertIds: [] }
  for (const [index, message] of body.messages.entries()) {
    if (!SCANNED_ROLES.has(message.role)) continue
    const parts: { get: () => string; set: (v: string) => void }[] = []
    if (typeof message.content === 'string') {
      parts.push({ get: () => message.content as string, set: (v) => (message.content = v) })
    } else if (Array.isArray(message.content)) {
      for (const part of message.content) {
        if (part.type === 'text' && typeof part.text === 'string') parts.push({ get: () => part.text as string, set: (v) => (part.text = v) })
      }
    }
    for (const part of parts) {
      const text = part.get()
      // A message seen before under this policy (the conversation so far): its verdict again,
      // its first alert named, no new scan and no new alert (history-cache.ts).
      const key = services.history?.key(guard, principal.tenant, text)
      const seen = key === undefined ? undefined : services.history!.get(key)
      if (seen !== undefined) {
        services.metrics.historyHits.inc()
        if (seen.decision === 'allow') continue
        verdict.decision = stronger(verdict.decision, seen.decision)
        verdict.findings.push(...seen.findings.map((f) => extend(f, { detail: extend(f.detail ?? {}, { message: index }) })))
        if (seen.alertId !== undefined) verdict.alertIds.push(seen.alertId)
        if (seen.decision === 'redact' && seen.redacted !== undefined) part.set(seen.redacted)
        continue
      }
      const result = await guard.scanInput(text)
      services.shadow?.observe({ tenant: principal.tenant, requestId: request.id, direction: 'input', text, active: guard, result })
      services.metrics.recordScan('input', result)
      if (result.decision === 'allow') {
        if (key !== undefined) services.history!.set(key, ALLOWED)
        continue
      }
      verdict.decision = stronger(verdict.decision, result.decision)
      verdict.findings.push(...result.findings.map((f) => extend(f, { detail: extend(f.detail ?? {}, { message: index }) })))
      const alert = await services.alerts.raise({ tenant: principal.tenant, keyId: principal.keyId, requestId: request.id, direction: 'input', source: 'proxy', text, result })
      if (alert !== undefined) verdict.alertIds.push(alert.id)
      if (result.decision === 'redact') part.set(result.text)
      // A blocked message never became history (it was not answered): a retry is a new attempt,
      // scanned and alerted again.
      if (key !== undefined && result.decision !== 'block') {
        services.history!.set(key, {
          decision: result.decision,
          findings: result.findings,
          ...(result.decision === 'redact' ? { redacted: result.text } : {}),
          ...(alert === undefined ? {} : { alertId: alert.id }),
        })
      }
    }
  }
  return verdict
}

interface ChunkChoice {
  index?: number
  delta?: { content?: string | null } & Record<string, unknown>
  finish_reason?: string | null
}
type Chunk = { choices?: ChunkChoice[] } & Record<string, unknown>

async function streamResponse(
  services: GatewayServices,
  guard: Guard,
  principal: Principal,
  request: FastifyRequest,
  reply: FastifyReply,
  upstreamBody: AsyncIterable<Buffer>,
  context: ScanContext,
  input: Verdict,
  abort: UpstreamCancel,
  capture?: (output: string, verdict: Verdict) => void,
): Promise<void> {
  const longestCanary = Math.max(0, ...(context.canaries ?? []).map((c) => c.length))
  const holdback = Math.max(64, longestCanary + 1)
  const guards = new Map<number, StreamGuard>()
  const finished = new Set<number>()
  const guardFor = (index: number) => {
    let g = guards.get(index)
    if (g === undefined) {
      g = new StreamGuard((text) => guard.scanOutput(text, context), { holdback, scanEvery: 48 })
      guards.set(index, g)
    }
    return g
  }
  reply.hijack()
  const raw = reply.raw
  raw.writeHead(
    200,
    extend(reply.getHeaders() as Record<string, string>, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': request.id,
    }),
  )
  const send = (data: unknown) => raw.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`)
  let template: Record<string, unknown> = { object: 'chat.completion.chunk' }
  const chunkWith = (choices: ChunkChoice[], extra: Record<string, unknown> = {}) => extend(template, { choices, ...extra })
  const output: Verdict = { decision: 'allow', findings: [], alertIds: [] }
  let cut = false

  const settle = async (index: number, result: ScanResult | undefined, text: string) => {
    if (result === undefined) return
    services.metrics.recordScan('output', result)
    services.shadow?.observe({ tenant: principal.tenant, requestId: request.id, direction: 'output', text, context, active: guard, result })
    output.decision = stronger(output.decision, result.decision)
    output.findings.push(...result.findings)
    const alert = await services.alerts.raise({ tenant: principal.tenant, keyId: principal.keyId, requestId: request.id, direction: 'output', source: 'proxy-stream', text, result })
    if (alert !== undefined) output.alertIds.push(alert.id)
    void index
  }
  const block = async (index: number, g: StreamGuard, result: ScanResult) => {
    finished.add(index)
    send(chunkWith([{ index, delta: { content: `\n${blockedNotice(result)}` }, finish_reason: 'content_filter' }]))
    await settle(index, result, g.fullText)
    services.metrics.streamsCut.inc()
  }

  const parser = new SseParser()
  try {
    outer: for await (const buf of upstreamBody) {
      const events = parser.push(buf.toString('utf8'))
      for (let e = 0; e < events.length; e++) {
        const data = events[e]!
        if (data.trim() === '[DONE]') break outer
        let chunk: Chunk
        try {
          chunk = JSON.parse(data) as Chunk
        } catch {
          services.metrics.upstreamErrors.inc({ kind: 'protocol' })
          continue
        }
        const { choices, ...rest } = chunk
        template = { ...rest }
        const outChoices: ChunkChoice[] = []
        for (const choice of choices ?? []) {
          const index = choice.index ?? 0
          if (finished.has(index)) continue
          const g = guardFor(index)
          const delta = choice.delta ?? {}
          // Events already read behind this one: their text joins the next scan instead of each
          // getting its own (a gateway that falls behind scans per read, not per token).
          const more = e < events.length - 1 && (choice.finish_reason ?? null) === null
          let step: StreamStep = { release: '' }
          if (typeof delta.content === 'string') {
            if (more) g.append(delta.content)
            else step = await g.push(delta.content)
          }
          if (step.blocked !== undefined) {
            await block(index, g, step.blocked)
            continue
          }
          let release = step.release
          let finishReason = choice.finish_reason ?? null
          if (finishReason !== null) {
            const last = await g.finish()
            if (last.blocked !== undefined) {
              if (release !== '') outChoices.push({ index, delta: { content: release } })
              await block(index, g, last.blocked)
              continue
            }
            release += last.release
            finished.add(index)
            await settle(index, g.lastResult, g.fullText)
          } else {
            finishReason = null
          }
          const { content: _content, ...otherDelta } = delta
          void _content
          if (release !== '' || Object.keys(otherDelta).length > 0 || finishReason !== null) {
            outChoices.push(extend(choice, { index, delta: release === '' ? otherDelta : extend(otherDelta, { content: release }), finish_reason: finishReason }))
          }
        }
        if (outChoices.length > 0 || (choices ?? []).length === 0) send(chunkWith(outChoices))
        if (guards.size > 0 && [...guards.keys()].every((i) => finished.has(i)) && output.decision === 'block') {
          cut = true
          break outer
        }
      }
    }
    // Choices the upstream never finished explicitly (a [DONE] without finish_reason).
    for (const [index, g] of guards) {
      if (finished.has(index)) continue
      const last = await g.finish()
      if (last.blocked !== undefined) await block(index, g, last.blocked)
      else {
        if (last.release !== '') send(chunkWith([{ index, delta: { content: last.release } }]))
        finished.add(index)
        await settle(index, g.lastResult, g.fullText)
      }
    }
    send(chunkWith([], { rampart: rampartField(input, output) }))
    send('[DONE]')
    const first = guards.get(0)
    if (capture !== undefined && first !== undefined) {
      const shown = first.blocked !== undefined ? blockedNotice(first.blocked) : first.lastResult?.decision === 'redact' ? first.lastResult.text : first.fullText
      capture(shown, { decision: stronger(input.decision, output.decision), findings: [...input.findings, ...output.findings], alertIds: [] })
    }
  } catch (error) {
    const mapped = services.upstream?.mapError(error, abort) ?? error
    request.log.warn({ code: (mapped as RampartError).code }, 'stream failed')
    send({ error: { message: (mapped as Error).message, type: 'upstream_error', code: (mapped as RampartError).code ?? 'RAMPART_ERR_UPSTREAM' } })
    send('[DONE]')
  } finally {
    if (cut) abort.abort()
    raw.end()
  }
}
