/**
 * The heuristic prompt-injection detector: weighted signals combined by a logistic function.
 * Signals run on the folded view of the text, on text hidden in tag characters and on every
 * decoded payload (base64, hex, URL, HTML entities, rot13), so obfuscation does not hide an
 * attack. The trained detector (issue 3) implements the same `InjectionDetector` interface.
 */
import { foldForMatching, type NormalizedText } from '../../core/normalize.js'
import type { TextViews } from '../../core/text-views.js'
import { ATTACK_TRIGRAMS, isContentTrigram, trigramHash } from './attack-shapes.js'
import { FAKE_DELIMITER_RE, type InjectionType, PERSONA_LABEL_RE, ROLE_MARKER_RE, SIGNALS } from './patterns.js'

/** One signal that fired, with where (UTF-16 offsets into the original text). */
export interface SignalHit {
  id: string
  type: InjectionType
  weight: number
  start: number
  end: number
  /** Where the signal was found: `text`, `hidden` or a decoding chain such as `base64`. */
  via: string
}

export interface DetectorVerdict {
  /** Calibrated probability that the text is an injection or jailbreak, 0..1. */
  score: number
  type: InjectionType
  /** Signals that fired, strongest first. */
  hits: SignalHit[]
  /** Similarity to the attack-shape library: number of shared content 3-grams. */
  shapeMatches: number
}

/** What a prompt-injection detector must provide; `heuristic` today, `model` (issue 3) later. */
export interface InjectionDetector {
  readonly id: string
  analyze(text: string, views: TextViews): DetectorVerdict
}

/** Weights of the signals that are not regexes; log-odds like the regex weights. */
export const EXTRA_WEIGHTS = {
  bias: -2.15,
  roleMarker: 1.6,
  fakeDelimiter: 1.8,
  personaLabel: 1.6,
  adversarialSuffix: 2.2,
  tokenRepetition: 3.0,
  encodedPayload: 0.9,
  hiddenText: 1.6,
  /** Added to a signal found inside an encoded or hidden payload: hiding it is itself a tell. */
  obfuscationBonus: 0.6,
  /** Indirect signals inside a document-like text (email, table, code, long context). */
  dataContext: 1.4,
  /** Per shared 3-gram with the attack-shape library, up to `shapeCap`. */
  shapePerMatch: 0.45,
  shapeCap: 6,
  /** A signal id counts once per view; extra distinct signals add this fraction of their weight. */
} as const

const INDIRECT_IDS = new Set(['output_reference', 'addressed_to_model', 'response_directive', 'insert_payload', 'hidden_comment_instruction', 'important_marker'])
const DATA_CONTEXT_RE = /(?:^|\n|\|)\s*(?:subject|from|to|date|received date|email_from|content)\s*:|\|[^|\n]*\|[^|\n]*\||```|\n {4}\S|<\/?(?:div|p|html|body|span|table)\b/i
const CODE_RE = /\b(?:def|function|return|import|const|let|var|class|public|private|void|int|#include)\b[^\n]*[({=;:]|=>|\)\s*\{|;\s*\n/

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z))
}

/** Runs the regex signals on one folded view, recording hits mapped to original offsets. */
function matchSignals(view: NormalizedText, via: string, mapSpan: (s: number, e: number) => { start: number; end: number }, hits: SignalHit[], bonus: number): void {
  const t = view.text
  if (t.length === 0) return
  for (const s of SIGNALS) {
    const m = s.re.exec(t)
    if (m === null) continue
    const span = mapSpan(m.index, m.index + m[0].length)
    hits.push({ id: s.id, type: s.type, weight: s.weight + bonus, start: span.start, end: span.end, via })
  }
}

/** Max number of "weird" tokens (mixed punctuation inside words, case flips) in any 12-token window. */
function adversarialSuffix(text: string): { count: number; start: number; end: number } {
  const re = /\S+/g
  const weird: number[] = []
  const starts: number[] = []
  const ends: number[] = []
  let m: RegExpExecArray | null
  let tokens = 0
  while ((m = re.exec(text)) !== null && tokens < 4000) {
    tokens++
    const w = m[0]
    let punct = 0
    let letters = 0
    let flips = 0
    for (let i = 0; i < w.length; i++) {
      const c = w.charCodeAt(i)
      const isUpper = c >= 0x41 && c <= 0x5a
      const isLower = c >= 0x61 && c <= 0x7a
      if (isUpper || isLower) {
        letters++
        if (isUpper && i > 0) {
          const p = w.charCodeAt(i - 1)
          if (p >= 0x61 && p <= 0x7a) flips++
        }
      } else if (!(c >= 0x30 && c <= 0x39) && c < 0x80) punct++
    }
    const isWeird = letters > 0 && w.length >= 3 && (punct >= 2 && punct * 3 >= w.length ? true : flips >= 1 && punct >= 1)
    if (isWeird) {
      weird.push(tokens)
      starts.push(m.index)
      ends.push(m.index + w.length)
    }
  }
  let best = 0
  let bs = 0
  let be = 0
  let lo = 0
  for (let hi = 0; hi < weird.length; hi++) {
    while ((weird[hi] as number) - (weird[lo] as number) >= 12) lo++
    if (hi - lo + 1 > best) {
      best = hi - lo + 1
      bs = starts[lo] as number
      be = ends[hi] as number
    }
  }
  return { count: best, start: bs, end: be }
}

/** Longest run of one short token repeated back to back (`ö ö ö …`, `) ] } ) ] }`), table chrome excluded. */
function tokenRepetition(text: string): { run: number; start: number; end: number } {
  const re = /\S+/g
  let prev = ''
  let prev2 = ''
  let prev3 = ''
  let run = 0
  let best = 0
  let runStart = 0
  let bs = 0
  let be = 0
  let m: RegExpExecArray | null
  let tokens = 0
  while ((m = re.exec(text)) !== null && tokens < 4000) {
    tokens++
    const w = m[0]
    const chrome = /^[|\-=_+:.*#]+$/.test(w)
    // Period 1–3 repetition (`a a a`, `) ] ) ]`, `) ] } ) ] }`).
    if (!chrome && w.length <= 8 && (w === prev || w === prev2 || w === prev3)) {
      run++
    } else {
      run = 1
      runStart = m.index
    }
    if (run > best) {
      best = run
      bs = runStart
      be = m.index + w.length
    }
    prev3 = prev2
    prev2 = prev
    prev = w
  }
  return { run: best, start: bs, end: be }
}

/** Number of distinct content 3-grams of `folded` shared with the attack-shape library. */
function shapeMatches(folded: string): number {
  const words = folded.match(/[a-z]+/g)
  if (words === null || words.length < 3) return 0
  const seen = new Set<number>()
  const limit = Math.min(words.length, 3000)
  for (let i = 0; i + 2 < limit; i++) {
    const a = words[i] as string
    const b = words[i + 1] as string
    const c = words[i + 2] as string
    if (!isContentTrigram(a, b, c)) continue
    const h = trigramHash(a, b, c)
    if (ATTACK_TRIGRAMS.has(h)) seen.add(h)
  }
  return seen.size
}

/** Creates the heuristic detector. Stateless; patterns are compiled at module load. */
export function createHeuristicDetector(): InjectionDetector {
  return {
    id: 'heuristic',
    analyze(text, views) {
      const hits: SignalHit[] = []
      const folded = views.folded
      matchSignals(folded, 'text', (s, e) => folded.toOriginal(s, e), hits, 0)

      const normalized = views.normalized
      const nt = normalized.text
      const roleMarker = ROLE_MARKER_RE.exec(nt)
      if (roleMarker) {
        const span = normalized.toOriginal(roleMarker.index, roleMarker.index + roleMarker[0].length)
        hits.push({ id: 'role_marker', type: 'INJECTION', weight: EXTRA_WEIGHTS.roleMarker, ...span, via: 'text' })
      }
      const delimiter = FAKE_DELIMITER_RE.exec(nt)
      if (delimiter) {
        const span = normalized.toOriginal(delimiter.index, delimiter.index + delimiter[0].length)
        hits.push({ id: 'fake_delimiter', type: 'INJECTION', weight: EXTRA_WEIGHTS.fakeDelimiter, ...span, via: 'text' })
      }
      const persona = PERSONA_LABEL_RE.exec(nt)
      if (persona) {
        const span = normalized.toOriginal(persona.index, persona.index + persona[0].length)
        hits.push({ id: 'persona_label', type: 'JAILBREAK', weight: EXTRA_WEIGHTS.personaLabel, ...span, via: 'text' })
      }
      if (!CODE_RE.test(nt)) {
        const adv = adversarialSuffix(nt)
        if (adv.count >= 6) {
          hits.push({ id: 'adversarial_suffix', type: 'JAILBREAK', weight: EXTRA_WEIGHTS.adversarialSuffix, ...normalized.toOriginal(adv.start, adv.end), via: 'text' })
        }
      }
      const rep = tokenRepetition(nt)
      if (rep.run >= 16) {
        hits.push({ id: 'token_repetition', type: 'INJECTION', weight: EXTRA_WEIGHTS.tokenRepetition, ...normalized.toOriginal(rep.start, rep.end), via: 'text' })
      }

      // Text hidden in tag characters / variation selectors.
      const hidden = views.hidden
      if (hidden.text.length >= 4) {
        const span = hidden.toOriginal(0, hidden.text.length)
        hits.push({ id: 'hidden_text', type: 'INJECTION', weight: EXTRA_WEIGHTS.hiddenText, ...span, via: 'hidden' })
        const hf = foldForMatching(hidden.text)
        matchSignals(hf, 'hidden', (s, e) => {
          const h = hf.toOriginal(s, e)
          return hidden.toOriginal(h.start, h.end)
        }, hits, EXTRA_WEIGHTS.obfuscationBonus)
      }

      // Decoded payloads: score what they say; the span is the encoded payload.
      let shapes = shapeMatches(folded.text)
      for (const seg of views.decoded) {
        if (seg.kind === 'html_entities' && seg.text.length < 12) continue
        const sf = foldForMatching(seg.text)
        const before = hits.length
        matchSignals(sf, seg.via, () => ({ start: seg.start, end: seg.end }), hits, EXTRA_WEIGHTS.obfuscationBonus)
        const segShapes = shapeMatches(sf.text)
        shapes = Math.max(shapes, segShapes)
        if (hits.length > before || segShapes >= 2 || /(?: [a-z]+){3}/.test(sf.text)) {
          hits.push({ id: 'encoded_payload', type: 'INJECTION', weight: EXTRA_WEIGHTS.encodedPayload, start: seg.start, end: seg.end, via: seg.via })
        }
      }

      // One contribution per signal id (its strongest hit).
      const best = new Map<string, SignalHit>()
      for (const h of hits) {
        const prev = best.get(h.id)
        if (prev === undefined || h.weight > prev.weight) best.set(h.id, h)
      }
      const unique = [...best.values()].sort((a, b) => b.weight - a.weight)
      let z: number = EXTRA_WEIGHTS.bias
      const byType: Record<InjectionType, number> = { INJECTION: 0, JAILBREAK: 0, SYSTEM_PROMPT_EXTRACTION: 0 }
      let indirect = false
      for (const h of unique) {
        z += h.weight
        byType[h.type] += h.weight
        if (INDIRECT_IDS.has(h.id)) indirect = true
      }
      if (indirect && (text.length >= 600 || DATA_CONTEXT_RE.test(nt))) z += EXTRA_WEIGHTS.dataContext
      z += EXTRA_WEIGHTS.shapePerMatch * Math.min(shapes, EXTRA_WEIGHTS.shapeCap)
      let type: InjectionType = 'INJECTION'
      if (byType.JAILBREAK > byType[type]) type = 'JAILBREAK'
      if (byType.SYSTEM_PROMPT_EXTRACTION > byType[type]) type = 'SYSTEM_PROMPT_EXTRACTION'
      return { score: sigmoid(z), type, hits: unique, shapeMatches: shapes }
    },
  }
}
