import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { REPO_ROOT } from '../detectors/injection/training/data.js'
import { openStore } from '../store/open.js'
import { main } from './main.js'

const dataDir = process.env.RAMPART_TRAINING_DATA ?? resolve(REPO_ROOT, '../shared/data')
const hasData = existsSync(join(dataDir, 'prompt-injection/train.jsonl'))
if (!hasData) console.warn(`rampart cycle run end-to-end test SKIPPED: ${dataDir}/prompt-injection/train.jsonl not found (set RAMPART_TRAINING_DATA)`)

const work = mkdtempSync(join(tmpdir(), 'rampart-cycle-cli-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true))
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true))
  try {
    const code = await main(['node', 'rampart', ...args])
    return { code, stdout, stderr }
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
}

describe('rampart cycle run', () => {
  it('names a bad flag', async () => {
    for (const [flag, value, message] of [
      ['--seeds', '0,x', /--seeds: comma-separated corpus seeds/],
      ['--max-fpr-rise', '2', /--max-fpr-rise/],
      ['--families', 'plain,nope', /unknown family nope/],
      ['--target', 'ftp://x', /--target/],
    ] as const) {
      const r = await run(['cycle', 'run', '--data-dir', join(work, 'flags'), flag, value])
      expect(r.code, flag).toBe(2)
      expect(r.stderr).toMatch(message)
    }
  })

  it('shows the scheduled cycle recorded in the store', async () => {
    const dir = join(work, 'status')
    expect((await run(['cycle', 'status', '--data-dir', dir])).stdout).toContain('no scheduled learning cycle')
    const s = await openStore(`sqlite:${join(dir, 'rampart.db')}`)
    try {
      await s.ensureJobSchedule('learning_cycle', '0 3 * * 0', '2026-11-29T03:00:00.000Z')
      await s.claimDueJob('learning_cycle', '2026-11-29T03:00:00.000Z', '2026-11-29T03:30:00.000Z', 'replica-a')
      await s.completeJob('learning_cycle', 'replica-a', { lastRunAt: '2026-11-29T03:04:00.000Z', lastStatus: 'awaiting_approval', nextRunAt: '2026-12-06T03:00:00.000Z' })
    } finally {
      await s.close()
    }
    const text = await run(['cycle', 'status', '--data-dir', dir])
    expect(text.stdout).toContain('next run    2026-12-06T03:00:00.000Z')
    expect(text.stdout).toContain('last run    2026-11-29T03:04:00.000Z: awaiting_approval')
    expect(text.stdout).toContain('running     no')
    expect(JSON.parse((await run(['cycle', 'status', '--data-dir', dir, '--json'])).stdout)).toMatchObject({ cron: '0 3 * * 0', lastStatus: 'awaiting_approval' })
  })

  it.skipIf(!hasData)('runs a cycle end to end with the real retraining (200-row slice): the worse candidate is registered, not activated', async () => {
    const store = join(work, 'e2e')
    const out = join(work, 'e2e-out')
    const r = await run(['cycle', 'run', '--data-dir', store, '--out', out, '--training-data', dataDir, '--limit', '200', '--seeds', '0', '--per-goal', '2', '--families', 'plain,roleplay,tool_output,indirect_document', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/cycle: round 1 seed 0 guarded: \d+\/24 attacks succeeded/)
    expect(r.stderr).toMatch(/cycle: round 2 seed 0 guarded/)
    const decision = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{\n  "decision"'))) as { decision: string; candidate: string; failed: string[] }
    // Trained on 200 shared rows, the candidate is far below the shipped model on dev: the gate must refuse it.
    expect(decision.decision).toBe('awaiting_approval')
    expect(decision.failed).toContain('dev F1')
    const report = JSON.parse(readFileSync(join(out, 'cycle.json'), 'utf8')) as { candidate: { id: string; mode: string }; figures: { current: { dev: { rows: number } } } }
    expect(report.candidate.id).toBe(decision.candidate)
    expect(report.candidate.mode).toBe('reused-hyper-parameters')
    expect(report.figures.current.dev.rows).toBe(200)
    const s = await openStore(`sqlite:${join(store, 'rampart.db')}`)
    try {
      expect((await s.listDetectorVersions('prompt_injection')).map((v) => v.id)).toEqual([decision.candidate])
      expect(await s.getActiveDetector('prompt_injection')).toBeUndefined()
      const audit = await s.readAudit(0, 50)
      expect(audit.filter((e) => e.action.startsWith('detector.')).map((e) => [e.action, e.actor])).toEqual([['detector.register', 'cli'], ['detector.cycle', 'cli']])
    } finally {
      await s.close()
    }
  }, 300_000)
})
