import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RampartError } from '../core/errors.js'
import type { DataKeyStore } from '../store/types.js'
import { createEnvelope } from './envelope.js'
import { createLocalKeyring, type LocalKeyring } from './local-keyring.js'
import { createMemoryDataKeyStore, type MemoryDataKeyStore } from './testing.js'
import type { KeyProvider } from './types.js'

let dir: string
let keyring: LocalKeyring
let store: MemoryDataKeyStore

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rampart-envelope-'))
  keyring = createLocalKeyring({ dataDir: dir })
  store = createMemoryDataKeyStore()
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function cryptoFailure(promise: Promise<unknown>): Promise<RampartError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(RampartError)
  expect((error as RampartError).code).toBe('RAMPART_ERR_CRYPTO')
  return error as RampartError
}

/** Flips one character of a base64url part to another valid one. */
function flip(text: string, index: number): string {
  const c = text[index]
  return text.slice(0, index) + (c === 'A' ? 'B' : 'A') + text.slice(index + 1)
}

const SECRET = 'my card is 4111 1111 1111 1111 — naïve café ☕ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢'

describe('envelope', () => {
  it('seals to the versioned text format and opens back', async () => {
    const env = createEnvelope({ provider: keyring, dataKeys: store })
    const sealed = await env.seal(SECRET, 'alert:a1:excerpt')
    expect(sealed).toMatch(/^v1\.dk_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/)
    expect(sealed).not.toContain('4111')
    expect(Buffer.from(sealed.split('.')[4]!, 'base64url').toString('latin1')).not.toContain('4111')
    expect(await env.open(sealed, 'alert:a1:excerpt')).toBe(SECRET)
    expect(await env.open(await env.seal('', 'x'), 'x')).toBe('')
    // A fresh IV each time: the same text never seals to the same bytes.
    expect(await env.seal(SECRET, 'alert:a1:excerpt')).not.toBe(sealed)
  })

  it('creates one wrapped data key on first use, also under concurrent first seals', async () => {
    const env = createEnvelope({ provider: keyring, dataKeys: store })
    const sealed = await Promise.all(Array.from({ length: 20 }, (_, i) => env.seal(`text ${i}`, `r:${i}`)))
    expect(store.rows).toHaveLength(1)
    const [row] = store.rows
    expect(row).toMatchObject({ provider: 'local', masterKeyId: 'local:v1', retiredAt: null })
    expect(new Set(sealed.map((s) => s.split('.')[1]))).toEqual(new Set([row!.id]))
    // The store holds the key only wrapped: it unwraps under the keyring, and is not the raw key.
    const raw = await keyring.unwrap({ wrapped: row!.wrapped, masterKeyId: row!.masterKeyId })
    expect(raw).toHaveLength(32)
    expect(Buffer.from(row!.wrapped, 'base64').includes(raw)).toBe(false)
  })

  it('opens values sealed by another process (data key read from the store and unwrapped)', async () => {
    const sealed = await createEnvelope({ provider: keyring, dataKeys: store }).seal(SECRET, 'prompt:p1')
    const restarted = createEnvelope({ provider: createLocalKeyring({ dataDir: dir }), dataKeys: store })
    expect(await restarted.open(sealed, 'prompt:p1')).toBe(SECRET)
    expect((await restarted.seal('more', 'prompt:p2')).split('.')[1]).toBe(sealed.split('.')[1])
  })

  it('refuses a value moved to another record (aad mismatch)', async () => {
    const env = createEnvelope({ provider: keyring, dataKeys: store })
    const sealed = await env.seal(SECRET, 'alert:a1:excerpt')
    const error = await cryptoFailure(env.open(sealed, 'alert:a2:excerpt'))
    expect(error.message).toMatch(/altered or belongs to another record/)
    expect(error.message).not.toContain('4111')
    await cryptoFailure(env.open(sealed, 'alert:a1:excerpt '))
  })

  it('refuses any altered part, never returning partial plaintext', async () => {
    const env = createEnvelope({ provider: keyring, dataKeys: store })
    const aad = 'response:r1'
    const sealed = await env.seal(SECRET, aad)
    const [v, id, iv, tag, ct] = sealed.split('.') as [string, string, string, string, string]
    const other = await createEnvelope({ provider: keyring, dataKeys: store }).rotateDataKey()
    const variants = [
      [v, id, iv, tag, flip(ct, 0)],
      [v, id, iv, tag, flip(ct, ct.length - 3)],
      [v, id, iv, tag, ct.slice(0, -4)],
      [v, id, iv, tag, ct + 'AAAA'],
      [v, id, iv, flip(tag, 0), ct],
      [v, id, flip(iv, 0), tag, ct],
      [v, other.dataKeyId, iv, tag, ct],
    ]
    for (const parts of variants) {
      const error = await cryptoFailure(env.open(parts.join('.'), aad))
      expect(error.message).toMatch(/does not authenticate/)
    }
    for (const bad of ['v2' + sealed.slice(2), `${v}.${id}.${iv}.${tag}`, `${v}.${id}.${iv}.${tag}.${ct}.x`, 'hello', '', `${v}.${id}.${iv}.${tag.slice(2)}.${ct}`, `${v}.${id}.${iv}.${tag}.${ct}!`]) {
      await cryptoFailure(env.open(bad, aad))
    }
    expect(await env.open(sealed, aad)).toBe(SECRET)
  })

  it('refuses unknown data keys, keys of another provider and non-data-key records', async () => {
    const env = createEnvelope({ provider: keyring, dataKeys: store })
    const sealed = await env.seal(SECRET, 'x')
    const [v, id, ...rest] = sealed.split('.')
    expect((await cryptoFailure(env.open([v, 'dk_nope', ...rest].join('.'), 'x'))).message).toMatch(/dk_nope does not exist/)
    expect((await cryptoFailure(env.open([v, 'audit-mac-key', ...rest].join('.'), 'x'))).message).toMatch(/no valid data key/)

    store.rows[0]!.provider = 'aws-kms'
    const fresh = createEnvelope({ provider: keyring, dataKeys: store })
    expect((await cryptoFailure(fresh.open(sealed, 'x'))).message).toMatch(new RegExp(`${id} was wrapped by key provider "aws-kms"`))
    // Sealing goes on with a new data key of this provider.
    const next = await fresh.seal('new', 'y')
    expect(next.split('.')[1]).not.toBe(id)
    expect(await fresh.open(next, 'y')).toBe('new')
  })

  it('fails with RAMPART_ERR_CRYPTO when the master key is lost', async () => {
    const sealed = await createEnvelope({ provider: keyring, dataKeys: store }).seal(SECRET, 'x')
    const otherKeyring = createLocalKeyring({ dataDir: join(dir, 'elsewhere') })
    const error = await cryptoFailure(createEnvelope({ provider: otherKeyring, dataKeys: store }).open(sealed, 'x'))
    expect(error.message).toMatch(/does not authenticate under master key local:v1/)
  })

  describe('master key rotation', () => {
    it('re-wraps every data key under the new master; old values still open', async () => {
      const env = createEnvelope({ provider: keyring, dataKeys: store })
      const first = await env.seal('one', 'r:1')
      await env.rotateDataKey()
      const second = await env.seal('two', 'r:2')
      const before = store.rows.map((r) => ({ ...r }))
      expect(before.map((r) => r.masterKeyId)).toEqual(['local:v1', 'local:v1'])

      expect(await env.rotateMaster()).toEqual({ rewrapped: 2, masterKeyId: 'local:v2', skipped: [] })
      for (const [i, row] of store.rows.entries()) {
        expect(row.masterKeyId).toBe('local:v2')
        expect(row.wrapped).not.toBe(before[i]!.wrapped)
      }
      // A process with an empty cache unwraps the re-wrapped keys under local:v2.
      const fresh = createEnvelope({ provider: createLocalKeyring({ dataDir: dir }), dataKeys: store })
      expect(await fresh.open(first, 'r:1')).toBe('one')
      expect(await fresh.open(second, 'r:2')).toBe('two')
      expect(await env.open(await env.seal('three', 'r:3'), 'r:3')).toBe('three')
      // Running it again rotates again and re-wraps again.
      expect((await env.rotateMaster()).masterKeyId).toBe('local:v3')
      expect(store.rows.every((r) => r.masterKeyId === 'local:v3')).toBe(true)
    })

    it('keeps sealing and opening while it runs (no downtime)', async () => {
      const env = createEnvelope({ provider: keyring, dataKeys: store })
      const old = await Promise.all(Array.from({ length: 3 }, async (_, i) => {
        await env.rotateDataKey()
        return env.seal(`old ${i}`, `r:${i}`)
      }))
      // Slow wraps stretch the rotation so the traffic below really overlaps it.
      const slow: KeyProvider = { ...keyring, id: 'local', wrap: async (k) => { await new Promise((r) => setTimeout(r, 5)); return keyring.wrap(k) } }
      const rotating = createEnvelope({ provider: slow, dataKeys: store }).rotateMaster()
      let done = false
      void rotating.finally(() => (done = true))
      let rounds = 0
      while (!done) {
        const reader = createEnvelope({ provider: createLocalKeyring({ dataDir: dir }), dataKeys: store })
        for (const [i, s] of old.entries()) expect(await reader.open(s, `r:${i}`)).toBe(`old ${i}`)
        expect(await env.open(await env.seal(`new ${rounds}`, 'n'), 'n')).toBe(`new ${rounds}`)
        rounds++
      }
      expect((await rotating).rewrapped).toBe(3)
      expect(rounds).toBeGreaterThan(1)
    })

    it('never overwrites a concurrent re-wrap (compare-and-swap) and counts only its own', async () => {
      const env = createEnvelope({ provider: keyring, dataKeys: store })
      const sealed = await env.seal('a', 'r:a')
      await env.rotateDataKey()
      await env.seal('b', 'r:b')
      const raced = store.rows[0]!.id
      let competitorWrapped: string | undefined
      const racing: DataKeyStore = {
        ...store,
        async rewrapDataKey(id, expected, wrapped, masterKeyId) {
          if (id === raced && competitorWrapped === undefined) {
            // Another rotator re-wraps the same key under the new master just before us.
            const raw = await keyring.unwrap({ wrapped: expected, masterKeyId: store.rows[0]!.masterKeyId })
            const w = await keyring.wrap(raw)
            competitorWrapped = w.wrapped
            expect(await store.rewrapDataKey(id, expected, w.wrapped, w.masterKeyId)).toBe(true)
          }
          return store.rewrapDataKey(id, expected, wrapped, masterKeyId)
        },
      }
      const result = await createEnvelope({ provider: keyring, dataKeys: racing }).rotateMaster()
      expect(result).toEqual({ rewrapped: 1, masterKeyId: 'local:v2', skipped: [] })
      expect(store.rows[0]!.wrapped).toBe(competitorWrapped)
      expect(store.rows.every((r) => r.masterKeyId === 'local:v2')).toBe(true)
      expect(await createEnvelope({ provider: keyring, dataKeys: store }).open(sealed, 'r:a')).toBe('a')
    })

    it('retries a key whose row changed under it and still ends under the new master', async () => {
      const env = createEnvelope({ provider: keyring, dataKeys: store })
      const sealed = await env.seal('a', 'r:a')
      const row = store.rows[0]!
      // A stale process re-wraps the key under the old master while the rotation runs.
      const stale = await keyring.wrap(await keyring.unwrap({ wrapped: row.wrapped, masterKeyId: row.masterKeyId }))
      let raced = false
      const racing: DataKeyStore = {
        ...store,
        async rewrapDataKey(id, expected, wrapped, masterKeyId) {
          if (!raced) {
            raced = true
            expect(await store.rewrapDataKey(id, expected, stale.wrapped, stale.masterKeyId)).toBe(true)
          }
          return store.rewrapDataKey(id, expected, wrapped, masterKeyId)
        },
      }
      expect(await createEnvelope({ provider: keyring, dataKeys: racing }).rotateMaster()).toEqual({ rewrapped: 1, masterKeyId: 'local:v2', skipped: [] })
      expect(raced).toBe(true)
      expect(store.rows[0]).toMatchObject({ masterKeyId: 'local:v2' })
      expect(store.rows[0]!.wrapped).not.toBe(stale.wrapped)
      expect(await createEnvelope({ provider: keyring, dataKeys: store }).open(sealed, 'r:a')).toBe('a')
    })

    it('changes nothing for a key whose new wrap does not unwrap', async () => {
      const env = createEnvelope({ provider: keyring, dataKeys: store })
      const sealed = await env.seal('a', 'r:a')
      const before = store.rows.map((r) => ({ ...r }))
      const broken: KeyProvider = {
        ...keyring,
        id: 'local',
        wrap: async (k) => {
          const w = await keyring.wrap(k)
          return { ...w, wrapped: Buffer.from(w.wrapped, 'base64').reverse().toString('base64') }
        },
      }
      await cryptoFailure(createEnvelope({ provider: broken, dataKeys: store }).rotateMaster())
      expect(store.rows).toEqual(before)
      expect(await createEnvelope({ provider: keyring, dataKeys: store }).open(sealed, 'r:a')).toBe('a')
    })

    it('leaves keys of another provider alone and reports them', async () => {
      const env = createEnvelope({ provider: keyring, dataKeys: store })
      await env.seal('a', 'r:a')
      await store.insertDataKey({ id: 'dk_foreign', wrapped: 'AAAA', provider: 'aws-kms', masterKeyId: 'arn:x', createdAt: '2020-01-01T00:00:00.000Z', retiredAt: '2020-01-02T00:00:00.000Z' })
      expect(await env.rotateMaster()).toEqual({ rewrapped: 1, masterKeyId: 'local:v2', skipped: ['dk_foreign'] })
      expect(store.rows[1]).toMatchObject({ wrapped: 'AAAA', masterKeyId: 'arn:x' })
    })
  })

  describe('data key rotation', () => {
    it('seals with a new key, retires the old one, and old values still open', async () => {
      let clock = Date.parse('2026-01-01T00:00:00.000Z')
      const env = createEnvelope({ provider: keyring, dataKeys: store, now: () => new Date(clock) })
      const old = await env.seal('old', 'r:1')
      const oldId = old.split('.')[1]
      clock += 1000
      const rotation = await env.rotateDataKey()
      expect(rotation.retired).toEqual([oldId])
      expect(rotation.dataKeyId).not.toBe(oldId)
      expect(store.rows.find((r) => r.id === oldId)?.retiredAt).toBe('2026-01-01T00:00:01.000Z')
      const fresh = await env.seal('new', 'r:2')
      expect(fresh.split('.')[1]).toBe(rotation.dataKeyId)
      expect(await env.open(old, 'r:1')).toBe('old')
      // Another process starting now seals with the new key too.
      const other = createEnvelope({ provider: keyring, dataKeys: store })
      expect((await other.seal('x', 'r:3')).split('.')[1]).toBe(rotation.dataKeyId)
      expect(await other.open(old, 'r:1')).toBe('old')
    })

    it('a running process picks up another replica\'s rotation after its TTL', async () => {
      const replicaA = createEnvelope({ provider: keyring, dataKeys: store, currentKeyTtlMs: 0 })
      const before = (await replicaA.seal('a', 'r')).split('.')[1]
      const { dataKeyId } = await createEnvelope({ provider: keyring, dataKeys: store }).rotateDataKey()
      expect(dataKeyId).not.toBe(before)
      // The first seal after the TTL starts the reload in the background and still uses the loaded key.
      await replicaA.seal('b', 'r')
      await new Promise((r) => setTimeout(r, 10))
      expect((await replicaA.seal('c', 'r')).split('.')[1]).toBe(dataKeyId)

      const replicaB = createEnvelope({ provider: keyring, dataKeys: store })
      const loaded = (await replicaB.seal('a', 'r')).split('.')[1]
      await createEnvelope({ provider: keyring, dataKeys: store }).rotateDataKey()
      await replicaB.seal('b', 'r')
      await new Promise((r) => setTimeout(r, 10))
      expect((await replicaB.seal('c', 'r')).split('.')[1]).toBe(loaded)
    })
  })
})
