import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RampartError } from '../core/errors.js'
import { createLocalKeyring } from './local-keyring.js'

const posix = process.platform !== 'win32'
let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rampart-keyring-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function rejectsWith(promise: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(RampartError)
  expect((error as RampartError).code).toBe(code)
  expect((error as RampartError).message).toMatch(text)
}

describe('local keyring', () => {
  it('creates a private keyring file on first use and round-trips data keys', async () => {
    const dataDir = join(dir, 'data')
    const keyring = createLocalKeyring({ dataDir })
    const dataKey = randomBytes(32)
    const wrapped = await keyring.wrap(dataKey)
    expect(wrapped.masterKeyId).toBe('local:v1')
    expect(Buffer.from(wrapped.wrapped, 'base64').includes(dataKey)).toBe(false)
    expect(await keyring.unwrap(wrapped)).toEqual(dataKey)

    const file = JSON.parse(await readFile(join(dataDir, 'keyring.json'), 'utf8'))
    expect(file.current).toBe('local:v1')
    expect(file.masterKeys).toHaveLength(1)
    expect(Buffer.from(file.auditKey, 'base64')).toHaveLength(32)
    expect(file.auditKey).not.toBe(file.masterKeys[0].key)
    if (posix) expect((await stat(join(dataDir, 'keyring.json'))).mode & 0o777).toBe(0o600)
  })

  it('is read back by another instance (another process, a restart)', async () => {
    const first = createLocalKeyring({ dataDir: dir })
    const wrapped = await first.wrap(Buffer.from('k'.repeat(32)))
    const second = createLocalKeyring({ dataDir: dir })
    expect((await second.unwrap(wrapped)).toString()).toBe('k'.repeat(32))
    expect(await second.auditKey()).toEqual(await first.auditKey())
  })

  it('concurrent first uses agree on one keyring', async () => {
    const keyrings = Array.from({ length: 4 }, () => createLocalKeyring({ dataDir: dir }))
    const dataKey = randomBytes(32)
    const wrapped = await Promise.all(keyrings.map((k) => k.wrap(dataKey)))
    for (const k of keyrings) for (const w of wrapped) expect(await k.unwrap(w)).toEqual(dataKey)
    const audit = await Promise.all(keyrings.map((k) => k.auditKey()))
    for (const a of audit) expect(a).toEqual(audit[0])
  })

  it('rotate adds a version, wraps new keys under it and keeps old ones unwrappable', async () => {
    const keyring = createLocalKeyring({ dataDir: dir })
    const stale = createLocalKeyring({ dataDir: dir })
    const k1 = randomBytes(32)
    const w1 = await keyring.wrap(k1)
    expect(await stale.currentMasterKeyId()).toBe('local:v1')

    expect(await keyring.rotate()).toBe('local:v2')
    expect(await keyring.currentMasterKeyId()).toBe('local:v2')
    const k2 = randomBytes(32)
    const w2 = await keyring.wrap(k2)
    expect(w2.masterKeyId).toBe('local:v2')
    expect(await keyring.unwrap(w1)).toEqual(k1)
    // An instance loaded before the rotation picks the new version up from the file.
    expect(await stale.unwrap(w2)).toEqual(k2)
    expect(await stale.currentMasterKeyId()).toBe('local:v2')

    const file = JSON.parse(await readFile(join(dir, 'keyring.json'), 'utf8'))
    expect(file.masterKeys.map((k: { id: string }) => k.id)).toEqual(['local:v1', 'local:v2'])
    if (posix) expect((await stat(join(dir, 'keyring.json'))).mode & 0o777).toBe(0o600)
    expect((await readdir(dir)).sort()).toEqual(['keyring.json'])
  })

  it('concurrent rotations lose no version', async () => {
    const keyring = createLocalKeyring({ dataDir: dir })
    await keyring.currentMasterKeyId()
    const ids = await Promise.all([keyring.rotate(), keyring.rotate(), keyring.rotate()])
    expect(ids.sort()).toEqual(['local:v2', 'local:v3', 'local:v4'])
    const file = JSON.parse(await readFile(join(dir, 'keyring.json'), 'utf8'))
    expect(file.masterKeys).toHaveLength(4)
    expect(file.current).toBe('local:v4')
  })

  it('refuses to rotate while another rotation holds the lock', async () => {
    const keyring = createLocalKeyring({ dataDir: dir })
    await keyring.currentMasterKeyId()
    await writeFile(join(dir, 'keyring.json.lock'), '')
    await rejectsWith(keyring.rotate(), 'RAMPART_ERR_KEY_PROVIDER', /keyring\.json\.lock/)
    expect(await keyring.currentMasterKeyId()).toBe('local:v1')
    await rm(join(dir, 'keyring.json.lock'))
    expect(await keyring.rotate()).toBe('local:v2')
  })

  it('fails with RAMPART_ERR_CRYPTO on a tampered, relabelled or unknown wrapped key', async () => {
    const keyring = createLocalKeyring({ dataDir: dir })
    const w1 = await keyring.wrap(randomBytes(32))
    await keyring.rotate()
    const blob = Buffer.from(w1.wrapped, 'base64')
    blob[blob.length - 1]! ^= 1
    await rejectsWith(keyring.unwrap({ ...w1, wrapped: blob.toString('base64') }), 'RAMPART_ERR_CRYPTO', /does not authenticate/)
    await rejectsWith(keyring.unwrap({ ...w1, masterKeyId: 'local:v2' }), 'RAMPART_ERR_CRYPTO', /does not authenticate/)
    await rejectsWith(keyring.unwrap({ ...w1, masterKeyId: 'local:v9' }), 'RAMPART_ERR_CRYPTO', /local:v9 is not in keyring/)
    await rejectsWith(keyring.unwrap({ ...w1, wrapped: 'AAAA' }), 'RAMPART_ERR_CRYPTO', /truncated/)
  })

  describe('bad keyring files', () => {
    const path = (): string => join(dir, 'keyring.json')

    async function writeKeyring(content: string): Promise<void> {
      await writeFile(path(), content, { mode: 0o600 })
    }

    const valid = () => ({
      format: 'rampart-keyring',
      version: 1,
      current: 'local:v1',
      masterKeys: [{ id: 'local:v1', key: randomBytes(32).toString('base64'), createdAt: '2026-01-01T00:00:00.000Z' }],
      auditKey: randomBytes(32).toString('base64'),
    })

    it('accepts a hand-written valid file', async () => {
      await writeKeyring(JSON.stringify(valid()))
      expect(await createLocalKeyring({ path: path() }).currentMasterKeyId()).toBe('local:v1')
    })

    it('names a file that is not JSON', async () => {
      await writeKeyring('{"format": ')
      await rejectsWith(createLocalKeyring({ path: path() }).wrap(randomBytes(32)), 'RAMPART_ERR_KEY_PROVIDER', /is not valid JSON/)
    })

    it('names the malformed field', async () => {
      const file = valid()
      file.masterKeys[0]!.key = randomBytes(16).toString('base64')
      await writeKeyring(JSON.stringify(file))
      await rejectsWith(createLocalKeyring({ path: path() }).currentMasterKeyId(), 'RAMPART_ERR_KEY_PROVIDER', /keyring\.masterKeys\.0\.key: must be 32 bytes/)
    })

    it('refuses a current pointer to a missing key', async () => {
      await writeKeyring(JSON.stringify({ ...valid(), current: 'local:v2' }))
      await rejectsWith(createLocalKeyring({ path: path() }).currentMasterKeyId(), 'RAMPART_ERR_KEY_PROVIDER', /current master key local:v2 is not in masterKeys/)
    })

    it.skipIf(!posix)('refuses a file readable by group or others', async () => {
      await writeKeyring(JSON.stringify(valid()))
      await chmod(path(), 0o644)
      await rejectsWith(createLocalKeyring({ path: path() }).currentMasterKeyId(), 'RAMPART_ERR_KEY_PROVIDER', /mode 0644.*chmod 600/)
    })

    it('refuses a path that is not a regular file', async () => {
      await mkdir(path())
      await rejectsWith(createLocalKeyring({ path: path() }).currentMasterKeyId(), 'RAMPART_ERR_KEY_PROVIDER', /not a regular file|cannot read/)
    })

    it('needs a path or a data directory', () => {
      expect(() => createLocalKeyring({})).toThrow(/data directory/)
    })
  })
})
