import { afterEach, describe, expect, it } from 'vitest'
import { RampartError } from '../core/errors.js'
import { createLogNotifier, createWebhookNotifier, DeliveryError } from './notifier.js'
import { verifyWebhook } from './signing.js'
import { startWebhookReceiver } from './testing.js'
import type { WebhookReceiver } from './testing.js'

const SECRET = 'whsec_notifier_test'
const message = { deliveryId: 'd-1', event: 'alert.created', body: '{"id":"d-1","type":"alert.created","data":{}}', attempt: 3 }
let receiver: WebhookReceiver | undefined

afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

describe('webhook notifier', () => {
  it('POSTs the body as given with event, delivery, attempt and a signature the receiver can verify', async () => {
    receiver = await startWebhookReceiver()
    const notifier = createWebhookNotifier({ name: 'siem', url: receiver.url, secret: SECRET, headers: { authorization: 'Bearer receiver-token' } })
    expect(notifier.id).toBe('siem')
    await notifier.send(message)
    expect(receiver.received).toHaveLength(1)
    const [got] = receiver.received
    expect(got!.body).toBe(message.body)
    expect(got!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-rampart-event': 'alert.created',
      'x-rampart-delivery': 'd-1',
      'x-rampart-attempt': '3',
      authorization: 'Bearer receiver-token',
    })
    expect(verifyWebhook(SECRET, got!.headers['x-rampart-signature'] as string, got!.body)).toMatchObject({ ok: true })
    expect(verifyWebhook('wrong', got!.headers['x-rampart-signature'] as string, got!.body)).toEqual({ ok: false, reason: 'mismatch' })
  })

  it('counts only 2xx as delivered: 500 and a redirect are failures with the status', async () => {
    receiver = await startWebhookReceiver()
    const notifier = createWebhookNotifier({ name: 'siem', url: receiver.url, secret: SECRET })
    for (const [status, extra] of [[500, {}], [302, { location: 'http://127.0.0.1:1/elsewhere' }], [404, {}]] as const) {
      receiver.respond = (_req, res) => {
        res.writeHead(status, extra)
        res.end('nope')
      }
      const err = await notifier.send(message).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(DeliveryError)
      expect((err as DeliveryError).status).toBe(status)
      expect((err as Error).message).toContain(`HTTP ${status}`)
    }
    receiver.respond = (_req, res) => res.writeHead(201).end()
    await expect(notifier.send(message)).resolves.toBeUndefined()
  })

  it('gives up on a receiver that does not answer within timeoutMs, and on a refused connection', async () => {
    receiver = await startWebhookReceiver()
    receiver.respond = () => undefined
    const slow = createWebhookNotifier({ name: 'slow', url: receiver.url, secret: SECRET, timeoutMs: 150 })
    const started = Date.now()
    const err = await slow.send(message).catch((e: unknown) => e)
    expect((err as Error).message).toContain('timed out after 150 ms')
    expect(Date.now() - started).toBeLessThan(2000)
    const port = receiver.port
    await receiver.close()
    receiver = undefined
    const refused = createWebhookNotifier({ name: 'down', url: `http://127.0.0.1:${port}/`, secret: SECRET })
    await expect(refused.send(message)).rejects.toBeInstanceOf(DeliveryError)
  })

  it('stops when the caller aborts', async () => {
    receiver = await startWebhookReceiver()
    receiver.respond = () => undefined
    const notifier = createWebhookNotifier({ name: 'siem', url: receiver.url, secret: SECRET })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    await expect(notifier.send(message, controller.signal)).rejects.toBeInstanceOf(DeliveryError)
  })

  it('refuses a bad URL or an empty secret when configured, not at the first alert', () => {
    for (const opts of [
      { name: 'a', url: 'not a url', secret: SECRET },
      { name: 'a', url: 'ftp://example.com/x', secret: SECRET },
      { name: 'a', url: 'https://example.com/x', secret: '' },
    ]) {
      expect(() => createWebhookNotifier(opts)).toThrow(RampartError)
    }
  })
})

describe('log notifier', () => {
  it('logs what ranks the alert, never its excerpt', async () => {
    const lines: { obj: Record<string, unknown>; msg: string }[] = []
    const notifier = createLogNotifier({ logger: { info: (obj, msg) => lines.push({ obj, msg }) } })
    const alert = { id: 'a1', tenant: 't1', severity: 'high', decision: 'block', scanners: ['pii'], requestId: 'r1', findings: [{ scanner: 'pii' }, { scanner: 'pii' }], excerpt: 'my card is [CREDIT_CARD_1] and SECRET-CONTEXT' }
    await notifier.send({ deliveryId: 'd1', event: 'alert.created', body: JSON.stringify({ id: 'd1', type: 'alert.created', data: { alert } }), attempt: 1 })
    expect(notifier.id).toBe('log')
    expect(lines).toHaveLength(1)
    expect(lines[0]!.obj).toMatchObject({ deliveryId: 'd1', alertId: 'a1', tenant: 't1', severity: 'high', decision: 'block', scanners: ['pii'], findings: 2 })
    expect(JSON.stringify(lines)).not.toContain('SECRET-CONTEXT')
  })
})
