/**
 * Tabular rows as model features: each numeric column standardized (log1p first when it is
 * non-negative and heavily skewed, clipped at ±5 SD) plus a one-hot of its quantile bin, so a linear
 * model can bend; each categorical column one-hot, rare values (< 3 rows) sharing one slot; a
 * missing cell gets its own indicator.
 */
import { CsrBuilder, type Csr } from './sparse.js'
import type { Column } from './table.js'

export interface TabularEncoding {
  X: Csr
  /** Feature → index into `columns`. */
  featureColumn: Int32Array
  featureNames: string[]
  columns: Column[]
  /** Per column and value code: the feature entries that value produces. */
  valueFeatures: { index: number; value: number }[][][]
  /** Per column: the entries of a missing cell. */
  missingFeatures: { index: number; value: number }[][]
}

const BINS = 8
const MIN_CATEGORY_ROWS = 3

function skewness(xs: Float64Array, weights: Int32Array): number {
  let n = 0
  let mean = 0
  for (let i = 0; i < xs.length; i++) {
    n += weights[i] as number
    mean += (xs[i] as number) * (weights[i] as number)
  }
  mean /= n
  let m2 = 0
  let m3 = 0
  for (let i = 0; i < xs.length; i++) {
    const d = (xs[i] as number) - mean
    m2 += d * d * (weights[i] as number)
    m3 += d * d * d * (weights[i] as number)
  }
  m2 /= n
  m3 /= n
  return m2 > 0 ? m3 / m2 ** 1.5 : 0
}

/** Weighted quantile cut points over distinct values (ascending), deduplicated. */
function quantileCuts(sorted: { x: number; w: number }[], total: number): number[] {
  if (sorted.length <= BINS) return sorted.slice(1).map((s) => s.x)
  const cuts: number[] = []
  let acc = 0
  let q = 1
  for (const s of sorted) {
    acc += s.w
    while (q < BINS && acc >= (q * total) / BINS) {
      if (cuts.at(-1) !== s.x) cuts.push(s.x)
      q++
    }
  }
  // A cut at the maximum would leave an empty top bin.
  if (cuts.at(-1) === sorted.at(-1)?.x) cuts.pop()
  return cuts
}

export function encodeTabular(columns: Column[], rows: number): TabularEncoding {
  const names: string[] = []
  const owner: number[] = []
  const newFeature = (name: string, col: number) => {
    names.push(name)
    owner.push(col)
    return names.length - 1
  }
  const valueFeatures: { index: number; value: number }[][][] = []
  const missingFeatures: { index: number; value: number }[][] = []
  columns.forEach((col, ci) => {
    const perValue: { index: number; value: number }[][] = []
    if (col.kind === 'numeric') {
      const xs = new Float64Array(col.values.length)
      const numeric = Array.from(col.numbers, (v) => !Number.isNaN(v))
      let allNonNegative = true
      for (let v = 0; v < xs.length; v++) {
        xs[v] = numeric[v] ? (col.numbers[v] as number) : 0
        if (numeric[v] && (xs[v] as number) < 0) allNonNegative = false
      }
      const w = Int32Array.from(col.counts, (c, v) => (numeric[v] ? c : 0))
      const useLog = allNonNegative && skewness(xs, w) > 2
      const t = useLog ? xs.map((x) => Math.log1p(x)) : xs
      let n = 0
      let mean = 0
      for (let v = 0; v < t.length; v++) {
        n += w[v] as number
        mean += (t[v] as number) * (w[v] as number)
      }
      mean = n > 0 ? mean / n : 0
      let variance = 0
      for (let v = 0; v < t.length; v++) variance += ((t[v] as number) - mean) ** 2 * (w[v] as number)
      const sd = n > 1 && variance > 0 ? Math.sqrt(variance / n) : 1
      const sorted = Array.from(t, (x, v) => ({ x, w: w[v] as number }))
        .filter((s) => s.w > 0)
        .sort((a, b) => a.x - b.x)
      const cuts = quantileCuts(sorted, n)
      const z = newFeature(`${col.name}${useLog ? ' (log)' : ''}`, ci)
      const binFeatures = Array.from({ length: cuts.length + 1 }, (_, b) =>
        newFeature(`${col.name} bin ${b === 0 ? `< ${cuts[0] ?? ''}` : b === cuts.length ? `≥ ${cuts[b - 1]}` : `[${cuts[b - 1]}, ${cuts[b]})`}`, ci),
      )
      const other = newFeature(`${col.name} not a number`, ci)
      for (let v = 0; v < t.length; v++) {
        if (!numeric[v]) {
          perValue.push([{ index: other, value: 1 }])
          continue
        }
        const x = t[v] as number
        let b = 0
        while (b < cuts.length && x >= (cuts[b] as number)) b++
        const zv = Math.max(-5, Math.min(5, (x - mean) / sd))
        perValue.push([
          { index: z, value: zv },
          { index: binFeatures[b] as number, value: 1 },
        ])
      }
    } else {
      let rare: number | undefined
      for (let v = 0; v < col.values.length; v++) {
        if ((col.counts[v] as number) >= MIN_CATEGORY_ROWS) perValue.push([{ index: newFeature(`${col.name}=${col.values[v]}`, ci), value: 1 }])
        else {
          rare ??= newFeature(`${col.name}=(rare)`, ci)
          perValue.push([{ index: rare, value: 1 }])
        }
      }
    }
    valueFeatures.push(perValue)
    missingFeatures.push(col.missing > 0 ? [{ index: newFeature(`${col.name} missing`, ci), value: 1 }] : [])
  })
  const builder = new CsrBuilder(names.length)
  for (let i = 0; i < rows; i++) {
    for (let ci = 0; ci < columns.length; ci++) {
      const code = (columns[ci] as Column).codes[i] as number
      const entries = code < 0 ? (missingFeatures[ci] as { index: number; value: number }[]) : ((valueFeatures[ci] as { index: number; value: number }[][])[code] as { index: number; value: number }[])
      for (const e of entries) builder.add(e.index, e.value)
    }
    builder.endRow()
  }
  return { X: builder.build(), featureColumn: Int32Array.from(owner), featureNames: names, columns, valueFeatures, missingFeatures }
}
