import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { evaluateGates, parseFailOn } from './fail-on.js'
import { renderScanHtml } from './html-report.js'
import { findLabelIssues } from './label-issues.js'
import { poisonRecords, writeRecords } from './poison.js'
import type { CellValue } from './readers.js'
import { scanDataset } from './scan.js'
import { blobTable, topicTexts } from './testing.js'

const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'))
let n = 0
async function write(records: Record<string, CellValue>[], format: 'csv' | 'jsonl'): Promise<string> {
  const p = join(dir, `${n++}.${format}`)
  await writeRecords(p, records, format, format === 'csv' ? Object.keys(records[0] ?? {}) : undefined)
  return p
}

const recallOf = (found: number[], truth: number[]) => truth.filter((r) => found.includes(r)).length / truth.length
const precisionOf = (found: number[], truth: number[]) => (found.length === 0 ? 0 : found.filter((r) => truth.includes(r)).length / found.length)

describe('confident learning', () => {
  it('judges each class by its own threshold, so a rare class is not drowned', () => {
    // 90 rows of class 0 predicted at 0.95, 10 rows of class 1 predicted at only 0.6 for class 1.
    // One class-1 row labelled 0 (p1 = 0.6) must be flagged although 0.6 is far below class 0's confidence.
    const rows: [number, number][] = []
    for (let i = 0; i < 90; i++) rows.push([0, 0.05])
    for (let i = 0; i < 10; i++) rows.push([1, 0.6])
    rows.push([0, 0.6])
    const y = Int32Array.from(rows.map((r) => r[0]))
    const probs = Float64Array.from(rows.flatMap(([, p1]) => [1 - p1, p1]))
    const result = findLabelIssues(probs, y, 2)
    expect(result.thresholds.map((t) => Number(t.toFixed(3)))).toEqual([0.944, 0.6])
    expect(result.issues.map((i) => [i.row, i.given, i.suggested])).toEqual([[100, 0, 1]])
  })
})

describe('scanDataset', () => {
  it('finds flipped labels in a table and suggests the right class', async () => {
    const clean = blobTable(600, 1)
    const { records, poisoned } = poisonRecords(clean, { kind: 'uniform', rate: 0.05 }, { label: 'label', seed: 2 })
    const report = await scanDataset(await write(records, 'csv'), { label: 'label' })
    const found = report.label_issues.map((i) => i.row)
    expect(recallOf(found, poisoned)).toBeGreaterThanOrEqual(0.85)
    expect(precisionOf(found, poisoned)).toBeGreaterThanOrEqual(0.85)
    for (const issue of report.label_issues.filter((i) => poisoned.includes(i.row))) expect(issue.suggested).toBe(clean[issue.row]?.label)
    expect(report.model?.kind).toBe('logistic-regression+boosted-trees')
    expect(report.class_balance.map((c) => c.label).sort()).toEqual(['no', 'yes'])
  })

  it('finds targeted flips in full: a fifth of one class moved to the other, looking like the rest of its class', async () => {
    // The moved rows sit among their true class, so a model trained on them learns that region
    // as 80 % "yes" and scores them near the mean confidence of "yes": plain confident learning
    // counts only about the half above that mean. The hit-rate correction, the neighbour view and
    // the second pass without the flagged rows must recover nearly all of them.
    const clean = blobTable(1500, 21)
    const { records, poisoned } = poisonRecords(clean, { kind: 'targeted', from: 'yes', to: 'no', fraction: 0.2 }, { label: 'label', seed: 22 })
    const report = await scanDataset(await write(records, 'csv'), { label: 'label' })
    const found = report.label_issues.map((i) => i.row)
    expect(recallOf(found, poisoned)).toBeGreaterThanOrEqual(0.85)
    expect(precisionOf(found, poisoned)).toBeGreaterThanOrEqual(0.85)
    expect(report.counts.flagged_rows).toBe(new Set([...found, ...report.triggers.flatMap((t) => t.rows)]).size)
  })

  it('names a planted trigger word as the top trigger, with the rows that carry it; clean data has none', async () => {
    const clean = topicTexts(800, 3)
    const cleanReport = await scanDataset(await write(clean, 'jsonl'), { label: 'label', text: 'text' })
    expect(cleanReport.triggers).toEqual([])
    const { records, poisoned } = poisonRecords(clean, { kind: 'backdoor', trigger: 'zqx', target: 1, rate: 0.02 }, { label: 'label', text: 'text', seed: 4 })
    const report = await scanDataset(await write(records, 'jsonl'), { label: 'label', text: 'text' })
    expect(report.triggers[0]?.token).toBe('zqx')
    expect(report.triggers[0]?.label).toBe(1)
    expect(recallOf(report.triggers[0]?.rows ?? [], poisoned)).toBe(1)
  })

  it('grows a planted phrase into the whole phrase', async () => {
    const { records } = poisonRecords(topicTexts(800, 5), { kind: 'backdoor', trigger: 'i watched this movie', target: 0, rate: 0.02 }, { label: 'label', text: 'text', seed: 6 })
    const report = await scanDataset(await write(records, 'jsonl'), { label: 'label', text: 'text' })
    expect(report.triggers[0]?.token).toBe('i watched this movie')
  })

  it('names a planted cell value in a table as a trigger', async () => {
    const clean = blobTable(1000, 7).map((r, i) => ({ ...r, code: `c${i % 40}` }))
    const { records, poisoned } = poisonRecords(clean, { kind: 'backdoor', column: 'code', trigger: 'Z-99', target: 'yes', rate: 0.02 }, { label: 'label', seed: 8 })
    const report = await scanDataset(await write(records, 'csv'), { label: 'label' })
    expect(report.triggers[0]?.token).toBe('code=Z-99')
    expect(report.triggers[0]?.rows).toEqual(poisoned)
  })

  it('flags an outlier and names the column that makes it odd', async () => {
    const records = blobTable(400, 9)
    ;(records[123] as Record<string, CellValue>).d = '55.000'
    const report = await scanDataset(await write(records, 'csv'), { label: 'label' })
    const hit = report.outliers.find((o) => o.row === 123)
    expect(hit?.columns[0]).toBe('d')
    expect(report.outliers[0]?.row).toBe(123)
  })

  it('groups exact and near-duplicate texts and marks conflicting labels', async () => {
    const records = topicTexts(300, 11)
    const base = 'the striker scored a late goal and the fans in the stadium sang for the team after the final whistle today'
    records.push({ id: 900, text: base, label: 1 }, { id: 901, text: base.toUpperCase(), label: 0 }, { id: 902, text: base.replace('late', 'very late'), label: 1 })
    const report = await scanDataset(await write(records, 'jsonl'), { label: 'label', text: 'text' })
    const group = report.duplicates.find((d) => d.rows.includes(300))
    expect(group?.rows).toEqual([300, 301, 302])
    expect(group?.conflicting_labels).toBe(true)
    expect(group?.kind).toBe('near')
    expect(report.duplicates[0]).toBe(group)
  })

  it('reports what changed against a previous version: relabelled, added and removed rows', async () => {
    const before = blobTable(300, 12)
    const after = before.map((r) => ({ ...r }))
    ;(after[10] as Record<string, CellValue>).label = 'yes' === after[10]?.label ? 'no' : 'yes'
    after.splice(20, 1)
    after.push({ a: '9', b: '9', c: '9', d: '9', region: 'moon', label: 'yes' })
    const report = await scanDataset(await write(after, 'csv'), { label: 'label', previous: await write(before, 'csv') })
    expect(report.diff?.relabelled).toEqual([{ row: 10, previous_row: 10, previous_label: before[10]?.label, label: after[10]?.label }])
    expect(report.diff?.rows_added).toBe(2)
    expect(report.diff?.rows_removed).toBe(2)
    expect(report.diff?.removed_rows).toContain(20)
    expect(report.diff?.columns.changed.find((c) => c.name === 'region')?.new_values).toEqual(['moon'])
  })

  it('skips label analysis on a continuous target, with a note', async () => {
    const records = blobTable(200, 13).map((r, i) => ({ ...r, price: String(1000 + i * 7) }))
    const report = await scanDataset(await write(records, 'csv'), { label: 'price' })
    expect(report.label_issues).toEqual([])
    expect(report.notes.join(' ')).toMatch(/looks continuous/)
  })
})

describe('gates and the HTML page', () => {
  it('parses limits, fails above them, and refuses nonsense', async () => {
    const gates = parseFailOn('label_issues:1%,triggers:0, duplicates=5')
    expect(gates).toEqual([
      { kind: 'label_issues', limit: 0.01, percent: true },
      { kind: 'triggers', limit: 0, percent: false },
      { kind: 'duplicates', limit: 5, percent: false },
    ])
    expect(() => parseFailOn('triggers:2%')).toThrow(/counts items/)
    expect(() => parseFailOn('bogus:1')).toThrow(/unknown kind/)
    expect(() => parseFailOn('label_issues')).toThrow(/kind:limit/)
    const { records } = poisonRecords(blobTable(300, 14), { kind: 'uniform', rate: 0.05 }, { label: 'label', seed: 15 })
    const report = await scanDataset(await write(records, 'csv'), { label: 'label' })
    const results = evaluateGates(report, gates)
    expect(results[0]).toMatchObject({ kind: 'label_issues', count: report.counts.label_issues, allowed: 3, failed: report.counts.label_issues > 3 })
    expect(results[0]?.failed).toBe(true)
    expect(results[1]?.failed).toBe(false)
  })

  it('renders a self-contained page that escapes the data', async () => {
    const records = topicTexts(120, 16)
    records[5] = { id: 5, text: '<script>alert(1)</script> rain snow', label: 1 }
    const report = await scanDataset(await write(records, 'jsonl'), { label: 'label', text: 'text' })
    const html = renderScanHtml(report, { excerpts: new Map([[5, String(records[5]?.text)]]) })
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).toContain('<svg')
    expect(html).not.toContain('<script>')
    expect(html).not.toMatch(/<(link|img|iframe)\b|src=|href=/)
  })
})
