import { describe, expect, it } from 'vitest'
import { binColumns, predictBoosted, trainBoosted } from './boosting.js'
import { rng } from './sparse.js'
import type { Column } from './table.js'

/** A numeric column from numbers (dictionary-coded like the loader does). */
function numericColumn(name: string, xs: number[]): Column {
  const values = xs.map((x) => x.toFixed(4))
  return {
    name,
    kind: 'numeric',
    codes: Int32Array.from(xs, (_, i) => i),
    values,
    originals: values,
    numbers: Float64Array.from(values, Number),
    counts: new Int32Array(xs.length).fill(1),
    missing: 0,
  }
}

describe('gradient-boosted trees', () => {
  it('learn an interaction no linear model can (XOR of two signs), on rows they never saw', () => {
    const random = rng(3)
    const n = 2000
    const a = Array.from({ length: n }, () => random() * 2 - 1)
    const b = Array.from({ length: n }, () => random() * 2 - 1)
    const y = Int32Array.from(a, (v, i) => ((v > 0) !== ((b[i] as number) > 0) ? 1 : 0))
    const table = binColumns([numericColumn('a', a), numericColumn('b', b)], n)
    const train = Int32Array.from({ length: 1500 }, (_, i) => i)
    const model = trainBoosted(table, y, train, 2, { rounds: 60, depth: 3 })
    const out = new Float64Array(2)
    let right = 0
    for (let i = 1500; i < n; i++) {
      predictBoosted(model, table, i, out)
      if (((out[1] as number) > 0.5 ? 1 : 0) === y[i]) right++
    }
    expect(right / 500).toBeGreaterThan(0.9)
  })

  it('handles three classes and categorical splits', () => {
    const n = 900
    const codes = Int32Array.from({ length: n }, (_, i) => i % 3)
    const col: Column = { name: 'c', kind: 'categorical', codes, values: ['x', 'y', 'z'], originals: ['x', 'y', 'z'], numbers: new Float64Array(3).fill(Number.NaN), counts: Int32Array.from([300, 300, 300]), missing: 0 }
    const y = Int32Array.from(codes, (c) => (c + 1) % 3)
    const table = binColumns([col], n)
    const model = trainBoosted(table, y, Int32Array.from({ length: n }, (_, i) => i), 3, { rounds: 30 })
    const out = new Float64Array(3)
    predictBoosted(model, table, 0, out)
    expect(out.indexOf(Math.max(...out))).toBe(1)
    expect((out[1] as number) > 0.9).toBe(true)
  })
})
