/**
 * Streaming readers for datasets: RFC 4180 CSV (quoted fields, doubled quotes, line breaks inside
 * quotes, CRLF or LF) and JSON Lines. Both yield one record at a time, so memory is bounded by the
 * longest record, not the file.
 *
 * Row numbering is shared with the manifests (row-splitter.ts): a row is a non-blank record, 0-based,
 * the CSV header excluded; a line holding only whitespace is not a row.
 */
import { createReadStream, statSync } from 'node:fs'
import { extname } from 'node:path'
import { RampartError } from '../core/errors.js'

export type DataFormat = 'csv' | 'jsonl'

/** A JSON scalar as found in a cell; CSV cells are always strings. */
export type CellValue = string | number | boolean | null

export interface DataRecord {
  /** 0-based index of the data row in the file (header and blank lines excluded). */
  row: number
  /** 1-based line on which the record starts. */
  line: number
  /** Cell values by column name. */
  values: Record<string, CellValue>
}

/** csv for .csv/.tsv-free comma files, jsonl for .jsonl/.ndjson/.json; anything else needs `format`. */
export function detectFormat(file: string, format?: DataFormat): DataFormat {
  if (format !== undefined) return format
  const ext = extname(file).toLowerCase()
  if (ext === '.csv') return 'csv'
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl'
  throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}: cannot tell the format from the extension "${ext}"; give --format csv or jsonl`, { path: file })
}

function isBlank(s: string): boolean {
  return /^[\s\uFEFF]*$/.test(s)
}

/**
 * Incremental RFC 4180 parser: feed it text, it hands back complete records. Whitespace-only
 * lines outside quotes are skipped. A bare quote inside an unquoted field is kept as text (files
 * written by hand do this); text after a closing quote, or a quote left open at the end, is an error.
 */
export class CsvParser {
  private fields: string[] = []
  private field = ''
  private quoted = false
  private inQuotes = false
  /** A quote seen inside quotes at the end of a chunk: closing, or the first half of "". */
  private pendingQuote = false
  private afterClose = false
  private line = 1
  private recordLine = 1
  private readonly out: { fields: string[]; line: number }[] = []

  constructor(private readonly source = 'csv') {}

  /** Parses `text` and returns the records it completed, with the line each started on. */
  push(text: string): { fields: string[]; line: number }[] {
    const n = text.length
    let i = 0
    while (i < n) {
      if (this.inQuotes) {
        if (this.pendingQuote) {
          this.pendingQuote = false
          if (text.charCodeAt(i) === 34) {
            this.field += '"'
            i++
            continue
          }
          this.inQuotes = false
          this.afterClose = true
          continue
        }
        const q = text.indexOf('"', i)
        const chunk = q === -1 ? text.slice(i) : text.slice(i, q)
        this.field += chunk
        for (let k = chunk.indexOf('\n'); k !== -1; k = chunk.indexOf('\n', k + 1)) this.line++
        if (q === -1) return this.drain()
        i = q + 1
        this.pendingQuote = true
        continue
      }
      const c = text.charCodeAt(i)
      if (c === 44 /* , */) {
        this.endField()
        i++
      } else if (c === 10 /* \n */) {
        this.endRecord()
        this.line++
        this.recordLine = this.line
        i++
      } else if (c === 13 /* \r */) {
        // CR is part of CRLF; a lone CR inside an unquoted field is kept as data.
        if (i + 1 < n && text.charCodeAt(i + 1) === 10) i++
        else if (i + 1 === n) i++
        else {
          this.field += '\r'
          i++
        }
      } else if (c === 34 /* " */ && this.field === '' && !this.quoted && !this.afterClose) {
        this.inQuotes = true
        this.quoted = true
        i++
      } else if (this.afterClose) {
        throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${this.source}:${this.line}: text after a closing quote (quote a field whole, and double quotes inside it)`, {
          path: `${this.source}:${this.line}`,
        })
      } else {
        let j = i
        while (j < n) {
          const d = text.charCodeAt(j)
          if (d === 44 || d === 10 || d === 13) break
          j++
        }
        this.field += text.slice(i, j)
        i = j
      }
    }
    return this.drain()
  }

  /** Ends the input: returns the last record (a file need not end with a line break). */
  end(): { fields: string[]; line: number }[] {
    if (this.pendingQuote) {
      this.pendingQuote = false
      this.inQuotes = false
      this.afterClose = true
    }
    if (this.inQuotes) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${this.source}:${this.recordLine}: a quoted field is never closed`, { path: `${this.source}:${this.recordLine}` })
    }
    if (this.fields.length > 0 || this.field !== '' || this.quoted) this.endRecord()
    return this.drain()
  }

  private endField(): void {
    this.fields.push(this.field)
    this.field = ''
    this.quoted = false
    this.afterClose = false
  }

  private endRecord(): void {
    const wasQuoted = this.quoted
    this.endField()
    const fields = this.fields
    this.fields = []
    if (fields.length === 1 && !wasQuoted && isBlank(fields[0] as string)) return
    this.out.push({ fields, line: this.recordLine })
  }

  private drain(): { fields: string[]; line: number }[] {
    return this.out.splice(0, this.out.length)
  }
}

export interface ReadOptions {
  format?: DataFormat
  /** Called with bytes read so far, for progress. */
  onBytes?: (bytes: number) => void
  /** Stream chunk size in bytes. */
  chunkBytes?: number
}

async function* textChunks(file: string, options: ReadOptions): AsyncGenerator<string> {
  let stream
  try {
    statSync(file)
    stream = createReadStream(file, { encoding: 'utf8', highWaterMark: options.chunkBytes ?? 1 << 20 })
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `cannot read ${file}: ${(cause as Error).message}`, { path: file, cause })
  }
  let first = true
  try {
    for await (const chunk of stream) {
      let text = chunk as string
      if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      first = false
      yield text
      options.onBytes?.(stream.bytesRead)
    }
  } catch (cause) {
    if (cause instanceof RampartError) throw cause
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `cannot read ${file}: ${(cause as Error).message}`, { path: file, cause })
  }
}

/** Streams the rows of a CSV file with a header line; cells are strings, missing trailing cells are ''. */
export async function* readCsv(file: string, options: ReadOptions = {}): AsyncGenerator<DataRecord> {
  const parser = new CsvParser(file)
  let header: string[] | undefined
  let row = 0
  const emit = function* (records: { fields: string[]; line: number }[]): Generator<DataRecord> {
    for (const r of records) {
      if (header === undefined) {
        header = r.fields.map((h) => h.trim())
        const seen = new Set<string>()
        for (const h of header) {
          if (seen.has(h)) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}:${r.line}: column "${h}" appears twice in the header`, { path: `${file}:${r.line}` })
          seen.add(h)
        }
        continue
      }
      if (r.fields.length > header.length) {
        throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}:${r.line}: ${r.fields.length} fields, the header has ${header.length}`, { path: `${file}:${r.line}` })
      }
      const values: Record<string, CellValue> = {}
      for (let k = 0; k < header.length; k++) values[header[k] as string] = r.fields[k] ?? ''
      yield { row: row++, line: r.line, values }
    }
  }
  for await (const text of textChunks(file, options)) yield* emit(parser.push(text))
  yield* emit(parser.end())
}

/** The header of a CSV file (first non-blank record), without reading the rest. */
export async function readCsvHeader(file: string): Promise<string[]> {
  const parser = new CsvParser(file)
  for await (const text of textChunks(file, { chunkBytes: 64 * 1024 })) {
    const records = parser.push(text)
    if (records.length > 0) return (records[0] as { fields: string[] }).fields.map((h) => h.trim())
  }
  const last = parser.end()
  return last.length > 0 ? (last[0] as { fields: string[] }).fields.map((h) => h.trim()) : []
}

function toCell(v: unknown): CellValue {
  if (v === null || v === undefined) return null
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v
  return JSON.stringify(v)
}

/** Streams the rows of a JSON Lines file: one object per line; nested values are kept as JSON text. */
export async function* readJsonl(file: string, options: ReadOptions = {}): AsyncGenerator<DataRecord> {
  let rest = ''
  let line = 0
  let row = 0
  const parseLine = (text: string): DataRecord | undefined => {
    line++
    if (isBlank(text)) return undefined
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}:${line}: not valid JSON (${(cause as Error).message})`, { path: `${file}:${line}`, cause })
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}:${line}: expected a JSON object`, { path: `${file}:${line}` })
    }
    const values: Record<string, CellValue> = {}
    for (const [k, v] of Object.entries(value)) values[k] = toCell(v)
    return { row: row++, line, values }
  }
  for await (const text of textChunks(file, options)) {
    let start = 0
    let nl = text.indexOf('\n')
    if (nl === -1) {
      rest += text
      continue
    }
    const first = parseLine(rest + text.slice(0, nl))
    rest = ''
    if (first) yield first
    start = nl + 1
    while ((nl = text.indexOf('\n', start)) !== -1) {
      const rec = parseLine(text.slice(start, nl))
      if (rec) yield rec
      start = nl + 1
    }
    rest = text.slice(start)
  }
  if (rest !== '') {
    const rec = parseLine(rest)
    if (rec) yield rec
  }
}

/** Streams the rows of a CSV or JSONL file. */
export function readRecords(file: string, options: ReadOptions = {}): AsyncGenerator<DataRecord> {
  return detectFormat(file, options.format) === 'csv' ? readCsv(file, options) : readJsonl(file, options)
}
