import type { Vault } from './types.js'

/**
 * An in-memory vault for reversible redaction. The same value of the same type always gets
 * the same placeholder (`[EMAIL_1]`), so a model sees consistent stand-ins and its response
 * can be de-anonymized with `deanonymize`.
 */
export function createVault(): Vault {
  const byValue = new Map<string, string>()
  const byPlaceholder = new Map<string, string>()
  const counters = new Map<string, number>()
  return {
    placeholderFor(type, value) {
      const key = `${type}\u0000${value}`
      const known = byValue.get(key)
      if (known !== undefined) return known
      const n = (counters.get(type) ?? 0) + 1
      counters.set(type, n)
      const placeholder = `[${type}_${n}]`
      byValue.set(key, placeholder)
      byPlaceholder.set(placeholder, value)
      return placeholder
    },
    deanonymize(text) {
      if (byPlaceholder.size === 0) return text
      return text.replace(/\[[A-Z][A-Z0-9_]*_\d+\]/g, (m) => byPlaceholder.get(m) ?? m)
    },
    get size() {
      return byPlaceholder.size
    },
  }
}
