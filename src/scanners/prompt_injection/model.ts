/**
 * The trained detectors (issue 3): `model` scores the text with the shipped hashed n-gram
 * logistic regression stacked on the heuristic's log-odds; `ensemble` flags a text when the
 * heuristic or the model does (see models/injection/MODEL_CARD.md). Both read the same
 * normalization views as the heuristic.
 */
import { loadInjectionModel } from '../../detectors/injection/model.js'
import { createHeuristicDetector, type InjectionDetector } from './heuristic.js'

export function createModelDetector(): InjectionDetector {
  const model = loadInjectionModel()
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

export function createEnsembleDetector(): InjectionDetector {
  const model = loadInjectionModel()
  const heuristic = createHeuristicDetector()
  return {
    id: 'ensemble',
    analyze(text, views) {
      const verdict = heuristic.analyze(text, views)
      const z = model.stack(model.logit(views), verdict.score)
      const score = model.ensembleScore(z, verdict.score)
      const out = { ...verdict, score, modelScore: model.probability(z), heuristicScore: verdict.score }
      // When only the model flags the text, say so: the finding then spans the whole text.
      if (score >= 0.5 && verdict.score < 0.5) out.hits = [{ id: 'model', type: verdict.type, weight: 0, start: 0, end: text.length, via: 'text' }, ...verdict.hits]
      return out
    },
  }
}
