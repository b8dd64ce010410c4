/**
 * A small synthetic task for the shield's tests: four correlated numeric features and one
 * category, and a fixed non-linear classifier over them (no training, so tests are fast and
 * exact). Rows are reproducible from the seed.
 */
import { createRandom } from '../monitor/sketch/random.js'
import type { FeatureSchema } from './sim/attacks.js'
import type { Row } from './sim/housing.js'

export const SYNTHETIC_FEATURES = ['a', 'b', 'c', 'd', 'zone'] as const
export const SYNTHETIC_ZONES = ['north', 'south', 'east'] as const

export interface SyntheticTask {
  rows: Row[]
  /** Class probabilities [p(0), p(1)] of the fixed classifier. */
  model(row: Row | readonly unknown[] | Readonly<Record<string, unknown>>): number[]
  schema: FeatureSchema
}

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next())
}

export function syntheticTask(rows = 3000, seed = 1): SyntheticTask {
  const random = createRandom(seed)
  const next = () => random.next()
  const data: Row[] = []
  for (let i = 0; i < rows; i++) {
    const z1 = gaussian(next)
    const z2 = gaussian(next)
    const zone = SYNTHETIC_ZONES[random.int(3)] as string
    data.push({
      a: Math.round((10 + 2 * z1) * 1000) / 1000,
      b: Math.round((5 + z1 + gaussian(next)) * 1000) / 1000,
      c: Math.round(Math.exp(0.5 * z2) * 100 * 1000) / 1000,
      d: Math.round((z2 + 0.3 * gaussian(next)) * 1000) / 1000,
      zone,
    })
  }
  const value = (row: unknown, name: string, i: number) => Number(Array.isArray(row) ? row[i] : (row as Record<string, unknown>)[name])
  const model = (row: unknown) => {
    const a = value(row, 'a', 0)
    const b = value(row, 'b', 1)
    const c = value(row, 'c', 2)
    const d = value(row, 'd', 3)
    const zone = Array.isArray(row) ? row[4] : (row as Record<string, unknown>).zone
    const logit = 1.5 * (a - 10) / 2 - 0.8 * (b - 5) + 1.2 * Math.sin(d * 1.5) + 0.004 * (c - 100) + (zone === 'south' ? 0.7 : 0)
    const p = 1 / (1 + Math.exp(-2 * logit))
    return [1 - p, p]
  }
  const range = (name: string) => {
    const v = data.map((r) => r[name] as number)
    return { name, min: Math.min(...v), max: Math.max(...v) }
  }
  return { rows: data, model, schema: { numeric: ['a', 'b', 'c', 'd'].map(range), categorical: [{ name: 'zone', values: [...SYNTHETIC_ZONES] }] } }
}
