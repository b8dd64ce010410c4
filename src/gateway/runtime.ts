import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import type { FastifyInstance } from 'fastify'
import { RampartError } from '../core/errors.js'
import { parsePolicy } from '../core/policy.js'
import { createGuard, resolvePolicy } from '../guard.js'
import { builtinRegistry } from '../scanners/index.js'
import { MonitorOps } from '../monitor/ops/monitor-ops.js'
import type { RunChecks } from '../monitor/types.js'
import { createRateLimiter } from '../ratelimit/index.js'
import type { RateLimiter } from '../ratelimit/types.js'
import { createOutboxDispatcher, type OutboxDispatcher } from '../alerts/outbox.js'
import { createWebhookNotifier } from '../alerts/notifier.js'
import type { Notifier } from '../alerts/notifier.js'
import { ShieldService } from '../shield/service.js'
import { MemoryShieldState } from '../shield/state.js'
import { RedisShieldState } from '../store/redis/shield-state.js'
import { DetectorWatcher } from '../detectors/registry.js'
import { AlertService } from './alert-service.js'
import { openBackends } from './backends.js'
import { LOG_REDACT, buildApp } from './app.js'
import { isLoopback, type GatewayConfig } from './config.js'
import { GuardResolver } from './guards.js'
import { ScanPool } from './scan-pool.js'
import { HistoryCache } from './history-cache.js'
import { Authenticator } from './plugins/auth.js'
import { GatewayMetrics } from './plugins/metrics.js'
import type { GatewayServices } from './services.js'
import { ShadowService } from './shadow.js'
import { Upstream } from './upstream.js'

export interface RunningGateway {
  app: FastifyInstance
  services: GatewayServices
  /** `http://127.0.0.1:8787` (the address actually bound). */
  url: string
  /** Stops accepting, finishes in-flight requests, flushes the webhook outbox, closes the store. */
  close(): Promise<void>
}

function readTls(config: GatewayConfig) {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined
  const read = (file: string, flag: string) => {
    try {
      return readFileSync(file)
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `${flag} ${file}: ${(cause as Error).message}`, { path: flag, cause })
    }
  }
  return {
    cert: read(config.tlsCert, '--tls-cert'),
    key: read(config.tlsKey, '--tls-key'),
    ...(config.tlsCa === undefined ? {} : { ca: read(config.tlsCa, '--tls-ca'), requestCert: true, rejectUnauthorized: true }),
  }
}

/** Builds every service from the configuration and listens. */
export interface StartGatewayOptions {
  logger?: boolean | Record<string, unknown>
  /** The checks monitoring schedules run (default: monitor/checks.ts's runChecks, loaded at the first run). */
  runChecks?: RunChecks
  /** Monitor timers: due-schedule tick and all-alarms evaluation, ms (defaults 15 000 and 60 000); its clock (tests). */
  monitor?: { tickMs?: number; alarmEvaluationMs?: number; now?: () => number }
}

export async function startGateway(config: GatewayConfig, options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const https = readTls(config)
  // loadGatewayConfig checks this too, but a library caller may build the configuration without it.
  if (https === undefined && !config.insecureListen && !isLoopback(config.host)) {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', `refusing to listen on ${config.host} without TLS: give tlsCert and tlsKey, or insecureListen behind a TLS-terminating proxy`, { path: 'config.host' })
  }
  const backends = await openBackends(config)
  const { store, envelope, audit } = backends
  let limiter: RateLimiter | undefined
  let dispatcher: OutboxDispatcher | undefined
  let upstream: Upstream | undefined
  let monitor: MonitorOps | undefined
  let shield: ShieldService | undefined
  let detectors: DetectorWatcher | undefined
  let pool: ScanPool | undefined
  // Components built before the app log through it once it exists (the app owns the pino instance).
  let appLog: FastifyInstance['log'] | undefined
  const log = {
    warn: (obj: Record<string, unknown>, msg: string) => appLog?.warn(obj, msg),
    error: (obj: Record<string, unknown>, msg: string) => appLog?.error(obj, msg),
  }
  try {
    limiter = await createRateLimiter(config.redis === undefined ? {} : { redisUrl: config.redis, onError: (err) => log.error({ err: err.message }, 'rate limiter backend failed') })
    const metrics = new GatewayMetrics()
    const notifiers = new Map<string, Notifier>(config.webhooks.map((w) => [w.name, createWebhookNotifier({ name: w.name, url: w.url, secret: w.secret })]))
    dispatcher = notifiers.size === 0 ? undefined : createOutboxDispatcher({ store, envelope, notifiers, logger: log })
    const targetsFor = (event: string) => config.webhooks.filter((w) => w.events === undefined || w.events.includes(event)).map((w) => w.name)
    const threads = config.scanThreads === 'auto' ? (config.workers < availableParallelism() ? 1 : 0) : config.scanThreads
    pool = threads === 0 ? undefined : new ScanPool({ threads, onThreadError: (err) => log.error({ err: err.message }, 'scan thread failed; replaced, its scans run on the HTTP thread') })
    const remote = pool === undefined ? undefined : pool.guard.bind(pool)
    const alerts = new AlertService({
      store,
      sealer: envelope,
      audit,
      ...(dispatcher === undefined ? {} : { publisher: { publish: async (alert) => void (await dispatcher!.enqueueAlert(alert, targetsFor('alert.created'))) } }),
      onAlert: (a) => metrics.alerts.inc({ severity: a.severity, source: a.source }),
      ...(remote === undefined ? {} : { guardFor: async (policy: unknown) => remote(parsePolicy(policy, builtinRegistry(), 'alert-excerpt')) }),
      alertOn: config.alertOn,
      keepText: config.alertText,
    })
    const defaultGuard =
      remote === undefined
        ? await createGuard(config.policy === undefined ? {} : { policy: config.policy })
        : remote(resolvePolicy(config.policy, builtinRegistry()))
    upstream =
      config.upstream === undefined
        ? undefined
        : new Upstream(config.upstream, {
            apiKey: config.upstreamApiKey,
            timeoutMs: config.upstreamTimeoutMs,
            onError: (kind) => metrics.upstreamErrors.inc({ kind }),
            onHeaders: (s) => metrics.upstreamDuration.observe(s),
          })
    const auth = new Authenticator({
      keys: store,
      limiter,
      defaultRateLimitPerMinute: config.rateLimitPerMinute,
      cacheMs: config.keyCacheMs,
      metricsPublic: config.metricsPublic,
      onTouch: (id) => void store.touchKey(id, new Date().toISOString()).catch(() => undefined),
    })
    monitor = new MonitorOps({
      store,
      sealer: envelope,
      audit,
      alerts,
      publish:
        dispatcher === undefined
          ? undefined
          : async (event, data) => {
              const targets = targetsFor(event)
              if (targets.length > 0) await dispatcher!.enqueue(event, data, targets)
            },
      registry: metrics.registry,
      runChecks: options.runChecks ?? (async (input) => (await import('../monitor/checks.js')).runChecks(input)),
      dataDir: config.dataDir,
      captureSampleRate: config.captureSampleRate,
      guardCaptureSampleRate: config.guardCaptureSampleRate,
      logger: log,
      ...options.monitor,
    })
    if (config.models.length > 0 || config.chatExtraction !== undefined) {
      // With Redis, detection state is shared by the replicas and kept over restarts.
      const state =
        config.redis === undefined ? new MemoryShieldState() : new RedisShieldState({ url: config.redis, onError: (err) => log.error({ err: err.message }, 'model shield: Redis failed') })
      if (state instanceof RedisShieldState) await state.ready()
      shield = new ShieldService(config.models, config.chatExtraction, {
        state,
        alerts,
        audit,
        keys: store,
        forgetKey: (id) => auth.forget(id),
        limiter,
        capture: monitor,
        registry: metrics.registry,
      })
    }
    const guards = new GuardResolver(store, defaultGuard, remote === undefined ? {} : { remote })
    // Always there: tenants can put a stored policy version in shadow (PUT /v1/shadow/policy) without a restart.
    const shadow = await ShadowService.create(
      { ...(config.shadowPolicy === undefined ? {} : { policyFile: config.shadowPolicy }), ...(config.shadowDetector === undefined ? {} : { detectorDir: config.shadowDetector }) },
      {
        captures: monitor.captures,
        registry: metrics.registry,
        logger: log,
        maxQueue: config.shadowQueue,
        tenantShadow: async (tenant) => {
          const record = await store.getShadowPolicyVersion(tenant)
          return record === undefined ? undefined : { version: record.version, guard: await guards.forVersion(tenant, record.version) }
        },
      },
    )
    // prompt_injection scores with the version active in the store, re-read every detectorPollMs (detectors/registry.ts).
    detectors = new DetectorWatcher({ store, pollMs: config.detectorPollMs, logger: { info: (obj, msg) => appLog?.info(obj, msg), error: log.error } })
    await detectors.start()
    const services: GatewayServices = {
      config,
      store,
      sealer: envelope,
      audit,
      alerts,
      guards,
      ...(config.historyCacheEntries > 0 ? { history: new HistoryCache({ maxEntries: config.historyCacheEntries }) } : {}),
      auth,
      metrics,
      upstream,
      verifyAudit: backends.verifyAudit,
      monitor,
      ...(shield === undefined ? {} : { shield }),
      shadow,
      detectors,
      ...(config.redis === undefined ? {} : { readiness: async () => void (await limiter!.ping?.()) }),
    }
    const app = buildApp(services, {
      logger: options.logger === false ? false : { level: config.logLevel, redact: LOG_REDACT, ...(typeof options.logger === 'object' ? options.logger : {}) },
      ...(https === undefined ? {} : { https }),
    })
    appLog = app.log
    app.log.info({ detector: 'prompt_injection', version: detectors.current.builtin ? 'builtin' : detectors.current.id }, 'detector version in use')
    dispatcher?.start()
    const address = await app.listen({ host: config.host, port: config.port })
    monitor.start()
    const url = https === undefined ? address : address.replace(/^http:/, 'https:')
    let closing: Promise<void> | undefined
    return {
      app,
      services,
      url,
      close: () =>
        (closing ??= (async () => {
          // Node drops idle keep-alive connections once, when closing starts; one whose request was
          // in flight then would hold the close open until its client lets go (up to keepAliveTimeout).
          const sweep = setInterval(() => app.server.closeIdleConnections(), 100)
          try {
            await app.close()
          } finally {
            clearInterval(sweep)
          }
          // Texts already queued for the shadow candidate are scanned and stored before the store closes.
          await shadow.idle()
          await pool?.close()
          // Before the outbox stops: a run finishing now may still queue an alarm webhook.
          await monitor?.stop()
          await shield?.close()
          await dispatcher?.stop({ flush: true })
          await limiter?.close()
          await upstream?.close()
          await detectors?.stop()
          await store.close()
        })()),
    }
  } catch (error) {
    await monitor?.stop().catch(() => undefined)
    await shield?.close().catch(() => undefined)
    await dispatcher?.stop({ flush: false }).catch(() => undefined)
    await limiter?.close().catch(() => undefined)
    await upstream?.close().catch(() => undefined)
    await detectors?.stop().catch(() => undefined)
    await pool?.close().catch(() => undefined)
    await store.close().catch(() => undefined)
    throw error
  }
}
