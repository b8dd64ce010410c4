import { createWriteStream } from 'node:fs'
import { resolve } from 'node:path'
import { z } from 'zod'
import { isMutationFamily, keyedRng, mutate, MUTATION_FAMILIES, TEMPLATE_POOLS, type MutationFamily } from '../../adversarial/mutate.js'
import { RampartError } from '../../core/errors.js'
import { writeLine } from '../io.js'
import { createProgress } from '../progress.js'
import { parseFlags } from './flags.js'
import { fileSize, readJsonl } from './jsonl-lines.js'

/** The `rampart mutate` flags: validated here, typed from here. */
export const mutateFlagsSchema = z
  .object({
    in: z.string().min(1),
    out: z.string().min(1),
    families: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return [...MUTATION_FAMILIES]
        const names = [...new Set(v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))]
        const unknown = names.filter((n) => !isMutationFamily(n))
        if (names.length === 0) ctx.addIssue({ code: 'custom', message: 'give at least one family' })
        if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown famil${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((u) => `"${u}"`).join(', ')}; known: ${MUTATION_FAMILIES.join(', ')}` })
        return names as MutationFamily[]
      }),
    seed: z.coerce.number().int().min(0).max(0xffffffff).default(0),
    perFamily: z.coerce.number().int().min(1).max(1000).default(1),
    pool: z.enum(TEMPLATE_POOLS).default('all'),
  })
  .strict()
  .refine((f) => f.in === '-' || f.out === '-' || resolve(f.in) !== resolve(f.out), { message: '--out must not be the --in file (it would be emptied before it is read)' })

export type MutateFlags = z.infer<typeof mutateFlagsSchema>

export function parseMutateFlags(raw: Record<string, unknown>): MutateFlags {
  return parseFlags(mutateFlagsSchema, raw)
}

/** Exit status when some input lines were invalid (reported on stderr, not mutated). */
export const EXIT_INVALID_LINES = 3

/**
 * Writes one output row per (input row, family, variant): the input's fields, `text` replaced
 * by the variant, `family`, `source_id` (the input's `id`, else its line number) and a new `id`.
 * `--pool train|test` draws text templates from one half only (train on one, measure on the other).
 * Variant k of a row in a family is drawn from keyedRng(seed, source_id, family, k), so it does
 * not depend on the other rows or on which other families were asked for.
 */
export async function runMutate(flags: MutateFlags): Promise<number> {
  const totalBytes = fileSize(flags.in, '--in')
  const out = flags.out === '-' ? process.stdout : createWriteStream(flags.out)
  const opened =
    out === process.stdout
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          out.once('open', () => resolve())
          out.once('error', (cause) => reject(new RampartError('RAMPART_ERR_INPUT_INVALID', `--out ${flags.out}: cannot write (${cause.message})`, { path: '--out', cause })))
        })
  await opened
  const progress = createProgress(`mutate ${flags.in}`, totalBytes)
  let rows = 0
  let written = 0
  let invalid = 0
  let bytes = 0
  for await (const line of readJsonl(flags.in)) {
    bytes = line.bytes
    rows++
    const record = line.value
    const problem =
      line.error ??
      (record === null || typeof record !== 'object' || Array.isArray(record)
        ? 'not a JSON object'
        : typeof (record as Record<string, unknown>).text !== 'string'
          ? 'text: expected a string'
          : undefined)
    if (problem !== undefined) {
      invalid++
      process.stderr.write(`${flags.in}:${line.lineNo}: line ${line.lineNo}: ${problem}\n`)
      continue
    }
    const row = record as Record<string, unknown> & { text: string }
    const rawId = row.id
    const sourceId = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : line.lineNo
    for (const family of flags.families) {
      for (let k = 0; k < flags.perFamily; k++) {
        const text = mutate(row.text, family, keyedRng(flags.seed, sourceId, family, k), { pool: flags.pool })
        const id = flags.perFamily === 1 ? `${sourceId}:${family}` : `${sourceId}:${family}:${k}`
        await writeLine(JSON.stringify({ ...row, id, text, family, source_id: sourceId }), out)
        written++
      }
    }
    progress.update(rows, bytes)
  }
  progress.finish(rows, bytes)
  if (out !== process.stdout) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
  process.stderr.write(`mutate: ${written} variants of ${rows - invalid} rows in ${flags.families.length} famil${flags.families.length === 1 ? 'y' : 'ies'} → ${flags.out}\n`)
  if (invalid > 0) process.stderr.write(`${invalid} of ${rows} lines were invalid (reported above, not mutated)\n`)
  return invalid > 0 ? EXIT_INVALID_LINES : 0
}
