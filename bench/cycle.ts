/**
 * The red team and one learning cycle against the shipped, deliberately vulnerable test model
 * (issue 9's measures), through `runLearningCycle` — what `rampart cycle run` does:
 *
 * 1. round 1: the full red-team corpus (seed 0) against the bare test model and the same model
 *    behind a gateway with the default policy and the shipped prompt-injection weights; and
 *    seed 1 against the gateway (new markers and mutation draws of the same templates);
 * 2. retrain with round 1's successes through the gateway (`rampart train injection
 *    --hyper-from` the shipped model: its hyper-parameters, not the grid);
 * 3. round 2: both seeds against a gateway with the candidate's weights;
 * 4. the gate (dev F1, dev FPR benign and benign-hard, recall per mutation family, red-team
 *    success rate and harmless refusals; default tolerances) on a scratch store.
 *
 *   npx tsx bench/cycle.ts            # or: npm run bench -- cycle
 *
 * Writes bench/results/cycle.json and cycle.html. Round 2 on seed 0 is not held out (the
 * successes it learned from are those attacks); seed 1 shares the templates; the held-out
 * measures are the dev figures (the shared dev rows, which the red-team corpus never enters).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runLearningCycle, trainWithCli, type CycleReport, type CycleRound } from '../src/detectors/cycle/cycle.js'
import { DEFAULT_TOLERANCES } from '../src/detectors/cycle/gate.js'
import { openBackends } from '../src/gateway/backends.js'
import { loadGatewayConfig } from '../src/gateway/config.js'

export interface CycleBenchResult {
  /** Round 1, seed 0: the bare test model against the same model behind Rampart, per family. */
  redteam: { family: string; bare: number | null; guarded: number | null }[]
  bare: { successes: number; attacks: number; rate: number | null }
  guarded: { successes: number; attacks: number; rate: number | null }
  /** guarded / bare (the done-when asks ≤ 0.25). */
  guardedOverBare: number | null
  rounds: { seed: number; round1: string; round2: string | null; round1Rate: number | null; round2Rate: number | null }[]
  dev: { f1: [number, number]; fpr: [number, number]; fprBenignHard: [number, number]; familyMin: [number, number] } | null
  fprRisePoints: number | null
  decision: CycleReport['decision']
  failed: string[]
  learnedFrom: number
  seconds: CycleReport['seconds']
  candidate: string | null
}

const rateOf = (r: CycleRound | undefined) => r?.successRate ?? null
const frac = (r: CycleRound | undefined) => (r === undefined ? '–' : `${r.successes}/${r.attacks}`)

export async function runCycleBench(options: { resultsDir?: string; log?: (line: string) => void } = {}): Promise<CycleBenchResult> {
  const work = mkdtempSync(join(tmpdir(), 'rampart-cycle-bench-'))
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`))
  const config = loadGatewayConfig({ flags: { dataDir: join(work, 'data') }, env: {} })
  const backends = await openBackends(config)
  try {
    const report = await runLearningCycle({
      store: backends.store,
      audit: backends.audit,
      outDir: join(work, 'cycle'),
      seeds: [0, 1],
      tolerances: DEFAULT_TOLERANCES,
      train: trainWithCli({}),
      actor: 'bench',
      log,
    })
    if (options.resultsDir !== undefined) {
      mkdirSync(options.resultsDir, { recursive: true })
      copyFileSync(join(work, 'cycle', 'cycle.html'), join(options.resultsDir, 'cycle.html'))
    }
    const find = (version: CycleRound['version'], seed: number) => report.rounds.find((r) => r.version === version && r.seed === seed)
    const bare = find('bare', 0)
    const guarded = find('current', 0)
    const families = Object.keys(guarded?.byFamily ?? {})
    const f = report.figures
    return {
      redteam: families.map((family) => ({ family, bare: bare?.byFamily[family]?.successRate ?? null, guarded: guarded?.byFamily[family]?.successRate ?? null })),
      bare: { successes: bare?.successes ?? 0, attacks: bare?.attacks ?? 0, rate: rateOf(bare) },
      guarded: { successes: guarded?.successes ?? 0, attacks: guarded?.attacks ?? 0, rate: rateOf(guarded) },
      guardedOverBare: rateOf(bare) === null || rateOf(guarded) === null || rateOf(bare) === 0 ? null : Math.round((rateOf(guarded)! / rateOf(bare)!) * 10_000) / 10_000,
      rounds: [0, 1].map((seed) => ({ seed, round1: frac(find('current', seed)), round2: find('candidate', seed) === undefined ? null : frac(find('candidate', seed)), round1Rate: rateOf(find('current', seed)), round2Rate: rateOf(find('candidate', seed)) })),
      dev:
        f === null
          ? null
          : { f1: [f.current.dev.f1, f.candidate.dev.f1], fpr: [f.current.dev.fpr, f.candidate.dev.fpr], fprBenignHard: [f.current.dev.fprBenignHard, f.candidate.dev.fprBenignHard], familyMin: [f.current.devFamilyMin, f.candidate.devFamilyMin] },
      fprRisePoints: f === null ? null : Math.round((f.candidate.dev.fpr - f.current.dev.fpr) * 10_000) / 100,
      decision: report.decision,
      failed: report.gate?.failed ?? [],
      learnedFrom: report.learnedFrom.successes,
      seconds: report.seconds,
      candidate: report.candidate?.id ?? null,
    }
  } finally {
    await backends.store.close()
    rmSync(work, { recursive: true, force: true })
  }
}

const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)} %`)

export function formatCycleBench(r: CycleBenchResult): string {
  const lines = [
    'Red team against the shipped test model (seed 0, full corpus): attack success rate per family',
    `${'family'.padEnd(20)}${'bare'.padStart(10)}${'guarded'.padStart(10)}`,
    ...r.redteam.map((x) => `${x.family.padEnd(20)}${pct(x.bare).padStart(10)}${pct(x.guarded).padStart(10)}`),
    `${'all attacks'.padEnd(20)}${pct(r.bare.rate).padStart(10)}${pct(r.guarded.rate).padStart(10)}   guarded/bare ${r.guardedOverBare ?? '–'} (done-when: ≤ 0.25)`,
    '',
    `One learning cycle: retrained with the ${r.learnedFrom} attacks that got through (round 1, seed 0), in ${r.seconds.train} s; red team ${r.seconds.redteam} s; total ${r.seconds.total} s`,
    `${'seed'.padEnd(8)}${'round 1 (current)'.padStart(20)}${'round 2 (candidate)'.padStart(22)}`,
    ...r.rounds.map((x) => `${String(x.seed).padEnd(8)}${`${x.round1} ${pct(x.round1Rate)}`.padStart(20)}${`${x.round2 ?? '–'} ${pct(x.round2Rate)}`.padStart(22)}`),
    ...(r.dev === null
      ? []
      : [
          `dev F1 ${r.dev.f1[0]} → ${r.dev.f1[1]}; dev FPR benign ${pct(r.dev.fpr[0])} → ${pct(r.dev.fpr[1])} (${r.fprRisePoints! > 0 ? '+' : ''}${r.fprRisePoints} points; budget +0.5); benign-hard ${pct(r.dev.fprBenignHard[0])} → ${pct(r.dev.fprBenignHard[1])}; lowest family recall ${r.dev.familyMin[0]} → ${r.dev.familyMin[1]}`,
        ]),
    `gate: ${r.decision}${r.failed.length > 0 ? ` (worse: ${r.failed.join(', ')})` : ''}`,
  ]
  return lines.join('\n')
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = join(dirname(fileURLToPath(import.meta.url)), 'results')
  const result = await runCycleBench({ resultsDir: results })
  const { writeFileSync } = await import('node:fs')
  writeFileSync(join(results, 'cycle.json'), `${JSON.stringify({ ...result, generatedAt: new Date().toISOString() }, null, 2)}\n`)
  process.stdout.write(`${formatCycleBench(result)}\n`)
}
