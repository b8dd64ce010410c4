/**
 * `{ ...base, ...extra }`: a copy of `base` with `extra`'s properties defined on it, as the
 * spread would — for code that runs per request, per scan or per streamed chunk.
 *
 * Why not the literal: on Node 20 (V8 11.3), once its inline cache is warm, an object literal
 * that starts with a spread and then adds properties (`{ ...base, key: value }`, or a second
 * spread of a non-empty object) gets a hidden class of its own on every evaluation: about 12×
 * slower, and every such object survived a young-generation GC and was promoted to the old one
 * (bench/lib/gc-summary.ts). A literal whose first spread is of an empty object builds its
 * properties through the ordinary, cached transitions instead.
 */
export function extend<T extends object, U extends object>(base: T, extra: U): Omit<T, keyof U> & U {
  return { ...EMPTY, ...base, ...extra }
}

const EMPTY: Readonly<Record<string, never>> = Object.freeze({})
