import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { rankingCeiling } from '../../bench/integrity.js'
import { poisonRecords, writeRecords } from './poison.js'
import { scanDataset } from './scan.js'
import { topicTexts } from './testing.js'

describe('the probabilities confident learning ran on', () => {
  it('are handed to onLabelProbabilities: every label issue is read from them, and their agreement is the reported accuracy', async () => {
    const { records } = poisonRecords(topicTexts(600, 7), { kind: 'uniform', rate: 0.08 }, { label: 'label', text: 'text', seed: 8 })
    const file = join(mkdtempSync(join(tmpdir(), 'rampart-ceiling-')), 'poisoned.jsonl')
    await writeRecords(file, records, 'jsonl')
    let seen: { probs: Float64Array; y: Int32Array; classes: number } | undefined
    const report = await scanDataset(file, { label: 'label', text: 'text', onLabelProbabilities: (probs, y, classes) => (seen = { probs, y, classes }) })
    expect(seen).toBeDefined()
    const { probs, y, classes } = seen as { probs: Float64Array; y: Int32Array; classes: number }
    expect(probs.length).toBe(records.length * classes)
    expect(report.label_issues.length).toBeGreaterThan(0)
    for (const issue of report.label_issues) expect(issue.p_given).toBeCloseTo(probs[issue.row * classes + (y[issue.row] as number)] as number, 4)
    let agree = 0
    for (let i = 0; i < y.length; i++) {
      let best = 0
      for (let k = 1; k < classes; k++) if ((probs[i * classes + k] as number) > (probs[i * classes + best] as number)) best = k
      if (best === y[i]) agree++
    }
    expect(report.model?.accuracy).toBeCloseTo(agree / y.length, 4)
  })
})

describe('rankingCeiling', () => {
  it('cuts the ranking by given-label probability where recall reaches the target and counts what else is in the cut', () => {
    // Rows 0..9, two classes; given-label probabilities rise with the row number except where set.
    const pGiven = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9]
    const y = new Int32Array(10)
    const probs = Float64Array.from(pGiven.flatMap((p) => [p, 1 - p]))
    // Poisoned: 0, 2, 4, 9 (recall 0.75 needs 3 of them: the cut is rows 0..4, precision 3/5).
    const truth = new Set([0, 2, 4, 9])
    const c = rankingCeiling(probs, y, 2, truth, new Set([1]), 0.75)
    expect(c).toEqual({ recall: 0.75, precision: 0.6, rows: 5, falsePositives: 2, flaggedOnCleanFile: 1 })
    // Recall 1 needs every row: precision 0.4.
    expect(rankingCeiling(probs, y, 2, truth, new Set(), 1).precision).toBe(0.4)
    expect(rankingCeiling(probs, y, 2, new Set(), new Set()).precision).toBe(0)
  })

  it('cuts each (given, suggested) cell on its own, as confident learning can: better than any single cut', () => {
    // Given 0: p(given) 0.1 (poisoned), 0.2, 0.3; given 1: 0.25 (poisoned), 0.35 (poisoned).
    // One global cut needs all five rows for full recall (0.6); a cut per cell needs three (1.0).
    const rows: [number, number, boolean][] = [
      [0, 0.1, true],
      [0, 0.2, false],
      [0, 0.3, false],
      [1, 0.25, true],
      [1, 0.35, true],
    ]
    const y = Int32Array.from(rows.map((r) => r[0]))
    const probs = Float64Array.from(rows.flatMap(([label, p]) => (label === 0 ? [p, 1 - p] : [1 - p, p])))
    const truth = new Set(rows.flatMap((r, i) => (r[2] ? [i] : [])))
    expect(rankingCeiling(probs, y, 2, truth, new Set(), 1)).toEqual({ recall: 1, precision: 1, rows: 3, falsePositives: 0, flaggedOnCleanFile: 0 })
    expect(rankingCeiling(probs, y, 2, truth, new Set([1]), 0.3)).toEqual({ recall: 0.3, precision: 1, rows: 1, falsePositives: 0, flaggedOnCleanFile: 0 })
  })
})
