import { z } from 'zod'
import { normalizeUnicode } from '../../core/normalize.js'
import { defineScanner, type ScannerFinding } from '../../core/scanner.js'
import { compact, compileCanary, findCanary, type CanaryPattern } from './canary.js'
import { compilePrompt, gramHash, LruCache, toPromptIds, type PromptProfile } from './shingles.js'

export const promptLeakOptionsSchema = z
  .object({
    /** Length of the word n-grams (shingles) compared between the response and the system prompt. */
    minNgram: z.number().int().min(3).max(12).default(5),
    /**
     * Share (0..1, weighted by word rarity) of the system prompt that must appear in the response
     * for a score of 0.5; twice this share scores 1.
     */
    minLeakShare: z.number().gt(0).max(1).default(0.2),
    /**
     * Rarity-weighted length a matched run needs to count at all (a rare word weighs 1, "the"
     * 0.05): "you are a helpful assistant" weighs about 2.3 and "answer the user's questions as well
     * as you can" about 3.4; neither counts by default. A
     * single run of twice this weight scores 0.5 on its own, whatever the share.
     */
    minRunWeight: z.number().positive().default(4),
    /** Look for `context.canaries` too. */
    canaries: z.boolean().default(true),
    /** Distinct system prompts whose shingles are kept compiled (least recently used evicted). */
    cacheSize: z.number().int().min(1).max(1_000).default(32),
  })
  .strict()

export type PromptLeakOptions = z.output<typeof promptLeakOptionsSchema>

// Characters outside ASCII (confusables, accents; not punctuation such as curly quotes or
// dashes), or four single letters in a row (spaced-out letters). Leetspeak alone does not
// trigger folding: digits inside words ("65m", "1990s", "mp3") are too common in prose to pay
// for the folded view on every response that has them.
const NEEDS_FOLDING_RE = /[^\x00-\x7f\u00a0-\u00bf\u2000-\u206f]|(?:^|\s)[a-z][ .*_-]{1,3}[a-z][ .*_-]{1,3}[a-z][ .*_-]{1,3}[a-z](?:\s|$)/i

/** True when the folded view could match where the normalized one would not. */
function needsFolding(text: string): boolean {
  return NEEDS_FOLDING_RE.test(text)
}

/** At most this many SYSTEM_PROMPT_LEAK findings per response (`detail.runs` counts them all). */
const MAX_RUN_FINDINGS = 100

interface Run {
  /** Response word positions [from, to). */
  from: number
  to: number
  weight: number
}

const ESCAPES_RE = /%[0-9A-Fa-f]{2}[^\s%]{0,30}%[0-9A-Fa-f]{2}|(?:\\x[0-9A-Fa-f]{2}){4}|&#?[A-Za-z0-9]{2,8};/

/**
 * Worth decoding only when the response has an encoded-looking run: 24+ base64/hex characters
 * in a row, two nearby percent-escapes, \x escapes or character references. A character loop
 * and two `includes` are cheaper than one regex over the whole response.
 */
function mayHaveEncodedPayload(text: string): boolean {
  let run = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2b || c === 0x2f || c === 0x5f || c === 0x2d) {
      if (++run >= 24) return true
    } else run = 0
  }
  return (text.includes('%') || text.includes('\\x') || text.includes('&')) && ESCAPES_RE.test(text)
}

/**
 * Finds runs of response words covered by n-grams of the prompt. A run counts when its
 * rarity weight reaches `minRunWeight`; the prompt positions it matched are marked in
 * `counted`. `ids` are the response's words as prompt word ids (−1 for others).
 */
function findRuns(prompt: PromptProfile, ids: Int32Array, m: number, minRunWeight: number, counted: Uint8Array): Run[] {
  const n = prompt.n
  const covered = new Uint8Array(m)
  // Which prompt position each covered response word matched (for run weights).
  const matchedAt = new Int32Array(m).fill(-1)
  let known = 0
  for (let i = 0; i < m; i++) {
    known = (ids[i] as number) >= 0 ? known + 1 : 0
    if (known < n) continue
    const at = i - n + 1
    const starts = prompt.grams.get(gramHash(ids, at, n))
    if (!starts) continue
    for (const p of starts) {
      let same = true
      for (let k = 0; k < n && same; k++) same = prompt.ids[p + k] === ids[at + k]
      if (!same) continue
      for (let k = 0; k < n; k++) {
        covered[at + k] = 1
        if ((matchedAt[at + k] as number) < 0) matchedAt[at + k] = p + k
      }
      break
    }
  }
  const runs: Run[] = []
  for (let i = 0; i < m; ) {
    if (covered[i] === 0) {
      i++
      continue
    }
    const from = i
    let weight = 0
    while (i < m && covered[i] === 1) {
      weight += prompt.weights[matchedAt[i] as number] as number
      i++
    }
    if (weight >= minRunWeight) {
      runs.push({ from, to: i, weight })
      for (let k = from; k < i; k++) counted[matchedAt[k] as number] = 1
    }
  }
  return runs
}

export const promptLeak = defineScanner({
  id: 'prompt_leak',
  description: 'Detects the system prompt (verbatim or lightly altered) or a canary token from the context appearing in a response.',
  directions: ['output'],
  defaults: { action: 'block', threshold: 0.5 },
  options: promptLeakOptionsSchema,
  create(options) {
    const n = options.minNgram
    const prompts = new LruCache<string, PromptProfile>(options.cacheSize)
    const canaryPatterns = new LruCache<string, CanaryPattern>(256)

    function promptProfile(systemPrompt: string): PromptProfile {
      let p = prompts.get(systemPrompt)
      if (!p) prompts.set(systemPrompt, (p = compilePrompt(systemPrompt, n)))
      return p
    }

    return {
      scan(text, invocation) {
        const findings: ScannerFinding[] = []
        const { systemPrompt, canaries } = invocation.context
        const view = invocation.views.normalized

        if (typeof systemPrompt === 'string' && systemPrompt.trim() !== '') {
          const prompt = promptProfile(systemPrompt)
          if (prompt.length >= n) {
            // Prompt words covered by counted runs, over the response and its decoded payloads.
            const counted = new Uint8Array(prompt.length)
            const located: Array<{ start: number; end: number; run: Run; encoding?: string }> = []
            // The folded view undoes confusables, spaced-out letters and leetspeak, at about
            // 0.1–0.2 ms per 2 KB; plain-ASCII prose without such tricks is compared on the
            // cheaper normalized view, which already ignores case and punctuation.
            const folded = needsFolding(view.text) ? invocation.views.folded : view
            const response = toPromptIds(folded, prompt.vocab)
            for (const run of findRuns(prompt, response.ids, response.length, options.minRunWeight, counted)) {
              const span = folded.toOriginal(response.starts[run.from] as number, response.ends[run.to - 1] as number)
              located.push({ ...span, run })
            }
            // A prompt handed out base64-, hex- or URL-encoded: the payload's span is the leak.
            if (mayHaveEncodedPayload(text)) {
              for (const segment of invocation.views.decoded) {
                const decoded = toPromptIds(normalizeUnicode(segment.text), prompt.vocab)
                for (const run of findRuns(prompt, decoded.ids, decoded.length, options.minRunWeight, counted)) {
                  located.push({ start: segment.start, end: segment.end, run, encoding: segment.via })
                }
              }
            }
            if (located.length > 0) {
              let leaked = 0
              for (let p = 0; p < prompt.length; p++) if (counted[p] === 1) leaked += prompt.weights[p] as number
              const share = prompt.totalWeight > 0 ? leaked / prompt.totalWeight : 0
              let longest = 0
              for (const l of located) if (l.run.weight > longest) longest = l.run.weight
              const byShare = Math.min(1, share / (2 * options.minLeakShare))
              const byRun = Math.min(1, longest / (4 * options.minRunWeight))
              const score = 1 - (1 - byShare) * (1 - byRun)
              // One finding per run (one per encoded payload), the heaviest when there are too many.
              const merged: typeof located = []
              for (const l of located) {
                const last = merged[merged.length - 1]
                if (l.encoding !== undefined && last && last.encoding === l.encoding && last.start === l.start) {
                  last.run = { from: last.run.from, to: last.run.to + (l.run.to - l.run.from), weight: last.run.weight + l.run.weight }
                } else merged.push({ ...l })
              }
              const reported = merged.length <= MAX_RUN_FINDINGS ? merged : [...merged].sort((x, y) => y.run.weight - x.run.weight).slice(0, MAX_RUN_FINDINGS)
              reported.sort((x, y) => x.start - y.start)
              for (const l of reported) {
                const detail: Record<string, string | number | boolean> = { leakedShare: Math.round(share * 1000) / 1000, runWords: l.run.to - l.run.from, runs: merged.length }
                if (l.encoding !== undefined) detail.encoding = l.encoding
                findings.push({ type: 'SYSTEM_PROMPT_LEAK', score, start: l.start, end: l.end, detail })
              }
            }
          }
        }

        if (options.canaries && Array.isArray(canaries) && canaries.length > 0) {
          let compacted: ReturnType<typeof compact> | undefined
          canaries.forEach((canary, index) => {
            if (typeof canary !== 'string' || canary === '') return
            let pattern = canaryPatterns.get(canary)
            if (!pattern) canaryPatterns.set(canary, (pattern = compileCanary(canary)))
            compacted ??= compact(view.text)
            for (const hit of findCanary(pattern, text, view, compacted)) {
              findings.push({ type: 'CANARY_LEAK', score: 1, start: hit.start, end: hit.end, detail: { canary: index, form: hit.form } })
            }
          })
        }
        return findings
      },
    }
  },
})
