/**
 * A uniform random sample of fixed size from a stream of unknown length (Li's Algorithm L:
 * after the reservoir fills, it draws how many items to skip, so most items cost one compare).
 * Two reservoirs merge into a uniform sample of the union: the number taken from each side is
 * drawn hypergeometrically from the counts they saw.
 */
import { createRandom, shuffle, type Random } from './random.js'

export interface ReservoirState<T> {
  capacity: number
  seen: number
  items: T[]
}

export class Reservoir<T> {
  readonly capacity: number
  seen = 0
  items: T[] = []
  private readonly random: Random
  private w = 0
  private nextIndex = 0
  // After a merge the skip state is unknown; Algorithm R (one draw per item) stays exact.
  private plain = false

  private readonly keep: (item: T) => T

  /** `keep` copies an item when it enters the sample (e.g. to detach a sliced string). */
  constructor(capacity: number, seed = 1, keep: (item: T) => T = (item) => item) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('Reservoir: capacity must be a positive integer')
    this.capacity = capacity
    this.random = createRandom(seed)
    this.keep = keep
  }

  private drawSkip(): void {
    this.nextIndex += Math.floor(Math.log(this.random.next()) / Math.log(1 - this.w)) + 1
  }

  add(item: T): void {
    this.seen++
    if (this.seen <= this.capacity) {
      this.items.push(this.keep(item))
      if (this.seen === this.capacity && !this.plain) {
        this.w = Math.exp(Math.log(this.random.next()) / this.capacity)
        this.nextIndex = this.capacity
        this.drawSkip()
      }
      return
    }
    if (this.plain) {
      const j = this.random.int(this.seen)
      if (j < this.capacity) this.items[j] = this.keep(item)
      return
    }
    if (this.seen === this.nextIndex) {
      this.items[this.random.int(this.capacity)] = this.keep(item)
      this.w *= Math.exp(Math.log(this.random.next()) / this.capacity)
      this.drawSkip()
    }
  }

  merge(other: Reservoir<T>): void {
    const total = this.seen + other.seen
    const size = Math.min(this.capacity, total)
    let fromThis = 0
    let remainingThis = this.seen
    for (let t = 0; t < size; t++) {
      if (this.random.next() * (total - t) < remainingThis) {
        fromThis++
        remainingThis--
      }
    }
    const mine = shuffle([...this.items], this.random).slice(0, fromThis)
    const theirs = shuffle([...other.items], this.random).slice(0, size - fromThis)
    this.items = shuffle([...mine, ...theirs], this.random)
    this.seen = total
    this.plain = true
  }

  toJSON(): ReservoirState<T> {
    return { capacity: this.capacity, seen: this.seen, items: this.items }
  }

  /** Takes over a stored state (same items, same order). */
  restore(s: ReservoirState<T>): this {
    this.items = [...s.items]
    this.seen = s.seen
    // The skip state of Algorithm L was not stored; Algorithm R continues exactly.
    this.plain = s.seen >= this.capacity
    return this
  }

  static fromJSON<T>(s: ReservoirState<T>, seed = 1): Reservoir<T> {
    return new Reservoir<T>(s.capacity, seed).restore(s)
  }
}
