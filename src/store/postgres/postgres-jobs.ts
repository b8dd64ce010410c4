/**
 * Gateway-wide jobs on a cron schedule (JobScheduleStore) on PostgreSQL, beside PostgresStore,
 * which delegates to it on the same pool. A claim is one conditional UPDATE (row lock), so of
 * several replicas exactly one takes a due run.
 */
import type pg from 'pg'
import { JOB_COLUMNS, checkCron, checkJobCompletion, checkJobLease, checkJobName, toJob } from '../jobs-validate.js'
import type { JobScheduleRecord, JobScheduleStore } from '../types.js'
import { checkId, checkTime } from '../validate.js'
import { PostgresQueries } from './queries.js'

export class PostgresJobStore implements JobScheduleStore {
  readonly #pg: PostgresQueries

  constructor(pool: pg.Pool) {
    this.#pg = new PostgresQueries(pool)
  }

  async ensureJobSchedule(name: string, cron: string, nextRunAt: string): Promise<JobScheduleRecord> {
    const args = [checkJobName(name), checkCron(cron), checkTime(nextRunAt, 'nextRunAt')]
    const [row] = await this.#pg.rows(
      'ensureJobSchedule',
      `INSERT INTO job_schedules (name, cron, next_run_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, next_run_at = excluded.next_run_at WHERE job_schedules.cron <> excluded.cron
       RETURNING ${JOB_COLUMNS}`,
      args,
    )
    if (row !== undefined) return toJob(row)
    const [existing] = await this.#pg.rows('ensureJobSchedule', `SELECT ${JOB_COLUMNS} FROM job_schedules WHERE name = $1`, [args[0]])
    return toJob(existing)
  }

  async claimDueJob(name: string, now: string, leaseUntil: string, owner: string): Promise<JobScheduleRecord | undefined> {
    const lease = checkJobLease(now, leaseUntil, owner)
    const [row] = await this.#pg.rows(
      'claimDueJob',
      `UPDATE job_schedules SET lease_owner = $1, lease_until = $2 WHERE name = $3 AND next_run_at <= $4 AND (lease_until IS NULL OR lease_until <= $4) RETURNING ${JOB_COLUMNS}`,
      [lease.owner, lease.until, checkJobName(name), lease.at],
    )
    return row === undefined ? undefined : toJob(row)
  }

  async renewJobLease(name: string, owner: string, leaseUntil: string): Promise<boolean> {
    const rows = await this.#pg.rows('renewJobLease', 'UPDATE job_schedules SET lease_until = $1 WHERE name = $2 AND lease_owner = $3 RETURNING name', [checkTime(leaseUntil, 'leaseUntil'), checkJobName(name), checkId(owner, 'owner')])
    return rows.length === 1
  }

  async completeJob(name: string, owner: string, update: { lastRunAt: string; lastStatus: string; nextRunAt: string }): Promise<boolean> {
    const u = checkJobCompletion(update)
    const rows = await this.#pg.rows(
      'completeJob',
      'UPDATE job_schedules SET last_run_at = $1, last_status = $2, next_run_at = $3, lease_owner = NULL, lease_until = NULL WHERE name = $4 AND lease_owner = $5 RETURNING name',
      [u.lastRunAt, u.lastStatus, u.nextRunAt, checkJobName(name), checkId(owner, 'owner')],
    )
    return rows.length === 1
  }

  async getJobSchedule(name: string): Promise<JobScheduleRecord | undefined> {
    const [row] = await this.#pg.rows('getJobSchedule', `SELECT ${JOB_COLUMNS} FROM job_schedules WHERE name = $1`, [checkJobName(name)])
    return row === undefined ? undefined : toJob(row)
  }
}
