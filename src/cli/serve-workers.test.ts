import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// `rampart serve --workers N` as an operator runs it: the built CLI under plain node.
const bin = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), 'rampart-workers-'))

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` before the tests (npm test does)`)
})
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('rampart serve --workers', () => {
  it('serves from every worker and exits, workers included, on SIGTERM', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    const child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir, '--port', String(port), '--workers', '2', '--log-level', 'silent'], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      const until = Date.now() + 30_000
      while (!stderr.includes('gateway listening')) {
        if (Date.now() > until) throw new Error(`serve did not start:\n${stderr}`)
        await new Promise((r) => setTimeout(r, 100))
      }
      for (let i = 0; i < 10; i++) expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
      // The workers are the primary's child processes (Linux: /proc lists them).
      const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
      expect(children).toHaveLength(2)
      const pids = new Set(children)
      child.kill('SIGTERM')
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running after 15 s'), 15_000))])
      expect(code).toBe(0)
      for (const pid of pids) expect(alive(pid), `worker ${pid}`).toBe(false)
    } finally {
      child.kill('SIGKILL')
    }
  }, 60_000)
})

describe('worker node options', () => {
  it('give workers a 64 MB young generation unless one was chosen', async () => {
    const { workerExecArgv } = await import('./commands/gateway.js')
    expect(workerExecArgv(['--enable-source-maps'], undefined)).toEqual(['--enable-source-maps', '--max-semi-space-size=64'])
    expect(workerExecArgv(['--max-semi-space-size=8'], undefined)).toEqual(['--max-semi-space-size=8'])
    expect(workerExecArgv([], '--max-old-space-size=4096 --max-semi-space-size=32')).toEqual([])
  })
})
