/**
 * Ed25519 keys for dataset manifests. Without an explicit key, one is generated on first use and
 * kept in Rampart's data folder like the gateway's keyring: a JSON file, mode 0600, created
 * atomically so that two first runs at once agree on a single key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { RampartError } from '../core/errors.js'
import { createFileAtomic } from '../crypto/atomic-file.js'

export const SIGNING_KEY_FILE_NAME = 'dataset-signing-key.json'

export interface SigningKey {
  privateKey: KeyObject
  publicKey: KeyObject
  /** First 16 hex digits of SHA-256 over the public key's SPKI DER encoding. */
  keyId: string
}

const keyFileSchema = z.strictObject({
  format: z.literal('rampart-signing-key'),
  version: z.literal(1),
  algorithm: z.literal('Ed25519'),
  key_id: z.string(),
  private_key: z.string().startsWith('-----BEGIN PRIVATE KEY-----'),
  public_key: z.string(),
  created_at: z.string(),
})

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16)
}

function fromPrivate(privateKey: KeyObject, path: string): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new RampartError('RAMPART_ERR_KEY_PROVIDER', `${path}: an Ed25519 private key is needed, not ${privateKey.asymmetricKeyType ?? 'a symmetric key'}`, { path })
  }
  const publicKey = createPublicKey(privateKey)
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) }
}

/** Parses a key file: Rampart's JSON key file, or a PEM private key (PKCS#8). */
export function parseSigningKey(text: string, path: string): SigningKey {
  try {
    if (text.trimStart().startsWith('{')) {
      const parsed = keyFileSchema.safeParse(JSON.parse(text))
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || 'key'}: ${i.message}`).join('; '))
      return fromPrivate(createPrivateKey(parsed.data.private_key), path)
    }
    return fromPrivate(createPrivateKey(text), path)
  } catch (cause) {
    if (cause instanceof RampartError) throw cause
    throw new RampartError('RAMPART_ERR_KEY_PROVIDER', `${path}: not a usable signing key (${(cause as Error).message})`, { path, cause })
  }
}

/**
 * Parses a public key to trust when verifying: a PEM public key (SPKI), or any file a private key
 * can be read from (the public half is derived).
 */
export function parsePublicKey(text: string, path: string): KeyObject {
  try {
    if (text.includes('-----BEGIN PUBLIC KEY-----')) {
      const key = createPublicKey(text)
      if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an Ed25519 key is needed, not ${key.asymmetricKeyType}`)
      return key
    }
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_KEY_PROVIDER', `${path}: not a usable public key (${(cause as Error).message})`, { path, cause })
  }
  return parseSigningKey(text, path).publicKey
}

async function readKeyFile(path: string): Promise<SigningKey | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new RampartError('RAMPART_ERR_KEY_PROVIDER', `cannot read ${path}: ${(cause as Error).message}`, { path, cause })
  }
  return parseSigningKey(text, path)
}

/** Reads a key file given with `--key`. */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  const key = await readKeyFile(path)
  if (key === undefined) throw new RampartError('RAMPART_ERR_KEY_PROVIDER', `signing key ${path} does not exist`, { path })
  return key
}

/** The data folder's signing key, if one was generated. */
export async function findDataDirKey(dataDir: string): Promise<SigningKey | undefined> {
  return readKeyFile(join(dataDir, SIGNING_KEY_FILE_NAME))
}

/** The data folder's signing key, generated (once, atomically, mode 0600) when missing. */
export async function loadOrCreateDataDirKey(dataDir: string, now: () => Date = () => new Date()): Promise<{ key: SigningKey; created: boolean; path: string }> {
  const path = join(dataDir, SIGNING_KEY_FILE_NAME)
  const existing = await readKeyFile(path)
  if (existing !== undefined) return { key: existing, created: false, path }
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const file = {
    format: 'rampart-signing-key',
    version: 1,
    algorithm: 'Ed25519',
    key_id: keyIdOf(publicKey),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    public_key: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    created_at: now().toISOString(),
  }
  const created = await createFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`)
  // Another process created it first: use that one, so every manifest is signed by one key.
  const key = created ? fromPrivate(privateKey, path) : await loadSigningKey(path)
  return { key, created, path }
}
