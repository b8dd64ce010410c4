import { z } from 'zod'
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
            // The folded view undoes confusables, spaced-out letters and leetspeak, at about
            // 0.1–0.2 ms per 2 KB; plain-ASCII prose without such tricks is compared on the
            // cheaper normalized view, which already ignores case and punctuation.
            const folded = needsFolding(view.text) ? invocation.views.folded : view
            const response = toPromptIds(folded, prompt.vocab)
            const m = response.length
            const ids = response.ids
            const coveredResponse = new Uint8Array(m)
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
                  coveredResponse[at + k] = 1
                  if ((matchedAt[at + k] as number) < 0) matchedAt[at + k] = p + k
                }
                break
              }
            }
            const runs: Run[] = []
            for (let i = 0; i < m; ) {
              if (coveredResponse[i] === 0) {
                i++
                continue
              }
              const from = i
              let weight = 0
              while (i < m && coveredResponse[i] === 1) {
                weight += prompt.weights[matchedAt[i] as number] as number
                i++
              }
              if (weight >= options.minRunWeight) runs.push({ from, to: i, weight })
            }
            if (runs.length > 0) {
              // Share of the prompt's weight covered, counting only prompt words matched by a counted run.
              const counted = new Uint8Array(prompt.length)
              for (const r of runs) for (let i = r.from; i < r.to; i++) counted[matchedAt[i] as number] = 1
              let leaked = 0
              for (let p = 0; p < prompt.length; p++) if (counted[p] === 1) leaked += prompt.weights[p] as number
              const share = prompt.totalWeight > 0 ? leaked / prompt.totalWeight : 0
              let longest = 0
              for (const r of runs) if (r.weight > longest) longest = r.weight
              const byShare = Math.min(1, share / (2 * options.minLeakShare))
              const byRun = Math.min(1, longest / (4 * options.minRunWeight))
              const score = 1 - (1 - byShare) * (1 - byRun)
              // One finding per run, the heaviest first when a response leaks more runs than MAX_RUN_FINDINGS.
              const reported = runs.length <= MAX_RUN_FINDINGS ? runs : [...runs].sort((a, b) => b.weight - a.weight).slice(0, MAX_RUN_FINDINGS).sort((a, b) => a.from - b.from)
              for (const r of reported) {
                const span = folded.toOriginal(response.starts[r.from] as number, response.ends[r.to - 1] as number)
                findings.push({
                  type: 'SYSTEM_PROMPT_LEAK',
                  score,
                  start: span.start,
                  end: span.end,
                  detail: { leakedShare: Math.round(share * 1000) / 1000, runWords: r.to - r.from, runs: runs.length },
                })
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
