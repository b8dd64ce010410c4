/**
 * Seeded pseudo-random numbers for the mutators: the same seed gives the same variants on
 * every machine and Node version (no Math.random).
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number

/** mulberry32: a 32-bit state generator, small and fast; quality is ample for picking variants. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** FNV-1a over the UTF-16 units of `s`, 32 bits. */
function fnv1a(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/**
 * A generator keyed by a seed and any parts (row id, family, variant number): each key gets
 * its own stream, so one row's variants do not change when other rows or families are added.
 */
export function keyedRng(seed: number, ...parts: ReadonlyArray<string | number>): Rng {
  let h = fnv1a(String(seed >>> 0))
  for (const p of parts) h = fnv1a(`\u0000${String(p)}`, h)
  return createRng(h)
}

/** An integer in [0, n). */
export function pickIndex(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n))
}

/** One element of a non-empty list. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[pickIndex(rng, items.length)] as T
}

/** True with probability p. */
export function chance(rng: Rng, p: number): boolean {
  return rng() < p
}

/**
 * Which half of a list of text templates (carrier sentences, personas, document shells) to draw
 * from: `train` the even-indexed entries, `test` the odd ones, `all` every entry. Training on
 * `train` and measuring on `test` keeps a detector from scoring well by memorizing templates.
 */
export type TemplatePool = 'all' | 'train' | 'test'

/** One template of `items` from `pool`; one draw, like `pick`. Lists hold at least two entries. */
export function pickTemplate<T>(rng: Rng, items: readonly T[], pool: TemplatePool): T {
  if (pool === 'all') return pick(rng, items)
  const from = pool === 'train' ? 0 : 1
  const n = Math.floor((items.length - from + 1) / 2)
  return items[from + 2 * pickIndex(rng, n)] as T
}
