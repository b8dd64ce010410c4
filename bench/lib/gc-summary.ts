/**
 * Summarises V8's `--trace-gc-nvp` lines: how often the young generation was scavenged, how long
 * those pauses were, and how many bytes each request left to survive into the old generation.
 *
 *   node --trace-gc-nvp dist/cli/bin.js serve … 2> gc.log
 *   npx tsx bench/lib/gc-summary.ts gc.log [requests]
 *
 * A scavenge costs time in proportion to what survives it, not to what was allocated, so
 * "promoted bytes per request" is the figure to drive down; unlike a latency percentile it barely
 * moves with the noise of a shared machine.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

export interface GcEvent {
  /** Milliseconds since the isolate started. */
  atMs: number
  kind: string
  pauseMs: number
  promoted: number
  survived: number
  allocated: number
  /** Main-thread pause plus the helper threads' share of a parallel scavenge: the GC's CPU time. */
  workMs: number
}

export interface GcSummary {
  seconds: number
  scavenges: number
  scavengesPerSecond: number
  scavengeMeanMs: number
  scavengeP99Ms: number
  scavengeMaxMs: number
  /** Mean CPU time per scavenge, helper threads included (less sensitive to a busy machine than the pause). */
  scavengeWorkMeanMs: number
  /** Bytes per scavenge that moved to the old generation / stayed in the young one. */
  promotedPerScavenge: number
  survivedPerScavenge: number
  markCompacts: number
  markCompactMaxMs: number
  /** Over the whole window, when the request count is given. */
  promotedPerRequest?: number
  allocatedPerRequest?: number
}

const FIELD = /([\w.]+)=([\d.]+|\w+)/g

export function parseGcNvp(text: string): GcEvent[] {
  const events: GcEvent[] = []
  for (const line of text.split('\n')) {
    const at = /\s([\d.]+) ms: pause=/.exec(line)
    if (at === null) continue
    const f: Record<string, string> = {}
    for (const m of line.matchAll(FIELD)) f[m[1]!] = m[2]!
    events.push({
      atMs: Number(at[1]),
      kind: f.gc ?? '?',
      pauseMs: Number(f.pause ?? 0),
      promoted: Number(f.promoted ?? 0),
      survived: Number(f.new_space_survived ?? 0),
      allocated: Number(f.allocated ?? 0),
      workMs: Number(f.pause ?? 0) + Number(f['background.scavenge.parallel'] ?? 0),
    })
  }
  return events
}

export function summariseGc(events: readonly GcEvent[], requests?: number): GcSummary {
  const scavenges = events.filter((e) => e.kind === 's')
  const full = events.filter((e) => e.kind !== 's')
  const pauses = scavenges.map((e) => e.pauseMs).sort((a, b) => a - b)
  const seconds = events.length < 2 ? 0 : (events[events.length - 1]!.atMs - events[0]!.atMs) / 1000
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0)
  const promoted = sum(scavenges.map((e) => e.promoted))
  const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d
  const summary: GcSummary = {
    seconds: round(seconds, 1),
    scavenges: scavenges.length,
    scavengesPerSecond: seconds > 0 ? round(scavenges.length / seconds) : 0,
    scavengeMeanMs: pauses.length > 0 ? round(sum(pauses) / pauses.length) : 0,
    scavengeP99Ms: pauses.length > 0 ? pauses[Math.min(pauses.length - 1, Math.floor(0.99 * pauses.length))]! : 0,
    scavengeMaxMs: pauses.at(-1) ?? 0,
    scavengeWorkMeanMs: scavenges.length > 0 ? round(sum(scavenges.map((e) => e.workMs)) / scavenges.length) : 0,
    promotedPerScavenge: scavenges.length > 0 ? Math.round(promoted / scavenges.length) : 0,
    survivedPerScavenge: scavenges.length > 0 ? Math.round(sum(scavenges.map((e) => e.survived)) / scavenges.length) : 0,
    markCompacts: full.length,
    markCompactMaxMs: Math.max(0, ...full.map((e) => e.pauseMs)),
  }
  if (requests !== undefined && requests > 0) {
    summary.promotedPerRequest = Math.round(promoted / requests)
    summary.allocatedPerRequest = Math.round(sum(scavenges.map((e) => e.allocated)) / requests)
  }
  return summary
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, requests] = process.argv.slice(2)
  if (file === undefined) {
    process.stderr.write('usage: tsx bench/lib/gc-summary.ts gc.log [requests]\n')
    process.exit(2)
  }
  const summary = summariseGc(parseGcNvp(readFileSync(file, 'utf8')), requests === undefined ? undefined : Number(requests))
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
}
