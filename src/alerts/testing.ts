import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { RampartError } from '../core/errors.js'
import type { OutboxMessage, OutboxStore } from '../store/types.js'
import type { PayloadSealer } from './outbox.js'

/**
 * Test support only: an OutboxStore in memory with the same semantics as the SQL adapters
 * (claiming counts the attempt and leases until `leaseUntil`; claimed oldest first; a failure
 * report after delivery is ignored), plus a log of failures for asserting on retry timing.
 * Not durable, so never a real outbox.
 */
export interface MemoryOutboxStore extends OutboxStore {
  readonly messages: Map<string, OutboxMessage>
  /** Every markFailed, in order, with the time it was recorded (ms). */
  readonly failures: { id: string; at: number; error: string; nextAttemptAt: string }[]
  /** When set, every call rejects with it (a store outage). */
  failWith: Error | undefined
}

export function createMemoryOutboxStore(): MemoryOutboxStore {
  const messages = new Map<string, OutboxMessage>()
  const failures: MemoryOutboxStore['failures'] = []
  const store: MemoryOutboxStore = {
    messages,
    failures,
    failWith: undefined,
    async enqueue(message) {
      if (store.failWith) throw store.failWith
      if (messages.has(message.id)) throw new RampartError('RAMPART_ERR_STORE', `duplicate outbox id ${message.id}`)
      messages.set(message.id, { ...message, attempts: 0, deliveredAt: null, lastError: null })
    },
    async claimDue(now, leaseUntil, limit) {
      if (store.failWith) throw store.failWith
      const due = [...messages.values()]
        .filter((m) => m.deliveredAt === null && m.nextAttemptAt <= now)
        .sort((a, b) => a.nextAttemptAt.localeCompare(b.nextAttemptAt) || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
        .slice(0, limit)
      for (const m of due) {
        m.nextAttemptAt = leaseUntil
        m.attempts += 1
      }
      return due.map((m) => ({ ...m })).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    },
    async markDelivered(id, at) {
      if (store.failWith) throw store.failWith
      const m = messages.get(id)
      if (m !== undefined && m.deliveredAt === null) m.deliveredAt = at
    },
    async markFailed(id, error, nextAttemptAt) {
      if (store.failWith) throw store.failWith
      const m = messages.get(id)
      if (m === undefined || m.deliveredAt !== null) return
      m.lastError = error
      m.nextAttemptAt = nextAttemptAt
      failures.push({ id, at: Date.now(), error, nextAttemptAt })
    },
    async countPending() {
      if (store.failWith) throw store.failWith
      return [...messages.values()].filter((m) => m.deliveredAt === null).length
    },
  }
  return store
}

/**
 * Test support only: a reversible stand-in for the Envelope that, like the real one, refuses to
 * open a value under another `aad`. It does not encrypt (base64url only).
 */
export function createFakeSealer(): PayloadSealer & { sealed: number } {
  const sealer = {
    sealed: 0,
    async seal(plaintext: string, aad: string) {
      sealer.sealed++
      return `fake.${Buffer.from(aad).toString('base64url')}.${Buffer.from(plaintext).toString('base64url')}`
    },
    async open(sealed: string, aad: string) {
      const [tag, boundAad, body] = sealed.split('.')
      if (tag !== 'fake' || body === undefined || Buffer.from(boundAad ?? '', 'base64url').toString() !== aad) {
        throw new RampartError('RAMPART_ERR_CRYPTO', 'sealed value does not open under this aad')
      }
      return Buffer.from(body, 'base64url').toString()
    },
  }
  return sealer
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders
  /** The raw body, as the signature covers it. */
  body: string
  at: number
}

export interface WebhookReceiver {
  url: string
  port: number
  received: ReceivedWebhook[]
  /** Answers each request; default 204. Leave `res` unanswered to simulate a hung receiver. */
  respond: (req: ReceivedWebhook, res: ServerResponse) => void
  close(): Promise<void>
}

/** Test support only: a real HTTP receiver on 127.0.0.1 (`port` 0 = any free port). */
export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const sockets = new Set<Socket>()
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received: [],
    respond: (_req, res) => {
      res.statusCode = 204
      res.end()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const got = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() }
      receiver.received.push(got)
      receiver.respond(got, res)
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  receiver.port = (server.address() as { port: number }).port
  receiver.url = `http://127.0.0.1:${receiver.port}/hooks/rampart`
  return receiver
}
