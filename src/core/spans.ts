import { ACTIONS, type Action, type Finding, type Vault } from './types.js'
import { createVault } from './vault.js'

/** Severity rank of an action: allow 0 < flag 1 < redact 2 < block 3. */
export function actionRank(action: Action): number {
  return ACTIONS.indexOf(action)
}

/** The strongest action among the findings, `allow` when there are none. */
export function strongestAction(findings: readonly Pick<Finding, 'action'>[]): Action {
  let best = 0
  for (const f of findings) best = Math.max(best, actionRank(f.action))
  return ACTIONS[best] as Action
}

type Span = { start: number; end: number; type: string }

/**
 * Picks non-overlapping redaction spans: where two redact findings overlap, the longer span
 * wins (it covers the other's characters), then the higher score. Returned sorted by start.
 */
export function resolveRedactionSpans(findings: readonly Finding[], textLength: number): Span[] {
  const candidates = findings
    .filter((f) => f.action === 'redact' && f.start !== undefined && f.end !== undefined)
    .map((f) => ({
      start: Math.max(0, Math.min(textLength, f.start as number)),
      end: Math.max(0, Math.min(textLength, f.end as number)),
      type: f.type,
      score: f.score,
    }))
    .filter((s) => s.end > s.start)
    .sort((a, b) => b.end - b.start - (a.end - a.start) || b.score - a.score || a.start - b.start)
  const chosen: Span[] = []
  for (const c of candidates) {
    if (chosen.some((s) => c.start < s.end && s.start < c.end)) continue
    chosen.push({ start: c.start, end: c.end, type: c.type })
  }
  return chosen.sort((a, b) => a.start - b.start)
}

/**
 * Applies the redact findings to `text`, replacing each span with a placeholder such as
 * `[EMAIL_1]`. Placeholders come from `vault` when given (so they are reversible and stable
 * across calls), otherwise from a vault local to this call (stable within the text).
 */
export function applyRedactions(text: string, findings: readonly Finding[], vault?: Vault): string {
  const spans = resolveRedactionSpans(findings, text.length)
  if (spans.length === 0) return text
  const v = vault ?? createVault()
  let out = ''
  let cursor = 0
  for (const s of spans) {
    out += text.slice(cursor, s.start) + v.placeholderFor(s.type, text.slice(s.start, s.end))
    cursor = s.end
  }
  return out + text.slice(cursor)
}
