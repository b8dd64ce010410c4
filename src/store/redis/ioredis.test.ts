import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../..', import.meta.url))

/** Runs `body` in a fresh Node with V8 natives syntax; returns its stdout lines. */
function probe(body: string): string[] {
  const code = `const fast = () => %HasFastProperties(String.prototype)\n${body}`
  return execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' }).trim().split('\n')
}

describe('ioredis and V8 string performance', () => {
  it('loading ioredis leaves String.prototype slow; the adapters\' import repairs it, and so does starting the gateway', () => {
    const [plain, repaired, flag] = probe(`
      await import('ioredis')
      console.log(fast())
      const m = await import('./src/store/redis/ioredis.ts')
      console.log(fast())
      console.log(m.stringPrototypeRepaired)
    `)
    // The problem the module works around (if a new ioredis no longer has it, the repair is moot).
    if (plain === 'false') expect(flag).toBe('true')
    expect(repaired).toBe('true')
  })

  it('the gateway runtime, which loads every Redis adapter, keeps String.prototype fast', () => {
    const [after] = probe(`
      await import('./src/gateway/runtime.ts')
      await import('./src/index.ts')
      console.log(fast())
    `)
    expect(after).toBe('true')
  })
})
