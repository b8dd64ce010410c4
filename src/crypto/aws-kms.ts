/**
 * Key provider over AWS KMS: data keys are wrapped with KMS Encrypt and unwrapped with Decrypt,
 * so the master key never leaves KMS. The encryption context `{ purpose: 'rampart-data-key' }`
 * is bound to every wrap; KMS refuses to decrypt without it, and CloudTrail records it.
 *
 * KMS rotates the key material of a key by itself (old material stays usable), so this provider
 * has no `rotate()`: moving to another KMS key means starting Rampart with the new key id and
 * running the envelope's `rotateMaster()`, which re-wraps every data key under it.
 */
import { DecryptCommand, EncryptCommand, KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms'
import { RampartError } from '../core/errors.js'
import type { KeyProvider, WrappedKey } from './types.js'

export const KMS_ENCRYPTION_CONTEXT = Object.freeze({ purpose: 'rampart-data-key' })

export interface AwsKmsOptions {
  /** Key id, key ARN, alias name (`alias/rampart`) or alias ARN of a symmetric KMS key. */
  keyId: string
  /** AWS region; otherwise the SDK's own resolution (AWS_REGION, the shared config file). */
  region?: string
  /** Another endpoint (a VPC endpoint, LocalStack, a test server). */
  endpoint?: string
  /** Explicit credentials; otherwise the SDK's default chain (environment, profile, instance or task role). */
  credentials?: KMSClientConfig['credentials']
  /** Attempts per KMS call including retries (SDK default 3). */
  maxAttempts?: number
}

/** KMS answers meaning this ciphertext will never decrypt with this key, as opposed to a configuration or network problem. */
const CIPHERTEXT_ERRORS = new Set(['InvalidCiphertextException', 'IncorrectKeyException'])

function kmsFailure(operation: 'Encrypt' | 'Decrypt', keyId: string, error: unknown): RampartError {
  const name = (error as { name?: unknown }).name
  const kind = typeof name === 'string' ? name : 'Error'
  const message = `AWS KMS ${operation} with key ${keyId} failed: ${kind}: ${(error as Error).message}`
  if (operation === 'Decrypt' && CIPHERTEXT_ERRORS.has(kind)) return new RampartError('RAMPART_ERR_CRYPTO', message, { cause: error })
  return new RampartError('RAMPART_ERR_KEY_PROVIDER', message, { cause: error, path: 'kmsKeyId' })
}

export function createAwsKmsProvider(options: AwsKmsOptions): KeyProvider {
  const keyId = options.keyId?.trim()
  if (!keyId) throw new RampartError('RAMPART_ERR_KEY_PROVIDER', 'the aws-kms key provider needs a KMS key id (--kms-key-id or RAMPART_KMS_KEY_ID)', { path: 'kmsKeyId' })
  const client = new KMSClient({
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  })
  /** The key ARN KMS reported for `keyId` (which may be an alias); stored so unwrapping survives alias changes. */
  let resolvedKeyId: string | undefined

  return {
    id: 'aws-kms',

    async currentMasterKeyId() {
      return resolvedKeyId ?? keyId
    },

    async wrap(dataKey: Buffer): Promise<WrappedKey> {
      let answer
      try {
        answer = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: dataKey, EncryptionContext: { ...KMS_ENCRYPTION_CONTEXT } }))
      } catch (error) {
        throw kmsFailure('Encrypt', keyId, error)
      }
      if (!answer.CiphertextBlob) throw new RampartError('RAMPART_ERR_KEY_PROVIDER', `AWS KMS Encrypt with key ${keyId} returned no CiphertextBlob`)
      if (answer.KeyId) resolvedKeyId = answer.KeyId
      return { wrapped: Buffer.from(answer.CiphertextBlob).toString('base64'), masterKeyId: answer.KeyId ?? keyId }
    },

    async unwrap(key: WrappedKey): Promise<Buffer> {
      let answer
      try {
        // Naming the key makes KMS refuse a ciphertext of any other key (least privilege, no surprises).
        answer = await client.send(
          new DecryptCommand({ KeyId: key.masterKeyId, CiphertextBlob: Buffer.from(key.wrapped, 'base64'), EncryptionContext: { ...KMS_ENCRYPTION_CONTEXT } }),
        )
      } catch (error) {
        throw kmsFailure('Decrypt', key.masterKeyId, error)
      }
      if (!answer.Plaintext) throw new RampartError('RAMPART_ERR_CRYPTO', `AWS KMS Decrypt with key ${key.masterKeyId} returned no Plaintext`)
      return Buffer.from(answer.Plaintext)
    },
  }
}
