/**
 * The tenant's normal traffic as the shield keeps it: encoded reference rows (a sample of the
 * baseline) with the model's answers on them, searched by brute force (a few thousand rows of a
 * few dozen dimensions: a linear scan is fast and exact), and a Gaussian fit of the same rows for
 * Mahalanobis distances.
 */

export interface Neighbours {
  /** Distance to the nearest reference row. */
  nearest: number
  /** Distance to the k-th nearest reference row. */
  kth: number
  /** Indices of the k nearest rows, nearest first. */
  indices: number[]
}

export class ReferenceIndex {
  readonly count: number

  constructor(
    readonly dims: number,
    /** Row-major encoded rows. */
    readonly points: Float32Array,
  ) {
    this.count = Math.floor(points.length / dims)
  }

  /** The k nearest rows to x (skipping row `skip`, for leave-one-out calibration). */
  neighbours(x: ArrayLike<number>, k: number, skip = -1): Neighbours {
    const dims = this.dims
    const pts = this.points
    const bestD = new Float64Array(k).fill(Infinity)
    const bestI = new Int32Array(k).fill(-1)
    for (let p = 0; p < this.count; p++) {
      if (p === skip) continue
      const base = p * dims
      const worst = bestD[k - 1] as number
      let s = 0
      for (let i = 0; i < dims; i++) {
        const d = (pts[base + i] as number) - (x[i] as number)
        s += d * d
        if (s >= worst) break
      }
      if (s >= worst) continue
      let j = k - 1
      while (j > 0 && (bestD[j - 1] as number) > s) {
        bestD[j] = bestD[j - 1] as number
        bestI[j] = bestI[j - 1] as number
        j--
      }
      bestD[j] = s
      bestI[j] = p
    }
    return { nearest: Math.sqrt(bestD[0] as number), kth: Math.sqrt(bestD[k - 1] as number), indices: [...bestI].filter((i) => i >= 0) }
  }

  row(i: number): Float32Array {
    return this.points.subarray(i * this.dims, (i + 1) * this.dims)
  }
}

/** Mean and inverse covariance (with a ridge, so one-hot and constant columns stay invertible). */
export interface GaussianFit {
  mean: number[]
  /** Row-major dims × dims precision matrix. */
  precision: number[]
}

export function fitGaussian(index: ReferenceIndex, ridge = 1e-3): GaussianFit {
  const d = index.dims
  const n = index.count
  const mean = new Float64Array(d)
  for (let p = 0; p < n; p++) for (let i = 0; i < d; i++) mean[i] = (mean[i] as number) + (index.points[p * d + i] as number) / n
  const cov = new Float64Array(d * d)
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < d; i++) {
      const a = (index.points[p * d + i] as number) - (mean[i] as number)
      for (let j = i; j < d; j++) cov[i * d + j] = (cov[i * d + j] as number) + (a * ((index.points[p * d + j] as number) - (mean[j] as number))) / Math.max(1, n - 1)
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) cov[i * d + j] = cov[j * d + i] as number
    cov[i * d + i] = (cov[i * d + i] as number) + ridge
  }
  return { mean: [...mean], precision: [...invertSymmetric(cov, d)] }
}

/** Mahalanobis distance of x under the fit. */
export function mahalanobis(fit: GaussianFit, x: ArrayLike<number>): number {
  const d = fit.mean.length
  let s = 0
  for (let i = 0; i < d; i++) {
    const a = (x[i] as number) - (fit.mean[i] as number)
    let row = 0
    for (let j = 0; j < d; j++) row += (fit.precision[i * d + j] as number) * ((x[j] as number) - (fit.mean[j] as number))
    s += a * row
  }
  return Math.sqrt(Math.max(0, s))
}

/** Inverse of a symmetric positive-definite matrix by Gauss–Jordan with partial pivoting. */
export function invertSymmetric(m: Float64Array, d: number): Float64Array {
  const a = new Float64Array(d * 2 * d)
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) a[i * 2 * d + j] = m[i * d + j] as number
    a[i * 2 * d + d + i] = 1
  }
  const w = 2 * d
  for (let c = 0; c < d; c++) {
    let pivot = c
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r * w + c] as number) > Math.abs(a[pivot * w + c] as number)) pivot = r
    if (pivot !== c) {
      for (let k = 0; k < w; k++) {
        const t = a[c * w + k] as number
        a[c * w + k] = a[pivot * w + k] as number
        a[pivot * w + k] = t
      }
    }
    const pv = a[c * w + c] as number
    if (Math.abs(pv) < 1e-300) throw new RangeError('matrix is singular')
    for (let k = 0; k < w; k++) a[c * w + k] = (a[c * w + k] as number) / pv
    for (let r = 0; r < d; r++) {
      if (r === c) continue
      const f = a[r * w + c] as number
      if (f === 0) continue
      for (let k = 0; k < w; k++) a[r * w + k] = (a[r * w + k] as number) - f * (a[c * w + k] as number)
    }
  }
  const out = new Float64Array(d * d)
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j] = a[i * w + d + j] as number
  return out
}

/** Encodes float32 rows as base64 (profiles and stored state). */
export function packFloats(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64')
}

export function unpackFloats(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64')
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
}
