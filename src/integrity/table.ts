/**
 * A dataset held for scanning: every column dictionary-coded (an Int32 code per row, each distinct
 * value stored once), the text column as strings. Column kinds are inferred once all rows are in.
 */
import { statSync } from 'node:fs'
import { RampartError } from '../core/errors.js'
import { detectFormat, readRecords, type CellValue, type DataFormat } from './readers.js'

export type ColumnKind = 'numeric' | 'categorical' | 'id' | 'label' | 'text'

export interface Column {
  name: string
  kind: ColumnKind
  /** Per row: index into `values`, or -1 when missing (empty cell, null, absent). */
  codes: Int32Array
  /** Distinct values as text. */
  values: string[]
  /** The first original cell of each value (keeps JSON numbers as numbers for reports). */
  originals: CellValue[]
  /** Per value: its number, NaN when not numeric. */
  numbers: Float64Array
  /** Rows per value. */
  counts: Int32Array
  missing: number
}

export interface Dataset {
  file: string
  format: DataFormat
  rows: number
  /** Feature columns plus the label column, in file order (the text column is in `texts`). */
  columns: Column[]
  label: Column
  /** Per row: class index into `classes`, -1 when the label is missing. */
  y: Int32Array
  /** Class values in order of first appearance. */
  classes: CellValue[]
  textColumn?: string
  texts?: string[]
  /** 1-based line where each row starts, for messages. */
  lines: Int32Array
}

export interface LoadOptions {
  label: string
  text?: string
  format?: DataFormat
  /** Columns to leave out of every analysis (ids, leaks). */
  ignore?: readonly string[]
  onProgress?: (rows: number, bytes: number) => void
}

class ColumnBuilder {
  codes = new Int32Array(1024)
  readonly index = new Map<string, number>()
  readonly values: string[] = []
  readonly originals: CellValue[] = []

  set(row: number, cell: CellValue | undefined): void {
    if (row >= this.codes.length) this.grow(row + 1)
    if (cell === null || cell === undefined || (typeof cell === 'string' && cell.trim() === '')) {
      this.codes[row] = -1
      return
    }
    const key = typeof cell === 'string' ? cell.trim() : String(cell)
    let code = this.index.get(key)
    if (code === undefined) {
      code = this.values.length
      this.index.set(key, code)
      this.values.push(key)
      this.originals.push(typeof cell === 'string' ? key : cell)
    }
    this.codes[row] = code
  }

  /** Rows before this column first appeared are missing. */
  fillMissing(from: number, to: number): void {
    if (to > this.codes.length) this.grow(to)
    this.codes.fill(-1, from, to)
  }

  private grow(min: number): void {
    let size = this.codes.length
    while (size < min) size *= 2
    const next = new Int32Array(size)
    next.set(this.codes)
    this.codes = next
  }
}

/** Parses a cell as a number the way a spreadsheet would: plain decimal or exponent, nothing else. */
function parseNumber(s: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number.NaN
  return Number(s)
}

function finishColumn(name: string, b: ColumnBuilder, rows: number, kind: ColumnKind): Column {
  const codes = b.codes.slice(0, rows)
  const counts = new Int32Array(b.values.length)
  let missing = 0
  for (let i = 0; i < rows; i++) {
    const c = codes[i] as number
    if (c < 0) missing++
    else counts[c] = (counts[c] as number) + 1
  }
  const numbers = new Float64Array(b.values.length)
  for (let v = 0; v < b.values.length; v++) numbers[v] = parseNumber(b.values[v] as string)
  return { name, kind, codes, values: b.values, originals: b.originals, numbers, counts, missing }
}

/**
 * Numeric when nearly every present cell is a number; id-like when (almost) every row has its own
 * value (row ids, free text, hashes), which no model can learn from; categorical otherwise.
 */
function inferKind(col: Column, rows: number): ColumnKind {
  const present = rows - col.missing
  if (present === 0) return 'categorical'
  let numericRows = 0
  for (let v = 0; v < col.values.length; v++) if (!Number.isNaN(col.numbers[v])) numericRows += col.counts[v] as number
  const distinct = col.values.length
  if (numericRows >= 0.97 * present) {
    let integers = true
    for (let v = 0; v < distinct && integers; v++) if (!Number.isInteger(col.numbers[v])) integers = false
    return integers && present > 100 && distinct >= 0.99 * present ? 'id' : 'numeric'
  }
  return present > 100 && distinct > 0.5 * present ? 'id' : 'categorical'
}

/** Reads the whole file into a Dataset (streamed; memory is per distinct value, plus the texts). */
export async function loadDataset(file: string, options: LoadOptions): Promise<Dataset> {
  const format = detectFormat(file, options.format)
  const builders = new Map<string, ColumnBuilder>()
  const order: string[] = []
  const ignore = new Set(options.ignore ?? [])
  const texts: string[] = []
  let lines = new Int32Array(1024)
  let rows = 0
  let size: number | undefined
  try {
    size = statSync(file).size
  } catch {
    size = undefined
  }
  let bytes = 0
  for await (const rec of readRecords(file, { format, onBytes: (b) => (bytes = b) })) {
    const r = rec.row
    if (r >= lines.length) {
      const next = new Int32Array(lines.length * 2)
      next.set(lines)
      lines = next
    }
    lines[r] = rec.line
    for (const [name, cell] of Object.entries(rec.values)) {
      if (name === options.text) {
        texts[r] = cell === null ? '' : String(cell)
        continue
      }
      if (ignore.has(name)) continue
      let b = builders.get(name)
      if (b === undefined) {
        b = new ColumnBuilder()
        b.fillMissing(0, r)
        builders.set(name, b)
        order.push(name)
      }
      b.set(r, cell)
    }
    // JSONL rows may omit a column: absent means missing.
    for (const [name, b] of builders) if (!(name in rec.values)) b.set(r, null)
    rows = r + 1
    if ((rows & 1023) === 0) options.onProgress?.(rows, bytes)
  }
  options.onProgress?.(rows, size ?? bytes)
  if (rows === 0) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}: no data rows`, { path: file })
  const labelBuilder = builders.get(options.label)
  if (labelBuilder === undefined) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}: no column "${options.label}" to use as the label; columns: ${order.join(', ') || '(none)'}`, { path: '--label' })
  }
  if (options.text !== undefined) {
    if (texts.length === 0) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}: no column "${options.text}" to use as the text; columns: ${order.join(', ')}`, { path: '--text' })
    for (let i = 0; i < rows; i++) if (texts[i] === undefined) texts[i] = ''
  }
  const columns = order.map((name) => {
    const b = builders.get(name) as ColumnBuilder
    const col = finishColumn(name, b, rows, 'categorical')
    col.kind = name === options.label ? 'label' : inferKind(col, rows)
    return col
  })
  const label = columns.find((c) => c.kind === 'label') as Column
  const y = new Int32Array(rows)
  for (let i = 0; i < rows; i++) y[i] = label.codes[i] as number
  const dataset: Dataset = { file, format, rows, columns, label, y, classes: label.originals, lines: lines.slice(0, rows) }
  if (options.text !== undefined) {
    dataset.textColumn = options.text
    dataset.texts = texts
  }
  return dataset
}

/** Feature columns (numeric and categorical) of a tabular scan. */
export function featureColumns(ds: Dataset): Column[] {
  return ds.columns.filter((c) => c.kind === 'numeric' || c.kind === 'categorical')
}
