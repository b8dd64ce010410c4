/**
 * Model-extraction attackers for the shield's simulations. Each works in its own feature space
 * (z-scores from the rows it holds, one-hot categories), sends raw rows like any client, and
 * trains a replica on the answers; `replica()` returns the replica it would have now.
 *
 * - uniform: rows drawn uniformly over each feature's public range;
 * - papernot: Jacobian-based dataset augmentation (Papernot et al., "Practical Black-Box Attacks
 *   against Machine Learning", 2017) from a few real seeds, λ steps along the replica's gradient sign;
 * - natural: the attacker's own real rows, queried as they are;
 * - boundary: line searches between seeds the model labels differently (Tramèr et al., "Stealing
 *   Machine Learning Models via Prediction APIs", 2016), then points scattered around each crossing.
 */
import { createRandom, shuffle, type Random } from '../../monitor/sketch/random.js'
import { Mlp, argmax, oneHot } from './mlp.js'
import type { Row } from './housing.js'

export interface FeatureSchema {
  numeric: { name: string; min: number; max: number }[]
  categorical: { name: string; values: string[] }[]
}

/** The attacker's own encoding: z-scores from its rows, one-hot categories. */
export class AttackerSpace {
  readonly dims: number
  readonly mean: number[]
  readonly sd: number[]

  constructor(
    readonly schema: FeatureSchema,
    rows: readonly Row[],
  ) {
    this.mean = schema.numeric.map((f) => avg(rows.map((r) => num(r[f.name]))))
    this.sd = schema.numeric.map((f, i) => Math.max(1e-9, Math.sqrt(avg(rows.map((r) => (num(r[f.name]) - (this.mean[i] as number)) ** 2)))))
    this.dims = schema.numeric.length + schema.categorical.reduce((s, c) => s + c.values.length, 0)
  }

  encode(row: Row): Float64Array {
    const out = new Float64Array(this.dims)
    this.schema.numeric.forEach((f, i) => (out[i] = (num(row[f.name]) - (this.mean[i] as number)) / (this.sd[i] as number)))
    let at = this.schema.numeric.length
    for (const c of this.schema.categorical) {
      const k = c.values.indexOf(String(row[c.name]))
      if (k >= 0) out[at + k] = 1
      at += c.values.length
    }
    return out
  }

  /** Numeric part of z back to a row; categories copied from `like`. */
  decode(z: ArrayLike<number>, like: Row): Row {
    const row: Row = { ...like }
    this.schema.numeric.forEach((f, i) => {
      const v = (this.mean[i] as number) + (z[i] as number) * (this.sd[i] as number)
      row[f.name] = Math.min(f.max, Math.max(f.min, v))
    })
    return row
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}

function avg(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / Math.max(1, values.length)
}

export interface Attacker {
  readonly name: string
  /** The next row to send. */
  next(): Row
  /** The model's answer to the row just sent: class probabilities (or a one-hot label when hardened). */
  observe(row: Row, answer: ArrayLike<number>): void
  /** The replica trained on every answer so far. */
  replica(): { label(row: Row): number }
}

/** Shared bookkeeping: what was sent and answered, and replica training in the attacker's space. */
abstract class BaseAttacker implements Attacker {
  abstract readonly name: string
  protected readonly inputs: Float64Array[] = []
  protected readonly answers: Float64Array[] = []
  protected readonly random: Random

  constructor(
    protected readonly space: AttackerSpace,
    seed: number,
    /** Train on the answers' probabilities (distillation) rather than their top label. */
    protected readonly softLabels = true,
  ) {
    this.random = createRandom(seed)
  }

  abstract next(): Row

  observe(row: Row, answer: ArrayLike<number>): void {
    this.inputs.push(this.space.encode(row))
    // A hardened answer may hold only the top class, rounded: renormalize what is there.
    let sum = 0
    for (let i = 0; i < answer.length; i++) sum += answer[i] as number
    this.answers.push(this.softLabels && sum > 0 ? Float64Array.from(answer, (v) => v / sum) : oneHot(argmax(answer), answer.length))
  }

  protected train(classes = 2, seed = 11): Mlp {
    const net = new Mlp([this.space.dims, 32, 16, classes], seed)
    const n = this.inputs.length
    if (n > 0) net.train(this.inputs, this.answers, { epochs: Math.min(200, Math.max(20, Math.ceil(30_000 / n))), seed, learningRate: 0.005 })
    return net
  }

  replica(): { label(row: Row): number } {
    const net = this.train()
    return { label: (row) => net.label(this.space.encode(row)) }
  }
}

export class UniformAttacker extends BaseAttacker {
  readonly name = 'uniform'

  next(): Row {
    const row: Row = {}
    for (const f of this.space.schema.numeric) row[f.name] = f.min + this.random.next() * (f.max - f.min)
    for (const c of this.space.schema.categorical) row[c.name] = c.values[this.random.int(c.values.length)] as string
    return row
  }
}

/**
 * Queries natural rows it holds (Knockoff Nets' setting, with in-distribution data): no query-pattern
 * test can tell it from a customer, so it measures what output hardening alone takes away.
 */
export class NaturalAttacker extends BaseAttacker {
  readonly name = 'natural'
  readonly #rows: Row[]
  #next = 0

  constructor(space: AttackerSpace, rows: readonly Row[], seed: number, softLabels = true) {
    super(space, seed, softLabels)
    this.#rows = shuffle([...rows], this.random)
  }

  next(): Row {
    return this.#rows[this.#next++ % this.#rows.length] as Row
  }
}

export class PapernotAttacker extends BaseAttacker {
  readonly name = 'papernot'
  readonly #queue: Row[]
  readonly #sent: Row[] = []
  #round = 0

  constructor(
    space: AttackerSpace,
    seeds: readonly Row[],
    seed: number,
    private readonly options: { lambda?: number; flipEvery?: number } = {},
    softLabels = true,
  ) {
    super(space, seed, softLabels)
    this.#queue = [...seeds]
  }

  next(): Row {
    if (this.#queue.length === 0) this.#augment()
    const row = this.#queue.shift() as Row
    this.#sent.push(row)
    return row
  }

  /** S ← S ∪ {x + λ·sign(∇ₓ F(x)[label])}: one new point per point sent so far. */
  #augment(): void {
    const net = this.train(2, 13 + this.#round)
    const lambda = (this.options.lambda ?? 0.1) * (Math.floor(this.#round / (this.options.flipEvery ?? 3)) % 2 === 0 ? 1 : -1)
    this.#round++
    for (let i = 0; i < this.#sent.length; i++) {
      const x = this.inputs[i] as Float64Array
      const label = argmax(this.answers[i] as Float64Array)
      const g = net.inputGradient(x, label)
      const z = Float64Array.from(x, (v, k) => (k < this.space.schema.numeric.length ? v + lambda * Math.sign(g[k] as number) : v))
      this.#queue.push(this.space.decode(z, this.#sent[i] as Row))
    }
  }
}

export class BoundaryAttacker extends BaseAttacker {
  readonly name = 'boundary'
  readonly #seeds: Row[]
  readonly #queue: Row[] = []
  #pending: { a: Float64Array; b: Float64Array; like: Row; lo: number; hi: number; steps: number; labelA: number } | undefined
  #labelled = 0

  constructor(
    space: AttackerSpace,
    seeds: readonly Row[],
    seed: number,
    private readonly options: { steps?: number; scatter?: number; scatterSd?: number } = {},
    softLabels = true,
  ) {
    super(space, seed, softLabels)
    this.#seeds = shuffle([...seeds], this.random)
    this.#queue.push(...this.#seeds)
  }

  next(): Row {
    if (this.#queue.length > 0) return this.#queue.shift() as Row
    if (this.#pending === undefined) this.#startSearch()
    const p = this.#pending!
    const t = (p.lo + p.hi) / 2
    return this.space.decode(
      Float64Array.from(p.a, (v, k) => v + t * ((p.b[k] as number) - v)),
      p.like,
    )
  }

  override observe(row: Row, answer: ArrayLike<number>): void {
    super.observe(row, answer)
    if (this.#labelled < this.#seeds.length) {
      this.#labelled++
      return
    }
    const p = this.#pending
    if (p === undefined) return
    const t = (p.lo + p.hi) / 2
    if (argmax(answer) === p.labelA) p.lo = t
    else p.hi = t
    p.steps++
    if (p.steps < (this.options.steps ?? 8)) return
    const crossing = (p.lo + p.hi) / 2
    const z = Float64Array.from(p.a, (v, k) => v + crossing * ((p.b[k] as number) - v))
    for (let j = 0; j < (this.options.scatter ?? 4); j++) {
      const jittered = Float64Array.from(z, (v, k) => (k < this.space.schema.numeric.length ? v + (this.options.scatterSd ?? 0.05) * gaussian(this.random) : v))
      this.#queue.push(this.space.decode(jittered, p.like))
    }
    this.#pending = undefined
  }

  #startSearch(): void {
    const labels = this.answers.slice(0, this.#seeds.length).map((a) => argmax(a))
    for (let tries = 0; tries < 1000; tries++) {
      const i = this.random.int(this.#seeds.length)
      const j = this.random.int(this.#seeds.length)
      if (labels[i] === labels[j]) continue
      const a = this.inputs[i] as Float64Array
      const b = this.inputs[j] as Float64Array
      this.#pending = { a, b, like: this.#seeds[i] as Row, lo: 0, hi: 1, steps: 0, labelA: labels[i] as number }
      return
    }
    throw new Error('boundary attacker: every seed has the same label')
  }
}

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(random.next())) * Math.cos(2 * Math.PI * random.next())
}
