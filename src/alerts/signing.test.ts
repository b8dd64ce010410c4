import { describe, expect, it } from 'vitest'
import { RampartError } from '../core/errors.js'
import { signWebhook, verifyWebhook } from './signing.js'

const SECRET = 'whsec_test_secret'
const BODY = '{"id":"evt_1","type":"alert.created"}'
const T = 1_700_000_000
const NOW = T * 1000

describe('signWebhook', () => {
  it('produces t=<unix>,v1=<HMAC-SHA256 of "t.body"> (vector computed with openssl)', () => {
    expect(signWebhook(SECRET, T, BODY)).toBe(`t=${T},v1=4777b3725e73c88cc7ce16eb3120109bfdf442392ee24e9e6ca13486189e1fe5`)
    expect(signWebhook(SECRET, T, Buffer.from(BODY))).toBe(signWebhook(SECRET, T, BODY))
  })

  it('signs with every secret given, for rotation', () => {
    const header = signWebhook(['new-secret', 'old-secret'], T, BODY)
    expect(header.split(',')).toHaveLength(3)
    expect(verifyWebhook('old-secret', header, BODY, { now: NOW }).ok).toBe(true)
    expect(verifyWebhook('new-secret', header, BODY, { now: NOW }).ok).toBe(true)
    expect(verifyWebhook(['newer', 'old-secret'], signWebhook('old-secret', T, BODY), BODY, { now: NOW }).ok).toBe(true)
  })

  it('refuses empty secrets and timestamps that are not whole seconds', () => {
    for (const bad of ['', [], ['ok', '']] as const) expect(() => signWebhook(bad, T, BODY)).toThrow(RampartError)
    expect(() => signWebhook(SECRET, 1.5, BODY)).toThrow(/whole unix seconds/)
    expect(() => signWebhook(SECRET, Date.now(), BODY)).not.toThrow()
  })
})

describe('verifyWebhook', () => {
  const header = signWebhook(SECRET, T, BODY)

  it('accepts the right body, secret and time', () => {
    expect(verifyWebhook(SECRET, header, BODY, { now: NOW })).toEqual({ ok: true, timestamp: T })
    expect(verifyWebhook(SECRET, header, Buffer.from(BODY), { now: NOW + 299_000 })).toEqual({ ok: true, timestamp: T })
  })

  it('rejects an altered body, an altered timestamp and the wrong secret', () => {
    expect(verifyWebhook(SECRET, header, BODY.replace('evt_1', 'evt_2'), { now: NOW })).toEqual({ ok: false, reason: 'mismatch' })
    expect(verifyWebhook(SECRET, header, `${BODY} `, { now: NOW })).toEqual({ ok: false, reason: 'mismatch' })
    expect(verifyWebhook(SECRET, header.replace(`t=${T}`, `t=${T + 1}`), BODY, { now: NOW })).toEqual({ ok: false, reason: 'mismatch' })
    expect(verifyWebhook('another-secret', header, BODY, { now: NOW })).toEqual({ ok: false, reason: 'mismatch' })
  })

  it('rejects replays outside the tolerance, and timestamps from the future', () => {
    expect(verifyWebhook(SECRET, header, BODY, { now: NOW + 300_000 }).ok).toBe(true)
    expect(verifyWebhook(SECRET, header, BODY, { now: NOW + 301_000 })).toEqual({ ok: false, reason: 'too_old' })
    expect(verifyWebhook(SECRET, header, BODY, { now: NOW - 301_000 })).toEqual({ ok: false, reason: 'too_new' })
    expect(verifyWebhook(SECRET, header, BODY, { now: NOW + 31_000, toleranceSeconds: 30 })).toEqual({ ok: false, reason: 'too_old' })
  })

  it('rejects malformed headers without throwing', () => {
    const v1 = header.split(',')[1]!
    for (const bad of [undefined, '', 'garbage', `t=${T}`, v1, `t=abc,${v1}`, `t=${T},t=${T},${v1}`, `t=${T},v1=zz`, `t=${T},v1=${'a'.repeat(63)}`, `t=-5,${v1}`, `t=${T},${v1},=x`, 'x'.repeat(5000)]) {
      expect(verifyWebhook(SECRET, bad, BODY, { now: NOW })).toEqual({ ok: false, reason: 'malformed' })
    }
  })

  it('ignores unknown schemes but still needs a matching v1', () => {
    expect(verifyWebhook(SECRET, `${header},v0=deadbeef`, BODY, { now: NOW }).ok).toBe(true)
    expect(verifyWebhook(SECRET, `t=${T},v0=deadbeef`, BODY, { now: NOW })).toEqual({ ok: false, reason: 'malformed' })
    expect(verifyWebhook(SECRET, `t=${T},v1=${'0'.repeat(64)},${header.split(',')[1]!}`, BODY, { now: NOW }).ok).toBe(true)
  })
})
