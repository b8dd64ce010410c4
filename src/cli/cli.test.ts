import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'

// The CLI is tested as users run it: the built JavaScript under plain `node`.
const bin = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'rampart-cli-'))

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` before the tests (npm test does)`)
})

describe('rampart CLI', () => {
  it('prints help for every command', () => {
    for (const args of [['--help'], ['scan', '--help'], ['policy', '--help'], ['policy', 'validate', '--help'], ['policy', 'show', '--help'], ['policy', 'schema', '--help'], ['scanners', '--help']]) {
      const r = run(args)
      expect(r.code, args.join(' ')).toBe(0)
      expect(r.stdout).toMatch(/^Usage: rampart/)
    }
  })

  it('scans --text, a file argument and stdin the same way', () => {
    const file = join(dir, 'prompt.txt')
    writeFileSync(file, 'hello world')
    const outs = [run(['scan', '--text', 'hello world']), run(['scan', file]), run(['scan'], 'hello world')]
    for (const r of outs) {
      expect(r.code).toBe(0)
      const result = JSON.parse(r.stdout)
      expect(Object.keys(result)).toEqual(['decision', 'text', 'findings', 'latencyMs'])
      expect(result.text).toBe('hello world')
    }
  })

  it('exits 0 with decision block when a scanner blocks', () => {
    const r = run(['scan', '--only', 'length', '--text', 'x'.repeat(20_001)])
    expect(r.code).toBe(0)
    const result = JSON.parse(r.stdout)
    expect(result.decision).toBe('block')
    expect(result.findings.map((f: { type: string }) => f.type)).toEqual(['MAX_CHARS', 'MAX_TOKENS'])
    expect(result.findings[0]).toMatchObject({ scanner: 'length', action: 'block', score: 1, detail: { length: 20_001, max: 20_000 } })
  })

  it('writes one result per JSONL line, in order, carrying ids; bad lines are reported in place', () => {
    const lines = [
      JSON.stringify({ id: 'a', text: 'first' }),
      '{not json',
      '',
      JSON.stringify({ id: 7, text: 'x'.repeat(20_001), label: 1 }),
      JSON.stringify({ id: 'no-text' }),
      JSON.stringify({ text: 'no id' }),
    ]
    const file = join(dir, 'in.jsonl')
    writeFileSync(file, lines.join('\n') + '\n')
    const r = run(['scan', '--only', 'length', '--jsonl', file])
    expect(r.code).toBe(3)
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(out).toHaveLength(5)
    expect(out[0]).toMatchObject({ id: 'a', decision: 'allow', text: 'first' })
    expect(out[1]).toMatchObject({ line: 2, error: { code: 'RAMPART_ERR_INPUT_INVALID' } })
    expect(out[2]).toMatchObject({ id: 7, decision: 'block' })
    expect(out[3]).toMatchObject({ id: 'no-text', line: 5, error: { code: 'RAMPART_ERR_INPUT_INVALID' } })
    expect(out[4]).toMatchObject({ decision: 'allow', text: 'no id' })
    expect(out[4]).not.toHaveProperty('id')
    expect(r.stderr).toContain(`${file}:2:`)
    expect(r.stderr).toContain('2 of 5 lines were invalid')
  })

  it('refuses inputs over --max-chars with a clear error', () => {
    const r = run(['scan', '--max-chars', '5', '--text', 'too long'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('RAMPART_ERR_INPUT_TOO_LARGE')
    const j = join(dir, 'big.jsonl')
    writeFileSync(j, JSON.stringify({ id: 1, text: 'too long' }) + '\n')
    const rj = run(['scan', '--max-chars', '5', '--jsonl', j])
    expect(rj.code).toBe(3)
    expect(JSON.parse(rj.stdout)).toMatchObject({ id: 1, error: { code: 'RAMPART_ERR_INPUT_TOO_LARGE' } })
  })

  it('rejects bad flags with the flag named', () => {
    const r = run(['scan', '--direction', 'sideways', '--text', 'x'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--direction')
    expect(run(['scan', '--only', 'nope', '--text', 'x']).stderr).toContain('unknown scanner "nope"')
    expect(run(['scan', '--text', 'a', '--jsonl', 'b']).stderr).toContain('at most one of')
    expect(run(['scan', '--bogus']).code).toBe(2)
  })

  it('validates policies, naming the field path on error', () => {
    const good = join(dir, 'good.yaml')
    writeFileSync(good, 'name: mine\ninput:\n  length: { action: flag }\n')
    const ok = run(['policy', 'validate', good])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('ok:')
    const bad = join(dir, 'bad.yaml')
    writeFileSync(bad, 'input:\n  length: { threshold: 3 }\n')
    const r = run(['policy', 'validate', bad])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('policy.input.length.threshold')
    expect(run(['policy', 'validate', join(dir, 'missing.yaml')]).stderr).toContain('RAMPART_ERR_POLICY_NOT_FOUND')
  })

  it('shows the effective default policy and its JSON Schema', () => {
    const show = run(['policy', 'show', '--format', 'json'])
    expect(show.code).toBe(0)
    expect(JSON.parse(show.stdout)).toMatchObject({ name: 'default', version: 1, onError: 'block' })
    const schema = JSON.parse(run(['policy', 'schema']).stdout)
    expect(schema.type).toBe('object')
    expect(schema.properties.input.properties).toHaveProperty('length')
  })
})

describe('package entry points', () => {
  it("imports createGuard from 'rampart' in plain Node (self-reference through package exports)", () => {
    const code = "import { createGuard } from 'rampart'; const g = await createGuard(); const r = await g.scanInput('hello'); console.log(JSON.stringify(Object.keys(r)))"
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) })
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toEqual(['decision', 'text', 'findings', 'latencyMs'])
  })
})
