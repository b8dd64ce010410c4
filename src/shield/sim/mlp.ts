/**
 * A small multilayer perceptron (ReLU hidden layers, softmax output, Adam) for the shield's
 * simulations: the victim model the bench protects and the replicas its attackers train. It also
 * gives the gradient of a class probability with respect to the input, which Papernot-style
 * augmentation needs. Seeded, so a bench run is reproducible.
 */
import { createRandom, shuffle, type Random } from '../../monitor/sketch/random.js'

export interface TrainOptions {
  epochs: number
  batchSize?: number
  learningRate?: number
  /** L2 penalty on the weights. */
  l2?: number
  seed?: number
}

export interface MlpState {
  sizes: number[]
  weights: number[][]
  biases: number[][]
}

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(random.next())) * Math.cos(2 * Math.PI * random.next())
}

export class Mlp {
  readonly sizes: readonly number[]
  /** weights[l] is sizes[l+1] × sizes[l], row-major. */
  readonly weights: Float64Array[]
  readonly biases: Float64Array[]

  constructor(sizes: readonly number[], seed = 1) {
    this.sizes = [...sizes]
    const random = createRandom(seed)
    this.weights = []
    this.biases = []
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fanIn = sizes[l] as number
      const fanOut = sizes[l + 1] as number
      const scale = Math.sqrt(2 / fanIn)
      this.weights.push(Float64Array.from({ length: fanIn * fanOut }, () => gaussian(random) * scale))
      this.biases.push(new Float64Array(fanOut))
    }
  }

  get classes(): number {
    return this.sizes[this.sizes.length - 1] as number
  }

  /** Activations of every layer for `x` (the last is the softmax). */
  private activations(x: ArrayLike<number>): Float64Array[] {
    const acts: Float64Array[] = [Float64Array.from(x)]
    for (let l = 0; l < this.weights.length; l++) {
      const input = acts[l] as Float64Array
      const w = this.weights[l] as Float64Array
      const b = this.biases[l] as Float64Array
      const n = b.length
      const m = input.length
      const out = new Float64Array(n)
      for (let j = 0; j < n; j++) {
        let s = b[j] as number
        const row = j * m
        for (let i = 0; i < m; i++) s += (w[row + i] as number) * (input[i] as number)
        out[j] = s
      }
      if (l < this.weights.length - 1) {
        for (let j = 0; j < n; j++) if ((out[j] as number) < 0) out[j] = 0
      } else {
        softmaxInPlace(out)
      }
      acts.push(out)
    }
    return acts
  }

  /** Class probabilities for one input. */
  predict(x: ArrayLike<number>): Float64Array {
    const acts = this.activations(x)
    return acts[acts.length - 1] as Float64Array
  }

  /** Index of the most probable class. */
  label(x: ArrayLike<number>): number {
    return argmax(this.predict(x))
  }

  /**
   * Backpropagates dLoss/dlogits = (p − target) through the net; accumulates weight gradients
   * when `grads` is given and returns dLoss/dinput.
   */
  private backward(acts: Float64Array[], delta: Float64Array, grads?: { w: Float64Array[]; b: Float64Array[] }): Float64Array {
    let d = delta
    for (let l = this.weights.length - 1; l >= 0; l--) {
      const input = acts[l] as Float64Array
      const w = this.weights[l] as Float64Array
      const m = input.length
      const n = d.length
      if (grads !== undefined) {
        const gw = grads.w[l] as Float64Array
        const gb = grads.b[l] as Float64Array
        for (let j = 0; j < n; j++) {
          const dj = d[j] as number
          if (dj === 0) continue
          gb[j] = (gb[j] as number) + dj
          const row = j * m
          for (let i = 0; i < m; i++) gw[row + i] = (gw[row + i] as number) + dj * (input[i] as number)
        }
      }
      const prev = new Float64Array(m)
      for (let j = 0; j < n; j++) {
        const dj = d[j] as number
        if (dj === 0) continue
        const row = j * m
        for (let i = 0; i < m; i++) prev[i] = (prev[i] as number) + dj * (w[row + i] as number)
      }
      if (l > 0) for (let i = 0; i < m; i++) if ((input[i] as number) <= 0) prev[i] = 0
      d = prev
    }
    return d
  }

  /** Gradient of log p(class | x) with respect to x. */
  inputGradient(x: ArrayLike<number>, cls: number): Float64Array {
    const acts = this.activations(x)
    const p = acts[acts.length - 1] as Float64Array
    // d(−log p_c)/dlogits = p − onehot(c); negate for log p_c.
    const delta = Float64Array.from(p, (v, j) => (j === cls ? v - 1 : v))
    const g = this.backward(acts, delta)
    for (let i = 0; i < g.length; i++) g[i] = -(g[i] as number)
    return g
  }

  /** Minimizes cross-entropy to `targets` (probability vectors, or one-hot labels) with Adam. */
  train(inputs: readonly ArrayLike<number>[], targets: readonly ArrayLike<number>[], options: TrainOptions): void {
    const batch = options.batchSize ?? 32
    const lr = options.learningRate ?? 0.003
    const l2 = options.l2 ?? 1e-4
    const random = createRandom(options.seed ?? 7)
    const m1w = this.weights.map((w) => new Float64Array(w.length))
    const m2w = this.weights.map((w) => new Float64Array(w.length))
    const m1b = this.biases.map((b) => new Float64Array(b.length))
    const m2b = this.biases.map((b) => new Float64Array(b.length))
    const grads = { w: this.weights.map((w) => new Float64Array(w.length)), b: this.biases.map((b) => new Float64Array(b.length)) }
    const order = inputs.map((_, i) => i)
    let t = 0
    const b1 = 0.9
    const b2 = 0.999
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      shuffle(order, random)
      for (let start = 0; start < order.length; start += batch) {
        const end = Math.min(order.length, start + batch)
        for (const g of grads.w) g.fill(0)
        for (const g of grads.b) g.fill(0)
        for (let k = start; k < end; k++) {
          const idx = order[k] as number
          const acts = this.activations(inputs[idx] as ArrayLike<number>)
          const p = acts[acts.length - 1] as Float64Array
          const y = targets[idx] as ArrayLike<number>
          const delta = Float64Array.from(p, (v, j) => v - (y[j] as number))
          this.backward(acts, delta, grads)
        }
        t++
        const scale = 1 / (end - start)
        const c1 = 1 - b1 ** t
        const c2 = 1 - b2 ** t
        const step = (param: Float64Array, grad: Float64Array, m: Float64Array, v: Float64Array, decay: number) => {
          for (let i = 0; i < param.length; i++) {
            const g = (grad[i] as number) * scale + decay * (param[i] as number)
            m[i] = b1 * (m[i] as number) + (1 - b1) * g
            v[i] = b2 * (v[i] as number) + (1 - b2) * g * g
            param[i] = (param[i] as number) - (lr * ((m[i] as number) / c1)) / (Math.sqrt((v[i] as number) / c2) + 1e-8)
          }
        }
        for (let l = 0; l < this.weights.length; l++) {
          step(this.weights[l] as Float64Array, grads.w[l] as Float64Array, m1w[l] as Float64Array, m2w[l] as Float64Array, l2)
          step(this.biases[l] as Float64Array, grads.b[l] as Float64Array, m1b[l] as Float64Array, m2b[l] as Float64Array, 0)
        }
      }
    }
  }

  toJSON(): MlpState {
    return { sizes: [...this.sizes], weights: this.weights.map((w) => [...w]), biases: this.biases.map((b) => [...b]) }
  }

  static fromJSON(state: MlpState): Mlp {
    const net = new Mlp(state.sizes)
    state.weights.forEach((w, l) => (net.weights[l] as Float64Array).set(w))
    state.biases.forEach((b, l) => (net.biases[l] as Float64Array).set(b))
    return net
  }
}

export function softmaxInPlace(v: Float64Array): Float64Array {
  let max = -Infinity
  for (const x of v) if (x > max) max = x
  let sum = 0
  for (let i = 0; i < v.length; i++) {
    const e = Math.exp((v[i] as number) - max)
    v[i] = e
    sum += e
  }
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / sum
  return v
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i
  return best
}

export function oneHot(label: number, classes: number): Float64Array {
  const v = new Float64Array(classes)
  v[label] = 1
  return v
}
