import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { at, describeStoreConformance, testSeal } from '../conformance.js'
import { openStore } from '../open.js'
import { POSTGRES_MIGRATIONS } from './migrations.js'
import { openPostgresStore } from './postgres-store.js'

const HOST = '127.0.0.1:5432'
const DB = 'test'

/** The first user the local server accepts (trust auth): $PGUSER, then postgres, then root. */
async function findServer(): Promise<{ url: string } | { reason: string }> {
  const users = [process.env.PGUSER, 'postgres', 'root'].filter((u): u is string => u !== undefined && u !== '')
  const failures: string[] = []
  for (const user of users) {
    const url = `postgres://${encodeURIComponent(user)}@${HOST}/${DB}`
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
    try {
      await client.connect()
      await client.query('SELECT 1')
      return { url }
    } catch (error) {
      failures.push(`${user}: ${error instanceof Error ? error.message : String(error)}`)
    } finally {
      await client.end().catch(() => undefined)
    }
  }
  return { reason: `PostgreSQL at ${HOST}/${DB} did not answer (${failures.join('; ')})` }
}

const server = await findServer()
const url = 'url' in server ? server.url : ''
const skip = 'reason' in server ? server.reason : undefined
if (skip !== undefined) console.warn(`SKIPPING PostgreSQL store tests: ${skip}`)

/** Every schema this run creates starts with this prefix and is dropped at the end. */
const prefix = `rampart_t_${process.pid}_${randomBytes(3).toString('hex')}`
let n = 0
const newSchema = () => `${prefix}_${n++}`

afterAll(async () => {
  if (skip !== undefined) return
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const { rows } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1', [`${prefix}%`])
  // Twenty per statement: dozens of schemas of 16 tables each, dropped one by one, outlast the default hook
  // timeout on a busy machine; all in one statement could exhaust max_locks_per_transaction.
  for (let i = 0; i < rows.length; i += 20) await client.query(`DROP SCHEMA ${rows.slice(i, i + 20).map((r) => r.nspname).join(', ')} CASCADE`)
  await client.end()
}, 120_000)

describeStoreConformance('postgres', {
  kind: 'postgres',
  ...(skip === undefined ? {} : { skip }),
  async newDatabase() {
    const schema = newSchema()
    return { open: (options) => openStore(url, { ...options, schema }) }
  },
})

describe.skipIf(skip !== undefined)('postgres adapter', () => {
  async function raw<T extends pg.QueryResultRow>(sql: string, args: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return (await client.query<T>(sql, args)).rows
    } finally {
      await client.end()
    }
  }

  it('creates its tables in the configured schema only, and records each step', async () => {
    const schema = newSchema()
    const store = await openStore(url, { schema })
    expect(await store.schemaVersion()).toBe(POSTGRES_MIGRATIONS.length)
    await store.close()
    const tables = await raw<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema])
    expect(tables.map((t) => t.table_name)).toEqual([
      'alert_texts', 'alerts', 'api_keys', 'audit_log', 'captures', 'data_keys', 'detector_activations', 'detector_versions', 'feedback', 'ground_truth', 'job_schedules',
      'monitor_alarm_history', 'monitor_alarms', 'monitor_metrics', 'monitor_runs', 'monitor_schedules', 'outbox', 'policy_active', 'policy_heads', 'policy_shadow', 'policy_versions', 'schema_migrations',
    ])
    const steps = await raw(`SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`)
    expect(steps).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })))
  })

  it('refuses a database migrated by a newer build', async () => {
    const schema = newSchema()
    await (await openStore(url, { schema })).close()
    await raw(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, 'from_the_future')`, [POSTGRES_MIGRATIONS.length + 1])
    await expect(openStore(url, { schema })).rejects.toMatchObject({ code: 'RAMPART_ERR_STORE', message: expect.stringMatching(/upgrade Rampart/) })
  })

  it('applies a later step once, and rolls back a failing step entirely', async () => {
    const schema = newSchema()
    const first = await openStore(url, { schema })
    await first.appendAudit({ at: at(1), actor: 'cli', tenant: null, action: 'x', target: null, detail: {} }, testSeal)
    await first.close()
    const next = [...POSTGRES_MIGRATIONS, { version: POSTGRES_MIGRATIONS.length + 1, name: 'upgrade_probe', sql: 'CREATE TABLE upgrade_probe (id text PRIMARY KEY)' }]
    const upgraded = await openPostgresStore(url, { schema, migrations: next })
    await Promise.all([upgraded.migrate(), upgraded.migrate()])
    expect(await upgraded.schemaVersion()).toBe(next.length)
    expect((await upgraded.readAudit(1, 10)).map((e) => e.seq)).toEqual([1])
    await upgraded.close()

    const broken = [...next, { version: next.length + 1, name: 'broken', sql: 'CREATE TABLE half (id text); SELECT * FROM no_such_table' }]
    const failing = await openPostgresStore(url, { schema, migrations: broken })
    await expect(failing.migrate()).rejects.toMatchObject({ code: 'RAMPART_ERR_STORE' })
    expect(await failing.schemaVersion()).toBe(next.length)
    await failing.close()
    expect(await raw('SELECT to_regclass($1) AS t', [`${schema}.half`])).toEqual([{ t: null }])
  })

  it('upgrades a version-1 schema to the monitor schema, keeping its data', async () => {
    const schema = newSchema()
    const v1 = await openPostgresStore(url, { schema, migrations: POSTGRES_MIGRATIONS.slice(0, 1) })
    await v1.migrate()
    await v1.appendAudit({ at: at(1), actor: 'cli', tenant: null, action: 'x', target: null, detail: {} }, testSeal)
    await v1.close()
    const current = await openStore(url, { schema })
    expect(await current.schemaVersion()).toBe(POSTGRES_MIGRATIONS.length)
    expect((await current.readAudit(1, 10)).map((e) => e.seq)).toEqual([1])
    expect(await current.insertCapture({ tenant: 't', inferenceId: 'i', modelId: 'm', at: at(2), receivedAt: at(2), source: 'api', payload: 'p' })).toBe(true)
    await current.close()
  })

  it('keeps the audit chain gapless with 100 appends from four pools', async () => {
    const schema = newSchema()
    const replicas = await Promise.all([0, 1, 2, 3].map(() => openStore(url, { schema, maxConnections: 5 })))
    await Promise.all(
      replicas.flatMap((r, i) => Array.from({ length: 25 }, (_, j) => r.appendAudit({ at: at(j), actor: `r${i}`, tenant: null, action: 'x', target: String(j), detail: {} }, testSeal))),
    )
    const entries = await replicas[0]!.readAudit(1, 1000)
    await Promise.all(replicas.map((r) => r.close()))
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    entries.forEach((e, i) => {
      expect(e.prevHash).toBe(i === 0 ? '0'.repeat(64) : entries[i - 1]?.hash)
      expect(testSeal(e.seq, e.prevHash, e)).toEqual({ hash: e.hash, mac: e.mac })
    })
  })

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(openStore(url, { schema: 'x; DROP TABLE y' })).rejects.toMatchObject({ code: 'RAMPART_ERR_CONFIG_INVALID', path: 'store.schema' })
  })
})

describe('postgres adapter without a server', () => {
  it('reports an unreachable server as RAMPART_ERR_STORE', async () => {
    await expect(openStore('postgres://nobody@127.0.0.1:1/none', { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'RAMPART_ERR_STORE' })
  })
})
