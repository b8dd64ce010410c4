import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from './mock-upstream.js'
import { Upstream, UpstreamCancel } from './upstream.js'

describe('Upstream', () => {
  let hanging: MockUpstream
  let upstream: Upstream
  beforeAll(async () => {
    hanging = await startMockUpstream({ hang: true })
    upstream = new Upstream(hanging.url, { timeoutMs: 10_000 })
  })
  afterAll(async () => {
    await upstream.close()
    await hanging.close()
  })

  it('gives up a call when its UpstreamCancel aborts, as with an AbortSignal', async () => {
    const cancel = new UpstreamCancel()
    const started = Date.now()
    const call = upstream.post('/chat/completions', { model: 'm', messages: [] }, cancel)
    setTimeout(() => cancel.abort(), 50)
    await expect(call).rejects.toMatchObject({ code: 'RAMPART_ERR_UPSTREAM' })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(cancel.reason).toBeInstanceOf(DOMException)
  })

  it('does not send a call whose UpstreamCancel has already aborted', async () => {
    const cancel = new UpstreamCancel()
    cancel.abort()
    const before = hanging.requests.length
    await expect(upstream.post('/chat/completions', { model: 'm', messages: [] }, cancel)).rejects.toMatchObject({ code: 'RAMPART_ERR_UPSTREAM' })
    expect(hanging.requests.length).toBe(before)
  })

  it('posts to the base URL\'s path plus the route, with the key and the JSON body', async () => {
    const seen: { url?: string; auth?: string; body?: string }[] = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        seen.push({ url: req.url, auth: req.headers.authorization, body })
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const prefixed = new Upstream(`http://127.0.0.1:${(server.address() as AddressInfo).port}/openai/v1/`, { timeoutMs: 5_000, apiKey: 'sk-test' })
    try {
      for (let i = 0; i < 2; i++) {
        const res = await prefixed.post('/chat/completions', { model: 'm', n: i })
        expect(res.status).toBe(200)
        await res.body.text()
      }
    } finally {
      await prefixed.close()
      server.close()
    }
    expect(seen).toEqual([0, 1].map((n) => ({ url: '/openai/v1/chat/completions', auth: 'Bearer sk-test', body: JSON.stringify({ model: 'm', n }) })))
  })
})
