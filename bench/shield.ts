/**
 * The model shield's simulation bench (issue 7, "Measured"):
 *
 *   npm run bench -- shield      (or: npx tsx bench/shield.ts [--data DIR] [--benign 100] [--queries 5000] [--seeds 3] [--quick])
 *
 * A victim model (MLP) is trained on California housing (value above the median); its shield
 * profile is built from a separate reference split (the tenant's normal traffic). Through the real
 * detection code (ProtectedModel with in-process state, as the gateway runs it):
 * - 100 benign clients send 5,000 queries each, drawn without replacement from held-out rows, at
 *   Poisson arrival rates between 1 and 60 per minute;
 * - attackers of three kinds (uniform sweep, Papernot augmentation from 30 real seeds, line
 *   searches to the boundary from 30 seeds), several seeds each, query until flagged; their
 *   replica's agreement with the victim on held-out rows is measured at that moment, and again
 *   (detection ignored) at fixed budgets to show where they would have got;
 * - output hardening: victim accuracy lost against replica agreement lost at 1,000 queries;
 * - adversarial inputs from HopSkipJump (decision-based) and SimBA (score-based) against the
 *   victim: detection by the per-request test on the found input alone, and through the shield
 *   (every probe sent under one client key, then the found input: per-request test or client
 *   history); false positives on clean held-out rows and on every benign client's query.
 * Prints the tables and the Done-when checks; writes bench/results/shield.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createRandom, shuffle } from '../src/monitor/sketch/random.js'
import type { AdversarialVerdict } from '../src/shield/adversarial.js'
import { FeatureEncoder } from '../src/shield/features.js'
import { OutputHardener, type HardeningOptions } from '../src/shield/hardening.js'
import { ShieldProfile } from '../src/shield/profile.js'
import { ProtectedModel } from '../src/shield/protected-model.js'
import { AttackerSpace, BoundaryAttacker, NaturalAttacker, PapernotAttacker, UniformAttacker, type Attacker, type FeatureSchema } from '../src/shield/sim/attacks.js'
import { hopSkipJump, simba } from '../src/shield/sim/evasion.js'
import { HOUSING_CATEGORICAL, HOUSING_FEATURES, loadHousing, type Row } from '../src/shield/sim/housing.js'
import { argmax, Mlp, oneHot } from '../src/shield/sim/mlp.js'
import { MemoryShieldState } from '../src/shield/state.js'
import { dataDir } from './lib/data.js'

export interface ShieldBenchOptions {
  data?: string
  benignClients?: number
  benignQueries?: number
  /** Attackers per kind. */
  seeds?: number
  /** Adversarial examples per attack. */
  adversarialRows?: number
  maxAttackQueries?: number
  log?: (line: string) => void
}

interface AttackerRun {
  kind: string
  seed: number
  flaggedAt: number | null
  signal: string | null
  agreementAtFlag: number | null
  /** Agreement (detection ignored) at budgets. */
  curve: { queries: number; agreement: number }[]
  /** First budget at which the unstopped replica reached 90 % agreement. */
  reaches90At: number | null
}

export interface ShieldBenchResult {
  dataset: string
  victim: { accuracy: number; trainRows: number; testRows: number; architecture: string }
  profile: { referenceRows: number; indexRows: number; pradaDelta: number; pradaNaturalMinW: number; offDistributionRate: number; lowMarginRate: number; fpr: number }
  benign: { clients: number; queriesEach: number; flagged: number; falseAlarmsPer100: number; maxEvidence: { proximity: number; coverage: number; boundary: number }; minPradaW: number; evidenceBar: number; simulatedHours: number }
  attackers: AttackerRun[]
  attackerSummary: { kind: string; runs: number; flagged: number; maxQueriesToFlag: number | null; medianQueriesToFlag: number | null; maxAgreementAtFlag: number | null; signals: string[] }[]
  hardening: { name: string; options: HardeningOptions; victimAccuracy: number; accuracyLost: number; replica: Record<string, number>; agreementLost: Record<string, number> }[]
  adversarial: {
    /** Per-request test on clean held-out rows. */
    fpr: number
    cleanRows: number
    cleanFlagged: number
    /** detectionRate: per-request test alone; historyDetectionRate: the attack run through the shield under one client key (per-request test or client history). */
    attacks: { name: string; tried: number; succeeded: number; medianQueries: number; medianPerturbation: number; detected: number; detectionRate: number; squeezeDetectionRate: number; historyDetectionRate: number; historySignalRate: number }[]
    squeezeCleanFpr: number
    historyFpr: number | null
    /** Every benign client's query scored with both tests (their false alarms on real streams). */
    benign: { queries: number; flagged: number; statelessFlagged: number; historyFlagged: number; fpr: number; statelessFpr: number; historyFpr: number }
  }
  doneWhen: { attackersFlaggedBefore90AndWithin1000: boolean; benignFalseAlarmsZero: boolean; adversarialDetection90At5: boolean; adversarialDetection90At5PerRequestOnly: boolean }
  seconds: number
}

const SPLITS = { train: 8000, reference: 4000, test: 1500, attacker: 500 }
const BUDGETS = [100, 250, 500, 1000, 2000]

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s.length === 0 ? NaN : (s[Math.floor((s.length - 1) / 2)] as number)
}

function pct(v: number | null, digits = 1): string {
  return v === null ? '—' : `${(v * 100).toFixed(digits)} %`
}

export async function runShieldBench(options: ShieldBenchOptions = {}): Promise<ShieldBenchResult> {
  const started = Date.now()
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const data = loadHousing(options.data ?? dataDir())
  const order = shuffle(data.rows.map((_, i) => i), createRandom(42))
  let at = 0
  const take = (n: number) => order.slice(at, (at += n))
  const split = { train: take(SPLITS.train), reference: take(SPLITS.reference), test: take(SPLITS.test), attacker: take(SPLITS.attacker), pool: order.slice(at) }
  const rows = (idx: number[]) => idx.map((i) => data.rows[i] as Row)
  const names = [...HOUSING_FEATURES]

  log(`victim: MLP on ${split.train.length} rows …`)
  const victimEncoder = FeatureEncoder.fit(rows(split.train), names, { categorical: [...HOUSING_CATEGORICAL] })
  const victim = new Mlp([victimEncoder.dims, 32, 16, 2], 3)
  victim.train(
    split.train.map((i) => victimEncoder.encode(data.rows[i] as Row)),
    split.train.map((i) => oneHot(data.labels[i] as number, 2)),
    { epochs: 30, seed: 5 },
  )
  const predict = (row: Row) => victim.predict(victimEncoder.encode(row))
  const testRows = rows(split.test)
  const testLabels = split.test.map((i) => data.labels[i] as number)
  const victimLabels = testRows.map((r) => argmax(predict(r)))
  const accuracy = testLabels.filter((y, i) => y === victimLabels[i]).length / testLabels.length
  const agreement = (replica: { label(row: Row): number }) => testRows.filter((r, i) => replica.label(r) === victimLabels[i]).length / testRows.length

  log('shield profile from the reference split …')
  const fpr = 0.05
  const profile = await ShieldProfile.build({ model: 'housing', rows: rows(split.reference), features: names, categorical: [...HOUSING_CATEGORICAL], predict: async (xs) => xs.map((x) => predict(x as Row)), seed: 7, fpr })
  const newModel = (adversarial = false) => new ProtectedModel({ name: 'housing', profile, adversarial: { enabled: adversarial } }, async (xs) => xs.map((x) => predict(x as Row)), new MemoryShieldState())

  // ---------------------------------------------------------------- benign clients
  const benignClients = options.benignClients ?? 100
  const benignQueries = Math.min(options.benignQueries ?? 5000, split.pool.length)
  log(`benign: ${benignClients} clients × ${benignQueries} queries …`)
  // Adversarial-input detection runs on every benign query too: its false alarms on real client
  // streams (the per-request test and the client-history test) are measured here.
  const model = newModel(true)
  const benignAdversarial = { queries: 0, flagged: 0, statelessFlagged: 0, historyFlagged: 0 }
  const maxEvidence = { proximity: 0, coverage: 0, boundary: 0 }
  let minW = 1
  let flagged = 0
  let simulatedMs = 0
  for (let c = 0; c < benignClients; c++) {
    const random = createRandom(1000 + c)
    const picks = shuffle([...split.pool], random).slice(0, benignQueries)
    // Poisson arrivals at a client-specific rate, log-uniform between 1 and 60 per minute.
    const perMinute = Math.exp(random.next() * Math.log(60))
    let clock = 0
    let flag = null
    for (const i of picks) {
      clock += (-Math.log(random.next()) / perMinute) * 60_000
      const { extraction, adversarial } = await model.predict({ tenant: 'bench', keyId: `benign-${c}` }, [data.rows[i] as Row])
      const verdict = adversarial?.[0]
      if (verdict !== undefined) {
        benignAdversarial.queries++
        if (verdict.flagged) benignAdversarial.flagged++
        if (verdict.score > verdict.threshold) benignAdversarial.statelessFlagged++
        if (verdict.history?.flagged === true) benignAdversarial.historyFlagged++
      }
      if (extraction === undefined) continue
      flag = extraction.flag
      maxEvidence.proximity = Math.max(maxEvidence.proximity, extraction.evidence.proximity)
      maxEvidence.coverage = Math.max(maxEvidence.coverage, extraction.evidence.coverage)
      maxEvidence.boundary = Math.max(maxEvidence.boundary, extraction.evidence.boundary)
      if (extraction.w !== null) minW = Math.min(minW, extraction.w)
    }
    simulatedMs = Math.max(simulatedMs, clock)
    if (flag !== null) {
      flagged++
      log(`  benign client ${c} flagged: ${JSON.stringify(flag)}`)
    }
    if ((c + 1) % 20 === 0) log(`  ${c + 1}/${benignClients} clients`)
  }

  // ---------------------------------------------------------------- attackers
  const schema: FeatureSchema = {
    numeric: names.filter((n) => n !== 'ocean_proximity').map((name) => {
      const v = data.rows.map((r) => r[name]).filter((x): x is number => typeof x === 'number')
      return { name, min: Math.min(...v), max: Math.max(...v) }
    }),
    categorical: [{ name: 'ocean_proximity', values: [...new Set(data.rows.map((r) => String(r.ocean_proximity)))].sort() }],
  }
  const attackerRows = rows(split.attacker)
  const space = new AttackerSpace(schema, attackerRows)
  const seedsFor = (s: number) => shuffle([...attackerRows], createRandom(500 + s)).slice(0, 30)
  const kinds: { kind: string; make(seed: number, hardened?: boolean): Attacker }[] = [
    { kind: 'uniform', make: (s) => new UniformAttacker(space, 100 + s) },
    { kind: 'papernot', make: (s) => new PapernotAttacker(space, seedsFor(s), 200 + s, { lambda: 0.1 }) },
    { kind: 'boundary', make: (s) => new BoundaryAttacker(space, seedsFor(s), 300 + s) },
  ]
  const seeds = options.seeds ?? 3
  const maxAttack = options.maxAttackQueries ?? 2000
  const attackers: AttackerRun[] = []
  for (const { kind, make } of kinds) {
    for (let s = 0; s < seeds; s++) {
      log(`attacker ${kind} #${s} …`)
      const detecting = newModel()
      const attacker = make(s)
      let flaggedAt: number | null = null
      let signal: string | null = null
      let agreementAtFlag: number | null = null
      const curve: { queries: number; agreement: number }[] = []
      for (let q = 1; q <= maxAttack; q++) {
        const row = attacker.next()
        const outcome = await detecting.predict({ tenant: 'bench', keyId: `${kind}-${s}` }, [row])
        attacker.observe(row, outcome.raw[0] as number[])
        const flag = outcome.extraction?.flag ?? null
        if (flaggedAt === null && flag !== null) {
          flaggedAt = q
          signal = flag.signal
          agreementAtFlag = agreement(attacker.replica())
        }
        if (BUDGETS.includes(q)) curve.push({ queries: q, agreement: agreement(attacker.replica()) })
      }
      attackers.push({ kind, seed: s, flaggedAt, signal, agreementAtFlag, curve, reaches90At: curve.find((c) => c.agreement >= 0.9)?.queries ?? null })
    }
  }
  const attackerSummary = kinds.map(({ kind }) => {
    const runs = attackers.filter((a) => a.kind === kind)
    const flaggedRuns = runs.filter((a) => a.flaggedAt !== null)
    return {
      kind,
      runs: runs.length,
      flagged: flaggedRuns.length,
      maxQueriesToFlag: flaggedRuns.length === 0 ? null : Math.max(...flaggedRuns.map((a) => a.flaggedAt as number)),
      medianQueriesToFlag: flaggedRuns.length === 0 ? null : median(flaggedRuns.map((a) => a.flaggedAt as number)),
      maxAgreementAtFlag: flaggedRuns.length === 0 ? null : Math.max(...flaggedRuns.map((a) => a.agreementAtFlag as number)),
      signals: [...new Set(flaggedRuns.map((a) => a.signal as string))],
    }
  })

  // ---------------------------------------------------------------- output hardening
  log('output hardening …')
  const hardenings: { name: string; options: HardeningOptions }[] = [
    { name: 'none (full probabilities)', options: {} },
    { name: 'top-1 label only', options: { labelOnly: true } },
    { name: 'rounded to 1 decimal', options: { decimals: 1 } },
    { name: 'log-odds noise σ=1, top kept', options: { noise: { scale: 1 } } },
    { name: 'log-odds noise σ=1, top may flip', options: { noise: { scale: 1, keepTop: false } } },
  ]
  const budget = 1000
  const replicaKinds = [
    ...kinds,
    // Natural queries (the attacker's own real rows, reused): invisible to query-pattern tests; hardening is what remains.
    { kind: 'natural', make: (s: number) => new NaturalAttacker(space, attackerRows, 400 + s) },
  ]
  const hardening: ShieldBenchResult['hardening'] = []
  for (const h of hardenings) {
    const hardener = new OutputHardener(h.options, 99)
    const victimAccuracy = testRows.filter((r, i) => hardener.label(predict(r)) === testLabels[i]).length / testRows.length
    const replica: Record<string, number> = {}
    for (const { kind, make } of replicaKinds) {
      const values: number[] = []
      for (let s = 0; s < seeds; s++) {
        const attacker = make(s)
        const answerer = new OutputHardener(h.options, 1000 + s)
        for (let q = 0; q < budget; q++) {
          const row = attacker.next()
          attacker.observe(row, answerer.vector(predict(row)))
        }
        values.push(agreement(attacker.replica()))
      }
      replica[kind] = values.reduce((a, b) => a + b, 0) / values.length
    }
    hardening.push({ name: h.name, options: h.options, victimAccuracy, accuracyLost: 0, replica, agreementLost: {} })
  }
  const baseline = hardening[0] as ShieldBenchResult['hardening'][number]
  for (const h of hardening) {
    h.accuracyLost = baseline.victimAccuracy - h.victimAccuracy
    for (const k of Object.keys(h.replica)) h.agreementLost[k] = (baseline.replica[k] as number) - (h.replica[k] as number)
  }

  // ---------------------------------------------------------------- adversarial inputs
  log('adversarial inputs …')
  const detector = profile.adversarial
  const assess = (row: Row, squeeze: boolean): AdversarialVerdict => {
    const x = profile.encoder.encode(row)
    return detector.assess(x, predict(row), squeeze ? predict(detector.squeeze(row, x) as Row) : undefined)
  }
  const cleanFlagged = testRows.filter((r) => assess(r, false).flagged).length
  const squeezeCleanFlagged = testRows.filter((r) => assess(r, true).flagged).length
  const advRows = testRows.slice(0, options.adversarialRows ?? 300)
  const random = createRandom(77)
  const attacks = [
    { name: 'HopSkipJump (decision-based)', run: (r: Row, oracle: (row: Row) => ArrayLike<number>) => hopSkipJump(r, oracle, space, random) },
    { name: 'SimBA (score-based, first flip)', run: (r: Row, oracle: (row: Row) => ArrayLike<number>) => simba(r, oracle, space, random) },
  ]
  const attackResults: ShieldBenchResult['adversarial']['attacks'] = []
  for (const { name, run } of attacks) {
    const found: { adversarial: Row; queries: number; perturbation: number; log: Row[] }[] = []
    for (const r of advRows) {
      const log: Row[] = []
      const f = run(r, (row) => {
        log.push(row)
        return predict(row)
      })
      if (f !== undefined) found.push({ ...f, log })
    }
    const detected = found.filter((f) => assess(f.adversarial, false).flagged).length
    const squeezeDetected = found.filter((f) => assess(f.adversarial, true).flagged).length
    // The attack as the shield sees it: every probe goes through the protected model under one
    // client key, then the client submits the input it found; the verdict on that submission
    // uses the per-request test and the client's history.
    let historyDetected = 0
    let historyOnly = 0
    for (const [i, f] of found.entries()) {
      const protectedModel = newModel(true)
      const client = { tenant: 'bench', keyId: `${name}-${i}` }
      for (const row of f.log) await protectedModel.predict(client, [row])
      const verdict = (await protectedModel.predict(client, [f.adversarial])).adversarial?.[0]
      if (verdict?.flagged === true) historyDetected++
      if (verdict?.history?.flagged === true) historyOnly++
    }
    attackResults.push({
      name,
      tried: advRows.length,
      succeeded: found.length,
      medianQueries: median(found.map((f) => f.queries)),
      medianPerturbation: median(found.map((f) => f.perturbation)),
      detected,
      detectionRate: found.length === 0 ? 0 : detected / found.length,
      squeezeDetectionRate: found.length === 0 ? 0 : squeezeDetected / found.length,
      historyDetectionRate: found.length === 0 ? 0 : historyDetected / found.length,
      historySignalRate: found.length === 0 ? 0 : historyOnly / found.length,
    })
  }
  const statelessFpr = cleanFlagged / testRows.length
  const benignFpr = benignAdversarial.queries === 0 ? 0 : benignAdversarial.flagged / benignAdversarial.queries

  const summaryFlagOk = attackers.every((a) => a.flaggedAt !== null && a.flaggedAt <= 1000 && (a.agreementAtFlag as number) < 0.9)
  const result: ShieldBenchResult = {
    dataset: 'california_housing (median_house_value above the median)',
    victim: { accuracy, trainRows: split.train.length, testRows: split.test.length, architecture: `MLP ${victimEncoder.dims}-32-16-2` },
    profile: {
      referenceRows: split.reference.length,
      indexRows: profile.index.count,
      pradaDelta: profile.extraction.pradaDelta,
      pradaNaturalMinW: profile.extraction.pradaNaturalMinW,
      offDistributionRate: profile.extraction.offDistributionRate,
      lowMarginRate: profile.extraction.lowMarginRate,
      fpr,
    },
    benign: { clients: benignClients, queriesEach: benignQueries, flagged, falseAlarmsPer100: (flagged / benignClients) * 100, maxEvidence, minPradaW: minW, evidenceBar: Math.log(1e9), simulatedHours: simulatedMs / 3_600_000 },
    attackers,
    attackerSummary,
    hardening,
    adversarial: {
      fpr: statelessFpr,
      cleanRows: testRows.length,
      cleanFlagged,
      attacks: attackResults,
      squeezeCleanFpr: squeezeCleanFlagged / testRows.length,
      historyFpr: profile.adversarial.calibration.history?.fpr ?? null,
      benign: { ...benignAdversarial, fpr: benignFpr, statelessFpr: benignAdversarial.queries === 0 ? 0 : benignAdversarial.statelessFlagged / benignAdversarial.queries, historyFpr: benignAdversarial.queries === 0 ? 0 : benignAdversarial.historyFlagged / benignAdversarial.queries },
    },
    doneWhen: {
      attackersFlaggedBefore90AndWithin1000: summaryFlagOk,
      benignFalseAlarmsZero: flagged === 0 && benignClients >= 100 && benignQueries >= 5000,
      adversarialDetection90At5: attackResults.every((a) => a.historyDetectionRate >= 0.9) && statelessFpr <= 0.05 && benignFpr <= 0.05,
      adversarialDetection90At5PerRequestOnly: attackResults.every((a) => a.detectionRate >= 0.9) && statelessFpr <= 0.05,
    },
    seconds: (Date.now() - started) / 1000,
  }
  return result
}

export function formatShieldBench(r: ShieldBenchResult): string {
  const lines: string[] = []
  lines.push(`Model shield on ${r.dataset}: victim ${r.victim.architecture}, accuracy ${pct(r.victim.accuracy)} on ${r.victim.testRows} held-out rows`)
  lines.push(`profile: ${r.profile.referenceRows} reference rows (index ${r.profile.indexRows}); PRADA δ ${r.profile.pradaDelta.toFixed(3)} (natural min W ${r.profile.pradaNaturalMinW.toFixed(3)}); evidence bar ${r.benign.evidenceBar.toFixed(1)} nats`)
  lines.push('')
  lines.push('Extraction: queries to flag and replica agreement with the victim at that moment')
  lines.push('| attacker | runs | flagged | queries to flag (median / max) | agreement at flag (max) | signal | unstopped replica at 1,000 / 2,000 queries |')
  lines.push('|---|---|---|---|---|---|---|')
  for (const s of r.attackerSummary) {
    const runs = r.attackers.filter((a) => a.kind === s.kind)
    const at = (q: number) => pct(runs.reduce((m, a) => Math.max(m, a.curve.find((c) => c.queries === q)?.agreement ?? 0), 0))
    lines.push(`| ${s.kind} | ${s.runs} | ${s.flagged} | ${s.medianQueriesToFlag ?? '—'} / ${s.maxQueriesToFlag ?? '—'} | ${pct(s.maxAgreementAtFlag)} | ${s.signals.join(', ')} | ${at(1000)} / ${at(2000)} |`)
  }
  lines.push('')
  lines.push(`Benign: ${r.benign.clients} clients × ${r.benign.queriesEach} queries (${r.benign.simulatedHours.toFixed(0)} simulated hours): false alarms ${r.benign.flagged} of ${r.benign.clients}; highest evidence proximity ${r.benign.maxEvidence.proximity.toFixed(2)}, coverage ${r.benign.maxEvidence.coverage.toFixed(2)}, boundary ${r.benign.maxEvidence.boundary.toFixed(2)} nats (bar ${r.benign.evidenceBar.toFixed(1)}); lowest PRADA W ${r.benign.minPradaW.toFixed(3)} (δ ${r.profile.pradaDelta.toFixed(3)})`)
  lines.push('')
  const kinds = Object.keys(r.hardening[0]?.replica ?? {})
  lines.push('Output hardening: victim accuracy lost vs replica agreement lost (1,000 queries, detection ignored)')
  lines.push(`| hardening | victim accuracy | accuracy lost | ${kinds.map((k) => `${k} replica (lost)`).join(' | ')} |`)
  lines.push(`|---|---|---|${kinds.map(() => '---').join('|')}|`)
  for (const h of r.hardening) lines.push(`| ${h.name} | ${pct(h.victimAccuracy)} | ${pct(h.accuracyLost)} | ${kinds.map((k) => `${pct(h.replica[k] ?? 0)} (${pct(h.agreementLost[k] ?? 0)})`).join(' | ')} |`)
  lines.push('')
  const b = r.adversarial.benign
  lines.push(`Adversarial inputs: false positives of the per-request test on ${r.adversarial.cleanRows} clean held-out rows ${pct(r.adversarial.fpr)} (with squeezing ${pct(r.adversarial.squeezeCleanFpr)}), calibrated for ${pct(r.profile.fpr, 0)}; on the benign clients' ${b.queries} queries ${pct(b.fpr, 2)} (per-request ${pct(b.statelessFpr, 2)}, client history ${pct(b.historyFpr, 3)}, budget ${pct(r.adversarial.historyFpr, 1)})`)
  lines.push('| attack | succeeded | median queries | median perturbation (z) | detected, per-request test | with squeezing | detected through the shield (per-request or client history) | by the history test |')
  lines.push('|---|---|---|---|---|---|---|---|')
  for (const a of r.adversarial.attacks) lines.push(`| ${a.name} | ${a.succeeded}/${a.tried} | ${a.medianQueries} | ${a.medianPerturbation.toFixed(3)} | ${pct(a.detectionRate)} | ${pct(a.squeezeDetectionRate)} | ${pct(a.historyDetectionRate)} | ${pct(a.historySignalRate)} |`)
  lines.push('')
  const mark = (ok: boolean) => (ok ? 'MET' : 'NOT MET')
  lines.push('Done when:')
  lines.push(`- every attacker flagged before 90 % agreement and within 1,000 queries: ${mark(r.doneWhen.attackersFlaggedBefore90AndWithin1000)}`)
  lines.push(`- no benign client flagged over 5,000 queries (0 of 100): ${mark(r.doneWhen.benignFalseAlarmsZero)}`)
  lines.push(`- adversarial detection ≥ 90 % of every attack at ≤ 5 % false positives (through the shield, client history included): ${mark(r.doneWhen.adversarialDetection90At5)}`)
  lines.push(`  (per-request test alone, no client history: ${mark(r.doneWhen.adversarialDetection90At5PerRequestOnly)})`)
  lines.push(`(${r.seconds.toFixed(0)} s)`)
  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name)
    return i === -1 ? undefined : process.argv[i + 1]
  }
  const quick = process.argv.includes('--quick')
  const num = (name: string, fallback: number) => (arg(name) === undefined ? fallback : Number(arg(name)))
  const result = await runShieldBench({
    ...(arg('--data') === undefined ? {} : { data: arg('--data') as string }),
    benignClients: num('--benign', quick ? 10 : 100),
    benignQueries: num('--queries', quick ? 1000 : 5000),
    seeds: num('--seeds', quick ? 1 : 3),
    adversarialRows: quick ? 60 : 300,
  })
  console.log(formatShieldBench(result))
  if (!quick) {
    const file = join(dirname(fileURLToPath(import.meta.url)), 'results', 'shield.json')
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, `${JSON.stringify({ ...result, generatedAt: new Date().toISOString() }, null, 2)}\n`)
  }
}
