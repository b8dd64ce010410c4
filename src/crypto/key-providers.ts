/**
 * The key providers Rampart can use, by id. Registration is explicit: the table below is the
 * whole list, and an unknown id fails with the valid ones.
 */
import { RampartError } from '../core/errors.js'
import { createAwsKmsProvider, type AwsKmsOptions } from './aws-kms.js'
import { createLocalKeyring } from './local-keyring.js'
import type { KeyProvider } from './types.js'

/** Settings of every provider, flat as they come from flags, the config file and the environment. */
export interface KeyProviderOptions {
  /** Rampart's data directory (the local keyring lives there). */
  dataDir?: string
  /** Another keyring file for the local provider. */
  keyringPath?: string
  kmsKeyId?: string
  kmsRegion?: string
  kmsEndpoint?: string
  /** Explicit AWS credentials (tests); otherwise the SDK's default chain. */
  kmsCredentials?: AwsKmsOptions['credentials']
  kmsMaxAttempts?: number
}

export const KEY_PROVIDERS = {
  local: (o: KeyProviderOptions): KeyProvider =>
    createLocalKeyring({
      ...(o.keyringPath === undefined ? {} : { path: o.keyringPath }),
      ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }),
    }),
  'aws-kms': (o: KeyProviderOptions): KeyProvider =>
    createAwsKmsProvider({
      keyId: o.kmsKeyId ?? '',
      ...(o.kmsRegion === undefined ? {} : { region: o.kmsRegion }),
      ...(o.kmsEndpoint === undefined ? {} : { endpoint: o.kmsEndpoint }),
      ...(o.kmsCredentials === undefined ? {} : { credentials: o.kmsCredentials }),
      ...(o.kmsMaxAttempts === undefined ? {} : { maxAttempts: o.kmsMaxAttempts }),
    }),
} as const satisfies Record<string, (options: KeyProviderOptions) => KeyProvider>

export type KeyProviderId = keyof typeof KEY_PROVIDERS

export const KEY_PROVIDER_IDS = Object.keys(KEY_PROVIDERS) as KeyProviderId[]

export function isKeyProviderId(id: string): id is KeyProviderId {
  return Object.hasOwn(KEY_PROVIDERS, id)
}

/** Creates the key provider `id` (`local`, `aws-kms`); nothing is read or called until first use. */
export function createKeyProvider(id: string, options: KeyProviderOptions): KeyProvider {
  if (!isKeyProviderId(id)) {
    throw new RampartError('RAMPART_ERR_KEY_PROVIDER', `unknown key provider "${id}"; valid key providers: ${KEY_PROVIDER_IDS.join(', ')}`, { path: 'keyProvider' })
  }
  return KEY_PROVIDERS[id](options)
}
