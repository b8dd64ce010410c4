/**
 * Reads a table file as a stream of row batches: CSV (header row, RFC 4180) or JSONL (one JSON
 * object per line). Chosen by extension (.csv, .jsonl/.ndjson/.json) unless `format` is given.
 * Memory holds one read chunk and one batch; `onProgress` reports rows and bytes read.
 */
import { createReadStream, statSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import { RampartError } from '../../core/errors.js'
import { CsvParser, RowCollector } from './csv.js'

export type TableFormat = 'csv' | 'jsonl'

/** CSV rows as cells under one header, or JSONL records. */
export type RowBatch = { kind: 'cells'; header: string[]; rows: string[][] } | { kind: 'records'; rows: Record<string, unknown>[] }

export interface ReadTableOptions {
  format?: TableFormat
  /** Rows per batch (default 2,048). */
  batchSize?: number
  onProgress?: (rows: number, bytes: number) => void
  /** JSONL lines that are not JSON objects: called with the line number and reason; they are skipped. */
  onInvalidLine?: (line: number, reason: string) => void
}

export function detectFormat(file: string): TableFormat {
  const lower = file.toLowerCase()
  if (lower.endsWith('.csv')) return 'csv'
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json')) return 'jsonl'
  throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}: cannot tell the format from the name; use .csv or .jsonl, or pass the format`, { path: file })
}

/** Header names made unique and non-empty, so every column has a name to report. */
export function normalizeHeader(raw: string[]): string[] {
  const seen = new Map<string, number>()
  return raw.map((name, i) => {
    let base = name.trim()
    if (i === 0) base = base.replace(/^\uFEFF/, '')
    if (base === '') base = `column_${i + 1}`
    const count = (seen.get(base) ?? 0) + 1
    seen.set(base, count)
    return count === 1 ? base : `${base}_${count}`
  })
}

export function fileSize(file: string): number {
  try {
    return statSync(file).size
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `cannot read ${file}: ${(cause as Error).message}`, { path: file, cause })
  }
}

/** Streams a CSV or JSONL file as row batches. */
export async function* readTable(file: string, options: ReadTableOptions = {}): AsyncGenerator<RowBatch> {
  const format = options.format ?? detectFormat(file)
  fileSize(file)
  const batchSize = options.batchSize ?? 2048
  const stream = createReadStream(file, { highWaterMark: 1 << 20 })
  const decoder = new StringDecoder('utf8')
  let bytes = 0
  let rowsRead = 0
  try {
    if (format === 'csv') {
      const parser = new CsvParser()
      let header: string[] | undefined
      let batch: string[][] = []
      const emit = new RowCollector((row: string[]) => {
        if (header === undefined) header = normalizeHeader(row)
        else batch.push(row)
      })
      for await (const chunk of stream) {
        bytes += (chunk as Buffer).length
        parser.feed(decoder.write(chunk as Buffer), emit)
        if (batch.length >= batchSize && header) {
          rowsRead += batch.length
          yield { kind: 'cells', header, rows: batch }
          batch = []
          options.onProgress?.(rowsRead, bytes)
        }
      }
      parser.feed(decoder.end(), emit)
      parser.end(emit)
      if (header === undefined) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}: empty CSV (no header row)`, { path: file })
      if (batch.length > 0) {
        rowsRead += batch.length
        yield { kind: 'cells', header, rows: batch }
      }
      if (parser.errors > 0) options.onInvalidLine?.(0, `${parser.errors} record(s) with an unterminated quoted field`)
    } else {
      let pending = ''
      let lineNo = 0
      let batch: Record<string, unknown>[] = []
      const takeLine = (line: string) => {
        lineNo++
        if (line.trim() === '') return
        let value: unknown
        try {
          value = JSON.parse(line)
        } catch (cause) {
          options.onInvalidLine?.(lineNo, `not valid JSON (${(cause as Error).message})`)
          return
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          options.onInvalidLine?.(lineNo, 'not a JSON object')
          return
        }
        batch.push(value as Record<string, unknown>)
      }
      for await (const chunk of stream) {
        bytes += (chunk as Buffer).length
        const text = pending + decoder.write(chunk as Buffer)
        let start = 0
        for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
          takeLine(text.slice(start, nl))
          start = nl + 1
        }
        pending = text.slice(start)
        if (batch.length >= batchSize) {
          rowsRead += batch.length
          yield { kind: 'records', rows: batch }
          batch = []
          options.onProgress?.(rowsRead, bytes)
        }
      }
      pending += decoder.end()
      if (pending !== '') takeLine(pending)
      if (batch.length > 0) {
        rowsRead += batch.length
        yield { kind: 'records', rows: batch }
      }
    }
    options.onProgress?.(rowsRead, bytes)
  } finally {
    stream.destroy()
  }
}
