/** Percentile (0..100) of a sample, nearest-rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

export interface LatencyStats {
  calls: number
  p50Ms: number
  p99Ms: number
  meanMs: number
  /** Calls per second on one core (single-threaded, back to back). */
  throughput: number
}

/**
 * Times `fn` on each input, after a warm-up pass, one call at a time on the main thread
 * (Node runs JavaScript on one core), repeating the inputs until `minCalls` calls are made.
 */
export async function measureLatency<T>(inputs: readonly T[], fn: (input: T) => unknown, minCalls = 2_000, warmup = 200): Promise<LatencyStats> {
  for (let i = 0; i < Math.min(warmup, inputs.length * 2); i++) await fn(inputs[i % inputs.length] as T)
  const times: number[] = []
  const start = performance.now()
  for (let i = 0; i < Math.max(minCalls, inputs.length); i++) {
    const t0 = performance.now()
    await fn(inputs[i % inputs.length] as T)
    times.push(performance.now() - t0)
  }
  const total = performance.now() - start
  times.sort((a, b) => a - b)
  return {
    calls: times.length,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    meanMs: total / times.length,
    throughput: (times.length / total) * 1000,
  }
}

/** Formats a ratio a/b for the tables ("2.31×", or "–" when undefined). */
export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–'
  return `${(a / b).toFixed(2)}×`
}
