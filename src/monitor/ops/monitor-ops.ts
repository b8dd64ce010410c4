/**
 * The monitor inside the gateway: capture (proxy sampling, API, library), schedules and their
 * runs, alarms and what a state change sets off — a signed `alarm.state_changed` webhook through
 * the alerts' outbox, a gateway alert on entering ALARM, an audit entry — and the Prometheus
 * series. Routes (gateway/routes/monitor.ts) are thin shells over this.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { Registry } from 'prom-client'
import { RampartError } from '../../core/errors.js'
import type { Finding, ScanResult } from '../../core/types.js'
import type { AlarmRecord, AuditInput, RunRecord, ScheduleRecord, Store } from '../../store/types.js'
import { AlarmService, type AlarmTransition } from '../alarms-service.js'
import { CaptureService, type CaptureInput, type CaptureSealer, type GroundTruthInput } from '../capture.js'
import { assertBaselineDir, baselineAad, resolveBaselineDir } from '../schedule-baseline.js'
import { parseCron } from '../schedule-cron.js'
import { ScheduleRunner, SchedulerLoop, violationsAad } from '../schedule-runner.js'
import type { RunChecks, Violation } from '../types.js'
import type { AlarmCreate, ScheduleCreate } from './api-schemas.js'
import { MonitorMetrics } from './metrics.js'

export const ALARM_STATE_CHANGED = 'alarm.state_changed'

/** Proxy captures written per transaction at most, and the longest a capture waits for its batch. */
const PROXY_BATCH = 500
const PROXY_FLUSH_MS = 50

export interface MonitorLogger {
  warn(obj: Record<string, unknown>, msg: string): void
  error(obj: Record<string, unknown>, msg: string): void
}

/** What the monitor needs of the gateway's AlertService. */
export interface AlertRaiser {
  raise(input: { tenant: string; keyId: string | null; requestId: string; direction: 'input' | 'output'; source: string; text: string; result: ScanResult }): Promise<{ id: string } | undefined>
}

export interface MonitorOpsOptions {
  store: Store
  sealer: CaptureSealer
  audit: { append(input: Omit<AuditInput, 'at'> & { at?: string }): Promise<void> }
  alerts: AlertRaiser
  /** Queues a webhook event for every configured target that wants it (the alerts' outbox); absent without webhooks. */
  publish?: ((event: string, data: unknown) => Promise<void>) | undefined
  registry: Registry
  runChecks: RunChecks
  /** Baseline folders live in `<dataDir>/baselines/<tenant>/`. */
  dataDir: string
  /** Share of proxied inferences captured, 0..1. */
  captureSampleRate: number
  /** Share of `/v1/guard` calls captured (for `rampart replay`), 0..1; 0 when absent. */
  guardCaptureSampleRate?: number
  logger?: MonitorLogger
  tickMs?: number
  alarmEvaluationMs?: number
  leaseMs?: number
  now?: () => number
  random?: () => number
}

export interface Actor {
  tenant: string
  keyId: string
}

/** A schedule as the API shows it: the stored baseline is never returned. */
export type ScheduleView = Omit<ScheduleRecord, 'baselineSealed' | 'baselineDir' | 'leaseOwner'> & { baseline: { dir: string } | { stored: true }; running: boolean }
export type RunView = Omit<RunRecord, 'violations'> & { violations?: Violation[] }

export class MonitorOps {
  readonly captures: CaptureService
  readonly alarms: AlarmService
  readonly runner: ScheduleRunner
  readonly loop: SchedulerLoop
  readonly metrics: MonitorMetrics
  readonly baselinesRoot: string
  readonly #o: MonitorOpsOptions
  readonly #now: () => number
  readonly #pending = new Set<Promise<void>>()
  #queue: { tenant: string; record: CaptureInput; source: string }[] = []
  #flushTimer: NodeJS.Timeout | undefined

  constructor(options: MonitorOpsOptions) {
    this.#o = options
    this.#now = options.now ?? Date.now
    const { store, sealer, logger } = options
    this.baselinesRoot = join(options.dataDir, 'baselines')
    this.metrics = new MonitorMetrics(options.registry, store, logger)
    this.captures = new CaptureService({ store, sealer, now: this.#now })
    this.alarms = new AlarmService({
      store,
      ...(logger === undefined ? {} : { logger }),
      onTransition: (t) => this.#recordTransition(t),
      notify: (t) => this.#notify(t),
    })
    this.runner = new ScheduleRunner({
      store,
      captures: this.captures,
      sealer,
      runChecks: options.runChecks,
      alarms: this.alarms,
      baselinesRoot: this.baselinesRoot,
      now: this.#now,
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      ...(logger === undefined ? {} : { logger }),
      onRun: (run) => this.metrics.runs.inc({ status: run.status }),
    })
    this.loop = new SchedulerLoop({
      runner: this.runner,
      alarms: this.alarms,
      now: this.#now,
      ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
      ...(options.alarmEvaluationMs === undefined ? {} : { alarmEvaluationMs: options.alarmEvaluationMs }),
      ...(logger === undefined ? {} : { logger }),
    })
  }

  start(): void {
    this.loop.start()
  }

  /** Stops the timers, waits for a run in progress and writes the proxy captures still queued. */
  async stop(): Promise<void> {
    await this.loop.stop()
    this.#flush()
    await Promise.allSettled([...this.#pending])
  }

  // ------------------------------------------------------------ capture

  /** Whether this proxied inference is captured (the configured sample rate). */
  sampled(): boolean {
    return this.#draw(this.#o.captureSampleRate)
  }

  /** Whether this `/v1/guard` call is captured (`guardCaptureSampleRate`; off by default). */
  sampledGuard(): boolean {
    return this.#draw(this.#o.guardCaptureSampleRate ?? 0)
  }

  #draw(rate: number): boolean {
    return rate > 0 && (rate >= 1 || (this.#o.random ?? Math.random)() < rate)
  }

  /**
   * Captures a proxied inference without holding up the response. Captures are queued and
   * written in batches (every 50 ms, or at 500), one transaction each, so a busy proxy does not
   * pay a disk sync per request. A failure is logged and counted, never an error for the caller;
   * `stop` writes what is queued.
   */
  captureInBackground(tenant: string, record: CaptureInput, source: 'proxy' | 'guard' = 'proxy'): void {
    // Stamped now, not at the flush: a batch shares one receivedAt, but each inference keeps its own time.
    this.#queue.push({ tenant, record: record.at === undefined ? { ...record, at: new Date(this.#now()).toISOString() } : record, source })
    if (this.#queue.length >= PROXY_BATCH) this.#flush()
    else if (this.#flushTimer === undefined) {
      this.#flushTimer = setTimeout(() => this.#flush(), PROXY_FLUSH_MS)
      this.#flushTimer.unref()
    }
  }

  #flush(): void {
    clearTimeout(this.#flushTimer)
    this.#flushTimer = undefined
    const queued = this.#queue
    this.#queue = []
    const batches = new Map<string, { tenant: string; source: string; records: CaptureInput[] }>()
    for (const { tenant, record, source } of queued) {
      const key = `${source}\u0000${tenant}`
      const batch = batches.get(key)
      if (batch === undefined) batches.set(key, { tenant, source, records: [record] })
      else batch.records.push(record)
    }
    const write = async (tenant: string, source: string, records: CaptureInput[]) => {
      for (const r of await this.captures.captureMany(tenant, records, source)) this.metrics.captures.inc({ source, result: r.stored ? 'stored' : 'duplicate' })
    }
    const failed = (err: unknown, source: string, count: number) => {
      this.metrics.captures.inc({ source, result: 'failed' }, count)
      this.#o.logger?.warn({ err: (err as Error).message, records: count, source }, 'inference capture failed')
    }
    for (const { tenant, source, records } of batches.values()) {
      const job = write(tenant, source, records)
        .catch(async (err: unknown) => {
          // One bad record (a model name too long to be an id) must not lose the others: write them one by one.
          if (!(err instanceof RampartError) || err.code !== 'RAMPART_ERR_INPUT_INVALID' || records.length === 1) return failed(err, source, records.length)
          for (const record of records) await write(tenant, source, [record]).catch((e: unknown) => failed(e, source, 1))
        })
        .finally(() => this.#pending.delete(job))
      this.#pending.add(job)
    }
  }

  async capture(tenant: string, records: readonly CaptureInput[], source: 'proxy' | 'api' | 'library'): Promise<{ inferenceId: string; stored: boolean }[]> {
    let out: { inferenceId: string; stored: boolean }[]
    try {
      out = await this.captures.captureMany(tenant, records, source)
    } catch (error) {
      this.metrics.captures.inc({ source, result: 'failed' }, records.length)
      throw error
    }
    for (const r of out) this.metrics.captures.inc({ source, result: r.stored ? 'stored' : 'duplicate' })
    return out
  }

  groundTruth(tenant: string, labels: readonly GroundTruthInput[]): Promise<{ accepted: number; matched: number }> {
    return this.captures.groundTruth(tenant, labels)
  }

  // ------------------------------------------------------------ schedules and runs

  async createSchedule(actor: Actor, body: ScheduleCreate): Promise<ScheduleView> {
    const cron = atBodyPath(() => parseCron(body.cron))
    const id = randomUUID()
    const now = new Date(this.#now())
    let baselineDir: string | null = null
    let baselineSealed: string | null = null
    if ('dir' in body.baseline) {
      const dir = body.baseline.dir
      atBodyPath(() => assertBaselineDir(resolveBaselineDir(this.baselinesRoot, actor.tenant, dir), dir))
      baselineDir = body.baseline.dir
    } else {
      baselineSealed = await this.#o.sealer.seal(JSON.stringify(body.baseline), baselineAad(actor.tenant, id))
    }
    const record: ScheduleRecord = {
      id,
      tenant: actor.tenant,
      name: body.name,
      cron: body.cron,
      modelId: body.modelId,
      baselineDir,
      baselineSealed,
      groundTruthColumn: body.groundTruthColumn ?? null,
      predictionColumn: body.predictionColumn ?? null,
      enabled: body.enabled,
      createdAt: now.toISOString(),
      createdBy: actor.keyId,
      nextRunAt: cron.next(now).toISOString(),
      windowStart: now.toISOString(),
      lastRunAt: null,
      leaseOwner: null,
      leaseUntil: null,
    }
    const existing = await this.#o.store.listSchedules(actor.tenant)
    if (existing.some((s) => s.name === body.name)) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `body.name: your tenant already has a schedule named "${body.name}"`, { path: 'body.name' })
    await this.#o.store.createSchedule(record)
    await this.#o.audit.append({ actor: actor.keyId, tenant: actor.tenant, action: 'monitor.schedule.create', target: id, detail: { name: body.name, cron: body.cron, modelId: body.modelId } })
    return this.scheduleView(record)
  }

  scheduleView(record: ScheduleRecord): ScheduleView {
    const { baselineSealed, baselineDir, leaseOwner, ...rest } = record
    void baselineSealed
    void leaseOwner
    return { ...rest, baseline: baselineDir === null ? { stored: true } : { dir: baselineDir }, running: record.leaseUntil !== null && Date.parse(record.leaseUntil) > this.#now() }
  }

  async getSchedule(tenant: string, id: string): Promise<ScheduleRecord> {
    const schedule = await this.#o.store.getSchedule(tenant, id)
    if (schedule === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no schedule ${id}`, { path: 'id' })
    return schedule
  }

  async deleteSchedule(actor: Actor, id: string): Promise<void> {
    if (!(await this.#o.store.deleteSchedule(actor.tenant, id))) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no schedule ${id}`, { path: 'id' })
    await this.#o.audit.append({ actor: actor.keyId, tenant: actor.tenant, action: 'monitor.schedule.delete', target: id, detail: {} })
  }

  /** Runs a schedule now; undefined when another replica is running it. */
  async runNow(actor: Actor, id: string): Promise<RunView | undefined> {
    const run = await this.runner.runNow(actor.tenant, id)
    if (run === undefined) return undefined
    await this.#o.audit.append({ actor: actor.keyId, tenant: actor.tenant, action: 'monitor.schedule.run', target: id, detail: { runId: run.id, status: run.status } })
    return this.runView(run, true)
  }

  async runView(run: RunRecord, withViolations: boolean): Promise<RunView> {
    const { violations, ...rest } = run
    if (!withViolations || violations === null) return rest
    return { ...rest, violations: JSON.parse(await this.#o.sealer.open(violations, violationsAad(run.tenant, run.id))) as Violation[] }
  }

  // ------------------------------------------------------------ alarms

  async createAlarm(actor: Actor, body: AlarmCreate): Promise<AlarmRecord> {
    if ((await this.#o.store.getSchedule(actor.tenant, body.scheduleId)) === undefined) {
      throw new RampartError('RAMPART_ERR_NOT_FOUND', `no schedule ${body.scheduleId}`, { path: 'body.scheduleId' })
    }
    if ((await this.#o.store.listAlarms(actor.tenant)).some((a) => a.name === body.name)) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `body.name: your tenant already has an alarm named "${body.name}"`, { path: 'body.name' })
    }
    const now = new Date(this.#now()).toISOString()
    const alarm: AlarmRecord = {
      id: randomUUID(),
      tenant: actor.tenant,
      name: body.name,
      description: body.description,
      scheduleId: body.scheduleId,
      metricName: body.metricName,
      statistic: body.statistic,
      comparison: body.comparison,
      threshold: body.threshold,
      periodSeconds: body.periodSeconds,
      evaluationPeriods: body.evaluationPeriods,
      datapointsToAlarm: body.datapointsToAlarm ?? body.evaluationPeriods,
      treatMissingData: body.treatMissingData,
      actionsEnabled: body.actionsEnabled,
      state: 'INSUFFICIENT_DATA',
      stateReason: 'Unchecked: Initial alarm creation',
      stateUpdatedAt: now,
      createdAt: now,
      createdBy: actor.keyId,
    }
    await this.#o.store.createAlarm(alarm)
    await this.#o.audit.append({ actor: actor.keyId, tenant: actor.tenant, action: 'monitor.alarm.create', target: alarm.id, detail: { name: alarm.name, scheduleId: alarm.scheduleId, metricName: alarm.metricName } })
    // Like CloudWatch, a new alarm is evaluated at once against the data already there.
    const t = await this.alarms.evaluate(alarm, new Date(this.#now()))
    return t?.alarm ?? alarm
  }

  async getAlarm(tenant: string, id: string): Promise<AlarmRecord> {
    const alarm = await this.#o.store.getAlarm(tenant, id)
    if (alarm === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no alarm ${id}`, { path: 'id' })
    return alarm
  }

  async deleteAlarm(actor: Actor, id: string): Promise<void> {
    if (!(await this.#o.store.deleteAlarm(actor.tenant, id))) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no alarm ${id}`, { path: 'id' })
    await this.#o.audit.append({ actor: actor.keyId, tenant: actor.tenant, action: 'monitor.alarm.delete', target: id, detail: {} })
  }

  async #recordTransition({ alarm, history }: AlarmTransition): Promise<void> {
    this.metrics.transitions.inc({ to: history.newState })
    await this.#o.audit.append({ actor: 'system', tenant: alarm.tenant, action: 'monitor.alarm.state_changed', target: alarm.id, detail: { from: history.oldState, to: history.newState, historyId: history.id } })
  }

  /** The webhook (every change, like CloudWatch's alarm actions) and a gateway alert on entering ALARM. */
  async #notify({ alarm, history }: AlarmTransition): Promise<void> {
    await this.#o.publish?.(ALARM_STATE_CHANGED, alarmNotification(alarm, history))
    if (history.newState !== 'ALARM') return
    const findings: Finding[] = [
      {
        scanner: 'monitor',
        type: 'ALARM',
        score: 1,
        action: 'flag',
        detail: { alarmId: alarm.id, alarm: alarm.name, scheduleId: alarm.scheduleId, metric: alarm.metricName, threshold: alarm.threshold, comparison: alarm.comparison },
      },
    ]
    const text = `Alarm "${alarm.name}" is in ALARM. ${history.reason}`
    await this.#o.alerts.raise({ tenant: alarm.tenant, keyId: null, requestId: `alarm-${history.id}`, direction: 'output', source: 'monitor', text, result: { decision: 'flag', text, findings, latencyMs: 0 } })
  }
}

/** Runs `work`, re-rooting the path of an input error under `body.` (API errors name the body field). */
function atBodyPath<T>(work: () => T): T {
  try {
    return work()
  } catch (error) {
    if (error instanceof RampartError && error.code === 'RAMPART_ERR_INPUT_INVALID' && error.path !== undefined) {
      throw new RampartError(error.code, `body.${error.message}`, { path: `body.${error.path}`, cause: error })
    }
    throw error
  }
}

/** The `data` of an `alarm.state_changed` webhook (CloudWatch's alarm notification, in our words). */
export function alarmNotification(alarm: AlarmRecord, history: { id: string; at: string; oldState: string; newState: string; reason: string; reasonData: Record<string, unknown> }): Record<string, unknown> {
  return {
    alarm: {
      id: alarm.id,
      name: alarm.name,
      description: alarm.description,
      tenant: alarm.tenant,
      scheduleId: alarm.scheduleId,
      metricName: alarm.metricName,
      statistic: alarm.statistic,
      comparison: alarm.comparison,
      threshold: alarm.threshold,
      periodSeconds: alarm.periodSeconds,
      evaluationPeriods: alarm.evaluationPeriods,
      datapointsToAlarm: alarm.datapointsToAlarm,
      treatMissingData: alarm.treatMissingData,
    },
    historyId: history.id,
    oldState: history.oldState,
    newState: history.newState,
    reason: history.reason,
    reasonData: history.reasonData,
    stateChangeTime: history.at,
  }
}
