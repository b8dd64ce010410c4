/**
 * What on this machine stops every process now and then, for the reader of a latency figure.
 *
 * Found on the CI VM (26 Nov): a kernel DAMON monitor (`kdamond`, physical-address mode,
 * sampling every 500 ms for its `pageout` scheme) paused the gateway, the upstream and the load
 * generator together every ~0.54 s — the direct rows' p99 was 4–9 ms instead of ~2 ms, and each
 * pause left a queue behind it in the gateway. The bench does not change the machine: it says so.
 */
import { readFileSync, readdirSync } from 'node:fs'

const DAMON = '/sys/kernel/mm/damon/admin/kdamonds'

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return undefined
  }
}

/** Notes on periodic system-wide pauses (empty when none is known). */
export function machineNotes(): string[] {
  const notes: string[] = []
  let kdamonds: string[] = []
  try {
    kdamonds = readdirSync(DAMON).filter((d) => /^\d+$/.test(d))
  } catch {
    return notes
  }
  for (const k of kdamonds) {
    if (read(`${DAMON}/${k}/state`) !== 'on') continue
    const ctx = `${DAMON}/${k}/contexts/0`
    const ops = read(`${ctx}/operations`) ?? '?'
    const sampleUs = Number(read(`${ctx}/monitoring_attrs/intervals/sample_us`) ?? NaN)
    const sample = Number.isFinite(sampleUs) ? `, sampling every ${sampleUs / 1000} ms` : ''
    notes.push(`kernel DAMON monitor kdamond.${k} on (${ops}${sample}): it pauses every process briefly at each sample`)
  }
  return notes
}
