import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { WarningIcon } from '../components/icons.js'
import { Card, ErrorBox, Loading } from '../components/ui.js'
import { ago, when } from '../format.js'
import { useApi } from '../hooks.js'
import type { CreatedKey, KeyView, Role } from '../types.js'

export function KeysPage() {
  const keys = useApi<{ items: KeyView[] }>('/v1/keys')
  const [role, setRole] = useState<Role>('app')
  const [name, setName] = useState('')
  const [rate, setRate] = useState('')
  const [created, setCreated] = useState<CreatedKey | undefined>(undefined)
  const [copied, setCopied] = useState(false)
  const [error, setError] = useState<Error | undefined>(undefined)
  const create = async (e: Event) => {
    e.preventDefault()
    setError(undefined)
    try {
      setCreated(await api<CreatedKey>('/v1/keys', { body: { role, name, ...(rate === '' ? {} : { rateLimitPerMinute: Number(rate) }) } }))
      setCopied(false)
      setName('')
      keys.reload()
    } catch (err) {
      setError(err as Error)
    }
  }
  const revoke = async (k: KeyView) => {
    if (!confirm(`Revoke key ${k.id}${k.name === '' ? '' : ` (${k.name})`}? Requests with it are refused at once.`)) return
    try {
      await api(`/v1/keys/${k.id}`, { method: 'DELETE' })
      keys.reload()
    } catch (err) {
      setError(err as Error)
    }
  }
  const copy = async () => {
    if (created === undefined) return
    await navigator.clipboard?.writeText(created.key).then(() => setCopied(true), () => undefined)
  }
  return (
    <>
      <div class="page-head">
        <h1>API keys</h1>
      </div>
      <ErrorBox error={keys.error ?? error} />
      <Card title="Create a key" id="create-key">
        <form class="inline-form" onSubmit={(e) => void create(e)}>
          <label>
            Role
            <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>
              <option value="app">app — guard and proxy</option>
              <option value="analyst">analyst — read alerts, policies, audit</option>
              <option value="admin">admin — everything in the tenant</option>
            </select>
          </label>
          <label>
            Name
            <input value={name} maxLength={200} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="e.g. support-bot" />
          </label>
          <label>
            Requests per minute
            <input type="number" min={1} value={rate} onInput={(e) => setRate((e.target as HTMLInputElement).value)} placeholder="gateway default" />
          </label>
          <button type="submit" class="btn btn-primary">
            Create key
          </button>
        </form>
        {created === undefined ? null : (
          <div class="secret" role="status">
            <p>
              <WarningIcon class="sev-text-medium" /> <strong>Copy this key now — it is shown only once.</strong> Rampart keeps only a hash of it.
            </p>
            <div class="secret-row">
              <code class="secret-value" aria-label="The new API key">
                {created.key}
              </code>
              <button type="button" class="btn" onClick={() => void copy()}>
                {copied ? 'Copied' : 'Copy'}
              </button>
              <button type="button" class="btn btn-ghost" onClick={() => setCreated(undefined)}>
                Done
              </button>
            </div>
          </div>
        )}
      </Card>
      <Card title="Keys of this tenant" id="keys">
        {keys.data === undefined ? (
          <Loading />
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Limit</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((k) => (
                <tr key={k.id} class={k.revokedAt === null ? '' : 'revoked'}>
                  <td class="mono">{k.id}</td>
                  <td>{k.name === '' ? <span class="muted">—</span> : k.name}</td>
                  <td>
                    <span class={`role role-${k.role}`}>{k.role}</span>
                  </td>
                  <td title={when(k.createdAt)}>{ago(k.createdAt)}</td>
                  <td title={when(k.lastUsedAt)}>{ago(k.lastUsedAt)}</td>
                  <td>{k.rateLimitPerMinute === null ? <span class="muted">default</span> : `${k.rateLimitPerMinute}/min`}</td>
                  <td>
                    {k.revokedAt === null ? (
                      <button type="button" class="btn btn-small btn-danger" onClick={() => void revoke(k)} aria-label={`Revoke key ${k.id}`}>
                        Revoke
                      </button>
                    ) : (
                      <span class="badge state state-alarm" title={when(k.revokedAt)}>
                        revoked {ago(k.revokedAt)}
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  )
}
