/**
 * A streaming CSV parser (RFC 4180): comma-separated, fields optionally in double quotes with
 * `""` for a quote and line breaks allowed inside, records ended by CRLF or LF. It keeps only the
 * current record between chunks, so memory does not grow with the file. Lenient where Python's
 * csv module is: text after a closing quote is kept, an unterminated quote ends at end of input
 * (and is counted in `errors`). Blank lines carry no record.
 */

const QUOTE = 34
const COMMA = 44
const LF = 10
const CR = 13

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
}

export class CsvParser {
  private state = State.FieldStart
  private carry = ''
  private row: string[] = []
  /** Records with an unterminated quoted field. */
  errors = 0

  /** Parses a chunk of text, calling `emit` for each complete record. */
  feed(s: string, emit: (row: string[]) => void): void {
    const n = s.length
    let i = 0
    while (i < n) {
      switch (this.state) {
        case State.FieldStart: {
          if (s.charCodeAt(i) === QUOTE) {
            this.state = State.Quoted
            i++
            break
          }
          this.state = State.Unquoted
          i = this.scanUnquoted(s, i, emit)
          break
        }
        case State.Unquoted:
          i = this.scanUnquoted(s, i, emit)
          break
        case State.Quoted: {
          const q = s.indexOf('"', i)
          if (q === -1) {
            this.carry += s.slice(i)
            i = n
          } else {
            this.carry += s.slice(i, q)
            i = q + 1
            this.state = State.QuoteInQuoted
          }
          break
        }
        case State.QuoteInQuoted: {
          const c = s.charCodeAt(i)
          if (c === QUOTE) {
            this.carry += '"'
            this.state = State.Quoted
            i++
          } else if (c === COMMA) {
            this.row.push(this.carry)
            this.carry = ''
            this.state = State.FieldStart
            i++
          } else if (c === LF) {
            this.row.push(this.carry)
            this.carry = ''
            this.endRow(emit)
            this.state = State.FieldStart
            i++
          } else if (c === CR) {
            i++
          } else {
            this.state = State.Unquoted
          }
          break
        }
      }
    }
  }

  /** Scans an unquoted field from `i`; returns the index after it (or n when the chunk ends inside it). */
  private scanUnquoted(s: string, i: number, emit: (row: string[]) => void): number {
    const n = s.length
    const start = i
    let c = 0
    for (; i < n; i++) {
      c = s.charCodeAt(i)
      if (c === COMMA || c === LF) break
    }
    if (i === n) {
      this.carry += s.slice(start, n)
      return n
    }
    let value = this.carry === '' ? s.slice(start, i) : this.carry + s.slice(start, i)
    this.carry = ''
    this.state = State.FieldStart
    if (c === COMMA) {
      this.row.push(value)
      return i + 1
    }
    if (value.charCodeAt(value.length - 1) === CR) value = value.slice(0, -1)
    this.row.push(value)
    this.endRow(emit)
    return i + 1
  }

  private endRow(emit: (row: string[]) => void): void {
    const row = this.row
    this.row = []
    if (row.length === 1 && row[0] === '') return
    emit(row)
  }

  /** Flushes the last record when the input does not end with a line break. */
  end(emit: (row: string[]) => void): void {
    if (this.state === State.Quoted) this.errors++
    if (this.state === State.Unquoted || this.state === State.Quoted || this.state === State.QuoteInQuoted) {
      let value = this.carry
      if (this.state === State.Unquoted && value.charCodeAt(value.length - 1) === CR) value = value.slice(0, -1)
      this.row.push(value)
    } else if (this.row.length > 0) this.row.push('')
    this.carry = ''
    this.state = State.FieldStart
    if (this.row.length > 0) this.endRow(emit)
  }
}

/** Parses a whole CSV text (tests and small inputs). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  const p = new CsvParser()
  p.feed(text, (r) => rows.push(r))
  p.end((r) => rows.push(r))
  return rows
}
