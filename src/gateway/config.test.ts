import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { envName, isLoopback, loadGatewayConfig, storeUrl } from './config.js'

describe('gateway configuration', () => {
  it('runs on the embedded default with no settings', () => {
    const c = loadGatewayConfig({ env: {} })
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8787, keyProvider: 'local', webhooks: [] })
    expect(storeUrl(c)).toBe(`sqlite:${join(c.dataDir, 'rampart.db')}`)
  })

  it('takes flag over environment over file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-cfg-'))
    const file = join(dir, 'rampart.yaml')
    writeFileSync(file, 'port: 1000\nupstreamTimeoutMs: 5000\nrateLimitPerMinute: 10\nwebhooks:\n  - { name: team, url: "https://hooks.example.com/x", secret: "${HOOK_SECRET}" }\n')
    const c = loadGatewayConfig({ file, env: { RAMPART_PORT: '2000', RAMPART_UPSTREAM_TIMEOUT_MS: '7000', HOOK_SECRET: 's'.repeat(20) }, flags: { port: '3000' } })
    expect(c.port).toBe(3000)
    expect(c.upstreamTimeoutMs).toBe(7000)
    expect(c.rateLimitPerMinute).toBe(10)
    expect(c.webhooks[0]!.secret).toBe('s'.repeat(20))
    expect(envName('upstreamTimeoutMs')).toBe('RAMPART_UPSTREAM_TIMEOUT_MS')
  })

  it('reads alertOn as a list from a file or a comma-separated variable, and rejects unknown decisions', () => {
    expect(loadGatewayConfig({ env: {} }).alertOn).toEqual(['flag', 'block'])
    expect(loadGatewayConfig({ env: { RAMPART_ALERT_ON: 'flag, redact,block' } }).alertOn).toEqual(['flag', 'redact', 'block'])
    expect(() => loadGatewayConfig({ env: { RAMPART_ALERT_ON: 'flag,panic' } })).toThrow(/alertOn/)
    expect(() => loadGatewayConfig({ env: { RAMPART_ALERT_ON: ' ' } })).toThrow(/at least one/)
  })

  it('takes scanThreads as auto or a count, and names a bad one', () => {
    expect(loadGatewayConfig({ env: {} }).scanThreads).toBe('auto')
    expect(loadGatewayConfig({ env: { RAMPART_SCAN_THREADS: '0' } }).scanThreads).toBe(0)
    expect(loadGatewayConfig({ env: {}, flags: { scanThreads: '2' } }).scanThreads).toBe(2)
    expect(() => loadGatewayConfig({ env: {}, flags: { scanThreads: 'many' } })).toThrow(/config\.scanThreads: expected auto or a whole number of threads from 0 to 64.*--scan-threads/s)
    expect(() => loadGatewayConfig({ env: { RAMPART_SCAN_THREADS: '-1' } })).toThrow(/config\.scanThreads.*RAMPART_SCAN_THREADS/s)
  })

  it('names the bad setting and where it came from', () => {
    expect(() => loadGatewayConfig({ env: { RAMPART_PORT: 'eighty' } })).toThrow(/config\.port.*RAMPART_PORT/s)
    expect(() => loadGatewayConfig({ env: {}, flags: { upstream: 'ftp://x' } })).toThrow(/config\.upstream.*--upstream/s)
    expect(() => loadGatewayConfig({ env: {}, flags: { colour: 'red' } })).toThrow(/colour/)
    expect(() => loadGatewayConfig({ env: {}, flags: { tlsCert: 'a.pem' } })).toThrow(/tlsKey/)
    expect(() => loadGatewayConfig({ env: {}, flags: { keyProvider: 'aws-kms' } })).toThrow(/kmsKeyId/)
  })

  it('refuses a non-loopback address without TLS unless told so', () => {
    expect(() => loadGatewayConfig({ env: {}, flags: { host: '0.0.0.0' } })).toThrow(/without TLS/)
    expect(loadGatewayConfig({ env: {}, flags: { host: '0.0.0.0', insecureListen: true } }).host).toBe('0.0.0.0')
    expect(loadGatewayConfig({ env: {}, flags: { host: '0.0.0.0', tlsCert: 'c.pem', tlsKey: 'k.pem' } }).tlsCert).toBe('c.pem')
    expect(isLoopback('127.0.0.1')).toBe(true)
    expect(isLoopback('::1')).toBe(true)
    expect(isLoopback('10.0.0.1')).toBe(false)
  })
})
