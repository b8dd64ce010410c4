import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { writeRecords } from './poison.js'
import { CsvParser, detectFormat, readCsv, readJsonl, type DataRecord } from './readers.js'
import { RowSplitter } from './row-splitter.js'

const dir = mkdtempSync(join(tmpdir(), 'rampart-readers-'))
let n = 0
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, `${n++}-${name}`)
  writeFileSync(p, content)
  return p
}

async function all(gen: AsyncGenerator<DataRecord>): Promise<DataRecord[]> {
  const out: DataRecord[] = []
  for await (const r of gen) out.push(r)
  return out
}

/** Splits a file's bytes into rows the way manifests do. */
function splitRows(bytes: Buffer, format: 'csv' | 'lines', chunk: number): { prefix: Buffer; rows: Buffer[] } {
  const parts = new Map<number, Buffer[]>()
  const splitter = new RowSplitter(format, {
    piece: (row, buf, s, e) => {
      parts.set(row, [...(parts.get(row) ?? []), Buffer.from(buf.subarray(s, e))])
    },
    endRow: () => {},
  })
  for (let i = 0; i < bytes.length; i += chunk) splitter.push(bytes.subarray(i, i + chunk))
  splitter.end()
  const rows: Buffer[] = []
  for (let r = 0; r < splitter.rows; r++) rows.push(Buffer.concat(parts.get(r) ?? []))
  return { prefix: Buffer.concat(parts.get(-1) ?? []), rows }
}

describe('CSV reader (RFC 4180)', () => {
  it('reads quoted fields, doubled quotes, line breaks inside quotes, CRLF and LF, and skips blank lines', async () => {
    const p = file('a.csv', 'id,text,label\r\n1,"hello, ""world""",a\r\n\r\n2,"two\r\nlines",b\n3,plain,\n')
    const rows = await all(readCsv(p))
    expect(rows.map((r) => r.values)).toEqual([
      { id: '1', text: 'hello, "world"', label: 'a' },
      { id: '2', text: 'two\r\nlines', label: 'b' },
      { id: '3', text: 'plain', label: '' },
    ])
    expect(rows.map((r) => [r.row, r.line])).toEqual([
      [0, 2],
      [1, 4],
      [2, 6],
    ])
  })

  it('gives the same records whatever the chunk size (state carried across chunks)', async () => {
    const content = 'a,b\r\n"x""y","1\n2"\r\n"",3\r\nlast,"q"'
    const p = file('chunks.csv', content)
    const whole = (await all(readCsv(p))).map((r) => r.values)
    expect(whole).toEqual([
      { a: 'x"y', b: '1\n2' },
      { a: '', b: '3' },
      { a: 'last', b: 'q' },
    ])
    for (const size of [1, 2, 3, 5, 7]) expect((await all(readCsv(p, { chunkBytes: size }))).map((r) => r.values)).toEqual(whole)
  })

  it('refuses an unclosed quote, text after a closing quote, extra fields and a repeated header, naming the line', async () => {
    await expect(all(readCsv(file('open.csv', 'a,b\n1,"never closed\n')))).rejects.toThrow(/:2: a quoted field is never closed/)
    await expect(all(readCsv(file('after.csv', 'a,b\n1,2\n"x"y,3\n')))).rejects.toThrow(/:3: text after a closing quote/)
    await expect(all(readCsv(file('extra.csv', 'a,b\n1,2,3\n')))).rejects.toThrow(/:2: 3 fields, the header has 2/)
    await expect(all(readCsv(file('dup.csv', 'a,a\n1,2\n')))).rejects.toThrow(/column "a" appears twice/)
  })

  it('round-trips any table through writeRecords, and manifests cut the same rows (property)', async () => {
    const cell = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('"', '""', ',', '\r\n', '\n', ' lead', 'trail ', 'a"b'))
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cell, cell, cell), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 9 }), async (table, chunk) => {
        const records = table.map(([a, b, c]) => ({ a, b, c }))
        const p = join(dir, `prop-${n++}.csv`)
        await writeRecords(p, records, 'csv', ['a', 'b', 'c'])
        const back = (await all(readCsv(p, { chunkBytes: chunk }))).map((r) => r.values)
        expect(back).toEqual(records)
        const bytes = readFileSync(p)
        const split = splitRows(bytes, 'csv', chunk)
        expect(split.rows.length).toBe(records.length)
        expect(Buffer.concat([split.prefix, ...split.rows]).equals(bytes)).toBe(true)
      }),
      { numRuns: 60 },
    )
  })
})

describe('CSV parser', () => {
  it('keeps a bare quote inside an unquoted field as text', () => {
    const p = new CsvParser()
    expect([...p.push('h1,h2\n5\'10",x\n'), ...p.end()].map((r) => r.fields)).toEqual([
      ['h1', 'h2'],
      ['5\'10"', 'x'],
    ])
  })
})

describe('JSONL reader', () => {
  it('reads objects, skips blank lines, keeps scalars and stringifies nested values', async () => {
    const p = file('a.jsonl', '{"text":"hi","label":1,"tags":["x"]}\n\n  \n{"text":null,"label":"b"}')
    const rows = await all(readJsonl(p, { chunkBytes: 4 }))
    expect(rows).toEqual([
      { row: 0, line: 1, values: { text: 'hi', label: 1, tags: '["x"]' } },
      { row: 1, line: 4, values: { text: null, label: 'b' } },
    ])
  })

  it('names the line of invalid JSON and of a non-object', async () => {
    await expect(all(readJsonl(file('bad.jsonl', '{"a":1}\n{oops\n')))).rejects.toThrow(/:2: not valid JSON/)
    await expect(all(readJsonl(file('arr.jsonl', '[1,2]\n')))).rejects.toThrow(/:1: expected a JSON object/)
  })

  it('numbers rows as the manifest splitter does (blank lines belong to the row before)', () => {
    const bytes = Buffer.from('\n{"a":1}\n\n{"a":2}\r\n{"a":3}')
    const split = splitRows(bytes, 'lines', 3)
    expect(split.prefix.toString()).toBe('\n')
    expect(split.rows.map((b) => b.toString())).toEqual(['{"a":1}\n\n', '{"a":2}\r\n', '{"a":3}'])
  })
})

describe('detectFormat', () => {
  it('maps extensions and asks for --format otherwise', () => {
    expect(detectFormat('x.CSV')).toBe('csv')
    expect(detectFormat('x.ndjson')).toBe('jsonl')
    expect(detectFormat('x.txt', 'csv')).toBe('csv')
    expect(() => detectFormat('x.parquet')).toThrow(/--format/)
  })
})
