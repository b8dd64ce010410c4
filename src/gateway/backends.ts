import { mkdirSync } from 'node:fs'
import { sealAuditEntry, verifyAuditChain } from '../crypto/audit-chain.js'
import { loadAuditKey } from '../crypto/audit-key.js'
import { createEnvelope, type Envelope } from '../crypto/envelope.js'
import { createKeyProvider } from '../crypto/key-providers.js'
import type { KeyProvider } from '../crypto/types.js'
import { openStore } from '../store/open.js'
import type { Store } from '../store/types.js'
import type { AuditWriter } from './alert-service.js'
import { storeUrl, type GatewayConfig } from './config.js'
import type { GatewayServices } from './services.js'

export interface Backends {
  store: Store
  provider: KeyProvider
  envelope: Envelope
  audit: AuditWriter
  verifyAudit: GatewayServices['verifyAudit']
}

/** Opens the store and the key provider of a configuration: shared by `serve` and the admin CLI commands. */
export async function openBackends(config: Pick<GatewayConfig, 'dataDir' | 'store' | 'keyProvider' | 'kmsKeyId' | 'kmsRegion' | 'kmsEndpoint'>): Promise<Backends> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const store = await openStore(storeUrl(config))
  try {
    const provider = createKeyProvider(config.keyProvider, {
      dataDir: config.dataDir,
      ...(config.kmsKeyId === undefined ? {} : { kmsKeyId: config.kmsKeyId }),
      ...(config.kmsRegion === undefined ? {} : { kmsRegion: config.kmsRegion }),
      ...(config.kmsEndpoint === undefined ? {} : { kmsEndpoint: config.kmsEndpoint }),
    })
    const envelope = createEnvelope({ provider, dataKeys: store })
    const auditKey = await loadAuditKey({ provider, dataKeys: store })
    const seal = sealAuditEntry(auditKey)
    const audit: AuditWriter = {
      append: async (input) => {
        await store.appendAudit({ ...input, at: input.at ?? new Date().toISOString() }, seal)
      },
    }
    const verifyAudit = () => verifyAuditChain((from, limit) => store.readAudit(from, limit), auditKey)
    return { store, provider, envelope, audit, verifyAudit }
  } catch (error) {
    await store.close()
    throw error
  }
}
