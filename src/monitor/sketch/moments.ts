/**
 * Count, mean, variance, min, max and sum of a stream in one pass (Welford), mergeable
 * (Chan, Golub & LeVeque's pairwise update), so pieces combine to the same figures.
 */
export interface MomentsState {
  n: number
  mean: number
  /** Sum of squared deviations from the mean. */
  m2: number
  min: number
  max: number
  sum: number
}

export class Moments implements MomentsState {
  n = 0
  mean = 0
  m2 = 0
  min = Infinity
  max = -Infinity
  sum = 0

  add(x: number): void {
    this.n++
    const delta = x - this.mean
    this.mean += delta / this.n
    this.m2 += delta * (x - this.mean)
    if (x < this.min) this.min = x
    if (x > this.max) this.max = x
    this.sum += x
  }

  merge(o: MomentsState): void {
    if (o.n === 0) return
    if (this.n === 0) {
      Object.assign(this, { n: o.n, mean: o.mean, m2: o.m2, min: o.min, max: o.max, sum: o.sum })
      return
    }
    const n = this.n + o.n
    const delta = o.mean - this.mean
    this.mean += (delta * o.n) / n
    this.m2 += o.m2 + (delta * delta * this.n * o.n) / n
    this.n = n
    this.min = Math.min(this.min, o.min)
    this.max = Math.max(this.max, o.max)
    this.sum += o.sum
  }

  /** Population variance (ddof 0); NaN when empty. */
  variance(): number {
    return this.n > 0 ? this.m2 / this.n : NaN
  }

  /** Sample standard deviation (ddof 1), as SageMaker's `std_dev`; 0 for one value. */
  stdDev(): number {
    return this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0
  }

  toJSON(): MomentsState {
    return { n: this.n, mean: this.mean, m2: this.m2, min: this.min, max: this.max, sum: this.sum }
  }

  static fromJSON(s: MomentsState): Moments {
    const m = new Moments()
    m.merge(s)
    return m
  }
}
