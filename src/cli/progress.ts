/**
 * Progress on stderr for long runs. On a terminal it redraws one line; elsewhere (CI logs,
 * pipes) it prints a line every few seconds so logs stay short.
 */
export interface Progress {
  update(done: number, bytes: number): void
  finish(done: number, bytes: number): void
}

/** `unit`: what `done` counts (lines of a file by default; captures for `rampart replay`). */
export function createProgress(label: string, totalBytes: number | undefined, stream: NodeJS.WriteStream = process.stderr, unit = 'lines'): Progress {
  const started = performance.now()
  const tty = stream.isTTY === true
  const interval = tty ? 100 : 5_000
  let last = 0
  let shown = false
  const line = (done: number, bytes: number) => {
    const secs = (performance.now() - started) / 1000
    const rate = secs > 0 ? Math.round(done / secs) : 0
    const pct = totalBytes ? ` ${Math.min(100, (100 * bytes) / totalBytes).toFixed(1)}%` : ''
    return `${label}: ${done} ${unit}${pct}, ${rate}/s, ${secs.toFixed(1)} s`
  }
  return {
    update(done, bytes) {
      const now = performance.now()
      if (now - last < interval) return
      // Small runs finish before the first report; only long ones show progress.
      if (!shown && now - started < 1_000) return
      last = now
      shown = true
      stream.write(tty ? `\r\x1b[2K${line(done, bytes)}` : `${line(done, bytes)}\n`)
    },
    finish(done, bytes) {
      if (!shown) return
      stream.write(tty ? `\r\x1b[2K${line(done, bytes)}\n` : `${line(done, bytes)}\n`)
    },
  }
}
