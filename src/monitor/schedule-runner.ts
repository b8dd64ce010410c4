/**
 * Runs monitoring schedules: takes the schedule's lease in the store (one replica runs a given
 * schedule at a time), reads the captures received since the last run, runs the checks against
 * the baseline, stores the run (violations sealed), its metrics as time series, moves the
 * window and evaluates the schedule's alarms.
 */
import { randomUUID } from 'node:crypto'
import { RampartError } from '../core/errors.js'
import type { AlarmStore, CaptureStore, MetricPoint, MetricSeriesStore, RunRecord, RunUpdate, ScheduleRecord, ScheduleStore } from '../store/types.js'
import type { AlarmService } from './alarms-service.js'
import { captureToRow, type CaptureSealer, type CaptureService, type OpenedCapture } from './capture.js'
import { baselineAad, materializeBaseline, resolveBaselineDir, type StoredBaseline } from './schedule-baseline.js'
import { parseCron } from './schedule-cron.js'
import { CHECK_TYPES, type RunChecks, type RunMetric, type Violation } from './types.js'

export type MonitorStore = ScheduleStore & CaptureStore & MetricSeriesStore & AlarmStore

export interface RunnerLogger {
  warn(obj: Record<string, unknown>, msg: string): void
  error(obj: Record<string, unknown>, msg: string): void
}

export interface ScheduleRunnerOptions {
  store: MonitorStore
  captures: CaptureService
  sealer: CaptureSealer
  runChecks: RunChecks
  alarms: AlarmService
  /** `<dataDir>/baselines`: each tenant's baseline folders live in `<root>/<tenant>/`. */
  baselinesRoot: string
  /** This process, as lease owner (unique per process). */
  owner?: string
  /** How long a lease lasts before another replica may take the schedule over; renewed every third of it while running (default 10 min). */
  leaseMs?: number
  /** Schedules claimed per pass (default 10). */
  batch?: number
  now?: () => number
  logger?: RunnerLogger
  /** Called with every finished run (metrics, logs). */
  onRun?: (run: RunRecord) => void
}

export function violationsAad(tenant: string, runId: string): string {
  return `run:${tenant}:${runId}:violations`
}

/** Metrics every run reports beside the checks' own: enough to alarm on failures, silence and violations. */
export function runMetrics(rows: number, violations: readonly Violation[] | undefined, failed: boolean): RunMetric[] {
  const out: RunMetric[] = [
    { name: 'run.failed', value: failed ? 1 : 0 },
    { name: 'run.rows', value: rows },
  ]
  if (violations !== undefined) {
    out.push({ name: 'run.violations', value: violations.length })
    for (const type of CHECK_TYPES) out.push({ name: `run.violations.${type}`, value: violations.filter((v) => v.constraint_check_type === type).length })
  }
  return out
}

function usableMetric(m: RunMetric): boolean {
  return typeof m?.name === 'string' && m.name.length > 0 && m.name.length <= 256 && !m.name.includes('\u0000') && typeof m.value === 'number' && Number.isFinite(m.value)
}

export class ScheduleRunner {
  readonly owner: string
  readonly #o: ScheduleRunnerOptions
  readonly #leaseMs: number
  readonly #now: () => number

  constructor(options: ScheduleRunnerOptions) {
    this.#o = options
    this.owner = options.owner ?? `rampart-${process.pid}-${randomUUID().slice(0, 8)}`
    this.#leaseMs = options.leaseMs ?? 600_000
    this.#now = options.now ?? Date.now
  }

  /** One pass: claims the schedules due now and runs them one after another. */
  async runDue(): Promise<RunRecord[]> {
    const at = this.#now()
    const claimed = await this.#o.store.claimDueSchedules(new Date(at).toISOString(), new Date(at + this.#leaseMs).toISOString(), this.owner, this.#o.batch ?? 10)
    const runs: RunRecord[] = []
    for (const schedule of claimed) runs.push(await this.#execute(schedule, false))
    return runs
  }

  /**
   * Runs one schedule now, whatever its cron says (the "run now" button and tests). Undefined
   * when another replica holds it (it is running there).
   * @throws RampartError RAMPART_ERR_NOT_FOUND when the tenant has no such schedule.
   */
  async runNow(tenant: string, id: string): Promise<RunRecord | undefined> {
    if ((await this.#o.store.getSchedule(tenant, id)) === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no schedule ${id}`, { path: 'id' })
    const at = this.#now()
    const schedule = await this.#o.store.claimSchedule(tenant, id, new Date(at).toISOString(), new Date(at + this.#leaseMs).toISOString(), this.owner)
    return schedule === undefined ? undefined : this.#execute(schedule, true)
  }

  async #execute(schedule: ScheduleRecord, manual: boolean): Promise<RunRecord> {
    const { store, logger } = this.#o
    const startedMs = this.#now()
    const windowEnd = new Date(startedMs).toISOString()
    const run: RunRecord = {
      id: randomUUID(),
      tenant: schedule.tenant,
      scheduleId: schedule.id,
      startedAt: windowEnd,
      finishedAt: null,
      status: 'running',
      windowStart: schedule.windowStart,
      windowEnd,
      rows: 0,
      violationCount: 0,
      violations: null,
      metrics: [],
      error: null,
    }
    const renew = setInterval(() => {
      void store.renewScheduleLease(schedule.tenant, schedule.id, this.owner, new Date(this.#now() + this.#leaseMs).toISOString()).then(
        (held) => held || logger?.warn({ scheduleId: schedule.id }, 'monitor schedule lease lost during a run; another replica may run this window too'),
        (err: unknown) => logger?.warn({ scheduleId: schedule.id, err: (err as Error).message }, 'could not renew a monitor schedule lease'),
      )
    }, Math.max(1_000, Math.floor(this.#leaseMs / 3)))
    renew.unref()
    let update: RunUpdate
    try {
      await store.insertRun(run)
      update = await this.#check(schedule, run)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      logger?.error({ scheduleId: schedule.id, runId: run.id, err: message }, 'monitor run failed')
      update = { finishedAt: new Date(this.#now()).toISOString(), status: 'failed', rows: 0, violationCount: 0, violations: null, metrics: runMetrics(0, undefined, true), error: message.slice(0, 2_000) }
    } finally {
      clearInterval(renew)
    }
    const finishedAt = update.finishedAt ?? new Date(this.#now()).toISOString()
    const finished: RunRecord = { ...run, ...update, finishedAt }
    try {
      if (!(await store.finishRun(run.tenant, run.id, finished))) await store.insertRun(finished)
      const points: MetricPoint[] = finished.metrics.map((m) => ({ tenant: run.tenant, scheduleId: run.scheduleId, runId: run.id, name: m.name, at: finishedAt, value: m.value }))
      for (let i = 0; i < points.length; i += 5_000) await store.appendMetrics(points.slice(i, i + 5_000))
    } finally {
      // A failed run keeps its window, so the next run checks those captures too.
      const nextRunAt = manual && schedule.nextRunAt > windowEnd ? schedule.nextRunAt : parseCron(schedule.cron).next(new Date(startedMs)).toISOString()
      const completed = await store
        .completeScheduleRun(schedule.tenant, schedule.id, this.owner, { windowStart: finished.status === 'failed' ? schedule.windowStart : windowEnd, lastRunAt: finishedAt, nextRunAt })
        .catch((err: unknown) => (logger?.error({ scheduleId: schedule.id, err: (err as Error).message }, 'could not record a monitor run on its schedule'), true))
      if (!completed) logger?.warn({ scheduleId: schedule.id, runId: run.id }, 'monitor schedule lease was lost before the run finished')
    }
    this.#o.onRun?.(finished)
    await this.#o.alarms.evaluateAll(new Date(Math.max(this.#now(), Date.parse(finishedAt))), { tenant: schedule.tenant, scheduleId: schedule.id })
    return finished
  }

  async #check(schedule: ScheduleRecord, run: RunRecord): Promise<RunUpdate> {
    const { captures, sealer } = this.#o
    const iterator = captures.window(schedule.tenant, schedule.modelId, run.windowStart, run.windowEnd)[Symbol.asyncIterator]()
    const first = await iterator.next()
    if (first.done === true) {
      return { finishedAt: new Date(this.#now()).toISOString(), status: 'no_data', rows: 0, violationCount: 0, violations: null, metrics: runMetrics(0, undefined, false), error: null }
    }
    let baseline: { dir: string; dispose(): void }
    if (schedule.baselineDir !== null) {
      baseline = { dir: resolveBaselineDir(this.#o.baselinesRoot, schedule.tenant, schedule.baselineDir), dispose: () => undefined }
    } else {
      const stored = JSON.parse(await sealer.open(schedule.baselineSealed!, baselineAad(schedule.tenant, schedule.id))) as StoredBaseline
      baseline = materializeBaseline(stored)
    }
    const groundTruthColumn = schedule.groundTruthColumn ?? 'ground_truth'
    let rows = 0
    async function* source(): AsyncGenerator<Record<string, unknown>> {
      for (let next: IteratorResult<OpenedCapture> = first; next.done !== true; next = await iterator.next()) {
        rows++
        yield captureToRow(next.value, { groundTruthColumn })
      }
    }
    try {
      const result = await this.#o.runChecks({
        baselineDir: baseline.dir,
        rows: source(),
        ...(schedule.predictionColumn === null ? {} : { groundTruthColumn, predictionColumn: schedule.predictionColumn }),
      })
      const violations = Array.isArray(result.violations) ? result.violations : []
      const metrics = [...(result.metrics ?? []).filter(usableMetric), ...runMetrics(rows, violations, false)]
      return {
        finishedAt: new Date(this.#now()).toISOString(),
        status: 'completed',
        rows,
        violationCount: violations.length,
        violations: await sealer.seal(JSON.stringify(violations), violationsAad(run.tenant, run.id)),
        metrics,
        error: null,
      }
    } finally {
      baseline.dispose()
    }
  }
}

export interface SchedulerLoopOptions {
  runner: ScheduleRunner
  alarms: AlarmService
  /** How often to look for due schedules, ms (default 15 000). */
  tickMs?: number
  /** How often every alarm is evaluated, so missing data is noticed without runs, ms (default 60 000). */
  alarmEvaluationMs?: number
  now?: () => number
  logger?: RunnerLogger
}

/** The timers inside the gateway: due schedules every tick, all alarms every evaluation period. */
export class SchedulerLoop {
  readonly #o: SchedulerLoopOptions
  #timer: NodeJS.Timeout | undefined
  #pass: Promise<void> | undefined
  #running = false
  #lastAlarmPass = 0

  constructor(options: SchedulerLoopOptions) {
    this.#o = options
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#schedule(0)
  }

  /** Stops the timers and waits for a pass in progress (a run finishes; it is not cut). */
  async stop(): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#pass
  }

  /** One pass now: due schedules, then every alarm if its interval passed (what the timer calls). */
  async pass(): Promise<void> {
    const { runner, alarms, logger } = this.#o
    const now = this.#o.now ?? Date.now
    await runner.runDue().catch((err: unknown) => logger?.error({ err: (err as Error).message }, 'monitor schedules pass failed'))
    if (now() - this.#lastAlarmPass >= (this.#o.alarmEvaluationMs ?? 60_000)) {
      this.#lastAlarmPass = now()
      await alarms.evaluateAll(new Date(now())).catch((err: unknown) => logger?.error({ err: (err as Error).message }, 'alarm evaluation pass failed'))
    }
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      if (!this.#running) return
      this.#pass = this.pass().finally(() => {
        this.#pass = undefined
        if (this.#running) this.#schedule(this.#o.tickMs ?? 15_000)
      })
    }, ms)
    // The server keeps the process alive, not the monitor.
    this.#timer.unref()
  }
}
