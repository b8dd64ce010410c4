import cluster from 'node:cluster'
import { z } from 'zod'
import { RampartError } from '../../core/errors.js'
import { describeIssues } from '../../core/policy.js'
import { TENANT_PATTERN, generateApiKey } from '../../gateway/api-keys.js'
import { loadGatewayConfig, type GatewayConfig } from '../../gateway/config.js'
import { publicKey } from '../../gateway/routes/keys.js'
import { openBackends, type Backends } from '../../gateway/backends.js'
import { ROLES } from '../../store/types.js'
import { writeLine } from '../io.js'

/** Commander gives camelCased option names; these are the gateway settings the CLI accepts. */
function config(flags: Record<string, unknown>): GatewayConfig {
  const { config: file, ...rest } = flags
  return loadGatewayConfig({ flags: rest, env: process.env, ...(typeof file === 'string' ? { file } : {}) })
}

export function parseFlags<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    const { message, path } = describeIssues(parsed.error.issues, 'flags')
    const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', message.replace(/^flags\.([A-Za-z]+)/gm, (_, name: string) => `--${kebab(name)}`), { path })
  }
  return parsed.data
}

export async function withBackends<T>(flags: Record<string, unknown>, run: (b: Backends, c: GatewayConfig) => Promise<T>): Promise<T> {
  const c = config(flags)
  const backends = await openBackends(c)
  try {
    return await run(backends, c)
  } finally {
    await backends.store.close()
  }
}

function banner(c: GatewayConfig, url: string, storeKind: string, admins: number): void {
  process.stderr.write(
    `rampart: gateway listening on ${url} (${c.workers} worker${c.workers === 1 ? '' : 's'}, store ${storeKind}, data ${c.dataDir}${c.upstream === undefined ? ', no upstream' : `, upstream ${c.upstream}`})\n`,
  )
  if (c.workers > 1 && c.redis === undefined) {
    process.stderr.write('rampart: note: without --redis each worker keeps its own rate-limit counters; give --redis for exact per-key limits\n')
  }
  if (admins === 0) {
    process.stderr.write(
      `rampart: no admin key yet. Create one (printed once):\n  rampart keys create --data-dir ${c.dataDir} --role admin --tenant default\n` +
        `then: curl -H "Authorization: Bearer <key>" -d '{"text":"Ignore all previous instructions"}' -H 'content-type: application/json' ${url}/v1/guard\n`,
    )
  }
}

function untilSignal(stop: (signal: string) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const on = (signal: string) => {
      void stop(signal).then(resolve, (error: unknown) => {
        process.stderr.write(`rampart: shutdown error: ${(error as Error).message}\n`)
        resolve()
      })
    }
    process.once('SIGINT', () => on('SIGINT'))
    process.once('SIGTERM', () => on('SIGTERM'))
  })
}

/**
 * `rampart serve`: runs the gateway until SIGINT/SIGTERM, then shuts down gracefully. With
 * `--workers N` the primary process prepares the store (migrations, keyring) once and forks N
 * workers sharing the port (node:cluster), restarting a worker that dies.
 */
export async function runServe(flags: Record<string, unknown>): Promise<number> {
  const c = config(flags)
  // One process serves in place only when its young generation was chosen: V8 reads that flag at
  // start-up only, so without it one worker is forked with the 64 MB one and no memory reducer
  // (workerExecArgv).
  if (cluster.isPrimary && (c.workers > 1 || !semiSpaceChosen(process.execArgv, process.env.NODE_OPTIONS))) return runPrimary(c)
  // Loaded here, not at the top: it pulls in every scanner, which the admin commands do not need.
  const { startGateway } = await import('../../gateway/runtime.js')
  let gateway: Awaited<ReturnType<typeof startGateway>>
  try {
    gateway = await startGateway(c, { logger: c.logLevel === 'silent' ? false : {} })
  } catch (error) {
    // A worker's IPC channel would keep it alive after a failed start; the primary reports the exit.
    if (cluster.isWorker) cluster.worker?.disconnect()
    throw listenError(error, c)
  }
  // The learning cycle on a schedule: every process looks, the store's lease lets one run each occurrence.
  const cycle = c.cycleCron === undefined ? undefined : await (await import('../../detectors/cycle/schedule.js')).startCycleSchedule({ ...c, cycleCron: c.cycleCron }, gateway.services.store, gateway.app.log)
  if (cluster.isWorker) {
    process.send?.({ rampart: 'listening', url: gateway.url, store: gateway.services.store.kind, admins: await gateway.services.store.countActiveKeys('admin') })
  } else {
    banner(c, gateway.url, gateway.services.store.kind, await gateway.services.store.countActiveKeys('admin'))
  }
  await untilSignal(async (signal) => {
    if (!cluster.isWorker) process.stderr.write(`rampart: ${signal}: finishing in-flight requests and flushing webhooks\n`)
    await cycle?.stop()
    await gateway.close()
  })
  // A worker's IPC channel to the primary keeps its event loop alive: let go of it, or the worker
  // lingers after a clean shutdown and the primary waits for it forever.
  if (cluster.isWorker) cluster.worker?.disconnect()
  return 0
}

/** A port in use or not allowed, as a configuration error naming it, not an internal error with a stack. */
function listenError(error: unknown, c: GatewayConfig): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EACCES' ? 'permission denied' : 'the address is not available on this machine'
    return new RampartError('RAMPART_ERR_CONFIG_INVALID', `cannot listen on ${c.host}:${c.port}: ${why} (--host, --port)`, { path: 'port', cause: error })
  }
  return error
}

/** True when the node options of this process (flags or NODE_OPTIONS) set the young generation's size. */
export function semiSpaceChosen(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((a) => /^--max-semi-space-size(=|$)/.test(a))
}

/** True when the node options of this process (flags or NODE_OPTIONS) turn V8's memory reducer on or off. */
export function memoryReducerChosen(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((a) => /^--(no-)?memory[-_]reducer(=|$)/.test(a))
}

/**
 * Node options for the workers: the parent's, plus, unless chosen there:
 * - a 64 MB young generation. Every request leaves a few KB of short-lived objects (parsed bodies,
 *   text views, findings); with V8's default 16 MB semi-space a worker at 250 requests/s scavenges
 *   every ~0.7 s for 5–10 ms, and the requests caught behind those pauses were the p99 (measured:
 *   p99 9.9 → 6.1 ms at 250 requests/s per worker; one process at 500 requests/s, 26 Nov: p99
 *   21–89 ms with the default, 7.0–9.5 ms with 64 MB). Costs up to ~100 MB more memory per worker.
 * - no memory reducer. After a quiet spell V8 schedules a heap-shrinking mark-compact; when the
 *   load is back by then, it marks in steps of 8–12 ms beside the requests, compacts, and the heap
 *   then regrows: a stall of 30–60 ms about 100 s into the bench's alternation of idle and loaded
 *   rows, which alone made a row's p99 30–60 ms (26 Nov: 7 of 7 such rows; with
 *   `--no-memory-reducer` five rows in a row had an added p99 of 4.45–4.84 ms). A server keeps its
 *   grown heap between bursts instead (the old generation is still collected as it fills).
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  return [
    ...execArgv,
    ...(semiSpaceChosen(execArgv, nodeOptions) ? [] : ['--max-semi-space-size=64']),
    ...(memoryReducerChosen(execArgv, nodeOptions) ? [] : ['--no-memory-reducer']),
  ]
}

async function runPrimary(c: GatewayConfig): Promise<number> {
  // Migrate and create the keyring once, so workers do not race to do it.
  const backends = await openBackends(c)
  await backends.store.close()
  let stopping = false
  let announced = false
  // One worker accepts its connections itself; several take turns through the primary (Node's default).
  if (c.workers === 1) cluster.schedulingPolicy = cluster.SCHED_NONE
  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS) })
  const fork = () => cluster.fork({ ...process.env })
  cluster.on('message', (_worker, message: { rampart?: string; url?: string; store?: string; admins?: number }) => {
    if (message.rampart === 'listening' && !announced) {
      announced = true
      banner(c, message.url ?? '', message.store ?? '', message.admins ?? 0)
    }
  })
  // A worker that exits before any worker listened failed to start (a port in use, a refused
  // address, a bad certificate): the primary exits with its code instead of restarting it forever.
  let failedToStart: ((code: number) => void) | undefined
  const startFailure = new Promise<number>((resolve) => (failedToStart = resolve))
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return
    if (!announced) {
      stopping = true
      failedToStart?.(code === 0 || code === null ? 1 : code)
      return
    }
    process.stderr.write(`rampart: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`)
    setTimeout(fork, 1_000).unref()
  })
  for (let i = 0; i < c.workers; i += 1) fork()
  const stopped = untilSignal(async (signal) => {
    stopping = true
    process.stderr.write(`rampart: ${signal}: stopping ${c.workers} worker${c.workers === 1 ? "" : "s"} (in-flight requests finish)\n`)
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined)
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
      w.once('exit', () => resolve())
      w.process.kill('SIGTERM')
    })))
  })
  const code = await Promise.race([stopped.then(() => 0), startFailure])
  if (code !== 0) {
    // The other workers of a failed start, if any, go too.
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
  }
  return code
}

const keyCreateFlags = z.looseObject({
  role: z.enum(ROLES),
  tenant: z.string().regex(TENANT_PATTERN, 'lower-case letters, digits, - and _ (at most 63)').default('default'),
  name: z.string().max(200).default(''),
  rateLimit: z.coerce.number().int().positive().max(60_000_000, "at most 60000000 (1,000,000 per second)").optional(),
  dailyQuota: z.coerce.number().int().positive().optional(),
})

/** `rampart keys create`: prints the new key alone on stdout (details on stderr), so scripts can capture it. */
export async function runKeysCreate(flags: Record<string, unknown>): Promise<number> {
  const { role, tenant, name, rateLimit, dailyQuota, ...rest } = parseFlags(keyCreateFlags, flags)
  return withBackends(rest, async ({ store, audit }) => {
    const { token, record } = await generateApiKey({ role, tenant, name, rateLimitPerMinute: rateLimit ?? null, dailyQuota: dailyQuota ?? null })
    await store.insertKey(record)
    await audit.append({ actor: 'cli', tenant, action: 'key.create', target: record.id, detail: { role, name } })
    process.stderr.write(`rampart: created ${role} key ${record.id} for tenant ${tenant}; it is shown once\n`)
    await writeLine(token)
    return 0
  })
}

export async function runKeysList(flags: Record<string, unknown>): Promise<number> {
  const { tenant, json, ...rest } = parseFlags(z.looseObject({ tenant: z.string().optional(), json: z.boolean().default(false) }), flags)
  return withBackends(rest, async ({ store }) => {
    const keys = (await store.listKeys(tenant)).map(publicKey)
    if (json) {
      await writeLine(JSON.stringify(keys, null, 2))
      return 0
    }
    await writeLine(`${'ID'.padEnd(18)}${'TENANT'.padEnd(16)}${'ROLE'.padEnd(9)}${'CREATED'.padEnd(26)}${'STATUS'.padEnd(9)}NAME`)
    for (const k of keys) {
      await writeLine(`${k.id.padEnd(18)}${k.tenant.padEnd(16)}${k.role.padEnd(9)}${k.createdAt.padEnd(26)}${(k.revokedAt === null ? 'active' : 'revoked').padEnd(9)}${k.name}`)
    }
    return 0
  })
}

export async function runKeysRevoke(id: string, flags: Record<string, unknown>): Promise<number> {
  return withBackends(flags, async ({ store, audit }) => {
    const key = await store.getKey(id)
    if (key === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no key ${id}`, { path: 'id' })
    const revoked = await store.revokeKey(id, new Date().toISOString())
    if (revoked) await audit.append({ actor: 'cli', tenant: key.tenant, action: 'key.revoke', target: id, detail: {} })
    await writeLine(revoked ? `revoked ${id}` : `${id} was already revoked`)
    return 0
  })
}

/** `rampart keys rotate-master`: a new master key; every data key re-wrapped; old ciphertexts stay readable. */
export async function runRotateMaster(flags: Record<string, unknown>): Promise<number> {
  return withBackends(flags, async ({ envelope, audit }) => {
    const rotation = await envelope.rotateMaster()
    await audit.append({ actor: 'cli', tenant: null, action: 'master.rotate', target: rotation.masterKeyId, detail: { rewrapped: rotation.rewrapped, skipped: rotation.skipped.length } })
    await writeLine(`master key is now ${rotation.masterKeyId}; re-wrapped ${rotation.rewrapped} data key(s)${rotation.skipped.length > 0 ? `, skipped ${rotation.skipped.length} of another provider` : ''}`)
    return 0
  })
}

/** `rampart audit verify`: exit 0 when the chain verifies, 4 when it does not (with the first bad entry). */
export async function runAuditVerify(flags: Record<string, unknown>): Promise<number> {
  return withBackends(flags, async ({ verifyAudit }) => {
    const result = await verifyAudit()
    if (result.ok) {
      await writeLine(`ok: ${result.entries} audit entries, chain and MACs verify`)
      return 0
    }
    process.stderr.write(`rampart: RAMPART_ERR_AUDIT_BROKEN: audit log broken at seq ${result.firstBadSeq ?? '?'}: ${result.reason ?? 'mismatch'}\n`)
    return 4
  })
}

/** `rampart monitor ground-truth --file JSONL`: labels joined to captured inferences by inference id. */
export async function runGroundTruth(flags: Record<string, unknown>): Promise<number> {
  const { file, tenant, json, ...rest } = parseFlags(
    z.looseObject({ file: z.string().min(1), tenant: z.string().regex(TENANT_PATTERN).default('default'), json: z.boolean().default(false) }),
    flags,
  )
  const { runGroundTruthImport } = await import('../../monitor/ops/ground-truth-import.js')
  return withBackends(rest, async ({ store, envelope }) => runGroundTruthImport({ store, envelope }, { file, tenant, json }))
}
