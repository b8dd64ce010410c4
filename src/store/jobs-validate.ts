/**
 * Checks and columns shared by the SQLite and PostgreSQL implementations of JobScheduleStore
 * (gateway-wide jobs on a cron schedule, leased to one replica at a time).
 */
import { RampartError } from '../core/errors.js'
import type { JobScheduleRecord } from './types.js'
import { checkId, checkTime } from './validate.js'

export const JOB_COLUMNS = `name, cron, next_run_at AS "nextRunAt", last_run_at AS "lastRunAt", last_status AS "lastStatus", lease_owner AS "leaseOwner", lease_until AS "leaseUntil"`

export const toJob = (row: unknown): JobScheduleRecord => row as JobScheduleRecord

function invalid(path: string, message: string): RampartError {
  return new RampartError('RAMPART_ERR_INPUT_INVALID', `${path}: ${message}`, { path })
}

export function checkJobName(value: unknown): string {
  const name = checkId(value, 'name')
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw invalid('name', 'lower-case letters, digits and _ (at most 63), starting with a letter')
  return name
}

export function checkCron(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 200) throw invalid('cron', 'must be a non-empty cron expression of at most 200 characters')
  return value
}

export function checkJobLease(now: string, leaseUntil: string, owner: string): { at: string; until: string; owner: string } {
  const at = checkTime(now, 'now')
  const until = checkTime(leaseUntil, 'leaseUntil')
  if (until <= at) throw invalid('leaseUntil', 'must be later than now')
  return { at, until, owner: checkId(owner, 'owner') }
}

export function checkJobCompletion(update: { lastRunAt: string; lastStatus: string; nextRunAt: string }): { lastRunAt: string; lastStatus: string; nextRunAt: string } {
  if (typeof update !== 'object' || update === null) throw invalid('update', 'must be an object')
  if (typeof update.lastStatus !== 'string' || update.lastStatus.length === 0) throw invalid('update.lastStatus', 'must be a non-empty string')
  return { lastRunAt: checkTime(update.lastRunAt, 'update.lastRunAt'), lastStatus: update.lastStatus.slice(0, 500), nextRunAt: checkTime(update.nextRunAt, 'update.nextRunAt') }
}
