/**
 * The running profile of one column: type counts, numeric moments and quantile sketch, distinct
 * count, category frequencies, uniform samples for the drift tests, and a text profile when the
 * column holds free text. Every part merges, so a column profiled in pieces equals one profiled
 * at once within sketch error.
 */
import { FrequentItems, type FrequentState } from '../sketch/frequent.js'
import { hashNumber, hashString } from '../sketch/hash.js'
import { HyperLogLog } from '../sketch/hll.js'
import { KllSketch, type KllState } from '../sketch/kll.js'
import { Moments, type MomentsState } from '../sketch/moments.js'
import { Reservoir, type ReservoirState } from '../sketch/reservoir.js'
import { CellKind, classifyText, detach, lastBoolean, lastNumber } from './cell.js'
import type { ProfileOptions } from './options.js'
import { TextProfiler, type TextState } from './text.js'

export interface TypeCounts {
  integral: number
  fractional: number
  boolean: number
  string: number
}

export interface ColumnState {
  name: string
  present: number
  types: TypeCounts
  numbers: MomentsState
  quantiles: KllState
  distinct: { p: number; registers: string }
  categories: FrequentState
  /** Exact counts of numeric values, or null once there were more distinct values than the limit. */
  numericCategories: [number, number][] | null
  numberSample: ReservoirState<number>
  categorySample: ReservoirState<string>
  stringLengths: MomentsState
  stringsWithSpace: number
  /** null: not (yet) judged to be text; the decision is taken on the first string values. */
  text: TextState | null
  textDecided: boolean
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i)

/** Free text: long strings with spaces (not codes or labels). */
export function looksLikeText(meanLength: number, spaceShare: number): boolean {
  return meanLength >= 24 && spaceShare >= 0.5
}

export class ColumnProfiler {
  readonly name: string
  present = 0
  readonly types: TypeCounts = { integral: 0, fractional: 0, boolean: 0, string: 0 }
  readonly numbers = new Moments()
  readonly quantiles: KllSketch
  readonly distinct = new HyperLogLog(12)
  readonly categories: FrequentItems
  numericCategories: Map<number, number> | null = new Map()
  readonly numberSample: Reservoir<number>
  readonly categorySample: Reservoir<string>
  readonly stringLengths = new Moments()
  stringsWithSpace = 0
  text: TextProfiler | null = null
  /** Values below / above a watched range (set by checks to count out-of-range values exactly). */
  rangeMin = -Infinity
  rangeMax = Infinity
  below = 0
  above = 0
  private textDecided = false
  private pending: string[] = []
  private readonly options: ProfileOptions
  private readonly seed: number
  private readonly missing: ReadonlySet<string>

  constructor(name: string, options: ProfileOptions, index: number) {
    this.name = name
    this.options = options
    this.seed = (options.seed * 1_000_003 + hashString(name) + index) >>> 0
    this.missing = new Set(options.missingValues)
    this.quantiles = new KllSketch(options.kllK, this.seed + 1)
    this.categories = new FrequentItems(options.categoryCapacity)
    this.numberSample = new Reservoir<number>(options.sampleSize, this.seed + 2)
    this.categorySample = new Reservoir<string>(options.sampleSize, this.seed + 3, detach)
  }

  /**
   * Adds the CSV field `s.slice(start, end)`. Plain decimals of up to 15 digits are read in
   * place (M / 10^k with M < 2^53 and k ≤ 15 is correctly rounded, so the value equals
   * Number()'s); anything else is sliced and read by `addText`.
   */
  addRange(s: string, start: number, end: number): void {
    if (end === start) return
    let i = start
    let c = s.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46)) return this.addText(s.slice(start, end))
    const negative = c === 45
    if (c === 45 || c === 43) i++
    let mantissa = 0
    let digits = 0
    let decimals = 0
    let point = false
    for (; i < end; i++) {
      c = s.charCodeAt(i)
      if (c >= 48 && c <= 57) {
        mantissa = mantissa * 10 + (c - 48)
        digits++
        if (point) decimals++
      } else if (c === 46 && !point) point = true
      else return this.addText(s.slice(start, end))
    }
    if (digits === 0 || digits > 15) return this.addText(s.slice(start, end))
    const x = decimals === 0 ? mantissa : mantissa / (POW10[decimals] as number)
    this.addNumber(negative ? -x : x, !point)
  }

  /** Adds a CSV field or JSON string. */
  addText(s: string): void {
    switch (classifyText(s, this.missing)) {
      case CellKind.Missing:
        return
      case CellKind.Integral:
        return this.addNumber(lastNumber, true)
      case CellKind.Fractional:
        return this.addNumber(lastNumber, false)
      case CellKind.Boolean:
        return this.addBoolean(lastBoolean)
      default:
        return this.addString(s)
    }
  }

  /** Adds a JSON value (objects are flattened before they get here). */
  addValue(v: unknown): void {
    if (v === null || v === undefined) return
    if (typeof v === 'string') return this.addText(v)
    if (typeof v === 'number') {
      if (Number.isFinite(v)) this.addNumber(v, Number.isInteger(v))
      return
    }
    if (typeof v === 'boolean') return this.addBoolean(v)
    if (typeof v === 'bigint') return this.addNumber(Number(v), true)
    this.addString(JSON.stringify(v))
  }

  addNumber(x: number, integral: boolean): void {
    this.present++
    if (integral) this.types.integral++
    else this.types.fractional++
    this.numbers.add(x)
    if (x < this.rangeMin) this.below++
    else if (x > this.rangeMax) this.above++
    this.quantiles.update(x)
    this.numberSample.add(x)
    // The distinct-count sketch ignores repeats, so a value already counted exactly need not be hashed again.
    const counts = this.numericCategories
    if (counts !== null) {
      const c = counts.get(x)
      if (c !== undefined) {
        counts.set(x, c + 1)
        return
      }
      if (counts.size < this.options.numericCategoryLimit) counts.set(x, 1)
      else this.numericCategories = null
    }
    this.distinct.add(hashNumber(x))
  }

  addBoolean(b: boolean): void {
    this.present++
    this.types.boolean++
    const key = b ? 'true' : 'false'
    if (this.categories.add(key)) this.distinct.add(hashString(key))
    this.categorySample.add(key)
  }

  addString(s: string): void {
    this.present++
    this.types.string++
    this.stringLengths.add(s.length)
    if (s.indexOf(' ') >= 0) this.stringsWithSpace++
    if (this.text !== null) {
      this.distinct.add(hashString(s))
      this.text.add(s)
      return
    }
    if (this.categories.add(s)) this.distinct.add(hashString(s))
    this.categorySample.add(s)
    if (!this.textDecided) {
      this.pending.push(detach(s))
      if (this.pending.length >= this.options.textDecisionValues) this.decideText()
    }
  }

  /** Profiles the column as free text from now on (a current column checked against a Text baseline). */
  forceText(): void {
    if (this.text !== null) return
    this.textDecided = true
    const pending = this.pending
    this.pending = []
    this.text = new TextProfiler({ sampleSize: this.options.sampleSize, textSampleSize: this.options.textSampleSize, vocabularySize: this.options.vocabularySize, seed: this.seed })
    for (const v of pending) this.text.add(v)
  }

  /** Judges the column on its first string values; a text column replays them into its text profile. */
  private decideText(): void {
    this.textDecided = true
    const pending = this.pending
    this.pending = []
    if (pending.length === 0) return
    const meanLength = pending.reduce((s, v) => s + v.length, 0) / pending.length
    const spaceShare = pending.filter((v) => v.includes(' ')).length / pending.length
    if (!looksLikeText(meanLength, spaceShare)) return
    this.text = new TextProfiler({ sampleSize: this.options.sampleSize, textSampleSize: this.options.textSampleSize, vocabularySize: this.options.vocabularySize, seed: this.seed })
    for (const v of pending) this.text.add(v)
  }

  merge(o: ColumnProfiler): void {
    if (!this.textDecided) this.decideText()
    if (!o.textDecided) o.decideText()
    this.present += o.present
    this.types.integral += o.types.integral
    this.types.fractional += o.types.fractional
    this.types.boolean += o.types.boolean
    this.types.string += o.types.string
    this.numbers.merge(o.numbers)
    this.quantiles.merge(o.quantiles)
    this.distinct.merge(o.distinct)
    this.categories.merge(o.categories)
    if (this.numericCategories === null || o.numericCategories === null) this.numericCategories = null
    else {
      for (const [k, v] of o.numericCategories) this.numericCategories.set(k, (this.numericCategories.get(k) ?? 0) + v)
      if (this.numericCategories.size > this.options.numericCategoryLimit) this.numericCategories = null
    }
    this.numberSample.merge(o.numberSample)
    this.categorySample.merge(o.categorySample)
    this.stringLengths.merge(o.stringLengths)
    this.stringsWithSpace += o.stringsWithSpace
    if (o.text !== null) {
      if (this.text === null) this.text = o.text
      else this.text.merge(o.text)
    }
  }

  toJSON(): ColumnState {
    if (!this.textDecided) this.decideText()
    return {
      name: this.name,
      present: this.present,
      types: { ...this.types },
      numbers: this.numbers.toJSON(),
      quantiles: this.quantiles.toJSON(),
      distinct: this.distinct.toJSON(),
      categories: this.categories.toJSON(),
      numericCategories: this.numericCategories === null ? null : [...this.numericCategories.entries()].sort((a, b) => a[0] - b[0]),
      numberSample: this.numberSample.toJSON(),
      categorySample: this.categorySample.toJSON(),
      stringLengths: this.stringLengths.toJSON(),
      stringsWithSpace: this.stringsWithSpace,
      text: this.text === null ? null : this.text.toJSON(),
      textDecided: this.textDecided,
    }
  }

  static fromJSON(s: ColumnState, options: ProfileOptions, index: number): ColumnProfiler {
    const c = new ColumnProfiler(s.name, options, index)
    c.present = s.present
    Object.assign(c.types, s.types)
    c.numbers.merge(s.numbers)
    c.quantiles.merge(KllSketch.fromJSON(s.quantiles, c.seed + 1))
    c.distinct.merge(HyperLogLog.fromJSON(s.distinct))
    c.categories.merge(FrequentItems.fromJSON(s.categories))
    c.numericCategories = s.numericCategories === null ? null : new Map(s.numericCategories)
    c.numberSample.restore(s.numberSample)
    c.categorySample.restore(s.categorySample)
    c.stringLengths.merge(s.stringLengths)
    c.stringsWithSpace = s.stringsWithSpace
    c.textDecided = s.textDecided
    c.text =
      s.text === null
        ? null
        : TextProfiler.fromJSON(s.text, { sampleSize: options.sampleSize, textSampleSize: options.textSampleSize, vocabularySize: options.vocabularySize, seed: c.seed })
    return c
  }
}
