/**
 * `shieldModel`: the shield around any `predict(features)` function in your own process, with the
 * same detection, scoring and hardening the gateway's predict proxy applies.
 *
 * ```ts
 * const profile = ShieldProfile.load('churn.shield.json')
 * const model = shieldModel((features) => churn.predictProba(features), {
 *   profile, classes: ['stays', 'churns'], hardening: { decimals: 2 },
 *   onFlag: ({ client, flag }) => log.warn({ client, flag }, 'possible model extraction'),
 * })
 * const answer = await model.predict({ tenure: 14, plan: 'pro' }, 'customer-42')
 * // { label: 'stays', probabilities: { stays: 0.91, churns: 0.09 }, adversarial: { flagged: false, score: 3.1, … }, flagged: false }
 * ```
 */
import type { AdversarialVerdict } from './adversarial.js'
import type { ExtractionFlag, ExtractionStatus } from './extraction.js'
import type { FeatureInput } from './features.js'
import type { HardenedOutput } from './hardening.js'
import { ProtectedModel, type ProtectedModelOptions } from './protected-model.js'
import { MemoryShieldState, type ShieldStateStore } from './state.js'

export interface ShieldModelOptions extends Omit<ProtectedModelOptions, 'name'> {
  name?: string
  /** Where per-client state lives: in this process by default, or `RedisShieldState` for several processes. */
  state?: ShieldStateStore
  /** Tenant recorded with the state (default `default`). */
  tenant?: string
  /** Called once per client, when it is first flagged. */
  onFlag?: (event: { client: string; model: string; flag: ExtractionFlag; status: ExtractionStatus }) => void | Promise<void>
}

export interface ShieldedAnswer extends HardenedOutput {
  adversarial?: AdversarialVerdict
  /** True once this client has been flagged for extraction. */
  flagged: boolean
}

export interface ShieldedModel {
  predict(features: FeatureInput, client: string): Promise<ShieldedAnswer>
  predictBatch(instances: readonly FeatureInput[], client: string): Promise<ShieldedAnswer[]>
  readonly model: ProtectedModel
}

/** Wraps `predict` (class probabilities for one input, sync or async). */
export function shieldModel(predict: (features: FeatureInput) => ArrayLike<number> | Promise<ArrayLike<number>>, options: ShieldModelOptions): ShieldedModel {
  const state = options.state ?? new MemoryShieldState()
  const name = options.name ?? options.profile?.model ?? 'model'
  const tenant = options.tenant ?? 'default'
  const model = new ProtectedModel({ ...options, name }, async (instances) => Promise.all(instances.map((x) => predict(x))), state)
  const predictBatch = async (instances: readonly FeatureInput[], client: string): Promise<ShieldedAnswer[]> => {
    const outcome = await model.predict({ tenant, keyId: client }, instances)
    const flag = outcome.extraction?.flag ?? null
    if (flag !== null && options.onFlag !== undefined && (await state.claimFlag({ tenant, model: name, keyId: client }, { ...flag }))) {
      await options.onFlag({ client, model: name, flag, status: outcome.extraction! })
    }
    return outcome.outputs.map((o, i) => ({ ...o, ...(outcome.adversarial === undefined ? {} : { adversarial: outcome.adversarial[i] as AdversarialVerdict }), flagged: flag !== null }))
  }
  return {
    model,
    predictBatch,
    predict: async (features, client) => (await predictBatch([features], client))[0] as ShieldedAnswer,
  }
}
