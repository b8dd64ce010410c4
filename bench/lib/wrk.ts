/**
 * Full-speed HTTP load with wrk (Debian package `wrk`) when it is installed.
 *
 * The load generator shares the machine's two cores with the server it measures. autocannon,
 * in Node, spends a sizeable share of a core per thousand requests, which the server then does
 * not get; wrk, in C with epoll, spends a fraction of that, so its figure is closer to what the
 * server can do. The bench says which generator produced each row.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { LoadFigures } from './load-figures.js'

const run = promisify(execFile)

export const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p))


/**
 * POSTs `bodies` in turn over `connections` connections for `seconds`; one wrk thread (the
 * other core is the server's). Bodies must be single-line (JSON is).
 */
export async function wrkLoad(options: { url: string; bodies: readonly string[]; headers: Record<string, string>; seconds: number; connections: number }): Promise<LoadFigures> {
  if (WRK === undefined) throw new Error('wrk is not installed (apt-get install wrk)')
  const dir = mkdtempSync(join(tmpdir(), 'rampart-wrk-'))
  try {
    const bodiesFile = join(dir, 'bodies.jsonl')
    writeFileSync(bodiesFile, options.bodies.map((b) => b.replace(/\n/g, ' ')).join('\n') + '\n')
    const headerLines = Object.entries(options.headers)
      .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
      .join('\n')
    const script = `
local bodies = {}
for line in io.lines(${JSON.stringify(bodiesFile)}) do bodies[#bodies + 1] = line end
local i = 0
wrk.method = "POST"
${headerLines}
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%d,"durationUs":%d,"p50":%d,"p90":%d,"p99":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`
    const scriptFile = join(dir, 'load.lua')
    writeFileSync(scriptFile, script)
    const { stdout } = await run(WRK, ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', '-s', scriptFile, options.url], { maxBuffer: 1 << 20 })
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '))
    if (line === undefined) throw new Error(`wrk printed no result:\n${stdout}`)
    const r = JSON.parse(line.slice(7)) as { requests: number; durationUs: number; p50: number; p90: number; p99: number; errors: number; non2xx: number }
    const ms = (us: number) => Math.round(us / 10) / 100
    return {
      requestsPerSecond: Math.round(r.requests / (r.durationUs / 1e6)),
      p50Ms: ms(r.p50),
      p90Ms: ms(r.p90),
      p99Ms: ms(r.p99),
      errors: r.errors,
      non2xx: r.non2xx,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
