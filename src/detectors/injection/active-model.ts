/**
 * Which weights the prompt-injection model scores with. The `model` and `ensemble` detectors
 * read an `InjectionModelSource` on every call (one property read), so a new version can be
 * swapped in while guards compiled from any policy keep running: the gateway's registry watcher
 * (detectors/registry.ts) sets the process's active version when an activation is made in the
 * store. Until then, and outside the gateway, it is the shipped models/injection/weights.bin.
 *
 * Only the loading path lives here: features, windows and scoring are the shipped code.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { DEFAULT_WEIGHTS_URL, modelFromBytes, type InjectionModel } from './model.js'
import { decodeWeights, type ModelHeader } from './weights-format.js'

/** One decoded weights file, ready to score with. */
export interface LoadedInjectionModel {
  /** sha256 of the weights file, hex: the version's id in the detector registry. */
  readonly id: string
  /** True for the shipped models/injection/weights.bin. */
  readonly builtin: boolean
  readonly model: InjectionModel
  /** The same weights as the sentence windows read them (windows.ts). */
  readonly window: { readonly header: ModelHeader; readonly weights: Int8Array }
  /** The weights file itself (the gateway's scan threads load the same version from it). */
  readonly bytes: Uint8Array
}

export interface InjectionModelSource {
  current(): LoadedInjectionModel
}

/** Decodes a weights file (throws on a malformed one); `builtin` marks the shipped weights. */
export function loadInjectionWeights(bytes: Uint8Array, builtin = false): LoadedInjectionModel {
  const window = decodeWeights(bytes)
  return { id: createHash('sha256').update(bytes).digest('hex'), builtin, model: modelFromBytes(bytes), window, bytes }
}

let shipped: LoadedInjectionModel | undefined

/** The shipped weights, read once. */
export function shippedInjectionModel(): LoadedInjectionModel {
  shipped ??= loadInjectionWeights(readFileSync(DEFAULT_WEIGHTS_URL), true)
  return shipped
}

/** A fixed set of weights (a candidate model directory, a test). */
export function fixedInjectionModel(loaded: LoadedInjectionModel): InjectionModelSource {
  return { current: () => loaded }
}

/** The process's active version: the shipped weights until `set` is called. */
export class ActiveInjectionModel implements InjectionModelSource {
  #loaded: LoadedInjectionModel | undefined

  current(): LoadedInjectionModel {
    return (this.#loaded ??= shippedInjectionModel())
  }

  /** Scores from now on with these weights (every compiled guard of the process). */
  set(loaded: LoadedInjectionModel): void {
    this.#loaded = loaded
  }

  /** Back to the shipped weights. */
  reset(): void {
    this.#loaded = undefined
  }
}

/**
 * The process-wide active version that the `prompt_injection` scanner's `model` and `ensemble`
 * detectors read unless given another source. One per process: a process serves one store, and
 * an activation in the store is gateway-wide.
 */
export const activeInjectionModel = new ActiveInjectionModel()
