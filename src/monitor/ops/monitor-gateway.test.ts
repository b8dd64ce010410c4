import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyWebhook } from '../../alerts/signing.js'
import { startWebhookReceiver, type WebhookReceiver } from '../../alerts/testing.js'
import { startMockUpstream, type MockUpstream } from '../../gateway/mock-upstream.js'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateApiKey } from '../../gateway/api-keys.js'
import { loadGatewayConfig, type GatewayConfigInput } from '../../gateway/config.js'
import { startGateway, type RunningGateway } from '../../gateway/runtime.js'
import { openRawDatabase, postgresAvailable, postgresBackend, sqliteBackend, type StoreBackend } from '../../gateway/testing.js'
import type { Role } from '../../store/types.js'
import { buildBaseline, writeBaseline } from '../baseline.js'
import { DatasetProfiler } from '../profile/dataset.js'

const SECRET = 'monitor-webhook-secret-0123456789'
const pgUrl = await postgresAvailable()
if (pgUrl === undefined) console.warn('SKIPPED: monitor end-to-end on PostgreSQL — no server answers at 127.0.0.1:5432 (set RAMPART_TEST_PG_URL)')
const backends: StoreBackend[] = [sqliteBackend, ...(pgUrl === undefined ? [] : [postgresBackend(pgUrl)])]

/** Loan applications: ages 20-69, incomes 30-80k, plan pro or free (seeded, so every run sees the same data). */
function applications(n: number, seed: number, ageShift = 0): Record<string, unknown>[] {
  let state = seed
  const random = () => (state = (state * 16_807) % 2_147_483_647) / 2_147_483_647
  return Array.from({ length: n }, () => ({ age: 20 + Math.floor(random() * 50) + ageShift, income: Math.round(30_000 + random() * 50_000), plan: random() < 0.5 ? 'pro' : 'free' }))
}

/** A real baseline (`rampart monitor baseline`'s files) of 2,000 applications in the tenant's baselines folder. */
function writeCreditBaseline(dataDir: string): { dir: string; stored: Record<string, unknown> } {
  const profile = new DatasetProfiler()
  // The model's answer is a column of captured rows too, so the baseline has it (as on scored training data).
  for (const [i, row] of applications(2_000, 7).entries()) profile.addRecord({ ...row, approved: i % 3 === 0 })
  const dir = join(dataDir, 'baselines', 'default', 'credit', 'v1')
  writeBaseline(dir, buildBaseline(profile))
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>
  return { dir, stored: { statistics: read('statistics.json'), constraints: read('constraints.json'), ...(existsSync(join(dir, 'profile.json')) ? { profile: read('profile.json') } : {}) } }
}

/** The monitor's clock: real time plus whatever the test skips ahead ("an hour later"). */
const clock = { offsetMs: 0, now: () => Date.now() + clock.offsetMs }

interface MonitorGateway extends RunningGateway {
  dataDir: string
  key(role: Role, tenant?: string): Promise<string>
  call(path: string, init?: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>
}

/** startTestGateway's twin with the monitor on a clock the test moves. */
async function startMonitorGateway(settings: Partial<GatewayConfigInput> & { storeUrl?: string | undefined }): Promise<MonitorGateway> {
  const { storeUrl, ...rest } = settings
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-monitor-'))
  const config = loadGatewayConfig({ flags: { port: 0, logLevel: 'silent', dataDir, keyCacheMs: 0, ...(storeUrl === undefined ? {} : { store: storeUrl }), ...rest }, env: {} })
  const gateway = await startGateway(config, { logger: false, monitor: { now: clock.now } })
  return {
    ...gateway,
    dataDir,
    async key(role, tenant = 'default') {
      const { token, record } = await generateApiKey({ role, tenant, rateLimitPerMinute: null, dailyQuota: null })
      await gateway.services.store.insertKey(record)
      return token
    },
    call(path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) }
      if (init.key !== undefined) headers.authorization = `Bearer ${init.key}`
      if (init.body !== undefined) headers['content-type'] = 'application/json'
      return fetch(`${gateway.url}${path}`, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) })
    },
    async close() {
      await gateway.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

interface Delivery {
  id: string
  type: string
  data: { alarm: { id: string; name: string; tenant: string }; oldState: string; newState: string; reason: string; reasonData: { rule: string } }
}

describe.each(backends.map((b) => [b.name, b] as const))('monitor end to end on %s', (_name, backend) => {
  let gw: MonitorGateway
  let receiver: WebhookReceiver
  let upstream: MockUpstream
  let dispose: () => Promise<void>
  let storeUrl: string | undefined
  let admin: string
  let app: string
  let analyst: string
  let otherAdmin: string

  beforeAll(async () => {
    receiver = await startWebhookReceiver()
    upstream = await startMockUpstream()
    const store = await backend.create()
    dispose = store.dispose
    storeUrl = store.url
    gw = await startMonitorGateway({
      storeUrl,
      upstream: upstream.url,
      captureSampleRate: 1,
      webhooks: [{ name: 'siem', url: receiver.url, secret: SECRET, events: ['alarm.state_changed', 'alert.created'] }],
    })
    admin = await gw.key('admin')
    app = await gw.key('app')
    analyst = await gw.key('analyst')
    otherAdmin = await gw.key('admin', 'acme')
  })
  afterAll(async () => {
    await gw?.close()
    await receiver?.close()
    await upstream?.close()
    await dispose?.()
  })

  const json = async <T>(res: Response, status: number): Promise<T> => {
    const text = await res.text()
    expect(res.status, text).toBe(status)
    return (text === '' ? undefined : JSON.parse(text)) as T
  }
  const alarmDeliveries = (): Delivery[] =>
    receiver.received.map((r) => JSON.parse(r.body) as Delivery).filter((d) => d.type === 'alarm.state_changed')
  async function waitFor<T>(probe: () => T | undefined, what: string, ms = 10_000): Promise<T> {
    const end = Date.now() + ms
    for (;;) {
      const value = probe()
      if (value !== undefined) return value
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  it('capture → scheduled run → violation → alarm in ALARM → signed webhook, then back to OK', async () => {
    const baseline = writeCreditBaseline(gw.dataDir)
    const schedule = await json<{ id: string; nextRunAt: string; baseline: unknown }>(
      await gw.call('/v1/monitor/schedules', { key: admin, body: { name: 'credit hourly', cron: '0 * * * *', modelId: 'credit-v1', baseline: { dir: 'credit/v1' } } }),
      201,
    )
    expect(schedule.baseline).toEqual({ dir: 'credit/v1' })
    // The same baseline stored in a schedule of its own (what several replicas use).
    const storedSchedule = await json<{ id: string; baseline: unknown }>(
      await gw.call('/v1/monitor/schedules', { key: admin, body: { name: 'credit stored', cron: '@daily', modelId: 'credit-v1', baseline: baseline.stored } }),
      201,
    )
    expect(storedSchedule.baseline).toEqual({ stored: true })
    expect(Date.parse(schedule.nextRunAt)).toBeGreaterThan(Date.now())
    const alarm = await json<{ id: string; state: string }>(
      await gw.call('/v1/monitor/alarms', {
        key: admin,
        body: { name: 'credit violations', scheduleId: schedule.id, metricName: 'run.violations', statistic: 'Maximum', comparison: 'GreaterThanThreshold', threshold: 0, periodSeconds: 3600 },
      }),
      201,
    )
    expect(alarm.state).toBe('INSUFFICIENT_DATA')

    // Captured traffic: 200 applicants whose ages come 40 years older than the baseline's (a broken upstream field).
    const records = applications(200, 11, 40).map((input, i) => ({ inferenceId: `loan-${i}`, modelId: 'credit-v1', input, output: { approved: i % 3 === 0 } }))
    const captured = await json<{ items: { inferenceId: string; stored: boolean }[] }>(await gw.call('/v1/monitor/capture', { key: app, body: { records } }), 201)
    expect(captured.items.map((c) => c.stored)).toEqual(Array(200).fill(true))
    // Another model's captures are not in this schedule's window.
    await json(await gw.call('/v1/monitor/capture', { key: app, body: { modelId: 'other-model', input: { age: 999 }, output: 1 } }), 201)
    // Another tenant's captures of the same model id are not either.
    await json(await gw.call('/v1/monitor/capture', { key: otherAdmin, body: { modelId: 'credit-v1', input: { age: 999, income: 1 }, output: 1 } }), 201)

    type Run = { id: string; status: string; rows: number; violationCount: number; violations: { feature_name: string; constraint_check_type: string }[]; metrics: { name: string; value: number }[] }
    const run = await json<Run>(await gw.call(`/v1/monitor/schedules/${schedule.id}/run`, { key: admin, method: 'POST' }), 201)
    expect(run).toMatchObject({ status: 'completed', rows: 200 })
    expect(run.violationCount).toBeGreaterThanOrEqual(2)
    const found = run.violations.map((v) => `${v.feature_name}:${v.constraint_check_type}`)
    expect(found).toEqual(expect.arrayContaining(['age:range_check', 'age:baseline_drift_check']))
    expect(found.some((f) => !f.startsWith('age:') && !f.startsWith('*:'))).toBe(false)
    expect(run.metrics).toEqual(expect.arrayContaining([{ name: 'run.violations', value: run.violationCount }, { name: 'run.rows', value: 200 }, { name: 'run.failed', value: 0 }]))
    expect(run.metrics.some((m) => m.name.startsWith('feature.age.drift'))).toBe(true)
    // The stored copy of the baseline finds the same.
    const storedRun = await json<Run>(await gw.call(`/v1/monitor/schedules/${storedSchedule.id}/run`, { key: admin, method: 'POST' }), 201)
    expect(storedRun.violations.map((v) => `${v.feature_name}:${v.constraint_check_type}`)).toEqual(found)

    const inAlarm = await json<{ state: string; stateReason: string }>(await gw.call(`/v1/monitor/alarms/${alarm.id}`, { key: analyst }), 200)
    expect(inAlarm.state).toBe('ALARM')
    expect(inAlarm.stateReason).toMatch(new RegExp(`^Threshold Crossed: 1 of the last 1 datapoints \\[${run.violationCount} \\(`))

    const delivery = await waitFor(() => receiver.received.find((r) => (JSON.parse(r.body) as Delivery).type === 'alarm.state_changed'), 'the alarm webhook')
    expect(verifyWebhook(SECRET, delivery.headers['x-rampart-signature'] as string, delivery.body)).toMatchObject({ ok: true })
    expect(verifyWebhook(SECRET, delivery.headers['x-rampart-signature'] as string, delivery.body.replace('"ALARM"', '"OK"'))).toEqual({ ok: false, reason: 'mismatch' })
    const event = JSON.parse(delivery.body) as Delivery
    expect(event.data).toMatchObject({ oldState: 'INSUFFICIENT_DATA', newState: 'ALARM', alarm: { id: alarm.id, name: 'credit violations', tenant: 'default' }, reasonData: { rule: 'real' } })
    expect(delivery.headers['x-rampart-delivery']).toBe(event.id)

    // The gateway alert that goes with it, in the alert list and as its own webhook.
    const alerts = await json<{ items: { source: string; excerpt: string; findings: { scanner: string; type: string }[] }[] }>(await gw.call('/v1/alerts?scanner=monitor', { key: analyst }), 200)
    expect(alerts.items).toHaveLength(1)
    expect(alerts.items[0]).toMatchObject({ source: 'monitor', findings: [{ scanner: 'monitor', type: 'ALARM' }] })
    expect(alerts.items[0]!.excerpt).toMatch(/credit violations/)
    await waitFor(() => receiver.received.find((r) => (JSON.parse(r.body) as Delivery).type === 'alert.created'), 'the alert webhook')

    const history = await json<{ items: { oldState: string; newState: string }[] }>(await gw.call(`/v1/monitor/alarms/${alarm.id}/history`, { key: analyst }), 200)
    expect(history.items.map((h) => [h.oldState, h.newState])).toEqual([['INSUFFICIENT_DATA', 'ALARM']])

    // Prometheus sees the state, from the store.
    const metrics = await (await gw.call('/metrics', { key: analyst })).text()
    expect(metrics).toContain(`rampart_monitor_alarm_state{alarm_id="${alarm.id}",state="ALARM"} 1`)
    expect(metrics).toContain(`rampart_monitor_run_metric{schedule_id="${schedule.id}",metric="run.violations"} ${run.violationCount}`)

    // An hour later, clean traffic in the next window: no violation, the alarm returns to OK and says so.
    clock.offsetMs += 3_600_000
    await json(await gw.call('/v1/monitor/capture', { key: app, body: { records: applications(200, 23).map((input, i) => ({ inferenceId: `loan-b${i}`, modelId: 'credit-v1', input, output: { approved: i % 3 === 0 } })) } }), 201)
    const second = await json<Run>(await gw.call(`/v1/monitor/schedules/${schedule.id}/run`, { key: admin, method: 'POST' }), 201)
    expect(second.violations).toEqual([])
    expect(second).toMatchObject({ rows: 200, violationCount: 0 })
    const back = await waitFor(() => alarmDeliveries().find((d) => d.data.newState === 'OK'), 'the OK webhook')
    expect(back.data.oldState).toBe('ALARM')
    expect((await json<{ state: string }>(await gw.call(`/v1/monitor/alarms/${alarm.id}`, { key: admin }), 200)).state).toBe('OK')
    // Leaving ALARM raises no second gateway alert.
    expect((await json<{ items: unknown[] }>(await gw.call('/v1/alerts?scanner=monitor', { key: analyst }), 200)).items).toHaveLength(1)

    const runs = await json<{ items: { id: string; violations?: unknown }[] }>(await gw.call(`/v1/monitor/runs?scheduleId=${schedule.id}`, { key: analyst }), 200)
    expect(runs.items.map((r) => r.id)[1]).toBe(run.id)
    expect(runs.items[0]!.violations).toBeUndefined()
    const series = await json<{ points: { value: number }[] }>(await gw.call(`/v1/monitor/metrics?scheduleId=${schedule.id}&name=run.violations&until=${new Date(clock.now()).toISOString()}`, { key: analyst }), 200)
    expect(series.points.map((p) => p.value)).toEqual([run.violationCount, 0])
  })

  it('keeps captures, labels, baselines and violations sealed at rest', async () => {
    const SEALED = /^v1\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+$/
    const raw = await openRawDatabase(storeUrl, gw.dataDir)
    try {
      const payloads = await raw.query<{ payload: string }>('SELECT payload FROM captures')
      expect(payloads.length).toBeGreaterThan(0)
      // Sealed values are the envelope's base64url fields (no JSON can hide in them); plaintext
      // words are checked only when long enough not to turn up in random base64 by chance.
      for (const p of payloads) expect(p.payload).toMatch(SEALED)
      const runs = await raw.query<{ violations: string | null }>('SELECT violations FROM monitor_runs WHERE violations IS NOT NULL')
      expect(runs.length).toBeGreaterThan(0)
      for (const r of runs) expect(r.violations).toMatch(SEALED)
      for (const r of runs) expect(r.violations).not.toMatch(/range_check|feature_name/)
      const schedules = await raw.query<{ baseline_sealed: string }>('SELECT baseline_sealed FROM monitor_schedules WHERE baseline_sealed IS NOT NULL')
      expect(schedules).toHaveLength(1)
      for (const s of schedules) expect(s.baseline_sealed).toMatch(SEALED)
      for (const s of schedules) expect(s.baseline_sealed).not.toMatch(/numerical_statistics/)
    } finally {
      await raw.close()
    }
  })

  it('joins ground truth by inference id, per tenant', async () => {
    const res = await json<{ accepted: number; matched: number }>(
      await gw.call('/v1/monitor/ground-truth', { key: app, body: { labels: [{ inferenceId: 'loan-1', label: 1 }, { inferenceId: 'loan-2', label: 0 }, { inferenceId: 'not-captured', label: 1 }] } }),
      200,
    )
    expect(res).toEqual({ accepted: 3, matched: 2 })
    // The same id in another tenant is not theirs to label.
    expect(await json(await gw.call('/v1/monitor/ground-truth', { key: otherAdmin, body: { labels: [{ inferenceId: 'loan-1', label: 'x' }] } }), 200)).toEqual({ accepted: 1, matched: 0 })
    const monitor = gw.services.monitor!
    const opened = await monitor.captures.open((await gw.services.store.getCapture('default', 'loan-1'))!)
    expect(opened).toMatchObject({ labelled: true, label: 1, input: applications(200, 11, 40)[1] })
  })

  it('captures proxied chat completions under the request id, with the guard verdict', async () => {
    const res = await gw.call('/v1/chat/completions', { key: app, headers: { 'x-request-id': 'chat-inference-1' }, body: { model: 'llama-test', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'What is the capital of France?' }] } })
    expect(res.status).toBe(200)
    await res.text()
    const stream = await gw.call('/v1/chat/completions', { key: app, headers: { 'x-request-id': 'chat-inference-2' }, body: { model: 'llama-test', stream: true, messages: [{ role: 'user', content: 'Say hello to the team' }] } })
    await stream.text()
    const monitor = gw.services.monitor!
    const stored = await waitForAsync(async () => {
      const a = await gw.services.store.getCapture('default', 'chat-inference-1')
      const b = await gw.services.store.getCapture('default', 'chat-inference-2')
      return a !== undefined && b !== undefined ? [a, b] : undefined
    })
    const [plain, streamed] = await Promise.all(stored.map((s) => monitor.captures.open(s)))
    expect(plain).toMatchObject({ modelId: 'llama-test', source: 'proxy', input: 'What is the capital of France?', guard: { decision: 'allow', flagged: false } })
    expect(plain!.output).toContain('capital of France')
    expect(streamed).toMatchObject({ input: 'Say hello to the team', source: 'proxy' })
    expect(streamed!.output).toContain('Say hello to the team')
  })

  it('scopes every object to the tenant and every route to its roles', async () => {
    const schedules = await json<{ items: { id: string }[] }>(await gw.call('/v1/monitor/schedules', { key: analyst }), 200)
    const id = schedules.items[0]!.id
    const alarms = await json<{ items: { id: string }[] }>(await gw.call('/v1/monitor/alarms', { key: analyst }), 200)
    const alarmId = alarms.items[0]!.id
    expect((await gw.call(`/v1/monitor/schedules/${id}`, { key: otherAdmin })).status).toBe(404)
    expect((await gw.call(`/v1/monitor/schedules/${id}/run`, { key: otherAdmin, method: 'POST' })).status).toBe(404)
    expect((await gw.call(`/v1/monitor/alarms/${alarmId}`, { key: otherAdmin })).status).toBe(404)
    expect((await gw.call(`/v1/monitor/alarms/${alarmId}/history`, { key: otherAdmin })).status).toBe(404)
    expect(await json(await gw.call('/v1/monitor/runs', { key: otherAdmin }), 200)).toEqual({ items: [] })
    expect((await gw.call(`/v1/monitor/metrics?scheduleId=${id}&name=run.rows`, { key: otherAdmin }).then((r) => r.json())) as unknown).toMatchObject({ points: [] })
    // An alarm cannot watch another tenant's schedule.
    const foreign = await gw.call('/v1/monitor/alarms', { key: otherAdmin, body: { name: 'x', scheduleId: id, metricName: 'run.rows', comparison: 'LessThanThreshold', threshold: 1 } })
    expect(foreign.status).toBe(404)

    expect((await gw.call('/v1/monitor/schedules', { key: analyst, body: { name: 'n', cron: '@daily', modelId: 'm', baseline: { statistics: {}, constraints: {} } } })).status).toBe(403)
    expect((await gw.call('/v1/monitor/schedules', { key: app })).status).toBe(403)
    expect((await gw.call('/v1/monitor/runs', { key: app })).status).toBe(403)
    expect((await gw.call('/v1/monitor/capture', { key: analyst, body: { modelId: 'm', input: 'x', output: 'y' } })).status).toBe(403)
    expect((await gw.call('/v1/monitor/capture', { body: { modelId: 'm', input: 'x', output: 'y' } })).status).toBe(401)
  })

  it('refuses bad schedules and alarms with the field named', async () => {
    const bad = async (path: string, body: unknown, field: string, message?: RegExp) => {
      const res = await json<{ error: { code: string; path: string; message: string } }>(await gw.call(path, { key: admin, body }), 400)
      expect(res.error).toMatchObject({ code: 'RAMPART_ERR_INPUT_INVALID', path: field })
      if (message !== undefined) expect(res.error.message).toMatch(message)
    }
    await bad('/v1/monitor/schedules', { name: 'n1', cron: '0 0 30 2 *', modelId: 'm', baseline: { statistics: {}, constraints: {} } }, 'body.cron', /never fires/)
    await bad('/v1/monitor/schedules', { name: 'n2', cron: '@daily', modelId: 'm', baseline: { dir: '../other-tenant/base' } }, 'body.baseline.dir', /inside/)
    await bad('/v1/monitor/schedules', { name: 'n3', cron: '@daily', modelId: 'm', baseline: { dir: 'not-there' } }, 'body.baseline.dir', /no statistics.json/)
    await bad('/v1/monitor/schedules', { name: 'credit hourly', cron: '@daily', modelId: 'm', baseline: { statistics: {}, constraints: {} } }, 'body.name', /already has/)
    const { items } = await json<{ items: { id: string }[] }>(await gw.call('/v1/monitor/schedules', { key: admin }), 200)
    const base = { name: 'a', scheduleId: items[0]!.id, metricName: 'run.rows', comparison: 'LessThanThreshold', threshold: 1 }
    await bad('/v1/monitor/alarms', { ...base, evaluationPeriods: 2, datapointsToAlarm: 3 }, 'body.datapointsToAlarm')
    await bad('/v1/monitor/alarms', { ...base, periodSeconds: 90 }, 'body.periodSeconds')
    await bad('/v1/monitor/alarms', { ...base, treatMissingData: 'drop' }, 'body.treatMissingData')
    await bad('/v1/monitor/alarms', { ...base, statistic: 'p99' }, 'body.statistic')
    await bad('/v1/monitor/capture', { modelId: 'm', input: 'x' }, 'body.output')
    await bad('/v1/monitor/capture', { records: [{ modelId: 'm', input: 'x', output: 'y', inferenceId: 'has space' }] }, 'body.records[0].inferenceId')
  })

  async function waitForAsync<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
    const end = Date.now() + ms
    for (;;) {
      const value = await probe()
      if (value !== undefined) return value
      if (Date.now() > end) throw new Error('timed out')
      await new Promise((r) => setTimeout(r, 25))
    }
  }
})
