/** Distances between two text profiles: vocabulary, character classes, dominant scripts. */
import type { TextProfiler } from '../profile/text.js'
import { jensenShannon } from '../stats/jensen-shannon.js'

/** Tokens compared: the most frequent of each side; the rest are pooled into one bucket. */
export const VOCABULARY_TOP = 1000

/** Jensen–Shannon distance between token distributions over both sides' top tokens plus an "other" bucket. */
export function vocabularyJs(reference: TextProfiler, current: TextProfiler): number {
  const keys = new Set<string>()
  for (const [k] of reference.vocabulary.top(VOCABULARY_TOP)) keys.add(k)
  for (const [k] of current.vocabulary.top(VOCABULARY_TOP)) keys.add(k)
  const side = (t: TextProfiler) => {
    const counts = [...keys].map((k) => t.vocabulary.counts.get(k) ?? 0)
    const listed = counts.reduce((s, v) => s + v, 0)
    counts.push(Math.max(0, t.vocabulary.total - listed))
    return counts
  }
  const a = side(reference)
  const b = side(current)
  if (a.every((v) => v === 0) || b.every((v) => v === 0)) return 0
  return jensenShannon(a, b)
}

/** Share of the current side's token occurrences whose token the reference vocabulary does not hold. */
export function outOfVocabularyRate(reference: TextProfiler, current: TextProfiler): number {
  let unseen = 0
  for (const [k, v] of current.vocabulary.counts) if (!reference.vocabulary.counts.has(k)) unseen += v
  return current.vocabulary.total > 0 ? unseen / current.vocabulary.total : 0
}

export function charsetShares(t: TextProfiler): number[] {
  const total = t.chars.reduce((s, v) => s + v, 0)
  return Array.from(t.chars, (v) => (total > 0 ? v / total : 0))
}

export function scriptCounts(t: TextProfiler): Map<string, number> {
  return new Map(t.scripts)
}
