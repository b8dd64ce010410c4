/**
 * The shipped prompt-injection model: loads models/injection/weights.bin synchronously
 * (relative to this module, so it works from src/ and dist/; no network) and scores a text's
 * normalization views. The model is stacked on the heuristic detector: its raw logit is the
 * hashed n-gram part plus a learned multiple of the heuristic's log-odds.
 */
import { readFileSync } from 'node:fs'
import type { TextViews } from '../../core/text-views.js'
import { FeatureBuffer } from './features.js'
import { decodeWeights, type ModelHeader } from './weights-format.js'

export const DEFAULT_WEIGHTS_URL = new URL('../../../models/injection/weights.bin', import.meta.url)

/**
 * Numbers that come out of the model:
 *  - the raw logit z = n-gram part (`logit`) + heuristic term (`stack`);
 *  - probabilities, calibrated (Platt scaling fitted on leave-one-source-out logits, so they
 *    are calibrated for sources the model has not seen);
 *  - scores, the same probabilities re-centred so that 0.5 is the operating point selected at
 *    training time (`header.thresholds`), the convention of every prompt_injection detector:
 *    a policy threshold of 0.5 means "the selected operating point" whichever detector runs.
 */
export interface InjectionModel {
  readonly header: ModelHeader
  /** The n-gram part of the raw logit (intercept included, heuristic term not). */
  logit(views: TextViews): number
  /** The raw logit: the n-gram part plus the heuristic's log-odds times the learned weight. */
  stack(ngramLogit: number, heuristicScore: number): number
  /** Calibrated probability from a raw logit. */
  probability(logit: number): number
  /** The model alone: decision-centred score from a raw logit (0.5 = the model's threshold). */
  scoreOfLogit(logit: number): number
  /**
   * The ensemble's decision-centred score: the heuristic's score or the model's probability
   * re-centred on the ensemble threshold, whichever is higher — flagged when either detector is.
   */
  ensembleScore(logit: number, heuristicScore: number): number
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z))
}

/** log-odds of a probability, clipped to ±13.8 so that 0 and 1 stay finite. */
export function logitOfProbability(p: number): number {
  const q = Math.min(Math.max(p, 1e-6), 1 - 1e-6)
  return Math.log(q / (1 - q))
}

/** Builds a model from the bytes of a weights file. */
export function modelFromBytes(bytes: Uint8Array): InjectionModel {
  const { header, weights } = decodeWeights(bytes)
  const buf = new FeatureBuffer(header.bits)
  const { a, b } = header.calibration
  const modelShift = logitOfProbability(header.thresholds.model)
  const ensembleShift = logitOfProbability(header.thresholds.ensemble)
  return {
    header,
    logit: (views) => buf.score(views, weights, header.scale, header.bias),
    stack: (z, h) => z + header.heuristic * logitOfProbability(h),
    probability: (z) => sigmoid(a * z + b),
    scoreOfLogit: (z) => sigmoid(a * z + b - modelShift),
    ensembleScore: (z, h) => Math.max(h, sigmoid(a * z + b - ensembleShift)),
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
