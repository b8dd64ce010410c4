import type Database from 'better-sqlite3'
import { storeError } from '../errors.js'

/**
 * The SQLite adapters' way of running SQL on one connection: statements compiled on first use
 * and reused (the SQL text is the cache key), driver errors turned into the store's errors
 * naming the operation, and IMMEDIATE transactions (the write lock taken at once, so two
 * processes on the same file serialize instead of failing on upgrade).
 */
export class SqliteStatements {
  readonly #db: Database.Database
  readonly #statements = new Map<string, Database.Statement>()

  constructor(db: Database.Database) {
    this.#db = db
  }

  stmt(sql: string): Database.Statement {
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      statement = this.#db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }

  do<T>(operation: string, work: () => T): T {
    try {
      return work()
    } catch (error) {
      throw storeError(error, operation)
    }
  }

  immediate<T>(operation: string, work: () => T): T {
    return this.do(operation, () => this.#db.transaction(work).immediate())
  }
}
