import { beforeAll, describe, expect, it } from 'vitest'
import { createRandom } from '../monitor/sketch/random.js'
import { calibratedRank, calibratedThreshold, historyVerdict, lowerTail, marginOf, upperQuantile, upperTail, type HistoryCalibration } from './adversarial.js'
import { ShieldProfile } from './profile.js'
import { ProtectedModel } from './protected-model.js'
import { AttackerSpace } from './sim/attacks.js'
import { hopSkipJump, simba } from './sim/evasion.js'
import { MemoryShieldState } from './state.js'
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

  it('flags the input a score-based attack found, from the probes the same client sent, and leaves natural clients alone', async () => {
    const shielded = (history = true) => new ProtectedModel({ name: 'synthetic', profile, adversarial: { history } }, async (xs) => xs.map((x) => task.model(x)), new MemoryShieldState())
    const space = new AttackerSpace(task.schema, heldOut.slice(0, 200))
    const random = createRandom(8)
    let found = 0
    let perRequest = 0
    let withHistory = 0
    for (const [i, original] of heldOut.slice(300, 340).entries()) {
      const probes: Row[] = []
      const result = simba(original, (row) => {
        probes.push(row)
        return task.model(row)
      }, space, random)
      if (result === undefined) continue
      found++
      const model = shielded()
      const client = { tenant: 't', keyId: `attacker-${i}` }
      for (const row of probes) await model.predict(client, [row])
      const verdict = (await model.predict(client, [result.adversarial])).adversarial?.[0]
      if (verdict === undefined) throw new Error('no verdict')
      if (verdict.score > verdict.threshold) perRequest++
      if (verdict.flagged) withHistory++
      // The found input was itself the last probe: the exact repeat is skipped, the probe before it is next door.
      expect(verdict.history?.among).toBe(probes.length)
      expect(verdict.history?.nearest).toBeGreaterThan(0)
    }
    expect(found).toBeGreaterThan(30)
    expect(withHistory / found).toBeGreaterThan(0.9)
    expect(withHistory).toBeGreaterThan(perRequest)

    // Natural clients: their own earlier queries are no closer than natural rows are to each other.
    const model = shielded()
    let queries = 0
    let historyFlags = 0
    for (let c = 0; c < 3; c++) {
      for (const row of heldOut.slice(c * 400, c * 400 + 400)) {
        const verdict = (await model.predict({ tenant: 't', keyId: `natural-${c}` }, [row])).adversarial?.[0]
        queries++
        if (verdict?.history?.flagged === true) historyFlags++
      }
    }
    expect(historyFlags / queries).toBeLessThan(0.01)

    // Switched off, the verdict carries no history.
    const off = shielded(false)
    await off.predict({ tenant: 't', keyId: 'k' }, [heldOut[0] as Row])
    expect((await off.predict({ tenant: 't', keyId: 'k' }, [heldOut[1] as Row])).adversarial?.[0]?.history).toBeUndefined()
  })

  it("turns a distance to the client's nearest earlier query into the baseline's share at most that close", () => {
    // Flag when at most one baseline row comes as close.
    const calibration: HistoryCalibration = { sizes: [8, 16], lowest: [[0.1, 0.2, 0.3], [0.05, 0.1, 0.15]], rows: 99, fpr: 0.02, confidence: 0.9, flagAtMost: 1 }
    // 5 earlier queries → the h = 8 sample; one baseline row within 0.15 → (1 + 1) / 100.
    expect(historyVerdict(calibration, 0.15, 5)).toEqual({ nearest: 0.15, among: 5, p: 0.02, flagged: true })
    // 12 earlier queries → the h = 16 sample: three rows within 0.15.
    expect(historyVerdict(calibration, 0.15, 12).p).toBeCloseTo(4 / 100)
    expect(historyVerdict(calibration, 0.15, 12).flagged).toBe(false)
    // 40 earlier queries span three samples of 16: the union bound triples the share, and a third
    // of the budget is too small for 99 rows to vouch for.
    expect(historyVerdict(calibration, 0.01, 40).p).toBeCloseTo(3 / 100)
    expect(historyVerdict(calibration, 0.01, 40).flagged).toBe(false)
    // Past the stored tail, the share is at least the tail's (never under the budget).
    expect(historyVerdict(calibration, 9, 5).p).toBeGreaterThanOrEqual(4 / 100)
  })

  it('sets thresholds that hold the rate at the asked confidence over the calibration sample (binomial)', () => {
    // Checked against the exact binomial CDF (Python's math.comb).
    expect(calibratedRank(1000, 0.05, 0.9)).toBe(40)
    expect(calibratedRank(1000, 0.048, 0.9)).toBe(38)
    expect(calibratedRank(2000, 0.002, 0.9)).toBe(1)
    expect(calibratedRank(99, 0.02 / 3, 0.9)).toBe(-1)
    expect(calibratedRank(100, 0.05, 0.5)).toBe(4)
    const values = Array.from({ length: 1000 }, (_, i) => i)
    expect(calibratedThreshold(values, 0.05, 0.9)).toBe(959) // 40 values above it
    expect(calibratedThreshold(values.slice(0, 10), 0.01, 0.9)).toBe(Infinity)
  })

  it("spends the history budget out of the profile's false-positive rate", () => {
    const history = profile.adversarial.calibration.history
    expect(history?.fpr).toBe(0.002)
    expect(history?.sizes[0]).toBe(8)
    expect(history?.sizes.at(-1)).toBe(512)
    // The per-request threshold holds fpr − history.fpr at 90 % confidence on the held-apart rows.
    const c = profile.adversarial.calibration
    expect(c.threshold.withoutSqueeze).toBe(calibratedThreshold(c.combined.withoutSqueeze, 0.05 - 0.002, 0.9))
    expect(c.threshold.withoutSqueeze).toBeGreaterThan(upperQuantile(c.combined.withoutSqueeze, 0.05))
    expect(history?.flagAtMost).toBe(calibratedRank(history?.rows ?? 0, 0.002, 0.9))
  })
})
