import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { RampartError } from '../../core/errors.js'

/**
 * Where `npm run build` puts the dashboard (vite, web/ → dist/web): beside the compiled gateway
 * (dist/gateway/dashboard → dist/web) in the package, or dist/web of the checkout when the
 * gateway runs from source (tests, tsx).
 */
export const DASHBOARD_DIRS = [fileURLToPath(new URL('../../web/', import.meta.url)), fileURLToPath(new URL('../../../dist/web/', import.meta.url))]

export function findDashboardDir(): string | undefined {
  return DASHBOARD_DIRS.find((dir) => existsSync(join(dir, 'index.html')))
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

interface Asset {
  type: string
  body: Buffer
  gzip: Buffer | undefined
  etag: string
}

/**
 * Only this origin's scripts, styles and connections; no framing; no inline script. uPlot and
 * Preact set styles through the CSSOM, which `style-src 'self'` allows.
 */
export const DASHBOARD_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

function load(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const file = join(d, name)
      if (statSync(file).isDirectory()) walk(file)
      else {
        const body = readFileSync(file)
        const type = TYPES[extname(name)] ?? 'application/octet-stream'
        const compressible = /^(text|image\/svg|application\/json)/.test(type) && body.length > 1024
        assets.set('/' + relative(dir, file).split(sep).join('/'), { type, body, gzip: compressible ? gzipSync(body, { level: 9 }) : undefined, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` })
      }
    }
  }
  walk(dir)
  return assets
}

/**
 * Serves the built dashboard from memory (a few files, read once at start): `/` is the single
 * page (hash routes), `/assets/*` the hashed bundles, cached for a year; gzip when accepted. Nothing
 * is fetched from elsewhere, so it works offline.
 */
export function staticRoutes(app: FastifyInstance, dir: string | undefined): void {
  const assets = dir === undefined ? new Map<string, Asset>() : load(dir)
  const send = (request: FastifyRequest, reply: FastifyReply, path: string) => {
    const asset = assets.get(path)
    if (asset === undefined) {
      throw new RampartError('RAMPART_ERR_NOT_FOUND', dir === undefined ? 'the dashboard is not built: run `npm run build` (it writes dist/web)' : `no dashboard file ${path}`, { path: 'url' })
    }
    const html = path === '/index.html'
    void reply
      .header('content-type', asset.type)
      .header('etag', asset.etag)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', html ? 'no-cache' : 'public, max-age=31536000, immutable')
      .header('vary', 'accept-encoding')
    if (html) void reply.header('content-security-policy', DASHBOARD_CSP).header('x-frame-options', 'DENY').header('referrer-policy', 'no-referrer')
    if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send()
    const accepts = String(request.headers['accept-encoding'] ?? '')
    if (asset.gzip !== undefined && /\bgzip\b/.test(accepts)) return reply.header('content-encoding', 'gzip').send(asset.gzip)
    return reply.send(asset.body)
  }
  app.get('/', { config: { public: true } }, async (request, reply) => send(request, reply, '/index.html'))
  app.get('/assets/*', { config: { public: true } }, async (request, reply) => send(request, reply, `/assets/${(request.params as { '*': string })['*']}`))
  app.get('/favicon.svg', { config: { public: true } }, async (request, reply) => send(request, reply, '/favicon.svg'))
}
