import { describe, expect, it } from 'vitest'
import { extend } from './objects.js'

describe('extend', () => {
  it('is { ...base, ...extra }: same keys in the same order, extra winning, base untouched', () => {
    const base = { a: 1, b: 2, c: 3 }
    const out = extend(base, { b: 20, d: 4 })
    expect(out).toEqual({ a: 1, b: 20, c: 3, d: 4 })
    expect(Object.keys(out)).toEqual(['a', 'b', 'c', 'd'])
    expect(base).toEqual({ a: 1, b: 2, c: 3 })
    expect(out).not.toBe(base)
  })

  it('defines properties as a spread does (an own "__proto__" key stays a key, the prototype stays Object.prototype)', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "id": "x"}') as Record<string, unknown>
    const out = extend(parsed, { extra: 1 })
    expect(Object.keys(out)).toEqual(['__proto__', 'id', 'extra'])
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect((out as { polluted?: boolean }).polluted).toBeUndefined()
    expect(JSON.stringify(out)).toBe(JSON.stringify({ ...parsed, extra: 1 }))
  })
})
