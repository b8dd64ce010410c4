import { beforeAll, describe, expect, it } from 'vitest'
import { createRandom } from '../monitor/sketch/random.js'
import { lowerTail, marginOf, upperTail } from './adversarial.js'
import { ShieldProfile } from './profile.js'
import { AttackerSpace } from './sim/attacks.js'
import { hopSkipJump } from './sim/evasion.js'
import type { Row } from './sim/housing.js'
import { SYNTHETIC_FEATURES, syntheticTask } from './testing.js'

const task = syntheticTask(3000, 1)
const heldOut = syntheticTask(1200, 9).rows
let profile: ShieldProfile

beforeAll(async () => {
  profile = await ShieldProfile.build({ model: 'synthetic', rows: task.rows, features: [...SYNTHETIC_FEATURES], categorical: ['zone'], predict: async (xs) => xs.map((x) => task.model(x)), indexSize: 1000, seed: 3, fpr: 0.05 })
})

const assess = (row: Row, squeeze: boolean) => {
  const x = profile.encoder.encode(row)
  const d = profile.adversarial
  return d.assess(x, task.model(row), squeeze ? task.model(d.squeeze(row, x) as Row) : undefined)
}

describe('adversarial-input detection', () => {
  it('holds the false-positive rate it was calibrated for on natural held-out rows', () => {
    for (const squeeze of [false, true]) {
      const rate = heldOut.filter((r) => assess(r, squeeze).flagged).length / heldOut.length
      expect(rate, `squeeze ${squeeze}`).toBeLessThan(0.08)
      expect(rate).toBeGreaterThan(0.02)
    }
  })

  it('flags minimal adversarial inputs found by a decision-based attack', () => {
    const space = new AttackerSpace(task.schema, heldOut.slice(0, 200))
    const random = createRandom(4)
    const pairs = heldOut.slice(200, 260).map((original) => ({ original, found: hopSkipJump(original, (x) => task.model(x), space, random, { iterations: 6, probes: 20 }) }))
    const adversarial = pairs.flatMap((p) => (p.found === undefined ? [] : [{ ...p.found, original: p.original }]))
    expect(adversarial.length).toBeGreaterThan(50)
    const label = (r: Row) => ((task.model(r)[1] as number) > 0.5 ? 1 : 0)
    for (const a of adversarial) expect(label(a.adversarial)).not.toBe(label(a.original))
    const rate = adversarial.filter((a) => assess(a.adversarial, false).flagged).length / adversarial.length
    expect(rate).toBeGreaterThan(0.9)
  })

  it('flags inputs far outside the baseline by their distance', () => {
    const far: Row = { a: 30, b: -10, c: 5000, d: 9, zone: 'north' }
    const v = assess(far, false)
    expect(v.flagged).toBe(true)
    expect(v.p.distance).toBeLessThan(0.01)
  })

  it('squeezes a nudged feature back toward what the others predict, leaving natural rows alone', () => {
    const row = heldOut[0] as Row
    const x = profile.encoder.encode(row)
    const natural = profile.adversarial.squeeze(row, x) as Row
    const moved = Object.keys(row).filter((k) => natural[k] !== row[k])
    expect(moved.length).toBeLessThanOrEqual(1)
    // b tracks a closely in this task; a b far from it is pulled back.
    const nudged: Row = { ...row, b: (row.b as number) + 6 }
    const squeezed = profile.adversarial.squeeze(nudged, profile.encoder.encode(nudged)) as Row
    expect(Math.abs((squeezed.b as number) - (row.b as number))).toBeLessThan(Math.abs((nudged.b as number) - (row.b as number)))
    expect(squeezed.zone).toBe(row.zone)
    // Arrays stay arrays.
    const asArray = SYNTHETIC_FEATURES.map((f) => nudged[f] ?? null)
    expect(Array.isArray(profile.adversarial.squeeze(asArray, profile.encoder.encode(asArray)))).toBe(true)
  })

  it('computes tails with the +1 correction and the margin of a probability vector', () => {
    expect(upperTail([1, 2, 3], 2.5)).toBeCloseTo(2 / 4)
    expect(upperTail([1, 2, 3], 10)).toBeCloseTo(1 / 4)
    expect(lowerTail([1, 2, 3], 0)).toBeCloseTo(1 / 4)
    expect(marginOf([0.2, 0.5, 0.3])).toBeCloseTo(0.2)
  })

  it('survives a save and load', () => {
    const copy = new ShieldProfile(JSON.parse(JSON.stringify(profile.json)))
    const row = heldOut[5] as Row
    expect(copy.adversarial.assess(copy.encoder.encode(row), task.model(row))).toEqual(assess(row, false))
  })
})
