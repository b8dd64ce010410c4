import { RampartError } from '../core/errors.js'

/** Writes a line to stdout, waiting when the pipe is full so memory stays bounded. */
export async function writeLine(line: string, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (!out.write(`${line}\n`)) await new Promise<void>((resolve) => out.once('drain', resolve))
}

/** Reads all of stdin as UTF-8, refusing more than `maxBytes`. */
export async function readStdin(maxBytes: number, input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    size += buf.length
    if (size > maxBytes) {
      throw new RampartError('RAMPART_ERR_INPUT_TOO_LARGE', `stdin is larger than ${maxBytes} bytes`, { path: 'stdin' })
    }
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}
