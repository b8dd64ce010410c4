/**
 * The inputs of a training run: the shared data's JSONL files, the scanner's hard-negative
 * fixtures, and rows added to training (labeled JSONL such as the feedback export).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { RampartError } from '../../../core/errors.js'
import type { LabeledRow } from '../train.js'
import type { AddedRow } from './train-model.js'

/** The repository root (the same depth from src/ and dist/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/** The scanner's hand-written examples; the label-0 ones bound the thresholds. */
export const FIXTURES_FILE = join(REPO_ROOT, 'src/scanners/prompt_injection/fixtures.jsonl')

/** The shared data's files under a data folder (`<dir>/prompt-injection/{train,dev}.jsonl`). */
export function sharedDataFiles(dataDir: string): { train: string; dev: string } {
  return { train: join(dataDir, 'prompt-injection/train.jsonl'), dev: join(dataDir, 'prompt-injection/dev.jsonl') }
}

const sharedRowSchema = z.object({ text: z.string(), label: z.union([z.literal(0), z.literal(1)]), source: z.string(), kind: z.string() })

/** Reads a shared-data JSONL file ({text, label, source, kind} per line); errors name file and line. */
export function readLabeledRows(file: string): LabeledRow[] {
  const rows: LabeledRow[] = []
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, k) => {
      if (line.trim() === '') return
      let value: unknown
      try {
        value = JSON.parse(line)
      } catch (cause) {
        throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}:${k + 1}: not JSON (${(cause as Error).message})`, { cause })
      }
      const parsed = sharedRowSchema.safeParse(value)
      if (!parsed.success) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${file}:${k + 1}: ${issueText(parsed.error.issues[0])}`)
      // The rows as read (other fields kept), so the shipped model's bytes do not depend on this reader.
      rows.push(value as LabeledRow)
    })
  return rows
}

/** The label-0 texts of the scanner's fixtures; empty (with a warning from the caller) when the file is absent. */
export function readBenignFixtures(file: string = FIXTURES_FILE): string[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { text: string; label: number })
    .filter((f) => f.label === 0)
    .map((f) => f.text)
}

function issueText(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'invalid'
  return `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`
}

/** Longest text an added row may have (characters); the shared rows go up to a few thousand. */
export const MAX_ADDED_CHARS = 20_000

/**
 * A labeled row to add (`--extra`): `{ text, label: 0|1, source? }`; other fields (the feedback
 * export's `alert_id`, `verdict_at`) are allowed and ignored.
 */
export const addedRowSchema = z.looseObject({
  text: z.string().min(1).max(MAX_ADDED_CHARS),
  label: z.union([z.literal(0), z.literal(1)]),
  source: z.string().min(1).max(200).optional(),
})

/**
 * Reads a labeled JSONL file of rows to add; a row without `source` gets `defaultSource`. Every
 * line must be valid: an error names the file, the line and the field.
 */
export function readAddedRows(file: string, defaultSource = 'extra'): AddedRow[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--extra ${file}: cannot read (${(cause as Error).message})`, { cause, path: '--extra' })
  }
  const rows: AddedRow[] = []
  text.split('\n').forEach((line, k) => {
    if (line.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--extra ${file}:${k + 1}: not JSON (${(cause as Error).message})`, { cause, path: '--extra' })
    }
    const parsed = addedRowSchema.safeParse(value)
    if (!parsed.success) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--extra ${file}:${k + 1}: expected {text, label: 0|1, source?}: ${issueText(parsed.error.issues[0])}`, { path: '--extra' })
    rows.push({ text: parsed.data.text, label: parsed.data.label, source: parsed.data.source ?? defaultSource })
  })
  return rows
}

/**
 * Drops added rows that would leak into or repeat the evaluation: texts equal to a dev row
 * (dev stays unseen), and repeats of an earlier added row with the same text and label.
 */
export function dedupeAdded(rows: readonly AddedRow[], dev: readonly { text: string }[]): { kept: AddedRow[]; inDev: number; repeated: number } {
  const devTexts = new Set(dev.map((r) => r.text))
  const seen = new Set<string>()
  const kept: AddedRow[] = []
  let inDev = 0
  let repeated = 0
  for (const r of rows) {
    if (devTexts.has(r.text)) {
      inDev++
      continue
    }
    const key = `${r.label}\u0000${r.text}`
    if (seen.has(key)) {
      repeated++
      continue
    }
    seen.add(key)
    kept.push(r)
  }
  return { kept, inDev, repeated }
}
