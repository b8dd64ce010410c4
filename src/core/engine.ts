import { RampartError } from './errors.js'
import type { Policy, ScannerEntry } from './policy.js'
import type { ScannerRegistry } from './registry.js'
import type { AnyScannerDefinition, Scanner, ScannerFinding, ScannerSettings } from './scanner.js'
import { applyRedactions, strongestAction } from './spans.js'
import { createTextViews } from './text-views.js'
import type { Action, Direction, Finding, FindingDetail, ScanContext, ScanResult } from './types.js'

interface CompiledScanner {
  id: string
  settings: ScannerSettings
  scanner: Scanner
}

export interface CompiledGuard {
  readonly policy: Policy
  /** Ids of the scanners that run for each direction, in order. */
  readonly scanners: Readonly<Record<Direction, readonly string[]>>
  scan(direction: Direction, text: string, context?: ScanContext): Promise<ScanResult>
}

function compileEntry(def: AnyScannerDefinition, entry: ScannerEntry | undefined, direction: Direction): CompiledScanner {
  const settings: ScannerSettings = {
    action: entry?.action ?? def.defaults.action,
    threshold: entry?.threshold ?? def.defaults.threshold,
  }
  const parsed = def.options.safeParse(entry?.options ?? {})
  if (!parsed.success) {
    // The policy schema validated this already; this guards direct callers of compileGuard.
    throw new RampartError('RAMPART_ERR_POLICY_INVALID', `invalid options for ${direction}.${def.id}: ${parsed.error.message}`, { path: `policy.${direction}.${def.id}.options` })
  }
  return { id: def.id, settings, scanner: def.create(parsed.data, settings) }
}

/** Ids of the scanners a policy runs for each direction, in order (what `compileGuard` compiles). */
export function policyScanners(policy: Policy): Record<Direction, string[]> {
  const ids = (direction: Direction) => Object.entries(policy[direction]).flatMap(([id, entry]) => (entry && entry.enabled ? [id] : []))
  return { input: ids('input'), output: ids('output') }
}

/**
 * Compiles a validated policy into a guard: every scanner is created once here (regexes
 * compiled, models loaded), so each scan only runs them.
 *
 * With `only`, the named scanners run with their default settings (the policy's entries are
 * ignored, its global limits kept), in the given order, for each direction they support.
 */
export function compileGuard(registry: ScannerRegistry, policy: Policy, only?: readonly string[]): CompiledGuard {
  const compiled: Record<Direction, CompiledScanner[]> = { input: [], output: [] }
  for (const direction of ['input', 'output'] as const) {
    if (only) {
      for (const id of only) {
        const def = registry.get(id)
        if (!def.directions.includes(direction)) continue
        compiled[direction].push(compileEntry(def, undefined, direction))
      }
    } else {
      for (const id of policyScanners(policy)[direction]) compiled[direction].push(compileEntry(registry.get(id), policy[direction][id], direction))
    }
  }

  /** A scanner's raw findings kept at or above its threshold, clamped to the text, with its action. */
  function toFindings(c: CompiledScanner, raw: ScannerFinding[], text: string): Finding[] {
    const findings: Finding[] = []
    for (const f of raw) {
      if (!(f.score >= c.settings.threshold)) continue
      const finding: Finding = { scanner: c.id, type: f.type, score: clampScore(f.score), action: f.action ?? c.settings.action }
      if (f.start !== undefined && f.end !== undefined) {
        const start = Math.max(0, Math.min(text.length, Math.trunc(f.start)))
        const end = Math.max(start, Math.min(text.length, Math.trunc(f.end)))
        finding.start = start
        finding.end = end
      }
      if (f.detail !== undefined) finding.detail = f.detail
      findings.push(finding)
    }
    return findings
  }

  /**
   * One scanner's findings: an array when the scanner answered synchronously (every built-in
   * one does), a promise only for a scanner that returned one. A scan of synchronous scanners
   * then runs start to finish without yielding: no promise and microtask per scanner, and under
   * concurrent requests one scan's views stay in the caches instead of being interleaved, scanner
   * by scanner, with other requests' scans.
   */
  function runOne(c: CompiledScanner, text: string, direction: Direction, context: ScanContext, views: ReturnType<typeof createTextViews>): Finding[] | Promise<Finding[]> {
    let out: ScannerFinding[] | Promise<ScannerFinding[]>
    try {
      out = c.scanner.scan(text, { direction, context, views })
    } catch (error) {
      return [errorFinding(c.id, policy.onError, error)]
    }
    if (Array.isArray(out)) return toFindings(c, out, text)
    return withTimeout(out, policy.scannerTimeoutMs, c.id).then(
      (raw) => toFindings(c, raw, text),
      (error: unknown) => [errorFinding(c.id, policy.onError, error)],
    )
  }

  return {
    policy,
    scanners: { input: compiled.input.map((c) => c.id), output: compiled.output.map((c) => c.id) },
    async scan(direction, text, context = {}) {
      const t0 = performance.now()
      if (typeof text !== 'string') {
        throw new RampartError('RAMPART_ERR_INPUT_INVALID', `text must be a string, got ${text === null ? 'null' : typeof text}`, { path: 'text' })
      }
      if (direction !== 'input' && direction !== 'output') {
        throw new RampartError('RAMPART_ERR_DIRECTION', `direction must be "input" or "output", got ${JSON.stringify(direction)}`, { path: 'direction' })
      }
      if (text.length > policy.maxChars) {
        throw new RampartError('RAMPART_ERR_INPUT_TOO_LARGE', `text is ${text.length} characters; the policy's maxChars is ${policy.maxChars}`, { path: 'text' })
      }
      const views = createTextViews(text)
      const findings: Finding[] = []
      for (const c of compiled[direction]) {
        const found = runOne(c, text, direction, context, views)
        for (const f of Array.isArray(found) ? found : await found) findings.push(f)
      }
      findings.sort((a, b) => (a.start ?? -1) - (b.start ?? -1) || (a.end ?? -1) - (b.end ?? -1))
      const decision = strongestAction(findings)
      const sanitized = findings.some((f) => f.action === 'redact') ? applyRedactions(text, findings, context.vault) : text
      return { decision, text: sanitized, findings, latencyMs: performance.now() - t0 }
    },
  }
}

function clampScore(score: number): number {
  return score < 0 ? 0 : score > 1 ? 1 : Math.round(score * 10_000) / 10_000
}

function errorFinding(scanner: string, action: Action, error: unknown): Finding {
  const detail: FindingDetail = {
    error: error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : String(error).slice(0, 300),
  }
  return { scanner, type: 'SCANNER_ERROR', score: 1, action, detail }
}

function withTimeout<T>(promise: Promise<T>, ms: number, id: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`scanner ${id} exceeded ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
