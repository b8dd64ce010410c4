import { describe, expect, it } from 'vitest'
import { OutputHardener } from './hardening.js'

const probs = [0.07, 0.61, 0.32]
const classes = ['low', 'mid', 'high']

describe('output hardening', () => {
  it('returns everything unchanged by default', () => {
    expect(new OutputHardener({}).harden(probs, classes)).toEqual({ label: 'mid', probabilities: { low: 0.07, mid: 0.61, high: 0.32 } })
  })

  it('keeps only the top k classes', () => {
    expect(new OutputHardener({ topK: 2 }).harden(probs, classes)).toEqual({ label: 'mid', probabilities: { mid: 0.61, high: 0.32 } })
    expect(new OutputHardener({ topK: 1 }).harden(probs)).toEqual({ label: '1', probabilities: { '1': 0.61 } })
  })

  it('rounds confidences and can return the label alone', () => {
    expect(new OutputHardener({ decimals: 1 }).harden(probs, classes).probabilities).toEqual({ low: 0.1, mid: 0.6, high: 0.3 })
    expect(new OutputHardener({ labelOnly: true }).harden(probs, classes)).toEqual({ label: 'mid' })
  })

  it('adds log-odds noise that keeps the top class first unless told otherwise', () => {
    const kept = new OutputHardener({ noise: { scale: 2 } }, 7)
    const free = new OutputHardener({ noise: { scale: 2, keepTop: false } }, 7)
    let changed = 0
    let flipped = 0
    for (let i = 0; i < 500; i++) {
      const v = kept.vector([0.45, 0.55])
      expect(v[1]).toBeGreaterThan(v[0] as number)
      expect((v[0] as number) + (v[1] as number)).toBeCloseTo(1, 9)
      if (Math.abs((v[1] as number) - 0.55) > 0.05) changed++
      const w = free.vector([0.45, 0.55])
      if ((w[0] as number) > (w[1] as number)) flipped++
    }
    expect(changed).toBeGreaterThan(300)
    expect(flipped).toBeGreaterThan(100)
  })

  it('is reproducible from its seed', () => {
    const a = new OutputHardener({ noise: { scale: 1 } }, 3)
    const b = new OutputHardener({ noise: { scale: 1 } }, 3)
    expect([...a.vector(probs)]).toEqual([...b.vector(probs)])
  })
})

describe('output hardening decisions', () => {
  it('rounding never changes the label, even when it ties the confidences', () => {
    const h = new OutputHardener({ decimals: 1 })
    expect(h.harden([0.46, 0.54], ['no', 'yes'])).toEqual({ label: 'yes', probabilities: { no: 0.5, yes: 0.5 } })
    expect(h.label([0.46, 0.54])).toBe(1)
  })
})
