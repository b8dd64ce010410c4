/**
 * A small seeded generator (xoshiro128**, seeded by splitmix32) so profiles, sketches and
 * calibration splits are reproducible: the same data and seed give the same baseline files.
 */
export interface Random {
  /** Uniform in (0, 1), never exactly 0 (safe under log). */
  next(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
}

export function createRandom(seed: number): Random {
  let x = seed >>> 0
  const splitmix = () => {
    x = (x + 0x9e3779b9) >>> 0
    let z = x
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = splitmix()
  const nextU32 = () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0
    const t = b << 9
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
    return result
  }
  return {
    next: () => (nextU32() + 0.5) / 4294967296,
    int: (n: number) => Math.floor(((nextU32() + 0.5) / 4294967296) * n),
  }
}

function rotl(v: number, k: number): number {
  return (v << k) | (v >>> (32 - k))
}

/** Fisher–Yates shuffle in place. */
export function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1)
    const t = items[i] as T
    items[i] = items[j] as T
    items[j] = t
  }
  return items
}
