import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createTextViews } from '../../core/text-views.js'
import type { Scanner, ScannerFinding } from '../../core/scanner.js'
import type { ScanContext } from '../../core/types.js'
import { createGuard } from '../../guard.js'
import { dataLeak, dataLeakOptionsSchema } from './index.js'
import { compileNames, qualify } from './names.js'

function make(options: unknown = {}): Scanner {
  return dataLeak.create(dataLeakOptionsSchema.parse(options), dataLeak.defaults)
}

async function scan(text: string, context: ScanContext, s: Scanner): Promise<ScannerFinding[]> {
  const out = await s.scan(text, { direction: 'output', context, views: createTextViews(text) })
  return out.filter((f) => f.score >= dataLeak.defaults.threshold).sort((a, b) => (a.start ?? 0) - (b.start ?? 0) || a.type.localeCompare(b.type))
}

interface Fixture {
  kind: string
  text: string
  internalNames: string[]
  expect: Array<{ type: string; text: string; action?: string }>
  note: string
}
const fixtures = readFileSync(fileURLToPath(new URL('./fixtures.jsonl', import.meta.url)), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Fixture)

describe('data_leak fixtures (composition of pii and secrets off)', () => {
  const s = make({ pii: false, secrets: false })
  it.each(fixtures.map((f) => [f.kind, f.note, f] as const))('%s: %s', async (_kind, _note, f) => {
    const found = await scan(f.text, { internalNames: f.internalNames }, s)
    const got = found.map((x) => ({ type: x.type, text: f.text.slice(x.start, x.end), ...(x.action ? { action: x.action } : {}) }))
    const want = [...f.expect].sort((a, b) => f.text.indexOf(a.text) - f.text.indexOf(b.text) || a.type.localeCompare(b.type))
    expect(got).toEqual(want)
  })
})

describe('data_leak', () => {
  it('composes the secrets scanner and re-labels its findings', async () => {
    const text = 'Use postgres://admin:s3cr3tPw@db.example.com:5432/app please.'
    const found = await scan(text, {}, make({ pii: false }))
    const secret = found.find((f) => f.type === 'SECRET_PASSWORD')
    expect(secret?.detail).toMatchObject({ category: 'secret', sourceType: 'PASSWORD' })
    expect(text.slice(secret?.start, secret?.end)).toBe('s3cr3tPw')
    expect(found.map((f) => f.type)).toContain('CONNECTION_STRING')
    expect((await scan(text, {}, make({ pii: false, secrets: false }))).map((f) => f.type)).toEqual(['CONNECTION_STRING'])
  })

  it('passes options through to the composed secrets scanner', async () => {
    const text = 'password: Hunter2!xyz'
    expect((await scan(text, {}, make({ pii: false }))).map((f) => f.type)).toEqual(['SECRET_PASSWORD'])
    expect(await scan(text, {}, make({ pii: false, secrets: { allow: ['Hunter2!xyz'] } }))).toEqual([])
  })

  it('composes the pii scanner, re-labels its findings and passes its options through', async () => {
    const text = 'The customer is jane.doe@example.com.'
    const found = await scan(text, {}, make({ secrets: false }))
    expect(found.map((f) => [f.type, text.slice(f.start, f.end), f.detail?.category, f.detail?.sourceType])).toEqual([
      ['PII_EMAIL', 'jane.doe@example.com', 'pii', 'EMAIL'],
    ])
    expect(await scan(text, {}, make({ secrets: false, pii: { allow: ['jane.doe@example.com'] } }))).toEqual([])
    expect(await scan(text, {}, make({ secrets: false, pii: false }))).toEqual([])
  })

  it('redacts identifiers through the engine and keeps flagged types unredacted', async () => {
    const guard = await createGuard({ only: ['data_leak'] })
    const text = 'Rows come from customers_prod via SELECT name FROM customers_prod;'
    const result = await guard.scanOutput(text, { internalNames: ['customers_prod'] })
    expect(result.decision).toBe('redact')
    expect(result.text).toBe('Rows come from [INTERNAL_IDENTIFIER_1] via SELECT name FROM [INTERNAL_IDENTIFIER_1];')
    expect(result.findings.find((f) => f.type === 'SQL')?.action).toBe('flag')
  })

  it('reports every whole-word use of a common-word name with commonWordNames: anywhere', async () => {
    const text = 'Our users love it.'
    expect(await scan(text, { internalNames: ['users'] }, make({ pii: false, secrets: false }))).toEqual([])
    const any = await scan(text, { internalNames: ['users'] }, make({ pii: false, secrets: false, commonWordNames: 'anywhere' }))
    expect(any.map((f) => [f.type, text.slice(f.start, f.end), f.detail?.match])).toEqual([['INTERNAL_IDENTIFIER', 'users', 'identifier']])
  })

  it('switches parts off and overrides actions per type', async () => {
    const text = 'Host 10.1.2.3 and SELECT * FROM t1;'
    const off = await scan(text, {}, make({ pii: false, secrets: false, hosts: false, sql: false }))
    expect(off).toEqual([])
    const blocked = await scan(text, {}, make({ pii: false, secrets: false, actions: { SQL: 'block' } }))
    expect(blocked.map((f) => [f.type, f.action])).toEqual([
      ['INTERNAL_HOST', undefined],
      ['SQL', 'block'],
    ])
  })

  it('never puts the matched name in the detail', async () => {
    const [f] = await scan('see customers_prod', { internalNames: ['x1', 'customers_prod'] }, make({ pii: false, secrets: false }))
    expect(f?.detail).toEqual({ name: 1, match: 'identifier' })
  })

  it('qualifies names with schemas, sub-domains and directories', () => {
    const t = 'at replica.db01.corp.example and /var/data/x.csv and prod.users.email.'
    const at = (s: string) => [t.indexOf(s), t.indexOf(s) + s.length] as const
    expect(qualify(t, ...at('db01.corp.example'))).toEqual({ start: t.indexOf('replica'), end: t.indexOf(' and /') })
    const [xs, xe] = at('x.csv')
    expect(t.slice(qualify(t, xs, xe).start, xe)).toBe('/var/data/x.csv')
    const [us, ue] = at('users')
    const q = qualify(t, us, ue)
    expect(t.slice(q.start, q.end)).toBe('prod.users.email')
    expect(compileNames(['a', ' ', 'x'.repeat(300)]).find('a x', 'a x', 'context')).toEqual([])
  })

  it('survives adversarial input quickly', async () => {
    const s = make()
    const ctx: ScanContext = { internalNames: ['users', 'a.b', '/x/y', 'db01.internal'] }
    const inputs = [
      'a.'.repeat(50_000),
      '/home/'.repeat(20_000),
      'C:\\'.repeat(30_000),
      '10.0.0.'.repeat(15_000),
      'SELECT '.repeat(15_000),
      'select * '.repeat(10_000),
      '    at x (/srv/a.js:1:1)\n'.repeat(4_000),
      'Server=x;'.repeat(10_000),
      'postgres://'.repeat(10_000),
      'a:b@'.repeat(20_000),
      'users.'.repeat(15_000),
      '\uD800'.repeat(50_000),
      'x'.repeat(100_000),
      'fd00:'.repeat(20_000),
      'a.local.'.repeat(10_000),
    ]
    for (const text of inputs) {
      const t0 = performance.now()
      const out = await scan(text, ctx, s)
      expect(Array.isArray(out)).toBe(true)
      expect(performance.now() - t0, JSON.stringify(text.slice(0, 12))).toBeLessThan(5_000)
    }
  })
})
