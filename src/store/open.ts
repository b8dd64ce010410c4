/**
 * Opens the store named by a connection URL. Adapters are listed in one explicit table (no
 * adapter registers itself on import) and each is loaded only when its scheme is used, so a
 * SQLite deployment never loads `pg` and a PostgreSQL one never loads the native SQLite module.
 */
import { RampartError } from '../core/errors.js'
import { storeError } from './errors.js'
import type { Store } from './types.js'

export interface OpenStoreOptions {
  /** Apply pending schema migrations before returning (default true). */
  migrate?: boolean
  /** PostgreSQL only: the schema to use (sets `search_path`; created by `migrate` if missing). */
  schema?: string
  /** PostgreSQL only: most connections in the pool (default 10). */
  maxConnections?: number
  /** How long to wait for a connection (PostgreSQL) or another process's write lock (SQLite), in milliseconds. */
  timeoutMs?: number
}

export interface StoreAdapter {
  /** URL schemes this adapter answers, without the colon. */
  schemes: readonly string[]
  open(url: string, options: OpenStoreOptions): Promise<Store>
}

export const STORE_ADAPTERS: readonly StoreAdapter[] = [
  {
    schemes: ['sqlite'],
    async open(url, options) {
      const { openSqliteStore, sqliteUrlParts } = await import('./sqlite/sqlite-store.js')
      const { path, synchronous } = sqliteUrlParts(url)
      return openSqliteStore(path, { synchronous, ...(options.timeoutMs === undefined ? {} : { busyTimeoutMs: options.timeoutMs }) })
    },
  },
  {
    schemes: ['postgres', 'postgresql'],
    async open(url, options) {
      const { openPostgresStore } = await import('./postgres/postgres-store.js')
      return openPostgresStore(url, {
        ...(options.schema === undefined ? {} : { schema: options.schema }),
        ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
        ...(options.timeoutMs === undefined ? {} : { connectionTimeoutMs: options.timeoutMs }),
      })
    },
  },
]

/** Scheme of a store URL, lower-cased, or undefined when the text has none. */
function schemeOf(url: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase()
}

/**
 * Opens `sqlite:/path/file.db`, `sqlite::memory:`, `postgres://…` or `postgresql://…`, checks
 * the backend answers and (unless `migrate: false`) brings the schema up to date.
 * @throws RampartError `RAMPART_ERR_STORE_URL` for an unknown scheme, `RAMPART_ERR_STORE` when the backend fails.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}, adapters: readonly StoreAdapter[] = STORE_ADAPTERS): Promise<Store> {
  const valid = adapters.flatMap((a) => a.schemes.map((s) => `${s}:`)).join(', ')
  const scheme = typeof url === 'string' ? schemeOf(url) : undefined
  const adapter = scheme === undefined ? undefined : adapters.find((a) => a.schemes.includes(scheme))
  if (adapter === undefined) {
    const shown = typeof url === 'string' ? (scheme === undefined ? 'has no scheme' : `has the unknown scheme '${scheme}:'`) : 'is not a string'
    throw new RampartError('RAMPART_ERR_STORE_URL', `store URL ${shown}; valid schemes: ${valid}`, { path: 'store.url' })
  }
  const store = await adapter.open(url, options)
  try {
    if (options.migrate === false) await store.ping()
    else await store.migrate()
  } catch (error) {
    await store.close().catch(() => undefined)
    throw storeError(error, 'open')
  }
  return store
}
