import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { RampartError } from '../core/errors.js'
import { describeIssues } from '../core/policy.js'
import { chatExtractionSchema, modelsSchema } from '../shield/config.js'
import { gateTolerancesSchema } from '../detectors/cycle/gate.js'
import { parseCron } from '../monitor/schedule-cron.js'

const port = z.coerce.number().int().min(0).max(65_535)
const positiveInt = z.coerce.number().int().positive()
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')])

const webhookSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _'),
    url: z.url({ protocol: /^https?$/ }),
    /** Shared secret for the HMAC signature; `${ENV}` is expanded. */
    secret: z.string().min(16, 'use at least 16 characters'),
    /** Event types to send; all by default. */
    events: z.array(z.string()).optional(),
  })
  .strict()

/**
 * Every gateway setting: one schema that validates flags, the config file and `RAMPART_*`
 * variables alike, and gives the type. Precedence: flag > environment > file > default.
 */
export const gatewayConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(8787),
    dataDir: z.string().min(1).default('./rampart-data'),
    /** Base URL of an OpenAI-compatible server (`http://127.0.0.1:11434/v1` or `https://api.openai.com/v1`). */
    upstream: z.url({ protocol: /^https?$/ }).optional(),
    /** Bearer token the gateway sends upstream (the client's own Authorization is a Rampart key and is never forwarded). */
    upstreamApiKey: z.string().min(1).optional(),
    upstreamTimeoutMs: positiveInt.default(60_000),
    policy: z.string().min(1).optional(),
    /** `sqlite:PATH` or `postgres://…`; default `sqlite:<dataDir>/rampart.db`. */
    store: z.string().min(1).optional(),
    redis: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').optional(),
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    /** CA bundle for client certificates; when set, clients must present a certificate it signed. */
    tlsCa: z.string().min(1).optional(),
    /** Allow plain HTTP on a non-loopback address (behind a TLS-terminating proxy). */
    insecureListen: bool.default(false),
    bodyLimit: positiveInt.default(1_048_576),
    /** Per-key requests per minute unless the key sets its own. */
    rateLimitPerMinute: positiveInt.max(60_000_000).default(6_000),
    keyProvider: z.enum(['local', 'aws-kms']).default('local'),
    kmsKeyId: z.string().min(1).optional(),
    kmsRegion: z.string().min(1).optional(),
    kmsEndpoint: z.url().optional(),
    webhooks: z.array(webhookSchema).default([]),
    /**
     * Decisions that raise an alert for the team. Redaction alone is routine data protection (a
     * name or an email in a prompt), not an incident, so by default it is counted in the metrics
     * and marked to the end user but raises no alert; add `redact` to alert on it too.
     * A comma-separated list in flags and `RAMPART_ALERT_ON`.
     */
    alertOn: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : v),
        z.array(z.enum(['flag', 'redact', 'block'])).min(1, 'name at least one of flag, redact, block'),
      )
      .default(['flag', 'block']),
    /**
     * Verdicts of chat messages kept so a conversation's earlier messages are not re-scanned (and
     * re-alerted) on every turn; 0 turns it off.
     */
    historyCacheEntries: z.coerce.number().int().min(0).max(10_000_000).default(10_000),
    /** Let `/metrics` answer without a key (for a Prometheus on a private network). */
    metricsPublic: bool.default(false),
    /** How long a verified API key is trusted before the store is asked again (revocation delay across replicas). */
    keyCacheMs: z.coerce.number().int().min(0).default(5_000),
    /**
     * Keep the full text each alert was raised on (sealed) so a verdict labels what the detector saw;
     * off: verdicts label the alert's redacted excerpt (docs/learning-loop.md).
     */
    alertText: bool.default(true),
    /** How often each process reads which detector version is active in the store (bounds how long another process's activation takes to arrive), ms. */
    detectorPollMs: z.coerce.number().int().min(50).max(3_600_000).default(5_000),
    /**
     * Run the learning cycle (red team, retrain, gate; docs/learning-loop.md) on this five-field
     * UTC cron schedule, e.g. `0 3 * * 0`; one replica of those sharing the store runs each occurrence.
     */
    cycleCron: z
      .string()
      .min(1)
      .optional()
      .superRefine((v, ctx) => {
        if (v === undefined) return
        try {
          parseCron(v)
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message })
        }
      }),
    /** A deployment the scheduled cycle red-teams in round 1 and learns from (default: a scratch gateway in front of the test model). */
    cycleTarget: z.url({ protocol: /^https?$/ }).optional(),
    /** Bearer key for cycleTarget. */
    cycleKey: z.string().min(1).optional(),
    /** The gate's tolerances for the scheduled cycle (detectors/cycle/gate.ts); JSON in RAMPART_CYCLE_TOLERANCES. */
    cycleTolerances: gateTolerancesSchema.partial().optional(),
    /** Processes serving the port (node:cluster); scanning is CPU-bound, so one per core. */
    workers: z.coerce.number().int().min(1).max(64).default(1),
    /**
     * Threads per process that run the scans (scan-pool.ts), so the HTTP thread is not held by
     * them; 0 scans on the HTTP thread. `auto`: one when the machine has more cores than
     * `workers`, else 0.
     */
    scanThreads: z.union([z.literal('auto'), z.coerce.number().int().min(0).max(64)], { error: 'expected auto or a whole number of threads from 0 to 64' }).default('auto'),
    /** Share of proxied chat completions captured for monitoring, 0..1; 0 (off) unless you opt in, since captures keep prompts and answers (sealed). */
    captureSampleRate: z.coerce.number().min(0).max(1).default(0),
    /**
     * Share of `/v1/guard` calls captured (sealed, source `guard`, model id `rampart-guard`) so
     * `rampart replay` covers guard API traffic too; 0 (off) unless you opt in.
     */
    guardCaptureSampleRate: z.coerce.number().min(0).max(1).default(0),
    /** A candidate policy file scanned in shadow beside the active policy: never enforced, disagreements logged, counted and stored (docs/replay.md). */
    shadowPolicy: z.string().min(1).optional(),
    /** A candidate prompt-injection model directory (weights.bin, as models/injection/) run in shadow with the active or the shadow policy. */
    shadowDetector: z.string().min(1).optional(),
    /** Texts waiting for the shadow scanner at most; beyond it they are dropped and counted (rampart_shadow_dropped_total). */
    shadowQueue: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
    /** Classical models behind `/v1/models/{name}/predict`, with their shield settings (shield/config.ts). */
    models: modelsSchema,
    /** Extraction detection on the chat proxy (off unless set). */
    chatExtraction: chatExtractionSchema.optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .refine((c) => (c.tlsCert === undefined) === (c.tlsKey === undefined), { message: 'give both tlsCert and tlsKey, or neither', path: ['tlsKey'] })
  .refine((c) => c.tlsCa === undefined || c.tlsCert !== undefined, { message: 'tlsCa (client certificates) needs tlsCert and tlsKey', path: ['tlsCa'] })
  .refine((c) => c.keyProvider !== 'aws-kms' || c.kmsKeyId !== undefined, { message: 'keyProvider aws-kms needs kmsKeyId', path: ['kmsKeyId'] })

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>

/** Setting name → environment variable: `upstreamTimeoutMs` ↔ `RAMPART_UPSTREAM_TIMEOUT_MS`. */
export function envName(key: string): string {
  return `RAMPART_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`
}

const SETTING_KEYS = Object.keys(gatewayConfigSchema.shape) as (keyof GatewayConfig)[]
/** Settings given as JSON in their environment variable. */
const JSON_SETTINGS = new Set<string>(['webhooks', 'models', 'chatExtraction', 'cycleTolerances'])

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of SETTING_KEYS) {
    const value = env[envName(key)]
    if (value === undefined || value === '') continue
    out[key] = JSON_SETTINGS.has(key) ? parseJsonSetting(value, envName(key)) : value
  }
  return out
}

function parseJsonSetting(value: string, where: string): unknown {
  try {
    return JSON.parse(value)
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `${where}: not valid JSON (${(cause as Error).message})`, { path: where, cause })
  }
}

function fromFile(file: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `config file ${file}: ${(cause as Error).message}`, { path: file, cause })
  }
  let raw: unknown
  try {
    raw = parseYaml(text, { uniqueKeys: true })
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `config file ${file}: ${(cause as Error).message}`, { path: file, cause })
  }
  if (raw === null || raw === undefined) return {}
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `config file ${file}: expected a mapping of settings`, { path: file })
  }
  return raw as Record<string, unknown>
}

function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
      const v = env[name]
      if (v === undefined) throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `${path}: environment variable ${name} is not set`, { path })
      return v
    })
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${path}.${i}`))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, `${path}.${k}`)]))
  }
  return value
}

export interface ConfigSources {
  /** Flags as parsed by the CLI (undefined values are ignored). */
  flags?: Record<string, unknown>
  env?: NodeJS.ProcessEnv
  /** A YAML or JSON config file (`--config`, or `RAMPART_CONFIG`). */
  file?: string
}

/** Merges the sources (flag > env > file > default) and validates the result, naming the bad setting. */
export function loadGatewayConfig(sources: ConfigSources = {}): GatewayConfig {
  const env = sources.env ?? {}
  const file = sources.file ?? env.RAMPART_CONFIG
  const fileValues = file === undefined ? {} : (expandEnv(fromFile(file), env, 'config') as Record<string, unknown>)
  const flagValues = Object.fromEntries(Object.entries(sources.flags ?? {}).filter(([, v]) => v !== undefined))
  const merged = { ...fileValues, ...fromEnv(env), ...flagValues }
  const parsed = gatewayConfigSchema.safeParse(merged)
  if (!parsed.success) {
    const { message, path } = describeIssues(parsed.error.issues, 'config')
    const origin = (key: string | undefined) =>
      key === undefined ? '' : key in flagValues ? ` (from --${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)})` : envName(key) in env ? ` (from ${envName(key)})` : file !== undefined ? ` (from ${file})` : ''
    const key = path?.split('.')[1]
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `${message}${origin(key)}`, path === undefined ? {} : { path })
  }
  const config = parsed.data
  config.dataDir = resolve(config.dataDir)
  assertSafeListen(config)
  return config
}

/** Loopback hosts may serve plain HTTP; anything else needs TLS or an explicit opt-out. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  if (isIP(host) === 6) return host === '::1'
  return false
}

function assertSafeListen(config: GatewayConfig): void {
  if (!isLoopback(config.host) && config.tlsCert === undefined && !config.insecureListen) {
    throw new RampartError(
      'RAMPART_ERR_CONFIG_INVALID',
      `refusing to listen on ${config.host} without TLS: give --tls-cert and --tls-key, or --insecure-listen when a TLS-terminating proxy sits in front`,
      { path: 'config.host' },
    )
  }
}

/** The store URL in force: `--store`, or SQLite in the data folder. */
export function storeUrl(config: Pick<GatewayConfig, 'store' | 'dataDir'>): string {
  return config.store ?? `sqlite:${join(config.dataDir, 'rampart.db')}`
}
