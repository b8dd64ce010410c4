/**
 * A candidate model against the current one, both run through the `prompt_injection` scanner
 * as the gateway runs it (ensemble detector, threshold 0.5, a text flagged when the guard's
 * decision is not allow): on dev (precision, recall, F1, FPR on benign and benign-hard rows),
 * on dev attacks mutated once per family (`test` templates, as `rampart mutate` + `rampart
 * eval` and the bench measure them), and on the red team's corpus as delivered (recall per
 * delivery, and how many of its harmless requests are flagged). The leave-one-source-out
 * figures come from training (a fixed model cannot be scored on sources it was trained on).
 */
import { MetricsAccumulator, type DetectionMetrics } from '../../../adversarial/evaluate.js'
import { keyedRng, mutate, MUTATION_FAMILIES } from '../../../adversarial/mutate.js'
import { createGuard, type Guard } from '../../../guard.js'
import { buildCorpus } from '../../../redteam/corpus.js'
import type { LabeledRow } from '../train.js'
import { scannedTexts } from './redteam-rows.js'
import type { LosoFigures } from './train-model.js'

/** The rows every detector is scored on (built once, shared by both detectors). */
export interface EvaluationSets {
  dev: readonly LabeledRow[]
  /** Dev attacks (≤ 2,000 characters) as written (`plain`) and mutated once per family. */
  devFamilies: readonly { text: string; family: string }[]
  /** The red team's corpus: each attack's (or harmless request's) scanned texts. */
  redteam: readonly { id: string; family: string; benign: boolean; texts: string[] }[]
  redteamSeed: number
}

export function buildEvaluationSets(dev: readonly LabeledRow[], redteamSeed = 0): EvaluationSets {
  const attacks = dev.filter((r) => r.label === 1 && r.text.length <= 2_000)
  const devFamilies = ['plain', ...MUTATION_FAMILIES].flatMap((f) => attacks.map((r) => ({ family: f, text: f === 'plain' ? r.text : mutate(r.text, f as (typeof MUTATION_FAMILIES)[number], keyedRng(0, r.text, f), { pool: 'test' }) })))
  const redteam = buildCorpus({ seed: redteamSeed }).map((a) => ({ id: a.id, family: a.family, benign: a.goal === 'benign', texts: scannedTexts(a) }))
  return { dev, devFamilies, redteam, redteamSeed }
}

export interface DetectorFigures {
  dev: { precision: number; recall: number; f1: number; fpr: number; fprBenignHard: number; rows: number }
  /** Recall on the dev attacks per mutation family (`plain` = as written). */
  devFamilyRecall: Record<string, number>
  /** The lowest of them. */
  devFamilyMin: number
  redteam: { attacks: number; recall: number; byFamily: Record<string, number>; benign: number; benignFlagged: number }
}

/** A one-scanner guard running `prompt_injection` (ensemble) with the given weights file. */
export function guardFor(weightsFile: string): Promise<Guard> {
  return createGuard({ policy: { version: 1, input: { prompt_injection: { options: { detector: 'ensemble', weights: weightsFile } } }, output: {} } })
}

/** Scores a weights file on the sets; `onProgress(done, total)` after each text. */
export async function evaluateWeights(weightsFile: string, sets: EvaluationSets, onProgress?: (done: number, total: number) => void): Promise<DetectorFigures> {
  const guard = await guardFor(weightsFile)
  const total = sets.dev.length + sets.devFamilies.length + sets.redteam.reduce((n, a) => n + a.texts.length, 0)
  let done = 0
  const flagged = async (text: string): Promise<boolean> => {
    const result = await guard.scanInput(text)
    onProgress?.(++done, total)
    return result.decision !== 'allow'
  }
  const dev = new MetricsAccumulator()
  for (const r of sets.dev) dev.add({ label: r.label === 1 ? 1 : 0, flagged: await flagged(r.text), kind: r.kind })
  const fam = new MetricsAccumulator()
  for (const r of sets.devFamilies) fam.add({ label: 1, flagged: await flagged(r.text), family: r.family })
  const rt = new MetricsAccumulator()
  let benign = 0
  let benignFlagged = 0
  for (const a of sets.redteam) {
    // An attack is stopped when any message it sends is flagged (the gateway refuses that request).
    let hit = false
    for (const t of a.texts) if (await flagged(t)) hit = true
    if (a.benign) {
      benign++
      if (hit) benignFlagged++
    } else rt.add({ label: 1, flagged: hit, family: a.family })
  }
  const d = dev.result()
  const f = fam.result()
  const r = rt.result()
  const devFamilyRecall = recalls(f)
  return {
    dev: { precision: r4(d.precision), recall: r4(d.recall), f1: r4(d.f1), fpr: r4(d.fpr), fprBenignHard: r4(d.benignHard?.fpr ?? 0), rows: d.rows },
    devFamilyRecall,
    devFamilyMin: Math.min(...Object.values(devFamilyRecall), 1),
    redteam: { attacks: r.positives, recall: r4(r.recall), byFamily: recalls(r), benign, benignFlagged },
  }
}

function recalls(m: DetectionMetrics): Record<string, number> {
  return Object.fromEntries(Object.entries(m.recallByFamily ?? {}).map(([k, v]) => [k, r4(v.recall)]))
}

const r4 = (v: number): number => Math.round(v * 10_000) / 10_000

/** One line of the comparison: a measure, both values and the change (candidate − current). */
export interface ComparisonRow {
  measure: string
  current: number | null
  candidate: number | null
  delta: number | null
  /** `higher` or `lower` is better. */
  better: 'higher' | 'lower'
}

export interface Comparison {
  /**
   * The headline measures (not the per-family detail rows) on which the candidate is worse than
   * the current model: what a person should look at before activating it.
   */
  worse: string[]
  /** The LOSO figures are comparable only when both models were trained on the same shared rows. */
  losoComparable: boolean
  losoNote: string
  rows: ComparisonRow[]
  current: DetectorFigures
  candidate: DetectorFigures
}

/** The LOSO figures of a metrics.json (training's own, out of fold). */
export interface LosoSummary {
  train: number
  sources: number
  ensemble: Pick<LosoFigures, 'macroF1' | 'pooledF1' | 'pooledFpr' | 'fprBenignHard'>
}

/** The side-by-side rows (dev, dev families, LOSO, red-team corpus). */
export function compareFigures(current: DetectorFigures, candidate: DetectorFigures, loso: { current?: LosoSummary; candidate: LosoSummary }): Comparison {
  const rows: ComparisonRow[] = []
  const row = (measure: string, a: number | null | undefined, b: number | null | undefined, better: 'higher' | 'lower' = 'higher') =>
    rows.push({ measure, current: a ?? null, candidate: b ?? null, delta: a === undefined || a === null || b === undefined || b === null ? null : r4(b - a), better })
  row('dev precision', current.dev.precision, candidate.dev.precision)
  row('dev recall', current.dev.recall, candidate.dev.recall)
  row('dev F1', current.dev.f1, candidate.dev.f1)
  row('dev FPR benign', current.dev.fpr, candidate.dev.fpr, 'lower')
  row('dev FPR benign-hard', current.dev.fprBenignHard, candidate.dev.fprBenignHard, 'lower')
  row('dev family recall (lowest)', current.devFamilyMin, candidate.devFamilyMin)
  for (const f of Object.keys(candidate.devFamilyRecall)) row(`  ${f}`, current.devFamilyRecall[f], candidate.devFamilyRecall[f])
  const c = loso.current
  const comparable = c !== undefined && c.train === loso.candidate.train && c.sources === loso.candidate.sources
  const losoNote =
    c === undefined
      ? 'the current model has no metrics.json with LOSO figures'
      : comparable
        ? `both trained on the same ${c.train} shared rows (${c.sources} sources)`
        : `not comparable: the current model was trained on ${c.train} shared rows (${c.sources} sources), the candidate on ${loso.candidate.train} (${loso.candidate.sources})`
  const cur = comparable ? c!.ensemble : undefined
  row('LOSO macro F1', cur?.macroF1, loso.candidate.ensemble.macroF1)
  row('LOSO pooled F1', cur?.pooledF1, loso.candidate.ensemble.pooledF1)
  row('LOSO FPR', cur?.pooledFpr, loso.candidate.ensemble.pooledFpr, 'lower')
  row('LOSO FPR benign-hard', cur?.fprBenignHard, loso.candidate.ensemble.fprBenignHard, 'lower')
  row('red team recall', current.redteam.recall, candidate.redteam.recall)
  for (const f of Object.keys(candidate.redteam.byFamily)) row(`  ${f}`, current.redteam.byFamily[f], candidate.redteam.byFamily[f])
  row('red team harmless flagged', current.redteam.benignFlagged, candidate.redteam.benignFlagged, 'lower')
  const worse = rows.filter((r) => !r.measure.startsWith('  ') && isWorse(r)).map((r) => r.measure)
  return { worse, losoComparable: comparable, losoNote, rows, current, candidate }
}

/** The candidate is worse on this row (a change in the direction that is not better). */
export function isWorse(r: ComparisonRow): boolean {
  return r.delta !== null && r.delta !== 0 && (r.delta > 0) !== (r.better === 'higher')
}

/** The comparison as a text table (stdout, and the model card inside a code block). */
export function renderComparison(c: Comparison): string {
  const fmt = (v: number | null, integer: boolean) => (v === null ? '–' : integer ? String(v) : v.toFixed(4))
  const head = ['measure', 'current', 'candidate', 'delta']
  const cells = c.rows.map((r) => {
    const integer = r.measure.includes('harmless')
    const delta = r.delta === null ? '–' : `${r.delta > 0 ? '+' : ''}${integer ? String(r.delta) : r.delta.toFixed(4)}${isWorse(r) ? ' (worse)' : ''}`
    return [r.measure, fmt(r.current, integer), fmt(r.candidate, integer), delta]
  })
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)))
  const line = (row: string[]) => row.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ')
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), '', `LOSO: ${c.losoNote}.`, c.worse.length === 0 ? 'No headline measure is worse.' : `Worse on: ${c.worse.join(', ')}.`].join('\n')
}
