import { createRegistry, type ScannerRegistry } from '../core/registry.js'
import type { AnyScannerDefinition } from '../core/scanner.js'
import { length } from './length/index.js'
import { promptInjection } from './prompt_injection/index.js'
import { pii } from './pii/index.js'
import { deniedTopics } from './denied_topics/index.js'
import { secrets } from './secrets/index.js'
import { promptLeak } from './prompt_leak/index.js'
import { invisibleText } from './invisible_text/index.js'
import { dataLeak } from './data_leak/index.js'
import { wordFilter } from './word_filter/index.js'

/** Every scanner that ships with Rampart: input scanners first, then the output-only ones. */
export const builtinScanners: readonly AnyScannerDefinition[] = [
  promptInjection,
  invisibleText,
  pii,
  secrets,
  deniedTopics,
  wordFilter,
  length,
  promptLeak,
  dataLeak,
]

/** A registry of the built-in scanners. */
export function builtinRegistry(): ScannerRegistry {
  return createRegistry(builtinScanners)
}
