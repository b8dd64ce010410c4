import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { signWebhook } from './signing.js'

/** The receiver snippet in docs/webhooks.md is what people copy: it must accept what Rampart signs. */
const doc = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8')
const snippet = /<!-- verify-snippet -->\s*```js\n([\s\S]*?)```\s*<!-- \/verify-snippet -->/.exec(doc)?.[1]
type Verify = (secret: string, header: string | undefined, rawBody: Buffer | string, toleranceSeconds?: number) => boolean

describe('docs/webhooks.md receiver snippet', () => {
  it('is present', () => {
    expect(snippet).toContain('export function verifyRampartSignature')
  })

  it('accepts a Rampart signature and refuses altered, stale, future or malformed ones', async () => {
    const { verifyRampartSignature } = (await import(`data:text/javascript,${encodeURIComponent(snippet!)}`)) as { verifyRampartSignature: Verify }
    const secret = 'whsec_doc_test'
    const body = '{"id":"d1","type":"alert.created","data":{"alert":{"severity":"high"}}}'
    const now = Math.floor(Date.now() / 1000)
    const header = signWebhook(secret, now, body)
    expect(verifyRampartSignature(secret, header, Buffer.from(body))).toBe(true)
    expect(verifyRampartSignature(secret, header, body)).toBe(true)
    expect(verifyRampartSignature(secret, signWebhook(['new', secret], now, body), body)).toBe(true)
    expect(verifyRampartSignature(secret, header, body.replace('high', 'low'))).toBe(false)
    expect(verifyRampartSignature('other', header, body)).toBe(false)
    expect(verifyRampartSignature(secret, signWebhook(secret, now - 301, body), body)).toBe(false)
    expect(verifyRampartSignature(secret, signWebhook(secret, now + 301, body), body)).toBe(false)
    expect(verifyRampartSignature(secret, signWebhook(secret, now - 60, body), body, 30)).toBe(false)
    for (const bad of [undefined, '', `t=${now}`, header.split(',')[1], `t=${now},v1=zz`]) expect(verifyRampartSignature(secret, bad, body)).toBe(false)
  })
})
