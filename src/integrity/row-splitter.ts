/**
 * Cuts a byte stream into rows without decoding it, for manifests. Every byte belongs to exactly
 * one part: the prefix (the CSV header line and any blank lines before the first row) or a row (a
 * non-blank record, its line break, and the blank lines after it). Concatenating the parts gives
 * the file back, so a changed byte always lands in a named part.
 *
 * Row numbers match readers.ts: CSV records may span lines inside quotes (a record ends at a line
 * break where the count of `"` so far is even, which holds because a literal quote is written `""`).
 */

export interface RowSink {
  /**
   * Bytes [start, end) of `buf` belong to the prefix (row -1) or to row `row`; a part may arrive in
   * several pieces. Offsets instead of views: this runs once per row on files of gigabytes. A sink
   * that reads the bytes anyway may return how many `"` they hold, which spares a second pass.
   */
  piece(row: number, buf: Buffer, start: number, end: number): number | void
  /** Row `row` is complete (called in order; the prefix is row -1 and is never ended). */
  endRow(row: number): void
}

const NL = 10
const QUOTE = 34

function isBlankLine(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i] as number
    if (c !== 32 && c !== 9 && c !== 13 && c !== NL) return false
  }
  return true
}


/**
 * Push chunks in order, then call `end()`. Lines are processed whole, so a line split across chunks
 * is held back (memory is bounded by the longest line).
 */
export class RowSplitter {
  /** Index of the row receiving bytes; -1 while in the prefix. */
  private current = -1
  private next = 0
  /** CSV: the header line is still to come (it belongs to the prefix). */
  private headerPending: boolean
  /** CSV: inside a quoted field that spans lines. */
  private openQuote = false
  private carry: Buffer | undefined
  /** Position of the next quote at or after the current line in the buffer being split (-1: none). */
  private quoteAt = -1
  private quoteBuf: Buffer | undefined

  constructor(
    private readonly format: 'csv' | 'lines',
    private readonly sink: RowSink,
  ) {
    this.headerPending = format === 'csv'
  }

  /** Rows seen so far (complete or not). */
  get rows(): number {
    return this.next
  }

  push(chunk: Buffer): void {
    // The caller may read the next chunk into the same buffer: nothing found in this one is kept.
    this.quoteBuf = undefined
    let start = 0
    if (this.carry !== undefined) {
      // Finish the line held back from the last chunk without copying the whole new chunk.
      const nl = chunk.indexOf(NL)
      if (nl === -1) {
        this.carry = Buffer.concat([this.carry, chunk])
        return
      }
      const line = Buffer.concat([this.carry, chunk.subarray(0, nl + 1)])
      this.carry = undefined
      this.line(line, 0, line.length)
      start = nl + 1
    }
    let nl = chunk.indexOf(NL, start)
    while (nl !== -1) {
      this.line(chunk, start, nl + 1)
      start = nl + 1
      nl = chunk.indexOf(NL, start)
    }
    if (start < chunk.length) this.carry = Buffer.from(chunk.subarray(start))
  }

  end(): void {
    if (this.carry !== undefined) {
      const tail = this.carry
      this.carry = undefined
      this.line(tail, 0, tail.length)
    }
    this.quoteBuf = undefined
    if (this.current >= 0) this.sink.endRow(this.current)
  }

  /** Quotes in [start, end) as the sink counted them, or counted here. */
  private quotesOf(counted: number | void, buf: Buffer, start: number, end: number): number {
    if (this.format !== 'csv') return 0
    return typeof counted === 'number' ? counted : this.countQuotes(buf, start, end)
  }

  /** Quotes in [start, end): one forward scan per buffer, so lines without quotes cost nothing. */
  private countQuotes(buf: Buffer, start: number, end: number): number {
    if (this.quoteBuf !== buf || (this.quoteAt !== -1 && this.quoteAt < start)) {
      this.quoteBuf = buf
      this.quoteAt = buf.indexOf(QUOTE, start)
    }
    let n = 0
    while (this.quoteAt !== -1 && this.quoteAt < end) {
      n++
      this.quoteAt = buf.indexOf(QUOTE, this.quoteAt + 1)
    }
    return n
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (this.openQuote) {
      if (this.quotesOf(this.sink.piece(this.current, buf, start, end), buf, start, end) % 2 === 1) this.openQuote = false
      return
    }
    if (isBlankLine(buf, start, end)) {
      this.sink.piece(this.current, buf, start, end)
      return
    }
    if (this.headerPending) {
      this.headerPending = false
      // A header with a line break inside quotes continues on the next line, still in the prefix.
      this.openQuote = this.quotesOf(this.sink.piece(-1, buf, start, end), buf, start, end) % 2 === 1
      return
    }
    if (this.current >= 0) this.sink.endRow(this.current)
    this.current = this.next++
    this.openQuote = this.quotesOf(this.sink.piece(this.current, buf, start, end), buf, start, end) % 2 === 1
  }
}
