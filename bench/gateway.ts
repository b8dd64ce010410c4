/**
 * The gateway under HTTP load, against processes of their own:
 *
 *   npm run bench -- gateway     # or as part of the whole `npm run bench`
 *
 * A mock OpenAI-compatible upstream (dist/gateway/mock-upstream.js) and `rampart serve` each run
 * in a child process. The same load goes straight to the upstream and through Rampart in one
 * run, so the difference is Rampart's overhead on this machine:
 *   1. proxy, JSON responses, at a fixed 500 requests/s: added latency p50/p99;
 *   2. proxy, streamed (SSE) responses, at 500 requests/s: added time to the last byte;
 *   3. proxy at full speed: throughput ratio;
 *   4. /v1/guard with 1 KB prompts at full speed: requests/s.
 * Fixed-rate rows use an open-loop generator that spaces requests evenly (bench/lib/paced.ts:
 * autocannon's rate limit sends each second's budget in a burst). Full-speed rows use wrk when
 * it is installed (bench/lib/wrk.ts: it leaves the server more of the shared cores), else
 * autocannon; the table names the generator.
 *
 * Fixed-rate rows go to `rampart serve --workers 1 --scan-threads 1` (one worker process, forked
 * with a 64 MB young generation: src/cli/commands/gateway.ts; its scans on a thread of their own:
 * src/gateway/scan-pool.ts), full-speed rows to `--workers N --scan-threads 0`. Both are what
 * `--scan-threads auto` picks on this 2-core machine, given explicitly so that a run elsewhere
 * measures the same layout. At 500 requests/s one process is busy about 75 % of one core when it
 * scans on its HTTP thread; with the scan thread each thread is about half as busy, and streamed
 * replies no longer saturate it (26 Nov: SSE added p50 822 ms → 3.6–5.1 ms in the same phase of the
 * VM). Two processes on this 2-core machine also contend with the generator and the upstream for
 * the same two cores (26 Nov, three alternations before scan threads: one process p50 2.1–2.6 ms,
 * p99 7.8–13 ms; two workers p50 3.0–4.1 ms, p99 23–600 ms). Throughput needs every core, so full
 * speed uses the workers, each scanning on its HTTP thread.
 */
import autocannon, { type Result } from 'autocannon'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readJsonl } from './lib/data.js'
import type { LoadFigures } from './lib/load-figures.js'
import { machineNotes } from './lib/machine-notes.js'
import { scanSpeed, type ScanSpeed } from './lib/machine-speed.js'
import { paced } from './lib/paced.js'
import { WRK, wrkLoad } from './lib/wrk.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'dist/cli/bin.js')


export interface GatewayBenchResult {
  machine: string
  /** Known periodic pauses of the machine during the run (lib/machine-notes.ts). */
  machineNotes?: string[]
  /**
   * Default-policy scan of the guard row's 1 KB prompts in the bench's own process, just before
   * and just after the load rows (lib/machine-speed.ts): which phase of the VM the rows ran in.
   */
  scanSpeed?: { before: ScanSpeed; after: ScanSpeed }
  durationSeconds: number
  workers: number
  /** Processes of the gateway that served the fixed-rate rows. */
  fixedRateWorkers: number
  /** Scan threads per process: fixed-rate rows, full-speed rows (`--scan-threads`). */
  scanThreads?: { fixedRate: number; fullSpeed: number }
  proxyJson: { direct: LoadFigures; rampart: LoadFigures; addedP50Ms: number; addedP99Ms: number }
  proxyStream: { direct: LoadFigures; rampart: LoadFigures; addedP50Ms: number; addedP99Ms: number }
  proxyMax: { direct: LoadFigures; rampart: LoadFigures; ratio: number }
  guard1k: LoadFigures
  /** Generator of the full-speed rows. */
  fullSpeedTool: 'wrk' | 'autocannon'
}

function figures(r: Result): LoadFigures {
  return {
    requestsPerSecond: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  }
}

async function waitFor(url: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    try {
      const res = await fetch(url)
      if (res.ok) return
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${url} did not come up`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  return child
}

/** SIGTERM, then the child's exit (at once when it has already exited). */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

async function run(opts: autocannon.Options): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)))
  })
}

/** Real benign prompts from dev.jsonl, joined to about `size` characters each. */
function benignPrompts(count: number, size: number): string[] {
  const pool = readJsonl<{ text: string; label: number }>('prompt-injection/dev.jsonl')
    .filter((r) => r.label === 0 && r.text.length < size)
    .map((r) => r.text)
  const out: string[] = []
  let cursor = 0
  for (let i = 0; i < count; i++) {
    let p = ''
    while (p.length < size) {
      p += (p ? '\n' : '') + pool[cursor % pool.length]
      cursor = (cursor * 7 + 13) % pool.length
    }
    out.push(p.slice(0, size))
  }
  return out
}

export async function runGatewayBench(options: { seconds?: number; workers?: number } = {}): Promise<GatewayBenchResult> {
  if (!existsSync(bin)) throw new Error('run `npm run build` first: the bench starts dist/cli/bin.js')
  const seconds = options.seconds ?? 10
  // One gateway process per core, as `rampart serve --workers` is meant to be run.
  const workers = options.workers ?? Number(process.env.RAMPART_BENCH_WORKERS ?? 2)
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-bench-gw-'))
  const children: ChildProcess[] = []
  try {
    const gatewayPort = 18_900 + Math.floor(Math.random() * 500)
    const reply = 'Sure. Here is a short and helpful answer about your account settings, with two practical steps you can take today, and a note on what to check next time. '.repeat(2)
    children.push(
      start(['--input-type=module', '-e', `
        import { startMockUpstream } from ${JSON.stringify(join(root, 'dist/gateway/mock-upstream.js'))}
        const up = await startMockUpstream({ reply: () => ${JSON.stringify(reply)}, chunkSize: 16 })
        console.log(up.url)
      `]),
    )
    const upstreamUrl = await new Promise<string>((resolve, reject) => {
      const c = children[0]!
      c.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))
      c.once('exit', (code) => reject(new Error(`mock upstream exited ${code}`)))
    })
    const keyOut = await new Promise<string>((resolve, reject) => {
      const c = start([bin, 'keys', 'create', '--data-dir', dataDir, '--role', 'app', '--tenant', 'bench', '--rate-limit', '60000000'])
      let out = ''
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()))
      c.once('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`keys create exited ${code}`))))
    })
    // One process for the fixed-rate rows, the workers for full speed (see the module comment),
    // on the same data directory, one gateway at a time: started together, the idle one's
    // processes (its store polls and leases on the shared SQLite file) doubled the fixed-rate
    // rows' added p99 (26 Nov, two runs each: 9.9 ms beside them, 4.0–5.1 ms alone).
    const fixedRateWorkers = 1
    const scanThreads = { fixedRate: 1, fullSpeed: 0 }
    const fixedRateGateway = start([bin, 'serve', '--data-dir', dataDir, '--port', String(gatewayPort), '--upstream', upstreamUrl, '--log-level', 'silent', '--workers', String(fixedRateWorkers), '--scan-threads', String(scanThreads.fixedRate)])
    children.push(fixedRateGateway)
    const gateway = `http://127.0.0.1:${gatewayPort}`
    await waitFor(`${gateway}/healthz`)
    const gatewayFull = `http://127.0.0.1:${gatewayPort + 1}`
    const startFullSpeedGateway = async () => {
      await stop(fixedRateGateway)
      children.push(start([bin, 'serve', '--data-dir', dataDir, '--port', String(gatewayPort + 1), '--upstream', upstreamUrl, '--log-level', 'silent', '--workers', String(workers), '--scan-threads', String(scanThreads.fullSpeed)]))
      await waitFor(`${gatewayFull}/healthz`)
    }

    const prompts = benignPrompts(200, 500)
    const guardPrompts = benignPrompts(200, 1_024)
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${keyOut}` }
    let i = 0
    // Every user message is new (a numbered reference appended), as the newest message of real
    // traffic is: the proxy remembers verdicts of messages it has seen (conversation history), and
    // a bench that cycled 200 prompts would measure that memory instead of the scanners.
    const chatBody = (stream: boolean) => () => {
      const k = i++
      return JSON.stringify({ model: 'bench', stream, messages: [{ role: 'system', content: 'You are a helpful assistant for a bank.' }, { role: 'user', content: `${prompts[k % prompts.length]} (ref ${k})` }] })
    }
    const load = (url: string, body: () => string, extra: Partial<autocannon.Options> = {}) =>
      run({
        url,
        method: 'POST',
        headers,
        duration: seconds,
        connections: 32,
        requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
        ...extra,
      }).then(figures)

    const log = (what: string) => process.stderr.write(`  ${what} …\n`)
    // Each fixed-rate row first runs 3 s at its rate, unrecorded, on its own connections (paced.ts).
    const at500 = (url: string, stream: boolean) => paced({ url, rate: 500, seconds, headers, body: chatBody(stream), warmupSeconds: 3 })
    const fullSpeedTool: GatewayBenchResult['fullSpeedTool'] = WRK === undefined ? 'autocannon' : 'wrk'
    const fullSpeed = (url: string, bodies: string[], rowSeconds = seconds) =>
      WRK === undefined
        ? load(url, (() => { let k = 0; return () => bodies[k++ % bodies.length]! })(), { duration: rowSeconds })
        : wrkLoad({ url, bodies, headers, seconds: rowSeconds, connections: 32 })
    // Each full-speed row first runs 8 s the same way, unrecorded. The workers are new (the
    // fixed-rate gateway was stopped) and their first seconds under full load go to growing the
    // heap (26 Nov, /v1/guard in 5 s rows on the same workers after 3 s of warm-up: in 6 of 8 runs
    // the first row was the slowest, by 11–32 %; the bench used to report that first row).
    const warmFullSpeed = (url: string, bodies: string[]) => fullSpeed(url, bodies, 8)
    // A new gateway process first: 8 s at the fixed rate, unrecorded (its first thousands of
    // requests run while V8 compiles and its heap grows: the first row measured that otherwise,
    // p99 307 ms after 3 s of warm-up on 26 Nov).
    log('machine speed: default-policy scans of 1 KB prompts in this process')
    const speedBefore = await scanSpeed(guardPrompts)
    log('warming the gateway: 8 s at 500 req/s')
    await paced({ url: `${gateway}/v1/chat/completions`, rate: 500, seconds: 8, headers, body: chatBody(false) })
    log('proxy JSON at 500 req/s: direct')
    const jsonDirect = await at500(`${upstreamUrl}/chat/completions`, false)
    log('proxy JSON at 500 req/s: through Rampart')
    const jsonRampart = await at500(`${gateway}/v1/chat/completions`, false)
    log('proxy SSE at 500 req/s: direct')
    const streamDirect = await at500(`${upstreamUrl}/chat/completions`, true)
    log('proxy SSE at 500 req/s: through Rampart')
    const streamRampart = await at500(`${gateway}/v1/chat/completions`, true)
    await startFullSpeedGateway()
    // More distinct bodies than a full-speed row sends (wrk cycles through them).
    const chatBodies = Array.from({ length: 60_000 }, chatBody(false))
    log(`proxy at full speed (${fullSpeedTool}): direct`)
    const maxDirect = await fullSpeed(`${upstreamUrl}/chat/completions`, chatBodies)
    // The guard row first, on the warmed workers: after the proxy's full-speed row the workers
    // carry its heap (10,000 remembered verdicts, alerts) into the guard row's garbage collection.
    const guardBodies = guardPrompts.map((text) => JSON.stringify({ text }))
    await warmFullSpeed(`${gatewayFull}/v1/guard`, guardBodies)
    log(`/v1/guard, 1 KB prompts, full speed (${fullSpeedTool})`)
    const guard1k = await fullSpeed(`${gatewayFull}/v1/guard`, guardBodies)
    // Warm-up messages of their own: the measured row's would be remembered (history cache), not scanned.
    await warmFullSpeed(`${gatewayFull}/v1/chat/completions`, Array.from({ length: 30_000 }, chatBody(false)))
    log(`proxy at full speed (${fullSpeedTool}): through Rampart`)
    const maxRampart = await fullSpeed(`${gatewayFull}/v1/chat/completions`, chatBodies)
    // Measured with the gateway and the upstream gone, as the first reading was taken before them.
    await Promise.all(children.map(stop))
    log('machine speed again')
    const speedAfter = await scanSpeed(guardPrompts)
    const round = (x: number) => Math.round(x * 100) / 100
    return {
      machine: `${process.platform} ${process.arch}, node ${process.version}`,
      machineNotes: machineNotes(),
      scanSpeed: { before: speedBefore, after: speedAfter },
      durationSeconds: seconds,
      workers,
      fixedRateWorkers,
      scanThreads,
      proxyJson: { direct: jsonDirect, rampart: jsonRampart, addedP50Ms: round(jsonRampart.p50Ms - jsonDirect.p50Ms), addedP99Ms: round(jsonRampart.p99Ms - jsonDirect.p99Ms) },
      proxyStream: { direct: streamDirect, rampart: streamRampart, addedP50Ms: round(streamRampart.p50Ms - streamDirect.p50Ms), addedP99Ms: round(streamRampart.p99Ms - streamDirect.p99Ms) },
      proxyMax: { direct: maxDirect, rampart: maxRampart, ratio: round(maxRampart.requestsPerSecond / maxDirect.requestsPerSecond) },
      guard1k,
      fullSpeedTool,
    }
  } finally {
    for (const c of children) c.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export function formatGatewayBench(r: GatewayBenchResult): string {
  const row = (name: string, f: LoadFigures) =>
    `| ${name.padEnd(34)} | ${String(f.requestsPerSecond).padStart(7)} | ${f.p50Ms.toFixed(2).padStart(7)} | ${f.p90Ms.toFixed(2).padStart(7)} | ${f.p99Ms.toFixed(2).padStart(7)} | ${String(f.errors + f.non2xx).padStart(6)} |`
  return [
    `Gateway under load (${r.durationSeconds} s per row; fixed-rate rows: evenly spaced open-loop requests, rampart serve --workers ${r.fixedRateWorkers ?? r.workers}${r.scanThreads === undefined ? '' : ` --scan-threads ${r.scanThreads.fixedRate}`}; full-speed rows: ${r.fullSpeedTool ?? 'autocannon'}, 32 connections, rampart serve --workers ${r.workers}${r.scanThreads === undefined ? '' : ` --scan-threads ${r.scanThreads.fullSpeed}`}; ${r.machine})`,
    '| path                               |   req/s | p50 ms  | p90 ms  | p99 ms  | errors |',
    '|------------------------------------|--------:|--------:|--------:|--------:|-------:|',
    row('proxy JSON @500/s, direct', r.proxyJson.direct),
    row('proxy JSON @500/s, via Rampart', r.proxyJson.rampart),
    row('proxy SSE @500/s, direct', r.proxyStream.direct),
    row('proxy SSE @500/s, via Rampart', r.proxyStream.rampart),
    row('proxy full speed, direct', r.proxyMax.direct),
    row('proxy full speed, via Rampart', r.proxyMax.rampart),
    row('/v1/guard 1 KB prompts, full speed', r.guard1k),
    '',
    `Added by Rampart at 500 req/s: JSON p50 ${r.proxyJson.addedP50Ms} ms, p99 ${r.proxyJson.addedP99Ms} ms; SSE p50 ${r.proxyStream.addedP50Ms} ms, p99 ${r.proxyStream.addedP99Ms} ms. Full-speed throughput ratio Rampart/direct: ${r.proxyMax.ratio}.`,
    ...(r.machineNotes ?? []).map((n) => `Machine: ${n}.`),
    ...(r.scanSpeed === undefined
      ? []
      : [`Machine speed: one default-policy scan of a 1 KB prompt took ${r.scanSpeed.before.msPerScan} ms in the bench's process before the load rows (batches ${r.scanSpeed.before.minMs}–${r.scanSpeed.before.maxMs}) and ${r.scanSpeed.after.msPerScan} ms after (${r.scanSpeed.after.minMs}–${r.scanSpeed.after.maxMs}).`]),
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await runGatewayBench()
  console.log(formatGatewayBench(result))
}
