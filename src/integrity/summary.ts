/**
 * What the dataset looks like: class balance, one summary per column, and — given the previous
 * version — what changed: rows added and removed, rows whose label changed, class shares, columns.
 */
import type { CellValue } from './readers.js'
import type { Column, Dataset } from './table.js'

export interface ClassShare {
  label: CellValue
  count: number
  /** 0..1 of the labelled rows. */
  share: number
}

export interface ColumnSummary {
  name: string
  kind: Column['kind']
  missing: number
  distinct: number
  min?: number
  max?: number
  mean?: number
  std?: number
  median?: number
  /** Most frequent values (categorical and label columns). */
  top?: { value: string; count: number }[]
}

export interface TextSummary {
  column: string
  mean_chars: number
  max_chars: number
  empty: number
}

export interface DatasetSummary {
  rows: number
  missing_labels: number
  class_balance: ClassShare[]
  columns: ColumnSummary[]
  text?: TextSummary
}

const round = (v: number, digits = 4) => Number(v.toPrecision(digits + 2))

export function classBalance(ds: Dataset): ClassShare[] {
  const counts = new Array<number>(ds.classes.length).fill(0)
  let labelled = 0
  for (const v of ds.y) {
    if (v < 0) continue
    counts[v] = (counts[v] as number) + 1
    labelled++
  }
  return ds.classes.map((label, k) => ({ label, count: counts[k] as number, share: round((counts[k] as number) / Math.max(1, labelled)) }))
}

function summarizeColumn(col: Column): ColumnSummary {
  const s: ColumnSummary = { name: col.name, kind: col.kind, missing: col.missing, distinct: col.values.length }
  if (col.kind === 'numeric') {
    const pairs: { x: number; w: number }[] = []
    let n = 0
    let sum = 0
    for (let v = 0; v < col.values.length; v++) {
      const x = col.numbers[v] as number
      if (Number.isNaN(x)) continue
      const w = col.counts[v] as number
      pairs.push({ x, w })
      n += w
      sum += x * w
    }
    if (n > 0) {
      pairs.sort((a, b) => a.x - b.x)
      const mean = sum / n
      let variance = 0
      for (const p of pairs) variance += (p.x - mean) ** 2 * p.w
      let acc = 0
      let median = pairs[0]?.x ?? 0
      for (const p of pairs) {
        acc += p.w
        if (acc >= n / 2) {
          median = p.x
          break
        }
      }
      Object.assign(s, { min: pairs[0]?.x, max: pairs.at(-1)?.x, mean: round(mean), std: round(Math.sqrt(variance / n)), median })
    }
  } else {
    s.top = Array.from(col.counts, (count, v) => ({ value: col.values[v] as string, count }))
      .sort((a, b) => b.count - a.count)
      .slice(0, 5)
  }
  return s
}

export function summarizeDataset(ds: Dataset): DatasetSummary {
  let missing = 0
  for (const v of ds.y) if (v < 0) missing++
  const summary: DatasetSummary = {
    rows: ds.rows,
    missing_labels: missing,
    class_balance: classBalance(ds),
    columns: ds.columns.map((c) => summarizeColumn(c)),
  }
  if (ds.texts !== undefined && ds.textColumn !== undefined) {
    let chars = 0
    let max = 0
    let empty = 0
    for (const t of ds.texts) {
      chars += t.length
      if (t.length > max) max = t.length
      if (t.trim() === '') empty++
    }
    summary.text = { column: ds.textColumn, mean_chars: round(chars / Math.max(1, ds.rows), 2), max_chars: max, empty }
  }
  return summary
}

export interface DatasetDiff {
  previous_file: string
  rows: { previous: number; current: number }
  /** Rows (features and label) present now and not before, counted with multiplicity. */
  rows_added: number
  rows_removed: number
  /** Up to 1000 of them: row numbers in the current file / in the previous file. */
  added_rows: number[]
  removed_rows: number[]
  /** Rows whose inputs are unchanged but whose label changed (the signature of label flipping). */
  relabelled: { row: number; previous_row: number; previous_label: CellValue; label: CellValue }[]
  relabelled_count: number
  class_balance: { label: CellValue; previous_share: number; share: number; delta: number }[]
  columns: {
    added: string[]
    removed: string[]
    changed: { name: string; missing_share_delta: number; mean_shift_sd?: number; new_values?: string[]; vanished_values?: string[] }[]
  }
}

const MAX_LISTED = 1000

/** Key of a row's inputs (every column but the label), comparable across files. */
function inputKeys(ds: Dataset, names: readonly string[]): (row: number) => string {
  if (ds.texts !== undefined) {
    const texts = ds.texts
    return (row) => (texts[row] as string).toLowerCase().replace(/\s+/g, ' ').trim()
  }
  const cols = names.map((name) => ds.columns.find((c) => c.name === name))
  return (row) => {
    let key = ''
    for (const col of cols) {
      const code = col ? (col.codes[row] as number) : -1
      key += `${code < 0 || !col ? '' : col.values[code]}\u0001`
    }
    return key
  }
}

function labelKey(ds: Dataset, row: number): string {
  const v = ds.y[row] as number
  return v < 0 ? '' : JSON.stringify(ds.classes[v])
}

export function diffDatasets(previous: Dataset, current: Dataset): DatasetDiff {
  const inputNames = current.columns.filter((c) => c.kind !== 'label' && c.kind !== 'id').map((c) => c.name)
  const prevInput = inputKeys(previous, inputNames)
  const curInput = inputKeys(current, inputNames)
  const prevRows = new Map<string, number[]>()
  const prevInputs = new Map<string, { label: string; row: number } | null>()
  for (let r = 0; r < previous.rows; r++) {
    const input = prevInput(r)
    const key = `${input}\u0002${labelKey(previous, r)}`
    const list = prevRows.get(key)
    if (list) list.push(r)
    else prevRows.set(key, [r])
    const seen = prevInputs.get(input)
    const label = labelKey(previous, r)
    // An input seen with two labels before cannot say which label it "had".
    if (seen === undefined) prevInputs.set(input, { label, row: r })
    else if (seen !== null && seen.label !== label) prevInputs.set(input, null)
  }
  const added: number[] = []
  const relabelled: DatasetDiff['relabelled'] = []
  let addedCount = 0
  let relabelledCount = 0
  for (let r = 0; r < current.rows; r++) {
    const input = curInput(r)
    const key = `${input}\u0002${labelKey(current, r)}`
    const list = prevRows.get(key)
    if (list !== undefined && list.length > 0) {
      list.pop()
      continue
    }
    addedCount++
    if (added.length < MAX_LISTED) added.push(r)
    const before = prevInputs.get(input)
    if (before) {
      relabelledCount++
      if (relabelled.length < MAX_LISTED) {
        const prevClass = previous.y[before.row] as number
        relabelled.push({ row: r, previous_row: before.row, previous_label: prevClass < 0 ? null : (previous.classes[prevClass] ?? null), label: (current.y[r] as number) < 0 ? null : (current.classes[current.y[r] as number] ?? null) })
      }
    }
  }
  const removed: number[] = []
  let removedCount = 0
  for (const list of prevRows.values())
    for (const r of list) {
      removedCount++
      if (removed.length < MAX_LISTED) removed.push(r)
    }
  removed.sort((a, b) => a - b)
  const prevBalance = new Map(classBalance(previous).map((c) => [JSON.stringify(c.label), c.share]))
  const curBalance = classBalance(current)
  const labels = new Map<string, CellValue>()
  for (const c of previous.classes) labels.set(JSON.stringify(c), c)
  for (const c of current.classes) labels.set(JSON.stringify(c), c)
  const class_balance = [...labels].map(([k, label]) => {
    const prev = prevBalance.get(k) ?? 0
    const cur = curBalance.find((c) => JSON.stringify(c.label) === k)?.share ?? 0
    return { label, previous_share: prev, share: cur, delta: round(cur - prev) }
  })
  const prevCols = new Map(previous.columns.map((c) => [c.name, c]))
  const curCols = new Map(current.columns.map((c) => [c.name, c]))
  const changed: DatasetDiff['columns']['changed'] = []
  for (const [name, cur] of curCols) {
    const prev = prevCols.get(name)
    if (!prev || cur.kind === 'label') continue
    const entry: DatasetDiff['columns']['changed'][number] = { name, missing_share_delta: round(cur.missing / current.rows - prev.missing / previous.rows) }
    if (cur.kind === 'numeric' && prev.kind === 'numeric') {
      const a = summarizeColumn(prev)
      const b = summarizeColumn(cur)
      if (a.mean !== undefined && b.mean !== undefined) entry.mean_shift_sd = round((b.mean - a.mean) / (a.std && a.std > 0 ? a.std : 1))
    } else if (cur.kind === 'categorical') {
      const before = new Set(prev.values)
      const after = new Set(cur.values)
      const fresh = cur.values.filter((v) => !before.has(v))
      const gone = prev.values.filter((v) => !after.has(v))
      if (fresh.length > 0) entry.new_values = fresh.slice(0, 20)
      if (gone.length > 0) entry.vanished_values = gone.slice(0, 20)
    }
    const notable = Math.abs(entry.missing_share_delta) >= 0.001 || Math.abs(entry.mean_shift_sd ?? 0) >= 0.05 || entry.new_values !== undefined || entry.vanished_values !== undefined
    if (notable) changed.push(entry)
  }
  return {
    previous_file: previous.file,
    rows: { previous: previous.rows, current: current.rows },
    rows_added: addedCount,
    rows_removed: removedCount,
    added_rows: added,
    removed_rows: removed,
    relabelled,
    relabelled_count: relabelledCount,
    class_balance,
    columns: { added: [...curCols.keys()].filter((k) => !prevCols.has(k)), removed: [...prevCols.keys()].filter((k) => !curCols.has(k)), changed },
  }
}
