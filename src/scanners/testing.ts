import { readFileSync } from 'node:fs'
import type { AnyScannerDefinition, ScannerFinding } from '../core/scanner.js'
import { createTextViews } from '../core/text-views.js'
import type { Action, Direction, ScanContext } from '../core/types.js'

/** Reads a scanner's JSONL fixture file (blank lines skipped). Test support only. */
export function readFixtures<T>(url: URL): T[] {
  return readFileSync(url, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T)
}

export interface ScannedFinding extends Omit<ScannerFinding, 'action'> {
  action: Action
}

/**
 * Runs one scanner directly (no engine) with `options`, as the engine would: findings under the
 * scanner's default threshold dropped, missing actions filled with its default action. The
 * scanner must answer synchronously. Test support only.
 */
export function scanWith(def: AnyScannerDefinition, text: string, options: Record<string, unknown> = {}, direction: Direction = 'input', context: ScanContext = {}): ScannedFinding[] {
  const scanner = def.create(def.options.parse(options), def.defaults)
  const out = scanner.scan(text, { direction, context, views: createTextViews(text) })
  if (!Array.isArray(out)) throw new Error(`${def.id} must scan synchronously`)
  return out.filter((f) => f.score >= def.defaults.threshold).map((f) => ({ ...f, action: f.action ?? def.defaults.action }))
}
