import { beforeAll, describe, expect, it } from 'vitest'
import { marginOf } from './adversarial.js'
import { chernoffEvidence, ExtractionDetector, type ExtractionStatus, type QueryEvent } from './extraction.js'
import { argmaxOf } from './hardening.js'
import { ShieldProfile } from './profile.js'
import { AttackerSpace, BoundaryAttacker, PapernotAttacker, UniformAttacker, type Attacker } from './sim/attacks.js'
import type { Row } from './sim/housing.js'
import { SYNTHETIC_FEATURES, syntheticTask } from './testing.js'

const task = syntheticTask(3000, 1)
const fresh = syntheticTask(4000, 2)
let profile: ShieldProfile

beforeAll(async () => {
  profile = await ShieldProfile.build({ model: 'synthetic', rows: task.rows, features: [...SYNTHETIC_FEATURES], categorical: ['zone'], predict: async (xs) => xs.map((x) => task.model(x)), indexSize: 1000, seed: 3 })
})

function event(row: Row): QueryEvent {
  const x = Float32Array.from(profile.encoder.encode(row))
  const p = task.model(row)
  const nb = profile.index.neighbours(x, profile.extraction.k)
  return { x, label: argmaxOf(p), margin: Math.fround(marginOf(p)), nearest: Math.fround(nb.nearest), kth: Math.fround(nb.kth) }
}

const detector = (options: Partial<ConstructorParameters<typeof ExtractionDetector>[2]> = {}) => new ExtractionDetector(profile.encoder.dims, profile.extraction, { referenceSize: profile.index.count, ...options })

function attack(a: Attacker, d: ExtractionDetector, max: number): number | undefined {
  for (let q = 1; q <= max; q++) {
    const row = a.next()
    a.observe(row, task.model(row))
    if (d.apply(event(row)).flag !== null) return q
  }
  return undefined
}

describe('extraction detection', () => {
  it('leaves natural clients alone: no flag over 1,300 queries each, evidence far below the bar', () => {
    for (let c = 0; c < 3; c++) {
      const d = detector()
      let top = 0
      for (const row of fresh.rows.slice(c * 1300, c * 1300 + 1300)) {
        const s = d.apply(event(row))
        top = Math.max(top, s.evidence.proximity, s.evidence.coverage, s.evidence.boundary)
      }
      expect(d.flag, `client ${c}`).toBeNull()
      expect(top).toBeLessThan(d.options.evidence / 2)
    }
  })

  it('flags a uniform sweep of the feature space by coverage', () => {
    const space = new AttackerSpace(task.schema, fresh.rows.slice(0, 200))
    const d = detector()
    const at = attack(new UniformAttacker(space, 1), d, 500)
    expect(at).toBeLessThanOrEqual(60)
    expect(d.flag?.signal).toBe('coverage')
  })

  it('flags augmentation around a few real seeds by proximity, and only because of it', () => {
    const space = new AttackerSpace(task.schema, fresh.rows.slice(0, 200))
    const seeds = fresh.rows.slice(200, 220)
    const d = detector()
    const at = attack(new PapernotAttacker(space, seeds, 2, { lambda: 0.1 }), d, 600)
    expect(at).toBeLessThanOrEqual(200)
    expect(d.flag?.signal).toBe('proximity')
    // Without the proximity test the same stream passes the others for a good while.
    const without = detector({ signals: ['coverage', 'boundary'] })
    expect(attack(new PapernotAttacker(space, seeds, 2, { lambda: 0.1 }), without, 200)).toBeUndefined()
  })

  it('flags line searches between differently labelled seeds', () => {
    const space = new AttackerSpace(task.schema, fresh.rows.slice(0, 200))
    const d = detector()
    const at = attack(new BoundaryAttacker(space, fresh.rows.slice(300, 330), 3), d, 600)
    expect(at).toBeLessThanOrEqual(200)
    expect(['proximity', 'boundary']).toContain(d.flag?.signal)
  })

  it('replays to the same state from a snapshot (what shared state relies on)', () => {
    const space = new AttackerSpace(task.schema, fresh.rows.slice(0, 200))
    const a = new BoundaryAttacker(space, fresh.rows.slice(300, 330), 3)
    const stream: Row[] = []
    for (let i = 0; i < 400; i++) {
      const row = a.next()
      a.observe(row, task.model(row))
      stream.push(row)
    }
    const straight = detector()
    const statuses: ExtractionStatus[] = stream.map((r) => straight.apply(event(r)))
    let resumed = detector()
    const again: ExtractionStatus[] = []
    stream.forEach((r, i) => {
      if (i === 137 || i === 301) resumed = ExtractionDetector.fromJSON(profile.encoder.dims, profile.extraction, { referenceSize: profile.index.count }, JSON.parse(JSON.stringify(resumed.toJSON())))
      again.push(resumed.apply(event(r)))
    })
    expect(again).toEqual(statuses)
    expect(statuses.at(-1)?.flag).not.toBeNull()
  })

  it('counts evidence in nats with a Chernoff bound', () => {
    expect(chernoffEvidence(5, 5)).toBe(0)
    expect(chernoffEvidence(3, 5)).toBe(0)
    expect(chernoffEvidence(20, 2)).toBeCloseTo(20 * Math.log(10) - 18, 9)
    expect(chernoffEvidence(1, 0)).toBe(Infinity)
  })

  it("reports each query's distance to the client's nearest earlier query, skipping exact repeats", () => {
    const d = detector()
    const [a, b] = fresh.rows as [Row, Row]
    expect(d.apply(event(a)).own).toBeNull()
    const first = d.apply(event(b)).own
    const ea = event(a).x
    const eb = event(b).x
    const between = Math.sqrt(ea.reduce((s, v, i) => s + (v - (eb[i] as number)) ** 2, 0))
    expect(first).toEqual({ nearest: expect.closeTo(between, 6) as number, among: 1 })
    // b again: its exact repeat is skipped, a is the nearest other query.
    expect(d.apply(event(b)).own).toEqual({ nearest: expect.closeTo(between, 6) as number, among: 2 })
    // Only repeats so far for a fresh client: nothing to report.
    const solo = detector()
    solo.apply(event(a))
    expect(solo.apply(event(a)).own).toBeNull()
  })
})
