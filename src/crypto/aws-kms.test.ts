import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { RampartError } from '../core/errors.js'
import { createAwsKmsProvider, KMS_ENCRYPTION_CONTEXT } from './aws-kms.js'
import { createEnvelope } from './envelope.js'
import { createKeyProvider } from './key-providers.js'
import { createMemoryDataKeyStore } from './testing.js'

/**
 * A tiny KMS speaking the service's JSON protocol (POST /, `X-Amz-Target: TrentService.<Op>`,
 * base64 blobs), with real AES-GCM underneath and KMS's rules: the encryption context must match
 * at Decrypt, and a KeyId given to Decrypt must be the key that encrypted.
 */
interface KmsRequest {
  target: string
  headers: IncomingHttpHeaders
  body: Record<string, unknown>
}

const REGION = 'eu-west-1'
const arn = (id: string) => `arn:aws:kms:${REGION}:111122223333:key/${id}`

class FakeKms {
  readonly requests: KmsRequest[] = []
  readonly keys = new Map<string, Buffer>()
  readonly aliases = new Map<string, string>()
  /** Targets answered with AccessDeniedException. */
  readonly denied = new Set<string>()
  private server: Server | undefined
  url = ''

  addKey(alias?: string): string {
    const keyArn = arn(randomUUID())
    this.keys.set(keyArn, randomBytes(32))
    if (alias) this.aliases.set(alias, keyArn)
    return keyArn
  }

  private resolve(keyId: unknown): string | undefined {
    if (typeof keyId !== 'string') return undefined
    if (this.keys.has(keyId)) return keyId
    const byId = arn(keyId)
    if (this.keys.has(byId)) return byId
    return this.aliases.get(keyId.replace(/^arn:aws:kms:[^:]+:\d+:/, ''))
  }

  private static context(value: unknown): Buffer {
    const ctx = (value ?? {}) as Record<string, string>
    return Buffer.from(JSON.stringify(Object.keys(ctx).sort().map((k) => [k, ctx[k]])))
  }

  private handle(target: string, body: Record<string, unknown>): [number, Record<string, unknown>] {
    const error = (type: string, message: string): [number, Record<string, unknown>] => [400, { __type: type, message }]
    if (this.denied.has(target)) return error('AccessDeniedException', `User is not authorized to perform: kms:${target}`)
    if (target === 'Encrypt') {
      const keyArn = this.resolve(body.KeyId)
      if (!keyArn) return error('NotFoundException', `Key '${String(body.KeyId)}' does not exist`)
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', this.keys.get(keyArn)!, iv)
      cipher.setAAD(FakeKms.context(body.EncryptionContext))
      const ct = Buffer.concat([cipher.update(Buffer.from(String(body.Plaintext), 'base64')), cipher.final()])
      const arnBytes = Buffer.from(keyArn)
      const blob = Buffer.concat([Buffer.from([arnBytes.length]), arnBytes, iv, cipher.getAuthTag(), ct])
      return [200, { CiphertextBlob: blob.toString('base64'), KeyId: keyArn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }]
    }
    if (target === 'Decrypt') {
      const blob = Buffer.from(String(body.CiphertextBlob), 'base64')
      const keyArn = blob.subarray(1, 1 + (blob[0] ?? 0)).toString()
      const key = this.keys.get(keyArn)
      if (!key) return error('InvalidCiphertextException', '')
      if (body.KeyId !== undefined && this.resolve(body.KeyId) !== keyArn) return error('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.')
      const rest = blob.subarray(1 + (blob[0] ?? 0))
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, rest.subarray(0, 12))
        decipher.setAAD(FakeKms.context(body.EncryptionContext))
        decipher.setAuthTag(rest.subarray(12, 28))
        const plain = Buffer.concat([decipher.update(rest.subarray(28)), decipher.final()])
        return [200, { Plaintext: plain.toString('base64'), KeyId: keyArn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }]
      } catch {
        return error('InvalidCiphertextException', '')
      }
    }
    return error('UnknownOperationException', target)
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '').replace(/^TrentService\./, '')
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>
        this.requests.push({ target, headers: req.headers, body })
        const [status, answer] = this.handle(target, body)
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() })
        res.end(JSON.stringify(answer))
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve))
  }
}

const kms = new FakeKms()
const credentials = { accessKeyId: 'AKIDRAMPARTTEST', secretAccessKey: 'fake-secret-for-tests' }
let keyA: string
let keyB: string

beforeAll(async () => {
  await kms.start()
  keyA = kms.addKey('alias/rampart')
  keyB = kms.addKey('alias/rampart-next')
})
afterAll(async () => {
  await kms.stop()
})
beforeEach(() => {
  kms.requests.length = 0
  kms.denied.clear()
})

function provider(keyId: string, extra: { endpoint?: string } = {}) {
  return createAwsKmsProvider({ keyId, region: REGION, endpoint: extra.endpoint ?? kms.url, credentials, maxAttempts: 1 })
}

async function failure(promise: Promise<unknown>): Promise<RampartError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(RampartError)
  return error as RampartError
}

describe('aws-kms key provider', () => {
  it('wraps with Encrypt and unwraps with Decrypt, signed, with the encryption context', async () => {
    const p = provider('alias/rampart')
    const dataKey = randomBytes(32)
    const wrapped = await p.wrap(dataKey)
    // The key ARN is stored, not the alias, so unwrapping does not depend on where the alias points later.
    expect(wrapped.masterKeyId).toBe(keyA)
    expect(await p.currentMasterKeyId()).toBe(keyA)
    expect(await p.unwrap(wrapped)).toEqual(dataKey)

    const [encrypt, decrypt] = kms.requests
    expect(encrypt!.target).toBe('Encrypt')
    expect(encrypt!.headers['x-amz-target']).toBe('TrentService.Encrypt')
    expect(encrypt!.headers['content-type']).toBe('application/x-amz-json-1.1')
    expect(encrypt!.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDRAMPARTTEST/\\d{8}/${REGION}/kms/aws4_request`))
    expect(encrypt!.body).toEqual({ KeyId: 'alias/rampart', Plaintext: dataKey.toString('base64'), EncryptionContext: { purpose: 'rampart-data-key' } })
    expect(decrypt!.target).toBe('Decrypt')
    expect(decrypt!.body).toEqual({ KeyId: keyA, CiphertextBlob: wrapped.wrapped, EncryptionContext: { ...KMS_ENCRYPTION_CONTEXT } })
  })

  it('maps a ciphertext wrapped under another encryption context to RAMPART_ERR_CRYPTO', async () => {
    const p = provider(keyA)
    const wrapped = await p.wrap(randomBytes(32))
    // Same key, other context: what KMS gives for a blob made for another purpose.
    const [status, foreign] = (kms as unknown as { handle: (t: string, b: object) => [number, { CiphertextBlob: string }] }).handle('Encrypt', {
      KeyId: keyA,
      Plaintext: randomBytes(32).toString('base64'),
      EncryptionContext: { purpose: 'something-else' },
    })
    expect(status).toBe(200)
    const error = await failure(p.unwrap({ wrapped: foreign.CiphertextBlob, masterKeyId: keyA }))
    expect(error.code).toBe('RAMPART_ERR_CRYPTO')
    expect(error.message).toMatch(/Decrypt with key .* failed: InvalidCiphertextException/)
    const tampered = Buffer.from(wrapped.wrapped, 'base64')
    tampered[tampered.length - 1]! ^= 1
    expect((await failure(p.unwrap({ wrapped: tampered.toString('base64'), masterKeyId: keyA }))).code).toBe('RAMPART_ERR_CRYPTO')
  })

  it('maps a wrapped key named with the wrong KMS key to RAMPART_ERR_CRYPTO', async () => {
    const p = provider(keyA)
    const wrapped = await p.wrap(randomBytes(32))
    const error = await failure(p.unwrap({ ...wrapped, masterKeyId: keyB }))
    expect(error.code).toBe('RAMPART_ERR_CRYPTO')
    expect(error.message).toMatch(/IncorrectKeyException/)
  })

  it('maps configuration and permission problems to RAMPART_ERR_KEY_PROVIDER', async () => {
    const missing = await failure(provider('alias/nope').wrap(randomBytes(32)))
    expect(missing.code).toBe('RAMPART_ERR_KEY_PROVIDER')
    expect(missing.message).toMatch(/AWS KMS Encrypt with key alias\/nope failed: NotFoundException: Key 'alias\/nope' does not exist/)

    const p = provider(keyA)
    const wrapped = await p.wrap(randomBytes(32))
    kms.denied.add('Decrypt')
    const denied = await failure(p.unwrap(wrapped))
    expect(denied.code).toBe('RAMPART_ERR_KEY_PROVIDER')
    expect(denied.message).toMatch(/AccessDeniedException: User is not authorized to perform: kms:Decrypt/)
  })

  it('maps an unreachable endpoint to RAMPART_ERR_KEY_PROVIDER', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const error = await failure(provider(keyA, { endpoint: `http://127.0.0.1:${port}` }).wrap(randomBytes(32)))
    expect(error.code).toBe('RAMPART_ERR_KEY_PROVIDER')
    expect(error.message).toMatch(/AWS KMS Encrypt with key .* failed/)
  })

  it('needs a key id', () => {
    expect(() => createAwsKmsProvider({ keyId: ' ' })).toThrow(/needs a KMS key id/)
    expect(() => createKeyProvider('aws-kms', { dataDir: '/nonexistent' })).toThrow(RampartError)
  })

  it('serves envelope encryption, and rotate-master moves every data key to a new KMS key', async () => {
    const store = createMemoryDataKeyStore()
    const before = createEnvelope({ provider: createKeyProvider('aws-kms', { kmsKeyId: 'alias/rampart', kmsRegion: REGION, kmsEndpoint: kms.url, kmsCredentials: credentials, kmsMaxAttempts: 1 }), dataKeys: store })
    const first = await before.seal('prompt one', 'prompt:1')
    await before.rotateDataKey()
    const second = await before.seal('prompt two', 'prompt:2')
    expect(store.rows.map((r) => [r.provider, r.masterKeyId])).toEqual([['aws-kms', keyA], ['aws-kms', keyA]])

    // The operator restarts with --kms-key-id of the new key and runs `rampart keys rotate-master`.
    const after = createEnvelope({ provider: provider('alias/rampart-next'), dataKeys: store })
    const rotation = await after.rotateMaster()
    expect(rotation.rewrapped).toBe(2)
    expect(store.rows.map((r) => r.masterKeyId)).toEqual([keyB, keyB])
    // Old ciphertexts open through keys now wrapped by key B only: prove it by refusing key A.
    kms.keys.delete(keyA)
    try {
      const reader = createEnvelope({ provider: provider('alias/rampart-next'), dataKeys: store })
      expect(await reader.open(first, 'prompt:1')).toBe('prompt one')
      expect(await reader.open(second, 'prompt:2')).toBe('prompt two')
    } finally {
      keyA = kms.addKey('alias/rampart')
    }
  })
})

describe('key provider table', () => {
  it('refuses an unknown id and lists the valid ones', () => {
    const error = (() => {
      try {
        createKeyProvider('vault', {})
      } catch (e) {
        return e as RampartError
      }
      return undefined
    })()
    expect(error?.code).toBe('RAMPART_ERR_KEY_PROVIDER')
    expect(error?.message).toBe('unknown key provider "vault"; valid key providers: local, aws-kms')
    expect(() => createKeyProvider('toString', {})).toThrow(/unknown key provider "toString"/)
  })

  it('creates the local keyring by id', () => {
    const p = createKeyProvider('local', { dataDir: '/tmp/never-touched-until-used' })
    expect(p.id).toBe('local')
    expect(typeof p.rotate).toBe('function')
  })
})
