import { describe, expect, it } from 'vitest'
import { isRampartError } from '../core/errors.js'
import { STORE_ADAPTERS, openStore } from './open.js'
import type { StoreAdapter } from './open.js'

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; path?: string }> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(isRampartError(error), String(error)).toBe(true)
  return error as { code: string; message: string; path?: string }
}

describe('openStore', () => {
  it('refuses an unknown scheme and lists the valid ones', async () => {
    const error = await failure(openStore('mysql://localhost/rampart'))
    expect(error.code).toBe('RAMPART_ERR_STORE_URL')
    expect(error.path).toBe('store.url')
    expect(error.message).toContain("unknown scheme 'mysql:'")
    expect(error.message).toContain('sqlite:, postgres:, postgresql:')
  })

  it('refuses a URL without a scheme, and never echoes the URL (it may hold a password)', async () => {
    const error = await failure(openStore('/var/lib/rampart.db'))
    expect(error.code).toBe('RAMPART_ERR_STORE_URL')
    expect(error.message).toContain('has no scheme')
    const secret = await failure(openStore('mongodb://admin:hunter2@db/rampart'))
    expect(secret.message).not.toContain('hunter2')
  })

  it('accepts schemes case-insensitively', async () => {
    const store = await openStore('SQLite::memory:')
    expect(store.kind).toBe('sqlite')
    await store.close()
  })

  it('uses only the adapters it is given (explicit registration)', async () => {
    const opened: string[] = []
    const fake: StoreAdapter = {
      schemes: ['mem'],
      async open(url) {
        opened.push(url)
        const real = await STORE_ADAPTERS[0]?.open('sqlite::memory:', {})
        if (real === undefined) throw new Error('no sqlite adapter')
        return real
      },
    }
    const store = await openStore('mem:x', {}, [fake])
    expect(opened).toEqual(['mem:x'])
    expect(await store.schemaVersion()).toBeGreaterThan(0)
    await store.close()
    const error = await failure(openStore('sqlite::memory:', {}, [fake]))
    expect(error.code).toBe('RAMPART_ERR_STORE_URL')
    expect(error.message).toContain('valid schemes: mem:')
  })

  it('skips migrations when asked', async () => {
    const store = await openStore('sqlite::memory:', { migrate: false })
    expect(await store.schemaVersion()).toBe(0)
    await store.close()
  })

  it('reports a backend that cannot open as RAMPART_ERR_STORE', async () => {
    const error = await failure(openStore('sqlite:/nonexistent-dir-for-rampart/x/y.db'))
    expect(error.code).toBe('RAMPART_ERR_STORE')
  })
})
