/**
 * Where per-client detection state lives. A detector is deterministic: the same events in the
 * same order give the same state. So the store only has to order each client's events and hand
 * every replica the ones it has not applied yet; in memory that is the process itself, in Redis
 * (store/redis/shield-state.ts) an append-only log per client with periodic snapshots — a restarted
 * gateway rebuilds the state from the latest snapshot and the log after it, and two gateways apply
 * the same events in the same order, so one client is one client wherever it lands.
 */

/** How a detector's events and state travel as text. */
export interface DetectorCodec<D, E, S> {
  /** A name for keys and logs (`tabular`, `llm`). */
  kind: string
  create(): D
  apply(detector: D, event: E): S
  encodeEvent(event: E): string
  decodeEvent(text: string): E
  snapshot(detector: D): string
  restore(text: string): D
}

export interface ClientKey {
  tenant: string
  /** The protected model's name (a configured model, or the chat model). */
  model: string
  keyId: string
}

export interface RecordResult<S> {
  /** The client's status right after this event. */
  status: S
  /** The event's position in the client's log (1-based). */
  seq: number
}

export interface ShieldStateStore {
  /** Appends one event for the client and returns the status after it (events are applied in log order). */
  record<D, E, S>(key: ClientKey, codec: DetectorCodec<D, E, S>, event: E): Promise<RecordResult<S>>
  /** `record` for a batch: the events stay together in the log, in order; one status per event. */
  recordMany<D, E, S>(key: ClientKey, codec: DetectorCodec<D, E, S>, events: readonly E[]): Promise<RecordResult<S>[]>
  /**
   * Marks the client flagged with `detail`; true only for the first caller, on whichever replica,
   * so the alert and the reaction happen once.
   */
  claimFlag(key: ClientKey, detail: Record<string, unknown>): Promise<boolean>
  /** The flag's detail, when the client was flagged. */
  flagOf(key: ClientKey): Promise<Record<string, unknown> | undefined>
  close(): Promise<void>
}

export function clientId(key: ClientKey): string {
  return `${encodeURIComponent(key.tenant)}:${encodeURIComponent(key.model)}:${encodeURIComponent(key.keyId)}`
}

/**
 * In-process state (the default): one gateway process, lost on restart. Holds at most
 * `maxClients` clients; the least recently seen is dropped first.
 */
export class MemoryShieldState implements ShieldStateStore {
  readonly #clients = new Map<string, { detector: unknown; seq: number }>()
  readonly #flags = new Map<string, Record<string, unknown>>()

  constructor(private readonly maxClients = 100_000) {}

  async record<D, E, S>(key: ClientKey, codec: DetectorCodec<D, E, S>, event: E): Promise<RecordResult<S>> {
    return (await this.recordMany(key, codec, [event]))[0] as RecordResult<S>
  }

  async recordMany<D, E, S>(key: ClientKey, codec: DetectorCodec<D, E, S>, events: readonly E[]): Promise<RecordResult<S>[]> {
    const id = `${codec.kind}|${clientId(key)}`
    let entry = this.#clients.get(id)
    if (entry === undefined) {
      entry = { detector: codec.create(), seq: 0 }
      if (this.#clients.size >= this.maxClients) this.#clients.delete(this.#clients.keys().next().value as string)
    } else {
      this.#clients.delete(id)
    }
    this.#clients.set(id, entry)
    const detector = entry.detector as D
    return events.map((event) => {
      // Through the same text form as Redis, so both backends compute on identical values.
      const status = codec.apply(detector, codec.decodeEvent(codec.encodeEvent(event)))
      entry.seq++
      return { status, seq: entry.seq }
    })
  }

  async claimFlag(key: ClientKey, detail: Record<string, unknown>): Promise<boolean> {
    const id = clientId(key)
    if (this.#flags.has(id)) return false
    this.#flags.set(id, detail)
    return true
  }

  async flagOf(key: ClientKey): Promise<Record<string, unknown> | undefined> {
    return this.#flags.get(clientId(key))
  }

  async close(): Promise<void> {
    this.#clients.clear()
  }
}
