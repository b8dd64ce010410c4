import { render } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, api, setCsrfToken, whenUnauthenticated } from './api.js'
import { NavIcon, ShieldIcon } from './components/icons.js'
import { AlertToasts } from './components/toasts.js'
import { alertStream, useNewAlerts } from './live.js'
import { AlertDetailPage, AlertsPage } from './pages/alerts.js'
import { AuditPage } from './pages/audit.js'
import { KeysPage } from './pages/keys.js'
import { MonitorPage } from './pages/monitor.js'
import { OverviewPage } from './pages/overview.js'
import { PoliciesPage } from './pages/policies.js'
import { SignIn } from './pages/sign-in.js'
import './styles.css'
import type { DashboardSession } from './types.js'

type PageId = 'overview' | 'alerts' | 'monitor' | 'policies' | 'keys' | 'audit'
const PAGES: { id: PageId; title: string; adminOnly?: boolean }[] = [
  { id: 'overview', title: 'Overview' },
  { id: 'alerts', title: 'Alerts' },
  { id: 'monitor', title: 'Monitor' },
  { id: 'policies', title: 'Policies' },
  { id: 'keys', title: 'Keys', adminOnly: true },
  { id: 'audit', title: 'Audit log', adminOnly: true },
]

/** `#/alerts/<id>` → ['alerts', '<id>']; hash routes need nothing from the server but `/`. */
function parseHash(hash: string): [string, string | undefined] {
  const [page = 'overview', arg] = hash.replace(/^#\/?/, '').split('/')
  return [page === '' ? 'overview' : page, arg === undefined ? undefined : decodeURIComponent(arg)]
}

function useHash(): [string, string | undefined] {
  const [hash, setHash] = useState(location.hash)
  useEffect(() => {
    const on = () => setHash(location.hash)
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return parseHash(hash)
}

function App() {
  const [session, setSession] = useState<DashboardSession | null | undefined>(undefined)
  const [page, arg] = useHash()

  useEffect(() => {
    whenUnauthenticated(() => {
      setCsrfToken(null)
      setSession(null)
    })
    api<DashboardSession>('/v1/session')
      .then((s) => {
        setCsrfToken(s.csrfToken)
        setSession(s)
      })
      .catch(() => setSession(null))
  }, [])

  // One live alert stream while signed in: the feed, the toasts and the nav badge share it.
  useEffect(() => {
    if (!session) return
    alertStream.start()
    return () => alertStream.stop()
  }, [session])
  const [unseen, setUnseen] = useState(0)
  const onAlerts = page === 'alerts'
  useEffect(() => {
    if (onAlerts) setUnseen(0)
  }, [onAlerts])
  useNewAlerts(useCallback(() => !onAlerts && setUnseen((n) => n + 1), [onAlerts]))

  // A route change moves focus to the page's content, so keyboard and screen-reader users start there.
  const route = `${page}/${arg ?? ''}`
  const firstRoute = useRef(route)
  useEffect(() => {
    if (route !== firstRoute.current) document.getElementById('main')?.focus({ preventScroll: false })
  }, [route])

  useEffect(() => {
    const title = PAGES.find((p) => p.id === page)?.title ?? 'Overview'
    document.title = session ? `${title} · Rampart` : 'Sign in · Rampart'
  }, [page, session])

  if (session === undefined) return <p class="loading">Loading…</p>
  if (session === null)
    return (
      <SignIn
        onSignedIn={(s) => {
          setCsrfToken(s.csrfToken)
          setSession(s)
        }}
      />
    )

  const visible = PAGES.filter((p) => p.adminOnly !== true || session.role === 'admin')
  const current = visible.find((p) => p.id === page) ?? visible[0]!
  const signOut = async () => {
    await api('/v1/session', { method: 'DELETE' }).catch((e: ApiError) => e)
    setCsrfToken(null)
    setSession(null)
    location.hash = ''
  }

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <aside class="sidebar">
        <div class="brand">
          <ShieldIcon />
          <span>Rampart</span>
        </div>
        <nav aria-label="Dashboard pages">
          <ul>
            {visible.map((p) => (
              <li key={p.id}>
                <a href={`#/${p.id}`} aria-current={p.id === current.id ? 'page' : undefined}>
                  <NavIcon name={p.id} />
                  {p.title}
                  {p.id === 'alerts' && unseen > 0 ? (
                    <span class="nav-badge" aria-label={`${unseen} new`}>
                      {unseen}
                    </span>
                  ) : null}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who" aria-label="Signed in as">
          <div>
            <span class="muted">tenant</span> <strong>{session.tenant}</strong>
          </div>
          <div>
            <span class="muted">role</span> <strong class={`role role-${session.role}`}>{session.role}</strong>
          </div>
          <div class="muted mono" title={session.keyId}>
            {session.name === '' ? session.keyId : `${session.name} (${session.keyId})`}
          </div>
          <button type="button" class="btn btn-ghost" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </aside>
      <AlertToasts onAlertsPage={onAlerts} />
      <main id="main" tabIndex={-1}>
        {current.id === 'overview' && <OverviewPage />}
        {current.id === 'alerts' && (arg === undefined ? <AlertsPage tenant={session.tenant} /> : <AlertDetailPage id={arg} />)}
        {current.id === 'monitor' && <MonitorPage session={session} />}
        {current.id === 'policies' && <PoliciesPage session={session} />}
        {current.id === 'keys' && <KeysPage />}
        {current.id === 'audit' && <AuditPage />}
      </main>
    </div>
  )
}

render(<App />, document.getElementById('app')!)
