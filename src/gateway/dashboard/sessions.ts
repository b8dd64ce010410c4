import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { RampartError } from '../../core/errors.js'
import type { GatewayServices } from '../services.js'
import { parseInput } from '../schemas.js'
import { sessionCreateSchema, type DashboardSession } from './schemas.js'

export const SESSION_COOKIE = 'rampart_session'
export const CSRF_HEADER = 'x-rampart-csrf'
/** A session lasts a working day; revoking its key ends it sooner (within `keyCacheMs`). */
export const SESSION_MS = 8 * 3_600_000
const AAD = 'dashboard:session:v1'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

interface SessionClaims {
  /** Session id: a logout on this process ends it at once. */
  sid: string
  keyId: string
  csrf: string
  /** Expiry, ms since the epoch. */
  exp: number
}

/** The cookie's value from a Cookie header (no cookie library for one name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Dashboard sessions. The cookie holds the claims sealed with the store's envelope encryption
 * (AES-256-GCM under the shared data keys): tamper-proof, unreadable to the browser, and valid
 * on every replica without a session table. It is httpOnly and SameSite=Strict (Secure under
 * TLS); requests that change state must also carry the session's CSRF token in
 * `x-rampart-csrf` and, when the browser sends one, an Origin of this host — so neither a
 * cross-site form nor a cross-site fetch can act with it.
 */
export class DashboardSessions {
  /** Opened cookies (digest → claims), so a request costs one map lookup rather than one AES-GCM open. */
  private readonly opened = new Map<string, Promise<SessionClaims>>()
  /** Sessions ended by a logout on this process (sid → expiry), kept until they would have expired. */
  private readonly ended = new Map<string, number>()
  private readonly claimsOf = new WeakMap<FastifyRequest, SessionClaims>()

  constructor(private readonly services: GatewayServices) {}

  async issue(keyId: string, now = Date.now()): Promise<{ token: string; claims: SessionClaims }> {
    const claims: SessionClaims = { sid: randomBytes(12).toString('base64url'), keyId, csrf: randomBytes(24).toString('base64url'), exp: now + SESSION_MS }
    return { token: await this.services.sealer.seal(JSON.stringify(claims), AAD), claims }
  }

  private open(token: string): Promise<SessionClaims> {
    const digest = createHash('sha256').update(token).digest('base64url')
    let claims = this.opened.get(digest)
    if (claims === undefined) {
      claims = this.services.sealer.open(token, AAD).then(
        (plain) => JSON.parse(plain) as SessionClaims,
        (cause: unknown) => {
          throw new RampartError('RAMPART_ERR_UNAUTHENTICATED', 'the dashboard session cookie is not valid: sign in again', { path: 'cookie', cause })
        },
      )
      if (this.opened.size >= 10_000) this.opened.clear()
      this.opened.set(digest, claims)
      claims.catch(() => this.opened.delete(digest))
    }
    return claims
  }

  /** The auth plugin's hook: the key id of a valid session, after the CSRF checks; undefined without a cookie. */
  async resolve(request: FastifyRequest): Promise<string | undefined> {
    const token = readCookie(request.headers.cookie, SESSION_COOKIE)
    if (token === undefined || token === '') return undefined
    const claims = await this.open(token)
    if (claims.exp <= Date.now() || this.ended.has(claims.sid)) {
      throw new RampartError('RAMPART_ERR_UNAUTHENTICATED', 'the dashboard session has ended: sign in again', { path: 'cookie' })
    }
    if (!SAFE_METHODS.has(request.method)) {
      checkOrigin(request)
      const sent = request.headers[CSRF_HEADER]
      if (typeof sent !== 'string' || !sameString(sent, claims.csrf)) {
        throw new RampartError('RAMPART_ERR_FORBIDDEN', `a ${request.method} with the session cookie needs the session's CSRF token in the ${CSRF_HEADER} header`, { path: CSRF_HEADER })
      }
    }
    this.claimsOf.set(request, claims)
    return claims.keyId
  }

  claims(request: FastifyRequest): SessionClaims | undefined {
    return this.claimsOf.get(request)
  }

  end(claims: SessionClaims): void {
    const now = Date.now()
    for (const [sid, exp] of this.ended) if (exp <= now) this.ended.delete(sid)
    this.ended.set(claims.sid, claims.exp)
  }
}

/** A browser sends Origin on every cross-origin request and on same-origin POSTs: it must name this host. */
function checkOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin
  if (origin === undefined || origin === '') return
  let host: string
  try {
    host = new URL(origin).host
  } catch {
    throw new RampartError('RAMPART_ERR_FORBIDDEN', `malformed Origin header`, { path: 'origin' })
  }
  if (host !== request.headers.host) throw new RampartError('RAMPART_ERR_FORBIDDEN', `requests with the session cookie must come from this gateway's own pages (Origin ${origin})`, { path: 'origin' })
}

function cookie(request: FastifyRequest, services: GatewayServices, value: string, maxAgeSeconds: number): string {
  const secure = services.config.tlsCert !== undefined || request.protocol === 'https'
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`
}

/** `POST /v1/session` (sign in with a key), `GET /v1/session` (who am I, the CSRF token), `DELETE /v1/session` (sign out). */
export function sessionRoutes(app: FastifyInstance, services: GatewayServices, sessions: DashboardSessions): void {
  const view = async (keyId: string, tenant: string, role: DashboardSession['role'], claims: SessionClaims | undefined): Promise<DashboardSession> => ({
    keyId,
    tenant,
    role,
    name: (await services.store.getKey(keyId))?.name ?? '',
    csrfToken: claims?.csrf ?? null,
    expiresAt: claims === undefined ? null : new Date(claims.exp).toISOString(),
  })

  app.post('/v1/session', { config: { public: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
    checkOrigin(request)
    const { key } = parseInput(sessionCreateSchema, request.body, 'body')
    const principal = await services.auth.authenticate(key)
    if (principal.role === 'app') {
      throw new RampartError('RAMPART_ERR_FORBIDDEN', 'app keys call the guard and the proxy; sign in to the dashboard with an admin or analyst key', { path: 'body.key' })
    }
    const { token, claims } = await sessions.issue(principal.keyId)
    await services.audit.append({ actor: principal.keyId, tenant: principal.tenant, action: 'dashboard.sign_in', target: principal.keyId, detail: { ip: request.ip } })
    void reply.header('set-cookie', cookie(request, services, token, SESSION_MS / 1000)).header('cache-control', 'no-store')
    return reply.status(201).send(await view(principal.keyId, principal.tenant, principal.role, claims))
  })

  app.get('/v1/session', { config: { roles: ['admin', 'analyst'] } }, async (request, reply) => {
    const p = request.principal!
    void reply.header('cache-control', 'no-store')
    return view(p.keyId, p.tenant, p.role, sessions.claims(request))
  })

  // Public so that a browser holding an expired cookie can still clear it; ends a valid session at once.
  app.delete('/v1/session', { config: { public: true } }, async (request, reply) => {
    checkOrigin(request)
    const token = readCookie(request.headers.cookie, SESSION_COOKIE)
    if (token !== undefined && token !== '') {
      const keyId = await sessions.resolve(request).catch(() => undefined)
      const claims = sessions.claims(request)
      if (keyId !== undefined && claims !== undefined) sessions.end(claims)
    }
    return reply.header('set-cookie', cookie(request, services, '', 0)).status(204).send()
  })
}
