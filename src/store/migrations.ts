/**
 * Versioned schema migrations. Each adapter keeps its own list (the SQL dialects differ) with
 * the same numbering: step N does the same thing on every backend. Steps are append-only —
 * a released step is never edited; a later issue adds step N+1 to every adapter's list.
 * The applied steps are recorded in `schema_migrations (version, name, applied_at)`.
 */
import { RampartError } from '../core/errors.js'

export interface Migration {
  /** 1, 2, 3… with no gaps. */
  version: number
  /** Short snake_case description, recorded with the version so a diverged list is detected. */
  name: string
  /** Statements run in one transaction. */
  sql: string
}

/** Asserts the list is numbered 1..n in order (a programming error otherwise). */
export function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration #${i} has version ${m.version}, expected ${i + 1}`)
  })
}

/**
 * Compares what the database recorded with what this build knows; refuses a database migrated
 * by a newer build (its tables may mean something this code does not expect) or by a diverged list.
 */
export function checkAppliedMigrations(applied: readonly { version: number; name: string }[], known: readonly Migration[]): void {
  for (const row of applied) {
    const mine = known[row.version - 1]
    if (mine === undefined) {
      throw new RampartError(
        'RAMPART_ERR_STORE',
        `the database schema is at version ${row.version} but this build knows only up to ${known.length}; upgrade Rampart`,
      )
    }
    if (mine.name !== row.name) {
      throw new RampartError(
        'RAMPART_ERR_STORE',
        `schema migration ${row.version} was applied as '${row.name}' but this build calls it '${mine.name}'`,
      )
    }
  }
}

/** `prevHash` of the first audit entry. */
export const FIRST_PREV_HASH = '0'.repeat(64)
