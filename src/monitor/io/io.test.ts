import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { CsvParser, parseCsv, RowCollector } from './csv.js'
import { normalizeHeader, readTable, type RowBatch } from './table.js'

const tricky = 'id,text,n\r\n1,"a, b",2\r\n2,"say ""hi""\r\nnext line",3\r\n\r\n3,plain,\r\n4,"",5'

describe('CSV parser (RFC 4180)', () => {
  it('reads quotes, doubled quotes, embedded CRLF, empty fields and a last line without a break', () => {
    expect(parseCsv(tricky)).toEqual([
      ['id', 'text', 'n'],
      ['1', 'a, b', '2'],
      ['2', 'say "hi"\r\nnext line', '3'],
      ['3', 'plain', ''],
      ['4', '', '5'],
    ])
  })
  it('gives the same records whatever the chunk boundaries', () => {
    const whole = parseCsv(tricky)
    for (let size = 1; size <= 7; size++) {
      const rows: string[][] = []
      const p = new CsvParser()
      const sink = new RowCollector((r) => rows.push(r))
      for (let i = 0; i < tricky.length; i += size) p.feed(tricky.slice(i, i + size), sink)
      p.end(sink)
      expect(rows).toEqual(whole)
    }
  })
  it('takes LF line ends, a trailing comma, text after a closing quote, and counts an unterminated quote', () => {
    expect(parseCsv('a,b\nx,\n')).toEqual([['a', 'b'], ['x', '']])
    expect(parseCsv('a,b\nx,')).toEqual([['a', 'b'], ['x', '']])
    expect(parseCsv('a\n\n\r\nb\r\n')).toEqual([['a'], ['b']])
    expect(parseCsv(',\n')).toEqual([['', '']])
    expect(parseCsv('a\n"q"x\n')).toEqual([['a'], ['qx']])
    const p = new CsvParser()
    const rows: string[][] = []
    const sink = new RowCollector((r) => rows.push(r))
    p.feed('a\n"open', sink)
    p.end(sink)
    expect(rows).toEqual([['a'], ['open']])
    expect(p.errors).toBe(1)
  })
  it('names blank and duplicate header cells and strips a BOM', () => {
    expect(normalizeHeader(['\uFEFFid', '', 'x', 'x'])).toEqual(['id', 'column_2', 'x', 'x_2'])
  })
})

describe('readTable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-io-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  async function collect(file: string, batchSize = 2): Promise<RowBatch[]> {
    const out: RowBatch[] = []
    for await (const b of readTable(file, { batchSize })) out.push(b)
    return out
  }

  it('streams CSV in batches under one header', async () => {
    const file = join(dir, 't.csv')
    writeFileSync(file, tricky)
    const batches = await collect(file)
    expect(batches.map((b) => b.rows.length)).toEqual([3, 1])
    const b = batches[0]
    expect(b?.kind === 'cells' && b.header).toEqual(['id', 'text', 'n'])
  })
  it('streams JSONL, skipping blank lines and reporting invalid ones', async () => {
    const file = join(dir, 't.jsonl')
    writeFileSync(file, '{"a":1}\n\nnot json\n[1]\n{"a":2,"b":{"c":"x"}}')
    const invalid: number[] = []
    const rows: Record<string, unknown>[] = []
    for await (const b of readTable(file, { onInvalidLine: (line) => invalid.push(line) })) if (b.kind === 'records') rows.push(...b.rows)
    expect(rows).toEqual([{ a: 1 }, { a: 2, b: { c: 'x' } }])
    expect(invalid).toEqual([3, 4])
  })

  const shared = resolve(fileURLToPath(new URL('../../../', import.meta.url)), '../shared/data/tabular')
  const haveShared = existsSync(shared)
  if (!haveShared) console.warn(`shared tabular data not found at ${shared}: skipping the real-file row counts`)
  it.skipIf(!haveShared)('reads the shared CSVs (CRLF and LF) to the row counts their README states', async () => {
    const expected: Record<string, number> = { 'adult.csv': 48_842, 'california_housing.csv': 20_640, 'wine_quality.csv': 6_497 }
    for (const [name, count] of Object.entries(expected)) {
      let rows = 0
      let width = 0
      for await (const b of readTable(join(shared, name))) {
        rows += b.rows.length
        if (b.kind === 'cells') {
          width = b.header.length
          expect(b.rows.every((r) => r.length === width)).toBe(true)
        }
      }
      expect(rows).toBe(count)
    }
  })
})
