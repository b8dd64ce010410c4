import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createGuard } from '../guard.js'
import { compileGuard } from './engine.js'
import { parsePolicy } from './policy.js'
import { createRegistry } from './registry.js'
import { defineScanner, type ScannerFinding } from './scanner.js'
import { createVault } from './vault.js'

/** A scanner that reports every occurrence of a word, for wiring tests. */
const word = defineScanner({
  id: 'word',
  description: 'test',
  directions: ['input', 'output'],
  defaults: { action: 'flag', threshold: 0.5 },
  options: z.object({ word: z.string().default('secret'), score: z.number().default(0.9) }).strict(),
  create(options) {
    return {
      scan(text) {
        const out: ScannerFinding[] = []
        for (let i = text.indexOf(options.word); i >= 0; i = text.indexOf(options.word, i + 1)) {
          out.push({ type: 'WORD', score: options.score, start: i, end: i + options.word.length })
        }
        return out
      },
    }
  },
})
const thrower = defineScanner({
  id: 'thrower',
  description: 'test',
  directions: ['input'],
  defaults: { action: 'flag', threshold: 0 },
  options: z.object({}).strict(),
  create() {
    return {
      scan() {
        throw new Error('boom')
      },
    }
  },
})
const slow = defineScanner({
  id: 'slow',
  description: 'test',
  directions: ['output'],
  defaults: { action: 'flag', threshold: 0 },
  options: z.object({}).strict(),
  create() {
    return { scan: () => new Promise<ScannerFinding[]>((resolve) => setTimeout(() => resolve([]), 500)) }
  },
})
const registry = createRegistry([word, thrower, slow])

describe('engine', () => {
  it('applies the policy action and redacts', async () => {
    const guard = compileGuard(registry, parsePolicy({ input: { word: { action: 'redact' } } }, registry))
    const r = await guard.scan('input', 'my secret and secret')
    expect(r.decision).toBe('redact')
    expect(r.text).toBe('my [WORD_1] and [WORD_1]')
    expect(r.findings).toEqual([
      { scanner: 'word', type: 'WORD', score: 0.9, action: 'redact', start: 3, end: 9 },
      { scanner: 'word', type: 'WORD', score: 0.9, action: 'redact', start: 14, end: 20 },
    ])
    expect(r.latencyMs).toBeGreaterThanOrEqual(0)
  })

  it('drops findings under the threshold', async () => {
    const guard = compileGuard(registry, parsePolicy({ input: { word: { threshold: 0.95 } } }, registry))
    expect((await guard.scan('input', 'secret')).decision).toBe('allow')
  })

  it('skips disabled scanners and scanners of the other direction', async () => {
    const guard = compileGuard(registry, parsePolicy({ input: { word: { enabled: false } }, output: { word: {} } }, registry))
    expect(guard.scanners).toEqual({ input: [], output: ['word'] })
    expect((await guard.scan('input', 'secret')).findings).toEqual([])
  })

  it('turns a throwing scanner into a finding with the onError action (fail closed)', async () => {
    const guard = compileGuard(registry, parsePolicy({ input: { thrower: {}, word: {} } }, registry))
    const r = await guard.scan('input', 'secret')
    expect(r.decision).toBe('block')
    expect(r.findings.find((f) => f.scanner === 'thrower')).toMatchObject({ type: 'SCANNER_ERROR', action: 'block', detail: { error: 'Error: boom' } })
    const open = compileGuard(registry, parsePolicy({ onError: 'flag', input: { thrower: {} } }, registry))
    expect((await open.scan('input', 'x')).decision).toBe('flag')
  })

  it('times out an asynchronous scanner', async () => {
    const guard = compileGuard(registry, parsePolicy({ scannerTimeoutMs: 20, output: { slow: {} } }, registry))
    const r = await guard.scan('output', 'x')
    expect(r.findings[0]).toMatchObject({ scanner: 'slow', type: 'SCANNER_ERROR', action: 'block' })
    expect(String(r.findings[0]?.detail?.error)).toContain('exceeded 20 ms')
  })

  it('runs a scan of synchronous scanners without yielding, and still awaits an asynchronous one', async () => {
    // Concurrent scans of synchronous scanners must not interleave scanner by scanner (each
    // scan's views would be evicted from the caches by the others' in between).
    const calls: string[] = []
    const recorder = (id: string) =>
      defineScanner({
        id,
        description: 'test',
        directions: ['input'],
        defaults: { action: 'flag', threshold: 0.5 },
        options: z.object({}).strict(),
        create: () => ({
          scan(text) {
            calls.push(`${text}:${id}`)
            return id === 'later' ? Promise.resolve([{ type: 'LATE', score: 0.9 }]) : []
          },
        }),
      })
    const reg = createRegistry([recorder('one'), recorder('later'), recorder('two')])
    const sync = compileGuard(reg, parsePolicy({ input: { one: {}, two: {} } }, reg))
    await Promise.all([sync.scan('input', 'a'), sync.scan('input', 'b')])
    expect(calls).toEqual(['a:one', 'a:two', 'b:one', 'b:two'])
    calls.length = 0
    const mixed = compileGuard(reg, parsePolicy({ input: { one: {}, later: {}, two: {} } }, reg))
    const r = await mixed.scan('input', 'c')
    expect(calls).toEqual(['c:one', 'c:later', 'c:two'])
    expect(r.findings).toEqual([{ scanner: 'later', type: 'LATE', score: 0.9, action: 'flag' }])
  })

  it('runs only the named scanners with their defaults', async () => {
    const guard = compileGuard(registry, parsePolicy({ input: { thrower: {} } }, registry), ['word'])
    expect(guard.scanners.input).toEqual(['word'])
    expect((await guard.scan('input', 'secret')).decision).toBe('flag')
    expect(() => compileGuard(registry, parsePolicy({}, registry), ['nope'])).toThrow(/unknown scanner "nope"; valid scanners: word, thrower, slow/)
  })

  it('refuses texts over maxChars and non-string input with coded errors', async () => {
    const guard = compileGuard(registry, parsePolicy({ maxChars: 10, input: { word: {} } }, registry))
    await expect(guard.scan('input', 'x'.repeat(11))).rejects.toMatchObject({ code: 'RAMPART_ERR_INPUT_TOO_LARGE', status: 413 })
    await expect(guard.scan('input', 42 as unknown as string)).rejects.toMatchObject({ code: 'RAMPART_ERR_INPUT_INVALID' })
    await expect(guard.scan('sideways' as 'input', 'x')).rejects.toMatchObject({ code: 'RAMPART_ERR_DIRECTION' })
  })

  it('uses the caller vault so the output can be de-anonymized', async () => {
    const guard = await createGuard({ registry, policy: { input: { word: { action: 'redact' } } } })
    const vault = createVault()
    const r = await guard.scanInput('the secret', { vault })
    expect(r.text).toBe('the [WORD_1]')
    expect(vault.deanonymize('echo [WORD_1]')).toBe('echo secret')
  })
})
