import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeSealer } from '../../alerts/testing.js'
import { openStore } from '../../store/open.js'
import type { Store } from '../../store/types.js'
import { CaptureService } from '../capture.js'
import { importGroundTruth, runGroundTruthImport } from './ground-truth-import.js'

let store: Store
let dir: string
const sealer = createFakeSealer()

beforeEach(async () => {
  store = await openStore('sqlite::memory:')
  dir = mkdtempSync(join(tmpdir(), 'rampart-gt-'))
  const captures = new CaptureService({ store, sealer })
  for (let i = 0; i < 5; i++) await captures.capture('acme', { inferenceId: `inf-${i}`, modelId: 'm', input: { x: i }, output: i % 2 })
})
afterEach(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('importGroundTruth', () => {
  it('imports a JSONL file in batches, joins labels to captures, and reports bad lines by number', async () => {
    const file = join(dir, 'labels.jsonl')
    writeFileSync(
      file,
      [
        '{"inferenceId":"inf-0","label":1}',
        '{"inferenceId":"inf-1","label":"spam"}',
        '',
        'not json',
        '{"inferenceId":"has space","label":1}',
        '{"inferenceId":"inf-2"}',
        '[1,2]',
        '{"inferenceId":"inf-3","label":{"class":"a","p":0.3}}',
        '{"inferenceId":"never-captured","label":0}',
      ].join('\n') + '\n',
    )
    const progress: number[] = []
    const report = await importGroundTruth({ store, sealer, tenant: 'acme', file, batch: 2, onProgress: (n) => progress.push(n) })
    expect(report).toEqual({
      lines: 9,
      accepted: 4,
      matched: 3,
      invalid: [
        { line: 4, message: 'not valid JSON' },
        { line: 5, message: expect.stringMatching(/^inferenceId:/) },
        { line: 6, message: 'label: is required' },
        { line: 7, message: 'not a JSON object' },
      ],
    })
    expect(progress.length).toBeGreaterThanOrEqual(2)
    const captures = new CaptureService({ store, sealer })
    expect(await captures.open((await store.getCapture('acme', 'inf-3'))!)).toMatchObject({ labelled: true, label: { class: 'a', p: 0.3 } })
    expect((await store.getCapture('acme', 'inf-4'))!.label).toBeNull()
    // Labels go to the given tenant only.
    expect(await importGroundTruth({ store, sealer, tenant: 'other', file })).toMatchObject({ accepted: 4, matched: 0 })
  })

  it('reads stdin with "-" and names an unreadable file', async () => {
    const stdin = Readable.from(['{"inferenceId":"inf-4","label":true}\n'])
    expect(await importGroundTruth({ store, sealer, tenant: 'acme', file: '-', stdin })).toEqual({ lines: 1, accepted: 1, matched: 1, invalid: [] })
    await expect(importGroundTruth({ store, sealer, tenant: 'acme', file: join(dir, 'missing.jsonl') })).rejects.toMatchObject({ code: 'RAMPART_ERR_INPUT_INVALID', path: '--file' })
  })
})

describe('runGroundTruthImport', () => {
  it('prints a summary, lists bad lines with file and number, and exits 3 when some were invalid', async () => {
    const file = join(dir, 'l.jsonl')
    writeFileSync(file, '{"inferenceId":"inf-1","label":0}\n{oops\n')
    const out: string[] = []
    const err: string[] = []
    const code = await runGroundTruthImport({ store, envelope: sealer }, { file, tenant: 'acme' }, { out: (l) => out.push(l), err: (l) => err.push(l) })
    expect(code).toBe(3)
    expect(out).toEqual(['imported 1 labels from 2 lines; 1 matched a captured inference'])
    expect(err).toEqual([`rampart: ${file}:2: not valid JSON`])
    writeFileSync(file, '{"inferenceId":"inf-2","label":1}\n')
    const json: string[] = []
    expect(await runGroundTruthImport({ store, envelope: sealer }, { file, tenant: 'acme', json: true }, { out: (l) => json.push(l), err: () => undefined })).toBe(0)
    expect(JSON.parse(json[0]!)).toEqual({ lines: 1, accepted: 1, matched: 1, invalid: [] })
  })
})
