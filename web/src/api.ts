/** The gateway's HTTP API, same origin, with the session cookie; state changes carry the CSRF token. */

let csrfToken: string | null = null
let onUnauthenticated: () => void = () => undefined

export function setCsrfToken(token: string | null): void {
  csrfToken = token
}

export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? (init.body === undefined ? 'GET' : 'POST')
  const headers: Record<string, string> = { accept: 'application/json' }
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && csrfToken !== null) headers['x-rampart-csrf'] = csrfToken
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) })
  if (res.status === 204) return undefined as T
  const data = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined
  if (!res.ok) {
    const error = new ApiError(res.status, data?.error?.code ?? 'HTTP_' + res.status, data?.error?.message ?? res.statusText)
    if (res.status === 401 && path !== '/v1/session') onUnauthenticated()
    throw error
  }
  return data as T
}

export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s === '' ? '' : `?${s}`
}
