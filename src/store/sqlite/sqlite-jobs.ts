/**
 * Gateway-wide jobs on a cron schedule (JobScheduleStore) on SQLite, beside SqliteStore, which
 * delegates to it on the same connection. A claim is one conditional UPDATE, so two processes
 * on the same file cannot both take a due run.
 */
import type Database from 'better-sqlite3'
import { SqliteStatements } from './statements.js'
import { JOB_COLUMNS, checkCron, checkJobCompletion, checkJobLease, checkJobName, toJob } from '../jobs-validate.js'
import type { JobScheduleRecord, JobScheduleStore } from '../types.js'
import { checkId, checkTime } from '../validate.js'

export class SqliteJobStore implements JobScheduleStore {
  readonly #sql: SqliteStatements

  constructor(db: Database.Database) {
    this.#sql = new SqliteStatements(db)
  }

  async ensureJobSchedule(name: string, cron: string, nextRunAt: string): Promise<JobScheduleRecord> {
    const args = [checkJobName(name), checkCron(cron), checkTime(nextRunAt, 'nextRunAt')]
    return this.#sql.do('ensureJobSchedule', () =>
      toJob(
        this.#sql.stmt(`INSERT INTO job_schedules (name, cron, next_run_at) VALUES (?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, next_run_at = excluded.next_run_at WHERE job_schedules.cron <> excluded.cron
            RETURNING ${JOB_COLUMNS}`)
          .get(...args) ?? this.#sql.stmt(`SELECT ${JOB_COLUMNS} FROM job_schedules WHERE name = ?`).get(args[0]),
      ),
    )
  }

  async claimDueJob(name: string, now: string, leaseUntil: string, owner: string): Promise<JobScheduleRecord | undefined> {
    const lease = checkJobLease(now, leaseUntil, owner)
    const row = this.#sql.do('claimDueJob', () =>
      this.#sql.stmt(`UPDATE job_schedules SET lease_owner = ?, lease_until = ? WHERE name = ? AND next_run_at <= ? AND (lease_until IS NULL OR lease_until <= ?) RETURNING ${JOB_COLUMNS}`)
        .get(lease.owner, lease.until, checkJobName(name), lease.at, lease.at),
    )
    return row === undefined ? undefined : toJob(row)
  }

  async renewJobLease(name: string, owner: string, leaseUntil: string): Promise<boolean> {
    const args = [checkTime(leaseUntil, 'leaseUntil'), checkJobName(name), checkId(owner, 'owner')]
    return this.#sql.do('renewJobLease', () => this.#sql.stmt('UPDATE job_schedules SET lease_until = ? WHERE name = ? AND lease_owner = ?').run(...args).changes === 1)
  }

  async completeJob(name: string, owner: string, update: { lastRunAt: string; lastStatus: string; nextRunAt: string }): Promise<boolean> {
    const u = checkJobCompletion(update)
    const args = [u.lastRunAt, u.lastStatus, u.nextRunAt, checkJobName(name), checkId(owner, 'owner')]
    return this.#sql.do('completeJob', () =>
      this.#sql.stmt('UPDATE job_schedules SET last_run_at = ?, last_status = ?, next_run_at = ?, lease_owner = NULL, lease_until = NULL WHERE name = ? AND lease_owner = ?').run(...args).changes === 1,
    )
  }

  async getJobSchedule(name: string): Promise<JobScheduleRecord | undefined> {
    const row = this.#sql.do('getJobSchedule', () => this.#sql.stmt(`SELECT ${JOB_COLUMNS} FROM job_schedules WHERE name = ?`).get(checkJobName(name)))
    return row === undefined ? undefined : toJob(row)
  }
}
