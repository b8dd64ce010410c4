/**
 * `rampart cycle run`: one learning cycle (red team → retrain with its successes → evaluate →
 * register → red team again → gate → report) on the store of `--data-dir`/`--store`
 * (detectors/cycle/cycle.ts). Progress on stderr; the training comparison and the cycle's
 * summary on stdout.
 */
import { Option, type Command } from 'commander'
import { z } from 'zod'
import { DELIVERIES, type Delivery } from '../../redteam/corpus.js'
import { writeLine } from '../io.js'
import { parseFlags } from './flags.js'

const collect = (value: string, previous: string[]): string[] => [...previous, value]
const rate = z.coerce.number().min(0).max(1)

/** The `rampart cycle run` flags besides the store settings. */
export const cycleFlagsSchema = z.looseObject({
  target: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// API base URL (…/v1)' }).optional(),
  key: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  policy: z.string().min(1).optional(),
  seeds: z
    .string()
    .regex(/^\d{1,9}(,\d{1,9})*$/, 'comma-separated corpus seeds, e.g. 0,1')
    .default('0,1')
    .transform((s) => [...new Set(s.split(',').map(Number))]),
  extra: z.array(z.string().min(1)).default([]),
  trainingData: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(20).optional(),
  families: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined
      const names = v.split(',').map((s) => s.trim()).filter((s) => s !== '')
      const unknown = names.filter((n) => !(DELIVERIES as readonly string[]).includes(n))
      if (names.length === 0 || unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown family ${unknown.join(', ') || '(none given)'}; known: ${DELIVERIES.join(', ')}` })
      return names as Delivery[]
    }),
  perGoal: z.coerce.number().int().min(1).max(4).optional(),
  rate: z.coerce.number().positive().max(10_000).optional(),
  maxF1Drop: rate.optional(),
  maxFprRise: rate.optional(),
  maxHardFprRise: rate.optional(),
  maxFamilyRecallDrop: rate.optional(),
  maxSuccessRise: rate.optional(),
  maxHarmlessRefusedRise: rate.optional(),
  json: z.boolean().default(false),
  scheduled: z.boolean().default(false),
})

/** Gate tolerances from the flags given (unset ones keep the defaults of detectors/cycle/gate.ts). */
export function tolerancesFromFlags(given: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(given).filter((p): p is [string, number] => p[1] !== undefined))
}

export async function runCycleCommand(raw: Record<string, unknown>): Promise<number> {
  const f = parseFlags(cycleFlagsSchema, raw)
  const { target, key, out, policy, seeds, extra, trainingData, limit, families, perGoal, rate: rps, json, scheduled, ...rest } = f
  const { maxF1Drop: devF1Drop, maxFprRise: devFprRise, maxHardFprRise: devHardFprRise, maxFamilyRecallDrop: familyRecallDrop, maxSuccessRise: redteamSuccessRise, maxHarmlessRefusedRise: harmlessRefusedRise, ...storeFlags } = rest
  const { gateTolerancesSchema } = await import('../../detectors/cycle/gate.js')
  const tolerances = gateTolerancesSchema.parse(tolerancesFromFlags({ devF1Drop, devFprRise, devHardFprRise, familyRecallDrop, redteamSuccessRise, harmlessRefusedRise }))
  const { defaultCycleDir, runLearningCycle, trainWithCli } = await import('../../detectors/cycle/cycle.js')
  const { withBackends } = await import('./gateway.js')
  // The scanners load only when a policy file has to be checked against them.
  const policyObject = policy === undefined ? undefined : (await import('../../core/policy.js')).loadPolicyFile(policy, (await import('../../scanners/index.js')).builtinRegistry())
  const apiKey = key ?? process.env.RAMPART_CYCLE_KEY
  return withBackends(storeFlags, async ({ store, audit }, config) => {
    const report = await runLearningCycle({
      store,
      audit,
      outDir: out ?? defaultCycleDir(config.dataDir),
      ...(target === undefined ? {} : { target: { url: target, ...(apiKey === undefined ? {} : { key: apiKey }) } }),
      ...(policyObject === undefined ? {} : { policy: policyObject as unknown as Record<string, unknown> }),
      seeds,
      extra,
      ...(families === undefined && perGoal === undefined ? {} : { corpus: { ...(families === undefined ? {} : { families }), ...(perGoal === undefined ? {} : { perGoal }) } }),
      tolerances,
      train: trainWithCli({ ...(trainingData === undefined ? {} : { data: trainingData }), ...(limit === undefined ? {} : { limit }) }),
      // The scheduled run (serve --cycle-cron) acts as `cycle` in the registry and the audit log.
      actor: scheduled ? 'cycle' : 'cli',
      ...(rps === undefined ? {} : { rate: rps }),
      log: (line) => void process.stderr.write(`${line}\n`),
    })
    await writeLine(json ? JSON.stringify({ decision: report.decision, summary: report.summary, candidate: report.candidate?.id ?? null, failed: report.gate?.failed ?? [] }, null, 2) : `${report.decision}: ${report.summary}`)
    return 0
  })
}

/** `rampart cycle status`: the scheduled cycle's job in the store (cron, next and last run, last outcome, lease). */
export async function runCycleStatus(raw: Record<string, unknown>): Promise<number> {
  const { json, ...storeFlags } = parseFlags(z.looseObject({ json: z.boolean().default(false) }), raw)
  const { withBackends } = await import('./gateway.js')
  const { CYCLE_JOB } = await import('../../detectors/cycle/schedule.js')
  return withBackends(storeFlags, async ({ store }) => {
    const job = await store.getJobSchedule(CYCLE_JOB)
    if (json) await writeLine(JSON.stringify(job ?? null, null, 2))
    else if (job === undefined) await writeLine('no scheduled learning cycle on this store (rampart serve --cycle-cron EXPR records one)')
    else {
      const leased = job.leaseUntil !== null && job.leaseUntil > new Date().toISOString()
      await writeLine(
        [
          `cron        ${job.cron} (UTC)`,
          `next run    ${job.nextRunAt}`,
          `last run    ${job.lastRunAt ?? '—'}${job.lastStatus === null ? '' : `: ${job.lastStatus}`}`,
          `running     ${leased ? `yes, on ${job.leaseOwner} (lease until ${job.leaseUntil})` : 'no'}`,
        ].join('\n'),
      )
    }
    return 0
  })
}

/** Registers `rampart cycle run` and `rampart cycle status`. */
export function registerCycleCommands(program: Command, setCode: (code: number) => void, storeOptions: (cmd: Command) => Command): void {
  const cycle = program.command('cycle').description('The learning cycle: red team, retrain with what got through, evaluate, register, red team again; activate only when no tracked measure is worse.')
  storeOptions(
    cycle
      .command('run')
      .description(
        "Run one cycle on this store: red-team scratch gateways (the shipped test model behind the store's active prompt_injection version), retrain with the successful attacks (the active version's hyper-parameters), compare, register the candidate, red-team it, and activate it only if it is no worse on any tracked measure (else it waits for `rampart detectors activate`). Writes cycle.json and cycle.html.",
      )
      .option('--target <url>', 'also red-team this deployment (…/v1) in round 1 and learn from its successes (default: learn from the scratch gateway)')
      .option('--key <key>', 'bearer key for --target (or RAMPART_CYCLE_KEY)')
      .option('--out <dir>', 'output directory (default <data-dir>/cycles/<time>)')
      .option('--policy <file>', 'policy the scratch gateways run (default: the shipped default policy)')
      .option('--seeds <list>', 'corpus seeds: the first is learned from, each is red-teamed with both versions', '0,1')
      .option('--extra <file>', 'more labeled JSONL rows for training (e.g. rampart feedback export); repeatable', collect, [])
      .option('--training-data <dir>', 'shared data folder with prompt-injection/{train,dev}.jsonl (default ../shared/data, or RAMPART_TRAINING_DATA)')
      .option('--limit <n>', 'train and evaluate on an even slice of N rows of each shared file (tests; not for use)')
      .option('--families <names>', 'red-team only these delivery families (comma-separated)')
      .option('--per-goal <n>', 'base attacks per goal, 1-4 (default 4)')
      .option('--rate <n>', 'red-team requests per second (default 2000 on loopback)')
      .option('--max-f1-drop <x>', 'gate: how far dev F1 may fall (default 0.005)')
      .option('--max-fpr-rise <x>', 'gate: how far the FPR on benign dev rows may rise (default 0.005)')
      .option('--max-hard-fpr-rise <x>', 'gate: how far the FPR on benign-hard dev rows may rise (default 0.005)')
      .option('--max-family-recall-drop <x>', 'gate: how far any mutation family\'s dev recall may fall (default 0.01)')
      .option('--max-success-rise <x>', 'gate: how far the red-team success rate may rise on any seed (default 0)')
      .option('--max-harmless-refused-rise <x>', 'gate: how far the share of refused harmless requests may rise (default 0)')
      .option('--json', 'print the decision as JSON')
      .addOption(new Option('--scheduled', 'run by serve --cycle-cron (actor cycle)').hideHelp()),
  ).action(async (opts: Record<string, unknown>) => setCode(await runCycleCommand(opts)))
  storeOptions(cycle.command('status').description('The scheduled cycle on this store: cron, next run, last run and its outcome, whether a replica is running it now.').option('--json', 'print JSON')).action(
    async (opts: Record<string, unknown>) => setCode(await runCycleStatus(opts)),
  )
}
