import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer, type AddressInfo } from 'node:net'
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

/** Spawns `rampart serve` with `args` and resolves once it listens, with its stderr so far. */
async function serve(nodeArgs: string[], args: string[]): Promise<{ child: ReturnType<typeof spawn>; exited: Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [...nodeArgs, bin, 'serve', '--data-dir', dataDir, '--log-level', 'silent', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, exited, stderr: () => stderr }
}

/** Resolves once `serve` reports its address (30 s at most). */
async function listening(s: { stderr: () => string }): Promise<void> {
  const until = Date.now() + 30_000
  while (!s.stderr().includes('gateway listening')) {
    if (Date.now() > until) throw new Error(`serve did not start:\n${s.stderr()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const within = <T,>(p: Promise<T>, ms: number): Promise<T | string> => Promise.race([p, new Promise<string>((r) => setTimeout(() => r(`still running after ${ms} ms`), ms))])

function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
}

describe('rampart serve as one process', () => {
  it('forks one worker with a 64 MB young generation when none was chosen, and serves from it', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    const s = await serve([], ['--port', String(port)])
    try {
      await listening(s)
      expect(s.stderr()).toContain('(1 worker,')
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
      const workers = childrenOf(s.child.pid!)
      expect(workers).toHaveLength(1)
      const argv = readFileSync(`/proc/${workers[0]}/cmdline`, 'utf8').split('\0')
      expect(argv).toContain('--max-semi-space-size=64')
      expect(argv).toContain('--no-memory-reducer')
      s.child.kill('SIGTERM')
      expect(await within(s.exited, 15_000)).toBe(0)
      expect(alive(workers[0]!)).toBe(false)
    } finally {
      s.child.kill('SIGKILL')
    }
  }, 60_000)

  it('serves in place, with no worker, when the young generation was chosen', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    const s = await serve(['--max-semi-space-size=32'], ['--port', String(port)])
    try {
      await listening(s)
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
      expect(childrenOf(s.child.pid!)).toEqual([])
      s.child.kill('SIGTERM')
      expect(await within(s.exited, 15_000)).toBe(0)
    } finally {
      s.child.kill('SIGKILL')
    }
  }, 60_000)

  it('exits with a clear error, not a restart loop, when the port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as AddressInfo).port
    try {
      for (const [nodeArgs, extra] of [[[], []], [['--max-semi-space-size=32'], []], [[], ['--workers', '2']]] as const) {
        const s = await serve([...nodeArgs], ['--port', String(port), ...extra])
        const code = await within(s.exited, 30_000)
        if (typeof code === 'string') s.child.kill('SIGKILL')
        expect(code, `${nodeArgs.join(' ')} ${extra.join(' ')}: ${s.stderr()}`).toBe(2)
        expect(s.stderr()).toContain(`cannot listen on 127.0.0.1:${port}: the address is already in use`)
        expect(s.stderr()).not.toContain('internal error')
      }
    } finally {
      blocker.close()
    }
  }, 120_000)
})

describe('worker node options', () => {
  it('a young generation counts as chosen from a flag or NODE_OPTIONS', async () => {
    const { semiSpaceChosen } = await import('./commands/gateway.js')
    expect(semiSpaceChosen([], undefined)).toBe(false)
    expect(semiSpaceChosen(['--max-old-space-size=4096'], '--enable-source-maps')).toBe(false)
    expect(semiSpaceChosen(['--max-semi-space-size=8'], undefined)).toBe(true)
    expect(semiSpaceChosen([], '--max-old-space-size=4096 --max-semi-space-size=32')).toBe(true)
  })

  it('give workers a 64 MB young generation unless one was chosen', async () => {
    const { workerExecArgv } = await import('./commands/gateway.js')
    expect(workerExecArgv(['--enable-source-maps'], undefined)).toEqual(['--enable-source-maps', '--max-semi-space-size=64', '--no-memory-reducer'])
    expect(workerExecArgv(['--max-semi-space-size=8'], undefined)).toEqual(['--max-semi-space-size=8', '--no-memory-reducer'])
    expect(workerExecArgv([], '--max-old-space-size=4096 --max-semi-space-size=32')).toEqual(['--no-memory-reducer'])
    // An operator's choice of the memory reducer, either way, is kept.
    expect(workerExecArgv(['--memory-reducer'], undefined)).toEqual(['--memory-reducer', '--max-semi-space-size=64'])
    expect(workerExecArgv([], '--no-memory-reducer --max-semi-space-size=16')).toEqual([])
  })
})
