import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openRawDatabase } from '../../gateway/testing.js'
import { openMonitor } from './library.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('openMonitor', () => {
  it('captures into the gateway store, sealed with its keyring, and joins labels later from another process handle', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rampart-lib-'))
    dirs.push(dataDir)
    const first = await openMonitor({ dataDir, tenant: 'acme' })
    const { inferenceId, stored } = await first.capture({ modelId: 'churn-v3', input: { age: 41, plan: 'pro' }, output: { churn: 0.12 } })
    expect(stored).toBe(true)
    await first.close()

    const raw = await openRawDatabase(undefined, dataDir)
    const rows = await raw.query<{ payload: string; source: string; tenant: string }>('SELECT payload, source, tenant FROM captures')
    await raw.close()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ source: 'library', tenant: 'acme' })
    // Sealed: the envelope's base64url fields only (short words can turn up in random base64).
    expect(rows[0]!.payload).toMatch(/^v1\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+$/)

    const later = await openMonitor({ dataDir, tenant: 'acme' })
    expect(await later.groundTruth([{ inferenceId, label: 1 }])).toEqual({ accepted: 1, matched: 1 })
    const opened = await later.captures.open((await later.store.getCapture('acme', inferenceId))!)
    expect(opened).toMatchObject({ input: { age: 41, plan: 'pro' }, output: { churn: 0.12 }, label: 1, source: 'library' })
    await later.close()
  })
})
