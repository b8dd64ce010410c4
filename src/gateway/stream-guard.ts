import { applyRedactions } from '../core/spans.js'
import type { Finding, ScanResult, Vault } from '../core/types.js'
import { createVault } from '../core/vault.js'

export interface StreamStep {
  /** Text that is safe to send to the client now (redactions applied). */
  release: string
  /** Set when the output guard blocked: send nothing more of this choice. */
  blocked?: ScanResult
}

/**
 * Guards one streamed choice. Text is released only after the whole response so far has been
 * scanned, and the last `holdback` characters are always held back: a canary or secret being
 * streamed token by token is still incomplete — and still unsent — when it would be recognised,
 * so the stream is cut before the leak completes.
 *
 * Each scan reads the whole response so far, so when scans run sets the cost. A scan runs when
 * it can release a step of new text: at least `scanEvery` characters, and half of what was
 * already released, up to `maxStep` (512 by default). The steps grow while the reply is short,
 * so a reply of n characters costs O(n) characters of scanning up to a few thousand, instead of
 * O(n²/scanEvery) for a scan every `scanEvery` characters (a 4,000-character reply in
 * 16-character tokens: 14 scans reading 22 K characters instead of 84 reading 171 K); past that
 * the steps stay at `maxStep`, so a long reply still flows. A scan that could release nothing
 * (the text is not longer than the holdback) is not run. Whatever the steps, nothing unscanned
 * is ever released, so no leak gets out sooner.
 */
export class StreamGuard {
  private text = ''
  private released = 0
  private scannedAt = 0
  private last: ScanResult | undefined
  private blockedResult: ScanResult | undefined
  // One vault per stream, so a value redacted twice gets the same placeholder both times.
  private readonly vault: Vault = createVault()

  constructor(
    private readonly scan: (text: string) => Promise<ScanResult>,
    private readonly options: { holdback: number; scanEvery: number; maxStep?: number },
  ) {}

  /** Characters the next scan must be able to release (see the class comment). */
  private nextStep(): number {
    const { scanEvery, maxStep = 512 } = this.options
    return Math.max(scanEvery, Math.min(maxStep, this.released >> 1))
  }

  get fullText(): string {
    return this.text
  }

  get lastResult(): ScanResult | undefined {
    return this.last
  }

  get blocked(): ScanResult | undefined {
    return this.blockedResult
  }

  /**
   * Adds text without scanning or releasing anything: for deltas the caller already knows more
   * text follows right away (later events of the same upstream read), so one scan covers them all.
   */
  append(delta: string): void {
    if (this.blockedResult === undefined) this.text += delta
  }

  async push(delta: string): Promise<StreamStep> {
    if (this.blockedResult !== undefined) return { release: '', blocked: this.blockedResult }
    this.text += delta
    const n = this.text.length
    // New text since the last scan (a redaction held back at its start does not rescan every
    // token), and enough of it past the holdback to release a step.
    if (n - this.scannedAt < this.options.scanEvery || n - this.options.holdback - this.released < this.nextStep()) return { release: '' }
    return this.step(false)
  }

  /** The upstream finished this choice: scan once more and release the rest. */
  async finish(): Promise<StreamStep> {
    if (this.blockedResult !== undefined) return { release: '', blocked: this.blockedResult }
    return this.step(true)
  }

  private async step(final: boolean): Promise<StreamStep> {
    const result = await this.scan(this.text)
    this.scannedAt = this.text.length
    this.last = result
    if (result.decision === 'block') {
      this.blockedResult = result
      return { release: '', blocked: result }
    }
    let end = final ? this.text.length : Math.max(this.released, this.text.length - this.options.holdback)
    const redactions = result.findings.filter((f) => f.action === 'redact' && f.start !== undefined && f.end !== undefined)
    // Never cut a redacted span in two: hold back from its start until it can be replaced whole.
    for (const f of redactions) if (f.start! < end && f.end! > end) end = Math.max(this.released, f.start!)
    if (end <= this.released) return { release: '' }
    const inside: Finding[] = redactions
      .filter((f) => f.start! >= this.released && f.end! <= end)
      .map((f) => ({ ...f, start: f.start! - this.released, end: f.end! - this.released }))
    const release = applyRedactions(this.text.slice(this.released, end), inside, this.vault)
    this.released = end
    return { release }
  }
}

/** Splits an SSE byte stream into events' `data:` payloads (joined when an event has several). */
export class SseParser {
  private buffer = ''

  push(chunk: string): string[] {
    this.buffer += chunk
    const out: string[] = []
    let sep: RegExpExecArray | null
    const boundary = /\r?\n\r?\n/g
    let from = 0
    while ((sep = boundary.exec(this.buffer)) !== null) {
      const event = this.buffer.slice(from, sep.index)
      from = sep.index + sep[0].length
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
      if (data.length > 0) out.push(data.join('\n'))
    }
    this.buffer = this.buffer.slice(from)
    return out
  }

  /** Whatever is left when the stream ends without a final blank line. */
  flush(): string[] {
    const rest = this.buffer
    this.buffer = ''
    return rest.trim() === '' ? [] : this.push(`${rest}\n\n`)
  }
}
