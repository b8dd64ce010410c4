/**
 * The monitor's part of the store conformance suite (captures, ground truth, schedules and
 * leases, runs, metric series, alarms), called from `describeStoreConformance` so every adapter
 * passes it. `open` gives another handle on the same database (another replica).
 */
import { describe, expect, it } from 'vitest'
import { isRampartError } from '../core/errors.js'
import { at } from './conformance-fixtures.js'
import type { AlarmHistoryRecord, AlarmRecord, CaptureRecord, RunRecord, ScheduleRecord, Store } from './types.js'

async function expectCode(promise: Promise<unknown>, code: string, path?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isRampartError(error), `expected a RampartError ${code}, got ${String(error)}`).toBe(true)
  expect((error as { code: string }).code).toBe(code)
  if (path !== undefined) expect((error as { path?: string }).path).toBe(path)
}

function capture(n: number, overrides: Partial<CaptureRecord> = {}): CaptureRecord {
  return { tenant: 'acme', inferenceId: `inf-${String(n).padStart(3, '0')}`, modelId: 'churn-v1', at: at(n), receivedAt: at(n), source: 'api', payload: `sealed-${n}`, ...overrides }
}

function schedule(overrides: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    id: 's1', tenant: 'acme', name: 'hourly churn', cron: '0 * * * *', modelId: 'churn-v1', baselineDir: null, baselineSealed: 'sealed-baseline',
    groundTruthColumn: null, predictionColumn: 'score', enabled: true, createdAt: at(0), createdBy: 'k-admin', nextRunAt: at(3600),
    windowStart: at(0), lastRunAt: null, leaseOwner: null, leaseUntil: null, ...overrides,
  }
}

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'r1', tenant: 'acme', scheduleId: 's1', startedAt: at(3600), finishedAt: null, status: 'running', windowStart: at(0), windowEnd: at(3600),
    rows: 0, violationCount: 0, violations: null, metrics: [], error: null, ...overrides,
  }
}

function alarm(overrides: Partial<AlarmRecord> = {}): AlarmRecord {
  return {
    id: 'al1', tenant: 'acme', name: 'drift', description: 'share of drifted features', scheduleId: 's1', metricName: 'dataset.drift_share',
    statistic: 'Maximum', comparison: 'GreaterThanThreshold', threshold: 0.25, periodSeconds: 3600, evaluationPeriods: 3, datapointsToAlarm: 2,
    treatMissingData: 'missing', actionsEnabled: true, state: 'INSUFFICIENT_DATA', stateReason: 'Unchecked: initial alarm creation',
    stateUpdatedAt: at(0), createdAt: at(0), createdBy: 'k-admin', ...overrides,
  }
}

function history(n: number, overrides: Partial<AlarmHistoryRecord> = {}): AlarmHistoryRecord {
  return { id: `h${n}`, tenant: 'acme', alarmId: 'al1', at: at(n), oldState: 'INSUFFICIENT_DATA', newState: 'ALARM', reason: `reason ${n}`, reasonData: { n, datapoints: [0.3, null] }, ...overrides }
}

export function describeMonitorConformance(fresh: () => Promise<Store>, database: () => Promise<{ open: () => Promise<Store> }>): void {
  describe('monitor: captures and ground truth', () => {
    it('stores a capture once (a retry is a no-op returning false) and joins its label', async () => {
      const store = await fresh()
      expect(await store.insertCapture(capture(1, { at: '2026-11-26T11:00:00+01:00' }))).toBe(true)
      expect(await store.insertCapture(capture(1, { payload: 'other' }))).toBe(false)
      expect(await store.getCapture('acme', 'inf-001')).toEqual({ ...capture(1), at: at(0), label: null })
      expect(await store.putGroundTruth([{ tenant: 'acme', inferenceId: 'inf-001', label: 'sealed-label', receivedAt: at(50) }])).toBe(1)
      expect((await store.getCapture('acme', 'inf-001'))?.label).toBe('sealed-label')
      // A later label replaces the first.
      await store.putGroundTruth([{ tenant: 'acme', inferenceId: 'inf-001', label: 'corrected', receivedAt: at(60) }])
      expect((await store.getCapture('acme', 'inf-001'))?.label).toBe('corrected')
      expect(await store.getCapture('acme', 'missing')).toBeUndefined()
    })

    it('stores a batch in one call: one flag per record, repeats (stored or earlier in the batch) refused', async () => {
      const store = await fresh()
      await store.insertCapture(capture(2))
      const flags = await store.insertCaptures([capture(1), capture(2, { payload: 'again' }), capture(3), capture(3, { payload: 'twice' }), capture(1, { tenant: 'other' })])
      expect(flags).toEqual([true, false, true, false, true])
      expect((await store.listCaptures({ tenant: 'acme', limit: 10 })).items.map((c) => [c.inferenceId, c.payload])).toEqual([['inf-001', 'sealed-1'], ['inf-002', 'sealed-2'], ['inf-003', 'sealed-3']])
      expect(await store.insertCaptures([])).toEqual([])
      await expectCode(store.insertCaptures([capture(4), capture(5, { modelId: '' })]), 'RAMPART_ERR_INPUT_INVALID', 'captures[1].modelId')
      expect(await store.getCapture('acme', 'inf-004')).toBeUndefined()
    })

    it('keeps tenants apart: same inference id in two tenants, labels never cross', async () => {
      const store = await fresh()
      await store.insertCapture(capture(1))
      expect(await store.insertCapture(capture(1, { tenant: 'other', payload: 'theirs' }))).toBe(true)
      expect(await store.putGroundTruth([{ tenant: 'other', inferenceId: 'inf-001', label: 'theirs', receivedAt: at(5) }])).toBe(1)
      expect((await store.getCapture('acme', 'inf-001'))?.label).toBeNull()
      expect((await store.getCapture('other', 'inf-001'))?.payload).toBe('theirs')
      expect((await store.listCaptures({ tenant: 'acme', limit: 10 })).items.map((c) => c.payload)).toEqual(['sealed-1'])
    })

    it('accepts labels before their capture and counts only matched ones', async () => {
      const store = await fresh()
      await store.insertCapture(capture(1))
      const matched = await store.putGroundTruth([
        { tenant: 'acme', inferenceId: 'inf-001', label: 'a', receivedAt: at(5) },
        { tenant: 'acme', inferenceId: 'inf-002', label: 'b', receivedAt: at(5) },
      ])
      expect(matched).toBe(1)
      await store.insertCapture(capture(2))
      expect((await store.getCapture('acme', 'inf-002'))?.label).toBe('b')
      expect(await store.putGroundTruth([])).toBe(0)
    })

    it('lists a window oldest first by receivedAt, per model, with stable cursor paging', async () => {
      const store = await fresh()
      for (let i = 1; i <= 7; i++) await store.insertCapture(capture(i, { at: at(100 - i) }))
      await store.insertCapture(capture(8, { receivedAt: at(3), modelId: 'other-model' }))
      // Two captures received in the same millisecond are ordered by inference id.
      await store.insertCapture(capture(9, { receivedAt: at(4) }))
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await store.listCaptures({ tenant: 'acme', modelId: 'churn-v1', receivedSince: at(2), receivedUntil: at(7), limit: 2, ...(cursor === undefined ? {} : { cursor }) })
        expect(page.items.length).toBeLessThanOrEqual(2)
        seen.push(...page.items.map((c) => c.inferenceId))
        cursor = page.nextCursor
      } while (cursor !== undefined)
      expect(seen).toEqual(['inf-002', 'inf-003', 'inf-004', 'inf-009', 'inf-005', 'inf-006'])
      expect((await store.listCaptures({ tenant: 'acme', limit: 100 })).items).toHaveLength(9)
    })

    it('prunes captures and labels received before a time', async () => {
      const store = await fresh()
      for (let i = 1; i <= 4; i++) await store.insertCapture(capture(i))
      await store.putGroundTruth([{ tenant: 'acme', inferenceId: 'inf-001', label: 'x', receivedAt: at(1) }, { tenant: 'acme', inferenceId: 'inf-004', label: 'y', receivedAt: at(4) }])
      expect(await store.pruneCaptures(at(3))).toBe(2)
      expect((await store.listCaptures({ tenant: 'acme', limit: 10 })).items.map((c) => [c.inferenceId, c.label])).toEqual([['inf-003', null], ['inf-004', 'y']])
    })

    it('rejects malformed captures, labels and filters', async () => {
      const store = await fresh()
      await expectCode(store.insertCapture(capture(1, { receivedAt: 'now' })), 'RAMPART_ERR_INPUT_INVALID', 'capture.receivedAt')
      await expectCode(store.insertCapture(capture(1, { inferenceId: '' })), 'RAMPART_ERR_INPUT_INVALID', 'capture.inferenceId')
      await expectCode(store.putGroundTruth([{ tenant: 'acme', inferenceId: 'x', label: 'a\u0000b', receivedAt: at(1) }]), 'RAMPART_ERR_INPUT_INVALID', 'labels[0].label')
      await expectCode(store.listCaptures({ tenant: 'acme', limit: 0 }), 'RAMPART_ERR_INPUT_INVALID', 'filter.limit')
      await expectCode(store.listCaptures({ tenant: 'acme', limit: 5, cursor: 'garbage!' }), 'RAMPART_ERR_INPUT_INVALID', 'filter.cursor')
      expect((await store.listCaptures({ tenant: 'acme', limit: 5 })).items).toEqual([])
    })
  })

  describe('monitor: schedules and leases', () => {
    it('stores, lists per tenant and refuses a duplicate name in a tenant', async () => {
      const store = await fresh()
      await store.createSchedule(schedule())
      await store.createSchedule(schedule({ id: 's2', name: 'daily', createdAt: at(5), baselineDir: 'churn/v1', baselineSealed: null, enabled: false }))
      await store.createSchedule(schedule({ id: 's3', tenant: 'other' }))
      expect(await store.getSchedule('acme', 's1')).toEqual(schedule())
      expect(await store.getSchedule('other', 's1')).toBeUndefined()
      expect((await store.listSchedules('acme')).map((s) => [s.id, s.enabled, s.baselineDir])).toEqual([['s2', false, 'churn/v1'], ['s1', true, null]])
      expect((await store.listSchedules()).map((s) => s.id).sort()).toEqual(['s1', 's2', 's3'])
      await expectCode(store.createSchedule(schedule({ id: 's4' })), 'RAMPART_ERR_STORE')
      await expectCode(store.createSchedule(schedule({ id: 's5', name: 'x', baselineDir: 'also' })), 'RAMPART_ERR_INPUT_INVALID', 'schedule.baselineDir')
    })

    it('leases due schedules to one replica at a time; an expired lease can be taken over', async () => {
      const { open } = await database()
      const [a, b] = await Promise.all([open(), open()])
      for (let i = 0; i < 12; i++) await a.createSchedule(schedule({ id: `s${String(i).padStart(2, '0')}`, name: `n${i}`, nextRunAt: at(i) }))
      await a.createSchedule(schedule({ id: 'later', name: 'later', nextRunAt: at(10_000) }))
      await a.createSchedule(schedule({ id: 'off', name: 'off', nextRunAt: at(0), enabled: false }))
      const claims = await Promise.all([a, b, a, b].map((s, i) => s.claimDueSchedules(at(100), at(200), `replica-${i}`, 5)))
      const ids = claims.flat().map((s) => s.id)
      expect(ids).toHaveLength(12)
      expect(new Set(ids).size).toBe(12)
      expect(claims.flat().every((s) => s.leaseUntil === at(200) && s.leaseOwner !== null)).toBe(true)
      expect(await a.claimDueSchedules(at(150), at(250), 'replica-9', 50)).toEqual([])
      // Past the lease, a schedule that was never completed (its holder died) is claimed again.
      const again = await b.claimDueSchedules(at(200), at(300), 'replica-9', 50)
      expect(again.map((s) => s.id)).toEqual(ids.slice().sort())
    })

    it('completes a run only for the lease holder, clearing the lease and moving the window', async () => {
      const store = await fresh()
      await store.createSchedule(schedule({ nextRunAt: at(10) }))
      const [claimed] = await store.claimDueSchedules(at(10), at(70), 'me', 5)
      expect(claimed?.leaseOwner).toBe('me')
      expect(await store.renewScheduleLease('acme', 's1', 'you', at(90))).toBe(false)
      expect(await store.renewScheduleLease('acme', 's1', 'me', at(90))).toBe(true)
      const completion = { windowStart: at(10), lastRunAt: at(12), nextRunAt: at(3600) }
      expect(await store.completeScheduleRun('acme', 's1', 'you', completion)).toBe(false)
      expect(await store.completeScheduleRun('other', 's1', 'me', completion)).toBe(false)
      expect(await store.completeScheduleRun('acme', 's1', 'me', completion)).toBe(true)
      expect(await store.getSchedule('acme', 's1')).toEqual(schedule({ nextRunAt: at(3600), windowStart: at(10), lastRunAt: at(12) }))
      expect(await store.completeScheduleRun('acme', 's1', 'me', completion)).toBe(false)
    })

    it('claims one schedule on demand unless another owner holds it', async () => {
      const store = await fresh()
      await store.createSchedule(schedule())
      expect((await store.claimSchedule('acme', 's1', at(5), at(65), 'a'))?.leaseOwner).toBe('a')
      expect(await store.claimSchedule('acme', 's1', at(6), at(66), 'b')).toBeUndefined()
      expect((await store.claimSchedule('acme', 's1', at(6), at(66), 'a'))?.leaseUntil).toBe(at(66))
      expect((await store.claimSchedule('acme', 's1', at(66), at(126), 'b'))?.leaseOwner).toBe('b')
      expect(await store.claimSchedule('other', 's1', at(200), at(260), 'c')).toBeUndefined()
      await expectCode(store.claimSchedule('acme', 's1', at(10), at(10), 'a'), 'RAMPART_ERR_INPUT_INVALID', 'leaseUntil')
    })

    it('deletes a schedule with its runs, metric points and alarms, in its tenant only', async () => {
      const store = await fresh()
      await store.createSchedule(schedule())
      await store.insertRun(run())
      await store.appendMetrics([{ tenant: 'acme', scheduleId: 's1', runId: 'r1', name: 'm', at: at(1), value: 1 }])
      await store.createAlarm(alarm())
      await store.transitionAlarm(history(1))
      expect(await store.deleteSchedule('other', 's1')).toBe(false)
      expect(await store.deleteSchedule('acme', 's1')).toBe(true)
      expect(await store.deleteSchedule('acme', 's1')).toBe(false)
      expect(await store.getSchedule('acme', 's1')).toBeUndefined()
      expect(await store.getRun('acme', 'r1')).toBeUndefined()
      expect(await store.getAlarm('acme', 'al1')).toBeUndefined()
      expect((await store.listAlarmHistory('acme', 'al1', 10)).items).toEqual([])
      expect(await store.queryMetric({ tenant: 'acme', scheduleId: 's1', name: 'm', since: at(0), until: at(9) })).toEqual([])
    })
  })

  describe('monitor: runs and metric series', () => {
    it('records a run and its outcome; lists newest first per tenant and schedule with paging', async () => {
      const store = await fresh()
      await store.insertRun(run())
      const update = { finishedAt: at(3700), status: 'completed' as const, rows: 120, violationCount: 2, violations: 'sealed-v', metrics: [{ name: 'dataset.drift_share', value: 0.4 }, { name: 'run.rows', value: 120 }], error: null }
      expect(await store.finishRun('acme', 'r1', update)).toBe(true)
      expect(await store.finishRun('other', 'r1', update)).toBe(false)
      expect(await store.getRun('acme', 'r1')).toEqual(run(update))
      expect(await store.getRun('other', 'r1')).toBeUndefined()
      for (let i = 2; i <= 5; i++) await store.insertRun(run({ id: `r${i}`, startedAt: at(3600 * i), scheduleId: i % 2 === 0 ? 's2' : 's1' }))
      await store.insertRun(run({ id: 'x', tenant: 'other' }))
      const first = await store.listRuns({ tenant: 'acme', limit: 3 })
      expect(first.items.map((r) => r.id)).toEqual(['r5', 'r4', 'r3'])
      const second = await store.listRuns({ tenant: 'acme', limit: 3, cursor: first.nextCursor! })
      expect(second.items.map((r) => r.id)).toEqual(['r2', 'r1'])
      expect(second.nextCursor).toBeUndefined()
      expect((await store.listRuns({ tenant: 'acme', scheduleId: 's1', limit: 10 })).items.map((r) => r.id)).toEqual(['r5', 'r3', 'r1'])
      await expectCode(store.insertRun(run({ id: 'bad', metrics: [{ name: 'm', value: Number.NaN }] })), 'RAMPART_ERR_INPUT_INVALID', 'run.metrics[0].value')
      await expectCode(store.insertRun(run({ id: 'bad', status: 'done' as never })), 'RAMPART_ERR_INPUT_INVALID', 'run.status')
    })

    it('stores metric points as series and queries one series in (since, until], oldest first', async () => {
      const store = await fresh()
      const point = (n: number, value: number, name = 'dataset.drift_share', scheduleId = 's1', tenant = 'acme') => ({ tenant, scheduleId, runId: `r${n}`, name, at: at(n), value })
      await store.appendMetrics([point(3, 0.3), point(1, 0.1), point(2, 0.25), point(2, 99, 'run.rows'), point(2, 7, 'dataset.drift_share', 's2'), point(2, 8, 'dataset.drift_share', 's1', 'other')])
      await store.appendMetrics([point(4, -1.5e-7)])
      await store.appendMetrics([])
      const series = await store.queryMetric({ tenant: 'acme', scheduleId: 's1', name: 'dataset.drift_share', since: at(1), until: at(4) })
      expect(series.map((p) => [p.at, p.value, p.runId])).toEqual([[at(2), 0.25, 'r2'], [at(3), 0.3, 'r3'], [at(4), -1.5e-7, 'r4']])
      await expectCode(store.appendMetrics([point(5, Number.POSITIVE_INFINITY)]), 'RAMPART_ERR_INPUT_INVALID', 'points[0].value')
    })
  })

  describe('monitor: alarms', () => {
    it('stores an alarm exactly, lists per tenant and schedule, refuses a duplicate name and bad settings', async () => {
      const store = await fresh()
      await store.createAlarm(alarm())
      await store.createAlarm(alarm({ id: 'al2', name: 'rows', scheduleId: 's2', createdAt: at(5), threshold: -0.5, actionsEnabled: false }))
      await store.createAlarm(alarm({ id: 'al3', tenant: 'other' }))
      expect(await store.getAlarm('acme', 'al1')).toEqual(alarm())
      expect(await store.getAlarm('other', 'al1')).toBeUndefined()
      expect((await store.listAlarms('acme')).map((a) => [a.id, a.threshold, a.actionsEnabled])).toEqual([['al2', -0.5, false], ['al1', 0.25, true]])
      expect((await store.listAlarms('acme', 's1')).map((a) => a.id)).toEqual(['al1'])
      expect((await store.listAlarms()).map((a) => a.id).sort()).toEqual(['al1', 'al2', 'al3'])
      await expectCode(store.createAlarm(alarm({ id: 'al4' })), 'RAMPART_ERR_STORE')
      await expectCode(store.createAlarm(alarm({ id: 'al5', name: 'x', datapointsToAlarm: 4 })), 'RAMPART_ERR_INPUT_INVALID', 'alarm.datapointsToAlarm')
      await expectCode(store.createAlarm(alarm({ id: 'al5', name: 'x', periodSeconds: 90 })), 'RAMPART_ERR_INPUT_INVALID', 'alarm.periodSeconds')
      await expectCode(store.createAlarm(alarm({ id: 'al5', name: 'x', treatMissingData: 'drop' as never })), 'RAMPART_ERR_INPUT_INVALID', 'alarm.treatMissingData')
      await expectCode(store.createAlarm(alarm({ id: 'al5', name: 'x', comparison: 'GreaterThan' as never })), 'RAMPART_ERR_INPUT_INVALID', 'alarm.comparison')
      expect(await store.deleteAlarm('other', 'al2')).toBe(false)
      expect(await store.deleteAlarm('acme', 'al2')).toBe(true)
      expect((await store.listAlarms('acme')).map((a) => a.id)).toEqual(['al1'])
    })

    it('moves state by compare-and-set with a history entry; a stale transition writes nothing', async () => {
      const store = await fresh()
      await store.createAlarm(alarm())
      expect(await store.transitionAlarm(history(10))).toBe(true)
      expect(await store.getAlarm('acme', 'al1')).toMatchObject({ state: 'ALARM', stateReason: 'reason 10', stateUpdatedAt: at(10) })
      // Still believes the alarm is INSUFFICIENT_DATA: refused.
      expect(await store.transitionAlarm(history(11, { newState: 'OK' }))).toBe(false)
      expect(await store.transitionAlarm(history(12, { oldState: 'ALARM', newState: 'OK' }))).toBe(true)
      expect(await store.transitionAlarm(history(13, { tenant: 'other', oldState: 'OK', newState: 'ALARM' }))).toBe(false)
      const page = await store.listAlarmHistory('acme', 'al1', 1)
      expect(page.items).toEqual([history(12, { oldState: 'ALARM', newState: 'OK' })])
      const rest = await store.listAlarmHistory('acme', 'al1', 10, page.nextCursor!)
      expect(rest.items).toEqual([history(10)])
      expect((await store.listAlarmHistory('other', 'al1', 10)).items).toEqual([])
      await expectCode(store.transitionAlarm(history(14, { oldState: 'OK', newState: 'OK' })), 'RAMPART_ERR_INPUT_INVALID', 'history.newState')
    })

    it('lets only one of several replicas record the same transition', async () => {
      const { open } = await database()
      const replicas = await Promise.all([open(), open(), open()])
      await replicas[0]!.createAlarm(alarm())
      const results = await Promise.all(replicas.flatMap((r, i) => [r.transitionAlarm(history(i * 2)), r.transitionAlarm(history(i * 2 + 1))]))
      expect(results.filter(Boolean)).toHaveLength(1)
      expect((await replicas[1]!.listAlarmHistory('acme', 'al1', 10)).items).toHaveLength(1)
    })
  })
}
