/**
 * A scan thread of the gateway (see scan-pool.ts): compiles the guards the pool sends it and
 * runs their scans, so the HTTP thread stays free for requests while text is being scanned.
 *
 * Messages in (one port, in order, so a guard or weights message always arrives before the
 * scans that need it):
 *   { t: 'guard', id, policy }        compile this validated policy with the built-in scanners
 *   { t: 'forget', id }               the guard is gone on the gateway's side
 *   { t: 'weights', id, bytes|null }  prompt_injection's active weights (null: the shipped ones)
 *   { t: 'scan', seq, guard, direction, text, context }
 * Messages out: { seq, result } or { seq, error: { code?, message, path? } }.
 */
import { parentPort } from 'node:worker_threads'
import { activeInjectionModel, loadInjectionWeights } from '../detectors/injection/active-model.js'
import { compileGuard, type CompiledGuard } from '../core/engine.js'
import { isRampartError } from '../core/errors.js'
import type { Policy } from '../core/policy.js'
import type { Direction, ScanContext } from '../core/types.js'
import { builtinRegistry } from '../scanners/index.js'

export type ScanRequest =
  | { t: 'guard'; id: number; policy: Policy }
  | { t: 'forget'; id: number }
  | { t: 'weights'; id: string; bytes: Uint8Array | null }
  | { t: 'scan'; seq: number; guard: number; direction: Direction; text: string; context: ScanContext }

export type ScanReply = { seq: number; result: unknown } | { seq: number; error: { code?: string; message: string; path?: string } }

if (parentPort === null) throw new Error('scan-worker.js runs as a worker thread of the gateway (scan-pool.ts)')
const port = parentPort
const registry = builtinRegistry()
const guards = new Map<number, CompiledGuard>()

port.on('message', (m: ScanRequest) => {
  if (m.t === 'guard') {
    guards.set(m.id, compileGuard(registry, m.policy))
  } else if (m.t === 'forget') {
    guards.delete(m.id)
  } else if (m.t === 'weights') {
    if (m.bytes === null) activeInjectionModel.reset()
    else activeInjectionModel.set(loadInjectionWeights(m.bytes))
  } else {
    void scan(m)
  }
})

async function scan(m: Extract<ScanRequest, { t: 'scan' }>): Promise<void> {
  try {
    const guard = guards.get(m.guard)
    if (guard === undefined) throw new Error(`scan thread: guard ${m.guard} was never sent`)
    port.postMessage({ seq: m.seq, result: await guard.scan(m.direction, m.text, m.context) } satisfies ScanReply)
  } catch (error) {
    const e = error as Error
    const reply: ScanReply = isRampartError(error)
      ? { seq: m.seq, error: { code: error.code, message: error.message, ...(error.path === undefined ? {} : { path: error.path }) } }
      : { seq: m.seq, error: { message: `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}` } }
    port.postMessage(reply)
  }
}
