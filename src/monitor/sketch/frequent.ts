/**
 * Frequent items with bounded memory (Misra–Gries, with DataSketches' purge by the median
 * counter): exact while a column has at most `capacity` distinct values; beyond that, each
 * purge subtracts the same amount from every counter, so a kept count is a lower bound and
 * `count + offset` an upper bound. Mergeable by adding counters and offsets.
 */
export interface FrequentState {
  capacity: number
  offset: number
  total: number
  items: [string, number][]
}

export class FrequentItems {
  readonly capacity: number
  counts = new Map<string, number>()
  /** Upper bound of the count any item may have lost to purges. */
  offset = 0
  total = 0

  constructor(capacity = 1024) {
    this.capacity = capacity
  }

  /** Counts `key`; returns true when the key was not being counted (a new or purged item). */
  add(key: string, weight = 1): boolean {
    const count = this.counts.get(key)
    this.total += weight
    if (count !== undefined) {
      this.counts.set(key, count + weight)
      return false
    }
    // A new key is copied so it does not pin the read buffer it was sliced from.
    this.counts.set(key.length < 13 ? key : (' ' + key).slice(1), weight)
    if (this.counts.size > this.capacity) this.purge()
    return true
  }

  private purge(): void {
    while (this.counts.size > this.capacity) {
      const values = [...this.counts.values()].sort((a, b) => a - b)
      const cut = values[Math.floor(values.length / 2)] as number
      for (const [k, v] of this.counts) {
        if (v <= cut) this.counts.delete(k)
        else this.counts.set(k, v - cut)
      }
      this.offset += cut
    }
  }

  /** True while every count is exact. */
  exact(): boolean {
    return this.offset === 0
  }

  merge(other: FrequentItems): void {
    for (const [k, v] of other.counts) this.counts.set(k, (this.counts.get(k) ?? 0) + v)
    this.offset += other.offset
    this.total += other.total
    this.purge()
  }

  /** The `limit` most frequent items, count descending then key ascending. */
  top(limit = Infinity): [string, number][] {
    return [...this.counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, limit)
  }

  toJSON(): FrequentState {
    return { capacity: this.capacity, offset: this.offset, total: this.total, items: this.top() }
  }

  static fromJSON(s: FrequentState): FrequentItems {
    const f = new FrequentItems(s.capacity)
    for (const [k, v] of s.items) f.counts.set(k, v)
    f.offset = s.offset
    f.total = s.total
    return f
  }
}
