/**
 * ioredis, loaded for the Redis adapters with one V8 repair.
 *
 * ioredis 6 defines `class VerbatimString extends String` (built/resp/verbatim-string.js).
 * Defining a subclass of String leaves V8's `String.prototype` in dictionary (slow) mode until
 * an instance of that class is created — which a RESP2 connection never does. Every string
 * method call in the process then goes through the slow prototype: the scanners, mostly
 * `charCodeAt` loops, ran about twice as slow in any process that had loaded ioredis (the
 * prompt_injection scan of a 2 KB prompt, p50 0.55 → 1.03 ms; the gateway loads it at start).
 * Creating one instance makes the prototype fast again. A test pins this
 * (src/store/redis/ioredis.test.ts) so a new ioredis version that moves the class is noticed.
 */
import { createRequire } from 'node:module'
import { Redis } from 'ioredis'

/** True once the repair ran (false when this ioredis has no VerbatimString: nothing to repair). */
export const stringPrototypeRepaired: boolean = (() => {
  try {
    const { VerbatimString } = createRequire(import.meta.url)('ioredis/built/resp/verbatim-string.js') as { VerbatimString: new (format: string, value: string) => unknown }
    new VerbatimString('txt', '')
    return true
  } catch {
    return false
  }
})()

export { Redis }
