/**
 * How fast this machine is scanning right now, for the reader of a load figure.
 *
 * The CI VM's speed drifts: on 26 Nov the same build scanned a 1 KB prompt with the default
 * policy in 0.57 ms and, an hour later, in 1.2–1.6 ms (a tight arithmetic loop kept its time: the
 * drift is in memory and caches shared with other tenants, where the scanners' tables live), and
 * `/v1/guard` served 1,525–2,856 req/s in the same hour. A load row alone cannot say which phase
 * it ran in; this reference, taken in the bench's own process just before and just after the load
 * rows, can. It is a reading of the machine, not a target.
 */
import { createGuard } from '../../dist/index.js'

export interface ScanSpeed {
  /** Median over batches of the mean time of one default-policy input scan, ms. */
  msPerScan: number
  /** Fastest and slowest batch means, ms: how steady the machine was while measuring. */
  minMs: number
  maxMs: number
}

/**
 * Default-policy input scans of `prompts`, back to back on this thread, for about `seconds`
 * after a warm-up: the median of per-batch means (a batch is one pass over the prompts).
 */
export async function scanSpeed(prompts: readonly string[], seconds = 2): Promise<ScanSpeed> {
  const guard = await createGuard()
  for (let i = 0; i < 300; i++) await guard.scanInput(prompts[i % prompts.length]!)
  const means: number[] = []
  const until = performance.now() + seconds * 1000
  while (performance.now() < until || means.length < 3) {
    const t0 = performance.now()
    for (const p of prompts) await guard.scanInput(p)
    means.push((performance.now() - t0) / prompts.length)
  }
  means.sort((a, b) => a - b)
  const round = (x: number) => Math.round(x * 1000) / 1000
  return { msPerScan: round(means[Math.floor(means.length / 2)]!), minMs: round(means[0]!), maxMs: round(means[means.length - 1]!) }
}
