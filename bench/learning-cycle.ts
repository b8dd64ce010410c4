/**
 * One learning cycle against the shipped, deliberately vulnerable test model (issue 9's measure):
 * red team the model bare and behind the gateway → retrain the injection model with the attacks
 * that got through the gateway (`rampart train injection --hyper-from models/injection --redteam`)
 * → red team the gateway again with the candidate weights, on the same corpus (seed 0) and on a
 * second seed (other markers and mutation draws of the same templates).
 *
 *   npx tsx bench/learning-cycle.ts [--data DIR]     # writes bench/results/learning-cycle.json
 *
 * The second round is not a held-out measure (the successes it retrained on come from the same
 * templates); the candidate's dev and leave-one-source-out figures beside the current model's are
 * (metrics.json of the candidate, printed below): the false-positive rate on benign dev rows must
 * not rise by more than 0.5 points.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseTrainInjectionFlags, runTrainInjection } from '../src/cli/commands/train-injection.js'
import type { VersionedMetrics } from '../src/detectors/injection/training/model-card.js'
import { startTestGateway } from '../src/gateway/testing.js'
import { DEFAULT_SYSTEM_PROMPT } from '../src/redteam/corpus.js'
import { buildReport, type RedTeamReport } from '../src/redteam/report.js'
import { newCanary, plantCanary, runRedTeam, type Target } from '../src/redteam/runner.js'
import { startTestModel } from '../src/redteam/test-model.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dataArg = process.argv.indexOf('--data')
const dataDir = dataArg >= 0 ? process.argv[dataArg + 1] : undefined
const work = mkdtempSync(join(tmpdir(), 'rampart-cycle-'))
const log = (s: string) => void process.stderr.write(`${s}\n`)

interface Round {
  round: string
  seed: number
  target: string
  attacks: number
  successes: number
  successRate: number | null
  harmlessRefused: number
  succeeded: string[]
}

const model = await startTestModel()
try {
  /** Red-teams `targets` (the gateway started with `policy`, and the bare model when asked). */
  async function redteam(name: string, seed: number, policy: string | undefined, withBare: boolean): Promise<{ report: RedTeamReport; file: string }> {
    const gateway = await startTestGateway({ upstream: model.url, ...(policy === undefined ? {} : { policy }) })
    try {
      const targets: Target[] = [{ name: 'guarded', url: `${gateway.url}/v1`, key: await gateway.key('app') }, ...(withBare ? [{ name: 'bare', url: model.url }] : [])]
      const canary = newCanary()
      const outcome = await runRedTeam({ targets, systemPrompt: plantCanary(DEFAULT_SYSTEM_PROMPT, canary), canary, corpus: { seed }, model: 'rampart-test-model', rate: 2_000, concurrency: 4, attempts: 2, timeoutMs: 30_000, stream: false, statePath: join(work, `${name}.state.jsonl`), resume: false })
      const report = buildReport(outcome, targets, { seed, model: 'rampart-test-model' })
      const file = join(work, `${name}.json`)
      writeFileSync(file, JSON.stringify(report))
      return { report, file }
    } finally {
      await gateway.close()
    }
  }
  const rounds: Round[] = []
  const record = (round: string, report: RedTeamReport) => {
    for (const t of report.targets) {
      rounds.push({ round, seed: report.seed, target: t.name, attacks: t.attempts, successes: t.successes, successRate: t.successRate, harmlessRefused: t.benign.refused, succeeded: t.succeeded })
      log(`${round} seed ${report.seed} ${t.name}: ${t.successes}/${t.attempts} attacks succeeded, ${t.benign.refused}/${t.benign.attempts} harmless refused`)
    }
  }

  const first = await redteam('round1', 0, undefined, true)
  record('1', first.report)
  record('1', (await redteam('round1-seed1', 1, undefined, false)).report)

  const out = join(work, 'candidate')
  const t0 = performance.now()
  await runTrainInjection(parseTrainInjectionFlags({ out, hyperFrom: join(ROOT, 'models/injection'), redteam: [first.file], redteamTarget: 'guarded', ...(dataDir === undefined ? {} : { data: dataDir }) }))
  const retrainSeconds = (performance.now() - t0) / 1000
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as VersionedMetrics

  // The default policy with the candidate's weights for the input prompt_injection scanner.
  const policy = join(work, 'candidate-policy.json')
  const { defaultPolicy } = await import('../src/guard.js')
  const base = defaultPolicy() as unknown as { input: Record<string, { options?: Record<string, unknown> }> }
  const candidatePolicy = structuredClone(base)
  const pi = candidatePolicy.input.prompt_injection!
  pi.options = { ...(pi.options ?? {}), weights: join(out, 'weights.bin') }
  writeFileSync(policy, JSON.stringify(candidatePolicy))
  record('2', (await redteam('round2', 0, policy, false)).report)
  record('2', (await redteam('round2-seed1', 1, policy, false)).report)

  const row = (m: string) => metrics.comparison.rows.find((r) => r.measure === m)!
  const result = {
    rounds,
    retrain: { seconds: Math.round(retrainSeconds), version: metrics.version, parent: metrics.parent, mode: metrics.mode, redteamRows: metrics.inputs.added.redteam, corpusTextsInTraining: metrics.inputs.redteamCorpusInTraining },
    heldOut: Object.fromEntries(['dev F1', 'dev FPR benign', 'dev FPR benign-hard', 'dev family recall (lowest)', 'LOSO macro F1', 'LOSO FPR'].map((m) => [m, { current: row(m).current, candidate: row(m).candidate, delta: row(m).delta }])),
  }
  const fprRise = row('dev FPR benign').delta ?? 0
  log(`retrained in ${result.retrain.seconds} s with ${result.retrain.redteamRows} red-team rows; dev FPR benign ${row('dev FPR benign').current} → ${row('dev FPR benign').candidate} (${fprRise <= 0.005 ? 'within' : 'OVER'} the 0.5-point budget)`)
  const results = join(ROOT, 'bench/results')
  mkdirSync(results, { recursive: true })
  writeFileSync(join(results, 'learning-cycle.json'), `${JSON.stringify({ ...result, generatedAt: new Date().toISOString() }, null, 2)}\n`)
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
} finally {
  await model.close()
  rmSync(work, { recursive: true, force: true })
}
