/**
 * The trained detectors (issue 3): `model` scores the text with the hashed n-gram logistic
 * regression stacked on the heuristic's log-odds; `ensemble` flags a text when the heuristic or
 * the model does (see models/injection/MODEL_CARD.md). Both read the same normalization views as
 * the heuristic, and the weights of their `source` on every call: by default the process's
 * active version (detectors/injection/active-model.ts; the shipped weights unless the gateway
 * activated another from the detector registry).
 */
import { readFileSync } from 'node:fs'
import { activeInjectionModel, fixedInjectionModel, loadInjectionWeights, type InjectionModelSource, type LoadedInjectionModel } from '../../detectors/injection/active-model.js'
import { sigmoid } from '../../detectors/injection/model.js'
import { WINDOW_FLOOR, WindowScorer } from '../../detectors/injection/windows.js'
import { extend } from '../../core/objects.js'
import { createTextViews, type TextViews } from '../../core/text-views.js'
import { createHeuristicDetector, type DetectorVerdict, type InjectionDetector } from './heuristic.js'
import { wordsViewOf } from './lexicon.js'

/** A source, or a weights file of the same format (a retrained candidate) read once. */
function sourceOf(weights: InjectionModelSource | URL): InjectionModelSource {
  return weights instanceof URL ? fixedInjectionModel(loadInjectionWeights(readFileSync(weights))) : weights
}

export function createModelDetector(weights: InjectionModelSource | URL = activeInjectionModel): InjectionDetector {
  const source = sourceOf(weights)
  const heuristic = createHeuristicDetector()
  return {
    id: 'model',
    analyze(text, views) {
      const { model } = source.current()
      const verdict = heuristic.analyze(text, views)
      const z = model.stack(model.logit(views), verdict.score)
      return extend(verdict, { score: model.scoreOfLogit(z), modelScore: model.probability(z), heuristicScore: verdict.score })
    },
  }
}

/** What the ensemble derives from one weights file, computed once per version. */
interface EnsembleParts {
  loaded: LoadedInjectionModel
  windows: WindowScorer
  threshold: number
  windowThreshold: number
  windowFloor: number
  a: number
  b: number
  windowShift: number
}

function ensembleParts(loaded: LoadedInjectionModel): EnsembleParts {
  const { header } = loaded.window
  const { ensemble: threshold, window: windowThreshold = 2 } = header.thresholds
  return {
    loaded,
    windows: new WindowScorer(header.bits),
    threshold,
    windowThreshold,
    // Never below WINDOW_FLOOR: that floor bounds what windows cost.
    windowFloor: Math.max(WINDOW_FLOOR, header.thresholds.windowFloor ?? WINDOW_FLOOR),
    a: header.calibration.a,
    b: header.calibration.b,
    windowShift: windowThreshold < 1 ? Math.log(windowThreshold / (1 - windowThreshold)) : 0,
  }
}

/**
 * The words-view reading of a text written in leet throughout (the words view's `leet`), or
 * undefined when the text is not, or reads the same as its folded view.
 */
export function leetReading(text: string, views: TextViews = createTextViews(text)): string | undefined {
  const wv = wordsViewOf(views)
  return wv.leet && wv.text !== views.folded.text ? wv.text : undefined
}

export function createEnsembleDetector(weights: InjectionModelSource | URL = activeInjectionModel): InjectionDetector {
  const source = sourceOf(weights)
  const heuristic = createHeuristicDetector()
  let parts = ensembleParts(source.current())
  /** The text scored by the heuristic, the model and, when the model leans towards it, its best sentence window. */
  function analyze(text: string, views: TextViews): DetectorVerdict {
    const loaded = source.current()
    if (loaded !== parts.loaded) parts = ensembleParts(loaded)
    const { model, window } = loaded
    const { windows, threshold, windowThreshold, windowFloor, a, b, windowShift } = parts
    const verdict = heuristic.analyze(text, views)
    const z = model.stack(model.logit(views), verdict.score)
    let score = model.ensembleScore(z, verdict.score)
    let modelScore = model.probability(z)
    let span = { start: 0, end: text.length }
    // An instruction inside a document is diluted by the text around it: when neither detector
    // flags the whole text but the model leans towards it, its best sentence window may flag
    // it, at the window threshold selected in training (windows.ts).
    if (windowThreshold < 1 && verdict.score < 0.5 && modelScore < threshold && modelScore >= windowFloor) {
      const w = windows.best(views.folded, text, window.weights, window.header.scale, window.header.bias)
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
    // extend, not a spread literal: it runs per scan (core/objects.ts).
    const out = extend(verdict, { score, modelScore, heuristicScore: verdict.score })
    // When only the model flags the text, say so: the finding then spans the whole text (or the window).
    if (score >= 0.5 && verdict.score < 0.5) out.hits = [{ id: 'model', type: verdict.type, weight: 0, start: span.start, end: span.end, via: 'text' }, ...verdict.hits]
    return out
  }
  return {
    id: 'ensemble',
    analyze(text, views) {
      const out = analyze(text, views)
      if (out.score >= 0.5) return out
      // A text written in leet throughout (`1gn0r3 @ll pr3v10u5 ru135`) is also scored as its
      // reading — the words view reads every token as leet — like a decoded payload: the
      // folded view decodes leet only where a token cannot be a number or a code, so a
      // whole-text leet attack keeps enough digits there to dilute the model.
      const reading = leetReading(text, views)
      if (reading === undefined) return out
      const read = analyze(reading, createTextViews(reading))
      if (read.score <= out.score) return out
      const whole = { start: 0, end: text.length }
      return { ...read, hits: read.hits.map((h) => ({ ...h, ...whole, via: 'leetspeak' })) }
    },
  }
}
