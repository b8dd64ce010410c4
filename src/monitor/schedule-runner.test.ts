import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeSealer } from '../alerts/testing.js'
import { openStore } from '../store/open.js'
import type { AlarmRecord, ScheduleRecord, Store } from '../store/types.js'
import { AlarmService, type AlarmTransition } from './alarms-service.js'
import { CaptureService } from './capture.js'
import { assertBaselineDir, baselineAad, materializeBaseline, resolveBaselineDir } from './schedule-baseline.js'
import { ScheduleRunner, SchedulerLoop, violationsAad } from './schedule-runner.js'
import type { RunChecks } from './types.js'

const T0 = Date.parse('2026-11-26T10:00:00.000Z')
const MIN = 60_000
let clock = T0
const now = () => clock
const sealer = createFakeSealer()
let store: Store
let root: string
let file: string

/** A real (if tiny) check: violation per row whose `age` is over `max` in the baseline's statistics. */
const seen: { baselineDir: string; files: string[]; rows: Record<string, unknown>[]; groundTruthColumn?: string; predictionColumn?: string }[] = []
const ageCheck: RunChecks = async ({ baselineDir, rows, groundTruthColumn, predictionColumn }) => {
  const stats = JSON.parse(readFileSync(join(baselineDir, 'statistics.json'), 'utf8')) as { max: number }
  const all: Record<string, unknown>[] = []
  for await (const r of rows) all.push(r)
  seen.push({ baselineDir, files: ['statistics.json', 'constraints.json'].filter((f) => existsSync(join(baselineDir, f))), rows: all, ...(groundTruthColumn === undefined ? {} : { groundTruthColumn }), ...(predictionColumn === undefined ? {} : { predictionColumn }) })
  const over = all.filter((r) => (r.age as number) > stats.max)
  return {
    rows: all.length,
    violations: over.map((r) => ({ feature_name: 'age', constraint_check_type: 'range_check' as const, description: `age ${String(r.age)} over ${stats.max}` })),
    metrics: [{ name: 'feature.age.over_share', value: over.length / all.length }, { name: 'broken', value: Number.NaN }],
  }
}

function schedule(overrides: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    id: 's1', tenant: 'acme', name: 'every 5 min', cron: '*/5 * * * *', modelId: 'm', baselineDir: null, baselineSealed: null, groundTruthColumn: null,
    predictionColumn: null, enabled: true, createdAt: new Date(T0).toISOString(), createdBy: 'k', nextRunAt: new Date(T0 + 5 * MIN).toISOString(),
    windowStart: new Date(T0).toISOString(), lastRunAt: null, leaseOwner: null, leaseUntil: null, ...overrides,
  }
}

async function storedSchedule(overrides: Partial<ScheduleRecord> = {}): Promise<ScheduleRecord> {
  const s = schedule(overrides)
  const sealed = await sealer.seal(JSON.stringify({ statistics: { max: 90 }, constraints: {} }), baselineAad(s.tenant, s.id))
  const record = { ...s, baselineSealed: s.baselineDir === null ? sealed : null }
  await store.createSchedule(record)
  return record
}

function parts(owner: string, checks: RunChecks = ageCheck, notify?: (t: AlarmTransition) => Promise<void>) {
  const alarms = new AlarmService({ store, ...(notify === undefined ? {} : { notify }) })
  const captures = new CaptureService({ store, sealer, now })
  return { alarms, captures, runner: new ScheduleRunner({ store, captures, sealer, runChecks: checks, alarms, baselinesRoot: root, owner, now, leaseMs: 10 * MIN }) }
}

async function capture(captures: CaptureService, ages: number[], at = clock, tenant = 'acme'): Promise<void> {
  const saved = clock
  clock = at
  for (const [i, age] of ages.entries()) await captures.capture(tenant, { inferenceId: `c${at}-${i}`, modelId: 'm', input: { age }, output: { score: age / 100 } })
  clock = saved
}

beforeEach(async () => {
  clock = T0
  seen.length = 0
  root = mkdtempSync(join(tmpdir(), 'rampart-baselines-'))
  file = join(root, 'store.db')
  store = await openStore(`sqlite:${file}`)
})
afterEach(async () => {
  await store.close()
  rmSync(root, { recursive: true, force: true })
})

describe('ScheduleRunner', () => {
  it('runs a due schedule once: window since the last run, sealed violations, metric series, next cron time', async () => {
    await storedSchedule()
    const { runner, captures } = parts('a')
    await capture(captures, [30, 95, 40], T0 + MIN)
    expect(await runner.runDue()).toEqual([])
    clock = T0 + 5 * MIN + 3_000
    const [run] = await runner.runDue()
    expect(run).toMatchObject({ status: 'completed', rows: 3, violationCount: 1, windowStart: new Date(T0).toISOString(), windowEnd: new Date(clock).toISOString() })
    expect(JSON.parse(await sealer.open(run!.violations!, violationsAad('acme', run!.id)))).toEqual([{ feature_name: 'age', constraint_check_type: 'range_check', description: 'age 95 over 90' }])
    // Non-finite metrics from the checks are dropped; the run's own are added.
    expect(run!.metrics).toEqual(expect.arrayContaining([{ name: 'feature.age.over_share', value: 1 / 3 }, { name: 'run.rows', value: 3 }, { name: 'run.violations', value: 1 }, { name: 'run.violations.range_check', value: 1 }, { name: 'run.failed', value: 0 }]))
    expect(run!.metrics.some((m) => m.name === 'broken')).toBe(false)
    expect(seen[0]!.rows).toEqual([{ age: 30, score: 0.3 }, { age: 95, score: 0.95 }, { age: 40, score: 0.4 }])
    expect(seen[0]!.files).toEqual(['statistics.json', 'constraints.json'])
    // The stored baseline's temporary folder is gone after the run.
    expect(existsSync(seen[0]!.baselineDir)).toBe(false)
    const after = (await store.getSchedule('acme', 's1'))!
    expect(after).toMatchObject({ windowStart: run!.windowEnd, lastRunAt: run!.finishedAt, nextRunAt: new Date(T0 + 10 * MIN).toISOString(), leaseOwner: null, leaseUntil: null })
    const series = await store.queryMetric({ tenant: 'acme', scheduleId: 's1', name: 'run.violations', since: new Date(T0).toISOString(), until: new Date(clock).toISOString() })
    expect(series.map((p) => [p.value, p.runId])).toEqual([[1, run!.id]])
    expect(await store.getRun('acme', run!.id)).toEqual(run)
    // Nothing due again until the next cron time.
    expect(await runner.runDue()).toEqual([])
  })

  it('lets only one of two replicas run a due schedule', async () => {
    await storedSchedule()
    const second = await openStore(`sqlite:${file}`)
    try {
      const a = parts('replica-a').runner
      const alarms = new AlarmService({ store: second })
      const b = new ScheduleRunner({ store: second, captures: new CaptureService({ store: second, sealer, now }), sealer, runChecks: ageCheck, alarms, baselinesRoot: root, owner: 'replica-b', now })
      clock = T0 + 5 * MIN
      const [ra, rb] = await Promise.all([a.runDue(), b.runDue()])
      expect(ra.length + rb.length).toBe(1)
      expect((await store.listRuns({ tenant: 'acme', limit: 10 })).items).toHaveLength(1)
    } finally {
      await second.close()
    }
  })

  it('records an empty window as no_data, with only the run metrics', async () => {
    await storedSchedule()
    clock = T0 + 5 * MIN
    const [run] = await parts('a').runner.runDue()
    expect(run).toMatchObject({ status: 'no_data', rows: 0, violations: null })
    expect(run!.metrics).toEqual([{ name: 'run.failed', value: 0 }, { name: 'run.rows', value: 0 }])
    expect(seen).toEqual([])
  })

  it('keeps the window of a failed run, so the next run checks those captures too', async () => {
    await storedSchedule()
    const failing: RunChecks = async () => {
      throw new Error('baseline unreadable')
    }
    const broken = parts('a', failing)
    await capture(broken.captures, [95], T0 + MIN)
    clock = T0 + 5 * MIN
    const [failed] = await broken.runner.runDue()
    expect(failed).toMatchObject({ status: 'failed', error: 'baseline unreadable', metrics: [{ name: 'run.failed', value: 1 }, { name: 'run.rows', value: 0 }] })
    expect((await store.getSchedule('acme', 's1'))!).toMatchObject({ windowStart: new Date(T0).toISOString(), nextRunAt: new Date(T0 + 10 * MIN).toISOString() })
    const healthy = parts('a')
    await capture(healthy.captures, [20], T0 + 7 * MIN)
    clock = T0 + 10 * MIN
    const [run] = await healthy.runner.runDue()
    expect(run).toMatchObject({ status: 'completed', rows: 2, violationCount: 1, windowStart: new Date(T0).toISOString() })
  })

  it('runs now on demand, keeps the cron time, and yields to another holder of the lease', async () => {
    await storedSchedule()
    const { runner, captures } = parts('a')
    await capture(captures, [50], T0 + MIN)
    clock = T0 + 2 * MIN
    const run = await runner.runNow('acme', 's1')
    expect(run).toMatchObject({ status: 'completed', rows: 1 })
    expect((await store.getSchedule('acme', 's1'))!.nextRunAt).toBe(new Date(T0 + 5 * MIN).toISOString())
    await store.claimSchedule('acme', 's1', new Date(clock).toISOString(), new Date(clock + MIN).toISOString(), 'someone-else')
    expect(await runner.runNow('acme', 's1')).toBeUndefined()
    await expect(runner.runNow('other-tenant', 's1')).rejects.toMatchObject({ code: 'RAMPART_ERR_NOT_FOUND' })
  })

  it('reads a baseline folder under the tenant, and passes the quality columns when a prediction column is set', async () => {
    const dir = join(root, 'baselines', 'acme', 'credit', 'v1')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'statistics.json'), JSON.stringify({ max: 10 }))
    writeFileSync(join(dir, 'constraints.json'), '{}')
    await store.createSchedule(schedule({ baselineDir: 'credit/v1', predictionColumn: 'score' }))
    const captures = new CaptureService({ store, sealer, now })
    const runner = new ScheduleRunner({ store, captures, sealer, runChecks: ageCheck, alarms: new AlarmService({ store }), baselinesRoot: join(root, 'baselines'), owner: 'a', now })
    await capture(captures, [5, 50], T0 + MIN)
    await captures.groundTruth('acme', [{ inferenceId: `c${T0 + MIN}-1`, label: 1 }])
    clock = T0 + 5 * MIN
    const [run] = await runner.runDue()
    expect(run).toMatchObject({ violationCount: 1 })
    expect(seen[0]).toMatchObject({ baselineDir: dir, groundTruthColumn: 'ground_truth', predictionColumn: 'score' })
    expect(seen[0]!.rows[1]).toEqual({ age: 50, score: 0.5, ground_truth: 1 })
    expect(existsSync(dir)).toBe(true)
  })

  it('evaluates the schedule\'s alarms after the run and notifies a transition once', async () => {
    const notified: AlarmTransition[] = []
    await storedSchedule()
    const alarm: AlarmRecord = {
      id: 'al1', tenant: 'acme', name: 'violations', description: '', scheduleId: 's1', metricName: 'run.violations', statistic: 'Maximum', comparison: 'GreaterThanThreshold',
      threshold: 0, periodSeconds: 300, evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'missing', actionsEnabled: true, state: 'INSUFFICIENT_DATA',
      stateReason: 'new', stateUpdatedAt: new Date(T0).toISOString(), createdAt: new Date(T0).toISOString(), createdBy: 'k',
    }
    await store.createAlarm(alarm)
    await store.createAlarm({ ...alarm, id: 'al2', name: 'silent', actionsEnabled: false })
    const { runner, captures } = parts('a', ageCheck, async (t) => void notified.push(t))
    await capture(captures, [99], T0 + MIN)
    clock = T0 + 5 * MIN
    await runner.runDue()
    expect(notified.map((t) => [t.alarm.id, t.history.oldState, t.history.newState])).toEqual([['al1', 'INSUFFICIENT_DATA', 'ALARM']])
    expect((await store.getAlarm('acme', 'al2'))!.state).toBe('ALARM')
    // Evaluating again changes nothing and notifies nothing.
    await new AlarmService({ store, notify: async (t) => void notified.push(t) }).evaluateAll(new Date(clock))
    expect(notified).toHaveLength(1)
  })
})

describe('SchedulerLoop', () => {
  it('runs due schedules on its timer and evaluates every alarm on its own interval', async () => {
    await storedSchedule({ nextRunAt: new Date(T0 - MIN).toISOString() })
    await store.createAlarm({
      id: 'al1', tenant: 'acme', name: 'silence', description: '', scheduleId: 'nothing-runs', metricName: 'run.rows', statistic: 'SampleCount', comparison: 'LessThanThreshold',
      threshold: 1, periodSeconds: 60, evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'breaching', actionsEnabled: true, state: 'OK',
      stateReason: 'new', stateUpdatedAt: new Date(T0).toISOString(), createdAt: new Date(T0).toISOString(), createdBy: 'k',
    })
    const { runner, alarms } = parts('a')
    const loop = new SchedulerLoop({ runner, alarms, tickMs: 20, alarmEvaluationMs: 60_000, now })
    loop.start()
    const deadline = Date.now() + 5_000
    while ((await store.listRuns({ tenant: 'acme', limit: 1 })).items.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    await loop.stop()
    expect((await store.listRuns({ tenant: 'acme', limit: 5 })).items.map((r) => r.status)).toEqual(['no_data'])
    // No data at all for the watched series, treated as breaching: ALARM without any run.
    expect((await store.getAlarm('acme', 'al1'))!.state).toBe('ALARM')
  })
})

describe('baseline folders', () => {
  it('stay inside the tenant folder', () => {
    expect(resolveBaselineDir('/data/baselines', 'acme', 'credit/v1')).toBe('/data/baselines/acme/credit/v1')
    for (const bad of ['../other/x', '/etc', 'a/../../other', '..', '.', '../acme-evil/x']) {
      expect(() => resolveBaselineDir('/data/baselines', 'acme', bad), bad).toThrow(expect.objectContaining({ code: 'RAMPART_ERR_INPUT_INVALID', path: 'baseline.dir' }))
    }
  })

  it('must hold both files; a stored baseline is written privately and removed', () => {
    const dir = join(root, 'b')
    mkdirSync(dir)
    writeFileSync(join(dir, 'statistics.json'), '{}')
    expect(() => assertBaselineDir(dir, 'b')).toThrow(/no constraints.json/)
    writeFileSync(join(dir, 'constraints.json'), '{}')
    expect(() => assertBaselineDir(dir, 'b')).not.toThrow()
    const bare = materializeBaseline({ statistics: {}, constraints: {} })
    expect(existsSync(join(bare.dir, 'profile.json'))).toBe(false)
    bare.dispose()
    const m = materializeBaseline({ statistics: { a: 1 }, constraints: { b: 2 }, profile: { c: 3 } })
    expect(JSON.parse(readFileSync(join(m.dir, 'profile.json'), 'utf8'))).toEqual({ c: 3 })
    expect(JSON.parse(readFileSync(join(m.dir, 'constraints.json'), 'utf8'))).toEqual({ b: 2 })
    expect(statSync(join(m.dir, 'statistics.json')).mode & 0o777).toBe(0o600)
    expect(statSync(m.dir).mode & 0o777).toBe(0o700)
    m.dispose()
    expect(existsSync(m.dir)).toBe(false)
  })
})
