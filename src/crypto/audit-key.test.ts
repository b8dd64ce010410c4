import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RampartError } from '../core/errors.js'
import { AUDIT_KEY_RECORD_ID, loadAuditKey } from './audit-key.js'
import { createEnvelope } from './envelope.js'
import { createLocalKeyring, type LocalKeyring } from './local-keyring.js'
import { createMemoryDataKeyStore, type MemoryDataKeyStore } from './testing.js'
import type { KeyProvider } from './types.js'

let dir: string
let keyring: LocalKeyring
let store: MemoryDataKeyStore

/** A provider that keeps no audit key of its own, like AWS KMS (wrapping done by a real keyring). */
function withoutAuditKey(inner: LocalKeyring, id = 'aws-kms'): KeyProvider {
  return {
    id,
    currentMasterKeyId: () => inner.currentMasterKeyId(),
    wrap: (k) => inner.wrap(k),
    unwrap: (k) => inner.unwrap(k),
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rampart-audit-key-'))
  keyring = createLocalKeyring({ dataDir: dir })
  store = createMemoryDataKeyStore()
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('loadAuditKey', () => {
  it('uses the local keyring\'s own audit key and writes nothing to the store', async () => {
    const key = await loadAuditKey({ provider: keyring, dataKeys: store })
    expect(key).toEqual(await keyring.auditKey())
    expect(store.rows).toHaveLength(0)
  })

  it('keeps a provider-less audit key wrapped in the store, the same for every replica', async () => {
    const provider = withoutAuditKey(keyring)
    const key = await loadAuditKey({ provider, dataKeys: store, now: () => new Date('2026-01-01T00:00:00.000Z') })
    expect(key).toHaveLength(32)
    expect(key).not.toEqual(await keyring.auditKey())
    expect(store.rows).toEqual([
      expect.objectContaining({ id: AUDIT_KEY_RECORD_ID, provider: 'aws-kms', masterKeyId: 'local:v1', retiredAt: '2026-01-01T00:00:00.000Z' }),
    ])
    expect(Buffer.from(store.rows[0]!.wrapped, 'base64').includes(key)).toBe(false)
    expect(await loadAuditKey({ provider: withoutAuditKey(createLocalKeyring({ dataDir: dir })), dataKeys: store })).toEqual(key)
  })

  it('agrees on one key when replicas create it at the same time', async () => {
    const provider = withoutAuditKey(keyring)
    const keys = await Promise.all(Array.from({ length: 3 }, () => loadAuditKey({ provider, dataKeys: store })))
    expect(store.rows).toHaveLength(1)
    for (const k of keys) expect(k).toEqual(keys[0])
  })

  it('is never used to seal, and survives master key rotation', async () => {
    const provider = withoutAuditKey(keyring)
    const key = await loadAuditKey({ provider, dataKeys: store })
    const envelope = createEnvelope({ provider, dataKeys: store })
    const sealed = await envelope.seal('x', 'r')
    expect(sealed.split('.')[1]).toMatch(/^dk_/)
    await keyring.rotate()
    expect((await envelope.rotateMaster()).rewrapped).toBe(2)
    expect(store.rows.find((r) => r.id === AUDIT_KEY_RECORD_ID)?.masterKeyId).toBe('local:v2')
    expect(await loadAuditKey({ provider, dataKeys: store })).toEqual(key)
  })

  it('refuses an audit key wrapped by another provider', async () => {
    await loadAuditKey({ provider: withoutAuditKey(keyring, 'aws-kms'), dataKeys: store })
    const error = await loadAuditKey({ provider: withoutAuditKey(keyring, 'other'), dataKeys: store }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RampartError)
    expect((error as RampartError).code).toBe('RAMPART_ERR_CRYPTO')
  })
})
