import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { z } from 'zod'
import { RampartError } from '../../core/errors.js'
import { keyedRng } from '../../adversarial/rng.js'
import { ATTACK_GOALS, DEFAULT_SYSTEM_PROMPT, DELIVERIES, type AttackGoal, type DataAttack, type Delivery } from '../../redteam/corpus.js'
import { buildReport, renderHtml, renderTable } from '../../redteam/report.js'
import { newCanary, plantCanary, runRedTeam, type RunProgress, type Target } from '../../redteam/runner.js'
import { startTestModel } from '../../redteam/test-model.js'
import { writeLine } from '../io.js'
import { parseFlags } from './flags.js'
import { fileSize, readJsonl } from './jsonl-lines.js'

/** Exit status when some attacks could not be run (transient failures exhausted): rerun with --resume. */
export const EXIT_NOT_RUN = 3
/** Exit status when a target's success rate is above `--fail-above` (the report is still written). */
export const EXIT_GATE_FAILED = 5

// The reproduction judge compares word sequences (quadratic): a system prompt stays under 64 KB.
const MAX_SYSTEM_PROMPT_BYTES = 64 * 1024

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL (the API base, e.g. http://127.0.0.1:8787/v1)' })

function list<T extends string>(known: readonly T[], what: string) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined
      const names = [...new Set(v.split(',').map((s) => s.trim()).filter((s) => s !== ''))]
      const unknown = names.filter((n) => !(known as readonly string[]).includes(n))
      if (names.length === 0) ctx.addIssue({ code: 'custom', message: `give at least one ${what}` })
      if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown ${what} ${unknown.map((u) => `"${u}"`).join(', ')}; known: ${known.join(', ')}` })
      return names as T[]
    })
}

/** The `rampart redteam` flags: validated here, typed from here. */
export const redteamFlagsSchema = z
  .object({
    target: httpUrl,
    key: z.string().min(1).optional(),
    label: z.string().min(1).max(40).default('target'),
    compareTarget: httpUrl.optional(),
    compareKey: z.string().min(1).optional(),
    compareLabel: z.string().min(1).max(40).default('compare'),
    systemPrompt: z.string().min(1).optional(),
    out: z.string().min(1),
    html: z.string().min(1).optional(),
    state: z.string().min(1).optional(),
    resume: z.boolean().default(false),
    model: z.string().min(1).max(200).default('rampart-test-model'),
    rate: z.coerce.number().positive().max(10_000).default(5),
    concurrency: z.coerce.number().int().min(1).max(64).default(2),
    retries: z.coerce.number().int().min(0).max(10).default(2),
    timeout: z.coerce.number().positive().max(3_600).default(60),
    seed: z.coerce.number().int().min(0).max(0xffffffff).default(0),
    families: list<Delivery>(DELIVERIES, 'family'),
    goals: list<AttackGoal>(ATTACK_GOALS, 'goal'),
    perGoal: z.coerce.number().int().min(1).max(4).optional(),
    stream: z.boolean().default(false),
    benign: z.boolean().default(true),
    attackData: z.string().min(1).optional(),
    attackDataLimit: z.coerce.number().int().min(1).max(100_000).default(60),
    failAbove: z.coerce.number().min(0).max(1).optional(),
  })
  .strict()
  .refine((f) => f.compareTarget === undefined || f.label !== f.compareLabel, { message: '--label and --compare-label must differ', path: ['compareLabel'] })
  .refine((f) => f.compareTarget !== undefined || f.compareKey === undefined, { message: '--compare-key needs --compare-target', path: ['compareKey'] })
  .refine((f) => f.attackData !== undefined || f.attackDataLimit === 60, { message: '--attack-data-limit needs --attack-data', path: ['attackDataLimit'] })
  .refine((f) => resolve(f.out) !== resolve(f.state ?? `${f.out}.state.jsonl`), { message: '--state must not be the --out file', path: ['state'] })

export type RedteamFlags = z.infer<typeof redteamFlagsSchema>

export function parseRedteamFlags(raw: Record<string, unknown>): RedteamFlags {
  return parseFlags(redteamFlagsSchema, raw)
}

function readSystemPrompt(path: string): string {
  let size: number
  try {
    size = statSync(path).size
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--system-prompt ${path}: cannot read (${(cause as Error).message})`, { path: '--system-prompt', cause })
  }
  if (size > MAX_SYSTEM_PROMPT_BYTES) throw new RampartError('RAMPART_ERR_INPUT_TOO_LARGE', `--system-prompt ${path}: ${size} bytes, over the ${MAX_SYSTEM_PROMPT_BYTES}-byte limit`, { path: '--system-prompt' })
  const text = readFileSync(path, 'utf8')
  if (text.trim() === '') throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--system-prompt ${path}: the file is empty`, { path: '--system-prompt' })
  return text
}

/** Attack-file rows longer than this are left out: a chat request should not be mostly preamble. */
const MAX_DATA_ATTACK_CHARS = 8_000

const dataRowSchema = z.looseObject({
  text: z.string().min(1),
  kind: z.string().optional(),
  label: z.union([z.literal(0), z.literal(1), z.boolean(), z.literal('0'), z.literal('1')]).optional(),
})

/**
 * The attacks of an attack file: rows with a string `text` and, when they have a `label`, label 1
 * (benign rows are left out); at most `limit` of them, a seeded sample in a seeded order.
 */
export async function readAttackData(file: string, limit: number, seed: number): Promise<{ rows: DataAttack[]; read: number; skipped: number }> {
  fileSize(file, '--attack-data')
  const rows: DataAttack[] = []
  let read = 0
  let skipped = 0
  for await (const line of readJsonl(file)) {
    read++
    if (line.error !== undefined) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}:${line.lineNo}: ${line.error}`, { path: '--attack-data' })
    const parsed = dataRowSchema.safeParse(line.value)
    if (!parsed.success) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}:${line.lineNo}: expected {text, kind?, label?}: ${parsed.error.issues[0]?.path.join('.') || 'line'}: ${parsed.error.issues[0]?.message ?? ''}`, { path: '--attack-data' })
    const { text, kind, label } = parsed.data
    if (label === 0 || label === false || label === '0' || text.length > MAX_DATA_ATTACK_CHARS) {
      skipped++
      continue
    }
    rows.push(kind === undefined ? { text } : { text, kind })
  }
  // Fisher–Yates with the run's seed: the same file and seed give the same sample in the same order.
  const rng = keyedRng(seed, 'attack-data')
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[rows[i], rows[j]] = [rows[j] as DataAttack, rows[i] as DataAttack]
  }
  return { rows: rows.slice(0, limit), read, skipped }
}

/** Progress on stderr: one redrawn line on a terminal, a line every 5 s elsewhere. */
function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (p: RunProgress) => void {
  const tty = stream.isTTY === true
  let last = 0
  let finished = false
  return (p) => {
    const now = performance.now()
    const final = p.done === p.total
    if (finished || (!final && now - last < (tty ? 100 : 5_000))) return
    finished = final
    last = now
    const line = `redteam: ${p.done}/${p.total} attacks${p.resumed > 0 ? ` (${p.resumed} from the state file)` : ''}, ${p.errors} not run, ${(p.elapsedMs / 1000).toFixed(1)} s`
    stream.write(tty ? `\r\x1b[2K${line}${final ? '\n' : ''}` : `${line}\n`)
  }
}

/**
 * Sends the attack corpus to one or two OpenAI-compatible targets, judges every reply, writes the
 * JSON report (and the HTML page), prints the table on stdout.
 */
export async function runRedteam(flags: RedteamFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const targets: Target[] = [{ name: flags.label, url: flags.target, ...keyOf(flags.key ?? env.RAMPART_REDTEAM_KEY) }]
  if (flags.compareTarget !== undefined) targets.push({ name: flags.compareLabel, url: flags.compareTarget, ...keyOf(flags.compareKey ?? env.RAMPART_REDTEAM_COMPARE_KEY) })
  const canary = newCanary()
  const systemPrompt = plantCanary(flags.systemPrompt === undefined ? DEFAULT_SYSTEM_PROMPT : readSystemPrompt(flags.systemPrompt), canary)
  const statePath = flags.state ?? `${flags.out}.state.jsonl`
  let data: DataAttack[] | undefined
  if (flags.attackData !== undefined) {
    const loaded = await readAttackData(flags.attackData, flags.attackDataLimit, flags.seed)
    data = loaded.rows
    process.stderr.write(`redteam: ${flags.attackData}: ${loaded.read} lines, ${loaded.skipped} left out (benign or over ${MAX_DATA_ATTACK_CHARS} characters), ${data.length} attacks used\n`)
  }
  const corpus = { ...(data === undefined ? {} : { data }), seed: flags.seed, ...(flags.families === undefined ? {} : { families: flags.families }), ...(flags.goals === undefined ? {} : { goals: flags.goals }), ...(flags.perGoal === undefined ? {} : { perGoal: flags.perGoal }), benign: flags.benign }
  const outcome = await runRedTeam({
    targets,
    systemPrompt,
    canary,
    corpus,
    model: flags.model,
    rate: flags.rate,
    concurrency: flags.concurrency,
    attempts: flags.retries + 1,
    timeoutMs: flags.timeout * 1000,
    stream: flags.stream,
    statePath,
    resume: flags.resume,
    onProgress: progressPrinter(),
  })
  const report = buildReport(outcome, targets, { seed: flags.seed, model: flags.model })
  writeFileSync(flags.out, `${JSON.stringify(report, null, 2)}\n`)
  if (flags.html !== undefined) writeFileSync(flags.html, renderHtml(report))
  await writeLine(renderTable(report))
  process.stderr.write(`redteam: report → ${flags.out}${flags.html === undefined ? '' : `, ${flags.html}`}; state → ${statePath}\n`)
  const notRun = report.targets.reduce((n, t) => n + t.errors, 0)
  if (notRun > 0) process.stderr.write(`redteam: ${notRun} attacks could not be run (the target kept failing); run again with --resume to retry only those\n`)
  if (flags.failAbove !== undefined) {
    const over = report.targets.filter((t) => t.successRate !== null && t.successRate > (flags.failAbove as number))
    for (const t of over) process.stderr.write(`redteam: ${t.name}: success rate ${(100 * (t.successRate as number)).toFixed(1)} % is above --fail-above ${flags.failAbove}\n`)
    if (over.length > 0) return EXIT_GATE_FAILED
  }
  return notRun > 0 ? EXIT_NOT_RUN : 0
}

function keyOf(key: string | undefined): { key?: string } {
  return key === undefined || key === '' ? {} : { key }
}

export const serveModelFlagsSchema = z
  .object({
    port: z.coerce.number().int().min(0).max(65_535).default(8799),
    host: z.string().min(1).default('127.0.0.1'),
  })
  .strict()

export type ServeModelFlags = z.infer<typeof serveModelFlagsSchema>

export function parseServeModelFlags(raw: Record<string, unknown>): ServeModelFlags {
  return parseFlags(serveModelFlagsSchema, raw)
}

/** Serves the deliberately vulnerable test model until SIGINT/SIGTERM. */
export async function runServeModel(flags: ServeModelFlags): Promise<number> {
  const model = await startTestModel({ port: flags.port, host: flags.host }).catch((cause: Error) => {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `cannot listen on ${flags.host}:${flags.port} (${cause.message})`, { path: '--port', cause })
  })
  process.stderr.write(`rampart test model (deliberately vulnerable, for red-team tests and demos) listening on ${model.url} \n`)
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await model.close()
  return 0
}
