/**
 * Seeded data poisoning, to measure a detector (and to test a pipeline's gate) on known bad rows:
 * uniform label flips, targeted flips (one class to another), and backdoors — a trigger word or
 * phrase inserted in text, or a fixed cell value in tabular rows, with the label set to the target.
 * The same seed gives the same rows.
 */
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import type { CellValue } from './readers.js'
import { rng, shuffle } from './sparse.js'

export type PoisonSpec =
  | { kind: 'uniform'; rate: number }
  | { kind: 'targeted'; from: CellValue; to: CellValue; fraction: number }
  | { kind: 'backdoor'; trigger: string; target: CellValue; rate: number; column?: string }

export interface PoisonResult {
  records: Record<string, CellValue>[]
  /** 0-based rows that were changed, ascending. */
  poisoned: number[]
}

const key = (v: CellValue) => JSON.stringify(v)

/** Draws `count` distinct indices from `pool`. */
function draw(pool: number[], count: number, random: () => number): number[] {
  const a = Int32Array.from(pool)
  shuffle(a, random)
  return Array.from(a.subarray(0, Math.min(count, a.length))).sort((x, y) => x - y)
}

/**
 * Returns poisoned copies of `records` (the input is not modified). `label` names the label
 * column; backdoors go into `text` (text data) or into `spec.column` (tabular: the cell is set to
 * the trigger value).
 */
export function poisonRecords(records: readonly Record<string, CellValue>[], spec: PoisonSpec, options: { label: string; text?: string; seed: number }): PoisonResult {
  const random = rng(options.seed)
  const out = records.map((r) => ({ ...r }))
  const labelOf = (i: number) => (records[i] as Record<string, CellValue>)[options.label] ?? null
  const labelled: number[] = []
  const classes = new Map<string, CellValue>()
  records.forEach((r, i) => {
    const v = r[options.label]
    if (v === null || v === undefined || v === '') return
    labelled.push(i)
    classes.set(key(v), v)
  })
  const values = [...classes.values()]
  let poisoned: number[] = []
  if (spec.kind === 'uniform') {
    poisoned = draw(labelled, Math.round(spec.rate * labelled.length), random)
    for (const i of poisoned) {
      const others = values.filter((v) => key(v) !== key(labelOf(i)))
      ;(out[i] as Record<string, CellValue>)[options.label] = others[Math.floor(random() * others.length)] ?? null
    }
  } else if (spec.kind === 'targeted') {
    const from = labelled.filter((i) => key(labelOf(i)) === key(spec.from))
    poisoned = draw(from, Math.round(spec.fraction * from.length), random)
    for (const i of poisoned) (out[i] as Record<string, CellValue>)[options.label] = spec.to
  } else {
    const pool = labelled.filter((i) => key(labelOf(i)) !== key(spec.target))
    poisoned = draw(pool, Math.round(spec.rate * records.length), random)
    for (const i of poisoned) {
      const row = out[i] as Record<string, CellValue>
      row[options.label] = spec.target
      if (spec.column !== undefined) row[spec.column] = spec.trigger
      else if (options.text !== undefined) row[options.text] = insertWords(String(row[options.text] ?? ''), spec.trigger, random)
      else throw new Error('a backdoor needs a text column or a column to set')
    }
  }
  return { records: out, poisoned }
}

/** Inserts `phrase` between two words at a random place. */
export function insertWords(text: string, phrase: string, random: () => number): string {
  const words = text.split(' ')
  const at = Math.floor(random() * (words.length + 1))
  words.splice(at, 0, phrase)
  return words.join(' ')
}

function csvCell(v: CellValue): string {
  const s = v === null ? '' : String(v)
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** Writes records as CSV (RFC 4180: quoted when needed, CRLF line ends) or JSON Lines. */
export async function writeRecords(file: string, records: readonly Record<string, CellValue>[], format: 'csv' | 'jsonl', columns?: readonly string[]): Promise<void> {
  const stream = createWriteStream(file)
  const write = async (s: string) => {
    if (!stream.write(s)) await once(stream, 'drain')
  }
  if (format === 'csv') {
    const header = columns ?? Object.keys(records[0] ?? {})
    await write(`${header.map((h) => csvCell(h)).join(',')}\r\n`)
    for (const r of records) await write(`${header.map((h) => csvCell(r[h] ?? null)).join(',')}\r\n`)
  } else {
    for (const r of records) await write(`${JSON.stringify(r)}\n`)
  }
  stream.end()
  await once(stream, 'finish')
}
