/**
 * The default key provider: master keys in a keyring file in the data directory.
 *
 * The file is JSON, mode 0600, created on first use and only ever replaced whole (temp file +
 * rename), so a crash or a concurrent reader never sees half a keyring. Master keys are versioned
 * (`local:v1`, `local:v2`…); rotation adds a version and never deletes one, so every data key
 * wrapped before stays unwrappable. The file also holds the audit chain's MAC key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { mkdir, open, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { RampartError } from '../core/errors.js'
import { createFileAtomic, replaceFileAtomic } from './atomic-file.js'
import type { KeyProvider, WrappedKey } from './types.js'

export const KEYRING_FILE_NAME = 'keyring.json'

export interface LocalKeyringOptions {
  /** The keyring file. Defaults to `<dataDir>/keyring.json`. */
  path?: string
  /** Rampart's data directory; used when `path` is not given. */
  dataDir?: string
  now?: () => Date
}

export interface LocalKeyring extends KeyProvider {
  readonly id: 'local'
  /** Absolute or relative path of the keyring file. */
  readonly path: string
  rotate(): Promise<string>
  auditKey(): Promise<Buffer>
}

const KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16
const MASTER_KEY_ID = /^local:v([1-9]\d*)$/

const key256 = z.string().refine((s) => /^[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s, 'base64').length === KEY_BYTES, {
  message: 'must be 32 bytes in base64',
})

const keyringFileSchema = z.strictObject({
  format: z.literal('rampart-keyring'),
  version: z.literal(1),
  current: z.string(),
  masterKeys: z
    .array(z.strictObject({ id: z.string().regex(MASTER_KEY_ID, 'must look like local:v1'), key: key256, createdAt: z.string() }))
    .min(1),
  auditKey: key256,
})

type KeyringFile = z.infer<typeof keyringFileSchema>

interface KeyringState {
  /** Identity of the file the state was read from; a different one means someone rotated. */
  signature: string
  current: string
  masterKeys: Map<string, Buffer>
  auditKey: Buffer
}

function providerError(message: string, path: string, cause?: unknown): RampartError {
  return new RampartError('RAMPART_ERR_KEY_PROVIDER', message, { path, cause })
}

function newKeyringFile(now: Date): KeyringFile {
  return {
    format: 'rampart-keyring',
    version: 1,
    current: 'local:v1',
    masterKeys: [{ id: 'local:v1', key: randomBytes(KEY_BYTES).toString('base64'), createdAt: now.toISOString() }],
    auditKey: randomBytes(KEY_BYTES).toString('base64'),
  }
}

function parseKeyringFile(text: string, path: string): KeyringFile {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw providerError(`keyring file ${path} is not valid JSON: ${(error as Error).message}`, path, error)
  }
  const parsed = keyringFileSchema.safeParse(json)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `keyring.${i.path.join('.')}: ${i.message}`).join('; ')
    throw providerError(`keyring file ${path} is malformed: ${issues}`, path)
  }
  const file = parsed.data
  const ids = new Set(file.masterKeys.map((k) => k.id))
  if (ids.size !== file.masterKeys.length) throw providerError(`keyring file ${path} is malformed: a master key id appears twice`, path)
  if (!ids.has(file.current)) throw providerError(`keyring file ${path} is malformed: current master key ${file.current} is not in masterKeys`, path)
  return file
}

function wrapAad(masterKeyId: string): Buffer {
  return Buffer.from(`rampart-data-key:${masterKeyId}`, 'utf8')
}

/** Opens (creating on first use) the local keyring provider. Nothing touches the disk until the first call. */
export function createLocalKeyring(options: LocalKeyringOptions): LocalKeyring {
  const path = options.path ?? (options.dataDir !== undefined ? join(options.dataDir, KEYRING_FILE_NAME) : undefined)
  if (path === undefined) throw new RampartError('RAMPART_ERR_KEY_PROVIDER', 'the local key provider needs a data directory or a keyring path', { path: 'dataDir' })
  const keyringPath = path
  const now = options.now ?? (() => new Date())
  let state: KeyringState | undefined
  let loading: Promise<KeyringState> | undefined
  let rotating: Promise<unknown> = Promise.resolve()

  /** Reads the file; `undefined` when it does not exist. Skips parsing when it is the file already loaded. */
  async function readKeyring(reuseLoaded: boolean): Promise<{ signature: string; file?: KeyringFile } | undefined> {
    let handle
    try {
      handle = await open(keyringPath, 'r')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw providerError(`cannot read keyring file ${keyringPath}: ${(error as Error).message}`, keyringPath, error)
    }
    try {
      const stat = await handle.stat()
      if (!stat.isFile()) throw providerError(`keyring file ${keyringPath} is not a regular file`, keyringPath)
      if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
        const mode = (stat.mode & 0o777).toString(8).padStart(4, '0')
        throw providerError(
          `keyring file ${keyringPath} is accessible to group or others (mode ${mode}); it holds the master keys: run chmod 600 ${keyringPath}`,
          keyringPath,
        )
      }
      const signature = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`
      if (reuseLoaded && state?.signature === signature) return { signature }
      let text: string
      try {
        text = await handle.readFile('utf8')
      } catch (error) {
        throw providerError(`cannot read keyring file ${keyringPath}: ${(error as Error).message}`, keyringPath, error)
      }
      return { signature, file: parseKeyringFile(text, keyringPath) }
    } finally {
      await handle.close()
    }
  }

  async function readState(): Promise<KeyringState | undefined> {
    const read = await readKeyring(true)
    if (!read) return undefined
    const file = read.file
    if (!file) return state
    return {
      signature: read.signature,
      current: file.current,
      masterKeys: new Map(file.masterKeys.map((k) => [k.id, Buffer.from(k.key, 'base64')])),
      auditKey: Buffer.from(file.auditKey, 'base64'),
    }
  }

  async function loadOrCreate(): Promise<KeyringState> {
    const existing = await readState()
    if (existing) return existing
    try {
      await mkdir(dirname(keyringPath), { recursive: true, mode: 0o700 })
      // If another process created the file in between, its keyring wins and we read it.
      await createFileAtomic(keyringPath, `${JSON.stringify(newKeyringFile(now()), null, 2)}\n`)
    } catch (error) {
      throw providerError(`cannot create keyring file ${keyringPath}: ${(error as Error).message}`, keyringPath, error)
    }
    const created = await readState()
    if (!created) throw providerError(`keyring file ${keyringPath} disappeared right after it was created`, keyringPath)
    return created
  }

  /** The keyring as on disk now: re-read only when the file changed (a rotation by another process). */
  function refresh(): Promise<KeyringState> {
    loading ??= loadOrCreate().then(
      (s) => {
        state = s
        loading = undefined
        return s
      },
      (error: unknown) => {
        loading = undefined
        throw error
      },
    )
    return loading
  }

  async function rotateOnDisk(): Promise<string> {
    const lockPath = `${keyringPath}.lock`
    let lock
    try {
      lock = await open(lockPath, 'wx', 0o600)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw providerError(
          `another master key rotation holds ${lockPath}; if no rampart process is rotating, remove that file and retry`,
          lockPath,
          error,
        )
      }
      throw providerError(`cannot lock keyring file ${keyringPath}: ${(error as Error).message}`, lockPath, error)
    }
    try {
      await refresh()
      const file = (await readKeyring(false))?.file
      if (!file) throw providerError(`keyring file ${keyringPath} disappeared during rotation`, keyringPath)
      const next = Math.max(...file.masterKeys.map((k) => Number(MASTER_KEY_ID.exec(k.id)?.[1]))) + 1
      const id = `local:v${next}`
      file.masterKeys.push({ id, key: randomBytes(KEY_BYTES).toString('base64'), createdAt: now().toISOString() })
      file.current = id
      await replaceFileAtomic(keyringPath, `${JSON.stringify(file, null, 2)}\n`)
      await refresh()
      return id
    } finally {
      await lock.close()
      await rm(lockPath, { force: true })
    }
  }

  return {
    id: 'local',
    path: keyringPath,

    async currentMasterKeyId() {
      return (await refresh()).current
    },

    async wrap(dataKey: Buffer): Promise<WrappedKey> {
      const s = await refresh()
      const master = s.masterKeys.get(s.current)
      if (!master) throw providerError(`current master key ${s.current} is missing from ${keyringPath}`, keyringPath)
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', master, iv)
      cipher.setAAD(wrapAad(s.current))
      const ct = Buffer.concat([cipher.update(dataKey), cipher.final()])
      return { wrapped: Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64'), masterKeyId: s.current }
    },

    async unwrap(key: WrappedKey): Promise<Buffer> {
      let master = state?.masterKeys.get(key.masterKeyId)
      // Unknown here may mean another process rotated since we read the file.
      if (!master) master = (await refresh()).masterKeys.get(key.masterKeyId)
      if (!master) {
        const known = [...(state?.masterKeys.keys() ?? [])].join(', ')
        throw new RampartError('RAMPART_ERR_CRYPTO', `master key ${key.masterKeyId} is not in keyring ${keyringPath} (it has ${known})`, { path: keyringPath })
      }
      const blob = Buffer.from(key.wrapped, 'base64')
      if (blob.length <= IV_BYTES + TAG_BYTES) throw new RampartError('RAMPART_ERR_CRYPTO', `wrapped data key under ${key.masterKeyId} is truncated`)
      try {
        const decipher = createDecipheriv('aes-256-gcm', master, blob.subarray(0, IV_BYTES))
        decipher.setAAD(wrapAad(key.masterKeyId))
        decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
        return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()])
      } catch (error) {
        throw new RampartError('RAMPART_ERR_CRYPTO', `wrapped data key does not authenticate under master key ${key.masterKeyId}`, { cause: error })
      }
    },

    rotate() {
      // Rotations in this process queue; rotations in other processes are kept out by the lock file.
      const run = rotating.then(rotateOnDisk, rotateOnDisk)
      rotating = run.catch(() => undefined)
      return run
    },

    async auditKey() {
      return Buffer.from((await refresh()).auditKey)
    },
  }
}
