import { describe, expect, it } from 'vitest'
import { createRandom } from '../monitor/sketch/random.js'
import { PradaState, pradaW, DEFAULT_PRADA } from './prada.js'

function gaussian(random: ReturnType<typeof createRandom>): number {
  return Math.sqrt(-2 * Math.log(random.next())) * Math.cos(2 * Math.PI * random.next())
}

describe('PRADA', () => {
  it('sees natural queries as natural and a burst of tiny steps from earlier queries as not', () => {
    const random = createRandom(5)
    const natural = new PradaState(6, { ...DEFAULT_PRADA, delta: 0.9, testEvery: 5 })
    let naturalMin = 1
    for (let i = 0; i < 800; i++) {
      const step = natural.add(Float32Array.from({ length: 6 }, () => gaussian(random)), i % 2)
      if (step.w !== undefined) naturalMin = Math.min(naturalMin, step.w)
    }
    expect(naturalMin).toBeGreaterThan(0.9)
    expect(natural.distanceCount).toBe(798)

    const synthetic = new PradaState(6, { ...DEFAULT_PRADA, delta: 0.9, testEvery: 5 })
    const seeds = Array.from({ length: 30 }, () => Float32Array.from({ length: 6 }, () => gaussian(random)))
    for (const s of seeds) synthetic.add(s, 0)
    let alarm = false
    for (let i = 0; i < 200 && !alarm; i++) {
      const parent = seeds[i % 30] as Float32Array
      alarm = synthetic.add(Float32Array.from(parent, (v) => v + 0.01 * Math.sign(gaussian(random))), 0).alarm
    }
    expect(alarm).toBe(true)
  })

  it('drops distances beyond 3 standard deviations before testing', () => {
    const base = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i) + 5)
    const withOutliers = Float64Array.from([...base, 1e6, 1e6 + 1])
    expect(pradaW(withOutliers)).toBeCloseTo(pradaW(base), 2)
  })

  it('restores from its snapshot to the same future', () => {
    const random = createRandom(8)
    const points = Array.from({ length: 400 }, () => Float32Array.from({ length: 4 }, () => gaussian(random)))
    const a = new PradaState(4, { ...DEFAULT_PRADA, testEvery: 1 })
    points.slice(0, 250).forEach((p, i) => a.add(p, i % 3))
    const b = PradaState.fromJSON(4, { ...DEFAULT_PRADA, testEvery: 1 }, JSON.parse(JSON.stringify(a.toJSON())))
    for (const [i, p] of points.slice(250).entries()) expect(b.add(p, i % 3)).toEqual(a.add(p, i % 3))
  })
})
