import type pg from 'pg'
import { storeError } from '../errors.js'

export type Row = Record<string, unknown>
/** A query inside a transaction that answers rows. */
export type RowsQuery = (sql: string, args?: unknown[]) => Promise<Row[]>

/**
 * The PostgreSQL adapters' way of running SQL on the shared pool: driver errors turned into the
 * store's errors naming the operation, and transactions on one pooled connection that roll back
 * on any error (a connection that cannot roll back is destroyed, never reused).
 */
export class PostgresQueries {
  readonly #pool: pg.Pool

  constructor(pool: pg.Pool) {
    this.#pool = pool
  }

  async result(operation: string, sql: string, args: unknown[] = []): Promise<pg.QueryResult<Row>> {
    try {
      return await this.#pool.query<Row>(sql, args)
    } catch (error) {
      throw storeError(error, operation)
    }
  }

  async rows(operation: string, sql: string, args: unknown[] = []): Promise<Row[]> {
    return (await this.result(operation, sql, args)).rows
  }

  /** Runs `work` in one transaction; its `query` answers whole results. */
  async transaction<T>(operation: string, work: (query: (sql: string, args?: unknown[]) => Promise<pg.QueryResult<Row>>) => Promise<T>): Promise<T> {
    let client: pg.PoolClient
    try {
      client = await this.#pool.connect()
    } catch (error) {
      throw storeError(error, operation)
    }
    try {
      await client.query('BEGIN')
      const result = await work((sql, args = []) => client.query<Row>(sql, args))
      await client.query('COMMIT')
      client.release()
      return result
    } catch (error) {
      try {
        await client.query('ROLLBACK')
        client.release()
      } catch (rollbackError) {
        client.release(rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError)))
      }
      throw storeError(error, operation)
    }
  }

  /** `transaction` whose `query` answers rows. */
  transactionRows<T>(operation: string, work: (query: RowsQuery) => Promise<T>): Promise<T> {
    return this.transaction(operation, (query) => work(async (sql, args) => (await query(sql, args)).rows))
  }
}
