import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { z } from 'zod'
import { RampartError } from '../../core/errors.js'
import { defineScanner, type ScannerFinding } from '../../core/scanner.js'
import { createHeuristicDetector, type InjectionDetector } from './heuristic.js'
import { createEnsembleDetector, createModelDetector } from './model.js'

export const promptInjectionOptionsSchema = z
  .object({
    /**
     * Which detector scores the text: `heuristic` (weighted hand-written signals), `model` (the
     * trained hashed n-gram model stacked on the heuristic's score) or `ensemble` (flagged when
     * either flags; the default: it keeps every hand-written hard negative quiet, see
     * models/injection/MODEL_CARD.md).
     */
    detector: z.enum(['heuristic', 'model', 'ensemble']).default('ensemble'),
    /** Also report each signal that fired as its own finding with a span (score = the text's score). */
    reportSignals: z.boolean().default(false),
    /**
     * A weights file (weights.bin of a model directory such as the output of `rampart train
     * injection`) for the `model` and `ensemble` detectors; default: the shipped
     * models/injection/weights.bin. A relative path is resolved from the working directory.
     */
    weights: z.string().min(1).optional(),
  })
  .strict()

const DETECTORS: Record<string, (weights?: URL) => InjectionDetector> = {
  heuristic: () => createHeuristicDetector(),
  model: createModelDetector,
  ensemble: createEnsembleDetector,
}

function createDetector(factory: (weights?: URL) => InjectionDetector, weights: string | undefined): InjectionDetector {
  if (weights === undefined) return factory()
  try {
    return factory(pathToFileURL(resolve(weights)))
  } catch (error) {
    throw new RampartError('RAMPART_ERR_POLICY_INVALID', `prompt_injection.options.weights: cannot load ${weights}: ${(error as Error).message}`, { cause: error, path: 'prompt_injection.options.weights' })
  }
}

/**
 * Direct and indirect prompt injection and jailbreak attempts, scored on normalized and
 * decoded views of the text (see docs/scanners/prompt_injection.md).
 */
export const promptInjection = defineScanner({
  id: 'prompt_injection',
  description: 'Detects prompt injection, jailbreaks and system-prompt extraction, including obfuscated and indirect ones.',
  directions: ['input', 'output'],
  defaults: { action: 'block', threshold: 0.5 },
  options: promptInjectionOptionsSchema,
  create(options, settings) {
    const factory = DETECTORS[options.detector]
    if (factory === undefined) throw new Error(`unknown prompt_injection detector "${options.detector}"`)
    const detector = createDetector(factory, options.weights)
    return {
      scan(text, invocation) {
        if (text.length === 0) return []
        const verdict = detector.analyze(text, invocation.views)
        const top = verdict.hits[0]
        const finding: ScannerFinding = {
          type: verdict.type,
          score: verdict.score,
          detail: {
            detector: detector.id,
            threshold: settings.threshold,
            signals: verdict.hits.map((h) => h.id).join(',') || 'none',
            shapeMatches: verdict.shapeMatches,
          },
        }
        if (verdict.modelScore !== undefined) finding.detail!.modelScore = Math.round(verdict.modelScore * 10_000) / 10_000
        if (verdict.heuristicScore !== undefined) finding.detail!.heuristicScore = Math.round(verdict.heuristicScore * 10_000) / 10_000
        if (top !== undefined) {
          finding.start = top.start
          finding.end = top.end
          const via = verdict.hits.find((h) => h.via !== 'text')?.via
          if (via !== undefined) (finding.detail as Record<string, string | number | boolean>).via = via
        }
        const findings: ScannerFinding[] = [finding]
        if (options.reportSignals) {
          for (const h of verdict.hits) {
            findings.push({ type: h.type, score: verdict.score, start: h.start, end: h.end, action: 'flag', detail: { signal: h.id, via: h.via, weight: h.weight } })
          }
        }
        return findings
      },
    }
  },
})
