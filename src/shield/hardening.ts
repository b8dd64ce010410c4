/**
 * Output hardening: what a client learns from each answer. Returning only the top-k labels,
 * rounding confidences, or adding noise to them takes away the fine-grained probabilities a
 * replica learns fastest from (distillation) and the ones a boundary search homes in on; the
 * bench (bench/shield.ts) measures what each costs in accuracy and what it takes from a replica.
 *
 * Noise is calibrated in log-odds: Gaussian noise of `scale` standard deviations is added to each
 * class's log-probability, so a 0.99 and a 0.51 are blurred alike relative to their certainty;
 * with `keepTop` (the default) the most probable class stays first, so accuracy is untouched and
 * only the confidences lie.
 */
import { createRandom, type Random } from '../monitor/sketch/random.js'

export interface HardeningOptions {
  /** Return only the k most probable classes (k = 1: the label alone, with its confidence unless `labelOnly`). */
  topK?: number
  /** Round each probability to this many decimals. */
  decimals?: number
  /** Log-odds Gaussian noise. */
  noise?: { scale: number; keepTop?: boolean }
  /** Return the label without any confidence. */
  labelOnly?: boolean
}

export interface HardenedOutput {
  /** The most probable class (name, or index as a string when the model's classes are unnamed). */
  label: string
  /** Class → probability, for the classes returned (absent when `labelOnly`). */
  probabilities?: Record<string, number>
}

export class OutputHardener {
  readonly #random: Random

  constructor(
    readonly options: HardeningOptions,
    seed = Date.now() >>> 0,
  ) {
    this.#random = createRandom(seed)
  }

  /** The probabilities the client would see, full vector (zeros for withheld classes, noise and rounding applied). */
  vector(probs: ArrayLike<number>): Float64Array {
    return this.#apply(probs).vector
  }

  /**
   * The hardened vector and the label it answers: the top class after noise, before top-k and
   * rounding, so rounding two close confidences to a tie never changes the model's decision.
   */
  #apply(probs: ArrayLike<number>): { vector: Float64Array; top: number } {
    const n = probs.length
    let v: Float64Array = Float64Array.from(probs)
    const noise = this.options.noise
    if (noise !== undefined && noise.scale > 0) {
      const top = argmaxOf(v)
      const logits = Float64Array.from(v, (p) => Math.log(Math.max(p, 1e-12)) + noise.scale * gaussian(this.#random))
      v = softmax(logits)
      const newTop = argmaxOf(v)
      if ((noise.keepTop ?? true) && newTop !== top) {
        const t = v[top] as number
        v[top] = v[newTop] as number
        v[newTop] = t
      }
    }
    const top = argmaxOf(v)
    const k = this.options.labelOnly === true ? 1 : Math.min(n, this.options.topK ?? n)
    if (k < n) {
      const order = [...v.keys()].sort((a, b) => (v[b] as number) - (v[a] as number) || a - b)
      for (const i of order.slice(k)) v[i] = 0
    }
    if (this.options.decimals !== undefined) {
      const f = 10 ** this.options.decimals
      v = v.map((p) => Math.round(p * f) / f)
    }
    if (this.options.labelOnly === true) v = v.map((_, i) => (i === top ? 1 : 0))
    return { vector: v, top }
  }

  /** The label the client is told: the model's top class (after noise when it may flip it). */
  label(probs: ArrayLike<number>): number {
    return this.#apply(probs).top
  }

  /** The answer as the API returns it. */
  harden(probs: ArrayLike<number>, classes?: readonly string[]): HardenedOutput {
    const { vector: v, top } = this.#apply(probs)
    const name = (i: number) => classes?.[i] ?? String(i)
    const label = name(top)
    if (this.options.labelOnly === true) return { label }
    const probabilities: Record<string, number> = {}
    v.forEach((p, i) => {
      if (p > 0 || this.options.topK === undefined) probabilities[name(i)] = p
    })
    return { label, probabilities }
  }
}

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(random.next())) * Math.cos(2 * Math.PI * random.next())
}

function softmax(logits: Float64Array): Float64Array {
  const max = Math.max(...logits)
  const e = logits.map((l) => Math.exp(l - max))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / s)
}

export function argmaxOf(v: ArrayLike<number>): number {
  let best = 0
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i
  return best
}
