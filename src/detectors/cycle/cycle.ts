/**
 * The learning cycle: red team → collect the attacks that got through → retrain the
 * prompt-injection model with them (the current version's hyper-parameters, minutes not the
 * grid) → evaluate the candidate against the current version → register it → red team again
 * with the candidate → gate → report.
 *
 * Red-team rounds run against scratch gateways on loopback, started in this process in front of
 * the shipped test model (src/redteam/test-model.ts), each with the same policy and the
 * prompt-injection weights pinned in it (`prompt_injection.options.weights`): the current
 * version's for round 1, the candidate's for round 2. The operator's store is read (the active
 * version) and written (the candidate's registration, an activation when the gate passes, audit
 * entries), never used to serve the scratch traffic. With `target`, round 1 is also sent to a
 * real deployment and its successes are what the model learns from; the current/candidate
 * comparison still runs on the scratch gateways, so both versions face the same model and policy.
 *
 * Round 2 runs on the seed round 1 trained from (the successes it learned: not a held-out
 * measure) and on a second seed (new markers and mutation draws of the same templates); the
 * held-out measures are the dev figures (shared dev rows, which the red-team corpus never
 * enters: rows equal to a dev row are dropped from training).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { RampartError } from '../../core/errors.js'
import type { AuditWriter } from '../../gateway/alert-service.js'
import { startTestGateway } from '../../gateway/testing.js'
import { defaultPolicy } from '../../guard.js'
import { DEFAULT_SYSTEM_PROMPT, type CorpusOptions } from '../../redteam/corpus.js'
import { buildReport, type RedTeamReport } from '../../redteam/report.js'
import { newCanary, plantCanary, runRedTeam, type RunProgress, type Target } from '../../redteam/runner.js'
import { startTestModel, type TestModel } from '../../redteam/test-model.js'
import type { Store } from '../../store/types.js'
import type { DetectorFigures } from '../injection/training/compare.js'
import { BUILTIN_VERSION, INJECTION_DETECTOR, builtinSummary, readModelDir } from '../registry.js'
import { gateCandidate, type GateDecision, type GateTolerances, type RoundRates } from './gate.js'

/** The shipped model directory (the built-in version). */
export const SHIPPED_MODEL_DIR = resolve(new URL('../../../models/injection/', import.meta.url).pathname)

/** What the cycle did with the candidate. */
export type CycleDecision = 'activated' | 'awaiting_approval' | 'nothing_to_learn' | 'unchanged'

export interface TrainRequest {
  /** Directory to write the candidate to (weights.bin, metrics.json, MODEL_CARD.md). */
  out: string
  /** The current version's model directory: compared with, and its hyper-parameters reused. */
  current: string
  /** The red-team report whose successes are added (target `guarded`, or `target` when the round ran against one). */
  redteam: string
  redteamTarget: string
  extra: readonly string[]
  corpusSeed: number
}

export interface CycleOptions {
  store: Pick<Store, 'getActiveDetector' | 'getDetectorVersion' | 'registerDetectorVersion' | 'activateDetectorVersion'>
  audit: AuditWriter
  /** Where the report, the rounds' reports and the candidate go (created; must not hold a report). */
  outDir: string
  /** A deployment to red-team in round 1 (its successes are learned from); default: the scratch gateway with the current version. */
  target?: { url: string; key?: string }
  /** The policy the scratch gateways run (an object as a policy file holds it); default: the shipped default policy. */
  policy?: Record<string, unknown>
  /** Corpus seeds: the first is learned from; every one is red-teamed with both versions. Default [0, 1]. */
  seeds?: readonly number[]
  /** A part of the corpus (tests): families, goals, base attacks per goal. */
  corpus?: Pick<CorpusOptions, 'families' | 'goals' | 'perGoal'>
  /** More labeled JSONL rows for training (e.g. `rampart feedback export`). */
  extra?: readonly string[]
  tolerances: GateTolerances
  /** Retrains (default: `rampart train injection` with `--hyper-from` the current version). */
  train: (request: TrainRequest) => Promise<void>
  /** Actor of the registry changes and audit entries (`cycle` for the schedule, `cli` by hand). */
  actor?: string
  /** Red-team pacing: requests per second (default 2 000 on loopback; give a real target's limit with `target`). */
  rate?: number
  concurrency?: number
  log?: (line: string) => void
  now?: () => Date
}

export interface CycleRound {
  round: 1 | 2
  version: 'current' | 'candidate' | 'target' | 'bare'
  versionId: string | null
  seed: number
  attacks: number
  successes: number
  successRate: number | null
  harmlessRefused: number | null
  byFamily: Record<string, { attempts: number; successes: number; successRate: number | null }>
  /** The round's full report (rampart redteam's JSON). */
  report: string
}

export interface CycleReport {
  version: 1
  startedAt: string
  finishedAt: string
  seconds: { total: number; redteam: number; train: number }
  current: { id: string; builtin: boolean }
  candidate: { id: string; dir: string; mode?: string; redteamRows?: number } | null
  /** Successes round 1 learned from. */
  learnedFrom: { report: string; target: string; successes: number }
  rounds: CycleRound[]
  /** Scanner-level figures of both versions (dev, dev mutation families, red-team corpus). */
  figures: { current: DetectorFigures; candidate: DetectorFigures } | null
  gate: GateDecision | null
  tolerances: GateTolerances
  decision: CycleDecision
  /** One sentence: what happened and what a person has to do. */
  summary: string
}

const DEFAULT_SEEDS = [0, 1] as const

function stamp(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-')
}

/** The default output directory of a cycle: `<dataDir>/cycles/<ISO time>`. */
export function defaultCycleDir(dataDir: string, now = new Date()): string {
  return join(dataDir, 'cycles', stamp(now))
}

/** Writes the active version (or the shipped weights) out as a model directory. */
async function exportActive(store: CycleOptions['store'], dir: string): Promise<{ id: string; builtin: boolean }> {
  const active = (await store.getActiveDetector(INJECTION_DETECTOR))?.versionId ?? null
  mkdirSync(dir, { recursive: true })
  if (active === null) {
    for (const name of ['weights.bin', 'MODEL_CARD.md', 'metrics.json']) copyFileSync(join(SHIPPED_MODEL_DIR, name), join(dir, name))
    return { id: builtinSummary().id, builtin: true }
  }
  const version = await store.getDetectorVersion(INJECTION_DETECTOR, active)
  if (version === undefined) throw new RampartError('RAMPART_ERR_STORE', `the active ${INJECTION_DETECTOR} version ${active} is not in the registry`)
  writeFileSync(join(dir, 'weights.bin'), version.weights)
  writeFileSync(join(dir, 'MODEL_CARD.md'), version.modelCard)
  writeFileSync(join(dir, 'metrics.json'), `${JSON.stringify(version.metrics, null, 2)}\n`)
  return { id: active, builtin: false }
}

/** The policy with the prompt-injection input scanner reading `weightsFile`. */
export function pinWeights(policy: Record<string, unknown>, weightsFile: string): Record<string, unknown> {
  const copy = structuredClone(policy) as { input?: Record<string, { enabled?: boolean; options?: Record<string, unknown> }> }
  const pi = copy.input?.prompt_injection
  if (pi === undefined || pi.enabled === false) throw new RampartError('RAMPART_ERR_INPUT_INVALID', 'policy: the cycle retrains the prompt_injection model, but this policy does not run prompt_injection on input', { path: 'policy.input.prompt_injection' })
  if (pi.options?.detector === 'heuristic') throw new RampartError('RAMPART_ERR_INPUT_INVALID', 'policy: prompt_injection uses the heuristic detector, which reads no weights; use model or ensemble', { path: 'policy.input.prompt_injection.options.detector' })
  pi.options = { ...(pi.options ?? {}), weights: weightsFile }
  return copy as Record<string, unknown>
}

const metricsSchemaFields = (m: unknown): { version: string; mode?: string; redteamRows?: number; current: DetectorFigures; candidate: DetectorFigures } => {
  const x = m as { version?: unknown; mode?: unknown; inputs?: { added?: { redteam?: unknown } }; comparison?: { current?: DetectorFigures; candidate?: DetectorFigures } }
  if (typeof x.version !== 'string' || x.comparison?.current === undefined || x.comparison.candidate === undefined) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', 'candidate metrics.json: no version or comparison (written by rampart train injection?)', { path: 'metrics.json' })
  }
  return {
    version: x.version,
    ...(typeof x.mode === 'string' ? { mode: x.mode } : {}),
    ...(typeof x.inputs?.added?.redteam === 'number' ? { redteamRows: x.inputs.added.redteam } : {}),
    current: x.comparison.current,
    candidate: x.comparison.candidate,
  }
}

/**
 * Runs one cycle and writes `<outDir>/cycle.json` and `<outDir>/cycle.html`. The candidate is
 * registered whenever it differs from the current version, and activated only when the gate
 * passes and the active version did not change meanwhile; each decision is an audit entry
 * (`detector.cycle`).
 */
export async function runLearningCycle(o: CycleOptions): Promise<CycleReport> {
  const now = o.now ?? (() => new Date())
  const log = o.log ?? (() => undefined)
  const actor = o.actor ?? 'cycle'
  const seeds = [...new Set(o.seeds ?? DEFAULT_SEEDS)]
  if (seeds.length === 0) throw new RampartError('RAMPART_ERR_INPUT_INVALID', 'seeds: give at least one corpus seed', { path: 'seeds' })
  const learnSeed = seeds[0]!
  const started = now()
  const t0 = performance.now()
  let redteamMs = 0
  let trainMs = 0
  const out = resolve(o.outDir)
  if (existsSync(join(out, 'cycle.json'))) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `out: ${out} already holds a cycle report; give another directory`, { path: 'out' })
  mkdirSync(out, { recursive: true })

  const currentDir = join(out, 'current')
  const current = await exportActive(o.store, currentDir)
  log(`cycle: current ${INJECTION_DETECTOR} version ${current.builtin ? BUILTIN_VERSION : current.id.slice(0, 12)}; output in ${out}`)
  const basePolicy = o.policy ?? (defaultPolicy() as unknown as Record<string, unknown>)
  const policyFile = (name: string, weightsDir: string) => {
    const file = join(out, `policy-${name}.json`)
    writeFileSync(file, JSON.stringify(pinWeights(basePolicy, join(weightsDir, 'weights.bin'))))
    return file
  }

  const model: TestModel = await startTestModel()
  try {
    const rounds: CycleRound[] = []
    /** One red-team run: the named targets on one seed; the report file goes to `<out>/<file>.json`. */
    const redteam = async (file: string, seed: number, targets: Target[], round: 1 | 2, versions: Record<string, { version: CycleRound['version']; id: string | null }>): Promise<RedTeamReport> => {
      const t = performance.now()
      const canary = newCanary()
      const corpus = { seed, ...o.corpus }
      let last = 0
      let finished = false
      const outcome = await runRedTeam({
        targets,
        systemPrompt: plantCanary(DEFAULT_SYSTEM_PROMPT, canary),
        canary,
        corpus,
        model: 'rampart-test-model',
        rate: o.rate ?? 2_000,
        concurrency: o.concurrency ?? 4,
        attempts: 3,
        timeoutMs: 60_000,
        stream: false,
        statePath: join(out, `${file}.state.jsonl`),
        resume: false,
        onProgress: (p: RunProgress) => {
          if (finished || (p.done !== p.total && performance.now() - last < 5_000)) return
          finished = p.done === p.total
          last = performance.now()
          log(`cycle: ${file}: ${p.done}/${p.total} attacks, ${(p.elapsedMs / 1000).toFixed(1)} s`)
        },
      })
      const report = buildReport(outcome, targets, { seed, model: 'rampart-test-model' })
      writeFileSync(join(out, `${file}.json`), `${JSON.stringify(report, null, 2)}\n`)
      for (const tr of report.targets) {
        const v = versions[tr.name]!
        rounds.push({
          round,
          version: v.version,
          versionId: v.id,
          seed,
          attacks: tr.attempts,
          successes: tr.successes,
          successRate: tr.successRate,
          harmlessRefused: tr.benign.refusalRate,
          byFamily: Object.fromEntries(Object.entries(tr.byFamily).map(([f, r]) => [f, { attempts: r.attempts, successes: r.successes, successRate: r.successRate }])),
          report: `${file}.json`,
        })
        log(`cycle: round ${round} seed ${seed} ${tr.name}: ${tr.successes}/${tr.attempts} attacks succeeded, ${tr.benign.refused}/${tr.benign.attempts} harmless requests refused`)
        if (tr.errors > 0) throw new RampartError('RAMPART_ERR_UPSTREAM', `red team ${file}: ${tr.errors} attacks on ${tr.name} could not be run; the rates would be wrong`)
      }
      redteamMs += performance.now() - t
      return report
    }
    /** A scratch gateway in front of the test model, with the policy pinned to a version's weights. */
    const withGateway = async <T>(policy: string, run: (target: Target) => Promise<T>): Promise<T> => {
      const gateway = await startTestGateway({ upstream: model.url, policy })
      try {
        return await run({ name: 'guarded', url: `${gateway.url}/v1`, key: await gateway.key('app') })
      } finally {
        await gateway.close()
      }
    }

    // Round 1: the current version (and the bare model beside it, for the guarded/bare ratio), or the given deployment.
    const currentPolicy = policyFile('current', currentDir)
    const currentRef = { version: 'current' as const, id: current.id }
    let learnedFrom: CycleReport['learnedFrom']
    for (const seed of seeds) {
      await withGateway(currentPolicy, async (guarded) => {
        const targets: Target[] = [guarded, ...(seed === learnSeed && o.target === undefined ? [{ name: 'bare', url: model.url }] : [])]
        await redteam(`round1-seed${seed}`, seed, targets, 1, { guarded: currentRef, bare: { version: 'bare', id: null } })
      })
    }
    if (o.target === undefined) {
      learnedFrom = { report: `round1-seed${learnSeed}.json`, target: 'guarded', successes: rounds.find((r) => r.round === 1 && r.seed === learnSeed && r.version === 'current')!.successes }
    } else {
      await redteam(`round1-target-seed${learnSeed}`, learnSeed, [{ name: 'target', url: o.target.url, ...(o.target.key === undefined ? {} : { key: o.target.key }) }], 1, { target: { version: 'target', id: null } })
      learnedFrom = { report: `round1-target-seed${learnSeed}.json`, target: 'target', successes: rounds.find((r) => r.version === 'target')!.successes }
    }

    const finish = async (partial: Omit<CycleReport, 'version' | 'startedAt' | 'finishedAt' | 'seconds' | 'current' | 'learnedFrom' | 'rounds' | 'tolerances'>): Promise<CycleReport> => {
      const report: CycleReport = {
        version: 1,
        startedAt: started.toISOString(),
        finishedAt: now().toISOString(),
        seconds: { total: Math.round((performance.now() - t0) / 100) / 10, redteam: Math.round(redteamMs / 100) / 10, train: Math.round(trainMs / 100) / 10 },
        current,
        learnedFrom,
        rounds,
        tolerances: o.tolerances,
        ...partial,
      }
      await o.audit.append({
        actor,
        tenant: null,
        action: 'detector.cycle',
        target: report.candidate?.id ?? (current.builtin ? BUILTIN_VERSION : current.id),
        detail: { detector: INJECTION_DETECTOR, decision: report.decision, current: current.builtin ? BUILTIN_VERSION : current.id, failed: report.gate?.failed ?? [], learnedFrom: learnedFrom.successes, out },
      })
      const { renderCycleHtml } = await import('./report.js')
      writeFileSync(join(out, 'cycle.json'), `${JSON.stringify(report, null, 2)}\n`)
      writeFileSync(join(out, 'cycle.html'), renderCycleHtml(report))
      log(`cycle: ${report.summary}`)
      log(`cycle: report → ${join(out, 'cycle.json')}, ${join(out, 'cycle.html')} (${report.seconds.total} s)`)
      return report
    }

    if (learnedFrom.successes === 0 && (o.extra ?? []).length === 0) {
      return await finish({ candidate: null, figures: null, gate: null, decision: 'nothing_to_learn', summary: 'no attack got through in round 1 and no extra rows were given: nothing to retrain on; the current version stays active' })
    }

    // Retrain with round 1's successes.
    const candidateDir = join(out, 'candidate')
    log(`cycle: retraining with ${learnedFrom.successes} successful attacks${(o.extra ?? []).length > 0 ? ` and ${(o.extra ?? []).length} extra file(s)` : ''} (hyper-parameters of the current version)`)
    const tTrain = performance.now()
    await o.train({ out: candidateDir, current: currentDir, redteam: join(out, learnedFrom.report), redteamTarget: learnedFrom.target, extra: o.extra ?? [], corpusSeed: learnSeed })
    trainMs = performance.now() - tTrain
    const record = readModelDir(candidateDir, { by: actor, at: now().toISOString(), description: `learning cycle ${stamp(started)}: retrained with ${learnedFrom.successes} red-team successes` }, 'candidate')
    const metrics = metricsSchemaFields(record.metrics)
    const candidate = { id: record.id, dir: candidateDir, ...(metrics.mode === undefined ? {} : { mode: metrics.mode }), ...(metrics.redteamRows === undefined ? {} : { redteamRows: metrics.redteamRows }) }
    const figures = { current: metrics.current, candidate: metrics.candidate }
    if (record.id === current.id) {
      return await finish({ candidate, figures, gate: null, decision: 'unchanged', summary: 'retraining gave the current weights back (the added rows changed nothing): nothing to register' })
    }

    // Round 2: the candidate on every seed.
    const candidatePolicy = policyFile('candidate', candidateDir)
    for (const seed of seeds) await withGateway(candidatePolicy, (guarded) => redteam(`round2-seed${seed}`, seed, [guarded], 2, { guarded: { version: 'candidate', id: record.id } }))

    const rates = (version: CycleRound['version']): RoundRates[] => rounds.filter((r) => r.version === version).map((r) => ({ seed: r.seed, successRate: r.successRate, harmlessRefused: r.harmlessRefused }))
    const gate = gateCandidate({ ...figures, redteam: { current: rates('current'), candidate: rates('candidate') } }, o.tolerances)

    // Register, then activate only through the gate.
    const added = await o.store.registerDetectorVersion(record)
    if (added) await o.audit.append({ actor, tenant: null, action: 'detector.register', target: record.id, detail: { detector: INJECTION_DETECTOR, size: record.size, description: record.description } })
    const activeNow = (await o.store.getActiveDetector(INJECTION_DETECTOR))?.versionId ?? null
    const stillCurrent = (activeNow ?? builtinSummary().id) === current.id
    const short = record.id.slice(0, 12)
    if (gate.activate && stillCurrent) {
      const activation = await o.store.activateDetectorVersion(INJECTION_DETECTOR, record.id, actor, now().toISOString())
      await o.audit.append({ actor, tenant: null, action: 'detector.activate', target: record.id, detail: { detector: INJECTION_DETECTOR, previous: activeNow ?? BUILTIN_VERSION, seq: activation?.seq ?? null, by: 'learning cycle gate' } })
      return await finish({ candidate, figures, gate, decision: 'activated', summary: `candidate ${short} is no worse on any tracked measure: activated (gateways switch within detectorPollMs; rampart detectors rollback undoes it)` })
    }
    const why = !gate.activate ? gate.checks.filter((c) => !c.pass).map((c) => c.reason).join('; ') : `the active version changed during the cycle (now ${activeNow ?? BUILTIN_VERSION})`
    return await finish({ candidate, figures, gate, decision: 'awaiting_approval', summary: `candidate ${short} registered, awaiting approval: ${why}. A person activates it with: rampart detectors activate ${short}` })
  } finally {
    await model.close()
  }
}

/** The default retraining: `rampart train injection --hyper-from CURRENT --current CURRENT --redteam REPORT`. */
export function trainWithCli(settings: { data?: string; limit?: number }): CycleOptions['train'] {
  return async (r) => {
    const { parseTrainInjectionFlags, runTrainInjection } = await import('../../cli/commands/train-injection.js')
    await runTrainInjection(
      parseTrainInjectionFlags({
        out: r.out,
        current: r.current,
        hyperFrom: r.current,
        redteam: [r.redteam],
        redteamTarget: r.redteamTarget,
        extra: [...r.extra],
        corpusSeed: r.corpusSeed,
        json: true,
        ...(settings.data === undefined ? {} : { data: settings.data }),
        ...(settings.limit === undefined ? {} : { limit: settings.limit }),
      }),
    )
  }
}

/** Reads a cycle report back (for tests and tools). */
export function readCycleReport(dir: string): CycleReport {
  return JSON.parse(readFileSync(join(dir, 'cycle.json'), 'utf8')) as CycleReport
}
