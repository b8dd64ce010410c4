/**
 * An open-loop load generator at a fixed request rate, for "latency at N requests/s".
 *
 * autocannon's `overallRate` is a per-second budget per connection: each connection sends its
 * share back to back at the top of every second, then waits. At 500 req/s over 32 connections
 * that is a burst of 32 concurrent requests every second — the latency it reports is queueing
 * inside the burst, not the latency of a server receiving 500 evenly spaced requests. Here
 * request i is sent at t0 + i / rate (on the next idle connection, see below), and
 * its latency runs from that scheduled instant to the last byte of the response, so a
 * server or client that falls behind shows as latency (no coordinated omission).
 *
 * Requests go round-robin over the connections, to the next idle one: a pool that reuses its
 * first idle connection sends nearly everything down one or two keep-alive connections at this
 * concurrency, and a server that spreads connections over worker processes (`rampart serve
 * --workers N`, Node's cluster) then serves the whole load with one worker while the others idle.
 * Many clients, as in production, reach every worker; so do wrk and autocannon, one request loop
 * per connection.
 *
 * `warmupSeconds` first sends at the same rate on the same connections without recording (as
 * wrk2 calibrates before it records): the first requests of a row open its connections, and a
 * server's first ~1,000 requests run while V8 still compiles. Recorded from a cold start, the
 * slowest 1 % of a 10 s row at 500 req/s were half of them in its first 0.75 s (26 Nov).
 */
import { Client } from 'undici'
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
  /** Seconds sent at the same rate before recording starts (default 0). */
  warmupSeconds?: number
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

export async function paced(options: PacedOptions): Promise<LoadFigures> {
  const target = new URL(options.url)
  const clients = Array.from({ length: options.connections ?? 64 }, () => new Client(target.origin, { pipelining: 1, keepAliveTimeout: 30_000 }))
  const busy = new Int32Array(clients.length)
  let cursor = 0
  /** The next idle connection after the last one used, or the least busy when none is idle (the wait counts as latency). */
  const pick = (): number => {
    let least = cursor
    for (let k = 0; k < clients.length; k++) {
      const c = (cursor + k) % clients.length
      if (busy[c] === 0) {
        least = c
        break
      }
      if (busy[c]! < busy[least]!) least = c
    }
    cursor = (least + 1) % clients.length
    return least
  }
  const warm = Math.round(options.rate * (options.warmupSeconds ?? 0))
  const recorded = Math.round(options.rate * options.seconds)
  const total = warm + recorded
  const latencies = new Float64Array(recorded)
  let done = 0
  let errors = 0
  let non2xx = 0
  const start = performance.now() + 20
  const interval = 1000 / options.rate
  const inflight: Promise<void>[] = []
  const send = (i: number): Promise<void> => {
    const scheduled = start + i * interval
    const c = pick()
    busy[c]!++
    return clients[c]!
      .request({ path: target.pathname + target.search, method: 'POST', headers: options.headers, body: options.body() })
      .then(async (res) => {
        // Drain the body (streamed responses included): latency is to the last byte.
        for await (const chunk of res.body) void chunk
        if (i >= warm && (res.statusCode < 200 || res.statusCode >= 300)) non2xx++
      })
      .catch(() => {
        if (i >= warm) errors++
      })
      .finally(() => {
        busy[c]!--
        if (i >= warm) latencies[done++] = performance.now() - scheduled
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
  const elapsed = (performance.now() - start) / 1000 - warm / options.rate
  await Promise.all(clients.map((c) => c.close()))
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
