import { z } from 'zod'
import { defineScanner, type ScannerFinding } from '../../core/scanner.js'
import { ACTIONS } from '../../core/types.js'
import { foldToCodes } from './fold.js'
import { Lexicon, type Match, wordUnits } from './lexicon.js'
import { AMBIGUOUS_EN, PROFANITY_EN, type Severity } from './profanity-en.js'

export const WORD_FILTER_TYPES = ['CUSTOM_WORD', 'PROFANITY'] as const

export const wordFilterOptionsSchema = z
  .object({
    /** Words and phrases to catch, whatever their case, spacing, punctuation, leetspeak or look-alike letters. */
    words: z.array(z.string().min(1)).default([]),
    /** Words never reported (an allow-list over both the custom words and the built-in list). */
    allow: z.array(z.string().min(1)).default([]),
    /** Also match -s, -es, -ed, -er, -ers, -ing, -in endings. */
    inflections: z.boolean().default(true),
    profanity: z
      .object({
        /** Use the built-in English list (src/scanners/word_filter/profanity-en.ts). */
        enabled: z.boolean().default(true),
        /** Extra words for the profanity list (severity `strong`). */
        add: z.array(z.string().min(1)).default([]),
        /** Lowest severity reported: `mild` reports all, `slur` only slurs. */
        minSeverity: z.enum(['mild', 'strong', 'slur']).default('mild'),
        /** Action for profanity; custom words take the scanner's action. */
        action: z.enum(ACTIONS).default('flag'),
      })
      .strict()
      .default({ enabled: true, add: [], minSeverity: 'mild', action: 'flag' }),
  })
  .strict()

// An ambiguous entry written like a name mid-sentence (Moby Dick, the Redskins) falls under the default threshold.
const NAME_SCORE = 0.4
const SEVERITY_RANK: Record<Severity, number> = { mild: 0, strong: 1, slur: 2 }
const SEVERITY_SCORE: Record<Severity, number> = { mild: 0.6, strong: 0.8, slur: 0.95 }
const NON_ASCII_RE = /[^\x00-\x7f]/
const LEET_RE = /[0-9@$!|+]/
const WORD_CHARS_RE = /[\p{L}\p{N}*@$!|+]/gu
const NOT_LETTERS_RE = /[^\p{L}]/gu
const SENTENCE_END_RE = /[.!?:;\n"“(]/

/** How the original spelling departs from the listed term, for the finding's detail. */
function evasion(original: string, term: string, inflected: boolean): string {
  const lower = original.toLowerCase()
  const want = term.toLowerCase()
  if (lower === want) return original === term ? 'none' : 'case'
  const kinds: string[] = []
  if (NON_ASCII_RE.test(original)) kinds.push('unicode')
  if (LEET_RE.test(original)) kinds.push('leetspeak')
  if (original.includes('*')) kinds.push('masked')
  const sepOriginal = lower.replace(WORD_CHARS_RE, '')
  const sepTerm = want.replace(WORD_CHARS_RE, '')
  if (sepOriginal !== sepTerm) kinds.push('spacing')
  const letters = lower.replace(NOT_LETTERS_RE, '')
  if (!inflected && letters.length > want.replace(NOT_LETTERS_RE, '').length && kinds.length === 0) kinds.push('repeated-letters')
  if (inflected) kinds.push('inflection')
  return kinds.join('+') || 'case'
}

/** Written like a name in the middle of a sentence (`Moby Dick`, `Mr. Cocks`)? */
function looksLikeName(text: string, start: number): boolean {
  const first = text[start] as string
  if (first === first.toLowerCase() || text[start + 1] === undefined || text[start + 1] === (text[start + 1] as string).toUpperCase()) return false
  let k = start - 1
  while (k >= 0 && (text[k] === ' ' || text[k] === '\t')) k--
  return k >= 0 && !SENTENCE_END_RE.test(text[k] as string)
}

export const wordFilter = defineScanner({
  id: 'word_filter',
  description: 'Matches custom words and phrases and a built-in profanity list as whole words, through case, spacing, punctuation, leetspeak and look-alike letters.',
  directions: ['input', 'output'],
  defaults: { action: 'block', threshold: 0.5 },
  options: wordFilterOptionsSchema,
  create(options) {
    const lexicon = new Lexicon(options.allow)
    for (const w of options.words) lexicon.add(w, 'custom', { inflections: options.inflections })
    if (options.profanity.enabled) {
      const min = SEVERITY_RANK[options.profanity.minSeverity]
      for (const severity of ['slur', 'strong', 'mild'] as const) {
        if (SEVERITY_RANK[severity] < min) continue
        for (const w of PROFANITY_EN[severity]) lexicon.add(w, 'profanity', { severity, ambiguous: AMBIGUOUS_EN.has(w), inflections: options.inflections })
      }
    }
    for (const w of options.profanity.add) lexicon.add(w, 'profanity', { severity: 'strong', inflections: options.inflections })
    const empty = lexicon.size === 0

    return {
      scan(text) {
        if (empty || text.length === 0) return []
        // Folded code units in a reused buffer: no folded string unless offsets move.
        const src = foldToCodes(text)
        const folded = src.map
        const units = wordUnits(src.codes, src.length)
        if (units.length === 0) return []
        const matches = lexicon.matchAll(src.codes, units)
        if (matches.length === 0) return []
        // Longest span first; custom words win ties over profanity.
        matches.sort((a, b) => b.end - b.start - (a.end - a.start) || (a.entry.source === 'custom' ? -1 : 1))
        const kept: Match[] = []
        for (const m of matches) if (!kept.some((k) => m.start < k.end && k.start < m.end)) kept.push(m)
        kept.sort((a, b) => a.start - b.start)

        const findings: ScannerFinding[] = []
        for (const m of kept) {
          const { start, end } = folded === undefined ? m : folded.toOriginal(m.start, m.end)
          const original = text.slice(start, end)
          const detail = { term: m.entry.term, evasion: evasion(original, m.entry.term, m.inflected) }
          if (m.entry.source === 'custom') {
            findings.push({ type: 'CUSTOM_WORD', score: 1, start, end, detail })
            continue
          }
          const severity = m.entry.severity ?? 'strong'
          let score = SEVERITY_SCORE[severity]
          if (m.entry.ambiguous && looksLikeName(text, start)) score = NAME_SCORE
          findings.push({ type: 'PROFANITY', score, start, end, action: options.profanity.action, detail: { ...detail, severity } })
        }
        return findings
      },
    }
  },
})
