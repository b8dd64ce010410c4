/**
 * Prompt-injection benchmark: Rampart's `prompt_injection` scanner — every detector
 * configuration (`heuristic`, `model`, `ensemble`) — side by side with the offline detectors of
 * `@andersmyrmel/vard` and `@presidio-dev/hai-guardrails`, in one run, on
 * `prompt-injection/dev.jsonl` from RAMPART_DATA_DIR (default ../shared/data): precision, recall,
 * F1, FPR (all benign and benign-hard rows), recall per mutation family, p50/p99 latency and
 * throughput on one core (the whole file, and prompts under 500 characters).
 *
 *   npx tsx bench/injection.ts          # prints the table, writes bench/results/injection.json
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import vard from '@andersmyrmel/vard'
import { MetricsAccumulator } from '../src/adversarial/evaluate.js'
import { keyedRng, mutate, MUTATION_FAMILIES } from '../src/adversarial/mutate.js'
// The built package (dist/), as users run it: tsx-transpiled src/ runs the scanners ~20 % slower.
import { createGuard } from '../dist/guard.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

interface Row {
  text: string
  label: number
  source: string
  kind: string
}

/** A detector under test: returns true when it flags the text as an injection. */
interface Contender {
  name: string
  /** Evaluate on an evenly spaced sample of this many rows (for detectors too slow for the whole file). */
  sample?: number
  detect(text: string): boolean | Promise<boolean>
}

export interface ToolResult {
  name: string
  precision: number
  recall: number
  f1: number
  /** False-positive rate on all benign rows (benign + benign-hard), 0..1. */
  fpr: number
  /** False-positive rate on `kind` = benign-hard rows, 0..1. */
  fprBenignHard: number
  recallByKind: Record<string, number>
  /** Per-call latency, milliseconds. */
  latencyP50Ms: number
  latencyP99Ms: number
  /** Sequential calls per second on one core over the whole file. */
  throughputPerSec: number
  /** Sequential calls per second on one core over the rows of under 500 characters. */
  shortThroughputPerSec: number
  errors: number
}

/** Rampart's detector configurations, in the order the tables list them. */
export const RAMPART_DETECTORS = ['heuristic', 'model', 'ensemble'] as const
export type RampartDetector = (typeof RAMPART_DETECTORS)[number]
/** The name a configuration has in the tables. */
export const rampartName = (d: RampartDetector): string => `rampart (${d})`

export interface InjectionBenchResult {
  dataset: string
  rows: number
  tools: ToolResult[]
  /** The default configuration (what `createGuard({ only: ['prompt_injection'] })` runs). */
  defaultDetector: string
  /** The default configuration's value divided by each peer's: f1 (higher is better), p99 latency (lower is better). */
  ratios: Record<string, { f1: number; latencyP99: number; throughput: number }>
  /** Each Rampart configuration's F1 minus the best peer's F1 (peers that score the whole file). */
  f1MarginOverBestPeer: Record<string, number>
  /**
   * Rampart scanner latency on 2 KB prompts built from dev rows, per configuration,
   * milliseconds: over all calls, and over each prompt's median of 15 calls (which removes
   * scheduler and GC noise from a shared machine and leaves the cost of the prompt itself), after
   * a warm-up; `cold*` over the first pass of a new guard (see rampart2kb).
   */
  rampart2kb: Record<string, { p50Ms: number; p99Ms: number; p99OfMediansMs: number; coldP50Ms?: number; coldP99Ms?: number }>
  /**
   * Recall on the dev attacks after one mutation each (detector → family → recall), for
   * the detectors that score the whole file. The same attacks unmodified are the `plain` column.
   */
  obfuscatedRecall: Record<string, Record<string, number>>
  /** Per detector: the lowest and highest recall over the mutation families (`plain` excluded). */
  familyRecallRange: Record<string, { min: number; minFamily: string; max: number; maxFamily: string }>
  generatedAt: string
}

/** Seed of the bench's variants: each attack's variant in a family is keyedRng(BENCH_SEED, text, family). */
export const BENCH_SEED = 0

/**
 * Mutations an attacker applies to a known attack, each keeping the attack's meaning: every
 * family of src/adversarial/mutate.ts, plus `plain` (the attack unmodified). A variant depends
 * only on the attack text and the family, so runs and subsets agree. Templates come from the
 * `test` pool: a detector trained on `train`-pool variants is measured on frames it never saw.
 */
export const OBFUSCATIONS: Record<string, (text: string) => string> = {
  plain: (t) => t,
  ...Object.fromEntries(MUTATION_FAMILIES.map((family) => [family, (t: string) => mutate(t, family, keyedRng(BENCH_SEED, t, family), { pool: 'test' })])),
}

async function obfuscatedRecall(contenders: Contender[], rows: Row[]): Promise<Record<string, Record<string, number>>> {
  // Payload-sized attacks: very long jailbreak templates are rarely smuggled whole.
  const attacks = rows.filter((r) => r.label === 1 && r.text.length <= 2000)
  const out: Record<string, Record<string, number>> = {}
  for (const c of contenders) {
    if (c.sample !== undefined) continue
    const perFamily: Record<string, number> = {}
    for (const [family, mutate] of Object.entries(OBFUSCATIONS)) {
      let hit = 0
      for (const r of attacks) if (await c.detect(mutate(r.text))) hit++
      perFamily[family] = round(hit / Math.max(1, attacks.length))
    }
    out[c.name] = perFamily
  }
  return out
}

export interface InjectionBenchOptions {
  /** Folder holding prompt-injection/dev.jsonl; defaults to RAMPART_DATA_DIR or ../shared/data. */
  dataDir?: string
  /** Use only the first N rows (quick runs). */
  limit?: number
  /** Print the table to stdout. Default true. */
  print?: boolean
}

function dataDirFrom(option?: string): string {
  return option ?? process.env.RAMPART_DATA_DIR ?? resolve(ROOT, '../shared/data')
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
}

/**
 * hai-guardrails' offline injection detectors, run in-process. Its published bundle cannot be
 * imported: the heuristic tactic starts a piscina worker pool at module load whose worker path
 * points at the package author's CI machine (/home/runner/...), and the unhandled error ends the
 * process. So the bench loads the package's own keyword list, regex list and heuristic worker
 * function from its dist files and applies them exactly as `injectionGuard` does
 * (normalizeString, score = max over keywords, fail when score ≥ threshold 0.7).
 */
async function loadHaiGuardrails(): Promise<{ pattern: (t: string) => boolean; heuristic: (t: string) => Promise<boolean> }> {
  const dist = join(ROOT, 'node_modules', '@presidio-dev', 'hai-guardrails', 'dist')
  const src = readFileSync(join(dist, 'index.js'), 'utf8')
  const from = src.indexOf('function generateInjectionKeywords()')
  const patternsAt = src.indexOf('var InjectionPatterns = [', from)
  const to = src.indexOf('\n];', patternsAt) + 3
  if (from < 0 || patternsAt < 0 || to < 3) throw new Error('hai-guardrails: injection keyword/pattern tables not found in dist/index.js')
  const tables = new Function(`${src.slice(from, to)}\nreturn { InjectionKeywords, InjectionPatterns }`)() as { InjectionKeywords: string[]; InjectionPatterns: RegExp[] }
  const worker = (await import(pathToFileURL(join(dist, 'workers', 'heuristic.worker.js')).href)) as {
    default: (args: { input: string; keyword: string; threshold: number }) => Promise<{ score: number }>
  }
  const normalizeString = (str: string): string => str.toLowerCase().replace(/[^\w\s]|_/g, '').replace(/\s+/g, ' ').trim()
  const threshold = 0.7
  return {
    pattern: (text) => tables.InjectionPatterns.some((re) => re.test(normalizeString(text))),
    heuristic: async (text) => {
      let best = 0
      for (const keyword of tables.InjectionKeywords) {
        const r = await worker.default({ input: text, keyword, threshold })
        if (r.score > best) best = r.score
        if (best >= threshold) break
      }
      return best >= threshold
    },
  }
}

/** A one-scanner guard running `prompt_injection` with one detector configuration. */
function rampartGuard(detector: RampartDetector): ReturnType<typeof createGuard> {
  return createGuard({ policy: { version: 1, input: { prompt_injection: { options: { detector } } }, output: {} } })
}

async function contenders(): Promise<Contender[]> {
  const rampart: Contender[] = []
  for (const d of RAMPART_DETECTORS) {
    const guard = await rampartGuard(d)
    rampart.push({ name: rampartName(d), detect: async (text) => (await guard.scanInput(text)).decision === 'block' })
  }
  // vard's default preset (moderate, threshold 0.7); maxLength raised so long documents are scored, not refused.
  const vardGuard = vard.moderate().maxLength(1_000_000)
  const hai = await loadHaiGuardrails()
  return [
    ...rampart,
    { name: '@andersmyrmel/vard', detect: (text) => !vardGuard.safeParse(text).safe },
    { name: 'hai-guardrails (pattern)', detect: hai.pattern },
    { name: 'hai-guardrails (heuristic)', detect: hai.heuristic, sample: 30 },
  ]
}

async function evaluate(c: Contender, rows: Row[]): Promise<ToolResult> {
  // Warm up (JIT, lazy compilation) on a slice before timing: 300 rows, as 50 left the first
  // detector of the process measuring V8's compilation (rampart (heuristic), first to run, p99
  // 4.5 ms on the dev rows after 50 rows, 1.7 ms after more). A sampled peer warms on its sample.
  for (const r of rows.slice(0, 300)) await c.detect(r.text)
  // The same counting as `rampart eval`; an attack's `kind` is its family, so recall per family is recall per kind.
  const metrics = new MetricsAccumulator()
  let errors = 0
  const times: number[] = []
  const t0 = performance.now()
  for (const r of rows) {
    const s = performance.now()
    let flagged: boolean
    try {
      flagged = await c.detect(r.text)
    } catch {
      errors++
      flagged = false
    }
    times.push(performance.now() - s)
    metrics.add({ label: r.label === 1 ? 1 : 0, flagged, kind: r.kind, family: r.kind })
  }
  const total = performance.now() - t0
  // Throughput on short prompts (< 500 characters), three passes after the warm-up above.
  const short = rows.filter((r) => r.text.length < 500)
  const s0 = performance.now()
  for (let pass = 0; pass < 3; pass++) {
    for (const r of short) {
      try {
        await c.detect(r.text)
      } catch {
        // Counted above.
      }
    }
  }
  const shortTotal = performance.now() - s0
  times.sort((a, b) => a - b)
  const m = metrics.result()
  const recallByKind: Record<string, number> = {}
  for (const [kind, f] of Object.entries(m.recallByFamily ?? {})) recallByKind[kind] = round(f.recall)
  return {
    name: c.name,
    precision: round(m.precision),
    recall: round(m.recall),
    f1: round(m.f1),
    fpr: round(m.fpr),
    fprBenignHard: round(m.benignHard?.fpr ?? 0),
    recallByKind,
    latencyP50Ms: round(quantile(times, 0.5), 4),
    latencyP99Ms: round(quantile(times, 0.99), 4),
    throughputPerSec: Math.round((rows.length / total) * 1000),
    shortThroughputPerSec: short.length === 0 ? 0 : Math.round(((3 * short.length) / shortTotal) * 1000),
    errors,
  }
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Untimed passes over the 2 KB prompts after the timed first pass (see rampart2kb). */
const WARM_PASSES = 5

async function rampart2kb(rows: Row[], detector: RampartDetector): Promise<InjectionBenchResult['rampart2kb'][string]> {
  const guard = await rampartGuard(detector)
  const prompts: string[] = []
  let cur = ''
  for (const r of rows) {
    cur += `${r.text}\n`
    if (cur.length >= 2048) {
      prompts.push(cur.slice(0, 2048))
      cur = ''
    }
  }
  // The first pass over the prompts is timed on its own (a new process, V8 still compiling), then
  // WARM_PASSES more run untimed: the scanner reaches its steady speed only after ~1,000 scans
  // (26 Nov, mean per pass of 15 after a single warm pass: 0.67, 0.67, 0.44, 0.45, 0.51 … 0.36 ms;
  // p99 1.05 ms over those 15, 0.63 ms after five warm passes). A guard in service runs warm.
  const cold: number[] = []
  for (const p of prompts) {
    const s = performance.now()
    await guard.scanInput(p)
    cold.push(performance.now() - s)
  }
  for (let pass = 0; pass < WARM_PASSES; pass++) for (const p of prompts) await guard.scanInput(p)
  cold.sort((a, b) => a - b)
  const times: number[] = []
  const perPrompt: number[][] = prompts.map(() => [])
  for (let rep = 0; rep < 15; rep++) {
    for (let k = 0; k < prompts.length; k++) {
      const s = performance.now()
      await guard.scanInput(prompts[k] as string)
      const t = performance.now() - s
      times.push(t)
      ;(perPrompt[k] as number[]).push(t)
    }
  }
  times.sort((a, b) => a - b)
  const medians = perPrompt.map((ts) => quantile(ts.sort((a, b) => a - b), 0.5)).sort((a, b) => a - b)
  return { p50Ms: round(quantile(times, 0.5), 4), p99Ms: round(quantile(times, 0.99), 4), p99OfMediansMs: round(quantile(medians, 0.99), 4), coldP50Ms: round(quantile(cold, 0.5), 4), coldP99Ms: round(quantile(cold, 0.99), 4) }
}

/** The detector `prompt_injection` runs with its default options (the default configuration). */
async function configuredDetector(): Promise<RampartDetector> {
  const { promptInjectionOptionsSchema } = await import('../dist/scanners/prompt_injection/index.js')
  return promptInjectionOptionsSchema.parse({}).detector
}

/** Runs the benchmark and returns its results (also printed unless `print: false`). */
export async function runInjectionBench(options: InjectionBenchOptions = {}): Promise<InjectionBenchResult> {
  const file = join(dataDirFrom(options.dataDir), 'prompt-injection', 'dev.jsonl')
  if (!existsSync(file)) {
    throw new Error(`injection bench: ${file} is missing; set RAMPART_DATA_DIR to the folder that holds prompt-injection/dev.jsonl`)
  }
  let rows: Row[] = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row)
  if (options.limit !== undefined) rows = rows.slice(0, options.limit)
  const tools: ToolResult[] = []
  const all = await contenders()
  for (const c of all) {
    const subset = c.sample !== undefined && c.sample < rows.length ? rows.filter((_, i) => i % Math.ceil(rows.length / c.sample!) === 0) : rows
    const r = await evaluate(c, subset)
    if (subset !== rows) r.name = `${r.name} [${subset.length}-row sample]`
    tools.push(r)
  }
  const defaultDetector = await configuredDetector()
  const ours = tools.find((t) => t.name === rampartName(defaultDetector)) as ToolResult
  const peers = tools.filter((t) => !t.name.startsWith('rampart'))
  const ratios: InjectionBenchResult['ratios'] = {}
  for (const t of peers) {
    ratios[t.name] = {
      f1: round(t.f1 === 0 ? Infinity : ours.f1 / t.f1),
      // Significant digits, not decimals: against a detector 10,000× slower the ratio is tiny, not 0.
      latencyP99: Number((ours.latencyP99Ms / Math.max(1e-6, t.latencyP99Ms)).toPrecision(3)),
      throughput: round(ours.throughputPerSec / Math.max(1, t.throughputPerSec)),
    }
  }
  // Peers evaluated on a sample are not comparable on F1 (their F1 is on 30 rows).
  const bestPeerF1 = Math.max(0, ...peers.filter((t) => !t.name.includes('sample')).map((t) => t.f1))
  const f1MarginOverBestPeer: Record<string, number> = {}
  for (const d of RAMPART_DETECTORS) f1MarginOverBestPeer[rampartName(d)] = round((tools.find((t) => t.name === rampartName(d))?.f1 ?? 0) - bestPeerF1)
  const latency2kb: InjectionBenchResult['rampart2kb'] = {}
  for (const d of RAMPART_DETECTORS) latency2kb[rampartName(d)] = await rampart2kb(rows, d)
  const obfuscated = await obfuscatedRecall(all, rows)
  const familyRecallRange: InjectionBenchResult['familyRecallRange'] = {}
  for (const [name, perFamily] of Object.entries(obfuscated)) {
    const entries = Object.entries(perFamily).filter(([f]) => f !== 'plain')
    const min = entries.reduce((a, b) => (b[1] < a[1] ? b : a))
    const max = entries.reduce((a, b) => (b[1] > a[1] ? b : a))
    familyRecallRange[name] = { min: min[1], minFamily: min[0], max: max[1], maxFamily: max[0] }
  }
  const result: InjectionBenchResult = {
    dataset: file,
    rows: rows.length,
    tools,
    defaultDetector: rampartName(defaultDetector),
    ratios,
    f1MarginOverBestPeer,
    rampart2kb: latency2kb,
    obfuscatedRecall: obfuscated,
    familyRecallRange,
    generatedAt: new Date().toISOString(),
  }
  if (options.print !== false) printTable(result)
  return result
}

/** The results as markdown tables (README-ready). */
export function formatInjectionTable(result: InjectionBenchResult): string {
  const kinds = ['direct-injection', 'indirect-injection', 'jailbreak']
  const lines = [
    `Prompt injection — ${result.rows} rows of dev.jsonl (default configuration: ${result.defaultDetector})`,
    '',
    `| detector | precision | recall | F1 | FPR | FPR benign-hard | ${kinds.map((k) => `recall ${k}`).join(' | ')} | p50 ms | p99 ms | calls/s | calls/s (< 500 chars) |`,
    `| --- | ${'--- | '.repeat(9 + kinds.length).trim()}`,
  ]
  for (const t of result.tools) {
    lines.push(
      `| ${t.name} | ${t.precision.toFixed(3)} | ${t.recall.toFixed(3)} | ${t.f1.toFixed(3)} | ${t.fpr.toFixed(3)} | ${t.fprBenignHard.toFixed(3)} | ${kinds
        .map((k) => (t.recallByKind[k] ?? 0).toFixed(3))
        .join(' | ')} | ${t.latencyP50Ms.toFixed(3)} | ${t.latencyP99Ms.toFixed(3)} | ${t.throughputPerSec} | ${t.shortThroughputPerSec} |`,
    )
  }
  lines.push('')
  for (const [name, margin] of Object.entries(result.f1MarginOverBestPeer)) lines.push(`${name}: F1 ${margin >= 0 ? '+' : ''}${margin.toFixed(3)} over the best peer`)
  for (const [peer, r] of Object.entries(result.ratios)) {
    lines.push(`${result.defaultDetector} / ${peer}: F1 ×${r.f1}, p99 latency ×${r.latencyP99}, throughput ×${r.throughput}`)
  }
  lines.push('', `2 KB prompts (one-scanner guard, 300 prompts × 15 calls after ${WARM_PASSES + 1} warm-up passes; cold: the first pass of a new guard):`, '')
  lines.push('| detector | p50 ms | p99 ms | p99 of per-prompt medians ms | cold p50 ms | cold p99 ms |', '| --- | --- | --- | --- | --- | --- |')
  for (const [name, l] of Object.entries(result.rampart2kb)) lines.push(`| ${name} | ${l.p50Ms} | ${l.p99Ms} | ${l.p99OfMediansMs} | ${l.coldP50Ms ?? '–'} | ${l.coldP99Ms ?? '–'} |`)
  const families = Object.keys(OBFUSCATIONS)
  lines.push('', 'Recall on dev attacks (≤ 2,000 characters) after one mutation (src/adversarial/mutate.ts, seed 0, test templates)', '')
  lines.push(`| detector | ${families.join(' | ')} | min | max |`, `| --- | ${families.map(() => '---').join(' | ')} | --- | --- |`)
  for (const [name, perFamily] of Object.entries(result.obfuscatedRecall)) {
    const range = result.familyRecallRange[name]
    const span = range === undefined ? ' | |' : ` | ${range.min.toFixed(3)} (${range.minFamily}) | ${range.max.toFixed(3)} (${range.maxFamily}) |`
    lines.push(`| ${name} | ${families.map((f) => (perFamily[f] ?? 0).toFixed(3)).join(' | ')}${span}`)
  }
  return lines.join('\n')
}

function printTable(result: InjectionBenchResult): void {
  console.log(formatInjectionTable(result))
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await runInjectionBench()
  const out = join(ROOT, 'bench', 'results', 'injection.json')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
  console.log(`\nwrote ${out}`)
}
