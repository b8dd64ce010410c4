/**
 * Replay: a candidate guard (policy and/or detector) run over captured traffic, compared with
 * what was decided when the traffic passed. Captures are read page by page and opened one at a
 * time (the store's `listCaptures`, oldest first), so memory holds one page, the per-text
 * latencies and a few examples — not the traffic.
 *
 * What is compared, per text and per scanner:
 * - the recorded verdict: the capture's guard signals (decision; strongest action per scanner
 *   in captures made since signals carry `actions`); captures without signals are scanned and
 *   counted, not compared;
 * - the candidate's verdict on the same texts: input and output scanned, decision = the stronger.
 * A change is counted once per text: `block` gained is a new block, `block` lost a lost block,
 * and likewise flags and redactions (block → flag is a lost block and a new flag).
 *
 * Proxy captures do not hold everything the recorded verdict saw: the text is stored as
 * forwarded and answered (after redaction; a blocked answer as the notice the client got), and
 * without the request's system prompt and canaries. Where the candidate is *looser* than the
 * recorded verdict and the missing part could explain it — a redaction whose text is gone, an
 * answer withheld, a context-dependent scanner (prompt_leak, data_leak) — the capture is counted
 * as `undetermined`, never as a lost block or redaction. Guard API captures and shadow records
 * keep the text as scanned and its context, and have no such gap.
 */
import type { Guard } from '../guard.js'
import { actionRank } from '../core/spans.js'
import type { Action, Finding, ScanContext } from '../core/types.js'
import type { GuardSignals, OpenedCapture } from '../monitor/capture.js'

export const CHANGE_KINDS = ['newBlocks', 'lostBlocks', 'newRedactions', 'lostRedactions', 'newFlags', 'lostFlags'] as const
export type ChangeKind = (typeof CHANGE_KINDS)[number]
export type ChangeCounts = Record<ChangeKind, number>

const DECISIONS: readonly Action[] = ['allow', 'flag', 'redact', 'block']
const GAINED: Partial<Record<Action, ChangeKind>> = { block: 'newBlocks', redact: 'newRedactions', flag: 'newFlags' }
const LOST: Partial<Record<Action, ChangeKind>> = { block: 'lostBlocks', redact: 'lostRedactions', flag: 'lostFlags' }

/** The proxy captures a blocked answer as the notice the client got; that is not the model's text. */
const BLOCKED_NOTICE = /^\[Rampart blocked this response: /

/** What a replay reads of one capture. */
export interface ReplayItem {
  id: string
  at: string
  source: string
  input?: string
  output?: string
  context?: ScanContext
  recorded?: GuardSignals
  /** What the recorded verdict saw that the capture lacks (proxy captures). */
  gaps?: { redacted: boolean; outputWithheld: boolean; noContext: boolean }
}

/** Scanners whose verdict on an answer depends on the request context (system prompt, canaries, internal names). */
const CONTEXT_SCANNERS = new Set(['prompt_leak', 'data_leak'])

/** The texts of a capture to scan again; undefined for a capture with no text (a tabular model's features). */
export function replayItem(capture: OpenedCapture): ReplayItem | undefined {
  const input = typeof capture.input === 'string' && capture.input.length > 0 ? capture.input : undefined
  const withheld = typeof capture.output === 'string' && BLOCKED_NOTICE.test(capture.output)
  const output = typeof capture.output === 'string' && capture.output.length > 0 && !withheld ? capture.output : undefined
  if (input === undefined && output === undefined) return undefined
  const proxy = capture.source.startsWith('proxy')
  return {
    id: capture.inferenceId,
    at: capture.at,
    source: capture.source,
    ...(input === undefined ? {} : { input }),
    ...(output === undefined ? {} : { output }),
    ...(capture.context === undefined ? {} : { context: capture.context }),
    ...(capture.guard === undefined ? {} : { recorded: capture.guard }),
    ...(proxy ? { gaps: { redacted: true, outputWithheld: withheld, noContext: capture.context === undefined } } : {}),
  }
}

/** A verdict reduced to what is compared. */
export interface Verdict {
  decision: Action
  /** Strongest non-allow action per scanner. */
  actions: Record<string, Action>
  /** Scan wall time of each text, ms. */
  latencyMs: number[]
  findings: Finding[]
}

function stronger(a: Action, b: Action): Action {
  return actionRank(a) >= actionRank(b) ? a : b
}

export function actionsOf(findings: readonly Finding[]): Record<string, Action> {
  const out: Record<string, Action> = {}
  for (const f of findings) if (f.action !== 'allow') out[f.scanner] = stronger(out[f.scanner] ?? 'allow', f.action)
  return out
}

/** A verdict stored as guard signals (shadow mode's candidate), as the accumulator reads it: no findings, so no spans. */
export function storedVerdict(signals: GuardSignals): Verdict {
  return { decision: signals.decision as Action, actions: signals.actions ?? {}, latencyMs: signals.latencyMs === undefined ? [] : [signals.latencyMs], findings: [] }
}

/** Scans an item's texts with the candidate: input as a prompt, output as the answer to it (with the recorded context). */
export async function scanItem(guard: Guard, item: ReplayItem): Promise<Verdict> {
  const verdict: Verdict = { decision: 'allow', actions: {}, latencyMs: [], findings: [] }
  if (item.input !== undefined) {
    const r = await guard.scanInput(item.input, item.context)
    verdict.decision = stronger(verdict.decision, r.decision)
    verdict.latencyMs.push(r.latencyMs)
    verdict.findings.push(...r.findings)
  }
  if (item.output !== undefined) {
    const context: ScanContext = { ...(item.input === undefined ? {} : { prompt: item.input }), ...item.context }
    const r = await guard.scanOutput(item.output, context)
    verdict.decision = stronger(verdict.decision, r.decision)
    verdict.latencyMs.push(r.latencyMs)
    verdict.findings.push(...r.findings)
  }
  verdict.actions = actionsOf(verdict.findings)
  return verdict
}

/** The change kinds between two actions (none when equal). */
export function changesBetween(recorded: Action, candidate: Action): ChangeKind[] {
  if (recorded === candidate) return []
  const out: ChangeKind[] = []
  const gained = GAINED[candidate]
  const lost = LOST[recorded]
  if (gained !== undefined) out.push(gained)
  if (lost !== undefined) out.push(lost)
  return out
}

function zeroCounts(): ChangeCounts {
  return { newBlocks: 0, lostBlocks: 0, newRedactions: 0, lostRedactions: 0, newFlags: 0, lostFlags: 0 }
}

export interface LatencySummary {
  /** Texts timed. */
  texts: number
  p50: number
  p99: number
  mean: number
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number
}

class Latencies {
  #values = new Float64Array(1024)
  #n = 0
  push(v: number): void {
    if (this.#n === this.#values.length) {
      const next = new Float64Array(this.#values.length * 2)
      next.set(this.#values)
      this.#values = next
    }
    this.#values[this.#n++] = v
  }
  summary(): LatencySummary | null {
    if (this.#n === 0) return null
    const sorted = this.#values.slice(0, this.#n).sort()
    let sum = 0
    for (const v of sorted) sum += v
    const round = (v: number) => Math.round(v * 1000) / 1000
    return { texts: this.#n, p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)), mean: round(sum / this.#n) }
  }
}

export interface ReplayExample {
  kind: ChangeKind
  id: string
  at: string
  source: string
  recorded: Action
  candidate: Action
  /** Scanners whose action changed, `scanner: recorded → candidate`. */
  scanners: string[]
  /** Redacted excerpt (PII and secrets replaced, at most 800 characters), never the whole text. */
  excerpt: string
}

export interface ScannerChanges extends ChangeCounts {
  /** Texts where the candidate's action for this scanner is not `allow`. */
  candidateActive: number
}

export interface ReplayReport {
  version: 1
  generatedAt: string
  /** What was replayed: the candidate policy (name, file, sha256) and detector, the window, the tenant. */
  candidate: Record<string, unknown>
  window: { tenant: string; since: string; until: string }
  totals: {
    /** Captures read in the window. */
    captures: number
    /** Captures with text, scanned by the candidate. */
    replayed: number
    /** Captures without text (tabular models), or whose payload could not be opened. */
    skipped: { noText: number; unreadable: number }
    /** Replayed captures that carry the recorded verdict (compared); the others are scanned only. */
    compared: number
    /** Compared captures that also carry the recorded per-scanner actions. */
    comparedPerScanner: number
    /**
     * Proxy captures where the candidate is looser than the recorded verdict and the capture
     * lacks what may explain it (text redacted before capture, a blocked answer stored as the
     * notice, no request context for prompt_leak/data_leak): left out of `decisions` and
     * `changes`, and per scanner likewise.
     */
    undetermined: number
    texts: number
  }
  /** Decisions of the compared captures: recorded, candidate, and the matrix recorded → candidate. */
  decisions: {
    recorded: Record<Action, number>
    candidate: Record<Action, number>
    matrix: Record<Action, Record<Action, number>>
    /** Candidate decisions of the replayed captures that carry no recorded verdict. */
    uncompared: Record<Action, number>
  }
  /** Texts whose overall decision changed, by kind. */
  changes: ChangeCounts & { unchanged: number; stricter: number; looser: number }
  /** Per scanner: how its action changed (captures with per-scanner actions only). */
  byScanner: Record<string, ScannerChanges>
  latency: { candidate: LatencySummary | null; recorded: LatencySummary | null }
  examples: ReplayExample[]
}

export interface ReplayRow {
  item: ReplayItem
  /** The candidate's verdict: scanned now, or stored by shadow mode. */
  candidate: Verdict
}

/** Adds up replay rows into a report; keeps at most `examplesPerKind` examples of each change. */
export class ReplayAccumulator {
  readonly #examplesPerKind: number
  readonly #excerpt: (text: string, findings: readonly Finding[]) => Promise<string>
  readonly #examples: ReplayExample[] = []
  readonly #exampleCounts = zeroCounts()
  /** Texts already shown per kind: the same prompt sent a hundred times is one example. */
  readonly #exampleTexts = new Set<string>()
  readonly #candidateLatency = new Latencies()
  readonly #recordedLatency = new Latencies()
  readonly #byScanner = new Map<string, ScannerChanges>()
  #captures = 0
  #replayed = 0
  #noText = 0
  #unreadable = 0
  #compared = 0
  #comparedPerScanner = 0
  #undetermined = 0
  #texts = 0
  readonly #recorded = Object.fromEntries(DECISIONS.map((d) => [d, 0])) as Record<Action, number>
  readonly #candidate = Object.fromEntries(DECISIONS.map((d) => [d, 0])) as Record<Action, number>
  readonly #uncompared = Object.fromEntries(DECISIONS.map((d) => [d, 0])) as Record<Action, number>
  readonly #matrix = Object.fromEntries(DECISIONS.map((d) => [d, Object.fromEntries(DECISIONS.map((e) => [e, 0]))])) as Record<Action, Record<Action, number>>
  readonly #changes = { ...zeroCounts(), unchanged: 0, stricter: 0, looser: 0 }

  constructor(options: { examplesPerKind?: number; excerpt: (text: string, findings: readonly Finding[]) => Promise<string> }) {
    this.#examplesPerKind = options.examplesPerKind ?? 5
    this.#excerpt = options.excerpt
  }

  /** A capture that was read but not replayed. */
  skip(reason: 'noText' | 'unreadable'): void {
    this.#captures++
    if (reason === 'noText') this.#noText++
    else this.#unreadable++
  }

  get count(): number {
    return this.#captures
  }

  async add(row: ReplayRow): Promise<void> {
    const { item, candidate } = row
    this.#captures++
    this.#replayed++
    this.#texts += candidate.latencyMs.length
    for (const ms of candidate.latencyMs) this.#candidateLatency.push(ms)
    const recorded = item.recorded
    if (recorded === undefined || !DECISIONS.includes(recorded.decision as Action)) {
      this.#uncompared[candidate.decision]++
      return
    }
    if (recorded.latencyMs !== undefined) this.#recordedLatency.push(recorded.latencyMs)
    const was = recorded.decision as Action
    // Looser than recorded where the capture lacks what the recorded verdict saw: unknown, not lost.
    const gaps = item.gaps
    const recordedScanners = Object.keys(recorded.actions ?? {})
    const unknowable = (r: Action, c: Action, scanner?: string) => {
      if (gaps === undefined || actionRank(c) >= actionRank(r)) return false
      if (gaps.outputWithheld) return true
      if (gaps.redacted && r === 'redact') return true
      // Without per-scanner actions any scanner may have acted: the context-dependent ones too.
      const contextual = scanner === undefined ? recorded.actions === undefined || recordedScanners.some((id) => CONTEXT_SCANNERS.has(id)) : CONTEXT_SCANNERS.has(scanner)
      return gaps.noContext && item.output !== undefined && contextual
    }
    if (unknowable(was, candidate.decision)) {
      this.#undetermined++
      return
    }
    this.#compared++
    this.#recorded[was]++
    this.#candidate[candidate.decision]++
    this.#matrix[was][candidate.decision]++
    const kinds = changesBetween(was, candidate.decision)
    if (kinds.length === 0) this.#changes.unchanged++
    else if (actionRank(candidate.decision) > actionRank(was)) this.#changes.stricter++
    else this.#changes.looser++
    for (const k of kinds) this.#changes[k]++

    const scannerNotes: string[] = []
    if (recorded.actions !== undefined) {
      this.#comparedPerScanner++
      const ids = new Set([...Object.keys(recorded.actions), ...Object.keys(candidate.actions)])
      for (const id of [...ids].sort()) {
        const r = recorded.actions[id] ?? 'allow'
        const c = candidate.actions[id] ?? 'allow'
        if (unknowable(r, c, id)) continue
        let s = this.#byScanner.get(id)
        if (s === undefined) this.#byScanner.set(id, (s = { ...zeroCounts(), candidateActive: 0 }))
        if (c !== 'allow') s.candidateActive++
        const changed = changesBetween(r, c)
        for (const k of changed) s[k]++
        if (changed.length > 0) scannerNotes.push(`${id}: ${r} → ${c}`)
      }
    }
    for (const kind of kinds) {
      if (this.#exampleCounts[kind] >= this.#examplesPerKind) continue
      const text = [item.input, item.output].filter((t): t is string => t !== undefined).join('\n')
      const key = `${kind}\u0000${text}`
      if (this.#exampleTexts.has(key)) continue
      this.#exampleTexts.add(key)
      this.#exampleCounts[kind]++
      // Spans point into the text they were found in: only the input's (first) findings line up with the joined text.
      const spans = item.input === undefined ? [] : candidate.findings.filter((f) => f.end !== undefined && f.end <= item.input!.length && f.action !== 'allow')
      this.#examples.push({ kind, id: item.id, at: item.at, source: item.source, recorded: was, candidate: candidate.decision, scanners: scannerNotes, excerpt: await this.#excerpt(text, spans) })
    }
  }

  report(meta: Pick<ReplayReport, 'candidate' | 'window'>, generatedAt = new Date().toISOString()): ReplayReport {
    return {
      version: 1,
      generatedAt,
      candidate: meta.candidate,
      window: meta.window,
      totals: {
        captures: this.#captures,
        replayed: this.#replayed,
        skipped: { noText: this.#noText, unreadable: this.#unreadable },
        compared: this.#compared,
        comparedPerScanner: this.#comparedPerScanner,
        undetermined: this.#undetermined,
        texts: this.#texts,
      },
      decisions: { recorded: { ...this.#recorded }, candidate: { ...this.#candidate }, matrix: structuredClone(this.#matrix), uncompared: { ...this.#uncompared } },
      changes: { ...this.#changes },
      byScanner: Object.fromEntries([...this.#byScanner].sort(([a], [b]) => a.localeCompare(b))),
      latency: { candidate: this.#candidateLatency.summary(), recorded: this.#recordedLatency.summary() },
      examples: [...this.#examples].sort((a, b) => CHANGE_KINDS.indexOf(a.kind) - CHANGE_KINDS.indexOf(b.kind) || a.at.localeCompare(b.at)),
    }
  }
}

export interface RunReplayOptions {
  guard: Guard
  /** Captures, oldest first (e.g. `CaptureService.window`-like paging over the store). */
  captures: AsyncIterable<OpenedCapture | { unreadable: true }>
  accumulator: ReplayAccumulator
  onProgress?: (done: number) => void
}

/** Scans every capture with the candidate and adds it to the accumulator. */
export async function runReplay(options: RunReplayOptions): Promise<void> {
  // The first scans load word lists and warm the JIT; untimed, so they do not land in p99.
  await options.guard.scanInput('Rampart replay warm-up.')
  await options.guard.scanOutput('Rampart replay warm-up.')
  for await (const capture of options.captures) {
    if ('unreadable' in capture) options.accumulator.skip('unreadable')
    else {
      const item = replayItem(capture)
      if (item === undefined) options.accumulator.skip('noText')
      else await options.accumulator.add({ item, candidate: await scanItem(options.guard, item) })
    }
    options.onProgress?.(options.accumulator.count)
  }
}

/** Adds stored shadow records (enforced verdict as recorded, shadow verdict as candidate) to the accumulator: no scanning. */
export async function addShadowRecords(accumulator: ReplayAccumulator, records: AsyncIterable<OpenedCapture | { unreadable: true }>, onProgress?: (done: number) => void): Promise<void> {
  for await (const c of records) {
    if ('unreadable' in c) accumulator.skip('unreadable')
    else {
      const item = replayItem(c)
      if (item === undefined || c.shadow === undefined) accumulator.skip('noText')
      else await accumulator.add({ item, candidate: storedVerdict(c.shadow) })
    }
    onProgress?.(accumulator.count)
  }
}
