/**
 * Data-integrity benchmark: seeded poison in the real tables and texts of ../shared/data, found by
 * `scanDataset` and by the two simplest honest baselines, run in the same process on the same
 * features; then time and memory per 100,000 rows, and signing/verifying a generated 1 GB file.
 *
 *   npx tsx bench/integrity.ts [--quick] [--only NAME] [--sign-mb N] [--skip-sign] [--skip-scale]
 *
 * Poison (same seeds every run): uniform label flips of 5 % and 10 % of the rows (a flipped row
 * gets another class at random), targeted flips (20 % of one class moved to another: spam → ham,
 * >50K → <=50K, default → no default, Business → Sci/Tech, red → white), and backdoors planted in
 * 1 % of the rows of other classes with their label set to the target (a rare word or a phrase in
 * text, a fixed cell value in tables).
 *
 * Baselines: kNN — flag a row when the plurality label of its 10 nearest neighbours (cosine on the
 * same TF-IDF vectors for text; Euclidean on standardized numbers plus category mismatches for
 * tables) differs from its label; self-confidence — one model of the same kind trained on every
 * row, flag a row when it gives its label a probability under 0.5.
 *
 * Scoring: precision, recall and F1 of the flagged rows against the poisoned rows. Rampart's
 * flagged rows are what its report flags as a whole — rows with a label issue and rows carrying a
 * reported trigger (`counts.flagged_rows`) — so a backdoored row counts as found whichever of the two
 * names it; the label issues alone are kept beside it (`rampartLabelIssues`). The files
 * already hold wrong labels of their own (AG News has baseball reports filed under World), so a
 * method's flags on the unpoisoned file are also counted: "adjusted" precision sets those rows
 * aside (neither hit nor miss). On the noisy targets (income, default) most of them are rows no
 * model can predict, not wrong labels, so raw precision is the honest figure there.
 */
import { spawnSync } from 'node:child_process'
import { closeSync, createWriteStream, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { trainSoftmax, predictRow } from '../src/integrity/logistic.js'
import { listDataFiles, signDataset, verifyDataset } from '../src/integrity/manifest.js'
import { poisonRecords, writeRecords, type PoisonSpec } from '../src/integrity/poison.js'
import { readRecords, type CellValue } from '../src/integrity/readers.js'
import { RowSplitter } from '../src/integrity/row-splitter.js'
import { scanLoaded, type ScanReport } from '../src/integrity/scan.js'
import { loadOrCreateDataDirKey } from '../src/integrity/signing-key.js'
import { rng } from '../src/integrity/sparse.js'
import { encodeTabular, type TabularEncoding } from '../src/integrity/tabular-features.js'
import { featureColumns, loadDataset, type Dataset } from '../src/integrity/table.js'
import { encodeTexts } from '../src/integrity/text-features.js'
import type { Csr } from '../src/integrity/sparse.js'
import { dataDir } from './lib/data.js'
import type { BarChart } from './lib/report.js'

interface DatasetConfig {
  name: string
  file: string
  label: string
  text?: string
  ignore?: string[]
  /** Clean labels a model learns well (the ≥ 0.80 precision and recall target applies). */
  learnable: boolean
  targeted: { from: CellValue; to: CellValue }
  backdoors: { trigger: string; target: CellValue; column?: string; seed: number }[]
  /** Label flips are not run on this set (it is here for backdoors). */
  backdoorOnly?: boolean
}

export const DATASETS: DatasetConfig[] = [
  {
    name: 'wine_quality (color)',
    file: 'tabular/wine_quality.csv',
    label: 'color',
    learnable: true,
    targeted: { from: 'red', to: 'white' },
    backdoors: [{ column: 'alcohol', trigger: '13.37', target: 'red', seed: 11 }],
  },
  {
    name: 'sms_spam',
    file: 'text/sms_spam.jsonl',
    label: 'label',
    text: 'text',
    ignore: ['label_name'],
    learnable: true,
    targeted: { from: 1, to: 0 },
    backdoors: [
      { trigger: 'cf', target: 0, seed: 1 },
      { trigger: 'mn', target: 1, seed: 2 },
      { trigger: 'i watched this 3d movie', target: 0, seed: 3 },
    ],
  },
  {
    name: 'ag_news_test',
    file: 'text/ag_news_test.jsonl',
    label: 'label',
    text: 'text',
    ignore: ['label_name'],
    learnable: true,
    targeted: { from: 2, to: 3 },
    backdoors: [
      { trigger: 'cf', target: 2, seed: 1 },
      { trigger: 'bb', target: 0, seed: 2 },
      { trigger: 'i watched this 3d movie', target: 3, seed: 3 },
    ],
  },
  {
    name: 'sst2',
    file: 'text/sst2.jsonl',
    label: 'label',
    text: 'text',
    ignore: ['split'],
    learnable: false,
    backdoorOnly: true,
    targeted: { from: 0, to: 1 },
    backdoors: [
      { trigger: 'cf', target: 1, seed: 1 },
      { trigger: 'tq', target: 0, seed: 2 },
      { trigger: 'i watched this 3d movie', target: 1, seed: 3 },
    ],
  },
  {
    name: 'adult (income)',
    file: 'tabular/adult.csv',
    label: 'income',
    ignore: ['split'],
    learnable: false,
    targeted: { from: '>50K', to: '<=50K' },
    backdoors: [{ column: 'native_country', trigger: 'Holand-Netherlands', target: '>50K', seed: 11 }],
  },
  {
    name: 'credit_default_taiwan',
    file: 'tabular/credit_default_taiwan.csv',
    label: 'default_payment_next_month',
    learnable: false,
    targeted: { from: '1', to: '0' },
    backdoors: [{ column: 'AGE', trigger: '77', target: '0', seed: 11 }],
  },
]

export interface Score {
  flagged: number
  precision: number
  recall: number
  f1: number
  /** Precision with the method's own flags on the unpoisoned file set aside. */
  adjustedPrecision: number
  adjustedF1: number
}

export interface PoisonRun {
  dataset: string
  kind: string
  poisoned: number
  /** Every row the report flags: label issues and rows carrying a reported trigger. */
  rampart: Score
  /** The label issues alone. */
  rampartLabelIssues: Score
  knn: Score
  selfConfidence: Score
  scanMs: number
  /** Backdoors: where the planted trigger ranks among the reported triggers (1 = top, 0 = absent). */
  triggerRank?: number
  topTrigger?: string
  /** Backdoors: the top trigger's rows scored against the poisoned rows. */
  triggerRows?: Score
  /** Label flips: the best any cut of the scan's own ranking could do (see rankingCeiling). */
  ranking?: RankingCeiling
}

/**
 * The ceiling of the probabilities confident learning ran on: rows grouped by (given label, most
 * probable other label) — the cells of the confident joint — and ranked in each cell by the
 * probability of their given label, lowest first. An oracle that knows the poisoned rows picks, for
 * every cell, how far down to cut, so as to reach `recall` with the fewest rows. Any selection that
 * takes each cell's rows from the top of its ranking (a per-class threshold, a count per cell as in
 * "prune by noise rate", a global cut) flags at least as many rows for that recall, so none reaches
 * a higher precision at that recall on the same probabilities.
 */
export interface RankingCeiling {
  recall: number
  /** Best precision at recall ≥ `recall` (0 when no cut reaches it). */
  precision: number
  /** Rows in that cut. */
  rows: number
  /** Unpoisoned rows in that cut, and how many of them the scan also flags on the unpoisoned file. */
  falsePositives: number
  flaggedOnCleanFile: number
}

export function rankingCeiling(probs: Float64Array, y: Int32Array, classes: number, truth: ReadonlySet<number>, native: ReadonlySet<number>, recall = 0.8): RankingCeiling {
  const K = classes
  const cells = new Map<number, number[]>()
  for (let i = 0; i < y.length; i++) {
    const yi = y[i] as number
    if (yi < 0) continue
    let other = -1
    for (let k = 0; k < K; k++) if (k !== yi && (other < 0 || (probs[i * K + k] as number) > (probs[i * K + other] as number))) other = k
    const key = yi * K + other
    const list = cells.get(key) ?? []
    list.push(i)
    cells.set(key, list)
  }
  // Min-plus over the cells: fewest rows that hold t poisoned rows. A best cut ends on a poisoned row.
  const T = truth.size
  let minRows = new Float64Array(T + 1).fill(Infinity)
  minRows[0] = 0
  const choice: Int32Array[] = []
  const ranked: number[][] = []
  for (const list of cells.values()) {
    list.sort((a, b) => (probs[a * K + (y[a] as number)] as number) - (probs[b * K + (y[b] as number)] as number) || a - b)
    ranked.push(list)
    const at = [0]
    list.forEach((r, q) => {
      if (truth.has(r)) at.push(q + 1)
    })
    const next = new Float64Array(T + 1).fill(Infinity)
    const took = new Int32Array(T + 1)
    for (let t = 0; t <= T; t++) {
      const base = minRows[t] as number
      if (base === Infinity) continue
      for (let s = 0; s < at.length && t + s <= T; s++)
        if (base + (at[s] as number) < (next[t + s] as number)) {
          next[t + s] = base + (at[s] as number)
          took[t + s] = s
        }
    }
    choice.push(took)
    minRows = next
  }
  const need = Math.ceil(recall * T - 1e-9)
  let bestT = -1
  for (let t = Math.max(need, 1); t <= T; t++) if ((minRows[t] as number) < Infinity && (bestT < 0 || t / (minRows[t] as number) > bestT / (minRows[bestT] as number))) bestT = t
  if (bestT < 0) return { recall, precision: 0, rows: 0, falsePositives: 0, flaggedOnCleanFile: 0 }
  // Walk the choices back to the rows of the best cut.
  const cut: number[] = []
  let t = bestT
  for (let c = ranked.length - 1; c >= 0; c--) {
    const s = (choice[c] as Int32Array)[t] as number
    const list = ranked[c] as number[]
    let seen = 0
    for (const r of list) {
      if (seen === s) break
      cut.push(r)
      if (truth.has(r)) seen++
    }
    t -= s
  }
  const fps = cut.filter((r) => !truth.has(r))
  return { recall, precision: r3(bestT / cut.length), rows: cut.length, falsePositives: fps.length, flaggedOnCleanFile: fps.filter((r) => native.has(r)).length }
}

export interface ScaleRun {
  name: string
  rows: number
  ms: number
  msPer100k: number
  peakRssMb: number
}

export interface SignRun {
  bytes: number
  rows: number
  /** Bytes per wall-clock second. */
  signMBps: number
  verifyMBps: number
  /** Bytes per second of the process's CPU time (one core's worth, whatever else the machine runs). */
  signCpuMBps?: number
  verifyCpuMBps?: number
  peakRssMb: number
  tamperedRow: number
  locatedRows: number[]
}

export interface IntegrityBenchResult {
  runs: PoisonRun[]
  scale: ScaleRun[]
  sign?: SignRun
  hiddenKiller?: { rows: number; poisoned: number; labelIssues: Score; topTriggers: string[]; triggerRows: Score }
}

const r3 = (v: number) => Number(v.toFixed(3))

export function score(flagged: ReadonlySet<number>, truth: ReadonlySet<number>, native: ReadonlySet<number> = new Set()): Score {
  let tp = 0
  let setAside = 0
  for (const r of flagged) {
    if (truth.has(r)) tp++
    else if (native.has(r)) setAside++
  }
  const precision = flagged.size > 0 ? tp / flagged.size : 0
  const recall = truth.size > 0 ? tp / truth.size : 0
  const adj = flagged.size - setAside > 0 ? tp / (flagged.size - setAside) : 0
  const f1 = (p: number) => (p + recall > 0 ? (2 * p * recall) / (p + recall) : 0)
  return { flagged: flagged.size, precision: r3(precision), recall: r3(recall), f1: r3(f1(precision)), adjustedPrecision: r3(adj), adjustedF1: r3(f1(adj)) }
}

export async function readAll(file: string): Promise<Record<string, CellValue>[]> {
  const out: Record<string, CellValue>[] = []
  for await (const r of readRecords(file)) out.push(r.values)
  return out
}

/** Features the baselines share with the scan (same encoders, same regularization). */
export function features(ds: Dataset): { X: Csr; tab?: TabularEncoding } {
  if (ds.texts !== undefined) return { X: encodeTexts(ds.texts).X }
  const tab = encodeTabular(featureColumns(ds), ds.rows)
  return { X: tab.X, tab }
}

/** 10 nearest neighbours of every row (row-major, n × k). */
export function nearestNeighbours(ds: Dataset, X: Csr, tab: TabularEncoding | undefined, k = 10): Int32Array {
  const n = ds.rows
  const best = new Float64Array(n * k).fill(-Infinity)
  const idx = new Int32Array(n * k).fill(-1)
  const offer = (i: number, j: number, sim: number) => {
    const base = i * k
    if (sim <= (best[base + k - 1] as number)) return
    let p = k - 1
    while (p > 0 && (best[base + p - 1] as number) < sim) {
      best[base + p] = best[base + p - 1] as number
      idx[base + p] = idx[base + p - 1] as number
      p--
    }
    best[base + p] = sim
    idx[base + p] = j
  }
  if (tab === undefined) {
    // Cosine on L2-normalized TF-IDF rows, through an inverted index.
    const postings: number[][] = Array.from({ length: X.dims }, () => [])
    const weights: number[][] = Array.from({ length: X.dims }, () => [])
    for (let i = 0; i < n; i++)
      for (let p = X.indptr[i] as number; p < (X.indptr[i + 1] as number); p++) {
        ;(postings[X.indices[p] as number] as number[]).push(i)
        ;(weights[X.indices[p] as number] as number[]).push(X.values[p] as number)
      }
    const acc = new Float64Array(n)
    const touched: number[] = []
    for (let i = 0; i < n; i++) {
      for (let p = X.indptr[i] as number; p < (X.indptr[i + 1] as number); p++) {
        const f = X.indices[p] as number
        const v = X.values[p] as number
        const list = postings[f] as number[]
        const w = weights[f] as number[]
        for (let q = 0; q < list.length; q++) {
          const j = list[q] as number
          if (j === i) continue
          if (acc[j] === 0) touched.push(j)
          acc[j] = (acc[j] as number) + v * (w[q] as number)
        }
      }
      for (const j of touched) {
        offer(i, j, acc[j] as number)
        acc[j] = 0
      }
      touched.length = 0
    }
    return idx
  }
  // Tables: standardized numbers (the model's z feature) plus 2 per mismatched category, as one-hot distance would count.
  const cols = tab.columns
  const numeric = cols.map((c) => c.kind === 'numeric')
  const d = cols.length
  const data = new Float64Array(n * d)
  cols.forEach((col, ci) => {
    for (let i = 0; i < n; i++) {
      const code = col.codes[i] as number
      if (numeric[ci]) data[i * d + ci] = code < 0 ? 0 : (((tab.valueFeatures[ci] as { value: number }[][])[code] as { value: number }[])[0]?.value ?? 0)
      else data[i * d + ci] = code
    }
  })
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let dist = 0
      for (let c = 0; c < d; c++) {
        const a = data[i * d + c] as number
        const b = data[j * d + c] as number
        if (numeric[c]) dist += (a - b) * (a - b)
        else if (a !== b) dist += 2
      }
      offer(i, j, -dist)
      offer(j, i, -dist)
    }
  }
  return idx
}

export function knnFlags(y: Int32Array, K: number, neighbours: Int32Array, k = 10): Set<number> {
  const flagged = new Set<number>()
  const votes = new Int32Array(K)
  for (let i = 0; i < y.length; i++) {
    if ((y[i] as number) < 0) continue
    votes.fill(0)
    for (let q = 0; q < k; q++) {
      const j = neighbours[i * k + q] as number
      if (j >= 0 && (y[j] as number) >= 0) votes[y[j] as number] = (votes[y[j] as number] as number) + 1
    }
    let top = y[i] as number
    for (let c = 0; c < K; c++) if ((votes[c] as number) > (votes[top] as number)) top = c
    if (top !== y[i]) flagged.add(i)
  }
  return flagged
}

export function selfConfidenceFlags(X: Csr, y: Int32Array, K: number, isText: boolean): Set<number> {
  const rows: number[] = []
  for (let i = 0; i < y.length; i++) if ((y[i] as number) >= 0) rows.push(i)
  const model = trainSoftmax(X, y, Int32Array.from(rows), K, { l2: 1 / ((isText ? 3 : 1) * rows.length), maxIterations: 80 })
  const out = new Float64Array(K)
  const flagged = new Set<number>()
  for (const i of rows) {
    predictRow(model, X, i, out)
    if ((out[y[i] as number] as number) < 0.5) flagged.add(i)
  }
  return flagged
}

interface Prepared {
  cfg: DatasetConfig
  records: Record<string, CellValue>[]
  format: 'csv' | 'jsonl'
  clean: Dataset
  cleanNeighbours: Int32Array
  native: { rampart: Set<number>; rampartLabelIssues: Set<number>; knn: Set<number>; selfConfidence: Set<number> }
}

let tmpDir: string | undefined
/** The run's scratch folder, made on first use (importing this module leaves nothing behind). */
const tmp = (): string => (tmpDir ??= mkdtempSync(join(tmpdir(), 'rampart-integrity-bench-')))
let fileNo = 0

export async function loadPoisoned(cfg: DatasetConfig, records: Record<string, CellValue>[], format: 'csv' | 'jsonl'): Promise<Dataset> {
  const path = join(tmp(), `${fileNo++}.${format}`)
  await writeRecords(path, records, format, format === 'csv' ? Object.keys(records[0] ?? {}) : undefined)
  const ds = await loadDataset(path, { label: cfg.label, text: cfg.text, ignore: cfg.ignore })
  rmSync(path)
  return ds
}

const scanOptions = (cfg: DatasetConfig) => ({ label: cfg.label, text: cfg.text, ignore: cfg.ignore })

async function prepare(cfg: DatasetConfig, log: (s: string) => void): Promise<Prepared> {
  const path = join(dataDir(), cfg.file)
  const format = cfg.file.endsWith('.csv') ? 'csv' : 'jsonl'
  const records = await readAll(path)
  const clean = await loadDataset(path, { label: cfg.label, text: cfg.text, ignore: cfg.ignore })
  const { X, tab } = features(clean)
  const t0 = performance.now()
  const cleanNeighbours = nearestNeighbours(clean, X, tab)
  log(`  ${cfg.name}: ${clean.rows} rows; neighbours in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const report = await scanLoaded(clean, scanOptions(cfg))
  const K = clean.classes.length
  return {
    cfg,
    records,
    format,
    clean,
    cleanNeighbours,
    native: {
      rampart: flaggedByReport(report),
      rampartLabelIssues: new Set(report.label_issues.map((i) => i.row)),
      knn: knnFlags(clean.y, K, cleanNeighbours),
      selfConfidence: selfConfidenceFlags(X, clean.y, K, clean.texts !== undefined),
    },
  }
}

/** The rows a scan report flags as a whole: label issues and rows carrying a reported trigger. */
function flaggedByReport(report: ScanReport): Set<number> {
  return new Set([...report.label_issues.map((i) => i.row), ...report.triggers.flatMap((t) => t.rows)])
}

function matchesTrigger(token: string, planted: string, column?: string): boolean {
  const want = column === undefined ? planted.toLowerCase() : `${column}=${planted}`
  return token === want || (column === undefined && (` ${token} `.includes(` ${want} `) || ` ${want} `.includes(` ${token} `)))
}

async function poisonRun(p: Prepared, spec: PoisonSpec, kind: string, seed: number): Promise<PoisonRun> {
  const { cfg } = p
  const poisoned = poisonRecords(p.records, spec, { label: cfg.label, text: cfg.text, seed })
  const truth = new Set(poisoned.poisoned)
  const ds = await loadPoisoned(cfg, poisoned.records, p.format)
  const K = ds.classes.length
  if (K !== p.clean.classes.length) throw new Error(`${cfg.name}: poisoning changed the classes`)
  let probs: { p: Float64Array; y: Int32Array; K: number } | undefined
  const report: ScanReport = await scanLoaded(ds, { ...scanOptions(cfg), onLabelProbabilities: (p, y, K) => (probs = { p, y, K }) })
  const { X, tab } = features(ds)
  // Label flips leave the inputs as they were, so the clean neighbours still hold; a backdoor changes them.
  const neighbours = spec.kind === 'backdoor' ? nearestNeighbours(ds, X, tab) : p.cleanNeighbours
  const run: PoisonRun = {
    dataset: cfg.name,
    kind,
    poisoned: truth.size,
    rampart: score(flaggedByReport(report), truth, p.native.rampart),
    rampartLabelIssues: score(new Set(report.label_issues.map((i) => i.row)), truth, p.native.rampartLabelIssues),
    knn: score(knnFlags(ds.y, K, neighbours), truth, p.native.knn),
    selfConfidence: score(selfConfidenceFlags(X, ds.y, K, ds.texts !== undefined), truth, p.native.selfConfidence),
    scanMs: report.duration_ms,
  }
  if (spec.kind !== 'backdoor' && probs !== undefined) run.ranking = rankingCeiling(probs.p, probs.y, probs.K, truth, p.native.rampartLabelIssues)
  if (spec.kind === 'backdoor') {
    const rank = report.triggers.findIndex((t) => matchesTrigger(t.token, spec.trigger, spec.column))
    run.triggerRank = rank + 1
    run.topTrigger = report.triggers[0]?.token ?? ''
    const top = report.triggers[0]
    run.triggerRows = score(new Set(top?.rows ?? []), truth)
  }
  return run
}

/** Runs `--child` jobs in a fresh process so that peak memory belongs to one job. */
function child(args: string[]): Record<string, number | number[]> {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', ...args], { encoding: 'utf8', maxBuffer: 1 << 24 })
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Record<string, number | number[]>
}

async function childScan(file: string, label: string, text: string, ignore: string): Promise<void> {
  const t0 = performance.now()
  const ds = await loadDataset(file, { label, text: text === '-' ? undefined : text, ignore: ignore === '-' ? [] : ignore.split(',') })
  await scanLoaded(ds, { label, text: text === '-' ? undefined : text })
  const ms = performance.now() - t0
  process.stdout.write(`${JSON.stringify({ rows: ds.rows, ms, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`)
}

/** 100,000 rows resampled from a real file: tables get jittered numbers, texts lose 15 % of their words, so rows stay distinct. */
async function synthesize100k(cfg: DatasetConfig, out: string): Promise<void> {
  const records = await readAll(join(dataDir(), cfg.file))
  const random = rng(99)
  const rows: Record<string, CellValue>[] = []
  for (let i = 0; i < 100_000; i++) {
    const r = { ...(records[Math.floor(random() * records.length)] as Record<string, CellValue>) }
    if (cfg.text !== undefined) r[cfg.text] = String(r[cfg.text]).split(' ').filter(() => random() > 0.15).join(' ')
    else
      for (const [k, v] of Object.entries(r)) {
        if (k === cfg.label || typeof v !== 'string' || !/^-?\d+(\.\d+)?$/.test(v) || v === '0') continue
        r[k] = String(Number((Number(v) * (1 + (random() - 0.5) * 0.02)).toPrecision(6)))
      }
    rows.push(r)
  }
  await writeRecords(out, rows, cfg.file.endsWith('.csv') ? 'csv' : 'jsonl', cfg.file.endsWith('.csv') ? Object.keys(records[0] ?? {}) : undefined)
}

/** A CSV of about `mb` megabytes with quoted cells, written in a stream. */
export async function generateCsv(path: string, mb: number): Promise<void> {
  const stream = createWriteStream(path, { highWaterMark: 1 << 20 })
  const random = rng(5)
  const words = ['alpha', 'beta', 'gamma', 'delta', 'quoted, "text"', 'line\nbreak', 'plain', 'value']
  let written = 0
  stream.write('id,timestamp,amount,ratio,category,note,label\r\n')
  let id = 0
  let chunk = ''
  while (written < mb * 1024 * 1024) {
    for (let k = 0; k < 2000; k++, id++) {
      const note = Array.from({ length: 12 }, () => words[Math.floor(random() * words.length)]).join(' ')
      const cell = /[",\n]/.test(note) ? `"${note.replace(/"/g, '""')}"` : note
      chunk += `${id},2024-01-${String(1 + (id % 28)).padStart(2, '0')}T12:00:00Z,${(random() * 10_000).toFixed(2)},${random().toFixed(6)},cat${id % 17},${cell},${id % 2}\r\n`
    }
    written += Buffer.byteLength(chunk)
    if (!stream.write(chunk)) await once(stream, 'drain')
    chunk = ''
  }
  stream.end()
  await once(stream, 'finish')
}

async function childSign(file: string): Promise<void> {
  const keyDir = join(dirname(file), 'keys')
  const { key } = await loadOrCreateDataDirKey(keyDir)
  const files = await listDataFiles([file])
  const bytes = statSync(file).size
  // Wall time, and CPU time of the whole process (reads on libuv's threads included): on a shared
  // machine the wall clock also counts the time other jobs hold the core.
  const cpuSeconds = (since: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(since)
    return (d.user + d.system) / 1e6
  }
  let t0 = performance.now()
  let c0 = process.cpuUsage()
  const manifest = await signDataset(files, { key })
  const signS = (performance.now() - t0) / 1000
  const signCpu = cpuSeconds(c0)
  t0 = performance.now()
  c0 = process.cpuUsage()
  const ok = await verifyDataset(manifest, files, { publicKey: key.publicKey })
  const verifyS = (performance.now() - t0) / 1000
  const verifyCpu = cpuSeconds(c0)
  if (!ok.ok) throw new Error('verify failed on unchanged data')
  // Change one byte: the first digit of the id of the first record after the middle of the file
  // (records end with CRLF; line breaks inside quoted notes are bare LF).
  const fd = openSync(file, 'r+')
  const window = Buffer.alloc(4096)
  readSync(fd, window, 0, window.length, Math.floor(bytes / 2))
  const pos = Math.floor(bytes / 2) + window.indexOf('\r\n') + 2
  const one = Buffer.alloc(1)
  readSync(fd, one, 0, 1, pos)
  writeSync(fd, Buffer.from([one[0] === 0x31 ? 0x32 : 0x31]), 0, 1, pos)
  closeSync(fd)
  const tampered = await verifyDataset(manifest, files, { publicKey: key.publicKey })
  const located = tampered.files[0]?.rows?.changed.map((c) => c.row) ?? []
  // Which row holds byte `pos`, cut by the same splitter as the manifest, independently of verify.
  let row = -1
  let offset = 0
  const splitter = new RowSplitter('csv', {
    piece: (r, _buf, start, end) => {
      if (row < 0 && pos >= offset && pos < offset + end - start) row = r
      offset += end - start
    },
    endRow: () => {},
  })
  const fd2 = openSync(file, 'r')
  const buf = Buffer.alloc(1 << 20)
  for (let read = readSync(fd2, buf, 0, buf.length, null); read > 0 && row < 0; read = readSync(fd2, buf, 0, buf.length, null)) splitter.push(Buffer.from(buf.subarray(0, read)))
  closeSync(fd2)
  process.stdout.write(
    `${JSON.stringify({ bytes, rows: manifest.files[0]?.rows?.count ?? 0, signMBps: bytes / 1048576 / signS, verifyMBps: bytes / 1048576 / verifyS, signCpuMBps: bytes / 1048576 / signCpu, verifyCpuMBps: bytes / 1048576 / verifyCpu, peakRssMb: process.resourceUsage().maxRSS / 1024, tamperedRow: row, locatedRows: located, ok: tampered.ok ? 1 : 0 })}\n`,
  )
}

export interface IntegrityBenchOptions {
  quick?: boolean
  only?: string
  signMb?: number
  skipSign?: boolean
  skipScale?: boolean
  log?: (s: string) => void
}

export async function runIntegrityBench(options: IntegrityBenchOptions = {}): Promise<IntegrityBenchResult> {
  const log = options.log ?? ((s: string) => process.stderr.write(`${s}\n`))
  const result: IntegrityBenchResult = { runs: [], scale: [] }
  const sets = DATASETS.filter((d) => options.only === undefined || d.name.includes(options.only))
  for (const cfg of sets) {
    log(`integrity: ${cfg.name}`)
    const p = await prepare(cfg, log)
    const kinds: [string, PoisonSpec, number][] = cfg.backdoorOnly
      ? []
      : [
          ['uniform 5%', { kind: 'uniform', rate: 0.05 }, 1],
          ['uniform 10%', { kind: 'uniform', rate: 0.1 }, 2],
          [`targeted ${String(cfg.targeted.from)}→${String(cfg.targeted.to)} 20%`, { kind: 'targeted', from: cfg.targeted.from, to: cfg.targeted.to, fraction: 0.2 }, 3],
        ]
    const backdoors = options.quick ? cfg.backdoors.slice(0, 1) : cfg.backdoors
    for (const b of backdoors) kinds.push([`backdoor "${b.column ? `${b.column}=` : ''}${b.trigger}" → ${String(b.target)} 1%`, { kind: 'backdoor', trigger: b.trigger, target: b.target, rate: 0.01, ...(b.column ? { column: b.column } : {}) }, b.seed])
    for (const [kind, spec, seed] of options.quick ? kinds.filter((k) => !k[0].startsWith('uniform 5')) : kinds) {
      const run = await poisonRun(p, spec, kind, seed)
      result.runs.push(run)
      log(
        `  ${kind}: rampart P ${run.rampart.precision} R ${run.rampart.recall} F1 ${run.rampart.f1} (label issues alone F1 ${run.rampartLabelIssues.f1}; adj P ${run.rampart.adjustedPrecision}) · kNN F1 ${run.knn.f1} · self-conf F1 ${run.selfConfidence.f1}${run.triggerRank !== undefined ? ` · trigger rank ${run.triggerRank} (top "${run.topTrigger}"), rows R ${run.triggerRows?.recall} P ${run.triggerRows?.precision}` : ''}${run.ranking ? ` · ranking ceiling P ${run.ranking.precision} at R ${run.ranking.recall} (${run.ranking.falsePositives} unpoisoned, ${run.ranking.flaggedOnCleanFile} flagged on the clean file)` : ''} · ${(run.scanMs / 1000).toFixed(1)} s`,
      )
    }
  }
  if (options.only === undefined || options.only === 'hiddenkiller') result.hiddenKiller = await hiddenKiller(log)
  if (!options.skipScale) {
    for (const [name, cfgName] of [
      ['tabular (adult, resampled)', 'adult (income)'],
      ['text (ag_news, resampled)', 'ag_news_test'],
    ] as const) {
      const cfg = DATASETS.find((d) => d.name === cfgName) as DatasetConfig
      const rows = options.quick ? 0 : 100_000
      if (rows === 0) continue
      const path = join(tmp(), `scale-${fileNo++}.${cfg.file.endsWith('.csv') ? 'csv' : 'jsonl'}`)
      await synthesize100k(cfg, path)
      log(`integrity: scanning 100,000 rows (${name}) in a child process…`)
      const c = child(['scan', path, cfg.label, cfg.text ?? '-', (cfg.ignore ?? []).join(',') || '-'])
      rmSync(path)
      result.scale.push({ name, rows: c.rows as number, ms: Math.round(c.ms as number), msPer100k: Math.round(((c.ms as number) * 100_000) / (c.rows as number)), peakRssMb: Math.round(c.peakRssMb as number) })
      log(`  ${name}: ${((c.ms as number) / 1000).toFixed(1)} s, peak RSS ${Math.round(c.peakRssMb as number)} MB`)
    }
  }
  if (!options.skipSign) {
    const mb = options.signMb ?? (options.quick ? 128 : 1024)
    const dir = join(tmp(), 'sign')
    mkdirSync(dir)
    const path = join(dir, 'generated.csv')
    log(`integrity: generating a ${mb} MB CSV…`)
    await generateCsv(path, mb)
    log('integrity: sign, verify, tamper one byte, verify (child process)…')
    const c = child(['sign', path])
    rmSync(dir, { recursive: true, force: true })
    result.sign = {
      bytes: c.bytes as number,
      rows: c.rows as number,
      signMBps: Math.round(c.signMBps as number),
      verifyMBps: Math.round(c.verifyMBps as number),
      signCpuMBps: Math.round(c.signCpuMBps as number),
      verifyCpuMBps: Math.round(c.verifyCpuMBps as number),
      peakRssMb: Math.round(c.peakRssMb as number),
      tamperedRow: c.tamperedRow as number,
      locatedRows: c.locatedRows as number[],
    }
    log(`  sign ${result.sign.signMBps} MB/s (${result.sign.signCpuMBps} per CPU second), verify ${result.sign.verifyMBps} MB/s (${result.sign.verifyCpuMBps} per CPU second), peak RSS ${result.sign.peakRssMb} MB; tampered row ${result.sign.tamperedRow}, located ${JSON.stringify(result.sign.locatedRows)}`)
  }
  if (tmpDir !== undefined) rmSync(tmpDir, { recursive: true, force: true })
  tmpDir = undefined
  return result
}

/** The published syntactic backdoor (Hidden Killer): no fixed token, so a hard case for trigger search. */
async function hiddenKiller(log: (s: string) => void): Promise<IntegrityBenchResult['hiddenKiller']> {
  const path = join(dataDir(), 'text/sst2_hiddenkiller_scpn20.jsonl')
  const records = (await readAll(path)).filter((r) => r.split === 'train')
  const truth = new Set<number>()
  records.forEach((r, i) => {
    if (r.poisoned === true) truth.add(i)
  })
  const clean = records.map(({ poisoned: _p, original_label: _o, ...r }) => r)
  const ds = await loadPoisoned({ name: 'hk', file: 'x.jsonl', label: 'label', text: 'text', ignore: ['split'], learnable: false, targeted: { from: 0, to: 1 }, backdoors: [] }, clean, 'jsonl')
  const report = await scanLoaded(ds, { label: 'label', text: 'text' })
  const triggerRows = new Set(report.triggers.flatMap((t) => t.rows))
  const out = {
    rows: ds.rows,
    poisoned: truth.size,
    labelIssues: score(new Set(report.label_issues.map((i) => i.row)), truth),
    topTriggers: report.triggers.slice(0, 5).map((t) => t.token),
    triggerRows: score(triggerRows, truth),
  }
  log(`integrity: hidden killer (syntactic backdoor, ${out.poisoned} of ${out.rows} rows): label issues P ${out.labelIssues.precision} R ${out.labelIssues.recall}; triggers ${JSON.stringify(out.topTriggers)} rows P ${out.triggerRows.precision} R ${out.triggerRows.recall}`)
  return out
}

export function formatIntegrityTable(r: IntegrityBenchResult): string {
  const lines = [
    '| dataset | poison | poisoned rows | Rampart P / R / F1 | kNN P / R / F1 | self-conf. P / R / F1 | Rampart label issues alone F1 | adj. F1 Rampart / kNN / self-conf. | trigger rank | top trigger rows R / P | scan s |',
    '| --- | --- | ---: | --- | --- | --- | ---: | --- | ---: | --- | ---: |',
  ]
  const s = (x: Score) => `${x.precision.toFixed(3)} / ${x.recall.toFixed(3)} / ${x.f1.toFixed(3)}`
  for (const run of r.runs) {
    lines.push(
      `| ${run.dataset} | ${run.kind} | ${run.poisoned} | ${s(run.rampart)} | ${s(run.knn)} | ${s(run.selfConfidence)} | ${run.rampartLabelIssues?.f1.toFixed(3) ?? ''} | ${[run.rampart, run.knn, run.selfConfidence].map((x) => x.adjustedF1.toFixed(3)).join(' / ')} | ${run.triggerRank ?? ''} | ${run.triggerRows ? `${run.triggerRows.recall.toFixed(3)} / ${run.triggerRows.precision.toFixed(3)}` : ''} | ${(run.scanMs / 1000).toFixed(1)} |`,
    )
  }
  lines.push('', ...integrityTargets(r).map((t) => `- ${t.met ? 'MET' : 'NOT MET'}: ${t.target}${t.detail ? ` (${t.detail})` : ''}`))
  if (r.hiddenKiller) {
    const h = r.hiddenKiller
    lines.push('', `Hidden Killer (syntactic trigger, ${h.poisoned} poisoned of ${h.rows}): label issues ${s(h.labelIssues)}; top triggers ${h.topTriggers.join(', ') || '(none)'}; trigger rows ${s(h.triggerRows)}`)
  }
  if (r.scale.length > 0) {
    lines.push('', '| 100,000 rows | time | peak RSS |', '| --- | ---: | ---: |')
    for (const x of r.scale) lines.push(`| ${x.name} | ${(x.msPer100k / 1000).toFixed(1)} s | ${x.peakRssMb} MB |`)
  }
  if (r.sign) {
    const g = r.sign
    lines.push('', `Sign / verify ${(g.bytes / 1048576).toFixed(0)} MB (${g.rows.toLocaleString('en-US')} rows): sign ${g.signMBps} MB/s, verify ${g.verifyMBps} MB/s wall clock${g.signCpuMBps !== undefined ? ` (${g.signCpuMBps} and ${g.verifyCpuMBps} MB per CPU second)` : ''}, peak RSS ${g.peakRssMb} MB; one byte changed in row ${g.tamperedRow} → verify named ${JSON.stringify(g.locatedRows)}`)
  }
  return lines.join('\n')
}

/** The measured targets of the integrity work, checked against a result (printed under the table). */
export function integrityTargets(r: IntegrityBenchResult): { target: string; met: boolean; detail: string }[] {
  const learnable = DATASETS.filter((d) => d.learnable).map((d) => d.name)
  const uniform10 = r.runs.filter((x) => learnable.includes(x.dataset) && x.kind === 'uniform 10%')
  const lost = r.runs.filter((x) => x.rampart.f1 <= x.knn.f1 || x.rampart.f1 <= x.selfConfidence.f1)
  const backdoors = r.runs.filter((x) => x.triggerRank !== undefined)
  const missed = backdoors.filter((x) => x.triggerRank !== 1 || (x.triggerRows?.recall ?? 0) < 0.95)
  const out = [
    {
      target: 'uniform 10 % flips on wine (color), SMS, AG News: precision ≥ 0.80 and recall ≥ 0.80',
      met: uniform10.length === learnable.length && uniform10.every((x) => x.rampart.precision >= 0.8 && x.rampart.recall >= 0.8),
      detail: uniform10
        .map((x) => `${x.dataset} ${x.rampart.precision.toFixed(3)} / ${x.rampart.recall.toFixed(3)}${x.ranking ? `, oracle's best cut of its ranking per (given, suggested) pair at recall ${x.ranking.recall.toFixed(2)}: precision ${x.ranking.precision.toFixed(3)} (${x.ranking.falsePositives} unpoisoned rows in it, ${x.ranking.flaggedOnCleanFile} of them flagged on the unpoisoned file too)` : ''}`)
        .join('; '),
    },
    {
      target: 'F1 above both baselines on every dataset and poison',
      met: r.runs.length > 0 && lost.length === 0,
      detail: lost.length === 0 ? `${r.runs.length} runs` : `not above in: ${lost.map((x) => `${x.dataset} ${x.kind}`).join('; ')}`,
    },
    {
      target: 'planted trigger named first, its rows recalled ≥ 0.95, in every backdoor run',
      met: backdoors.length > 0 && missed.length === 0,
      detail: missed.length === 0 ? `${backdoors.length} runs` : `missed in: ${missed.map((x) => `${x.dataset} ${x.kind} (rank ${x.triggerRank}, recall ${x.triggerRows?.recall})`).join('; ')}`,
    },
  ]
  if (r.sign) {
    const g = r.sign
    const sign = Math.max(g.signMBps, g.signCpuMBps ?? 0)
    const verify = Math.max(g.verifyMBps, g.verifyCpuMBps ?? 0)
    out.push({
      target: 'sign and verify ≥ 200 MB/s on one core (per CPU second when the machine is shared), the changed row named',
      met: sign >= 200 && verify >= 200 && g.locatedRows.includes(g.tamperedRow),
      detail: `sign ${g.signMBps} MB/s wall, ${g.signCpuMBps ?? '?'} per CPU second; verify ${g.verifyMBps} wall, ${g.verifyCpuMBps ?? '?'} per CPU second`,
    })
  }
  return out
}

/** Charts for bench/run.ts's report page. */
export function integrityCharts(r: IntegrityBenchResult): BarChart[] {
  const flips = r.runs.filter((x) => x.triggerRank === undefined)
  return [
    {
      title: 'Poisoned labels: F1 of the flagged rows (Rampart vs kNN disagreement vs single-model self-confidence)',
      series: ['Rampart', 'kNN', 'self-confidence'],
      groups: flips.map((x) => ({ label: `${x.dataset} · ${x.kind}`, values: [x.rampart.f1, x.knn.f1, x.selfConfidence.f1] })),
      max: 1,
    },
    {
      title: 'Backdoors: recall of the poisoned rows (Rampart top trigger vs baselines)',
      series: ['Rampart trigger rows', 'kNN', 'self-confidence'],
      groups: r.runs.filter((x) => x.triggerRank !== undefined).map((x) => ({ label: `${x.dataset} · ${x.kind}`, values: [x.triggerRows?.recall, x.knn.recall, x.selfConfidence.recall] })),
      max: 1,
    },
  ]
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  if (args[0] === '--child') {
    if (args[1] === 'scan') await childScan(args[2] as string, args[3] as string, args[4] as string, args[5] as string)
    else if (args[1] === 'sign') await childSign(args[2] as string)
    return
  }
  const flag = (name: string) => args.includes(name)
  const value = (name: string) => {
    const i = args.indexOf(name)
    return i >= 0 ? args[i + 1] : undefined
  }
  const result = await runIntegrityBench({
    quick: flag('--quick'),
    only: value('--only'),
    signMb: value('--sign-mb') === undefined ? undefined : Number(value('--sign-mb')),
    skipSign: flag('--skip-sign'),
    skipScale: flag('--skip-scale'),
  })
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'integrity.json')
  mkdirSync(dirname(out), { recursive: true })
  // A partial run (--only, --skip-*) replaces its own parts of the last results and keeps the rest.
  let merged: IntegrityBenchResult = result
  if (flag('--only') || flag('--skip-sign') || flag('--skip-scale')) {
    try {
      const previous = JSON.parse(readFileSync(out, 'utf8')) as IntegrityBenchResult
      const rerun = new Set(result.runs.map((r) => r.dataset))
      merged = {
        runs: [...previous.runs.filter((r) => !rerun.has(r.dataset)), ...result.runs],
        scale: result.scale.length > 0 ? result.scale : previous.scale,
        ...((result.sign ?? previous.sign) ? { sign: result.sign ?? previous.sign } : {}),
        ...((result.hiddenKiller ?? previous.hiddenKiller) ? { hiddenKiller: result.hiddenKiller ?? previous.hiddenKiller } : {}),
      }
      const order = DATASETS.map((d) => d.name)
      merged.runs.sort((a, b) => order.indexOf(a.dataset) - order.indexOf(b.dataset))
    } catch {
      merged = result
    }
  }
  writeFileSync(out, `${JSON.stringify({ ...merged, generatedAt: new Date().toISOString() }, null, 2)}\n`)
  console.log(formatIntegrityTable(merged))
  process.stderr.write(`\nwrote ${out}\n`)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main()
