/**
 * The model shield's per-client detection state in Redis, shared by every gateway and kept over
 * restarts. Each client has an append-only event log (a list) and a meta hash (log base, latest
 * snapshot, flag), both under one hash tag so the scripts stay valid on Redis Cluster.
 *
 * APPEND (one round trip per request) pushes the request's events and returns every event the
 * caller has not applied yet, its own included — or, when the caller has no state or its state predates the kept
 * log, the latest snapshot and the events after it. The caller applies them in order; since the
 * detectors are deterministic, every gateway computes the same status for the same event.
 * SNAPSHOT stores a newer state and drops the log entries it covers (keeping a tail, so a replica
 * slightly behind catches up from the log rather than the snapshot).
 */
import { Redis } from './ioredis.js'
import { RampartError } from '../../core/errors.js'
import { clientId, type ClientKey, type DetectorCodec, type RecordResult, type ShieldStateStore } from '../../shield/state.js'

const APPEND_LUA = `
local len = redis.call('RPUSH', KEYS[1], unpack(ARGV, 3))
local meta = redis.call('HMGET', KEYS[2], 'base', 'snapSeq')
local base = tonumber(meta[1]) or 0
local snapSeq = tonumber(meta[2]) or 0
local seq = base + len
local from = tonumber(ARGV[1])
local snap = ''
if from < 0 or from < base or from > seq - (#ARGV - 2) then
  if snapSeq > 0 then
    snap = redis.call('HGET', KEYS[2], 'snap')
    from = snapSeq
  else
    from = base
  end
end
local entries = redis.call('LRANGE', KEYS[1], from - base, -1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {seq, from, snap, entries}
`

const SNAPSHOT_LUA = `
local meta = redis.call('HMGET', KEYS[2], 'base', 'snapSeq')
local base = tonumber(meta[1]) or 0
local snapSeq = tonumber(meta[2]) or 0
local seq = tonumber(ARGV[1])
if seq <= snapSeq then return 0 end
redis.call('HSET', KEYS[2], 'snapSeq', ARGV[1], 'snap', ARGV[2])
local keepFrom = seq - tonumber(ARGV[3])
if keepFrom > base then
  redis.call('LTRIM', KEYS[1], keepFrom - base, -1)
  redis.call('HSET', KEYS[2], 'base', keepFrom)
end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
`

type AppendReply = [number, number, string, string[]]
type ShieldClient = Redis & {
  rampartShieldAppend(log: string, meta: string, from: string, ttlMs: string, ...events: string[]): Promise<AppendReply>
  rampartShieldSnapshot(log: string, meta: string, seq: string, snapshot: string, keep: string, ttlMs: string): Promise<number>
}

export interface RedisShieldStateOptions {
  /** `redis://…`; ignored when `client` is given. */
  url?: string
  /** An ioredis client to use (not closed by `close()`). */
  client?: Redis
  /** Key prefix (default `rampart:shield:`), so tests and deployments can share one Redis. */
  prefix?: string
  /** Snapshot every this many events per client (default 200). */
  snapshotEvery?: number
  /** A client's state is forgotten after this long without a query (default 30 days). */
  ttlMs?: number
  /** Longest wait for Redis per call (default 1000 ms). */
  timeoutMs?: number
  onError?: (err: Error) => void
}

interface Local {
  detector: unknown
  seq: number
  /** Calls for one client run one after another in this process (their replies must apply in order). */
  queue: Promise<unknown>
}

export class RedisShieldState implements ShieldStateStore {
  readonly #redis: ShieldClient
  readonly #owned: boolean
  readonly #prefix: string
  readonly #snapshotEvery: number
  readonly #ttlMs: number
  readonly #local = new Map<string, Local>()

  constructor(options: RedisShieldStateOptions) {
    if (options.client === undefined && options.url === undefined) {
      throw new RampartError('RAMPART_ERR_CONFIG_INVALID', 'the Redis shield state needs a url or a client', { path: 'redis' })
    }
    this.#owned = options.client === undefined
    const timeoutMs = options.timeoutMs ?? 1_000
    this.#redis = (options.client ??
      new Redis(options.url as string, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: timeoutMs, connectTimeout: Math.max(2_000, timeoutMs * 2) })) as ShieldClient
    this.#redis.defineCommand('rampartShieldAppend', { numberOfKeys: 2, lua: APPEND_LUA })
    this.#redis.defineCommand('rampartShieldSnapshot', { numberOfKeys: 2, lua: SNAPSHOT_LUA })
    this.#redis.on('error', (err: Error) => options.onError?.(err))
    this.#prefix = options.prefix ?? 'rampart:shield:'
    this.#snapshotEvery = options.snapshotEvery ?? 200
    this.#ttlMs = options.ttlMs ?? 30 * 86_400_000
  }

  /** Connects (a lazy client otherwise connects at the first call); rejects with RAMPART_ERR_STORE. */
  async ready(): Promise<void> {
    if (this.#redis.status === 'ready') return
    try {
      if (this.#redis.status === 'wait') await this.#redis.connect()
      else await this.#redis.ping()
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_STORE', `model shield: Redis is unreachable: ${(cause as Error).message}`, { cause })
    }
  }

  #keys(kind: string, key: ClientKey): { log: string; meta: string; flag: string } {
    // One hash tag per client: both keys land on the same Cluster slot.
    const tag = `{${kind}|${clientId(key)}}`
    return { log: `${this.#prefix}${tag}:log`, meta: `${this.#prefix}${tag}:meta`, flag: `${this.#prefix}{flag|${clientId(key)}}` }
  }

  async record<D, E, S>(key: ClientKey, codec: DetectorCodec<D, E, S>, event: E): Promise<RecordResult<S>> {
    return (await this.recordMany(key, codec, [event]))[0] as RecordResult<S>
  }

  recordMany<D, E, S>(key: ClientKey, codec: DetectorCodec<D, E, S>, events: readonly E[]): Promise<RecordResult<S>[]> {
    const id = `${codec.kind}|${clientId(key)}`
    let local = this.#local.get(id)
    if (local === undefined) {
      local = { detector: undefined, seq: -1, queue: Promise.resolve() }
      if (this.#local.size >= 100_000) this.#local.delete(this.#local.keys().next().value as string)
      this.#local.set(id, local)
    }
    const entry = local
    // Lua's unpack takes a few thousand values at most: long batches go in chunks, still in order.
    const run = entry.queue.then(async () => {
      const results: RecordResult<S>[] = []
      for (let i = 0; i < events.length; i += 1000) results.push(...(await this.#record(key, codec, events.slice(i, i + 1000), entry)))
      return results
    })
    entry.queue = run.catch(() => undefined)
    return run
  }

  async #record<D, E, S>(key: ClientKey, codec: DetectorCodec<D, E, S>, events: readonly E[], local: Local): Promise<RecordResult<S>[]> {
    if (events.length === 0) return []
    if (this.#redis.status === 'wait') await this.ready()
    const keys = this.#keys(codec.kind, key)
    let reply: AppendReply
    try {
      reply = await this.#redis.rampartShieldAppend(keys.log, keys.meta, String(local.detector === undefined ? -1 : local.seq), String(this.#ttlMs), ...events.map((e) => codec.encodeEvent(e)))
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_STORE', `model shield: Redis did not answer (${(cause as Error).message})`, { cause })
    }
    const [seq, from, snapshot, entries] = reply
    if (snapshot !== '') {
      local.detector = codec.restore(snapshot)
      local.seq = Number(from)
    } else if (local.detector === undefined || Number(from) !== local.seq) {
      // No snapshot yet and no usable local state: replay the whole log from its start.
      local.detector = codec.create()
      local.seq = Number(from)
    }
    const results: RecordResult<S>[] = []
    const ownFrom = Number(seq) - events.length
    let snapshotDue = false
    for (const text of entries) {
      const status = codec.apply(local.detector as D, codec.decodeEvent(text))
      local.seq++
      if (local.seq > ownFrom) results.push({ status, seq: local.seq })
      if (local.seq % this.#snapshotEvery === 0) snapshotDue = true
    }
    if (local.seq !== Number(seq) || results.length !== events.length) {
      local.detector = undefined
      throw new RampartError('RAMPART_ERR_STORE', `model shield: log of ${clientId(key)} ended at ${local.seq}, expected ${seq}`)
    }
    if (snapshotDue) {
      await this.#redis
        .rampartShieldSnapshot(keys.log, keys.meta, String(local.seq), codec.snapshot(local.detector as D), String(this.#snapshotEvery), String(this.#ttlMs))
        .catch(() => undefined)
    }
    return results
  }

  async claimFlag(key: ClientKey, detail: Record<string, unknown>): Promise<boolean> {
    try {
      const set = await this.#redis.set(this.#keys('flag', key).flag, JSON.stringify(detail), 'PX', this.#ttlMs, 'NX')
      return set === 'OK'
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_STORE', `model shield: Redis did not answer (${(cause as Error).message})`, { cause })
    }
  }

  async flagOf(key: ClientKey): Promise<Record<string, unknown> | undefined> {
    const text = await this.#redis.get(this.#keys('flag', key).flag)
    return text === null ? undefined : (JSON.parse(text) as Record<string, unknown>)
  }

  async ping(): Promise<void> {
    await this.#redis.ping()
  }

  async close(): Promise<void> {
    this.#local.clear()
    if (this.#owned) this.#redis.disconnect()
  }
}
