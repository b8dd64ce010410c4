/**
 * `openMonitor`: capture inferences and ground truth from your own process, for models that do
 * not go through the gateway's proxy, into the same store (sealed with the same keys) that the
 * gateway's schedules read.
 *
 * ```ts
 * const monitor = await openMonitor({ dataDir: './rampart-data' })   // or { store: 'postgres://…', keyProvider: 'aws-kms', … }
 * const { inferenceId } = await monitor.capture({ modelId: 'churn-v3', input: { age: 41, plan: 'pro' }, output: { churn: 0.12 } })
 * await monitor.groundTruth([{ inferenceId, label: 0 }])                // days later
 * await monitor.close()
 * ```
 */
import { openBackends } from '../../gateway/backends.js'
import { loadGatewayConfig, type GatewayConfigInput } from '../../gateway/config.js'
import type { Store } from '../../store/types.js'
import { CaptureService, type CaptureInput, type GroundTruthInput } from '../capture.js'

export interface MonitorOptions extends Pick<Partial<GatewayConfigInput>, 'dataDir' | 'store' | 'keyProvider' | 'kmsKeyId' | 'kmsRegion' | 'kmsEndpoint'> {
  /** Tenant the records belong to (default `default`). */
  tenant?: string
}

export interface Monitor {
  capture(record: CaptureInput): Promise<{ inferenceId: string; stored: boolean }>
  groundTruth(labels: readonly GroundTruthInput[]): Promise<{ accepted: number; matched: number }>
  readonly captures: CaptureService
  readonly store: Store
  close(): Promise<void>
}

/** Opens the store and keys named by the options (the gateway's settings and defaults) for capturing. */
export async function openMonitor(options: MonitorOptions = {}): Promise<Monitor> {
  const { tenant = 'default', ...settings } = options
  const config = loadGatewayConfig({ flags: settings, env: {} })
  const { store, envelope } = await openBackends(config)
  const captures = new CaptureService({ store, sealer: envelope })
  return {
    captures,
    store,
    capture: (record) => captures.capture(tenant, record, 'library'),
    groundTruth: (labels) => captures.groundTruth(tenant, labels),
    close: () => store.close(),
  }
}
