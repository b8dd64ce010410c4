/**
 * The audit chain's MAC key. The local keyring keeps one beside its master keys; a provider that
 * holds no secrets of its own (AWS KMS) gets a random key stored wrapped in the data-key store,
 * so every replica sharing the database shares it, and master key rotation re-wraps it too.
 */
import { randomBytes } from 'node:crypto'
import { RampartError, isRampartError } from '../core/errors.js'
import type { DataKeyStore } from '../store/types.js'
import type { KeyProvider } from './types.js'

/** Id of the wrapped audit key in the data-key store. It lacks the `dk_` prefix, so it never seals or opens values. */
export const AUDIT_KEY_RECORD_ID = 'audit-mac-key'
const KEY_BYTES = 32

export interface AuditKeyOptions {
  provider: KeyProvider
  dataKeys: DataKeyStore
  now?: () => Date
}

async function unwrapAuditKey(provider: KeyProvider, wrapped: string, masterKeyId: string): Promise<Buffer> {
  let key: Buffer
  try {
    key = await provider.unwrap({ wrapped, masterKeyId })
  } catch (error) {
    if (isRampartError(error)) throw error
    throw new RampartError('RAMPART_ERR_CRYPTO', `cannot unwrap the audit key: ${(error as Error).message}`, { cause: error })
  }
  if (key.length !== KEY_BYTES) throw new RampartError('RAMPART_ERR_CRYPTO', `the audit key unwrapped to ${key.length} bytes instead of ${KEY_BYTES}`)
  return key
}

/** The audit key of this deployment: the provider's own, or the one wrapped in the store (created on first use). */
export async function loadAuditKey(options: AuditKeyOptions): Promise<Buffer> {
  const { provider, dataKeys } = options
  if (provider.auditKey) return provider.auditKey()
  const existing = await dataKeys.getDataKey(AUDIT_KEY_RECORD_ID)
  if (existing) {
    if (existing.provider !== provider.id) {
      throw new RampartError('RAMPART_ERR_CRYPTO', `the audit key was wrapped by key provider "${existing.provider}", but this Rampart uses "${provider.id}"`)
    }
    return unwrapAuditKey(provider, existing.wrapped, existing.masterKeyId)
  }
  const key = randomBytes(KEY_BYTES)
  const wrapped = await provider.wrap(key)
  const at = (options.now ?? (() => new Date()))().toISOString()
  try {
    // Retired from birth, so `getCurrentDataKey` never offers it for sealing.
    await dataKeys.insertDataKey({ id: AUDIT_KEY_RECORD_ID, wrapped: wrapped.wrapped, provider: provider.id, masterKeyId: wrapped.masterKeyId, createdAt: at, retiredAt: at })
  } catch (error) {
    // Another replica created it first: use theirs, so all replicas MAC with one key.
    const raced = await dataKeys.getDataKey(AUDIT_KEY_RECORD_ID)
    if (!raced) throw error
    return unwrapAuditKey(provider, raced.wrapped, raced.masterKeyId)
  }
  return key
}
