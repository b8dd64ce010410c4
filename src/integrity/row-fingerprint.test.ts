import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { murmur3, RowFingerprint } from './row-fingerprint.js'

/** Byte-at-a-time MurmurHash3 x86_32, written from the specification, to check the fast path against. */
function reference(bytes: Uint8Array, seed = 0): number {
  const mixK = (k: number) => Math.imul(((Math.imul(k, 0xcc9e2d51) << 15) | (Math.imul(k, 0xcc9e2d51) >>> 17)), 0x1b873593)
  let h = seed | 0
  const blocks = bytes.length >>> 2
  for (let b = 0; b < blocks; b++) {
    const k = (bytes[4 * b] as number) | ((bytes[4 * b + 1] as number) << 8) | ((bytes[4 * b + 2] as number) << 16) | ((bytes[4 * b + 3] as number) << 24)
    h ^= mixK(k)
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  let k = 0
  const rest = bytes.length & 3
  for (let i = 0; i < rest; i++) k |= (bytes[4 * blocks + i] as number) << (8 * i)
  if (rest > 0) h ^= mixK(k)
  h ^= bytes.length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

describe('row fingerprint (MurmurHash3 x86_32)', () => {
  it('matches published values', () => {
    const m = (s: string) => murmur3(Buffer.from(s))
    expect(m('')).toBe(0)
    expect(m('test')).toBe(0xba6bd213)
    expect(m('Hello, world!')).toBe(0xc0363e43)
    expect(m('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723)
  })

  it('gives the reference value however the bytes are cut and wherever they sit in the buffer (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(200), { maxLength: 5 }), fc.nat(7), (bytes, cuts, shift) => {
        // Place the row at an odd offset inside a larger, aligned buffer, as a row sits inside a read chunk.
        const buf = Buffer.alloc(bytes.length + 16)
        buf.set(bytes, shift)
        const points = [...new Set([0, ...cuts.map((c) => c % (bytes.length + 1)), bytes.length])].sort((a, b) => a - b)
        const f = new RowFingerprint()
        f.reset()
        for (let i = 1; i < points.length; i++) f.update(buf, shift + (points[i - 1] as number), shift + (points[i] as number))
        expect(f.digest()).toBe(reference(bytes))
        // An unaligned buffer (a subarray at an odd byte offset) takes the byte path, same value.
        const odd = Buffer.alloc(bytes.length + 1).subarray(1)
        odd.set(bytes)
        const g = new RowFingerprint()
        g.reset()
        g.update(odd, 0, odd.length)
        expect(g.digest()).toBe(reference(bytes))
      }),
      { numRuns: 300 },
    )
  })
})

describe('quote counting fused with the fingerprint', () => {
  it('counts the quotes of any piece and leaves the fingerprint unchanged (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0x22, 0x61, 0x2c, 0x0a, 0x00, 0xa2, 0x22), { maxLength: 120 }), fc.nat(7), (bytes, shift) => {
        const buf = Buffer.alloc(bytes.length + 16)
        buf.set(bytes, shift)
        const f = new RowFingerprint()
        f.reset()
        const quotes = f.updateCountingQuotes(buf, shift, shift + bytes.length)
        expect(quotes).toBe(bytes.filter((b) => b === 0x22).length)
        expect(f.digest()).toBe(reference(Uint8Array.from(bytes)))
      }),
      { numRuns: 300 },
    )
  })
})
