/**
 * `rampart replay --policy FILE --since 7d`: a candidate policy (and/or prompt-injection model
 * directory) run over the gateway's captured traffic, compared with what was decided then —
 * new and lost blocks, flags and redactions, per scanner, with redacted examples and latency.
 * Works on the store and key ring directly (no running gateway needed).
 */
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { z } from 'zod'
import { RampartError } from '../../core/errors.js'
import { loadPolicyFile, parsePolicy, parsePolicyText, type Policy } from '../../core/policy.js'
import type { ScannerRegistry } from '../../core/registry.js'
import { AlertService } from '../../gateway/alert-service.js'
import { TENANT_PATTERN } from '../../gateway/api-keys.js'
import { DetectorWatcher } from '../../detectors/registry.js'
import { openBackends } from '../../gateway/backends.js'
import { loadGatewayConfig, type GatewayConfig } from '../../gateway/config.js'
import { createGuard, defaultPolicy, type Guard } from '../../guard.js'
import { CaptureService } from '../../monitor/capture.js'
import { loadDetectorDir, policyWithDetector, type DetectorDir } from '../../replay/detector.js'
import { sinceTime } from '../../replay/duration.js'
import { ReplayAccumulator, addShadowRecords, runReplay } from '../../replay/replay.js'
import { renderHtml, renderSummary } from '../../replay/report.js'
import { SHADOW_MODEL_ID, storedCaptures } from '../../replay/source.js'
import { builtinRegistry } from '../../scanners/index.js'
import type { Store } from '../../store/types.js'
import { writeLine } from '../io.js'
import { createProgress } from '../progress.js'
import { parseFlags } from './flags.js'

const replayFlags = z.looseObject({
  policy: z.string().min(1).optional(),
  policyVersion: z.coerce.number().int().positive().optional(),
  detector: z.string().min(1).optional(),
  since: z.string().min(1),
  until: z.string().min(1).optional(),
  tenant: z.string().regex(TENANT_PATTERN, 'a tenant name: letters, digits, - and _').default('default'),
  model: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  html: z.string().min(1).optional(),
  examples: z.coerce.number().int().min(0).max(100).default(5),
  json: z.boolean().default(false),
  shadow: z.boolean().default(false),
})

/** Runs `rampart replay`; the exit status. */
export async function runReplayCommand(raw: Record<string, unknown>): Promise<number> {
  const flags = parseFlags(replayFlags, raw)
  const { policy: policyFile, policyVersion, detector: detectorDir, since, until, tenant, model, out, html, examples, json, shadow, config: file, ...rest } = flags
  if (shadow && (policyFile !== undefined || policyVersion !== undefined || detectorDir !== undefined || model !== undefined)) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', '--shadow reports the disagreements shadow mode stored; it takes no --policy, --policy-version, --detector or --model', { path: '--shadow' })
  }
  if (policyFile !== undefined && policyVersion !== undefined) throw new RampartError('RAMPART_ERR_INPUT_INVALID', 'give --policy FILE or --policy-version N, not both', { path: '--policy-version' })
  if (!shadow && policyFile === undefined && policyVersion === undefined && detectorDir === undefined) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', 'give --policy FILE or --policy-version N (a candidate policy), --detector DIR (a candidate prompt-injection model), or a policy and a model', { path: '--policy' })
  }
  const now = Date.now()
  const window = { tenant, since: sinceTime(since, now, '--since'), until: until === undefined ? new Date(now).toISOString() : sinceTime(until, now, '--until') }
  const detector = detectorDir === undefined ? undefined : loadDetectorDir(detectorDir)
  const config = loadGatewayConfig({ flags: Object.fromEntries(Object.entries(rest).filter(([k]) => ['dataDir', 'store', 'keyProvider', 'kmsKeyId', 'kmsRegion', 'policy'].includes(k))), env: process.env, ...(typeof file === 'string' ? { file } : {}) })
  const registry = builtinRegistry()
  const backends = await openBackends(config)
  try {
    const { store, envelope } = backends
    // Score as the gateway does: with the prompt_injection version active in the store's detector
    // registry (the shipped weights when none was activated). A --detector directory overrides it.
    await new DetectorWatcher({ store }).refresh()
    // Only its excerpt helper is used (PII and secrets redacted): nothing is stored or audited.
    const excerpts = new AlertService({ store, sealer: envelope, audit: { append: async () => undefined } })
    const accumulator = new ReplayAccumulator({ examplesPerKind: examples, excerpt: (text, findings) => excerpts.excerpt(text, findings) })
    const progress = createProgress('replay', undefined, process.stderr, 'captures')
    let firstUnreadable: string | undefined
    const onUnreadable = (id: string, error: Error) => void (firstUnreadable ??= `${id}: ${error.message}`)
    const captures = new CaptureService({ store, sealer: envelope })
    let candidate: Record<string, unknown>
    if (shadow) {
      // What shadow mode stored: the enforced verdict as recorded, the shadow verdict as the candidate.
      candidate = { shadow: true }
      await addShadowRecords(accumulator, storedCaptures(store, captures, { ...window, modelId: SHADOW_MODEL_ID }, { onUnreadable }), (done) => progress.update(done, 0))
    } else {
      candidate = {}
      const guard = await candidateGuard(store, config, registry, tenant, policyFile ?? policyVersion, detector, candidate)
      await runReplay({
        guard,
        captures: storedCaptures(store, captures, { ...window, ...(model === undefined ? {} : { modelId: model }) }, { onUnreadable }),
        accumulator,
        onProgress: (done) => progress.update(done, 0),
      })
    }
    progress.finish(accumulator.count, 0)
    const report = accumulator.report({ candidate, window })
    if (out !== undefined) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
    if (html !== undefined) writeFileSync(html, renderHtml(report))
    if (firstUnreadable !== undefined) process.stderr.write(`rampart: ${report.totals.skipped.unreadable} capture(s) could not be opened with this key ring, e.g. ${firstUnreadable}\n`)
    await writeLine(json ? JSON.stringify(report, null, 2) : renderSummary(report))
    if (report.totals.captures === 0) {
      const how = shadow ? 'shadow mode stores disagreements when the gateway runs with --shadow-policy or --shadow-detector' : 'the gateway captures with captureSampleRate (proxy) and guardCaptureSampleRate (/v1/guard)'
      process.stderr.write(`rampart: no ${shadow ? 'shadow records' : 'captures'} of tenant ${tenant} stored between ${window.since} and ${window.until}; ${how}\n`)
    }
    return report.totals.captures > 0 && report.totals.skipped.unreadable === report.totals.captures ? 1 : 0
  } finally {
    await backends.store.close()
  }
}

/** The candidate guard: the policy file, or (a model directory alone) the policy in force for the tenant, with the model's weights; fills `meta`. */
async function candidateGuard(
  store: Pick<Store, 'getActivePolicyVersion' | 'getPolicyVersion'>,
  config: GatewayConfig,
  registry: ScannerRegistry,
  tenant: string,
  policy: string | number | undefined,
  detector: DetectorDir | undefined,
  meta: Record<string, unknown>,
): Promise<Guard> {
  let base: Policy
  if (typeof policy === 'number') {
    const record = await store.getPolicyVersion(tenant, policy)
    if (record === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `--policy-version: tenant ${tenant} has no policy version ${policy}`, { path: '--policy-version' })
    base = parsePolicyText(record.source, registry, `policy v${policy}`, {})
    meta.policy = { name: base.name, version: policy, sha256: record.sha256 }
  } else if (policy !== undefined) {
    const policyFile = policy
    base = loadPolicyFile(policyFile, registry)
    meta.policy = { name: base.name, file: policyFile, sha256: createHash('sha256').update(readFileSync(policyFile)).digest('hex') }
  } else {
    const active = await store.getActivePolicyVersion(tenant)
    if (active !== undefined) {
      base = parsePolicyText(active.source, registry, `policy v${active.version}`, {})
      meta.policy = { name: base.name, activeVersion: active.version, sha256: active.sha256 }
    } else {
      base = config.policy === undefined ? defaultPolicy() : loadPolicyFile(config.policy, registry)
      meta.policy = { name: base.name, ...(config.policy === undefined ? { shipped: 'policies/default.yaml' } : { file: config.policy }) }
    }
  }
  if (detector !== undefined) {
    base = parsePolicy(policyWithDetector(base, detector), registry, 'policy')
    meta.detector = { dir: detector.dir, ...(detector.card === undefined ? {} : { card: detector.card }), ...(detector.metrics === undefined ? {} : { metrics: detector.metrics }) }
  }
  return createGuard({ policy: base, registry })
}
