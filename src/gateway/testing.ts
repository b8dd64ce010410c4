import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { generateApiKey } from './api-keys.js'
import { loadGatewayConfig, type GatewayConfigInput } from './config.js'
import { startGateway, type RunningGateway } from './runtime.js'
import type { Role } from '../store/types.js'

export interface TestGateway extends RunningGateway {
  dataDir: string
  /** Creates a key directly in the store and returns the token. */
  key(role: Role, tenant?: string, limits?: { rateLimitPerMinute?: number; dailyQuota?: number }): Promise<string>
  /** fetch against the gateway with a key. */
  call(path: string, init?: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>
}

/** A backend the gateway suite runs against: SQLite always, PostgreSQL when it answers. */
export interface StoreBackend {
  name: string
  /** A fresh store URL for one gateway (or several sharing it), and a cleanup. */
  create(): Promise<{ url: string | undefined; dispose(): Promise<void> }>
}

export const PG_URL = process.env.RAMPART_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export async function postgresAvailable(url = PG_URL): Promise<string | undefined> {
  for (const candidate of [url, url.replace('postgres@', 'root@')]) {
    const client = new pg.Client({ connectionString: candidate, connectionTimeoutMillis: 1_500 })
    try {
      await client.connect()
      await client.query('select 1')
      return candidate
    } catch {
      // try the next user
    } finally {
      await client.end().catch(() => undefined)
    }
  }
  return undefined
}

export const sqliteBackend: StoreBackend = {
  name: 'sqlite',
  create: async () => ({ url: undefined, dispose: async () => undefined }),
}

/** Each gateway gets a fresh PostgreSQL schema, dropped afterwards. */
export function postgresBackend(baseUrl: string): StoreBackend {
  return {
    name: 'postgres',
    create: async () => {
      const schema = `rampart_gw_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
      const url = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
      const admin = new pg.Client({ connectionString: baseUrl })
      await admin.connect()
      await admin.query(`create schema ${schema}`)
      await admin.end()
      return {
        url,
        dispose: async () => {
          const c = new pg.Client({ connectionString: baseUrl })
          await c.connect()
          await c.query(`drop schema if exists ${schema} cascade`)
          await c.end()
        },
      }
    },
  }
}

export async function startTestGateway(settings: Partial<GatewayConfigInput> & { storeUrl?: string | undefined; dataDir?: string } = {}): Promise<TestGateway> {
  const { storeUrl, dataDir: given, ...rest } = settings
  const dataDir = given ?? mkdtempSync(join(tmpdir(), 'rampart-gw-'))
  const config = loadGatewayConfig({
    flags: { port: 0, logLevel: 'silent', dataDir, keyCacheMs: 0, ...(storeUrl === undefined ? {} : { store: storeUrl }), ...rest },
    env: {},
  })
  const gateway = await startGateway(config, { logger: false })
  return {
    ...gateway,
    dataDir,
    async key(role, tenant = 'default', limits = {}) {
      const { token, record } = await generateApiKey({ role, tenant, rateLimitPerMinute: limits.rateLimitPerMinute ?? null, dailyQuota: limits.dailyQuota ?? null })
      await gateway.services.store.insertKey(record)
      return token
    },
    async call(path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) }
      if (init.key !== undefined) headers.authorization = `Bearer ${init.key}`
      if (init.body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json'
      return fetch(`${gateway.url}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers,
        ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
      })
    },
    async close() {
      await gateway.close()
      if (given === undefined) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
