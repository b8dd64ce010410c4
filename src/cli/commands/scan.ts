import { createReadStream, readFileSync, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { z } from 'zod'
import { scanContextSchema } from '../../core/context-schema.js'
import { RampartError } from '../../core/errors.js'
import { describeIssues, directionSchema } from '../../core/policy.js'
import type { ScanContext } from '../../core/types.js'
import { createGuard, resolvePolicy } from '../../guard.js'
import { builtinRegistry } from '../../scanners/index.js'
import { readStdin, writeLine } from '../io.js'
import { createProgress } from '../progress.js'

/** The `rampart scan` flags: validated here, typed from here. */
export const scanFlagsSchema = z
  .object({
    text: z.string().optional(),
    file: z.string().min(1).optional(),
    direction: directionSchema.default('input'),
    policy: z.string().min(1).optional(),
    only: z
      .string()
      .optional()
      .transform((v) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))),
    jsonl: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    maxChars: z.coerce.number().int().positive().optional(),
    pretty: z.boolean().default(false),
  })
  .strict()
  .refine((f) => [f.text !== undefined, f.file !== undefined, f.jsonl !== undefined].filter(Boolean).length <= 1, {
    message: 'give at most one of --text, a FILE argument, or --jsonl',
  })

export type ScanFlags = z.infer<typeof scanFlagsSchema>

/** One JSONL input record. Other fields (labels, sources) are allowed and ignored. */
const jsonlRecordSchema = z.looseObject({
  text: z.string(),
  id: z.union([z.string(), z.number()]).optional(),
  context: scanContextSchema.optional(),
})

export function parseScanFlags(raw: Record<string, unknown>): ScanFlags {
  const parsed = scanFlagsSchema.safeParse(raw)
  if (!parsed.success) {
    const { message, path } = describeIssues(parsed.error.issues, 'flags')
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', message.replace(/^flags\.?/gm, '--').replace(/^--: /gm, ''), { path })
  }
  if (parsed.data.only?.length === 0) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', '--only: give at least one scanner name', { path: '--only' })
  }
  return parsed.data
}

function readContext(file: string | undefined): ScanContext {
  if (file === undefined) return {}
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--context ${file}: ${(cause as Error).message}`, { path: '--context', cause })
  }
  const parsed = scanContextSchema.safeParse(raw)
  if (!parsed.success) {
    const { message, path } = describeIssues(parsed.error.issues, file)
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', message, { path })
  }
  return parsed.data
}

/** Exit codes of `rampart scan`: 0 the scan ran (whatever it found), 3 some JSONL lines were invalid. */
export const EXIT_INVALID_LINES = 3

export async function runScan(flags: ScanFlags): Promise<number> {
  const registry = builtinRegistry()
  let policy = resolvePolicy(flags.policy, registry)
  if (flags.maxChars !== undefined) policy = { ...policy, maxChars: flags.maxChars }
  const guard = await createGuard({ policy, only: flags.only, registry })
  const maxChars = guard.policy.maxChars
  const baseContext = readContext(flags.context)

  if (flags.jsonl !== undefined) return scanJsonl(flags.jsonl, flags, baseContext, maxChars, guard.scan)

  let text: string
  if (flags.text !== undefined) text = flags.text
  else if (flags.file !== undefined) text = readTextFile(flags.file, maxChars)
  else {
    if (process.stdin.isTTY) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', 'no input: give --text, a FILE argument, --jsonl FILE, or pipe text to stdin', { path: 'input' })
    }
    text = await readStdin(maxChars * 3 + 4)
  }
  const result = await guard.scan(flags.direction, text, baseContext)
  await writeLine(flags.pretty ? JSON.stringify(result, null, 2) : JSON.stringify(result))
  return 0
}

function readTextFile(file: string, maxChars: number): string {
  try {
    // A UTF-16 code unit takes at least one UTF-8 byte and at most three, so a file over
    // 3 × maxChars bytes cannot fit: refuse it before reading it into memory.
    if (statSync(file).size > maxChars * 3) {
      throw new RampartError('RAMPART_ERR_INPUT_TOO_LARGE', `${file} is larger than the limit of ${maxChars} characters`, { path: file })
    }
    return readFileSync(file, 'utf8')
  } catch (cause) {
    if (cause instanceof RampartError) throw cause
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `cannot read ${file}: ${(cause as Error).message}`, { path: file, cause })
  }
}

type ScanFn = (direction: 'input' | 'output', text: string, context?: ScanContext) => ReturnType<Awaited<ReturnType<typeof createGuard>>['scan']>

/**
 * Scans a JSONL file line by line, in order, writing one output line per input line.
 * A malformed line (bad JSON, no `text`, too large) does not stop the run: it is written as
 * `{"id"?, "line": N, "error": {code, message}}` in its place and reported on stderr, and the
 * exit status becomes 3. Blank lines carry no record and are skipped.
 */
async function scanJsonl(file: string, flags: ScanFlags, baseContext: ScanContext, maxChars: number, scan: ScanFn): Promise<number> {
  let totalBytes: number | undefined
  let input: NodeJS.ReadableStream
  if (file === '-') input = process.stdin
  else {
    try {
      totalBytes = statSync(file).size
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `cannot read ${file}: ${(cause as Error).message}`, { path: file, cause })
    }
    input = createReadStream(file)
  }
  const lines = createInterface({ input, crlfDelay: Infinity })
  const progress = createProgress(`scan ${file}`, totalBytes)
  let lineNo = 0
  let done = 0
  let bytes = 0
  let invalid = 0
  for await (const line of lines) {
    lineNo++
    bytes += Buffer.byteLength(line) + 1
    if (line.trim() === '') continue
    const record = parseRecord(line, lineNo, file, maxChars)
    if ('error' in record) {
      invalid++
      process.stderr.write(`${file}:${lineNo}: ${record.error.message}\n`)
      await writeLine(JSON.stringify(record))
    } else {
      const context = record.context ? { ...baseContext, ...record.context } : baseContext
      const result = await scan(flags.direction, record.text, context)
      await writeLine(JSON.stringify(record.id === undefined ? result : { id: record.id, ...result }))
    }
    done++
    progress.update(done, bytes)
  }
  progress.finish(done, bytes)
  if (invalid > 0) process.stderr.write(`${invalid} of ${done} lines were invalid (written as error objects)\n`)
  return invalid > 0 ? EXIT_INVALID_LINES : 0
}

type ParsedRecord =
  | { text: string; id?: string | number; context?: ScanContext }
  | { id?: string | number; line: number; error: { code: string; message: string } }

function parseRecord(line: string, lineNo: number, file: string, maxChars: number): ParsedRecord {
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch (cause) {
    return { line: lineNo, error: { code: 'RAMPART_ERR_INPUT_INVALID', message: `line ${lineNo}: not valid JSON (${(cause as Error).message})` } }
  }
  const parsed = jsonlRecordSchema.safeParse(raw)
  const rawId = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).id : undefined
  const id = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : undefined
  if (!parsed.success) {
    const message = `line ${lineNo}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ')}`
    return { ...(id === undefined ? {} : { id }), line: lineNo, error: { code: 'RAMPART_ERR_INPUT_INVALID', message } }
  }
  if (parsed.data.text.length > maxChars) {
    return {
      ...(id === undefined ? {} : { id }),
      line: lineNo,
      error: { code: 'RAMPART_ERR_INPUT_TOO_LARGE', message: `line ${lineNo}: text is ${parsed.data.text.length} characters; the limit is ${maxChars} (${file})` },
    }
  }
  const { text, context } = parsed.data
  return { text, ...(id === undefined ? {} : { id }), ...(context ? { context } : {}) }
}
