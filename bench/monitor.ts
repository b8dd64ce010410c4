/**
 * Monitor benchmark:
 *
 *   npx tsx bench/monitor.ts            # speed at 1M and 4M rows, detection on the shared tabular data
 *   npx tsx bench/monitor.ts --quick    # 1M rows only, 20 random splits per dataset
 *   npx tsx bench/monitor.ts --detection-only [--trials N]
 *
 * 1. Speed and memory: generates a 1,000,000-row × 20-column CSV (and 4,000,000 rows, to show
 *    memory stays flat) in a temp folder, then times `monitor baseline` and `monitor run` in child
 *    processes (one core each: the work is single-threaded), with peak RSS from
 *    process.resourceUsage().maxRSS.
 * 2. Detection on real data (../shared/data/tabular): the natural reference/current splits of its
 *    README must show drift where the data shifts and none in the null control; 100 seeded random
 *    50/50 splits per dataset must give dataset-level drift in at most 5.
 *
 * Prints a table and writes bench/results/monitor.json.
 */
import { spawnSync } from 'node:child_process'
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { monitorBaselineFlagsSchema, monitorRunFlagsSchema, runMonitorBaseline, runMonitorRun } from '../src/cli/commands/monitor.js'
import { parseFlags } from '../src/cli/commands/flags.js'
import { buildBaseline, type Baseline } from '../src/monitor/baseline.js'
import { checkProfiles, currentProfiler, type CheckReport } from '../src/monitor/checks.js'
import { readTable } from '../src/monitor/io/table.js'
import { DatasetProfiler } from '../src/monitor/profile/dataset.js'
import { createRandom, type Random } from '../src/monitor/sketch/random.js'
import { dataDir } from './lib/data.js'

const here = dirname(fileURLToPath(import.meta.url))

// ---------------------------------------------------------------------------------------------
// 1. Speed and memory

const WORDS = 'the a model user request answer data please ignore summary report account order shipping refund price weather today tomorrow help with my your can you tell me about how what why when'.split(' ')
const CATEGORIES = [['red', 'green', 'blue'], ['north', 'south', 'east', 'west'], Array.from({ length: 12 }, (_, i) => `plan_${i}`), ['Private', 'Self-emp', 'Gov', 'Without-pay', 'Never-worked']]
export const SYNTHETIC_HEADER = ['id', 'x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'count', 'age', 'clicks', 'rating', 'color', 'region', 'plan', 'workclass', 'active', 'day', 'comment']

const normal = (r: Random) => Math.sqrt(-2 * Math.log(r.next())) * Math.cos(2 * Math.PI * r.next())

/**
 * Writes `rows` rows of 20 columns: an id, 8 fractional (normal and log-normal, 1 % missing),
 * 4 integral, 4 categorical, a boolean, a date and a short free-text comment (10 % quoted with
 * commas and doubled quotes). `shift` moves the numeric columns (for the check run).
 */
export async function writeSyntheticCsv(file: string, rows: number, seed: number, shift = 0): Promise<void> {
  const r = createRandom(seed)
  const out = createWriteStream(file)
  out.write(`${SYNTHETIC_HEADER.join(',')}\n`)
  let lines: string[] = []
  for (let i = 0; i < rows; i++) {
    const row: (string | number)[] = [i]
    for (let j = 0; j < 8; j++) row.push(r.next() < 0.01 ? '' : (j % 2 ? Math.exp(normal(r) + shift / 4) : normal(r) * (j + 1) + j + shift).toFixed(4))
    row.push(Math.floor(-Math.log(r.next()) * 5), 18 + r.int(60), r.int(1000), 1 + r.int(5))
    for (const c of CATEGORIES) row.push(c[r.int(c.length)] as string)
    row.push(r.next() < 0.3 ? 'true' : 'false')
    row.push(`2024-${String(1 + r.int(12)).padStart(2, '0')}-${String(1 + r.int(28)).padStart(2, '0')}`)
    let text = ''
    const words = 6 + r.int(10)
    for (let k = 0; k < words; k++) text += (k ? ' ' : '') + (WORDS[r.int(WORDS.length)] as string)
    row.push(r.next() < 0.1 ? `"${text}, ""quoted"""` : text)
    lines.push(row.join(','))
    if (lines.length === 10_000) {
      if (!out.write(`${lines.join('\n')}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
      lines = []
    }
  }
  if (lines.length > 0) out.write(`${lines.join('\n')}\n`)
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject)
    out.end(() => resolve())
  })
}

export interface RunFigures {
  rows: number
  wallSeconds: number
  cpuSeconds: number
  rowsPerSecond: number
  peakRssMb: number
}

/** Child process: runs one command exactly as the CLI does and prints its figures as the last line. */
async function child(args: string[]): Promise<void> {
  const [what, a, b, c] = args
  const started = performance.now()
  const cpu0 = process.cpuUsage()
  const stdoutWrite = process.stdout.write.bind(process.stdout)
  let summary = ''
  process.stdout.write = ((chunk: string | Uint8Array) => {
    summary += String(chunk)
    return true
  }) as typeof process.stdout.write
  if (what === 'baseline') await runMonitorBaseline(parseFlags(monitorBaselineFlagsSchema, { data: [a], out: b }))
  else await runMonitorRun(parseFlags(monitorRunFlagsSchema, { baseline: a, data: b, out: c }))
  process.stdout.write = stdoutWrite
  const cpu = process.cpuUsage(cpu0)
  const rows = (JSON.parse(summary.trim().split('\n').pop() as string) as { rows: number }).rows
  const wallSeconds = (performance.now() - started) / 1000
  const figures: RunFigures = {
    rows,
    wallSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rowsPerSecond: rows / ((cpu.user + cpu.system) / 1e6),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }
  process.stdout.write(`${JSON.stringify(figures)}\n`)
}

function runChild(args: string[]): RunFigures {
  const res = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', ...args], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] })
  if (res.status !== 0) throw new Error(`child ${args.join(' ')} failed with status ${res.status}`)
  return JSON.parse(res.stdout.trim().split('\n').pop() as string) as RunFigures
}

export interface SpeedResult {
  rows: number
  fileMb: number
  baseline: RunFigures
  run: RunFigures
}

async function speedBench(sizes: number[], dir: string): Promise<SpeedResult[]> {
  const out: SpeedResult[] = []
  for (const rows of sizes) {
    const reference = join(dir, `reference-${rows}.csv`)
    const current = join(dir, `current-${rows}.csv`)
    process.stderr.write(`generating ${rows.toLocaleString('en-US')} × 20 CSV files …\n`)
    await writeSyntheticCsv(reference, rows, 1)
    await writeSyntheticCsv(current, rows, 2, 0.5)
    const baselineDir = join(dir, `baseline-${rows}`)
    process.stderr.write(`monitor baseline (${rows.toLocaleString('en-US')} rows) …\n`)
    const baseline = runChild(['baseline', reference, baselineDir])
    process.stderr.write(`monitor run (${rows.toLocaleString('en-US')} rows) …\n`)
    const run = runChild(['run', baselineDir, current, join(dir, `run-${rows}`)])
    out.push({ rows, fileMb: statSync(reference).size / 1e6, baseline, run })
    rmSync(reference, { force: true })
    rmSync(current, { force: true })
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// 2. Detection on the shared tabular data

interface Table {
  header: string[]
  rows: string[][]
}

async function loadTable(name: string): Promise<Table> {
  let header: string[] = []
  const rows: string[][] = []
  for await (const b of readTable(join(dataDir(), 'tabular', name))) {
    if (b.kind !== 'cells') continue
    header = b.header
    rows.push(...b.rows)
  }
  return { header, rows }
}

type Predicate = (get: (column: string) => string) => boolean

export interface NaturalSplit {
  dataset: string
  name: string
  reference: Predicate
  current: Predicate
  /** Columns that define the split (constant on each side), left out of both. */
  drop: string[]
  /** Features the README says shift; empty for the null control. */
  expect: string[]
  /** The null control must show no dataset-level drift. */
  control?: boolean
}

const num = (v: string) => Number(v)

export const NATURAL_SPLITS: NaturalSplit[] = [
  { dataset: 'adult.csv', name: 'by sex (Male → Female)', reference: (g) => g('sex') === 'Male', current: (g) => g('sex') === 'Female', drop: ['sex'], expect: ['hours_per_week', 'marital_status', 'income'] },
  { dataset: 'adult.csv', name: 'by age band (<35 → ≥35)', reference: (g) => num(g('age')) < 35, current: (g) => num(g('age')) >= 35, drop: ['age'], expect: ['income', 'marital_status'] },
  { dataset: 'adult.csv', name: 'null control (train → test)', reference: (g) => g('split') === 'train', current: (g) => g('split') === 'test', drop: ['split'], expect: [], control: true },
  { dataset: 'bike_sharing_hour.csv', name: 'by year (2011 → 2012)', reference: (g) => g('yr') === '0', current: (g) => g('yr') === '1', drop: ['yr', 'instant', 'dteday'], expect: ['cnt', 'registered'] },
  { dataset: 'bike_sharing_hour.csv', name: 'by season (winter → summer)', reference: (g) => g('season') === '1', current: (g) => g('season') === '3', drop: ['season', 'mnth'], expect: ['temp', 'atemp', 'cnt', 'casual'] },
  {
    dataset: 'bike_sharing_hour.csv',
    name: 'time windows (2011 H1 → 2012 H2)',
    reference: (g) => g('yr') === '0' && num(g('mnth')) <= 6,
    current: (g) => g('yr') === '1' && num(g('mnth')) >= 7,
    drop: ['yr', 'mnth', 'instant', 'dteday', 'season'],
    expect: ['cnt'],
  },
  { dataset: 'california_housing.csv', name: 'coastal → inland', reference: (g) => g('ocean_proximity') !== 'INLAND', current: (g) => g('ocean_proximity') === 'INLAND', drop: ['ocean_proximity'], expect: ['median_house_value', 'median_income'] },
  { dataset: 'california_housing.csv', name: 'south → north', reference: (g) => num(g('latitude')) < 35, current: (g) => num(g('latitude')) >= 35, drop: ['latitude'], expect: ['longitude', 'ocean_proximity'] },
  { dataset: 'credit_default_taiwan.csv', name: 'by education (graduate → high school)', reference: (g) => g('EDUCATION') === '1', current: (g) => g('EDUCATION') === '3', drop: ['EDUCATION'], expect: ['LIMIT_BAL'] },
  { dataset: 'credit_default_taiwan.csv', name: 'by age (<30 → ≥40)', reference: (g) => num(g('AGE')) < 30, current: (g) => num(g('AGE')) >= 40, drop: ['AGE'], expect: ['LIMIT_BAL'] },
  { dataset: 'credit_default_taiwan.csv', name: 'by sex (female → male)', reference: (g) => g('SEX') === '2', current: (g) => g('SEX') === '1', drop: ['SEX'], expect: [] },
  { dataset: 'wine_quality.csv', name: 'red → white', reference: (g) => g('color') === 'red', current: (g) => g('color') === 'white', drop: ['color'], expect: ['residual_sugar', 'total_sulfur_dioxide', 'volatile_acidity'] },
]

export const DATASETS = ['adult.csv', 'bike_sharing_hour.csv', 'california_housing.csv', 'credit_default_taiwan.csv', 'wine_quality.csv']

function compare(table: Table, reference: string[][], current: string[][], drop: string[] = [], seed = 1): CheckReport {
  const keep = table.header.map((_, i) => i).filter((i) => !drop.includes(table.header[i] as string))
  const header = keep.map((i) => table.header[i] as string)
  const project = (row: string[]) => keep.map((i) => row[i] as string)
  const ref = new DatasetProfiler({ seed })
  for (const row of reference) ref.addCells(header, project(row))
  const baseline = buildBaseline(ref)
  const cur = currentProfiler(baseline)
  for (const row of current) cur.addCells(header, project(row))
  return checkProfiles(baseline, cur)
}

export interface NaturalResult {
  dataset: string
  split: string
  referenceRows: number
  currentRows: number
  drifted: string[]
  tested: number
  driftShare: number
  datasetDrift: boolean
  expected: string[]
  expectedFound: number
  control: boolean
  /** The split behaved as the README describes: expected features drifted (or, for the control, no dataset drift). */
  pass: boolean
}

export interface RandomResult {
  dataset: string
  trials: number
  datasetDriftAlarms: number
  /** Trials in which at least one feature was called drifted. */
  trialsWithAnyFeatureDrift: number
  meanDriftShare: number
  secondsPerTrial: number
  pass: boolean
}

/** The baseline with its calibration removed: every distance judged against the fixed 0.1 (Evidently's default). */
function fixedThresholds(baseline: Baseline): Baseline {
  return { ...baseline, constraints: { ...baseline.constraints, features: baseline.constraints.features.map((f) => ({ ...f, drift: { ...f.drift, calibration: undefined } })) } }
}

export interface SmallWindowResult {
  dataset: string
  /** Rows per current window. */
  windowRows: number
  windows: number
  /** Same-distribution windows: share of tested features called drifted, and windows with dataset drift. */
  random: { calibrated: { featureAlarmRate: number; datasetAlarms: number }; fixed: { featureAlarmRate: number; datasetAlarms: number } }
}

/**
 * Small current windows against a large reference, the case where fixed distance thresholds fail:
 * one baseline from a random half of each dataset, then `windows` random windows of `windowRows`
 * rows from the other half, judged with calibrated and with fixed (0.1) thresholds.
 */
function smallWindowBench(table: Table, dataset: string, windows: number, windowRows: number): SmallWindowResult {
  const r = createRandom(77)
  const a: string[][] = []
  const b: string[][] = []
  for (const row of table.rows) (r.next() < 0.5 ? a : b).push(row)
  const ref = new DatasetProfiler({ seed: 3 })
  for (const row of a) ref.addCells(table.header, row)
  const calibrated = buildBaseline(ref)
  const fixed = fixedThresholds(calibrated)
  const tally = { calibrated: { alarms: 0, tested: 0, dataset: 0 }, fixed: { alarms: 0, tested: 0, dataset: 0 } }
  for (let w = 0; w < windows; w++) {
    const picked: string[][] = []
    for (let i = 0; i < windowRows; i++) picked.push(b[r.int(b.length)] as string[])
    for (const [name, baseline] of [
      ['calibrated', calibrated],
      ['fixed', fixed],
    ] as const) {
      const cur = currentProfiler(baseline)
      for (const row of picked) cur.addCells(table.header, row)
      const report = checkProfiles(baseline, cur)
      tally[name].alarms += report.datasetDrift.drifted
      tally[name].tested += report.datasetDrift.tested
      if (report.datasetDrift.violated) tally[name].dataset++
    }
  }
  const rate = (t: { alarms: number; tested: number }) => (t.tested > 0 ? t.alarms / t.tested : 0)
  return {
    dataset: dataset.replace(/\.csv$/, ''),
    windowRows,
    windows,
    random: {
      calibrated: { featureAlarmRate: rate(tally.calibrated), datasetAlarms: tally.calibrated.dataset },
      fixed: { featureAlarmRate: rate(tally.fixed), datasetAlarms: tally.fixed.dataset },
    },
  }
}

async function detectionBench(trials: number): Promise<{ natural: NaturalResult[]; random: RandomResult[]; smallWindows: SmallWindowResult[] }> {
  const tables = new Map<string, Table>()
  for (const name of DATASETS) tables.set(name, await loadTable(name))
  const natural: NaturalResult[] = []
  for (const split of NATURAL_SPLITS) {
    const t = tables.get(split.dataset) as Table
    const getter = (row: string[]) => (column: string) => row[t.header.indexOf(column)] as string
    const reference = t.rows.filter((r) => split.reference(getter(r)))
    const current = t.rows.filter((r) => split.current(getter(r)))
    const report = compare(t, reference, current, split.drop)
    const drifted = report.features.filter((f) => f.drift?.drifted).map((f) => f.name)
    const expectedFound = split.expect.filter((e) => drifted.includes(e)).length
    natural.push({
      dataset: split.dataset.replace(/\.csv$/, ''),
      split: split.name,
      referenceRows: reference.length,
      currentRows: current.length,
      drifted,
      tested: report.datasetDrift.tested,
      driftShare: report.datasetDrift.share,
      datasetDrift: report.datasetDrift.violated,
      expected: split.expect,
      expectedFound,
      control: split.control === true,
      pass: split.control ? !report.datasetDrift.violated : expectedFound === split.expect.length,
    })
    process.stderr.write(`  ${split.dataset} ${split.name}: ${drifted.length}/${report.datasetDrift.tested} drifted\n`)
  }
  const random: RandomResult[] = []
  for (const name of DATASETS) {
    const t = tables.get(name) as Table
    let alarms = 0
    let anyFeature = 0
    let shareSum = 0
    const started = performance.now()
    for (let trial = 0; trial < trials; trial++) {
      const r = createRandom(10_000 + trial)
      const a: string[][] = []
      const b: string[][] = []
      for (const row of t.rows) (r.next() < 0.5 ? a : b).push(row)
      const report = compare(t, a, b, [], trial + 1)
      if (report.datasetDrift.violated) alarms++
      if (report.datasetDrift.drifted > 0) anyFeature++
      shareSum += report.datasetDrift.share
    }
    const seconds = (performance.now() - started) / 1000
    random.push({ dataset: name.replace(/\.csv$/, ''), trials, datasetDriftAlarms: alarms, trialsWithAnyFeatureDrift: anyFeature, meanDriftShare: shareSum / trials, secondsPerTrial: seconds / trials, pass: alarms <= Math.floor(trials * 0.05) })
    process.stderr.write(`  ${name}: ${alarms}/${trials} random splits with dataset drift (${(seconds / trials).toFixed(2)} s per trial)\n`)
  }
  const smallWindows: SmallWindowResult[] = []
  for (const name of DATASETS) {
    const s = smallWindowBench(tables.get(name) as Table, name, trials, 200)
    smallWindows.push(s)
    process.stderr.write(`  ${name}: 200-row windows, feature false alarms ${(100 * s.random.calibrated.featureAlarmRate).toFixed(1)} % calibrated vs ${(100 * s.random.fixed.featureAlarmRate).toFixed(1)} % fixed\n`)
  }
  return { natural, random, smallWindows }
}

// ---------------------------------------------------------------------------------------------

export interface MonitorBenchResult {
  speed: SpeedResult[]
  natural: NaturalResult[]
  random: RandomResult[]
  smallWindows: SmallWindowResult[]
  targets: { baseline1mSeconds: number; peakRssMb: number; randomAlarmsPer100: number }
}

export async function runMonitorBench(options: { quick?: boolean; trials?: number; sizes?: number[] } = {}): Promise<MonitorBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-monitor-bench-'))
  try {
    const sizes = options.sizes ?? (options.quick ? [1_000_000] : [1_000_000, 4_000_000])
    const speed = await speedBench(sizes, dir)
    process.stderr.write('detection on the shared tabular data …\n')
    const { natural, random, smallWindows } = await detectionBench(options.trials ?? (options.quick ? 20 : 100))
    return { speed, natural, random, smallWindows, targets: { baseline1mSeconds: 20, peakRssMb: 500, randomAlarmsPer100: 5 } }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const pad = (s: string | number, n: number) => String(s).padEnd(n)
const lpad = (s: string | number, n: number) => String(s).padStart(n)

export function formatMonitorBench(r: MonitorBenchResult): string {
  const lines: string[] = []
  lines.push('Monitor: speed and memory (synthetic CSV, 20 columns; one core per command)')
  lines.push(`${pad('rows', 11)}${pad('file MB', 9)}${pad('command', 10)}${lpad('CPU s', 8)}${lpad('wall s', 8)}${lpad('rows/s (CPU)', 14)}${lpad('peak RSS MB', 13)}`)
  for (const s of r.speed) {
    for (const [cmd, f] of [
      ['baseline', s.baseline],
      ['run', s.run],
    ] as const) {
      lines.push(`${pad(s.rows.toLocaleString('en-US'), 11)}${pad(s.fileMb.toFixed(0), 9)}${pad(cmd, 10)}${lpad(f.cpuSeconds.toFixed(1), 8)}${lpad(f.wallSeconds.toFixed(1), 8)}${lpad(Math.round(f.rowsPerSecond).toLocaleString('en-US'), 14)}${lpad(f.peakRssMb.toFixed(0), 13)}`)
    }
  }
  lines.push('', 'Monitor: natural splits (../shared/data/tabular/README.md)')
  lines.push(`${pad('dataset', 24)}${pad('split', 40)}${lpad('drifted', 9)}${lpad('share', 7)}  ${pad('dataset drift', 14)}${pad('expected found', 16)}ok`)
  for (const n of r.natural) {
    lines.push(`${pad(n.dataset, 24)}${pad(n.split, 40)}${lpad(`${n.drifted.length}/${n.tested}`, 9)}${lpad(n.driftShare.toFixed(2), 7)}  ${pad(n.datasetDrift ? 'yes' : 'no', 14)}${pad(n.control ? '(control)' : `${n.expectedFound}/${n.expected.length}`, 16)}${n.pass ? 'yes' : 'NO'}`)
  }
  lines.push('', 'Monitor: seeded random 50/50 splits (no drift by construction)')
  lines.push(`${pad('dataset', 24)}${lpad('dataset drift', 14)}${lpad('any feature', 13)}${lpad('mean share', 12)}${lpad('s/trial', 9)}  ok`)
  for (const x of r.random) lines.push(`${pad(x.dataset, 24)}${lpad(`${x.datasetDriftAlarms}/${x.trials}`, 14)}${lpad(`${x.trialsWithAnyFeatureDrift}/${x.trials}`, 13)}${lpad(x.meanDriftShare.toFixed(3), 12)}${lpad(x.secondsPerTrial.toFixed(2), 9)}  ${x.pass ? 'yes' : 'NO'}`)
  lines.push('', 'Monitor: 200-row windows of the same distribution against a half-dataset baseline (false alarms)')
  lines.push(`${pad('dataset', 24)}${lpad('windows', 9)}${lpad('features drifted: calibrated', 30)}${lpad('fixed 0.1', 11)}${lpad('dataset drift: calibrated', 27)}${lpad('fixed 0.1', 11)}`)
  for (const w of r.smallWindows) {
    lines.push(`${pad(w.dataset, 24)}${lpad(w.windows, 9)}${lpad(`${(100 * w.random.calibrated.featureAlarmRate).toFixed(1)} %`, 30)}${lpad(`${(100 * w.random.fixed.featureAlarmRate).toFixed(1)} %`, 11)}${lpad(`${w.random.calibrated.datasetAlarms}/${w.windows}`, 27)}${lpad(`${w.random.fixed.datasetAlarms}/${w.windows}`, 11)}`)
  }
  return lines.join('\n')
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]
if (isMain) {
  const args = process.argv.slice(2)
  if (args[0] === '--child') await child(args.slice(1))
  else {
    const trialsArg = args.indexOf('--trials')
    const result = await runMonitorBench({ quick: args.includes('--quick'), ...(args.includes('--detection-only') ? { sizes: [] } : {}), ...(trialsArg >= 0 ? { trials: Number(args[trialsArg + 1]) } : {}) })
    console.log(formatMonitorBench(result))
    const results = join(here, 'results')
    if (!existsSync(results)) mkdirSync(results, { recursive: true })
    writeFileSync(join(results, 'monitor.json'), `${JSON.stringify({ ...result, generatedAt: new Date().toISOString() }, null, 2)}\n`)
  }
}
