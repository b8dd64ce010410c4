import type { Vault } from './types.js'

/**
 * An in-memory vault for reversible redaction. The same value of the same type always gets
 * the same placeholder (`[EMAIL_1]`), so a model sees consistent stand-ins and its response
 * can be de-anonymized with `deanonymize`.
 */
export function createVault(): Vault {
  return new MemoryVault()
}

// A class rather than an object literal with a `size` getter: V8 makes each such literal a
// dictionary-mode object with its own accessor pair, which under load survived scavenges and was
// promoted (see text-views.ts); a vault is made per redacted text and per streamed response.
class MemoryVault implements Vault {
  readonly #byValue = new Map<string, string>()
  readonly #byPlaceholder = new Map<string, string>()
  readonly #counters = new Map<string, number>()

  placeholderFor(type: string, value: string): string {
    const key = `${type}\u0000${value}`
    const known = this.#byValue.get(key)
    if (known !== undefined) return known
    const n = (this.#counters.get(type) ?? 0) + 1
    this.#counters.set(type, n)
    const placeholder = `[${type}_${n}]`
    this.#byValue.set(key, placeholder)
    this.#byPlaceholder.set(placeholder, value)
    return placeholder
  }

  deanonymize(text: string): string {
    if (this.#byPlaceholder.size === 0) return text
    return text.replace(/\[[A-Z][A-Z0-9_]*_\d+\]/g, (m) => this.#byPlaceholder.get(m) ?? m)
  }

  get size(): number {
    return this.#byPlaceholder.size
  }
}
