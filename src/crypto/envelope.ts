/**
 * Envelope encryption of everything users typed that the gateway stores (prompts, responses,
 * alert excerpts, webhook payloads).
 *
 * Each value is sealed with AES-256-GCM under a data key; data keys are stored only wrapped by
 * the key provider's master key, and kept unwrapped in memory once used, so sealing costs one
 * AES-GCM call and no I/O. The additional authenticated data names the record a value belongs to
 * (`alert:<id>:excerpt`), so a ciphertext copied into another record does not open there.
 *
 * Sealed format (text, safe in any column and in JSON):
 *   v1.<dataKeyId>.<iv>.<tag>.<ciphertext>     iv 12 bytes, tag 16 bytes, all base64url
 */
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto'
import { RampartError, isRampartError } from '../core/errors.js'
import type { DataKeyRecord, DataKeyStore, Sealed } from '../store/types.js'
import type { KeyProvider } from './types.js'

export interface EnvelopeOptions {
  provider: KeyProvider
  dataKeys: DataKeyStore
  /** Clock for `createdAt`/`retiredAt` of data keys. */
  now?: () => Date
  /**
   * Milliseconds a process keeps sealing with the data key it loaded before looking for a newer
   * one (another replica may have rotated). The check runs in the background; 60 000 by default.
   */
  currentKeyTtlMs?: number
}

export interface MasterRotation {
  /** Data keys now wrapped under `masterKeyId`. */
  rewrapped: number
  masterKeyId: string
  /** Data keys wrapped by another key provider, left as they were (this provider cannot unwrap them). */
  skipped: string[]
}

export interface DataKeyRotation {
  /** The data key new values are sealed with from now on. */
  dataKeyId: string
  /** Data keys retired by this rotation; they still open what they sealed. */
  retired: string[]
}

export interface Envelope {
  /** Seals UTF-8 text for the record named by `aad`. */
  seal(plaintext: string, aad: string): Promise<Sealed>
  /** Opens a sealed value; throws RAMPART_ERR_CRYPTO unless it is intact and was sealed with this `aad`. */
  open(sealed: Sealed, aad: string): Promise<string>
  /**
   * Makes a new master key current (`provider.rotate()` when the provider has it, else the
   * provider's configured key) and re-wraps every data key under it. Sealing and opening keep
   * working throughout: data keys themselves do not change, only how they are stored.
   */
  rotateMaster(): Promise<MasterRotation>
  /** Creates a new data key for new seals and retires the others (they keep opening old values). */
  rotateDataKey(): Promise<DataKeyRotation>
}

export const SEALED_VERSION = 'v1'
/** Prefix of data key ids; other records in the data-key store (the wrapped audit key) never seal or open. */
export const DATA_KEY_ID_PREFIX = 'dk_'
const KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16
const BASE64URL = /^[A-Za-z0-9_-]*$/
const REWRAP_ATTEMPTS = 5

interface CurrentKey {
  id: string
  key: Buffer
  /** performance.now() when loaded. */
  loadedAt: number
}

function cryptoError(message: string, cause?: unknown): RampartError {
  return new RampartError('RAMPART_ERR_CRYPTO', message, cause === undefined ? {} : { cause })
}

/** Binds the format version and data key id as well as the record, so no part of the header can be swapped. */
function additionalData(dataKeyId: string, aad: string): Buffer {
  return Buffer.from(`${SEALED_VERSION}.${dataKeyId}.${aad}`, 'utf8')
}

/**
 * IVs come from a pool filled by the CSPRNG in batches: one randomBytes call per seal costs more
 * than the AES-GCM work on a short text. Each 12-byte slice is handed out once, never reused.
 */
const ivPool = Buffer.alloc(IV_BYTES * 4096)
let ivOffset = ivPool.length

function nextIv(): Buffer {
  if (ivOffset >= ivPool.length) {
    randomFillSync(ivPool)
    ivOffset = 0
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES)
  ivOffset += IV_BYTES
  return iv
}

function decodePart(text: string, bytes: number | undefined, what: string): Buffer {
  if (!BASE64URL.test(text)) throw cryptoError(`sealed value has a malformed ${what}`)
  const buf = Buffer.from(text, 'base64url')
  if (bytes !== undefined && buf.length !== bytes) throw cryptoError(`sealed value has a malformed ${what}`)
  return buf
}

export function createEnvelope(options: EnvelopeOptions): Envelope {
  const { provider, dataKeys } = options
  const now = options.now ?? (() => new Date())
  const ttlMs = options.currentKeyTtlMs ?? 60_000
  const unwrapped = new Map<string, Buffer>()
  const unwrapping = new Map<string, Promise<Buffer>>()
  let current: CurrentKey | undefined
  let loadingCurrent: Promise<CurrentKey> | undefined
  /** Counts this process's data key rotations. */
  let rotations = 0

  async function unwrapRecord(record: DataKeyRecord): Promise<Buffer> {
    if (record.provider !== provider.id) {
      throw cryptoError(`data key ${record.id} was wrapped by key provider "${record.provider}", but this Rampart uses "${provider.id}"`)
    }
    let key: Buffer
    try {
      key = await provider.unwrap({ wrapped: record.wrapped, masterKeyId: record.masterKeyId })
    } catch (error) {
      if (isRampartError(error)) throw error
      throw cryptoError(`cannot unwrap data key ${record.id} under master key ${record.masterKeyId}: ${(error as Error).message}`, error)
    }
    if (key.length !== KEY_BYTES) throw cryptoError(`data key ${record.id} unwrapped to ${key.length} bytes instead of ${KEY_BYTES}`)
    return key
  }

  function dataKey(id: string): Buffer | Promise<Buffer> {
    const cached = unwrapped.get(id)
    if (cached) return cached
    let pending = unwrapping.get(id)
    if (!pending) {
      pending = (async () => {
        const record = await dataKeys.getDataKey(id)
        if (!record) throw cryptoError(`data key ${id} does not exist`)
        const key = await unwrapRecord(record)
        unwrapped.set(id, key)
        return key
      })().finally(() => unwrapping.delete(id))
      unwrapping.set(id, pending)
    }
    return pending
  }

  async function createDataKey(): Promise<CurrentKey> {
    const key = randomBytes(KEY_BYTES)
    const wrapped = await provider.wrap(key)
    const record: DataKeyRecord = {
      id: `${DATA_KEY_ID_PREFIX}${randomBytes(12).toString('base64url')}`,
      wrapped: wrapped.wrapped,
      provider: provider.id,
      masterKeyId: wrapped.masterKeyId,
      createdAt: now().toISOString(),
      retiredAt: null,
    }
    await dataKeys.insertDataKey(record)
    unwrapped.set(record.id, key)
    return { id: record.id, key, loadedAt: performance.now() }
  }

  async function loadCurrent(): Promise<CurrentKey> {
    const record = await dataKeys.getCurrentDataKey()
    // A current key of another provider (the operator switched providers) cannot seal here: start a new one.
    if (!record || !record.id.startsWith(DATA_KEY_ID_PREFIX) || record.provider !== provider.id) return createDataKey()
    return { id: record.id, key: await dataKey(record.id), loadedAt: performance.now() }
  }

  function reloadCurrent(): Promise<CurrentKey> {
    const generation = rotations
    loadingCurrent ??= loadCurrent()
      .then((loaded) => {
        // A rotation in this process while the store was read knows better than the read.
        if (generation === rotations || !current) current = loaded
        return current
      })
      .finally(() => (loadingCurrent = undefined))
    return loadingCurrent
  }

  function currentKey(): CurrentKey | Promise<CurrentKey> {
    if (!current) return reloadCurrent()
    if (performance.now() - current.loadedAt > ttlMs && !loadingCurrent) {
      const stale = current
      // Keep sealing with the loaded key meanwhile; if the store is down, try again after another TTL.
      reloadCurrent().catch(() => (stale.loadedAt = performance.now()))
    }
    return current
  }

  function sealWith(k: CurrentKey, plaintext: string, aad: string): Sealed {
    const iv = nextIv()
    const cipher = createCipheriv('aes-256-gcm', k.key, iv)
    cipher.setAAD(additionalData(k.id, aad))
    const head = cipher.update(plaintext, 'utf8')
    const tail = cipher.final()
    const ct = tail.length === 0 ? head : Buffer.concat([head, tail])
    return `${SEALED_VERSION}.${k.id}.${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${ct.toString('base64url')}`
  }

  async function rewrapOne(record: DataKeyRecord, masterKeyId: string): Promise<boolean> {
    let row: DataKeyRecord | undefined = record
    for (let attempt = 0; attempt < REWRAP_ATTEMPTS; attempt++) {
      if (!row || row.masterKeyId === masterKeyId) return false
      const key = unwrapped.get(row.id) ?? (await unwrapRecord(row))
      const wrapped = await provider.wrap(key)
      // Replace the stored key only with a wrap proven to unwrap to the same bytes.
      const check = await provider.unwrap(wrapped)
      if (!check.equals(key)) throw cryptoError(`re-wrapping data key ${row.id} under ${wrapped.masterKeyId} does not round-trip; nothing was changed for it`)
      if (await dataKeys.rewrapDataKey(row.id, row.wrapped, wrapped.wrapped, wrapped.masterKeyId)) return true
      // Someone else (another rotation) rewrapped it meanwhile: look again.
      row = await dataKeys.getDataKey(row.id)
    }
    throw cryptoError(`data key ${record.id} kept changing during master key rotation; run the rotation again`)
  }

  return {
    async seal(plaintext, aad) {
      if (typeof plaintext !== 'string' || typeof aad !== 'string') throw cryptoError('seal takes a string and a string aad')
      const k = currentKey()
      return sealWith(k instanceof Promise ? await k : k, plaintext, aad)
    },

    async open(sealed, aad) {
      if (typeof sealed !== 'string') throw cryptoError('sealed value is not a string')
      const parts = sealed.split('.')
      if (parts.length !== 5 || parts[0] !== SEALED_VERSION) {
        throw cryptoError(`not a sealed value (expected ${SEALED_VERSION}.<dataKeyId>.<iv>.<tag>.<ciphertext>)`)
      }
      const [, id = '', ivText = '', tagText = '', ctText = ''] = parts
      if (!id.startsWith(DATA_KEY_ID_PREFIX) || !BASE64URL.test(id)) throw cryptoError('sealed value names no valid data key')
      const iv = decodePart(ivText, IV_BYTES, 'iv')
      const tag = decodePart(tagText, TAG_BYTES, 'tag')
      const ct = decodePart(ctText, undefined, 'ciphertext')
      const key = await dataKey(id)
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv)
        decipher.setAAD(additionalData(id, aad))
        decipher.setAuthTag(tag)
        // Nothing is returned unless final() authenticated the whole ciphertext.
        const plain = Buffer.concat([decipher.update(ct), decipher.final()])
        return plain.toString('utf8')
      } catch (error) {
        throw cryptoError('sealed value does not authenticate: it was altered or belongs to another record', error)
      }
    },

    async rotateMaster() {
      const masterKeyId = provider.rotate ? await provider.rotate() : await provider.currentMasterKeyId()
      let rewrapped = 0
      const skipped: string[] = []
      for (const record of await dataKeys.listDataKeys()) {
        if (record.provider !== provider.id) {
          skipped.push(record.id)
          continue
        }
        if (await rewrapOne(record, masterKeyId)) rewrapped++
      }
      return { rewrapped, masterKeyId, skipped }
    },

    async rotateDataKey() {
      const fresh = await createDataKey()
      const at = now().toISOString()
      const retired: string[] = []
      for (const record of await dataKeys.listDataKeys()) {
        if (record.retiredAt !== null || record.id === fresh.id || !record.id.startsWith(DATA_KEY_ID_PREFIX)) continue
        await dataKeys.retireDataKey(record.id, at)
        retired.push(record.id)
      }
      rotations++
      current = fresh
      return { dataKeyId: fresh.id, retired }
    },
  }
}
