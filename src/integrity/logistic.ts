/**
 * Multinomial logistic regression on sparse rows, fitted by L-BFGS on the exact objective
 * mean cross-entropy + (l2 / 2)·‖W‖² (the intercepts are not penalized; class 0 is the reference). Full-batch, so the same
 * data gives the same model — no learning rate to tune, and probabilities stay calibrated enough
 * for confident learning's per-class thresholds.
 */
import type { Csr } from './sparse.js'

export interface SoftmaxModel {
  dims: number
  classes: number
  /** dims × classes, row-major by feature. */
  weights: Float64Array
  bias: Float64Array
}

export interface TrainOptions {
  l2: number
  maxIterations?: number
  /** Stop when the loss improves by less than this, relatively. */
  tolerance?: number
  /** L-BFGS history length. */
  memory?: number
  /** Start from this model (same features and classes) instead of zero weights. */
  init?: SoftmaxModel
}

/** Writes class probabilities of row i into `out` (length = classes). */
export function predictRow(model: SoftmaxModel, X: Csr, i: number, out: Float64Array): void {
  const K = model.classes
  for (let k = 0; k < K; k++) out[k] = model.bias[k] as number
  const w = model.weights
  for (let p = X.indptr[i] as number, end = X.indptr[i + 1] as number; p < end; p++) {
    const base = (X.indices[p] as number) * K
    const x = X.values[p] as number
    for (let k = 0; k < K; k++) out[k] = (out[k] as number) + x * (w[base + k] as number)
  }
  softmaxInPlace(out, K)
}

/** Probabilities for a row given as parallel index/value lists (for rows edited on the fly). */
export function predictEntries(model: SoftmaxModel, indices: ArrayLike<number>, values: ArrayLike<number>, out: Float64Array): void {
  const K = model.classes
  for (let k = 0; k < K; k++) out[k] = model.bias[k] as number
  for (let p = 0; p < indices.length; p++) {
    const base = (indices[p] as number) * K
    const x = values[p] as number
    for (let k = 0; k < K; k++) out[k] = (out[k] as number) + x * (model.weights[base + k] as number)
  }
  softmaxInPlace(out, K)
}

export function softmaxInPlace(z: Float64Array, K: number): void {
  let max = -Infinity
  for (let k = 0; k < K; k++) if ((z[k] as number) > max) max = z[k] as number
  let sum = 0
  for (let k = 0; k < K; k++) {
    const e = Math.exp((z[k] as number) - max)
    z[k] = e
    sum += e
  }
  for (let k = 0; k < K; k++) z[k] = (z[k] as number) / sum
}

/**
 * Loss and gradient at params, over the training rows. Class 0 is the reference: its logit is
 * fixed at 0, so params hold K − 1 weight columns (row-major by feature) then K − 1 intercepts.
 * Same model family as the symmetric softmax, one column less to fit (half the work for two classes).
 */
function lossAndGradient(params: Float64Array, grad: Float64Array, X: Csr, y: Int32Array, train: Int32Array, K: number, l2: number): number {
  const Kp = K - 1
  const wSize = X.dims * Kp
  grad.fill(0)
  const z = new Float64Array(K)
  let loss = 0
  for (let t = 0; t < train.length; t++) {
    const i = train[t] as number
    z[0] = 0
    for (let k = 0; k < Kp; k++) z[k + 1] = params[wSize + k] as number
    const start = X.indptr[i] as number
    const end = X.indptr[i + 1] as number
    for (let p = start; p < end; p++) {
      const base = (X.indices[p] as number) * Kp
      const x = X.values[p] as number
      for (let k = 0; k < Kp; k++) z[k + 1] = (z[k + 1] as number) + x * (params[base + k] as number)
    }
    softmaxInPlace(z, K)
    const yi = y[i] as number
    loss -= Math.log(Math.max(z[yi] as number, 1e-300))
    z[yi] = (z[yi] as number) - 1
    for (let p = start; p < end; p++) {
      const base = (X.indices[p] as number) * Kp
      const x = X.values[p] as number
      for (let k = 0; k < Kp; k++) grad[base + k] = (grad[base + k] as number) + x * (z[k + 1] as number)
    }
    for (let k = 0; k < Kp; k++) grad[wSize + k] = (grad[wSize + k] as number) + (z[k + 1] as number)
  }
  const m = train.length
  let reg = 0
  for (let j = 0; j < grad.length; j++) grad[j] = (grad[j] as number) / m
  for (let j = 0; j < wSize; j++) {
    const w = params[j] as number
    reg += w * w
    grad[j] = (grad[j] as number) + l2 * w
  }
  return loss / m + 0.5 * l2 * reg
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number)
  return s
}

/** Fits on the rows listed in `train` (labels in y must be 0..classes-1 there). */
export function trainSoftmax(X: Csr, y: Int32Array, train: Int32Array, classes: number, options: TrainOptions): SoftmaxModel {
  const K = classes
  const Kp = K - 1
  const P = X.dims * Kp + Kp
  const maxIter = options.maxIterations ?? 150
  const tol = options.tolerance ?? 1e-6
  const mem = options.memory ?? 5
  const x = new Float64Array(P)
  // Start the intercepts at the log class frequencies: the first steps then work on the features.
  const freq = new Float64Array(K).fill(1)
  for (let t = 0; t < train.length; t++) freq[y[train[t] as number] as number] = (freq[y[train[t] as number] as number] as number) + 1
  for (let k = 1; k < K; k++) x[X.dims * Kp + k - 1] = Math.log((freq[k] as number) / (freq[0] as number))
  const init = options.init
  if (init !== undefined && init.dims === X.dims && init.classes === K) {
    // Models here keep class 0 at zero, but any softmax model is shifted to that reference.
    for (let f = 0; f < X.dims; f++) for (let k = 1; k < K; k++) x[f * Kp + k - 1] = (init.weights[f * K + k] as number) - (init.weights[f * K] as number)
    for (let k = 1; k < K; k++) x[X.dims * Kp + k - 1] = (init.bias[k] as number) - (init.bias[0] as number)
  }
  const g = new Float64Array(P)
  let f = lossAndGradient(x, g, X, y, train, K, options.l2)
  const S: Float64Array[] = []
  const Yv: Float64Array[] = []
  const rho: number[] = []
  const d = new Float64Array(P)
  const xNew = new Float64Array(P)
  const gNew = new Float64Array(P)
  const alpha = new Float64Array(mem)
  for (let iter = 0; iter < maxIter; iter++) {
    // Two-loop recursion: d = -H·g.
    d.set(g)
    for (let j = S.length - 1; j >= 0; j--) {
      const a = (rho[j] as number) * dot(S[j] as Float64Array, d)
      alpha[j] = a
      const yj = Yv[j] as Float64Array
      for (let p = 0; p < P; p++) d[p] = (d[p] as number) - a * (yj[p] as number)
    }
    if (S.length > 0) {
      const last = S.length - 1
      const gamma = dot(S[last] as Float64Array, Yv[last] as Float64Array) / dot(Yv[last] as Float64Array, Yv[last] as Float64Array)
      for (let p = 0; p < P; p++) d[p] = (d[p] as number) * gamma
    } else {
      const gn = Math.sqrt(dot(g, g))
      for (let p = 0; p < P; p++) d[p] = (d[p] as number) / Math.max(gn, 1)
    }
    for (let j = 0; j < S.length; j++) {
      const b = (rho[j] as number) * dot(Yv[j] as Float64Array, d)
      const sj = S[j] as Float64Array
      const a = alpha[j] as number
      for (let p = 0; p < P; p++) d[p] = (d[p] as number) + (a - b) * (sj[p] as number)
    }
    for (let p = 0; p < P; p++) d[p] = -(d[p] as number)
    let slope = dot(g, d)
    if (slope >= 0) {
      // Not a descent direction (curvature pairs went stale): restart from steepest descent.
      S.length = 0
      Yv.length = 0
      rho.length = 0
      for (let p = 0; p < P; p++) d[p] = -(g[p] as number)
      slope = dot(g, d)
    }
    // Backtracking line search (Armijo).
    let step = 1
    let fNew = Infinity
    for (let ls = 0; ls < 30; ls++) {
      for (let p = 0; p < P; p++) xNew[p] = (x[p] as number) + step * (d[p] as number)
      fNew = lossAndGradient(xNew, gNew, X, y, train, K, options.l2)
      if (fNew <= f + 1e-4 * step * slope) break
      step *= 0.5
    }
    if (!(fNew < f)) break
    // Reuse the oldest pair's arrays when the history is full (these are the size of the model).
    const full = S.length === mem
    const s = full ? (S[0] as Float64Array) : new Float64Array(P)
    const yv = full ? (Yv[0] as Float64Array) : new Float64Array(P)
    for (let p = 0; p < P; p++) {
      s[p] = (xNew[p] as number) - (x[p] as number)
      yv[p] = (gNew[p] as number) - (g[p] as number)
    }
    const sy = dot(s, yv)
    if (sy > 1e-12) {
      if (full) {
        S.shift()
        Yv.shift()
        rho.shift()
      }
      S.push(s)
      Yv.push(yv)
      rho.push(1 / sy)
    } else if (full) {
      // The recycled pair was overwritten: drop it rather than keep a stale curvature pair.
      S.shift()
      Yv.shift()
      rho.shift()
    }
    const improvement = (f - fNew) / Math.max(Math.abs(f), 1e-12)
    x.set(xNew)
    g.set(gNew)
    f = fNew
    if (improvement < tol) break
  }
  const weights = new Float64Array(X.dims * K)
  for (let f = 0; f < X.dims; f++) for (let k = 1; k < K; k++) weights[f * K + k] = x[f * Kp + k - 1] as number
  const bias = new Float64Array(K)
  for (let k = 1; k < K; k++) bias[k] = x[X.dims * Kp + k - 1] as number
  return { dims: X.dims, classes: K, weights, bias }
}
