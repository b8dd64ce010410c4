import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import type { ApiKeyRecord, Role } from '../store/types.js'

/**
 * API keys look like `rk_<id>_<secret>`: the id is public (logs, audit, the dashboard) and
 * indexes the record; only an scrypt hash of the secret is stored, so a copy of the database
 * does not let anyone in.
 */
const KEY_PATTERN = /^rk_([a-z2-7]{16})_([A-Za-z0-9_-]{43})$/

// scrypt parameters: N=2^15 costs ~50 ms and 32 MiB per verification, paid once per key per
// cache period (see auth plugin), not per request.
const SCRYPT: Required<Pick<ScryptOptions, 'N' | 'r' | 'p'>> = { N: 1 << 15, r: 8, p: 1 }
const SCRYPT_MAXMEM = 64 * 1024 * 1024

export interface NewApiKey {
  /** The full key, shown once. */
  token: string
  record: ApiKeyRecord
}

function base32(bytes: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return out
}

function scryptAsync(secret: string, salt: Buffer, keylen: number, params: typeof SCRYPT): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keylen, { ...params, maxmem: SCRYPT_MAXMEM }, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await scryptAsync(secret, salt, 32, SCRYPT)
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number]
  const salt = Buffer.from(parts[4]!, 'base64url')
  const expected = Buffer.from(parts[5]!, 'base64url')
  const actual = await scryptAsync(secret, salt, expected.length, { N, r, p })
  return timingSafeEqual(actual, expected)
}

/** Splits a presented key; undefined when it is not shaped like a Rampart key. */
export function parseApiKey(token: string): { id: string; secret: string } | undefined {
  const m = KEY_PATTERN.exec(token)
  return m === null ? undefined : { id: m[1]!, secret: m[2]! }
}

export async function generateApiKey(input: {
  tenant: string
  role: Role
  name?: string
  rateLimitPerMinute?: number | null
  dailyQuota?: number | null
  now?: Date
}): Promise<NewApiKey> {
  const id = base32(randomBytes(10))
  const secret = randomBytes(32).toString('base64url')
  const record: ApiKeyRecord = {
    id,
    tenant: input.tenant,
    role: input.role,
    name: input.name ?? '',
    secretHash: await hashSecret(secret),
    createdAt: (input.now ?? new Date()).toISOString(),
    revokedAt: null,
    lastUsedAt: null,
    rateLimitPerMinute: input.rateLimitPerMinute ?? null,
    dailyQuota: input.dailyQuota ?? null,
  }
  return { token: `rk_${id}_${secret}`, record }
}

/** Tenant names: safe in URLs, logs and metric labels. */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/
