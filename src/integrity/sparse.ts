/** Compressed sparse rows: the feature matrix every model and distance here works on. */
export interface Csr {
  rows: number
  dims: number
  /** Row i's entries are [indptr[i], indptr[i+1]). */
  indptr: Int32Array
  indices: Int32Array
  values: Float32Array
}

/** Builds a Csr row by row without knowing the number of entries in advance. */
export class CsrBuilder {
  private indices = new Int32Array(4096)
  private values = new Float32Array(4096)
  private readonly indptr: number[] = [0]
  private nnz = 0

  constructor(private readonly dims: number) {}

  add(index: number, value: number): void {
    if (this.nnz === this.indices.length) {
      const i2 = new Int32Array(this.indices.length * 2)
      i2.set(this.indices)
      this.indices = i2
      const v2 = new Float32Array(this.values.length * 2)
      v2.set(this.values)
      this.values = v2
    }
    this.indices[this.nnz] = index
    this.values[this.nnz] = value
    this.nnz++
  }

  endRow(): void {
    this.indptr.push(this.nnz)
  }

  build(): Csr {
    return {
      rows: this.indptr.length - 1,
      dims: this.dims,
      indptr: Int32Array.from(this.indptr),
      indices: this.indices.slice(0, this.nnz),
      values: this.values.slice(0, this.nnz),
    }
  }
}

/** Deterministic PRNG (mulberry32): the same seed gives the same folds, trees and samples. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Fisher–Yates shuffle in place. */
export function shuffle<T extends { [i: number]: number; length: number }>(a: T, random: () => number): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = a[i] as number
    a[i] = a[j] as number
    a[j] = t
  }
  return a
}
