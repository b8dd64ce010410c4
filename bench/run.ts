/**
 * All of Rampart's benchmarks in one run, peers side by side:
 *
 *   npm run bench                      # everything; prints the tables; writes bench/results/*.json and report.html
 *   npm run bench -- gateway monitor   # only the named sections
 *
 * 1. latency of the default input policy on 2 KB prompts (first, on a small heap);
 * 2. prompt injection vs @andersmyrmel/vard and @presidio-dev/hai-guardrails (dev.jsonl);
 * 3. PII and secrets vs @openredaction/openredaction and redact-pii (pii/dev.jsonl);
 * 4. the gateway under HTTP load (paced open-loop and wrk/autocannon), direct vs through Rampart;
 * 5. the monitor: profile speed and memory (1M/4M rows), drift detection on the shared tabular data;
 * 6. data integrity: poisoned rows found vs kNN and self-confidence baselines, manifest MB/s;
 * 7. the model shield: extraction attackers vs benign clients, output hardening, adversarial inputs
 *    (a seeded simulation on California housing, about 5 minutes on one core);
 * 8. the red team and one learning cycle: attack success per family against the shipped test model
 *    bare vs behind Rampart, then red team → retrain with its successes → red team again (bench/cycle.ts;
 *    the retraining takes minutes).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatInjectionTable, runInjectionBench, type InjectionBenchResult } from './injection.js'
import { formatLatency, runLatencyBench, type LatencyResult } from './latency.js'
import { formatPiiBench, runPiiBench, type PiiBenchResult } from './pii.js'
import { formatGatewayBench, runGatewayBench } from './gateway.js'
import { formatMonitorBench, runMonitorBench } from './monitor.js'
import { formatIntegrityTable, runIntegrityBench } from './integrity.js'
import { formatShieldBench, runShieldBench } from './shield.js'
import { formatCycleBench, runCycleBench } from './cycle.js'
import { renderReport, type BarChart } from './lib/report.js'

const results = join(dirname(fileURLToPath(import.meta.url)), 'results')
mkdirSync(results, { recursive: true })
const write = (name: string, value: unknown) => writeFileSync(join(results, name), `${JSON.stringify({ ...(value as object), generatedAt: new Date().toISOString() }, null, 2)}\n`)

const SECTIONS = ['latency', 'injection', 'pii', 'gateway', 'monitor', 'integrity', 'shield', 'cycle'] as const
const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const unknown = asked.filter((a) => !(SECTIONS as readonly string[]).includes(a))
if (unknown.length > 0) {
  console.error(`unknown bench section(s): ${unknown.join(', ')}; valid: ${SECTIONS.join(', ')}`)
  process.exit(2)
}
const want = (section: (typeof SECTIONS)[number]) => asked.length === 0 || asked.includes(section)
const step = (n: number, what: string) => process.stderr.write(`\n[${n}/${SECTIONS.length}] ${what} …\n`)
const extraTables: string[] = []

async function runExtras(): Promise<void> {
  if (want('gateway')) {
    step(4, 'the gateway under load: direct vs through Rampart')
    const gateway = await runGatewayBench()
    write('gateway.json', gateway)
    extraTables.push(formatGatewayBench(gateway))
    console.log(`\n${extraTables.at(-1)}`)
  }
  if (want('monitor')) {
    step(5, 'the monitor: profile speed and memory, drift on the shared tabular data')
    const monitor = await runMonitorBench()
    write('monitor.json', monitor)
    extraTables.push(formatMonitorBench(monitor))
    console.log(`\n${extraTables.at(-1)}`)
  }
  if (want('integrity')) {
    step(6, 'data integrity: poisoned rows vs baselines, manifest throughput')
    const integrity = await runIntegrityBench()
    write('integrity.json', integrity)
    extraTables.push(formatIntegrityTable(integrity))
    console.log(`\n${extraTables.at(-1)}`)
  }
  if (want('shield')) {
    step(7, 'the model shield: extraction, benign clients, hardening, adversarial inputs')
    const shield = await runShieldBench()
    write('shield.json', shield)
    extraTables.push(formatShieldBench(shield))
    console.log(`\n${extraTables.at(-1)}`)
  }
  if (want('cycle')) {
    step(8, 'the red team bare vs guarded, and one learning cycle (red team → retrain → red team)')
    const cycle = await runCycleBench({ resultsDir: results })
    write('cycle.json', cycle)
    extraTables.push(formatCycleBench(cycle))
    console.log(`\n${extraTables.at(-1)}`)
  }
}

// The peers' sections (latency, injection, PII) share one report. A section not asked for this
// run is read back from its last results file, so `npm run bench -- latency` refreshes the latency
// figures and the report keeps the other two.
const previous = <T,>(name: string): T | undefined => {
  const file = join(results, name)
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined
}
let latency: LatencyResult | undefined
let injection: InjectionBenchResult | undefined
let pii: PiiBenchResult | undefined
if (want('latency')) {
  step(1, 'latency of the default input policy on 2 KB prompts')
  latency = await runLatencyBench()
  write('latency.json', latency)
  console.log(formatLatency(latency))
} else latency = previous('latency.json')
if (want('injection')) {
  step(2, 'prompt injection: Rampart vs vard vs hai-guardrails')
  injection = await runInjectionBench({ print: false })
  write('injection.json', injection)
  console.log(`\n${formatInjectionTable(injection)}`)
} else injection = previous('injection.json')
if (want('pii')) {
  step(3, 'PII and secrets: Rampart vs OpenRedaction vs redact-pii')
  pii = await runPiiBench({ print: false, write: false })
  write('pii.json', pii)
  console.log(`\n${formatPiiBench(pii)}`)
} else pii = previous('pii.json')
await runExtras()
if (latency === undefined || injection === undefined || pii === undefined) {
  process.stderr.write(`\nwrote ${results}/ (${asked.join(', ')}); report.html needs latency, injection and pii results\n`)
  process.exit(0)
}
const latencyTable = formatLatency(latency)
const injectionTable = formatInjectionTable(injection)
const piiTable = formatPiiBench(pii)

const charts: BarChart[] = [
  {
    title: 'Prompt injection on dev.jsonl: precision, recall, F1, false-positive rate',
    series: ['precision', 'recall', 'F1', 'FPR'],
    groups: injection.tools.map((t) => ({ label: t.name, values: [t.precision, t.recall, t.f1, t.fpr] })),
    max: 1,
  },
  {
    title: 'Prompt injection: recall on dev attacks after one obfuscation',
    series: Object.keys(injection.obfuscatedRecall),
    groups: Object.keys(Object.values(injection.obfuscatedRecall)[0] ?? {}).map((family) => ({
      label: family,
      values: Object.values(injection.obfuscatedRecall).map((perFamily) => perFamily[family]),
    })),
    max: 1,
  },
  {
    title: 'PII and secrets on pii/dev.jsonl: span precision, recall, F1, false-positive rate',
    series: ['precision', 'recall', 'F1', 'FPR'],
    groups: pii.detectors.map((d) => ({ label: d.name, values: [d.score.overall.precision, d.score.overall.recall, d.score.overall.f1, d.score.overall.fpr] })),
    max: 1,
  },
  {
    title: 'PII: F1 per type',
    series: pii.detectors.map((d) => d.name),
    groups: [...new Set(pii.detectors.flatMap((d) => d.predicts))].sort().map((type) => ({
      label: type,
      values: pii.detectors.map((d) => (d.predicts.includes(type) ? (d.score.perType[type]?.f1 ?? 0) : undefined)),
    })),
    max: 1,
  },
  {
    title: 'Latency per call on 2 KB prompts, p50 and p99 (ms, lower is better)',
    series: ['p50', 'p99'],
    groups: [
      { label: 'default input policy', values: [latency.defaultInputPolicy.p50Ms, latency.defaultInputPolicy.p99Ms] },
      { label: 'default policy, PII-dense', values: [latency.defaultInputPolicyPiiDense.p50Ms, latency.defaultInputPolicyPiiDense.p99Ms] },
      ...Object.entries(latency.scanners).map(([id, s]) => ({ label: id, values: [s.p50Ms, s.p99Ms] })),
    ],
    unit: ' ms',
  },
]
writeFileSync(join(results, 'report.html'), renderReport('Rampart benchmarks', charts, [latencyTable, injectionTable, piiTable, ...extraTables]))
process.stderr.write(`\nwrote ${results}/ (${asked.length === 0 ? 'every section' : asked.join(', ')}) and report.html\n`)
