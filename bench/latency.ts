/**
 * Latency of Rampart's default input policy on 2 KB prompts, on one core, and of each of its
 * scanners alone. Prompts are built from real text (prompt-injection and PII dev sets) so the
 * scanners meet realistic prose, names, numbers and the odd attack.
 */
import { pathToFileURL } from 'node:url'
import { createGuard } from '../src/index.js'
import { readJsonl } from './lib/data.js'
import { measureLatency, type LatencyStats } from './lib/timing.js'

export interface LatencyResult {
  promptChars: number
  prompts: number
  defaultInputPolicy: LatencyStats
  scanners: Record<string, LatencyStats>
}

/** Deterministic 2 KB prompts: real texts appended until 2,048 characters, cut at a space. */
export function buildPrompts(count: number, size = 2_048): string[] {
  const pool = [
    ...readJsonl<{ text: string }>('prompt-injection/dev.jsonl').map((r) => r.text),
    ...readJsonl<{ text: string }>('pii/dev.jsonl').map((r) => r.text),
  ].filter((t) => t.length < size)
  const prompts: string[] = []
  let cursor = 0
  for (let i = 0; i < count; i++) {
    let p = ''
    while (p.length < size) {
      p += (p ? '\n' : '') + pool[cursor % pool.length]
      cursor = (cursor * 7 + 13) % pool.length // a fixed stride walks the whole pool in a mixed order
    }
    const cut = p.lastIndexOf(' ', size)
    prompts.push(p.slice(0, cut > size * 0.9 ? cut : size))
  }
  return prompts
}

export async function runLatencyBench(options: { prompts?: number; calls?: number } = {}): Promise<LatencyResult> {
  const prompts = buildPrompts(options.prompts ?? 300)
  const calls = options.calls ?? 3_000
  const guard = await createGuard()
  const defaultInputPolicy = await measureLatency(prompts, (p) => guard.scanInput(p), calls)
  const scanners: Record<string, LatencyStats> = {}
  for (const id of guard.scanners.input) {
    // The scanner with the default policy's settings for it, and nothing else.
    const only = await createGuard({ policy: { ...guard.policy, input: { [id]: guard.policy.input[id] }, output: {} } })
    scanners[id] = await measureLatency(prompts, (p) => only.scanInput(p), Math.round(calls / 2))
  }
  return { promptChars: Math.round(prompts.reduce((s, p) => s + p.length, 0) / prompts.length), prompts: prompts.length, defaultInputPolicy, scanners }
}

export function formatLatency(r: LatencyResult): string {
  const row = (name: string, s: LatencyStats) => `| ${name} | ${s.p50Ms.toFixed(3)} | ${s.p99Ms.toFixed(3)} | ${Math.round(s.throughput).toLocaleString('en-US')} |`
  return [
    `Latency on ${r.prompts} prompts of ~${r.promptChars} characters, one core:`,
    '',
    '| scanners | p50 ms | p99 ms | calls/s |',
    '| --- | ---: | ---: | ---: |',
    row('**default input policy (all)**', r.defaultInputPolicy),
    ...Object.entries(r.scanners).map(([id, s]) => row(id, s)),
  ].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runLatencyBench()
  console.log(formatLatency(r))
}
