/**
 * The profile of a whole table: one column profile per column (in first-seen order) and the row
 * count, plus the model-quality accumulator when ground truth and prediction columns are named.
 * `toJSON()` is the mergeable state stored as profile.json beside statistics.json.
 */
import { RampartError } from '../../core/errors.js'
import type { RowBatch } from '../io/table.js'
import { QualityAccumulator, type QualityColumns, type QualityState } from '../quality.js'
import { ColumnProfiler, type ColumnState } from './column.js'
import { DEFAULT_PROFILE_OPTIONS, type ProfileOptions } from './options.js'

export interface ProfileState {
  format: 'rampart-profile'
  version: 1
  options: ProfileOptions
  rows: number
  columns: ColumnState[]
  quality: QualityState | null
}

/** Nested JSON objects become dotted column names ({"a":{"b":1}} → "a.b"); arrays stay one value. */
export function flattenRecord(record: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(record)) {
    const name = prefix === '' ? k : `${prefix}.${k}`
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenRecord(v as Record<string, unknown>, name, out)
    else out[name] = v
  }
  return out
}

export class DatasetProfiler {
  rows = 0
  readonly options: ProfileOptions
  readonly columns: ColumnProfiler[] = []
  private readonly byName = new Map<string, ColumnProfiler>()
  quality: QualityAccumulator | null
  private lastHeader: string[] | undefined
  private lastColumns: ColumnProfiler[] = []
  private qualityIndexes: [number, number, number] = [-1, -1, -1]

  private readonly ranges: ReadonlyMap<string, readonly [number, number]>
  private readonly textColumns: ReadonlySet<string>

  /**
   * `ranges`: count values outside these [min, max] per column exactly (range checks).
   * `textColumns`: profile these as free text from the first value (the baseline's Text columns).
   */
  constructor(options: Partial<ProfileOptions> = {}, quality?: QualityColumns, ranges: ReadonlyMap<string, readonly [number, number]> = new Map(), textColumns: ReadonlySet<string> = new Set()) {
    this.options = { ...DEFAULT_PROFILE_OPTIONS, ...options }
    this.quality = quality ? new QualityAccumulator(quality, this.options.seed) : null
    this.ranges = ranges
    this.textColumns = textColumns
  }

  column(name: string): ColumnProfiler {
    let c = this.byName.get(name)
    if (c === undefined) {
      c = new ColumnProfiler(name, this.options, this.columns.length)
      const range = this.ranges.get(name)
      if (range) [c.rangeMin, c.rangeMax] = range
      if (this.textColumns.has(name)) c.forceText()
      this.byName.set(name, c)
      this.columns.push(c)
    }
    return c
  }

  getColumn(name: string): ColumnProfiler | undefined {
    return this.byName.get(name)
  }

  addBatch(batch: RowBatch): void {
    if (batch.kind === 'cells') for (const row of batch.rows) this.addCells(batch.header, row)
    else for (const r of batch.rows) this.addRecord(r)
  }

  /** Adds one CSV row under its header (fields past the header are ignored, missing ones are missing). */
  addCells(header: string[], row: string[]): void {
    if (header !== this.lastHeader) {
      this.lastHeader = header
      this.lastColumns = header.map((h) => this.column(h))
      const q = this.quality?.columns
      this.qualityIndexes = q ? [header.indexOf(q.groundTruth), header.indexOf(q.prediction), q.score ? header.indexOf(q.score) : -1] : [-1, -1, -1]
    }
    this.rows++
    const cols = this.lastColumns
    const n = Math.min(cols.length, row.length)
    for (let i = 0; i < n; i++) {
      const cell = row[i] as string
      ;(cols[i] as ColumnProfiler).addRange(cell, 0, cell.length)
    }
    if (this.quality) {
      const [g, p, s] = this.qualityIndexes
      this.quality.add(g >= 0 ? row[g] : undefined, p >= 0 ? row[p] : undefined, s >= 0 ? row[s] : undefined)
    }
  }

  addRecord(record: Record<string, unknown>): void {
    this.rows++
    const flat = flattenRecord(record)
    for (const [k, v] of Object.entries(flat)) this.column(k).addValue(v)
    if (this.quality) {
      const q = this.quality.columns
      this.quality.add(flat[q.groundTruth], flat[q.prediction], q.score ? flat[q.score] : undefined)
    }
  }

  merge(o: DatasetProfiler): void {
    this.rows += o.rows
    for (const c of o.columns) this.column(c.name).merge(c)
    if (o.quality) {
      if (this.quality === null) this.quality = o.quality
      else this.quality.merge(o.quality)
    }
  }

  toJSON(): ProfileState {
    return {
      format: 'rampart-profile',
      version: 1,
      options: this.options,
      rows: this.rows,
      columns: this.columns.map((c) => c.toJSON()),
      quality: this.quality ? this.quality.toJSON() : null,
    }
  }

  static fromJSON(state: ProfileState): DatasetProfiler {
    if (state?.format !== 'rampart-profile' || state.version !== 1) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', 'not a Rampart profile (profile.json format rampart-profile, version 1)', { path: 'profile.json' })
    }
    const p = new DatasetProfiler(state.options)
    p.rows = state.rows
    state.columns.forEach((s, i) => {
      const c = ColumnProfiler.fromJSON(s, p.options, i)
      p.byName.set(c.name, c)
      p.columns.push(c)
    })
    p.quality = state.quality ? QualityAccumulator.fromJSON(state.quality, p.options.seed) : null
    return p
  }
}

/** Profiles an async stream of rows (the RunChecks input) or of batches. */
export async function profileRows(rows: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>, options: Partial<ProfileOptions> = {}, quality?: QualityColumns): Promise<DatasetProfiler> {
  const p = new DatasetProfiler(options, quality)
  for await (const r of rows) p.addRecord(r)
  return p
}
