import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { createTextViews } from '../../core/text-views.js'
import type { ScannerFinding } from '../../core/scanner.js'
import { createGuard } from '../../guard.js'
import { deniedTopics, deniedTopicsOptionsSchema, type DeniedTopicsOptions } from './index.js'
import { calibrate, rarityWeight } from './model.js'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))
const examplePolicy = parse(readFileSync(here('../../../policies/examples/denied-topics.yaml'), 'utf8')) as {
  input: { denied_topics: { options: unknown } }
}
const exampleOptions = deniedTopicsOptionsSchema.parse(examplePolicy.input.denied_topics.options)
const scanner = deniedTopics.create(exampleOptions, deniedTopics.defaults)

function scan(text: string, s = scanner): ScannerFinding[] {
  return s.scan(text, { direction: 'input', context: {}, views: createTextViews(text) }) as ScannerFinding[]
}

interface Fixture {
  kind: string
  text: string
  topics: string[]
  note?: string
}
const fixtures = readFileSync(here('./fixtures.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Fixture)

describe('denied_topics fixtures (policies/examples/denied-topics.yaml)', () => {
  it.each(fixtures.map((f) => [f.kind, f.text, f] as const))('%s: %s', (_kind, text, f) => {
    const found = [...new Set(scan(text).map((x) => x.detail?.topic))].sort()
    expect(found).toEqual([...f.topics].sort())
  })
})

describe('denied_topics', () => {
  it('is inert with the default options (no topics)', () => {
    const s = deniedTopics.create(deniedTopicsOptionsSchema.parse({}), deniedTopics.defaults)
    expect(scan('which stocks should I buy to grow my savings?', s)).toEqual([])
  })

  it('reports the matching sentence as the span, with original offsets', () => {
    const text = 'Hello there, nice weather today. Which stocks should I buy to grow my savings? Thanks!'
    const [f, ...rest] = scan(text)
    expect(rest).toEqual([])
    expect(f?.type).toBe('DENIED_TOPIC')
    expect(text.slice(f?.start, f?.end)).toBe('Which stocks should I buy to grow my savings')
    expect(f?.detail).toEqual({ topic: 'investment advice', threshold: 0.5 })
    expect(f?.action).toBeUndefined()
  })

  it('maps spans back through normalization (zero-width characters)', () => {
    const text = 'ok. which st\u200bocks should I buy to grow my sav\u200bings?'
    const [f] = scan(text)
    expect(text.slice(f?.start, f?.end)).toBe('which st\u200bocks should I buy to grow my sav\u200bings')
  })

  it('uses the per-topic action and threshold', () => {
    const [f] = scan('Who will you vote for in the next election?')
    expect(f?.action).toBe('flag')
    const strict = deniedTopics.create(
      deniedTopicsOptionsSchema.parse({ topics: [{ name: 'politics', definition: 'elections, voting and political parties', threshold: 0.99 }] }),
      deniedTopics.defaults,
    )
    expect(scan('Who will you vote for in the next election?', strict)).toEqual([])
  })

  it('falls back to a pair of sentences when the topic is split across them', () => {
    const text = 'I have a rash and it itches a lot. Is it an infection?'
    const [f] = scan(text)
    expect(f?.start).toBe(0)
    expect(f?.end).toBe(text.length - 1)
  })

  it('rejects a topic with neither definition nor examples', () => {
    expect(deniedTopicsOptionsSchema.safeParse({ topics: [{ name: 'x' }] }).success).toBe(false)
    expect(deniedTopicsOptionsSchema.safeParse({ topics: [{ name: 'x', examples: ['buy stocks'] }] }).success).toBe(true)
  })

  it('weighs common words at zero and rare words at one, and calibrates monotonically', () => {
    expect(rarityWeight(1.5)).toBe(0)
    expect(rarityWeight(7)).toBe(1)
    expect(calibrate(0)).toBe(0)
    expect(calibrate(0.5)).toBeLessThan(0.5)
    expect(calibrate(2)).toBeGreaterThan(0.7)
  })

  it('survives adversarial input quickly', () => {
    const inputs = [
      'a'.repeat(100_000),
      'stock '.repeat(20_000),
      '\uD800\uDC00\uDFFF\uD800'.repeat(5_000),
      '\u0000\u0007\u001b'.repeat(10_000),
      '. '.repeat(50_000),
      'invest'.repeat(10_000) + ' stocks',
    ]
    for (const text of inputs) {
      const t0 = performance.now()
      const out = scan(text)
      expect(Array.isArray(out)).toBe(true)
      expect(performance.now() - t0).toBeLessThan(5_000)
    }
  })

  it('caps findings per topic', () => {
    const options: DeniedTopicsOptions = { ...exampleOptions, maxFindingsPerTopic: 2 }
    const s = deniedTopics.create(options, deniedTopics.defaults)
    const text = 'Which stocks should I buy to grow my savings?\n'.repeat(10)
    expect(scan(text, s).filter((f) => f.detail?.topic === 'investment advice')).toHaveLength(2)
  })
})

describe('denied_topics through the guard (policies/examples/denied-topics.yaml)', () => {
  it('blocks, flags per topic and leaves other prompts alone, in both directions', async () => {
    const guard = await createGuard({ policy: here('../../../policies/examples/denied-topics.yaml') })
    const investment = await guard.scanInput('Hi. Which stocks should I buy to grow my savings?')
    expect(investment.decision).toBe('block')
    expect(investment.findings.map((f) => [f.type, f.detail?.topic, f.start, f.end])).toEqual([['DENIED_TOPIC', 'investment advice', 4, 48]])
    const politics = await guard.scanInput('Who will you vote for in the next election?')
    expect(politics.decision).toBe('flag')
    expect((await guard.scanInput('How do I open a savings account?')).decision).toBe('allow')
    const answer = await guard.scanOutput('You should buy Tesla stock and some bonds for your retirement savings.')
    expect(answer.decision).toBe('block')
  })

  it('is inert in the default policy', async () => {
    const guard = await createGuard()
    expect(guard.scanners.input).toContain('denied_topics')
    const result = await guard.scanInput('Which stocks should I buy to grow my savings?')
    expect(result.findings.filter((f) => f.scanner === 'denied_topics')).toEqual([])
  })
})
