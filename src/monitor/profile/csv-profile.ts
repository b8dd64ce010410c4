/**
 * Profiles a CSV stream without building rows: the parser hands each field, as a range of the
 * read chunk, straight to its column's profile, so numbers cost no string at all.
 */
import { createReadStream } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import { RampartError } from '../../core/errors.js'
import { CsvParser, type CsvSink } from '../io/csv.js'
import { fileSize, normalizeHeader } from '../io/table.js'
import type { ColumnProfiler } from './column.js'
import type { DatasetProfiler } from './dataset.js'

class ProfileSink implements CsvSink {
  private header: string[] | undefined
  private headerCells: string[] = []
  private columns: ColumnProfiler[] = []
  private col = 0
  private qualityIndexes: number[] = []
  private qualityValues: (string | undefined)[] = []

  constructor(private readonly profile: DatasetProfiler) {}

  range(s: string, start: number, end: number): void {
    if (this.header === undefined) {
      this.headerCells.push(s.slice(start, end))
      return
    }
    const i = this.col++
    if (this.qualityIndexes.includes(i)) this.keepQuality(i, s.slice(start, end))
    this.columns[i]?.addRange(s, start, end)
  }

  value(v: string): void {
    if (this.header === undefined) {
      this.headerCells.push(v)
      return
    }
    const i = this.col++
    if (this.qualityIndexes.includes(i)) this.keepQuality(i, v)
    this.columns[i]?.addText(v)
  }

  /** Ground truth, prediction and score may share a column; each gets the value. */
  private keepQuality(column: number, v: string): void {
    this.qualityIndexes.forEach((q, k) => {
      if (q === column) this.qualityValues[k] = v
    })
  }

  endRow(): void {
    if (this.header === undefined) {
      this.header = normalizeHeader(this.headerCells)
      this.columns = this.header.map((h) => this.profile.column(h))
      const q = this.profile.quality?.columns
      if (q) this.qualityIndexes = [q.groundTruth, q.prediction, q.score ?? ''].map((name) => (this.header as string[]).indexOf(name))
      return
    }
    this.profile.rows++
    if (this.profile.quality) {
      this.profile.quality.add(this.qualityValues[0], this.qualityValues[1], this.qualityValues[2])
      this.qualityValues = []
    }
    this.col = 0
  }

  sawHeader(): boolean {
    return this.header !== undefined
  }
}

/** Streams a CSV file into `profile`; `onProgress` gets rows and bytes read. */
export async function profileCsvFile(file: string, profile: DatasetProfiler, onProgress?: (rows: number, bytes: number) => void): Promise<void> {
  fileSize(file)
  const stream = createReadStream(file, { highWaterMark: 1 << 20 })
  const decoder = new StringDecoder('utf8')
  const parser = new CsvParser()
  const sink = new ProfileSink(profile)
  let bytes = 0
  try {
    for await (const chunk of stream) {
      bytes += (chunk as Buffer).length
      parser.feed(decoder.write(chunk as Buffer), sink)
      onProgress?.(profile.rows, bytes)
    }
    parser.feed(decoder.end(), sink)
    parser.end(sink)
  } finally {
    stream.destroy()
  }
  if (!sink.sawHeader()) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}: empty CSV (no header row)`, { path: file })
  onProgress?.(profile.rows, bytes)
}
