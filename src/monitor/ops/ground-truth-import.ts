/**
 * `rampart monitor ground-truth --file labels.jsonl --tenant T`: imports ground-truth labels
 * straight into the store (no running gateway needed), one `{ "inferenceId", "label" }` per line,
 * streamed in batches so a file of any size runs in bounded memory. Bad lines are reported with
 * their number and skipped; the rest are imported.
 */
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { RampartError } from '../../core/errors.js'
import type { CaptureStore } from '../../store/types.js'
import { CaptureService, type CaptureSealer, type GroundTruthInput } from '../capture.js'

export interface GroundTruthImport {
  lines: number
  accepted: number
  matched: number
  invalid: { line: number; message: string }[]
}

export interface GroundTruthImportOptions {
  store: CaptureStore
  sealer: CaptureSealer
  tenant: string
  /** A JSONL file, or `-` for stdin. */
  file: string
  /** Labels per store call (default 1 000). */
  batch?: number
  stdin?: Readable
  /** Called after each batch with the lines read so far. */
  onProgress?: (lines: number) => void
}

/** Invalid lines kept in the report; beyond that they are counted only. */
const MAX_REPORTED = 100

export async function importGroundTruth(options: GroundTruthImportOptions): Promise<GroundTruthImport> {
  const service = new CaptureService({ store: options.store, sealer: options.sealer })
  const size = options.batch ?? 1_000
  const input = options.file === '-' ? (options.stdin ?? process.stdin) : createReadStream(options.file, { encoding: 'utf8' })
  const report: GroundTruthImport = { lines: 0, accepted: 0, matched: 0, invalid: [] }
  let invalidCount = 0
  let batch: GroundTruthInput[] = []
  const flush = async () => {
    if (batch.length === 0) return
    const r = await service.groundTruth(options.tenant, batch)
    report.accepted += r.accepted
    report.matched += r.matched
    batch = []
    options.onProgress?.(report.lines)
  }
  const bad = (line: number, message: string) => {
    invalidCount++
    if (report.invalid.length < MAX_REPORTED) report.invalid.push({ line, message })
  }
  try {
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      report.lines++
      if (text.trim() === '') continue
      let row: unknown
      try {
        row = JSON.parse(text)
      } catch {
        bad(report.lines, 'not valid JSON')
        continue
      }
      const r = row as { inferenceId?: unknown; label?: unknown }
      if (typeof row !== 'object' || row === null || Array.isArray(row)) bad(report.lines, 'not a JSON object')
      else if (typeof r.inferenceId !== 'string' || !/^[A-Za-z0-9._:@/+=-]{1,200}$/.test(r.inferenceId)) bad(report.lines, 'inferenceId: must be 1-200 characters of letters, digits and . _ : @ / + = -')
      else if (r.label === undefined || r.label === null) bad(report.lines, 'label: is required')
      else {
        batch.push({ inferenceId: r.inferenceId, label: r.label as GroundTruthInput['label'] })
        if (batch.length >= size) await flush()
      }
    }
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== undefined && (cause as NodeJS.ErrnoException).syscall !== undefined) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--file ${options.file}: ${(cause as Error).message}`, { path: '--file', cause })
    }
    throw cause
  }
  await flush()
  if (invalidCount > report.invalid.length) report.invalid.push({ line: 0, message: `${invalidCount - report.invalid.length} more invalid lines not listed` })
  return report
}

/** Exit status when some lines were invalid (as `rampart scan --jsonl`). */
export const EXIT_SOME_INVALID = 3

/**
 * The CLI command's body, over backends the CLI opened (`withBackends` in cli/commands): prints a
 * summary (JSON with `json`), lists bad lines on stderr, exits 0, or 3 when some lines were invalid.
 */
export async function runGroundTruthImport(
  backends: { store: CaptureStore; envelope: CaptureSealer },
  flags: { file: string; tenant?: string; json?: boolean },
  io: { out: (line: string) => void; err: (line: string) => void } = { out: (l) => void process.stdout.write(`${l}\n`), err: (l) => void process.stderr.write(`${l}\n`) },
): Promise<number> {
  const report = await importGroundTruth({ store: backends.store, sealer: backends.envelope, tenant: flags.tenant ?? 'default', file: flags.file })
  if (flags.json === true) io.out(JSON.stringify(report))
  else io.out(`imported ${report.accepted} labels from ${report.lines} lines; ${report.matched} matched a captured inference`)
  for (const bad of report.invalid) io.err(bad.line === 0 ? `rampart: ${bad.message}` : `rampart: ${flags.file}:${bad.line}: ${bad.message}`)
  return report.invalid.length > 0 ? EXIT_SOME_INVALID : 0
}
