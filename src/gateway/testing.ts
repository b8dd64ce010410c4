import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
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

export async function startTestGateway(
  settings: Partial<GatewayConfigInput> & { storeUrl?: string | undefined; dataDir?: string; logger?: Record<string, unknown> } = {},
): Promise<TestGateway> {
  const { storeUrl, dataDir: given, logger, ...rest } = settings
  const dataDir = given ?? mkdtempSync(join(tmpdir(), 'rampart-gw-'))
  const config = loadGatewayConfig({
    flags: { port: 0, logLevel: 'silent', dataDir, keyCacheMs: 0, ...(storeUrl === undefined ? {} : { store: storeUrl }), ...rest },
    env: {},
  })
  const gateway = await startGateway(config, { logger: logger ?? false })
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

/**
 * Plain SQL on a gateway's store, past Rampart: what someone with database access reads and can
 * change. `?` placeholders on both backends.
 */
export interface RawDatabase {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>
  close(): Promise<void>
}

export async function openRawDatabase(storeUrl: string | undefined, dataDir: string): Promise<RawDatabase> {
  if (storeUrl === undefined || storeUrl.startsWith('sqlite:')) {
    const db = new Database(storeUrl === undefined ? join(dataDir, 'rampart.db') : storeUrl.slice('sqlite:'.length))
    db.pragma('busy_timeout = 5000')
    return {
      query: async <T>(sql: string, params: unknown[] = []) => {
        const statement = db.prepare(sql)
        if (statement.reader) return statement.all(...params) as T[]
        statement.run(...params)
        return []
      },
      close: async () => void db.close(),
    }
  }
  const client = new pg.Client({ connectionString: storeUrl })
  await client.connect()
  return {
    query: async <T>(sql: string, params: unknown[] = []) => {
      let n = 0
      return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as T[]
    },
    close: () => client.end(),
  }
}

export const REDIS_URL = process.env.RAMPART_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

export async function redisAvailable(url = REDIS_URL): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null })
  probe.on('error', () => undefined)
  try {
    await probe.connect()
    return (await probe.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
}

/** The built CLI (`npm run build`); tests that spawn it skip loudly when it is missing. */
export const CLI_BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url))

export function cliBuilt(): boolean {
  return existsSync(CLI_BIN)
}

/** Settings from the test runner's environment must not leak into a spawned CLI. */
function cliEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RAMPART_')))
}

/** Runs `rampart <args>` in a child process and waits for it to exit. */
export function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

export interface ServeProcess {
  /** The address the child reported, e.g. `http://127.0.0.1:40123`. */
  url: string
  stderr(): string
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
}

/** Spawns `rampart serve <args>` (give `--port 0`) and resolves once it reports its address. */
export function startServeProcess(args: readonly string[], timeoutMs = 20_000): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, 'serve', ...args], { env: cliEnv(), stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`rampart serve did not report its address within ${timeoutMs} ms:\n${stderr}`))
    }, timeoutMs)
    child.on('error', reject)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`rampart serve exited with ${code} before listening:\n${stderr}`))
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
      const url = /listening on (https?:\/\/\S+) /.exec(stderr)?.[1]
      if (url === undefined) return
      clearTimeout(timer)
      resolve({
        url,
        stderr: () => stderr,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM')
          return exited
        },
      })
    })
  })
}
