import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { api } from './api.js'

export interface Loaded<T> {
  data: T | undefined
  error: Error | undefined
  loading: boolean
  reload: () => void
}

/**
 * GET a path, again when it or `key` changes (the API's strict query schemas refuse cache-busting
 * parameters, so a caller names what makes its data stale), and every `refreshMs` when given.
 */
export function useApi<T>(path: string | undefined, refreshMs?: number, key?: unknown): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<Error | undefined>(undefined)
  const [loading, setLoading] = useState(false)
  const [tick, setTick] = useState(0)
  const current = useRef(path)
  current.current = path
  useEffect(() => {
    if (path === undefined) return
    let live = true
    setLoading(true)
    api<T>(path)
      .then((d) => {
        if (live && current.current === path) {
          setData(d)
          setError(undefined)
        }
      })
      .catch((e: Error) => live && setError(e))
      .finally(() => live && setLoading(false))
    return () => {
      live = false
    }
  }, [path, tick, key])
  useEffect(() => {
    if (refreshMs === undefined) return
    const t = setInterval(() => setTick((n) => n + 1), refreshMs)
    return () => clearInterval(t)
  }, [refreshMs])
  const reload = useCallback(() => setTick((n) => n + 1), [])
  return { data, error, loading, reload }
}
