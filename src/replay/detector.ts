/**
 * A candidate prompt-injection model for replay and shadow mode: a directory laid out like
 * models/injection/ (weights.bin, MODEL_CARD.md, metrics.json). It replaces the weights of the
 * `prompt_injection` scanner's `model` and `ensemble` detectors through the scanner's `weights`
 * option; feature extraction and scoring are the shipped code, unchanged.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { RampartError } from '../core/errors.js'
import type { Policy } from '../core/policy.js'
import { decodeWeights } from '../detectors/injection/weights-format.js'

export interface DetectorDir {
  /** Absolute path of the directory. */
  dir: string
  weightsFile: string
  /** sha256-free summary for reports: the model card's first heading and metrics.json's headline figures, when present. */
  card?: string
  metrics?: Record<string, unknown>
}

/** Checks a model directory (weights.bin must decode) and reads what a report shows of it. */
export function loadDetectorDir(dir: string, where = '--detector'): DetectorDir {
  const abs = resolve(dir)
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${where}: ${dir} is not a directory`, { path: where })
  const weightsFile = join(abs, 'weights.bin')
  let bytes: Buffer
  try {
    bytes = readFileSync(weightsFile)
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${where}: cannot read ${weightsFile} (a model directory holds weights.bin, MODEL_CARD.md and metrics.json, as models/injection/): ${(cause as Error).message}`, { path: where, cause })
  }
  try {
    decodeWeights(bytes)
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${where}: ${weightsFile} is not a prompt-injection weights file: ${(cause as Error).message}`, { path: where, cause })
  }
  const out: DetectorDir = { dir: abs, weightsFile }
  const cardFile = join(abs, 'MODEL_CARD.md')
  if (existsSync(cardFile)) {
    const heading = readFileSync(cardFile, 'utf8').split('\n').find((l) => l.startsWith('#'))
    if (heading !== undefined) out.card = heading.replace(/^#+\s*/, '').slice(0, 200)
  }
  const metricsFile = join(abs, 'metrics.json')
  if (existsSync(metricsFile)) {
    try {
      const m = JSON.parse(readFileSync(metricsFile, 'utf8')) as Record<string, unknown>
      out.metrics = Object.fromEntries(Object.entries(m).filter(([k]) => ['version', 'createdAt', 'dev', 'test', 'summary'].includes(k)))
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${where}: ${metricsFile} is not valid JSON: ${(cause as Error).message}`, { path: where, cause })
    }
  }
  return out
}

/**
 * The policy with every `prompt_injection` entry pointed at the candidate weights (as a plain
 * object, to be validated again by `parsePolicy`). Throws when no enabled entry uses the model
 * or ensemble detector: a candidate model would then change nothing.
 */
export function policyWithDetector(policy: Policy, detector: DetectorDir, where = '--detector'): Record<string, unknown> {
  type Entry = { enabled?: boolean; options?: Record<string, unknown> }
  const raw = JSON.parse(JSON.stringify(policy)) as { input: Record<string, Entry>; output: Record<string, Entry> }
  let found = 0
  for (const side of [raw.input, raw.output]) {
    const entry = side.prompt_injection
    if (entry === undefined) continue
    entry.options = { ...entry.options, weights: detector.weightsFile }
    // The heuristic detector reads no weights.
    if (entry.enabled !== false && entry.options.detector !== 'heuristic') found++
  }
  if (found === 0) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${where}: policy "${policy.name}" runs no prompt_injection scanner with the model or ensemble detector, so a candidate model would change nothing`, { path: where })
  }
  return raw as unknown as Record<string, unknown>
}
