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
})
