/**
 * A streaming CSV parser (RFC 4180): comma-separated, fields optionally in double quotes with
 * `""` for a quote and line breaks allowed inside, records ended by CRLF or LF. It keeps only the
 * current field between chunks, so memory does not grow with the file. Lenient where Python's
 * csv module is: text after a closing quote is kept, an unterminated quote ends at end of input
 * (and is counted in `errors`). Blank lines carry no record.
 *
 * Fields go to a sink. A field lying whole inside the chunk is passed as a range of the chunk,
 * so a consumer that reads numbers in place allocates nothing for them.
 */

const QUOTE = 34
const COMMA = 44
const LF = 10
const CR = 13

export interface CsvSink {
  /** A field that is `s.slice(start, end)` (not yet allocated). */
  range(s: string, start: number, end: number): void
  /** A field assembled from quotes or across chunks. */
  value(v: string): void
  /** End of a record (never called for blank lines). */
  endRow(): void
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
}

export class CsvParser {
  private state = State.FieldStart
  private carry = ''
  private carrying = false
  private fieldsInRow = 0
  /** Records with an unterminated quoted field. */
  errors = 0

  /** Parses a chunk of text, passing fields and record ends to `sink`. */
  feed(s: string, sink: CsvSink): void {
    const n = s.length
    let i = 0
    let nextComma = -1
    let nextLf = -1
    while (i < n) {
      switch (this.state) {
        case State.FieldStart:
          if (s.charCodeAt(i) === QUOTE) {
            this.state = State.Quoted
            this.carry = ''
            this.carrying = true
            i++
            break
          }
          this.state = State.Unquoted
        // falls through: scan the unquoted field
        case State.Unquoted: {
          if (nextComma < i) {
            nextComma = s.indexOf(',', i)
            if (nextComma < 0) nextComma = n
          }
          if (nextLf < i) {
            nextLf = s.indexOf('\n', i)
            if (nextLf < 0) nextLf = n
          }
          const end = nextComma < nextLf ? nextComma : nextLf
          if (end === n) {
            this.carry = this.carrying ? this.carry + s.slice(i) : s.slice(i)
            this.carrying = true
            i = n
            break
          }
          const atLineEnd = end === nextLf
          let stop = end
          if (atLineEnd && stop > i && s.charCodeAt(stop - 1) === CR) stop--
          this.state = State.FieldStart
          if (this.carrying) {
            let v = this.carry + s.slice(i, stop)
            if (atLineEnd && stop === end && v.charCodeAt(v.length - 1) === CR) v = v.slice(0, -1)
            this.carry = ''
            this.carrying = false
            if (!(atLineEnd && this.fieldsInRow === 0 && v === '')) this.deliverValue(v, atLineEnd, sink)
          } else if (atLineEnd && this.fieldsInRow === 0 && stop === i) {
            // A blank line: no record.
          } else {
            sink.range(s, i, stop)
            this.fieldsInRow++
            if (atLineEnd) this.endRow(sink)
          }
          i = end + 1
          break
        }
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
          } else if (c === COMMA || c === LF) {
            const v = this.carry
            this.carry = ''
            this.carrying = false
            this.state = State.FieldStart
            this.deliverValue(v, c === LF, sink)
            i++
          } else if (c === CR) {
            i++
          } else {
            // Text after the closing quote continues the field unquoted.
            this.state = State.Unquoted
          }
          break
        }
      }
    }
  }

  private deliverValue(v: string, atLineEnd: boolean, sink: CsvSink): void {
    sink.value(v)
    this.fieldsInRow++
    if (atLineEnd) this.endRow(sink)
  }

  private endRow(sink: CsvSink): void {
    this.fieldsInRow = 0
    sink.endRow()
  }

  /** Flushes the last record when the input does not end with a line break. */
  end(sink: CsvSink): void {
    if (this.state === State.Quoted) this.errors++
    if (this.carrying) {
      let v = this.carry
      if (this.state === State.Unquoted && v.charCodeAt(v.length - 1) === CR) v = v.slice(0, -1)
      this.carry = ''
      this.carrying = false
      if (!(this.fieldsInRow === 0 && v === '' && this.state === State.Unquoted)) this.deliverValue(v, true, sink)
    } else if (this.fieldsInRow > 0) {
      // A trailing comma before the end of input leaves one empty field.
      this.deliverValue('', true, sink)
    }
    this.state = State.FieldStart
  }
}

/** Collects records as arrays of strings. */
export class RowCollector implements CsvSink {
  private row: string[] = []
  constructor(private readonly emit: (row: string[]) => void) {}
  range(s: string, start: number, end: number): void {
    this.row.push(s.slice(start, end))
  }
  value(v: string): void {
    this.row.push(v)
  }
  endRow(): void {
    const row = this.row
    this.row = []
    this.emit(row)
  }
}

/** Parses a whole CSV text (tests and small inputs). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  const p = new CsvParser()
  const sink = new RowCollector((r) => rows.push(r))
  p.feed(text, sink)
  p.end(sink)
  return rows
}
