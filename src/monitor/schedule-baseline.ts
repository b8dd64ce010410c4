/**
 * Where a schedule's baseline comes from: a folder under the tenant's baselines directory
 * (`<dataDir>/baselines/<tenant>/<dir>`, so one tenant cannot point a schedule at another's files
 * or anywhere else on the host), or the two JSON files stored in the schedule itself, sealed —
 * the choice for several replicas, which do not share a disk. Either way the checks get a folder
 * holding `statistics.json` and `constraints.json`.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { RampartError } from '../core/errors.js'

export const BASELINE_FILES = ['statistics.json', 'constraints.json'] as const

/** The JSON documents of a stored baseline, as `rampart monitor baseline` writes them. */
export interface StoredBaseline {
  statistics: Record<string, unknown>
  constraints: Record<string, unknown>
  /** `profile.json`, for baselines written with the profile beside the two SageMaker files. */
  profile?: Record<string, unknown>
}

export function baselineAad(tenant: string, scheduleId: string): string {
  return `schedule:${tenant}:${scheduleId}:baseline`
}

/**
 * The absolute folder of `dir` for `tenant` under `root`, refusing absolute paths and any path
 * that leaves the tenant's folder (`..`, or a symlink-free prefix trick like `../acme-evil`).
 */
export function resolveBaselineDir(root: string, tenant: string, dir: string): string {
  if (isAbsolute(dir) || dir.includes('\u0000')) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', 'baseline.dir: must be a path relative to your tenant\'s baselines folder', { path: 'baseline.dir' })
  }
  const base = resolve(root, tenant)
  const full = resolve(base, dir)
  const rel = relative(base, full)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || !full.startsWith(base + sep)) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', 'baseline.dir: must stay inside your tenant\'s baselines folder', { path: 'baseline.dir' })
  }
  return full
}

/** Asserts `dir` holds both baseline files (at schedule creation, so a typo fails at once). */
export function assertBaselineDir(dir: string, shown: string): void {
  for (const file of BASELINE_FILES) {
    const path = join(dir, file)
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new RampartError('RAMPART_ERR_INPUT_INVALID', `baseline.dir: ${shown} has no ${file} (write it with rampart monitor baseline --out)`, { path: 'baseline.dir' })
    }
  }
}

/** Writes a stored baseline to a private temporary folder for one run; `dispose` removes it. */
export function materializeBaseline(baseline: StoredBaseline): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-baseline-'))
  try {
    writeFileSync(join(dir, 'statistics.json'), JSON.stringify(baseline.statistics), { mode: 0o600 })
    writeFileSync(join(dir, 'constraints.json'), JSON.stringify(baseline.constraints), { mode: 0o600 })
    if (baseline.profile !== undefined) writeFileSync(join(dir, 'profile.json'), JSON.stringify(baseline.profile), { mode: 0o600 })
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) }
}
