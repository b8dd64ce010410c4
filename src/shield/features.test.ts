import { describe, expect, it } from 'vitest'
import { FeatureEncoder } from './features.js'

const rows = Array.from({ length: 1000 }, (_, i) => ({ size: i, price: (i % 100) ** 2, kind: ['x', 'y', 'z'][i % 3] as string, flag: i % 2 }))
const encoder = FeatureEncoder.fit(rows, ['size', 'price', 'kind', 'flag'], { categorical: ['kind'] })

describe('FeatureEncoder', () => {
  it('maps numbers through their reference quantiles to normal scores and categories to scaled one-hots', () => {
    expect(encoder.dims).toBe(1 + 1 + 3 + 1)
    const median = encoder.encode({ size: 500, price: 2500, kind: 'y', flag: 0 })
    expect(median[0]).toBeCloseTo(0, 2)
    // A heavy tail is compressed: the top price sits near +2.3, not hundreds of sd away.
    expect(encoder.encode({ size: 500, price: 9801, kind: 'x', flag: 0 })[1]).toBeGreaterThan(2)
    expect(encoder.encode({ size: 500, price: 9801, kind: 'x', flag: 0 })[1]).toBeLessThan(3.8)
    expect([...median.slice(2, 5)]).toEqual([0, Math.SQRT1_2, 0])
    const other = encoder.encode({ size: 500, price: 2500, kind: 'z', flag: 0 })
    let d = 0
    for (let i = 0; i < encoder.dims; i++) d += ((median[i] as number) - (other[i] as number)) ** 2
    expect(Math.sqrt(d)).toBeCloseTo(1, 9)
  })

  it('keeps growing past the reference range, so far-off inputs stay far', () => {
    const edge = encoder.encode({ size: 999, price: 0, kind: 'x', flag: 0 })[0] as number
    const beyond = encoder.encode({ size: 5000, price: 0, kind: 'x', flag: 0 })[0] as number
    expect(beyond).toBeGreaterThan(edge + 10)
  })

  it('reads arrays in feature order and objects by name, and names the bad feature', () => {
    expect([...encoder.encode([10, 20, 'x', 1])]).toEqual([...encoder.encode({ size: 10, price: 20, kind: 'x', flag: 1 })])
    expect(() => encoder.encode([1, 2, 'x'])).toThrow(/expected 4 values/)
    expect(() => encoder.encode({ size: 'big', price: 1, kind: 'x', flag: 0 })).toThrow(expect.objectContaining({ code: 'RAMPART_ERR_INPUT_INVALID', path: 'features.size' }))
    // Missing numbers sit at the median; unknown categories encode as no category.
    expect(encoder.encode({ price: 2500, kind: 'new', flag: 0 })[0]).toBe(0)
    expect([...encoder.encode({ size: 1, price: 1, kind: 'new', flag: 0 }).slice(2, 5)]).toEqual([0, 0, 0])
  })

  it('decodes a normal score back to the raw value', () => {
    for (const size of [3, 250, 731, 990]) {
      const z = encoder.encode({ size, price: 0, kind: 'x', flag: 0 })[0] as number
      expect(encoder.decodeNumeric(0, z)).toBeCloseTo(size, 0)
    }
    expect(encoder.decodeNumeric(0, 30)).toBeGreaterThan(999)
  })

  it('round-trips through JSON and rejects broken specs', () => {
    const copy = FeatureEncoder.fromJSON(JSON.parse(JSON.stringify(encoder.toJSON())))
    expect([...copy.encode([5, 6, 'z', 0])]).toEqual([...encoder.encode([5, 6, 'z', 0])])
    expect(() => new FeatureEncoder([{ name: 'x', kind: 'numeric', quantiles: [3, 1] }])).toThrow(/non-decreasing/)
    expect(() => new FeatureEncoder([])).toThrow(/at least one feature/)
  })
})
