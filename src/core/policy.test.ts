import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createGuard, defaultPolicy } from '../guard.js'
import { builtinRegistry } from '../scanners/index.js'
import { RampartError } from './errors.js'
import { interpolateEnv, loadPolicyFile, parsePolicy, parsePolicyText } from './policy.js'

const registry = builtinRegistry()

function policyError(fn: () => unknown): RampartError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(RampartError)
    return error as RampartError
  }
  throw new Error('expected an error')
}

describe('policy', () => {
  it('loads the shipped default policy with defaults filled in, frozen', () => {
    const policy = defaultPolicy()
    expect(policy.name).toBe('default')
    expect(policy.onError).toBe('block')
    expect(policy.input.length?.enabled).toBe(true)
    expect(Object.isFrozen(policy.input)).toBe(true)
  })

  it('fills defaults for an empty policy', () => {
    const policy = parsePolicy({}, registry)
    expect(policy).toMatchObject({ version: 1, maxChars: 1_000_000, onError: 'block', input: {}, output: {} })
  })

  it('names the field path of an out-of-range threshold', () => {
    const e = policyError(() => parsePolicy({ input: { length: { threshold: 1.5 } } }, registry))
    expect(e.code).toBe('RAMPART_ERR_POLICY_INVALID')
    expect(e.message).toContain('policy.input.length.threshold')
    expect(e.path).toBe('policy.input.length.threshold')
    expect(e.status).toBe(400)
  })

  it('names an unknown scanner and lists the valid ones', () => {
    const e = policyError(() => parsePolicy({ input: { nope: {} } }, registry))
    expect(e.message).toContain('policy.input: unknown field "nope"')
    expect(e.message).toContain('length')
  })

  it('rejects unknown fields inside a scanner entry and bad option types', () => {
    expect(policyError(() => parsePolicy({ input: { length: { actoin: 'block' } } }, registry)).message).toContain('policy.input.length: unknown field "actoin"')
    expect(policyError(() => parsePolicy({ input: { length: { options: { maxChars: 'ten' } } } }, registry)).message).toContain('policy.input.length.options.maxChars')
    expect(policyError(() => parsePolicy({ input: { length: { action: 'explode' } } }, registry)).message).toContain('policy.input.length.action')
  })

  it('reports YAML syntax errors with a line number', () => {
    const e = policyError(() => parsePolicyText('input:\n  length: {action: block\n', registry, 'p.yaml'))
    expect(e.code).toBe('RAMPART_ERR_POLICY_PARSE')
    expect(e.message).toMatch(/^p\.yaml:\d+:\d+:/)
  })

  it('rejects duplicate keys rather than silently keeping one', () => {
    expect(policyError(() => parsePolicyText('name: a\nname: b\n', registry)).code).toBe('RAMPART_ERR_POLICY_PARSE')
  })

  it('interpolates ${VAR} and ${VAR:-default}', () => {
    expect(interpolateEnv({ a: '${X}', b: ['${Y:-fallback}'], c: 3 }, { X: 'x' })).toEqual({ a: 'x', b: ['fallback'], c: 3 })
    const policy = parsePolicyText('name: ${NAME:-dflt}\n', registry, 'p', {})
    expect(policy.name).toBe('dflt')
  })

  it('accepts JSON as well as YAML', () => {
    expect(parsePolicyText('{"name":"j","input":{"length":{"action":"flag"}}}', registry).input.length?.action).toBe('flag')
  })
})

describe('shipped policies', () => {
  const dir = fileURLToPath(new URL('../../policies/', import.meta.url))
  const files = [...readdirSync(dir).map((f) => dir + f), ...readdirSync(dir + 'examples').map((f) => `${dir}examples/${f}`)].filter((f) => f.endsWith('.yaml'))

  it('includes the default and strict presets and the examples', () => {
    expect(files.map((f) => f.slice(dir.length))).toEqual(expect.arrayContaining(['default.yaml', 'strict.yaml', 'examples/denied-topics.yaml']))
  })

  it.each(files.map((f) => [f.slice(dir.length), f]))('%s is valid and compiles', async (_name, file) => {
    const policy = loadPolicyFile(file, registry, {})
    const guard = await createGuard({ policy })
    expect(guard.scanners.input.length + guard.scanners.output.length).toBeGreaterThan(0)
  })
})
