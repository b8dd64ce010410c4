/**
 * An open-loop load generator at a fixed request rate, for "latency at N requests/s".
 *
 * autocannon's `overallRate` is a per-second budget per connection: each connection sends its
 * share back to back at the top of every second, then waits. At 500 req/s over 32 connections
 * that is a burst of 32 concurrent requests every second — the latency it reports is queueing
 * inside the burst, not the latency of a server receiving 500 evenly spaced requests. Here
 * request i is sent at t0 + i / rate (a fresh connection from a pool when all are busy), and
 * its latency runs from that scheduled instant to the last byte of the response, so a
 * server or client that falls behind shows as latency (no coordinated omission).
 */
import { Pool } from 'undici'
import type { LoadFigures } from './load-figures.js'


export interface PacedOptions {
  /** Origin and path: http://127.0.0.1:8787/v1/guard */
  url: string
  rate: number
  seconds: number
  headers: Record<string, string>
  body: () => string
  /** Most concurrent connections (requests beyond wait for one; the wait counts as latency). */
  connections?: number
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

export async function paced(options: PacedOptions): Promise<LoadFigures> {
  const target = new URL(options.url)
  const pool = new Pool(target.origin, { connections: options.connections ?? 64, pipelining: 1, keepAliveTimeout: 30_000 })
  const total = Math.round(options.rate * options.seconds)
  const latencies = new Float64Array(total)
  let done = 0
  let errors = 0
  let non2xx = 0
  const start = performance.now() + 20
  const interval = 1000 / options.rate
  const inflight: Promise<void>[] = []
  const send = (i: number): Promise<void> => {
    const scheduled = start + i * interval
    return pool
      .request({ path: target.pathname + target.search, method: 'POST', headers: options.headers, body: options.body() })
      .then(async (res) => {
        // Drain the body (streamed responses included): latency is to the last byte.
        for await (const chunk of res.body) void chunk
        if (res.statusCode < 200 || res.statusCode >= 300) non2xx++
      })
      .catch(() => void errors++)
      .finally(() => {
        latencies[done++] = performance.now() - scheduled
      })
  }
  let next = 0
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now()
      while (next < total && start + next * interval <= now) inflight.push(send(next++))
      if (next >= total) return resolve()
      // Sleep until the next send is due; setTimeout is ~1 ms coarse, so sends within a tick go together.
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()))
    }
    setTimeout(tick, Math.max(0, start - performance.now()))
  })
  await Promise.all(inflight)
  const elapsed = (performance.now() - start) / 1000
  await pool.close()
  const sorted = latencies.slice(0, done).sort()
  const round = (x: number) => Math.round(x * 100) / 100
  return {
    requestsPerSecond: Math.round(done / elapsed),
    p50Ms: round(percentile(sorted, 0.5)),
    p90Ms: round(percentile(sorted, 0.9)),
    p99Ms: round(percentile(sorted, 0.99)),
    errors,
    non2xx,
  }
}
