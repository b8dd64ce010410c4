/**
 * The trained detectors (issue 3): `model` scores the text with the shipped hashed n-gram
 * logistic regression alone; `ensemble` combines the model's logit with the heuristic's score
 * by a logistic function fitted on leave-one-source-out predictions (see
 * models/injection/MODEL_CARD.md). Both read the same normalization views as the heuristic.
 */
import { loadInjectionModel } from '../../detectors/injection/model.js'
import { createHeuristicDetector, type InjectionDetector } from './heuristic.js'

export function createModelDetector(): InjectionDetector {
  const model = loadInjectionModel()
  return {
    id: 'model',
    analyze(_text, views) {
      const z = model.logit(views)
      return { score: model.scoreOfLogit(z), type: 'INJECTION', hits: [], shapeMatches: 0, modelScore: model.probability(z) }
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
      const z = model.logit(views)
      return { ...verdict, score: model.ensembleScore(z, verdict.score), modelScore: model.probability(z), heuristicScore: verdict.score }
    },
  }
}
