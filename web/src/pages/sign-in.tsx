import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { ShieldIcon } from '../components/icons.js'
import type { DashboardSession } from '../types.js'

export function SignIn({ onSignedIn }: { onSignedIn: (s: DashboardSession) => void }) {
  const [key, setKey] = useState('')
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      onSignedIn(await api<DashboardSession>('/v1/session', { body: { key: key.trim() } }))
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="signin">
      <form class="card signin-card" onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <div class="brand brand-large">
          <ShieldIcon />
          <span>Rampart</span>
        </div>
        <h1 id="signin-title">Sign in to the dashboard</h1>
        <p class="muted">Use an admin or analyst API key. It is exchanged for a session cookie and not kept in the browser.</p>
        <label for="api-key">API key</label>
        <input id="api-key" name="key" type="password" autoComplete="off" spellcheck={false} placeholder="rk_…" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} required aria-describedby={error === undefined ? undefined : 'signin-error'} />
        {error === undefined ? null : (
          <p id="signin-error" class="error-box" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="btn btn-primary" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="muted small">
          Create a key with <code>rampart keys create --role analyst</code>.
        </p>
      </form>
    </main>
  )
}
