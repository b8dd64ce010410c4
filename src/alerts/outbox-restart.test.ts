import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createEnvelope } from '../crypto/envelope.js'
import { createLocalKeyring } from '../crypto/local-keyring.js'
import { openStore } from '../store/open.js'
import type { AlertNotification } from './event.js'
import { createWebhookNotifier } from './notifier.js'
import { createOutboxDispatcher } from './outbox.js'
import { verifyWebhook } from './signing.js'
import { startWebhookReceiver } from './testing.js'

/** The whole path on the real pieces: SQLite outbox, envelope encryption, a gateway restart. */
const dir = mkdtempSync(join(tmpdir(), 'rampart-outbox-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SECRET = 'whsec_restart_test'
const EXCERPT = 'please wire the funds to [IBAN_1] before the audit'

function alert(id: string): AlertNotification {
  return { id, createdAt: new Date().toISOString(), tenant: 'acme', keyId: null, requestId: `req-${id}`, direction: 'output', decision: 'redact', severity: 'medium', scanners: ['pii'], findings: [], excerpt: EXCERPT, source: 'proxy', acknowledgedAt: null, acknowledgedBy: null }
}

async function boot(url: string) {
  const store = await openStore(`sqlite:${join(dir, 'rampart.db')}`)
  const envelope = createEnvelope({ provider: createLocalKeyring({ dataDir: dir }), dataKeys: store })
  const notifiers = new Map([['siem', createWebhookNotifier({ name: 'siem', url, secret: SECRET, timeoutMs: 1_000 })]])
  const dispatcher = createOutboxDispatcher({ store, envelope, notifiers, pollMs: 20, backoff: { baseMs: 20 } })
  return { store, dispatcher }
}

describe('outbox on SQLite across a restart', () => {
  it('alerts raised while the receiver is down are delivered by the next process, sealed at rest meanwhile', async () => {
    const probe = await startWebhookReceiver()
    const { port, url } = probe
    await probe.close()

    const first = await boot(url)
    first.dispatcher.start()
    const ids = [...(await first.dispatcher.enqueueAlert(alert('a1'), ['siem'])), ...(await first.dispatcher.enqueueAlert(alert('a2'), ['siem']))]
    await new Promise((r) => setTimeout(r, 200))
    const flushed = await first.dispatcher.stop({ flush: true, deadlineMs: 1_000 })
    expect(flushed.delivered).toBe(0)
    expect(await first.store.countPending()).toBe(2)
    await first.store.close()
    const files = readdirSync(dir).filter((f) => f.startsWith('rampart.db'))
    expect(files).toContain('rampart.db')
    for (const f of files) expect(readFileSync(join(dir, f)).includes('wire the funds')).toBe(false)

    const receiver = await startWebhookReceiver(port)
    try {
      const second = await boot(url)
      second.dispatcher.start()
      const deadline = Date.now() + 10_000
      while ((await second.store.countPending()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      await second.dispatcher.stop()
      expect(await second.store.countPending()).toBe(0)
      await second.store.close()
      const delivered = new Set(receiver.received.map((r) => r.headers['x-rampart-delivery']))
      expect(delivered).toEqual(new Set(ids))
      for (const r of receiver.received) {
        expect(verifyWebhook(SECRET, r.headers['x-rampart-signature'] as string, r.body).ok).toBe(true)
        expect(JSON.parse(r.body).data.alert.excerpt).toBe(EXCERPT)
      }
    } finally {
      await receiver.close()
    }
  }, 30_000)
})
