import { describe, expect, it } from 'vitest'
import { buildBaseline, parseBaseline } from '../monitor/baseline.js'
import { DatasetProfiler } from '../monitor/profile/dataset.js'
import { encoderFromBaseline } from './baseline-features.js'
import { FeatureEncoder } from './features.js'
import { SYNTHETIC_FEATURES, syntheticTask } from './testing.js'

const rows = syntheticTask(3000, 4).rows

describe('feature space from a monitor baseline', () => {
  const profile = new DatasetProfiler({ seed: 3 })
  profile.addBatch({ kind: 'records', rows })
  const baseline = buildBaseline(profile)
  const fromBaseline = encoderFromBaseline(baseline, [...SYNTHETIC_FEATURES])
  const fromRows = FeatureEncoder.fit(rows, [...SYNTHETIC_FEATURES], { categorical: ['zone'] })

  it('encodes like an encoder fitted on the same rows (quantiles from the KLL sketch, categories from the domain)', () => {
    expect(fromBaseline.dims).toBe(fromRows.dims)
    expect(fromBaseline.features.map((f) => f.kind)).toEqual(['numeric', 'numeric', 'numeric', 'numeric', 'categorical'])
    let sum = 0
    let n = 0
    for (const row of rows.slice(0, 500)) {
      const a = fromBaseline.encode(row)
      const b = fromRows.encode(row)
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs((a[i] as number) - (b[i] as number))
        // The sketch's quantiles are approximate, most in the tails.
        expect(d).toBeLessThan(0.3)
        sum += d
        n++
      }
    }
    expect(sum / n).toBeLessThan(0.02)
  })

  it('falls back to statistics.json quantiles when the profile lacks a column, and names a missing feature', () => {
    const stripped = parseBaseline(JSON.parse(JSON.stringify({ ...baseline.statistics, profile: new DatasetProfiler({ seed: 3 }).toJSON() })), baseline.constraints)
    const coarse = encoderFromBaseline(stripped, ['a', 'zone'])
    expect(coarse.features[0]).toMatchObject({ kind: 'numeric', probs: [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1] })
    expect(Math.abs((coarse.encode({ a: 10, zone: 'east' })[0] as number) - (fromRows.encode({ a: 10, b: 0, c: 0, d: 0, zone: 'east' })[0] as number))).toBeLessThan(0.1)
    expect(() => encoderFromBaseline(baseline, ['nope'])).toThrow(/no feature nope/)
  })
})
