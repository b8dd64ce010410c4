/**
 * Gateway-wide jobs on a cron schedule (JobScheduleStore): the part of the store conformance
 * suite that SQLite and PostgreSQL both pass. `database().open()` is another handle on the same
 * database — another replica.
 */
import { describe, expect, it } from 'vitest'
import { isRampartError } from '../core/errors.js'
import { at } from './conformance-fixtures.js'
import type { Store } from './types.js'

export function describeJobConformance(fresh: () => Promise<Store>, database: () => Promise<{ open: () => Promise<Store> }>): void {
  describe('gateway-wide jobs: cron schedule and lease', () => {
    it('creates a job once; the same cron keeps its next run, another cron moves it', async () => {
      const store = await fresh()
      expect(await store.getJobSchedule('learning_cycle')).toBeUndefined()
      const created = await store.ensureJobSchedule('learning_cycle', '0 3 * * 0', at(100))
      expect(created).toEqual({ name: 'learning_cycle', cron: '0 3 * * 0', nextRunAt: at(100), lastRunAt: null, lastStatus: null, leaseOwner: null, leaseUntil: null })
      // A restart computes a later next run from its own clock: the stored one stays, so a due run is not skipped.
      expect((await store.ensureJobSchedule('learning_cycle', '0 3 * * 0', at(500))).nextRunAt).toBe(at(100))
      expect(await store.ensureJobSchedule('learning_cycle', '0 4 * * 0', at(700))).toMatchObject({ cron: '0 4 * * 0', nextRunAt: at(700) })
      expect(await store.getJobSchedule('learning_cycle')).toMatchObject({ cron: '0 4 * * 0', nextRunAt: at(700) })
    })

    it('leases a due job to one owner; not before it is due; renew, complete, then the next occurrence', async () => {
      const store = await fresh()
      await store.ensureJobSchedule('learning_cycle', '*/5 * * * *', at(60))
      expect(await store.claimDueJob('learning_cycle', at(59), at(600), 'replica-a')).toBeUndefined()
      const claimed = await store.claimDueJob('learning_cycle', at(60), at(600), 'replica-a')
      expect(claimed).toMatchObject({ leaseOwner: 'replica-a', leaseUntil: at(600) })
      expect(await store.claimDueJob('learning_cycle', at(61), at(700), 'replica-b')).toBeUndefined()
      expect(await store.renewJobLease('learning_cycle', 'replica-b', at(900))).toBe(false)
      expect(await store.renewJobLease('learning_cycle', 'replica-a', at(900))).toBe(true)
      expect(await store.claimDueJob('learning_cycle', at(650), at(1000), 'replica-b')).toBeUndefined()
      expect(await store.completeJob('learning_cycle', 'replica-b', { lastRunAt: at(300), lastStatus: 'activated', nextRunAt: at(360) })).toBe(false)
      expect(await store.completeJob('learning_cycle', 'replica-a', { lastRunAt: at(300), lastStatus: 'awaiting_approval', nextRunAt: at(360) })).toBe(true)
      expect(await store.getJobSchedule('learning_cycle')).toEqual({ name: 'learning_cycle', cron: '*/5 * * * *', nextRunAt: at(360), lastRunAt: at(300), lastStatus: 'awaiting_approval', leaseOwner: null, leaseUntil: null })
      // Done for this occurrence: nobody takes it again until the next one is due.
      expect(await store.claimDueJob('learning_cycle', at(301), at(900), 'replica-b')).toBeUndefined()
      expect(await store.claimDueJob('learning_cycle', at(360), at(900), 'replica-b')).toMatchObject({ leaseOwner: 'replica-b' })
    })

    it('lets another replica take over an expired lease (the holder died)', async () => {
      const store = await fresh()
      await store.ensureJobSchedule('learning_cycle', '@daily', at(0))
      await store.claimDueJob('learning_cycle', at(0), at(100), 'replica-a')
      expect(await store.claimDueJob('learning_cycle', at(99), at(200), 'replica-b')).toBeUndefined()
      expect(await store.claimDueJob('learning_cycle', at(100), at(200), 'replica-b')).toMatchObject({ leaseOwner: 'replica-b' })
      expect(await store.completeJob('learning_cycle', 'replica-a', { lastRunAt: at(150), lastStatus: 'activated', nextRunAt: at(1000) })).toBe(false)
    })

    it('gives a due run to exactly one of several replicas claiming at once', async () => {
      const { open } = await database()
      const replicas = await Promise.all([open(), open(), open()])
      try {
        await replicas[0]!.ensureJobSchedule('learning_cycle', '0 3 * * 0', at(0))
        const claims = await Promise.all(replicas.flatMap((s, i) => [0, 1, 2].map((k) => s.claimDueJob('learning_cycle', at(10), at(600), `replica-${i}-${k}`))))
        expect(claims.filter((c) => c !== undefined)).toHaveLength(1)
      } finally {
        await Promise.all(replicas.map((s) => s.close()))
      }
    })

    it('refuses a bad name, cron or lease', async () => {
      const store = await fresh()
      for (const attempt of [
        store.ensureJobSchedule('Learning Cycle', '@daily', at(0)),
        store.ensureJobSchedule('learning_cycle', '', at(0)),
        store.ensureJobSchedule('learning_cycle', '@daily', 'tomorrow'),
        store.claimDueJob('learning_cycle', at(10), at(5), 'a'),
      ]) {
        const error = await attempt.then(() => undefined, (e: unknown) => e)
        expect(isRampartError(error) && error.code).toBe('RAMPART_ERR_INPUT_INVALID')
      }
    })
  })
}
