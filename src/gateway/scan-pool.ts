/**
 * Scan threads for the gateway: a guard's scans run on worker threads while the HTTP thread
 * parses, forwards and answers other requests.
 *
 * Why: a proxied chat request costs the gateway's thread about 1.5 ms of CPU on the project's
 * 2-core VM, of which scanning (input and output) is ~0.9 ms and ~60 % of the allocations. On
 * one thread, 500 requests/s keep it ~75 % busy, and every young-generation GC (one a second,
 * ~3 ms) leaves a queue that takes several requests to drain: the slowest 1 % of requests came
 * in clusters at exactly the GC period (26 Nov). With the scans on a thread of their own, each
 * thread is busy about half as much, has its own heap and GC, and the HTTP thread never stalls
 * behind a long text: a 100 KB prompt no longer delays every other request by its scan.
 *
 * What crosses the thread boundary: the validated policy once per guard and thread, the
 * prompt_injection weights when the detector registry swaps them (detectors/registry.ts sets the
 * process's active model; the threads follow it), and per scan the text and its context.
 * Results come back as the same `ScanResult`. Scans that carry a vault (a reversible-redaction
 * map with methods) run on the calling thread, as do guards built from another scanner registry.
 * A thread that dies is replaced, and the scans it had in hand are run on the calling thread, so
 * no request loses its scan.
 */
import { existsSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { activeInjectionModel, type LoadedInjectionModel } from '../detectors/injection/active-model.js'
import { policyScanners } from '../core/engine.js'
import { RampartError, type ErrorCode } from '../core/errors.js'
import type { Policy } from '../core/policy.js'
import type { Direction, ScanContext, ScanResult } from '../core/types.js'
import { createGuard, type Guard } from '../guard.js'
import type { ScanReply, ScanRequest } from './scan-worker.js'

export interface ScanPoolOptions {
  threads: number
  /** Where scan-worker.js is (default: beside this module, or dist/ when running from the sources). */
  workerUrl?: URL
  /** Called when a thread dies unexpectedly (it is replaced). */
  onThreadError?: (error: Error) => void
}

interface Pending {
  resolve: (r: ScanResult) => void
  reject: (e: Error) => void
  /** The same scan on the calling thread, if this thread dies first. */
  local: () => Promise<ScanResult>
}

interface Slot {
  worker: Worker
  pending: Map<number, Pending>
  /** Guard ids this thread has compiled. */
  guards: Set<number>
  /** The weights last sent (undefined: none sent, the thread starts on the shipped ones). */
  weights: LoadedInjectionModel | undefined
}

function defaultWorkerUrl(): URL {
  const here = new URL('./scan-worker.js', import.meta.url)
  if (existsSync(here)) return here
  // Running from src/ (tests under vitest): the compiled worker of `npm run build`.
  return new URL('../../dist/gateway/scan-worker.js', import.meta.url)
}

export class ScanPool {
  readonly threads: number
  readonly #url: URL
  readonly #onThreadError: ((error: Error) => void) | undefined
  readonly #slots: Slot[] = []
  /** Scans sent to the threads and not yet settled (what `close` waits for). */
  readonly #inFlight = new Set<Promise<ScanResult>>()
  // A guard dropped by its owner (the resolver's cache) is forgotten by the threads too.
  readonly #forget = new FinalizationRegistry<number>((id) => {
    for (const s of this.#slots) {
      if (s.guards.delete(id)) s.worker.postMessage({ t: 'forget', id } satisfies ScanRequest)
    }
  })
  #nextGuard = 1
  #seq = 1
  #closed = false

  constructor(options: ScanPoolOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `scanThreads must be a positive integer, got ${options.threads}`, { path: 'scanThreads' })
    this.threads = options.threads
    this.#url = options.workerUrl ?? defaultWorkerUrl()
    this.#onThreadError = options.onThreadError
    for (let i = 0; i < options.threads; i++) this.#slots.push(this.#spawn())
  }

  /** Scans in flight on the threads. */
  get pending(): number {
    return this.#inFlight.size
  }

  /**
   * A guard for a validated policy of the built-in scanners, with its scans on the pool's
   * threads. It is compiled on the calling thread only when a scan has to run here (a vault, a
   * dead thread, a closed pool): the scanners' dictionaries and weights (~40 MB of heap) then stay
   * out of the HTTP thread's heap, whose every GC would otherwise walk them.
   */
  guard(policy: Policy): Guard {
    const id = this.#nextGuard++
    let compiled: Promise<Guard> | undefined
    const here = async (direction: Direction, text: string, context: ScanContext) => (await (compiled ??= createGuard({ policy }))).scan(direction, text, context)
    const run = (direction: Direction, text: string, context: ScanContext = {}): Promise<ScanResult> =>
      this.#closed || context.vault !== undefined ? here(direction, text, context) : this.#run(id, policy, () => here(direction, text, context), direction, text, context)
    const remote: Guard = {
      policy,
      scanners: policyScanners(policy),
      scanInput: (text, context) => run('input', text, context),
      scanOutput: (text, context) => run('output', text, context),
      scan: run,
    }
    this.#forget.register(remote, id)
    return remote
  }

  /** Waits for the scans in flight, then stops the threads. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled([...this.#inFlight])
    await Promise.all(this.#slots.map((s) => s.worker.terminate()))
  }

  #run(id: number, policy: Policy, local: () => Promise<ScanResult>, direction: Direction, text: string, context: ScanContext): Promise<ScanResult> {
    let slot = this.#slots[0]!
    for (const s of this.#slots) if (s.pending.size < slot.pending.size) slot = s
    const weights = activeInjectionModel.current()
    if (slot.weights !== weights && !(slot.weights === undefined && weights.builtin)) {
      slot.worker.postMessage({ t: 'weights', id: weights.id, bytes: weights.builtin ? null : weights.bytes } satisfies ScanRequest)
      slot.weights = weights
    }
    if (!slot.guards.has(id)) {
      slot.worker.postMessage({ t: 'guard', id, policy } satisfies ScanRequest)
      slot.guards.add(id)
    }
    const seq = this.#seq++
    const scanned = new Promise<ScanResult>((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject, local })
      slot.worker.postMessage({ t: 'scan', seq, guard: id, direction, text, context } satisfies ScanRequest)
    })
    this.#inFlight.add(scanned)
    void scanned.finally(() => this.#inFlight.delete(scanned)).catch(() => undefined)
    return scanned
  }

  #spawn(): Slot {
    // The scans' allocations stay in the thread's own young generation: 64 MB semi-spaces, as
    // `rampart serve` gives its processes (cli/commands/gateway.ts).
    const worker = new Worker(this.#url, { resourceLimits: { maxYoungGenerationSizeMb: 192 } })
    const slot: Slot = { worker, pending: new Map(), guards: new Set(), weights: undefined }
    worker.on('message', (m: ScanReply) => {
      const p = slot.pending.get(m.seq)
      if (p === undefined) return
      slot.pending.delete(m.seq)
      if ('result' in m) p.resolve(m.result as ScanResult)
      else p.reject(m.error.code === undefined ? new Error(m.error.message) : new RampartError(m.error.code as ErrorCode, m.error.message, m.error.path === undefined ? {} : { path: m.error.path }))
    })
    worker.on('error', (error) => this.#onThreadError?.(error))
    worker.on('exit', () => {
      if (this.#closed) return
      // Replaced at once; what it had in hand is scanned here.
      const index = this.#slots.indexOf(slot)
      if (index >= 0) this.#slots[index] = this.#spawn()
      for (const p of slot.pending.values()) p.local().then(p.resolve, p.reject)
      slot.pending.clear()
    })
    worker.unref()
    return slot
  }
}
