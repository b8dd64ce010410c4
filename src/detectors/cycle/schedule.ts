/**
 * The learning cycle on a schedule: every gateway process given a cycle cron expression
 * (`--cycle-cron`, `cycleCron`, `RAMPART_CYCLE_CRON`) checks once a minute whether the
 * `learning_cycle` job is due in the store and, if it is, tries to lease it. The lease is one
 * conditional UPDATE, so of several replicas (or `--workers`) sharing the store exactly one runs
 * each occurrence; it is renewed while the cycle runs, and a replica that dies mid-cycle lets the
 * lease expire, after which another one runs the occurrence again.
 *
 * The cycle itself runs in a child process (`rampart cycle run`): training is CPU-bound for
 * minutes and must not hold up the gateway's event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { parseCron, type CronSchedule } from '../../monitor/schedule-cron.js'
import type { JobScheduleStore } from '../../store/types.js'
import type { GateTolerancesInput } from './gate.js'

/** The job's name in the store. */
export const CYCLE_JOB = 'learning_cycle'

export interface CycleSchedulerLogger {
  info(obj: Record<string, unknown>, msg: string): void
  warn(obj: Record<string, unknown>, msg: string): void
  error(obj: Record<string, unknown>, msg: string): void
}

export interface CycleSchedulerOptions {
  store: Pick<JobScheduleStore, 'ensureJobSchedule' | 'claimDueJob' | 'renewJobLease' | 'completeJob'>
  /** Five-field UTC cron expression (schedule-cron.ts), e.g. `0 3 * * 0` (Sundays 03:00 UTC). */
  cron: string
  /** Runs one cycle; resolves with its decision (`activated`, `awaiting_approval`, …). */
  run: () => Promise<string>
  /** This process as lease owner (unique per process). */
  owner?: string
  /** How long a lease lasts before another replica may take the run over; renewed every third of it (default 30 min). */
  leaseMs?: number
  /** How often to look for a due run, ms (default 60 000). */
  tickMs?: number
  now?: () => number
  logger?: CycleSchedulerLogger
}

/** Runs the learning cycle when its cron expression says, on one replica at a time. */
export class CycleScheduler {
  readonly owner: string
  readonly #o: CycleSchedulerOptions
  readonly #cron: CronSchedule
  readonly #leaseMs: number
  readonly #now: () => number
  #timer: NodeJS.Timeout | undefined
  #pass: Promise<string | undefined> | undefined
  #running = false
  #stopping = false

  /** @throws RampartError RAMPART_ERR_INPUT_INVALID when the cron expression is invalid. */
  constructor(options: CycleSchedulerOptions) {
    this.#o = options
    this.#cron = parseCron(options.cron)
    this.owner = options.owner ?? `rampart-${process.pid}-${randomUUID().slice(0, 8)}`
    this.#leaseMs = options.leaseMs ?? 30 * 60_000
    this.#now = options.now ?? Date.now
  }

  /** The first occurrence strictly after `at` (UTC). */
  nextAfter(at: number): string {
    return this.#cron.next(new Date(at)).toISOString()
  }

  /** Records the job (its first run at the next occurrence; kept when it exists with the same cron) and starts ticking. */
  async start(): Promise<void> {
    await this.#o.store.ensureJobSchedule(CYCLE_JOB, this.#o.cron, this.nextAfter(this.#now()))
    this.#running = true
    this.#schedule(this.#o.tickMs ?? 60_000)
  }

  /**
   * One look: when the job is due and not leased, lease it, run the cycle, record its outcome
   * and the next occurrence. Resolves with the run's status, or undefined when nothing ran here.
   */
  async tick(): Promise<string | undefined> {
    const at = this.#now()
    const claimed = await this.#o.store.claimDueJob(CYCLE_JOB, new Date(at).toISOString(), new Date(at + this.#leaseMs).toISOString(), this.owner)
    if (claimed === undefined) return undefined
    const { logger } = this.#o
    logger?.info({ job: CYCLE_JOB, due: claimed.nextRunAt, owner: this.owner }, 'learning cycle due: running it')
    const renew = setInterval(() => {
      void this.#o.store.renewJobLease(CYCLE_JOB, this.owner, new Date(this.#now() + this.#leaseMs).toISOString()).then(
        (held) => held || logger?.warn({ job: CYCLE_JOB }, 'learning cycle lease lost during a run; another replica may run it too'),
        (err: unknown) => logger?.warn({ job: CYCLE_JOB, err: (err as Error).message }, 'could not renew the learning cycle lease'),
      )
    }, Math.max(1_000, Math.floor(this.#leaseMs / 3)))
    renew.unref()
    let status: string
    try {
      status = await this.#o.run()
      logger?.info({ job: CYCLE_JOB, status }, 'learning cycle finished')
    } catch (error) {
      status = `failed: ${(error as Error).message}`.slice(0, 500)
      logger?.error({ job: CYCLE_JOB, err: (error as Error).message }, 'learning cycle failed')
    } finally {
      clearInterval(renew)
    }
    // Stopped mid-run (shutdown): leave the lease to expire and the occurrence due, so it is run again.
    if (this.#stopping) return status
    const finished = this.#now()
    // A failed cycle waits for the next occurrence too: what failed would most likely fail again at once.
    const completed = await this.#o.store.completeJob(CYCLE_JOB, this.owner, { lastRunAt: new Date(finished).toISOString(), lastStatus: status, nextRunAt: this.nextAfter(finished) })
    if (!completed) logger?.warn({ job: CYCLE_JOB }, 'learning cycle lease was lost before the run finished')
    return status
  }

  /** Stops looking for due runs and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#running = false
    this.#stopping = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#pass?.catch(() => undefined)
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      if (!this.#running) return
      this.#pass = this.tick()
        .catch((err: unknown) => (this.#o.logger?.error({ job: CYCLE_JOB, err: (err as Error).message }, 'learning cycle schedule pass failed'), undefined))
        .finally(() => {
          this.#pass = undefined
          if (this.#running) this.#schedule(this.#o.tickMs ?? 60_000)
        })
    }, ms)
    this.#timer.unref()
  }
}

/** What the scheduled cycle needs of the gateway's settings. */
export interface ScheduledCycleSettings {
  dataDir: string
  store?: string | undefined
  keyProvider: string
  kmsKeyId?: string | undefined
  kmsRegion?: string | undefined
  cycleTarget?: string | undefined
  cycleKey?: string | undefined
  cycleTolerances?: GateTolerancesInput | undefined
}

const TOLERANCE_FLAGS: Record<keyof GateTolerancesInput, string> = {
  devF1Drop: '--max-f1-drop',
  devFprRise: '--max-fpr-rise',
  devHardFprRise: '--max-hard-fpr-rise',
  familyRecallDrop: '--max-family-recall-drop',
  redteamSuccessRise: '--max-success-rise',
  harmlessRefusedRise: '--max-harmless-refused-rise',
}

/** The `rampart cycle run` arguments for the gateway's settings (the key goes through the environment, not argv). */
export function cycleRunArgs(s: ScheduledCycleSettings): string[] {
  const args = ['cycle', 'run', '--json', '--scheduled', '--data-dir', s.dataDir, '--key-provider', s.keyProvider]
  if (s.store !== undefined) args.push('--store', s.store)
  if (s.kmsKeyId !== undefined) args.push('--kms-key-id', s.kmsKeyId)
  if (s.kmsRegion !== undefined) args.push('--kms-region', s.kmsRegion)
  if (s.cycleTarget !== undefined) args.push('--target', s.cycleTarget)
  for (const [name, flag] of Object.entries(TOLERANCE_FLAGS)) {
    const value = s.cycleTolerances?.[name as keyof GateTolerancesInput]
    if (value !== undefined) args.push(flag, String(value))
  }
  return args
}

/**
 * Runs `rampart cycle run` as a child process of this CLI (same Node, same entry script), its
 * progress lines passed to `onLine`; resolves with the decision it printed. `stop()` ends a run in
 * progress (the lease then expires and the occurrence runs again).
 */
export function cycleChildRunner(s: ScheduledCycleSettings, onLine: (line: string) => void, entry: readonly string[] = [...process.execArgv, process.argv[1] ?? '']): { run: () => Promise<string>; stop: () => void } {
  let child: ChildProcess | undefined
  return {
    run: () =>
      new Promise<string>((resolve, reject) => {
        const env = { ...process.env, ...(s.cycleKey === undefined ? {} : { RAMPART_CYCLE_KEY: s.cycleKey }) }
        child = spawn(process.execPath, [...entry, ...cycleRunArgs(s)], { env, stdio: ['ignore', 'pipe', 'pipe'] })
        let stdout = ''
        let pending = ''
        const tail: string[] = []
        child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
        child.stderr!.setEncoding('utf8').on('data', (d: string) => {
          pending += d
          const lines = pending.split('\n')
          pending = lines.pop() ?? ''
          for (const line of lines) {
            if (line.startsWith('cycle:') || line.startsWith('rampart:')) onLine(line)
            tail.push(line)
            if (tail.length > 5) tail.shift()
          }
        })
        child.on('error', reject)
        child.on('close', (code, signal) => {
          child = undefined
          // The decision is the last JSON object on stdout (the training comparison comes before it).
          const decision = /"decision":\s*"([a-z_]+)"[^{}]*\}\s*$/.exec(stdout)?.[1]
          if (code === 0 && decision !== undefined) resolve(decision)
          else reject(new Error(`rampart cycle run exited with ${signal ?? code}: ${[...tail, pending].join(' | ').slice(-400)}`))
        })
      }),
    stop: () => void child?.kill('SIGTERM'),
  }
}

/**
 * Starts the scheduled cycle in a gateway process: the job recorded in the store, a look every
 * minute, each due occurrence run by `rampart cycle run` in a child process whose progress lines
 * go to the gateway's log. `stop()` ends a run in progress (it is run again after the lease expires).
 */
export async function startCycleSchedule(
  settings: ScheduledCycleSettings & { cycleCron: string },
  store: CycleSchedulerOptions['store'],
  logger: CycleSchedulerLogger,
): Promise<{ scheduler: CycleScheduler; stop(): Promise<void> }> {
  const child = cycleChildRunner(settings, (line) => logger.info({ job: CYCLE_JOB }, line))
  const scheduler = new CycleScheduler({ store, cron: settings.cycleCron, run: child.run, logger })
  await scheduler.start()
  logger.info({ job: CYCLE_JOB, cron: settings.cycleCron }, 'learning cycle scheduled')
  return {
    scheduler,
    stop: async () => {
      const stopped = scheduler.stop()
      child.stop()
      await stopped
    },
  }
}
