/**
 * The whole path as a training pipeline runs it, through the CLI: a poisoned slice of real data is
 * scanned, the report names the poisoned rows, the --fail-on gate stops the pipeline; a signed
 * dataset with one changed byte fails verification, naming its row.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { main } from '../cli/main.js'
import { poisonRecords, writeRecords } from './poison.js'
import { readJsonl, type CellValue } from './readers.js'
import type { ScanReport } from './scan.js'
import { topicTexts } from './testing.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const smsFile = join(process.env.RAMPART_DATA_DIR ?? resolve(here, '../../../shared/data'), 'text/sms_spam.jsonl')
const hasData = existsSync(smsFile)
if (!hasData) console.warn(`integrity pipeline test on real data SKIPPED: ${smsFile} not found (set RAMPART_DATA_DIR to the shared data folder)`)

const dir = mkdtempSync(join(tmpdir(), 'rampart-pipeline-'))

/** Runs the CLI in-process, capturing what it writes. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write
  try {
    const code = await main(['node', 'rampart', ...args])
    return { code, stdout, stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}

describe('rampart data: poisoned data stops the pipeline', () => {
  it.skipIf(!hasData)('scan finds flipped labels and a planted trigger in real SMS data, the report names the rows, the gate fails', async () => {
    const records: Record<string, CellValue>[] = []
    for await (const r of readJsonl(smsFile)) {
      if (r.row >= 2000) break
      records.push(r.values)
    }
    // The attacker's spam goes out as ham when it carries "cf"; on top, 5 % of the labels are flipped.
    const backdoor = poisonRecords(records, { kind: 'backdoor', trigger: 'cf', target: 0, rate: 0.02 }, { label: 'label', text: 'text', seed: 22 })
    const flipped = poisonRecords(backdoor.records, { kind: 'uniform', rate: 0.05 }, { label: 'label', text: 'text', seed: 21 })
    const data = join(dir, 'sms-poisoned.jsonl')
    await writeRecords(data, flipped.records, 'jsonl')
    const report = join(dir, 'report.json')
    const html = join(dir, 'report.html')

    const r = await cli(['data', 'scan', '--data', data, '--label', 'label', '--text', 'text', '--ignore', 'label_name', '--out', report, '--html', html, '--fail-on', 'label_issues:2%,triggers:0,flagged_rows:3%'])
    expect(r.code, r.stderr).toBe(5)
    expect(r.stderr).toMatch(/GATE FAILED: label_issues \d+ > 40, triggers [1-9] > 0, flagged_rows \d+ > 60/)

    const json = JSON.parse(readFileSync(report, 'utf8')) as ScanReport & { gate: { failed: boolean } }
    expect(json.gate.failed).toBe(true)
    const flaggedRows = json.label_issues.map((i) => i.row)
    // A flip on a backdoor row is scored with the backdoor rows, not as a flip.
    const stayed = flipped.poisoned.filter((row) => !backdoor.poisoned.includes(row))
    const triggerRows = backdoor.poisoned.filter((row) => !flipped.poisoned.includes(row))
    const hits = stayed.filter((row) => flaggedRows.includes(row)).length
    expect(hits / stayed.length).toBeGreaterThanOrEqual(0.8)
    expect(flaggedRows.filter((row) => stayed.includes(row)).length / flaggedRows.length).toBeGreaterThanOrEqual(0.7)
    expect(json.triggers[0]?.token).toBe('cf')
    expect(json.triggers[0]?.rows.filter((row) => triggerRows.includes(row)).length).toBe(triggerRows.length)
    // The report as a whole (label issues and trigger rows) names nearly every poisoned row.
    const flaggedByReport = new Set([...flaggedRows, ...json.triggers.flatMap((t) => t.rows)])
    expect(json.counts.flagged_rows).toBe(flaggedByReport.size)
    const allPoisoned = new Set([...flipped.poisoned, ...backdoor.poisoned])
    expect([...allPoisoned].filter((row) => flaggedByReport.has(row)).length / allPoisoned.size).toBeGreaterThanOrEqual(0.85)
    expect(Object.keys(json.label_issues[0] ?? {})).toEqual(['row', 'given', 'suggested', 'confidence', 'p_given', 'p_suggested'])
    const page = readFileSync(html, 'utf8')
    expect(page).toContain('Gate FAILED')
    expect(page).toContain(`<td>${json.label_issues[0]?.row}</td>`)

    // The same data under a lenient gate passes: the gate, not the scan, decides the exit status.
    const lenient = await cli(['data', 'scan', '--data', data, '--label', 'label', '--text', 'text', '--out', join(dir, 'r2.json'), '--fail-on', 'label_issues:50%,triggers:5'])
    expect(lenient.code).toBe(0)
  })

  it('sign, then verify fails on one changed byte and names the row; a foreign key is refused', async () => {
    const records = topicTexts(500, 31)
    const data = join(dir, 'texts.jsonl')
    await writeRecords(data, records, 'jsonl')
    const dataDir = join(dir, 'rampart-data')
    const manifest = join(dir, 'texts.manifest.json')
    const signed = await cli(['data', 'sign', '--data', data, '--out', manifest, '--data-dir', dataDir])
    expect(signed.code, signed.stderr).toBe(0)
    expect(signed.stderr).toMatch(/generated a signing key/)
    expect((await cli(['data', 'verify', '--data', data, '--manifest', manifest, '--data-dir', dataDir])).code).toBe(0)

    const bytes = readFileSync(data)
    const lineStarts = [0]
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) lineStarts.push(i + 1)
    const at = (lineStarts[321] as number) + 5
    bytes[at] = (bytes[at] as number) === 0x61 ? 0x62 : 0x61
    writeFileSync(data, bytes)
    const bad = await cli(['data', 'verify', '--data', data, '--manifest', manifest, '--data-dir', dataDir])
    expect(bad.code).toBe(4)
    expect(bad.stdout).toContain('texts.jsonl: row changed: 321')
    expect(bad.stdout).toContain('FAILED')

    const json = await cli(['data', 'verify', '--data', data, '--manifest', manifest, '--data-dir', dataDir, '--json'])
    expect(JSON.parse(json.stdout).files[0].rows.changed).toEqual([{ row: 321, previous: 321 }])

    const otherDir = join(dir, 'other-data')
    const publicKey = join(dir, 'other.pem')
    const printed = await cli(['data', 'public-key', '--data-dir', otherDir])
    writeFileSync(publicKey, printed.stdout)
    const foreign = await cli(['data', 'verify', '--data', data, '--manifest', manifest, '--public-key', publicKey])
    expect(foreign.code).toBe(4)
    expect(foreign.stdout).toMatch(/not by the trusted key/)
  })
})
