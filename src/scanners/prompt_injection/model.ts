/**
 * The trained detectors (issue 3): `model` scores the text with the shipped hashed n-gram
 * logistic regression stacked on the heuristic's log-odds; `ensemble` flags a text when the
 * heuristic or the model does (see models/injection/MODEL_CARD.md). Both read the same
 * normalization views as the heuristic.
 */
import { loadInjectionModel, sigmoid } from '../../detectors/injection/model.js'
import { loadWindowWeights, WINDOW_FLOOR, WindowScorer } from '../../detectors/injection/windows.js'
import { createHeuristicDetector, type InjectionDetector } from './heuristic.js'

/** `weights`: a weights file of the same format (a retrained candidate); default the shipped one. */
export function createModelDetector(weights?: URL): InjectionDetector {
  const model = loadInjectionModel(weights)
  const heuristic = createHeuristicDetector()
  return {
    id: 'model',
    analyze(text, views) {
      const verdict = heuristic.analyze(text, views)
      const z = model.stack(model.logit(views), verdict.score)
      return { ...verdict, score: model.scoreOfLogit(z), modelScore: model.probability(z), heuristicScore: verdict.score }
    },
  }
}

/** `weightsFile`: a weights file of the same format (a retrained candidate); default the shipped one. */
export function createEnsembleDetector(weightsFile?: URL): InjectionDetector {
  const model = loadInjectionModel(weightsFile)
  const heuristic = createHeuristicDetector()
  const { header, weights } = loadWindowWeights(weightsFile)
  const windows = new WindowScorer(header.bits)
  const { ensemble: threshold, window: windowThreshold = 2 } = header.thresholds
  // Never below WINDOW_FLOOR: that floor bounds what windows cost.
  const windowFloor = Math.max(WINDOW_FLOOR, header.thresholds.windowFloor ?? WINDOW_FLOOR)
  const { a, b } = header.calibration
  const windowShift = windowThreshold < 1 ? Math.log(windowThreshold / (1 - windowThreshold)) : 0
  return {
    id: 'ensemble',
    analyze(text, views) {
      const verdict = heuristic.analyze(text, views)
      const z = model.stack(model.logit(views), verdict.score)
      let score = model.ensembleScore(z, verdict.score)
      let modelScore = model.probability(z)
      let span = { start: 0, end: text.length }
      // An instruction inside a document is diluted by the text around it: when neither detector
      // flags the whole text but the model leans towards it, its best sentence window may flag
      // it, at the window threshold selected in training (windows.ts).
      if (windowThreshold < 1 && verdict.score < 0.5 && modelScore < threshold && modelScore >= windowFloor) {
        const w = windows.best(views.folded, text, weights, header.scale, header.bias)
        if (w !== undefined) {
          const zw = model.stack(w.logit, verdict.score)
          const windowScore = sigmoid(a * zw + b - windowShift)
          if (windowScore >= 0.5 && windowScore > score) {
            score = windowScore
            modelScore = model.probability(zw)
            span = views.folded.toOriginal(w.start, w.end)
          }
        }
      }
      const out = { ...verdict, score, modelScore, heuristicScore: verdict.score }
      // When only the model flags the text, say so: the finding then spans the whole text (or the window).
      if (score >= 0.5 && verdict.score < 0.5) out.hits = [{ id: 'model', type: verdict.type, weight: 0, start: span.start, end: span.end, via: 'text' }, ...verdict.hits]
      return out
    },
  }
}
