/** 32-bit hashes for distinct counting: FNV-1a with murmur3's finalizer so every bit avalanches. */

function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Hash of a string's UTF-16 code units. */
export function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return fmix32(h)
}

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)

/** Hash of a number's value, so "1", "1.0" and 1 count as one distinct value. */
export function hashNumber(x: number): number {
  f64[0] = x === 0 ? 0 : x
  return fmix32(((u32[0] as number) ^ fmix32(((u32[1] as number) + 0x9e3779b9) >>> 0)) >>> 0)
}
