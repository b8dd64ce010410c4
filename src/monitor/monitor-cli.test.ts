import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { parseFlags } from '../cli/commands/flags.js'
import { EXIT_VIOLATIONS, monitorBaselineFlagsSchema, monitorMergeFlagsSchema, monitorRunFlagsSchema, runMonitorBaseline, runMonitorMerge, runMonitorRun } from '../cli/commands/monitor.js'
import { createRandom } from './sketch/random.js'

function csv(n: number, seed: number, shift = 0): string {
  const r = createRandom(seed)
  const lines = ['id,amount,color,note,label,pred']
  for (let i = 0; i < n; i++) {
    const label = r.int(2)
    lines.push(`${i},${(100 + 20 * r.next() + shift).toFixed(2)},${['red', 'blue'][r.int(2)]},"a note, with ""quotes""\nand a line break",${label},${r.next() < 0.9 ? label : 1 - label}`)
  }
  return `${lines.join('\r\n')}\r\n`
}

describe('rampart monitor baseline | run | merge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-monitor-cli-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'ref.csv'), csv(3000, 1))
  writeFileSync(join(dir, 'ref2.csv'), csv(3000, 2))
  writeFileSync(join(dir, 'same.csv'), csv(2000, 3))
  writeFileSync(join(dir, 'shifted.csv'), csv(2000, 4, 15))
  const out: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk))
    return true
  })

  it('writes a baseline and checks data against it; exit 0 unless --fail-on-violation finds violations', async () => {
    const base = join(dir, 'base')
    expect(await runMonitorBaseline(parseFlags(monitorBaselineFlagsSchema, { data: [join(dir, 'ref.csv')], out: base, groundTruth: 'label', prediction: 'pred' }))).toBe(0)
    expect(JSON.parse(out.pop() as string)).toMatchObject({ rows: 3000, features: 6 })
    expect(existsSync(join(base, 'statistics.json')) && existsSync(join(base, 'constraints.json'))).toBe(true)

    const clean = join(dir, 'clean')
    const code = await runMonitorRun(parseFlags(monitorRunFlagsSchema, { baseline: base, data: join(dir, 'same.csv'), out: clean, failOnViolation: true }))
    expect(code).toBe(0)
    expect(JSON.parse(readFileSync(join(clean, 'violations.json'), 'utf8'))).toEqual({ violations: [] })

    const drifted = join(dir, 'drifted')
    expect(await runMonitorRun(parseFlags(monitorRunFlagsSchema, { baseline: base, data: join(dir, 'shifted.csv'), out: drifted }))).toBe(0)
    expect(await runMonitorRun(parseFlags(monitorRunFlagsSchema, { baseline: base, data: join(dir, 'shifted.csv'), out: drifted, failOnViolation: true }))).toBe(EXIT_VIOLATIONS)
    const violations = JSON.parse(readFileSync(join(drifted, 'violations.json'), 'utf8')).violations as { feature_name: string; constraint_check_type: string }[]
    expect(violations).toContainEqual(expect.objectContaining({ feature_name: 'amount', constraint_check_type: 'baseline_drift_check' }))
    const metrics = JSON.parse(readFileSync(join(drifted, 'metrics.json'), 'utf8')) as { rows: number; metrics: { name: string; value: number }[] }
    expect(metrics.rows).toBe(2000)
    expect(metrics.metrics.map((m) => m.name)).toContain('quality.accuracy')
    const html = readFileSync(join(drifted, 'report.html'), 'utf8')
    expect(html).toContain('<svg')
    expect(html).toContain('baseline_drift_check')
    expect(html).not.toMatch(/<script|<link|\b(src|href)=/)
  })

  it('merges baselines built on pieces into one with the summed counts', async () => {
    const a = join(dir, 'a')
    const b = join(dir, 'b')
    await runMonitorBaseline(parseFlags(monitorBaselineFlagsSchema, { data: [join(dir, 'ref.csv')], out: a }))
    await runMonitorBaseline(parseFlags(monitorBaselineFlagsSchema, { data: [join(dir, 'ref2.csv')], out: b }))
    const both = join(dir, 'both')
    await runMonitorBaseline(parseFlags(monitorBaselineFlagsSchema, { data: [join(dir, 'ref.csv'), join(dir, 'ref2.csv')], out: both }))
    const merged = join(dir, 'merged')
    expect(await runMonitorMerge(parseFlags(monitorMergeFlagsSchema, { baseline: [a, b], out: merged }))).toBe(0)
    const read = (d: string) => JSON.parse(readFileSync(join(d, 'statistics.json'), 'utf8'))
    const m = read(merged)
    const w = read(both)
    expect(m.dataset.item_count).toBe(6000)
    const amount = (s: { features: { name: string; numerical_statistics?: { mean: number; min: number; max: number } }[] }) => s.features.find((f) => f.name === 'amount')?.numerical_statistics
    expect(amount(m)?.mean).toBeCloseTo(amount(w)?.mean as number, 9)
    expect(amount(m)?.min).toBe(amount(w)?.min)
  })

  it('names the flag in usage errors', () => {
    expect(() => parseFlags(monitorRunFlagsSchema, { baseline: 'b', data: 'd', out: 'o', groundTruth: 'label' })).toThrow(/--ground-truth and --prediction together/)
    expect(() => parseFlags(monitorRunFlagsSchema, { baseline: 'b', data: 'd', out: 'o', datasetDriftShare: '2' })).toThrow(/--dataset-drift-share/)
  })
})
