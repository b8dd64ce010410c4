/**
 * The shipped prompt-injection model: loads models/injection/weights.bin synchronously
 * (relative to this module, so it works from src/ and dist/; no network) and scores a text's
 * normalization views 0..1.
 */
import { readFileSync } from 'node:fs'
import type { TextViews } from '../../core/text-views.js'
import { FeatureBuffer } from './features.js'
import { decodeWeights, type ModelHeader } from './weights-format.js'

export const DEFAULT_WEIGHTS_URL = new URL('../../../models/injection/weights.bin', import.meta.url)

/**
 * Two kinds of numbers come out of the model:
 *  - probabilities, calibrated (Platt scaling fitted on leave-one-source-out predictions, so
 *    they are calibrated for sources the model has not seen);
 *  - scores, the same probabilities re-centred so that 0.5 is the operating point selected at
 *    training time (`header.thresholds`), the convention of every prompt_injection detector:
 *    a policy threshold of 0.5 means "the selected operating point" whichever detector runs.
 */
export interface InjectionModel {
  readonly header: ModelHeader
  /** Raw logit of the linear model (before calibration). */
  logit(views: TextViews): number
  /** Calibrated probability from a raw logit. */
  probability(logit: number): number
  /** The model alone: decision-centred score of a text (0.5 = the model's selected threshold). */
  score(views: TextViews): number
  /** The model alone: decision-centred score from a raw logit. */
  scoreOfLogit(logit: number): number
  /** The ensemble's calibrated probability given the model logit and the heuristic's score (0..1). */
  ensembleProbability(logit: number, heuristicScore: number): number
  /** The ensemble's decision-centred score (0.5 = the ensemble's selected threshold). */
  ensembleScore(logit: number, heuristicScore: number): number
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z))
}

function logitOfProbability(p: number): number {
  const q = Math.min(Math.max(p, 1e-6), 1 - 1e-6)
  return Math.log(q / (1 - q))
}

/** Builds a model from the bytes of a weights file. */
export function modelFromBytes(bytes: Uint8Array): InjectionModel {
  const { header, weights } = decodeWeights(bytes)
  const buf = new FeatureBuffer(header.bits)
  const { a, b } = header.calibration
  const e = header.ensemble
  const modelShift = logitOfProbability(header.thresholds.model)
  const ensembleShift = logitOfProbability(header.thresholds.ensemble)
  const logit = (views: TextViews): number => buf.fill(views).dot(weights, header.scale, header.bias)
  const ensembleLogit = (z: number, h: number): number => e.bias + e.model * z + e.heuristic * logitOfProbability(h)
  return {
    header,
    logit,
    probability: (z) => sigmoid(a * z + b),
    score: (views) => sigmoid(a * logit(views) + b - modelShift),
    scoreOfLogit: (z) => sigmoid(a * z + b - modelShift),
    ensembleProbability: (z, h) => sigmoid(ensembleLogit(z, h)),
    ensembleScore: (z, h) => sigmoid(ensembleLogit(z, h) - ensembleShift),
  }
}

const cache = new Map<string, InjectionModel>()

/** Loads (once per path) the weights file; the default is the shipped models/injection/weights.bin. */
export function loadInjectionModel(url: URL = DEFAULT_WEIGHTS_URL): InjectionModel {
  let m = cache.get(url.href)
  if (m === undefined) {
    m = modelFromBytes(readFileSync(url))
    cache.set(url.href, m)
  }
  return m
}
