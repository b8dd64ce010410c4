/**
 * The proxy under a fixed rate, with V8's GC traced in the gateway, summarised over the measured
 * window only (after a warm-up):
 *
 *   npm run build && npx tsx bench/lib/gc-load.ts [--rate 500] [--seconds 20] [--stream]
 *     [--workers 1] [--semi 64] [--dist dist] [--log gc.log]
 *
 * Prints the fixed-rate latency figures and gc-summary.ts's figures (scavenges per second, pause
 * and CPU time per scavenge, bytes surviving and promoted per request). Environment variables
 * reach `rampart serve` (RAMPART_HISTORY_CACHE_ENTRIES=0, RAMPART_POLICY=…), so a feature can be
 * switched off to see what it costs. One worker by default: GC figures per process, and a second
 * process would share the two cores with the load generator.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { readJsonl } from './data.js'
import { parseGcNvp, summariseGc } from './gc-summary.js'
import { paced } from './paced.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    stream: { type: 'boolean', default: false },
    workers: { type: 'string', default: '1' },
    semi: { type: 'string', default: '64' },
    dist: { type: 'string', default: join(root, 'dist') },
    log: { type: 'string' },
  },
})
const rate = Number(args.rate)
const seconds = Number(args.seconds)
const dist = resolve(args.dist)
const bin = join(dist, 'cli/bin.js')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const children: ChildProcess[] = []
const dataDir = mkdtempSync(join(tmpdir(), 'rampart-gc-'))
const gcLog = args.log ?? join(dataDir, 'gc.log')
try {
  const reply = 'Sure. Here is a short and helpful answer about your account settings, with two practical steps you can take today, and a note on what to check next time. '.repeat(2)
  const upstream = spawn(process.execPath, ['--input-type=module', '-e', `
    import { startMockUpstream } from ${JSON.stringify(join(dist, 'gateway/mock-upstream.js'))}
    const up = await startMockUpstream({ reply: () => ${JSON.stringify(reply)}, chunkSize: 16 })
    console.log(up.url)
  `], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(upstream)
  const upstreamUrl = await new Promise<string>((ok) => upstream.stdout!.once('data', (d: Buffer) => ok(d.toString().trim())))
  const key = execFileSync(process.execPath, [bin, 'keys', 'create', '--data-dir', dataDir, '--role', 'app', '--tenant', 'bench', '--rate-limit', '60000000']).toString().trim()
  const port = 19_000 + Math.floor(Math.random() * 800)
  const log = openSync(gcLog, 'w')
  const gateway = spawn(process.execPath, [`--max-semi-space-size=${args.semi}`, '--trace-gc-nvp', bin, 'serve', '--data-dir', dataDir, '--port', String(port), '--upstream', upstreamUrl, '--log-level', 'silent', '--workers', args.workers!], { stdio: ['ignore', log, log] })
  children.push(gateway)
  const url = `http://127.0.0.1:${port}`
  for (let t = 0; ; t++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break
    } catch {
      // not up yet
    }
    if (t > 200) throw new Error('the gateway did not come up')
    await sleep(100)
  }
  // The gateway bench's traffic: benign prompts of ~500 characters, each made new by a reference.
  const pool = readJsonl<{ text: string; label: number }>('prompt-injection/dev.jsonl').filter((r) => r.label === 0 && r.text.length < 500).map((r) => r.text)
  let cursor = 0
  const prompts = Array.from({ length: 200 }, () => {
    let p = ''
    while (p.length < 500) {
      p += (p ? '\n' : '') + pool[cursor % pool.length]
      cursor = (cursor * 7 + 13) % pool.length
    }
    return p.slice(0, 500)
  })
  let i = 0
  const body = () => {
    const k = i++
    return JSON.stringify({ model: 'bench', stream: args.stream, messages: [{ role: 'system', content: 'You are a helpful assistant for a bank.' }, { role: 'user', content: `${prompts[k % prompts.length]} (ref ${k})` }] })
  }
  const load = { url: `${url}/v1/chat/completions`, rate, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body }
  await paced({ ...load, seconds: 5 })
  const from = statSync(gcLog).size
  const figures = await paced({ ...load, seconds })
  const gc = summariseGc(parseGcNvp(readFileSync(gcLog, 'utf8').slice(from)), Math.round(rate * seconds))
  process.stdout.write(JSON.stringify({ rate, seconds, stream: args.stream, workers: Number(args.workers), semiSpaceMb: Number(args.semi), latency: figures, gc }, null, 2) + '\n')
} finally {
  for (const c of children) c.kill('SIGTERM')
  await sleep(300)
  rmSync(dataDir, { recursive: true, force: true })
}
