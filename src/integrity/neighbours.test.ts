import { describe, expect, it } from 'vitest'
import { findLabelIssues } from './label-issues.js'
import { neighbourVotes, tabularNeighbours, textNeighbours } from './neighbours.js'
import { blendNeighbours, disagreements } from './scan.js'
import { encodeTabular } from './tabular-features.js'
import { encodeTexts } from './text-features.js'
import { featureColumns, loadDataset } from './table.js'
import { writeRecords } from './poison.js'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CellValue } from './readers.js'

const dir = mkdtempSync(join(tmpdir(), 'rampart-neighbours-'))

async function table(records: Record<string, CellValue>[]) {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.csv`)
  await writeRecords(path, records, 'csv', Object.keys(records[0] ?? {}))
  return loadDataset(path, { label: 'label' })
}

describe('neighbours', () => {
  it('finds a pocket of one class inside another, and never a row itself', async () => {
    // 60 rows of class "a" spread on a line, a tight pocket of 12 "b" rows at x≈50 and one "a" row
    // inside the pocket (a flipped label): its neighbours are the pocket.
    const records: Record<string, CellValue>[] = []
    for (let i = 0; i < 60; i++) records.push({ x: String(i * 2), color: 'grey', label: 'a' })
    for (let i = 0; i < 12; i++) records.push({ x: String(50 + i * 0.01), color: 'grey', label: 'b' })
    records.push({ x: '50.055', color: 'grey', label: 'a' })
    const ds = await table(records)
    const nb = tabularNeighbours(encodeTabular(featureColumns(ds), ds.rows), { kept: 12 })
    for (let i = 0; i < ds.rows; i++) for (let q = 0; q < nb.kept; q++) expect(nb.index[i * nb.kept + q]).not.toBe(i)
    const votes = neighbourVotes(nb, ds.y, 2, { k: 10 })
    const b = ds.classes.indexOf('b')
    const flipped = ds.rows - 1
    // All ten neighbours are "b": (10 + share_b) / 11.
    expect(votes[flipped * 2 + b]).toBeCloseTo((10 + 12 / 73) / 11, 6)
    // Leaving the pocket out of the vote sends the row back to its own class.
    const pocket = new Set(Array.from({ length: 12 }, (_, i) => 60 + i))
    const without = neighbourVotes(nb, ds.y, 2, { k: 10, exclude: pocket })
    expect(without[flipped * 2 + b]).toBeLessThan(0.1)
  })

  it('searches a bounded reference sample on large inputs', async () => {
    const records: Record<string, CellValue>[] = Array.from({ length: 400 }, (_, i) => ({ x: String(i), label: i % 2 === 0 ? 'a' : 'b' }))
    const ds = await table(records)
    const nb = tabularNeighbours(encodeTabular(featureColumns(ds), ds.rows), { kept: 5, reference: 50, seed: 3 })
    const used = new Set(Array.from(nb.index).filter((j) => j >= 0))
    expect(used.size).toBeLessThanOrEqual(50)
    expect(nb.index.every((j) => j >= 0)).toBe(true)
  })

  it('finds the nearest text by TF-IDF cosine', () => {
    const texts = ['red apples and green pears', 'the stock market fell today', 'green pears and red apples in a bowl', 'markets fell as the stock index dropped']
    const nb = textNeighbours(encodeTexts(texts).X, { kept: 1 })
    expect(Array.from(nb.index)).toEqual([2, 3, 0, 1])
  })
})

describe('the ensemble confident learning runs on', () => {
  it('weighs the models two to one against the neighbours, and lists the rows assigned elsewhere', () => {
    const model = Float64Array.from([0.9, 0.1, 0.3, 0.7])
    const votes = Float64Array.from([0.0, 1.0, 0.3, 0.7])
    const blended = blendNeighbours(model, votes, 2)
    expect(Array.from(blended).map((v) => Number(v.toFixed(4)))).toEqual([0.6, 0.4, 0.3, 0.7])
    expect([...disagreements(blended, Int32Array.from([1, 1]), 2)]).toEqual([0])
  })

  it('corrects the confident joint for the hit rate of each threshold (targeted flips are counted in full)', () => {
    // Class 1 is confidently separable but its probabilities spread from 0.80 to 0.99: a threshold
    // at their mean is reached by about half of them. 40 of its 200 rows were moved to class 0 (a
    // targeted flip); they look exactly like the rest of class 1.
    const spread = (k: number) => 0.8 + (0.19 * (k % 20)) / 19
    const y: number[] = []
    const p1: number[] = []
    for (let k = 0; k < 800; k++) {
      y.push(0)
      p1.push(0.02)
    }
    for (let k = 0; k < 200; k++) {
      y.push(k < 40 ? 0 : 1)
      p1.push(spread(k))
    }
    const probs = Float64Array.from(p1.flatMap((p) => [1 - p, p]))
    const labels = Int32Array.from(y)
    const plain = findLabelIssues(probs, labels, 2)
    // The plain joint counts only the flipped rows that reach class 1's mean: about half.
    expect(plain.issues.length).toBeLessThan(25)
    const suspects = disagreements(probs, labels, 2)
    expect(suspects.size).toBe(40)
    const corrected = findLabelIssues(probs, labels, 2, { correctHitRate: suspects })
    expect(corrected.issues.length).toBe(40)
    expect(corrected.issues.every((i) => i.row >= 800 && i.row < 840 && i.suggested === 1)).toBe(true)
  })
})
