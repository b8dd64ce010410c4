/**
 * Gradient-free evasion attacks for the shield's simulations: they only query the model, as an
 * attacker behind an API would, and return an input the model labels differently from the
 * original one.
 *
 * - HopSkipJump (Chen, Jordan & Wainwright, "HopSkipJumpAttack: A Query-Efficient Decision-Based
 *   Attack", IEEE S&P 2020), decision-based: start from a random misclassified point, binary-search
 *   to the boundary, then repeatedly estimate the boundary's normal from label-only probes, step
 *   along it and search back toward the original — the smallest change that flips the label;
 * - SimBA (Guo et al., "Simple Black-box Adversarial Attacks", ICML 2019), score-based: try ±ε
 *   along random coordinates, keep a step when the original class's probability falls, stop at
 *   the first misclassification.
 *
 * Both work on the numeric features in the attacker's z-scored space; categories stay as they were.
 */
import type { Random } from '../../monitor/sketch/random.js'
import type { AttackerSpace } from './attacks.js'
import type { Row } from './housing.js'
import { argmax } from './mlp.js'

export type Oracle = (row: Row) => ArrayLike<number>

export interface EvasionResult {
  adversarial: Row
  /** Queries spent. */
  queries: number
  /** L2 size of the change in the attacker's z-space. */
  perturbation: number
}

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(random.next())) * Math.cos(2 * Math.PI * random.next())
}

function norm(v: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < v.length; i++) s += (v[i] as number) ** 2
  return Math.sqrt(s)
}

export function hopSkipJump(
  original: Row,
  oracle: Oracle,
  space: AttackerSpace,
  random: Random,
  options: { iterations?: number; probes?: number; tolerance?: number; maxQueries?: number } = {},
): EvasionResult | undefined {
  const numeric = space.schema.numeric.length
  const z0 = space.encode(original)
  let queries = 0
  const label0 = argmax(oracle(original))
  queries++
  const at = (z: Float64Array) => space.decode(z, original)
  const adversarialAt = (z: Float64Array) => {
    queries++
    return argmax(oracle(at(z))) !== label0
  }
  const mix = (a: Float64Array, b: Float64Array, t: number) => Float64Array.from(a, (v, i) => v + t * ((b[i] as number) - v))
  /** Point on the segment z0 → zAdv just on the adversarial side of the boundary. */
  const toBoundary = (zAdv: Float64Array) => {
    let lo = 0
    let hi = 1
    while (hi - lo > (options.tolerance ?? 1e-3)) {
      const mid = (lo + hi) / 2
      if (adversarialAt(mix(z0, zAdv, mid))) hi = mid
      else lo = mid
    }
    return mix(z0, zAdv, hi)
  }
  // Initialization: random noise of growing size until the label changes.
  let start: Float64Array | undefined
  for (let radius = 0.25; radius <= 16 && start === undefined; radius *= 2) {
    for (let t = 0; t < 10; t++) {
      const z = Float64Array.from(z0, (v, i) => (i < numeric ? v + radius * gaussian(random) : v))
      if (adversarialAt(z)) {
        start = z
        break
      }
    }
  }
  if (start === undefined) return undefined
  let best = toBoundary(start)
  const distance = (z: Float64Array) => norm(Float64Array.from(z, (v, i) => (i < numeric ? v - (z0[i] as number) : 0)))
  const probes = options.probes ?? 40
  for (let t = 0; t < (options.iterations ?? 12); t++) {
    if (queries > (options.maxQueries ?? 2000)) break
    const d = distance(best)
    const delta = Math.max(1e-3, 0.02 * d)
    // Label-only gradient estimate at the boundary point (baseline-corrected Monte Carlo).
    const dirs: Float64Array[] = []
    const signs: number[] = []
    for (let b = 0; b < probes; b++) {
      const u = Float64Array.from({ length: z0.length }, (_, i) => (i < numeric ? gaussian(random) : 0))
      const n = norm(u)
      for (let i = 0; i < numeric; i++) u[i] = (u[i] as number) / n
      dirs.push(u)
      signs.push(adversarialAt(Float64Array.from(best, (v, i) => v + delta * (u[i] as number))) ? 1 : -1)
    }
    const mean = signs.reduce((s, v) => s + v, 0) / probes
    const g = new Float64Array(z0.length)
    dirs.forEach((u, b) => {
      for (let i = 0; i < numeric; i++) g[i] = (g[i] as number) + ((signs[b] as number) - mean) * (u[i] as number)
    })
    const gn = norm(g)
    if (gn === 0) break
    // Geometric step search along the estimated normal, then back to the boundary.
    let step = d / Math.sqrt(t + 1)
    let candidate: Float64Array | undefined
    for (let s = 0; s < 10; s++) {
      const z = Float64Array.from(best, (v, i) => v + (step * (g[i] as number)) / gn)
      if (adversarialAt(z)) {
        candidate = z
        break
      }
      step /= 2
    }
    if (candidate === undefined) continue
    const next = toBoundary(candidate)
    if (distance(next) < d) best = next
  }
  return { adversarial: at(best), queries, perturbation: distance(best) }
}

export function simba(original: Row, oracle: Oracle, space: AttackerSpace, random: Random, options: { epsilon?: number; maxQueries?: number } = {}): EvasionResult | undefined {
  const numeric = space.schema.numeric.length
  const z0 = space.encode(original)
  const p0 = oracle(original)
  const label0 = argmax(p0)
  let z = Float64Array.from(z0)
  let best = p0[label0] as number
  const eps = options.epsilon ?? 0.05
  for (let q = 1; q <= (options.maxQueries ?? 1000); q++) {
    const k = random.int(numeric)
    const candidate = Float64Array.from(z)
    candidate[k] = (candidate[k] as number) + (random.next() < 0.5 ? -eps : eps)
    const row = space.decode(candidate, original)
    const p = oracle(row)
    if (argmax(p) !== label0) {
      return { adversarial: row, queries: q + 1, perturbation: norm(Float64Array.from(candidate, (v, i) => (i < numeric ? v - (z0[i] as number) : 0))) }
    }
    if ((p[label0] as number) < best) {
      best = p[label0] as number
      z = candidate
    }
  }
  return undefined
}
