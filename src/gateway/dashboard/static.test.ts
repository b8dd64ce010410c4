import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import Fastify from 'fastify'
import { afterAll, describe, expect, it } from 'vitest'
import { registerErrorHandling } from '../plugins/errors.js'
import { DASHBOARD_CSP, findDashboardDir, staticRoutes } from './static.js'

/** The budget for the first load: JavaScript, gzipped. */
const FIRST_LOAD_JS_BUDGET = 200 * 1024

describe('dashboard static files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-web-'))
  mkdirSync(join(dir, 'assets'))
  const script = `console.log(${JSON.stringify('x'.repeat(5_000))})`
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/index-abc.js"></script>')
  writeFileSync(join(dir, 'assets', 'index-abc.js'), script)
  const app = Fastify()
  registerErrorHandling(app, () => undefined)
  staticRoutes(app, dir)
  afterAll(async () => {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves the page with a strict CSP, no caching of the page, and hashed assets cached for a year, gzipped when accepted', async () => {
    const page = await app.inject({ url: '/' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/text\/html/)
    expect(page.headers['content-security-policy']).toBe(DASHBOARD_CSP)
    expect(DASHBOARD_CSP).toMatch(/script-src 'self'/)
    expect(DASHBOARD_CSP).toMatch(/frame-ancestors 'none'/)
    expect(page.headers['x-frame-options']).toBe('DENY')
    expect(page.headers['cache-control']).toBe('no-cache')
    const asset = await app.inject({ url: '/assets/index-abc.js', headers: { 'accept-encoding': 'gzip, br' } })
    expect(asset.headers['content-encoding']).toBe('gzip')
    expect(asset.headers['cache-control']).toMatch(/immutable/)
    expect(gunzipSync(asset.rawPayload).toString()).toBe(script)
    const plain = await app.inject({ url: '/assets/index-abc.js' })
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.body).toBe(script)
    const again = await app.inject({ url: '/assets/index-abc.js', headers: { 'if-none-match': String(plain.headers.etag) } })
    expect(again.statusCode).toBe(304)
  })

  it('answers 404 in the gateway format for a missing file, and says how to build when nothing is built', async () => {
    const res = await app.inject({ url: '/assets/nope.js' })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toMatchObject({ error: { code: 'RAMPART_ERR_NOT_FOUND' } })
    const bare = Fastify()
    registerErrorHandling(bare, () => undefined)
    staticRoutes(bare, undefined)
    const none = await bare.inject({ url: '/' })
    expect(none.statusCode).toBe(404)
    expect(none.json().error.message).toMatch(/npm run build/)
    await bare.close()
  })
})

const built = findDashboardDir()
if (built === undefined) console.warn('SKIPPED: dashboard bundle budget — the dashboard is not built (npm run build writes dist/web)')
;(built === undefined ? describe.skip : describe)(`built dashboard${built === undefined ? ' (SKIPPED: not built)' : ''}`, () => {
  it(`loads under ${FIRST_LOAD_JS_BUDGET / 1024} KB of JavaScript gzipped, all from this origin`, () => {
    const html = readFileSync(join(built!, 'index.html'), 'utf8')
    const scripts = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+\.js)"/g)].map((m) => m[1]!)
    expect(scripts.length).toBeGreaterThan(0)
    // No CDN: every script and stylesheet the page names is a path on the gateway.
    for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(m[1]).toMatch(/^\/[^/]/)
    // Every chunk counts (a lazy chunk would load on a later page, but the budget is kept for all of them).
    const all = readdirSync(join(built!, 'assets')).filter((f) => f.endsWith('.js'))
    const gzipped = all.reduce((n, f) => n + gzipSync(readFileSync(join(built!, 'assets', f)), { level: 9 }).length, 0)
    console.info(`dashboard JavaScript: ${all.length} file(s), ${(gzipped / 1024).toFixed(1)} KB gzipped (budget ${FIRST_LOAD_JS_BUDGET / 1024} KB)`)
    expect(gzipped).toBeLessThan(FIRST_LOAD_JS_BUDGET)
  })
})
