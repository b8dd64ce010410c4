import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { at, describeStoreConformance, testSeal } from '../conformance.js'
import { openStore } from '../open.js'
import { SQLITE_MIGRATIONS } from './migrations.js'
import { openSqliteStore, sqlitePathFromUrl, sqliteUrlParts } from './sqlite-store.js'

const dir = mkdtempSync(join(tmpdir(), 'rampart-sqlite-'))
let n = 0
const newFile = () => join(dir, `store-${n++}.db`)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describeStoreConformance('sqlite (file)', {
  kind: 'sqlite',
  async newDatabase() {
    const file = newFile()
    return { open: (options) => openStore(`sqlite:${file}`, options ?? {}) }
  },
})

describe('sqlite adapter', () => {
  it('reads file paths out of sqlite: URLs', () => {
    expect(sqlitePathFromUrl('sqlite:/var/lib/rampart/r.db')).toBe('/var/lib/rampart/r.db')
    expect(sqlitePathFromUrl('sqlite:///var/lib/rampart/r.db')).toBe('/var/lib/rampart/r.db')
    expect(sqlitePathFromUrl('sqlite:data/r.db')).toBe('data/r.db')
    expect(sqlitePathFromUrl('sqlite::memory:')).toBe(':memory:')
    expect(() => sqlitePathFromUrl('sqlite:')).toThrow(expect.objectContaining({ code: 'RAMPART_ERR_STORE_URL' }))
  })

  it('reads the commit durability from the URL: normal by default, full on request, nothing else', () => {
    expect(sqliteUrlParts('sqlite:/var/r.db')).toEqual({ path: '/var/r.db', synchronous: 'normal' })
    expect(sqliteUrlParts('sqlite:///var/r.db?synchronous=FULL')).toEqual({ path: '/var/r.db', synchronous: 'full' })
    expect(sqliteUrlParts('sqlite:r.db?synchronous=normal')).toEqual({ path: 'r.db', synchronous: 'normal' })
    expect(() => sqliteUrlParts('sqlite:r.db?synchronous=off')).toThrow(/synchronous must be normal or full, got "off"/)
    expect(() => sqliteUrlParts('sqlite:r.db?cache=shared')).toThrow(/unknown sqlite setting "cache"/)
    expect(() => sqliteUrlParts('sqlite:?synchronous=full')).toThrow(expect.objectContaining({ code: 'RAMPART_ERR_STORE_URL' }))
  })

  it('works in memory', async () => {
    const store = await openStore('sqlite::memory:')
    await store.insertAlert({
      id: 'a1', createdAt: at(0), tenant: 't', keyId: null, requestId: 'r', direction: 'output', decision: 'flag',
      severity: 'low', scanners: [], findings: [], excerpt: '', source: 'guard', acknowledgedAt: null, acknowledgedBy: null,
    })
    expect((await store.listAlerts({ tenant: 't', limit: 5 })).items.map((a) => a.id)).toEqual(['a1'])
    await store.close()
  })

  it('puts a file database in WAL mode', async () => {
    const file = newFile()
    const store = await openStore(`sqlite:${file}`, { timeoutMs: 1234 })
    await store.close()
    const db = new Database(file)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('records each step in schema_migrations and refuses a database from a newer build', async () => {
    const file = newFile()
    const store = await openStore(`sqlite:${file}`)
    expect(await store.schemaVersion()).toBe(SQLITE_MIGRATIONS.length)
    await store.close()
    const db = new Database(file)
    expect(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual(
      SQLITE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    )
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', ?)").run(SQLITE_MIGRATIONS.length + 1, at(0))
    db.close()
    await expect(openStore(`sqlite:${file}`)).rejects.toMatchObject({ code: 'RAMPART_ERR_STORE', message: expect.stringMatching(/upgrade Rampart/) })
  })

  it('applies a later step to an existing database, once, keeping its data', async () => {
    const file = newFile()
    const v1 = await openStore(`sqlite:${file}`)
    await v1.appendAudit({ at: at(1), actor: 'cli', tenant: null, action: 'x', target: null, detail: {} }, testSeal)
    await v1.close()
    const next = [...SQLITE_MIGRATIONS, { version: SQLITE_MIGRATIONS.length + 1, name: 'upgrade_probe', sql: 'CREATE TABLE upgrade_probe (id TEXT PRIMARY KEY) STRICT' }]
    const v2 = await openSqliteStore(file, { migrations: next })
    await v2.migrate()
    await v2.migrate()
    expect(await v2.schemaVersion()).toBe(next.length)
    expect((await v2.readAudit(1, 10)).map((e) => e.seq)).toEqual([1])
    await v2.close()
  })

  it('upgrades a version-1 database to the monitor schema, keeping its data', async () => {
    const file = newFile()
    const v1 = await openSqliteStore(file, { migrations: SQLITE_MIGRATIONS.slice(0, 1) })
    await v1.migrate()
    await v1.appendAudit({ at: at(1), actor: 'cli', tenant: null, action: 'x', target: null, detail: {} }, testSeal)
    await v1.close()
    const current = await openStore(`sqlite:${file}`)
    expect(await current.schemaVersion()).toBe(SQLITE_MIGRATIONS.length)
    expect((await current.readAudit(1, 10)).map((e) => e.seq)).toEqual([1])
    expect(await current.insertCapture({ tenant: 't', inferenceId: 'i', modelId: 'm', at: at(2), receivedAt: at(2), source: 'api', payload: 'p' })).toBe(true)
    await current.close()
  })

  it('rolls back a failing step entirely', async () => {
    const file = newFile()
    const broken = [...SQLITE_MIGRATIONS, { version: SQLITE_MIGRATIONS.length + 1, name: 'broken', sql: 'CREATE TABLE half (id TEXT); SELECT * FROM no_such_table' }]
    const store = await openSqliteStore(file, { migrations: broken })
    await expect(store.migrate()).rejects.toMatchObject({ code: 'RAMPART_ERR_STORE' })
    expect(await store.schemaVersion()).toBe(SQLITE_MIGRATIONS.length)
    await store.close()
    const db = new Database(file)
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined()
    db.close()
  })

  it('fails with RAMPART_ERR_STORE when the directory does not exist', async () => {
    await expect(openStore(`sqlite:${join(dir, 'missing', 'deeper', 'r.db')}`)).rejects.toMatchObject({ code: 'RAMPART_ERR_STORE' })
  })

  it('keeps the audit chain gapless when four processes append to the same file at once', async () => {
    const file = newFile()
    const setup = await openStore(`sqlite:${file}`)
    await setup.close()
    const openModule = fileURLToPath(new URL('../open.ts', import.meta.url))
    const conformanceModule = fileURLToPath(new URL('../conformance-fixtures.ts', import.meta.url))
    const worker = join(dir, `append-worker-${n++}.mts`)
    writeFileSync(worker, `
      import { openStore } from ${JSON.stringify(openModule)}
      import { testSeal } from ${JSON.stringify(conformanceModule)}
      const store = await openStore('sqlite:' + process.argv[2], { migrate: false })
      for (let i = 0; i < 25; i++) {
        await store.appendAudit({ at: new Date().toISOString(), actor: 'p' + process.argv[3], tenant: null, action: 'x', target: String(i), detail: {} }, testSeal)
      }
      await store.close()
    `)
    const run = (id: number) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', worker, file, String(id)], { stdio: ['ignore', 'ignore', 'pipe'] })
        let stderr = ''
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
        child.on('error', reject)
        child.on('exit', (code) => (code === 0 ? resolve(code) : reject(new Error(`worker ${id} exited ${code}: ${stderr}`))))
      })
    await Promise.all([0, 1, 2, 3].map(run))
    const store = await openStore(`sqlite:${file}`)
    const entries = await store.readAudit(1, 1000)
    await store.close()
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    entries.forEach((e, i) => {
      expect(e.prevHash).toBe(i === 0 ? '0'.repeat(64) : entries[i - 1]?.hash)
      expect(testSeal(e.seq, e.prevHash, e)).toEqual({ hash: e.hash, mac: e.mac })
    })
    expect(new Set(entries.map((e) => e.actor)).size).toBe(4)
  }, 60_000)
})
