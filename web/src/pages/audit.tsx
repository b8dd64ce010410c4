import { useEffect, useState } from 'preact/hooks'
import { api, query } from '../api.js'
import { CheckIcon, CrossIcon } from '../components/icons.js'
import { Card, ErrorBox, Loading } from '../components/ui.js'
import { ago, num, shortId, when } from '../format.js'
import { useApi } from '../hooks.js'
import type { AuditEntry, AuditVerification } from '../types.js'

const WINDOW = 500

/** The tenant's latest audit entries (the chain is global; the API filters by tenant) and the chain's verification. */
export function AuditPage() {
  const verify = useApi<AuditVerification>('/v1/audit/verify')
  const [entries, setEntries] = useState<AuditEntry[] | undefined>(undefined)
  const [error, setError] = useState<Error | undefined>(undefined)
  useEffect(() => {
    if (verify.data === undefined) return
    const from = Math.max(1, verify.data.entries - WINDOW + 1)
    api<{ items: AuditEntry[] }>(`/v1/audit${query({ from, limit: WINDOW })}`)
      .then((r) => setEntries([...r.items].reverse()))
      .catch(setError)
  }, [verify.data])
  const v = verify.data
  return (
    <>
      <div class="page-head">
        <h1>Audit log</h1>
        <button type="button" class="btn" onClick={verify.reload}>
          Verify again
        </button>
      </div>
      <ErrorBox error={verify.error ?? error} />
      {v === undefined ? (
        <Loading />
      ) : v.ok ? (
        <div class="verify verify-ok" role="status">
          <CheckIcon /> <strong>Hash chain verified</strong> — {num(v.entries)} entries, every hash and MAC checks out.
        </div>
      ) : (
        <div class="verify verify-bad" role="alert">
          <CrossIcon /> <strong>The audit chain does not verify</strong> — first bad entry #{v.firstBadSeq}: {v.reason}
        </div>
      )}
      <Card title={`Latest entries of this tenant`} id="audit">
        {entries === undefined ? (
          <Loading />
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.seq} class={v !== undefined && v.firstBadSeq !== undefined && e.seq >= v.firstBadSeq ? 'revoked' : ''}>
                  <td class="mono">{e.seq}</td>
                  <td title={when(e.at)}>{ago(e.at)}</td>
                  <td class="mono">{shortId(e.actor)}</td>
                  <td>
                    <span class="badge">{e.action}</span>
                  </td>
                  <td class="mono">{e.target === null ? '—' : shortId(e.target)}</td>
                  <td class="mono small detail-cell">
                    {Object.entries(e.detail)
                      .map(([k, val]) => `${k}=${typeof val === 'string' ? val : JSON.stringify(val)}`)
                      .join('  ')}
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
