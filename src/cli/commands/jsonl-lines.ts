import { createReadStream, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { RampartError } from '../../core/errors.js'

export interface JsonlLine {
  /** 1-based line number in the file. */
  lineNo: number
  /** The line parsed as JSON, or the parse error's message. */
  value?: unknown
  error?: string
  /** UTF-8 bytes read so far, for progress. */
  bytes: number
}

/** The size of `file` in bytes (undefined for stdin), or RAMPART_ERR_INPUT_INVALID naming `flag`. */
export function fileSize(file: string, flag: string): number | undefined {
  if (file === '-') return undefined
  try {
    return statSync(file).size
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${flag} ${file}: cannot read (${(cause as Error).message})`, { path: flag, cause })
  }
}

/**
 * The non-blank lines of a JSONL file ('-' for stdin), parsed, with their line numbers. A line
 * that is not JSON comes back with `error` instead of `value`: the caller reports it.
 */
export async function* readJsonl(file: string): AsyncGenerator<JsonlLine> {
  const input = file === '-' ? process.stdin : createReadStream(file)
  const lines = createInterface({ input, crlfDelay: Infinity })
  let lineNo = 0
  let bytes = 0
  for await (const line of lines) {
    lineNo++
    bytes += Buffer.byteLength(line) + 1
    if (line.trim() === '') continue
    try {
      yield { lineNo, value: JSON.parse(line) as unknown, bytes }
    } catch (cause) {
      yield { lineNo, error: `not valid JSON (${(cause as Error).message})`, bytes }
    }
  }
}
