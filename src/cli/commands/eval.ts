import { z } from 'zod'
import { MetricsAccumulator, type DetectionMetrics } from '../../adversarial/evaluate.js'
import type { ERROR_CODES } from '../../core/errors.js'
import { directionSchema } from '../../core/policy.js'
import { createGuard, resolvePolicy } from '../../guard.js'
import { builtinRegistry } from '../../scanners/index.js'
import { writeLine } from '../io.js'
import { createProgress } from '../progress.js'
import { parseFlags } from './flags.js'
import { fileSize, readJsonl } from './jsonl-lines.js'

/** The `rampart eval` flags: validated here, typed from here. */
export const evalFlagsSchema = z
  .object({
    data: z.string().min(1),
    policy: z.string().min(1).optional(),
    only: z
      .string()
      .optional()
      .transform((v) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))),
    direction: directionSchema.default('input'),
    labelField: z.string().min(1).default('label'),
    familyField: z.string().min(1).default('family'),
    json: z.boolean().default(false),
  })
  .strict()
  .refine((f) => f.policy === undefined || f.only === undefined, { message: 'give --policy or --only, not both' })
  .refine((f) => f.only === undefined || f.only.length > 0, { message: '--only: give at least one scanner name' })

export type EvalFlags = z.infer<typeof evalFlagsSchema>

export function parseEvalFlags(raw: Record<string, unknown>): EvalFlags {
  return parseFlags(evalFlagsSchema, raw)
}

/** Exit status when some lines were invalid (listed on stderr and in the report, not scored). */
export const EXIT_INVALID_LINES = 3

export interface InvalidLine {
  line: number
  code: keyof typeof ERROR_CODES
  message: string
}

export interface EvalReport extends DetectionMetrics {
  data: string
  direction: 'input' | 'output'
  /** The scanners that ran, in order. */
  scanners: readonly string[]
  /** Lines that could not be scored, with their line numbers; they count in no figure. */
  invalidLines: InvalidLine[]
  /** Scored rows per second (whole run, one process). */
  rowsPerSec: number
}

function readLabel(value: unknown): 0 | 1 | undefined {
  if (value === 1 || value === true || value === '1') return 1
  if (value === 0 || value === false || value === '0') return 0
  return undefined
}

/**
 * Runs the guard built from --policy / --only on every row of a labeled JSONL file; a row is
 * flagged when the decision is not `allow`. Prints the figures (a table, or JSON with --json).
 */
export async function runEval(flags: EvalFlags): Promise<number> {
  const registry = builtinRegistry()
  const policy = flags.policy === undefined ? undefined : resolvePolicy(flags.policy, registry)
  const guard = await createGuard({ policy, only: flags.only, registry })
  const totalBytes = fileSize(flags.data, '--data')
  const maxChars = guard.policy.maxChars
  const acc = new MetricsAccumulator()
  const invalidLines: InvalidLine[] = []
  const progress = createProgress(`eval ${flags.data}`, totalBytes)
  const invalid = (line: number, message: string, code: InvalidLine['code'] = 'RAMPART_ERR_INPUT_INVALID') => {
    invalidLines.push({ line, code, message })
    process.stderr.write(`${flags.data}:${line}: line ${line}: ${message}\n`)
  }
  let done = 0
  let bytes = 0
  const started = performance.now()
  for await (const line of readJsonl(flags.data)) {
    bytes = line.bytes
    done++
    progress.update(done, bytes)
    if (line.error !== undefined) {
      invalid(line.lineNo, line.error)
      continue
    }
    const row = line.value
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      invalid(line.lineNo, 'not a JSON object')
      continue
    }
    const r = row as Record<string, unknown>
    if (typeof r.text !== 'string') {
      invalid(line.lineNo, 'text: expected a string')
      continue
    }
    const label = readLabel(r[flags.labelField])
    if (label === undefined) {
      invalid(line.lineNo, `${flags.labelField}: expected 0 or 1 (or true/false), got ${JSON.stringify(r[flags.labelField]) ?? 'nothing'}`)
      continue
    }
    if (r.text.length > maxChars) {
      invalid(line.lineNo, `text is ${r.text.length} characters; the limit is ${maxChars}`, 'RAMPART_ERR_INPUT_TOO_LARGE')
      continue
    }
    const result = await guard.scan(flags.direction, r.text)
    const family = r[flags.familyField]
    acc.add({
      label,
      flagged: result.decision !== 'allow',
      ...(typeof r.kind === 'string' ? { kind: r.kind } : {}),
      ...(typeof family === 'string' || typeof family === 'number' ? { family: String(family) } : {}),
    })
  }
  progress.finish(done, bytes)
  const metrics = acc.result()
  const seconds = (performance.now() - started) / 1000
  const report: EvalReport = {
    data: flags.data,
    direction: flags.direction,
    scanners: guard.scanners[flags.direction],
    ...metrics,
    invalidLines,
    rowsPerSec: seconds > 0 ? Math.round(metrics.rows / seconds) : 0,
  }
  await writeLine(flags.json ? JSON.stringify(report, null, 2) : formatEvalReport(report))
  if (invalidLines.length > 0) process.stderr.write(`${invalidLines.length} of ${done} lines were invalid (listed above, not scored)\n`)
  return invalidLines.length > 0 ? EXIT_INVALID_LINES : 0
}

const f3 = (x: number) => x.toFixed(3)

/** The report as text: the headline figures, then recall per family when there are families. */
export function formatEvalReport(r: EvalReport): string {
  const lines = [
    `${r.data}: ${r.rows} rows scored (${r.positives} positive, ${r.negatives} negative), ${r.direction} scanners: ${r.scanners.join(', ') || 'none'}`,
    '',
    `precision  ${f3(r.precision)}   (tp ${r.tp}, fp ${r.fp})`,
    `recall     ${f3(r.recall)}   (fn ${r.fn})`,
    `F1         ${f3(r.f1)}`,
    `FPR        ${f3(r.fpr)}   (on ${r.negatives} label-0 rows)`,
  ]
  if (r.benignHard !== undefined) lines.push(`FPR hard   ${f3(r.benignHard.fpr)}   (on ${r.benignHard.rows} kind=benign-hard rows)`)
  if (r.recallByFamily !== undefined) {
    const width = Math.max(6, ...Object.keys(r.recallByFamily).map((k) => k.length))
    lines.push('', `${'family'.padEnd(width)}  recall  rows`)
    for (const [name, f] of Object.entries(r.recallByFamily)) lines.push(`${name.padEnd(width)}  ${f3(f.recall)}   ${f.rows}`)
  }
  if (r.invalidLines.length > 0) lines.push('', `${r.invalidLines.length} invalid lines not scored (line numbers on stderr; all in --json)`)
  return lines.join('\n')
}
