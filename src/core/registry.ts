import { RampartError } from './errors.js'
import type { AnyScannerDefinition } from './scanner.js'

/** The scanners a guard can use, by id. Registration is explicit: nothing registers on import. */
export interface ScannerRegistry {
  get(id: string): AnyScannerDefinition
  has(id: string): boolean
  ids(): string[]
  all(): AnyScannerDefinition[]
}

export function createRegistry(definitions: readonly AnyScannerDefinition[]): ScannerRegistry {
  const byId = new Map<string, AnyScannerDefinition>()
  for (const d of definitions) {
    if (byId.has(d.id)) throw new Error(`scanner id registered twice: ${d.id}`)
    byId.set(d.id, d)
  }
  return {
    get(id) {
      const d = byId.get(id)
      if (!d) {
        throw new RampartError('RAMPART_ERR_UNKNOWN_SCANNER', `unknown scanner "${id}"; valid scanners: ${[...byId.keys()].join(', ')}`, { path: id })
      }
      return d
    },
    has: (id) => byId.has(id),
    ids: () => [...byId.keys()],
    all: () => [...byId.values()],
  }
}
