/**
 * Latency of Rampart's default input policy on 2 KB prompts, on one core, and of each of its
 * scanners alone. Prompts are built from real text (prompt-injection and PII dev sets) so the
 * scanners meet realistic prose, names, numbers and the odd attack.
 */
import { pathToFileURL } from 'node:url'
// The built package (dist/), as users run it (`npm run bench` builds first).
import { createGuard } from '../dist/index.js'
import { readJsonl } from './lib/data.js'
import { measureLatency, type LatencyStats } from './lib/timing.js'

export interface LatencyResult {
  promptChars: number
  prompts: number
  /** The whole default input policy per call (GC pauses included), on real 2 KB prompts. */
  defaultInputPolicy: LatencyStats
  /** The same on PII-dense 2 KB prompts (prompt-injection and PII dev texts mixed). */
  defaultInputPolicyPiiDense: LatencyStats
  /** Each scanner of the default input policy alone, with the policy's settings, on real prompts. */
  scanners: Record<string, LatencyStats>
}

/**
 * Deterministic 2 KB prompts: real texts appended until 2,048 characters, cut at a space.
 * `mixed` draws from the prompt-injection and PII dev sets (dense in personal data: about a dozen
 * PII items per prompt); `prompts` only from the prompt-injection dev set (real user prompts,
 * documents and attacks), the reference input of the latency budget.
 */
export function buildPrompts(count: number, size = 2_048, from: 'mixed' | 'prompts' = 'mixed'): string[] {
  const pool = [
    ...readJsonl<{ text: string }>('prompt-injection/dev.jsonl').map((r) => r.text),
    ...(from === 'mixed' ? readJsonl<{ text: string }>('pii/dev.jsonl').map((r) => r.text) : []),
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
  const prompts = buildPrompts(options.prompts ?? 300, 2_048, 'prompts')
  const dense = buildPrompts(options.prompts ?? 300, 2_048, 'mixed')
  const calls = options.calls ?? 5_000
  const guard = await createGuard()
  const defaultInputPolicy = await measureLatency(prompts, (p) => guard.scanInput(p), calls, 1_000)
  const defaultInputPolicyPiiDense = await measureLatency(dense, (p) => guard.scanInput(p), calls, 1_000)
  const scanners: Record<string, LatencyStats> = {}
  for (const id of guard.scanners.input) {
    // The scanner with the default policy's settings for it, and nothing else.
    const only = await createGuard({ policy: { ...guard.policy, input: { [id]: guard.policy.input[id] }, output: {} } })
    scanners[id] = await measureLatency(prompts, (p) => only.scanInput(p), Math.round(calls / 2))
  }
  return { promptChars: Math.round(prompts.reduce((s, p) => s + p.length, 0) / prompts.length), prompts: prompts.length, defaultInputPolicy, defaultInputPolicyPiiDense, scanners }
}

export function formatLatency(r: LatencyResult): string {
  const row = (name: string, s: LatencyStats) => `| ${name} | ${s.p50Ms.toFixed(3)} | ${s.p99Ms.toFixed(3)} | ${Math.round(s.throughput).toLocaleString('en-US')} |`
  return [
    `Latency per call (GC pauses included) on ${r.prompts} real prompts of ~${r.promptChars} characters (prompt-injection dev texts), one core:`,
    '',
    '| scanners | p50 ms | p99 ms | calls/s |',
    '| --- | ---: | ---: | ---: |',
    row('**default input policy (all)**', r.defaultInputPolicy),
    row('default input policy, PII-dense prompts', r.defaultInputPolicyPiiDense),
    ...Object.entries(r.scanners).map(([id, s]) => row(id, s)),
  ].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runLatencyBench()
  console.log(formatLatency(r))
}
