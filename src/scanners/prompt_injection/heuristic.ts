/**
 * The heuristic prompt-injection detector: weighted signals combined by a logistic function.
 * Signals run on the folded view of the text, on text hidden in tag characters and on every
 * decoded payload (base64, hex, URL, HTML entities, rot13), so obfuscation does not hide an
 * attack. The trained detector (issue 3) implements the same `InjectionDetector` interface.
 */
import { HARM_ITEM_WORDS, fictionWrappedHarm } from './harm-frame.js'
import { foldForMatching, type NormalizedText } from '../../core/normalize.js'
import { foldLeetCapitals } from '../../core/leetspeak.js'
import type { TextViews } from '../../core/text-views.js'
import { ATTACK_TRIGRAMS, STOPWORDS_LIST, trigramKey, wordHash } from './attack-shapes.js'
import { wordsLexicon, wordsViewOf } from './lexicon.js'
import { CAPS_DELIMITER_RE, FAKE_DELIMITER_RE, MARKDOWN_EXFIL_RE, SEND_EXTERNAL_RE, type InjectionType, NON_LATIN_EXTRACTION_RE, NON_LATIN_OVERRIDE_RE, NON_LATIN_SCRIPT_RE, PERSONA_LABEL_RE, ROLE_MARKER_RE, type Signal, SIGNALS, SPLIT_OVERRIDE_RE } from './patterns.js'

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
  /** The trained model's calibrated score, when a model took part (`model`, `ensemble`). */
  modelScore?: number
  /** The heuristic's own score, when it was combined with the model (`ensemble`). */
  heuristicScore?: number
}

/** What a prompt-injection detector must provide: `heuristic`, `model` or `ensemble` (model.ts). */
export interface InjectionDetector {
  readonly id: string
  analyze(text: string, views: TextViews): DetectorVerdict
}

/** Weights of the signals that are not regexes; log-odds like the regex weights. */
export const EXTRA_WEIGHTS = {
  bias: -1.53,
  roleMarker: 1.4,
  fakeDelimiter: 2.4,
  // An image URL built to carry the conversation out: no benign prompt writes one.
  markdownExfiltration: 2.4,
  // Something sent to an e-mail address, an account number or a URL: ordinary from a user to an
  // agent, an injection inside data (INDIRECT_IDS).
  sendToExternal: 0.8,
  personaLabel: 1.6,
  /** A procedure for a dangerous item inside a fiction or hypothetical (harm-frame.ts): flags alone. */
  fictionWrappedHarm: 2.0,
  /** The output a well-known public attack corpus makes the model print (`I have been PWNED`). */
  knownPayload: 2.4,
  nonLatinOverride: 3.0,
  nonLatinExtraction: 2.6,
  splitOverride: 2.4,
  adversarialSuffix: 1.8,
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

const INDIRECT_IDS = new Set(['output_imperative', 'code_payload', 'output_reference', 'addressed_to_model', 'response_directive', 'insert_payload', 'hidden_comment_instruction', 'important_marker', 'tool_directive', 'grant_access', 'send_to_external'])
// A code fence also when its backticks were spaced out (`` ` ` ` ``, letters spaced one by one).
const DATA_CONTEXT_RE = /(?:^|\n|\|)\s*(?:subject|from|to|date|received date|email_from|content)\s*:|\b(?:Hi|Hello|Dear) [A-Z][a-z]+ ?,|\|[^|\n]*\|[^|\n]*\||` {0,2}` {0,2}`|\n {4}\S|<\/?(?:div|p|html|body|span|table)\b/i
// The shapes of a tool's result, for the actions an agent could be made to take (TOOL_IDS): a
// JSON key, a labelled field at the start of a line (`Snippet:`, `Event details:`, `Reviewer:`),
// a review or comment with its author. Narrower than a document: JSON and labels are ordinary
// in a developer's own prompt, where "your output" is no injection.
const TOOL_RESULT_RE = /"[A-Za-z_][\w ]{0,30}"\s*:\s*["[{]|(?:^|\n)\s*(?:snippet|review|comment|rating|reviewer|author|sender|recipient|event details|attendees|notes?)\s*:|\b(?:review(?:ed)?|comment(?:ed)?|posted) by [^:\n]{1,40}:/i
const TOOL_IDS = new Set(['tool_directive', 'grant_access', 'send_to_external'])
const KNOWN_PAYLOAD_RE = /\b[Ii]\s+(?:[Hh]ave|HAVE)\s+(?:[Bb]een|BEEN)\s+PWNED\b/
// A capital letter beside a leet character (`3ND`, `U$3R`): only then can foldLeetCapitals change anything.
const LEET_CAPITAL_RE = /[A-Z][0-9@$!|]|[0-9@$!|][A-Z]/
// The same document cues on the folded view, so look-alike letters cannot hide them; a name
// cut by a stray space (`Hi Dav id,`) still opens a greeting.
const FOLDED_CONTEXT_RE = /(?:^|[ .,])(?:subject|email from|received date|content) ?:|\b(?:hi|hello|dear) [a-z]+(?: [a-z]+)? ?,/
// The same cues on the words view, where a cut name or header is whole again (`Hi Dav id,`,
// `SU BJECT:`) but commas are gone: a greeting must be followed by the start of a sentence.
const WORDS_CONTEXT_RE = /(?:^|[ .:;!?])(?:subject|email from|received date|content) ?:|\b(?:hi|hello|dear) [a-z]+ (?:your|you|we|i|the|thank|thanks|this|our)\b/
const SPLIT_WHOLE_WORDS = new Set(['ignore', 'disregard', 'forget', 'all', 'the', 'your', 'previous', 'prior', 'above', 'instructions'])
const CODE_RE = /\b(?:def|function|return|import|const|let|var|class|public|private|void|int|#include)\b[^\n]*[({=;:]|=>|\)\s*\{|;\s*\n/

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z))
}

/**
 * A set of 32-bit keys in typed arrays, reused from call to call: emptying it bumps a
 * generation number instead of allocating or zeroing (open addressing, load ≤ 1/2).
 */
class KeySet {
  private keys = new Uint32Array(1024)
  private marks = new Uint32Array(1024)
  private shift = 22
  private gen = 1
  size = 0

  /** Empties the set, with room for `expected` keys. */
  clear(expected: number): void {
    this.size = 0
    if (expected * 2 > this.keys.length) {
      let cap = this.keys.length
      while (cap < expected * 2) cap *= 2
      this.keys = new Uint32Array(cap)
      this.marks = new Uint32Array(cap)
      this.shift = 32 - Math.log2(cap)
      this.gen = 1
      return
    }
    this.gen++
    if (this.gen === 0xffffffff) {
      this.marks.fill(0)
      this.gen = 1
    }
  }

  /** Adds `key`; false when it was already there. */
  add(key: number): boolean {
    const mask = this.keys.length - 1
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift
    while (this.marks[i] === this.gen) {
      if (this.keys[i] === key) return false
      i = (i + 1) & mask
    }
    this.marks[i] = this.gen
    this.keys[i] = key
    this.size++
    return true
  }

  has(key: number): boolean {
    const mask = this.keys.length - 1
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift
    while (this.marks[i] === this.gen) {
      if (this.keys[i] === key) return true
      i = (i + 1) & mask
    }
    return false
  }
}

/** The words of one folded text (see wordsOf); instances are reused, valid until refilled. */
class Words {
  /** FNV-1a hash of each word (see `wordHash`). */
  hashes = new Uint32Array(1024)
  /** Start offset of each word in the folded text. */
  starts = new Int32Array(1024)
  count = 0
  readonly set = new KeySet()
}

const MAX_WORDS = 4000
// The words of the folded text, and of one hidden or decoded payload at a time.
const TEXT_WORDS = new Words()
const PAYLOAD_WORDS = new Words()
const VIEW_WORDS = new Words()


/**
 * The words of a folded text — runs of [a-z0-9], at most 4,000 — as hashes with start offsets,
 * written into `words`. Hashing while scanning avoids allocating a string per word; a collision
 * can only cause an extra regex attempt, never a finding (the regex decides).
 */
function wordsOf(t: string, words: Words): Words {
  const n = t.length
  const cap = Math.min(MAX_WORDS, (n >> 1) + 1)
  if (words.hashes.length < cap) {
    words.hashes = new Uint32Array(cap)
    words.starts = new Int32Array(cap)
  }
  const hashes = words.hashes
  const starts = words.starts
  let count = 0
  let i = 0
  while (i < n && count < cap) {
    let c = t.charCodeAt(i)
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) {
      i++
      continue
    }
    const start = i
    let h = 0x811c9dc5
    do {
      h = Math.imul(h ^ c, 0x01000193)
      i++
      c = t.charCodeAt(i)
    } while (i < n && ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)))
    hashes[count] = h >>> 0
    starts[count] = start
    count++
  }
  words.count = count
  const set = words.set
  set.clear(count)
  for (let k = 0; k < count; k++) set.add(hashes[k] as number)
  return words
}

interface CompiledSignal {
  signal: Signal
  /** The same pattern, sticky: tried only at positions where a lead word starts. */
  sticky: RegExp
  /** Anchor groups as word hashes (strings stay substrings to look for). */
  anchors: ReadonlyArray<readonly number[] | string>
}

const COMPILED: readonly CompiledSignal[] = SIGNALS.map((signal) => ({
  signal,
  sticky: new RegExp(signal.re.source, 'y'),
  anchors: signal.anchors.map((g) => (typeof g === 'string' ? g : g.map(wordHash))),
}))
/**
 * Low 30 bits of a lead word's hash → indexes (into COMPILED) of the signals a match may start
 * with it. 30-bit keys are small integers, so a lookup boxes no number; a collision only costs
 * a regex attempt.
 */
const LEAD_LISTS = new Map<number, number[]>()
const LEAD_MASK = 0x3fffffff
COMPILED.forEach((c, k) => {
  for (const w of c.signal.lead) {
    const h = wordHash(w) & LEAD_MASK
    const list = LEAD_LISTS.get(h)
    if (list) list.push(k)
    else LEAD_LISTS.set(h, [k])
  }
})

/**
 * LEAD_LISTS flattened into typed arrays with open addressing: every word of every view is
 * looked up here (two views of a 2 KB prompt: ~800 lookups per scan), and a probe of typed
 * arrays costs a fraction of a Map lookup.
 */
class LeadIndex {
  private readonly keys: Uint32Array
  /** Per slot: offset of its candidates in `list` + 1 (0: empty slot). */
  private readonly offsets: Int32Array
  private readonly counts: Uint16Array
  private readonly shift: number
  readonly list: Int32Array

  constructor(lists: ReadonlyMap<number, readonly number[]>) {
    let cap = 64
    while (cap < lists.size * 4) cap *= 2
    this.keys = new Uint32Array(cap)
    this.offsets = new Int32Array(cap)
    this.counts = new Uint16Array(cap)
    this.shift = 32 - Math.log2(cap)
    let total = 0
    for (const l of lists.values()) total += l.length
    this.list = new Int32Array(total)
    let at = 0
    for (const [key, l] of lists) {
      let i = Math.imul(key, 0x9e3779b1) >>> this.shift
      while (this.offsets[i] !== 0) i = (i + 1) & (cap - 1)
      this.keys[i] = key
      this.offsets[i] = at + 1
      this.counts[i] = l.length
      this.list.set(l, at)
      at += l.length
    }
  }

  /** The slot of `key` (a 30-bit lead hash), or -1 when no signal starts with it. */
  slot(key: number): number {
    const mask = this.keys.length - 1
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift
    while (this.offsets[i] !== 0) {
      if (this.keys[i] === key) return i
      i = (i + 1) & mask
    }
    return -1
  }

  /** Offset in `list` of the candidates of a slot. */
  offset(slot: number): number {
    return (this.offsets[slot] as number) - 1
  }

  count(slot: number): number {
    return this.counts[slot] as number
  }
}
const LEAD_INDEX = new LeadIndex(LEAD_LISTS)

const hashesOf = (words: readonly string[]): number[] => words.map(wordHash)
/** Words without which the role-marker, delimiter and persona-label patterns cannot match. */
const ROLE_MARKER_WORDS = hashesOf(['im', 'system', 'sys', 'user', 'assistant', 'endoftext', 'eot', 'start', 'end', 'begin', 'inst', 'instruction', 'instructions', 'admin', 'developer', 'root', 'response', 'human'])
const DELIMITER_WORDS = hashesOf(['end', 'begin', 'start', 'stop'])
const SEND_WORDS = hashesOf(['send', 'forward', 'transfer', 'wire', 'email', 'mail', 'share', 'upload', 'export', 'copy', 'pay', 'deposit', 'move'])
const HARM_WORDS = hashesOf(HARM_ITEM_WORDS)
const PERSONA_WORDS = hashesOf(['dan', 'stan', 'dude', 'aim', 'ucar', 'betterdan', 'apophis', 'jailbreak', 'developer', 'classic', 'jailbroken'])
function hasAny(words: Words, hashes: readonly number[]): boolean {
  for (let i = 0; i < hashes.length; i++) if (words.set.has(hashes[i] as number)) return true
  return false
}

/** Indexes (into COMPILED) of the signals of each id. */
const SIGNALS_OF_ID = new Map<string, number[]>()
COMPILED.forEach((c, k) => {
  const list = SIGNALS_OF_ID.get(c.signal.id)
  if (list) list.push(k)
  else SIGNALS_OF_ID.set(c.signal.id, [k])
})

// Per signal while matching one view: 0 = not decided, 1 = possible (anchors present), 2 =
// impossible or already matched. Reused (matching is synchronous).
const signalState = new Uint8Array(COMPILED.length)

function signalPossible(k: number, t: string, words: Words): boolean {
  if (signalState[k] === 0) {
    let ok = true
    const anchors = (COMPILED[k] as CompiledSignal).anchors
    for (let g = 0; g < anchors.length && ok; g++) {
      const group = anchors[g] as readonly number[] | string
      if (typeof group === 'string') ok = t.includes(group)
      else {
        ok = false
        for (let q = 0; q < group.length && !ok; q++) ok = words.set.has(group[q] as number)
      }
    }
    signalState[k] = ok ? 1 : 2
  }
  return signalState[k] === 1
}

function recordHit(k: number, index: number, length: number, view: NormalizedText, via: string, hits: SignalHit[], bonus: number, outer: NormalizedText | undefined, segment: { start: number; end: number } | undefined): void {
  const s = (COMPILED[k] as CompiledSignal).signal
  let start: number
  let end: number
  if (segment !== undefined) {
    start = segment.start
    end = segment.end
  } else {
    const span = view.toOriginal(index, index + length)
    const mapped = outer === undefined ? span : outer.toOriginal(span.start, span.end)
    start = mapped.start
    end = mapped.end
  }
  hits.push({ id: s.id, type: s.type, weight: s.weight + bonus, start, end, via })
  signalState[k] = 2
}

/**
 * A greeting, quotes or nothing before the first word: how a user opens a message to the model.
 * `chat ` is the words view's reading of `chatbot` (a compound the lexicon leaves out, so that
 * it cuts it), whose `bot` then opens the match.
 */
const GREETING_RE = /^[\s"'(*_-]*(?:(?:hey|hi|hello|ok|okay|dear|so|and|now|yo|please)[\s,!.:-]+)?(?:chat )?$/

/** True when the signal's `except` pattern also matches at `index` (see Signal.except). */
function excepted(signal: Signal, t: string, index: number): boolean {
  const re = signal.except
  if (re === undefined) return false
  re.lastIndex = index
  return re.test(t)
}

/** True when t[0, index) is at most a greeting (see Signal.notAtTextStart). */
function greetingOnlyBefore(t: string, index: number): boolean {
  return index <= 24 && GREETING_RE.test(t.slice(0, index))
}

/**
 * Runs the regex signals on one folded view, recording hits mapped to original offsets: through
 * `view`, then `outer` when the view is of hidden text, or to `segment` (the encoded payload).
 */
function matchSignals(view: NormalizedText, words: Words, via: string, hits: SignalHit[], bonus: number, outer?: NormalizedText, segment?: { start: number; end: number }, done = 0): void {
  const t = view.text
  if (t.length === 0) return
  signalState.fill(0)
  // Signals whose id is among the first `done` hits are not tried again (their new hits would be dropped as duplicates).
  for (let h = 0; h < done; h++) {
    const ks = SIGNALS_OF_ID.get((hits[h] as SignalHit).id)
    if (ks !== undefined) for (const k of ks) signalState[k] = 2
  }
  const lead = LEAD_INDEX
  const list = lead.list
  for (let w = 0; w < words.count; w++) {
    const slot = lead.slot((words.hashes[w] as number) & LEAD_MASK)
    if (slot < 0) continue
    const at = words.starts[w] as number
    const from = lead.offset(slot)
    const to = from + lead.count(slot)
    for (let q = from; q < to; q++) {
      const k = list[q] as number
      if (!signalPossible(k, t, words)) continue
      const c = COMPILED[k] as CompiledSignal
      const re = c.sticky
      re.lastIndex = at
      const m = re.exec(t)
      if (m !== null && !(c.signal.notAtTextStart === true && greetingOnlyBefore(t, m.index)) && !excepted(c.signal, t, m.index)) recordHit(k, m.index, m[0].length, view, via, hits, bonus, outer, segment)
    }
  }
  // Patterns without lead words scan the whole text (notAtTextStart and except need lead words: see the test).
  for (let k = 0; k < COMPILED.length; k++) {
    const c = COMPILED[k] as CompiledSignal
    if (c.signal.lead.length > 0 || !signalPossible(k, t, words)) continue
    const m = c.signal.re.exec(t)
    if (m !== null) recordHit(k, m.index, m[0].length, view, via, hits, bonus, outer, segment)
  }
}

// * _ ` " ' ( ) [ ] { } < > , . ; : ! ?
const WRAP_PUNCT = new Uint8Array(128)
for (const c of [0x2a, 0x5f, 0x60, 0x22, 0x27, 0x28, 0x29, 0x5b, 0x5d, 0x7b, 0x7d, 0x3c, 0x3e, 0x2c, 0x2e, 0x3b, 0x3a, 0x21, 0x3f]) WRAP_PUNCT[c] = 1
// | - = _ + : . * # make up table borders and rules, not repetition attacks.
const CHROME = new Uint8Array(128)
for (const c of [0x7c, 0x2d, 0x3d, 0x5f, 0x2b, 0x3a, 0x2e, 0x2a, 0x23]) CHROME[c] = 1
const isWrap = (c: number): boolean => c < 128 && WRAP_PUNCT[c] === 1

/**
 * Number of characters in [from, to) from `+ \\ ^ ~ { } [ ] < > = *` — symbols that adversarial
 * suffixes splice into words, unlike the apostrophes, hyphens, dots, slashes, pipes and
 * brackets of ordinary prose, URLs and tables.
 */
function countOdd(text: string, from: number, to: number): number {
  let n = 0
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k)
    if (c === 0x2b || c === 0x5c || c === 0x5e || c === 0x7e || c === 0x7b || c === 0x7d || c === 0x5b || c === 0x5d || c === 0x3c || c === 0x3e || c === 0x3d || c === 0x2a) n++
  }
  return n
}

interface TokenStats {
  /** Max number of "weird" tokens (punctuation mixed into words, case flips) in any 12-token window. */
  weird: number
  weirdStart: number
  weirdEnd: number
  /** Longest run of one short token repeated with period 1–3 (`ö ö ö`, `) ] } ) ] }`), table chrome excluded. */
  repeat: number
  repeatStart: number
  repeatEnd: number
}


// Weird tokens of one text (token number, start, end); a text has at most 4,000 tokens.
const WEIRD_INDEX = new Int32Array(4000)
const WEIRD_STARTS = new Int32Array(4000)
const WEIRD_ENDS = new Int32Array(4000)

/** One pass over whitespace-separated tokens (at most 4,000) for the suffix and repetition signals. */
function tokenStats(text: string): TokenStats {
  const st: TokenStats = { weird: 0, weirdStart: 0, weirdEnd: 0, repeat: 0, repeatStart: 0, repeatEnd: 0 }
  const weirdIdx = WEIRD_INDEX
  const weirdStarts = WEIRD_STARTS
  const weirdEnds = WEIRD_ENDS
  let weirdCount = 0
  // Token hashes (0 = none); a collision can only lengthen a run, which the 16-token bar absorbs.
  let prev = 0
  let prev2 = 0
  let prev3 = 0
  let run = 0
  let runStart = 0
  let tokens = 0
  const n = text.length
  let i = 0
  while (i < n && tokens < 4000) {
    let c = text.charCodeAt(i)
    if (c <= 0x20) {
      i++
      continue
    }
    const start = i
    let punct = 0
    let letters = 0
    let flips = 0
    let prevLower = false
    let chrome = true
    let h = 0x811c9dc5
    while (i < n && c > 0x20) {
      h = Math.imul(h ^ c, 0x01000193)
      if (chrome && !(c < 128 && CHROME[c] === 1)) chrome = false
      const upper = c >= 0x41 && c <= 0x5a
      const lower = c >= 0x61 && c <= 0x7a
      if (upper || lower) {
        letters++
        if (upper && prevLower) flips++
      } else if (!(c >= 0x30 && c <= 0x39) && c < 0x80) punct++
      prevLower = lower
      i++
      c = text.charCodeAt(i)
    }
    tokens++
    const len = i - start
    // Adversarial-suffix tokens (`giving**ONE`, `\\!--Two`, `+`): symbols spliced into a word, or a
    // bare run of unusual symbols. Wrapping markup and trailing punctuation (`**word**`,
    // `"word",`) is ordinary text: only punctuation inside the word counts.
    let weird = false
    if (punct > 0) {
      if (letters > 0) {
        let cs = start
        let ce = i
        while (cs < ce && isWrap(text.charCodeAt(cs))) cs++
        while (ce > cs && isWrap(text.charCodeAt(ce - 1))) ce--
        const inner = punct - (cs - start) - (i - ce)
        const coreLen = ce - cs
        if (coreLen >= 3 && inner >= 1) {
          const odd = countOdd(text, cs, ce)
          weird = (odd >= 2 && odd * 3 >= coreLen) || (flips >= 1 && odd >= 1)
        }
      } else if (len <= 3) {
        weird = countOdd(text, start, i) === len
      }
    }
    if (weird) {
      weirdIdx[weirdCount] = tokens
      weirdStarts[weirdCount] = start
      weirdEnds[weirdCount] = i
      weirdCount++
    }
    if (len <= 8) {
      const w = (h >>> 0) || 1
      if ((w === prev || w === prev2 || w === prev3) && !chrome) run++
      else {
        run = 1
        runStart = start
      }
      prev3 = prev2
      prev2 = prev
      prev = w
    } else {
      run = 1
      runStart = start
      prev3 = prev2
      prev2 = prev
      prev = 0
    }
    if (run > st.repeat) {
      st.repeat = run
      st.repeatStart = runStart
      st.repeatEnd = i
    }
  }
  let lo = 0
  for (let hi = 0; hi < weirdCount; hi++) {
    while ((weirdIdx[hi] as number) - (weirdIdx[lo] as number) >= 12) lo++
    if (hi - lo + 1 > st.weird) {
      st.weird = hi - lo + 1
      st.weirdStart = weirdStarts[lo] as number
      st.weirdEnd = weirdEnds[hi] as number
    }
  }
  return st
}

// A KeySet rather than a Set: probing it with a 32-bit hash boxes no number.
const STOP_HASHES = new KeySet()
STOP_HASHES.clear(STOPWORDS_LIST.length)
for (const w of STOPWORDS_LIST) STOP_HASHES.add(wordHash(w))
// 64 Ki-bit prefilter over the library's 3-gram keys: most 3-grams of a text miss it.
const SHAPE_BITS = new Uint8Array(8192)
for (const key of ATTACK_TRIGRAMS) SHAPE_BITS[(key & 0xffff) >> 3]! |= 1 << (key & 7)

const SEEN_TRIGRAMS = new KeySet()

/** Number of distinct content 3-grams of the text shared with the attack-shape library. */
function shapeMatches(words: Words): number {
  const limit = Math.min(words.count, 3000)
  if (limit < 3) return 0
  const h = words.hashes
  const seen = SEEN_TRIGRAMS
  seen.clear(limit)
  let s0 = STOP_HASHES.has(h[0] as number)
  let s1 = STOP_HASHES.has(h[1] as number)
  for (let i = 0; i + 2 < limit; i++) {
    const s2 = STOP_HASHES.has(h[i + 2] as number)
    if (!(s0 && s1 && s2)) {
      const key = trigramKey(h[i] as number, h[i + 1] as number, h[i + 2] as number)
      if ((SHAPE_BITS[(key & 0xffff) >> 3]! & (1 << (key & 7))) !== 0 && ATTACK_TRIGRAMS.has(key)) seen.add(key)
    }
    s0 = s1
    s1 = s2
  }
  return seen.size
}

/** Drops hits from index `from` on whose signal id already fired before `from`. */
function dedupeHits(hits: SignalHit[], from: number): void {
  let w = from
  for (let r = from; r < hits.length; r++) {
    const h = hits[r] as SignalHit
    let seen = false
    for (let q = 0; q < from && !seen; q++) seen = (hits[q] as SignalHit).id === h.id
    if (!seen) hits[w++] = h
  }
  hits.length = w
}

/** Creates the heuristic detector. Stateless; patterns are compiled at module load. */
export function createHeuristicDetector(): InjectionDetector {
  // Build the lexicon now rather than during the first scan.
  wordsLexicon()
  return {
    id: 'heuristic',
    analyze(text, views) {
      const hits: SignalHit[] = []
      const folded = views.folded
      const words = wordsOf(folded.text, TEXT_WORDS)
      matchSignals(folded, words, 'text', hits, 0)
      // Words cut, glued or separated by punctuation: the same signals on the restored words.
      const wv = wordsViewOf(views)
      if (wv.changes > 0) {
        const before = hits.length
        // Signals the folded view already matched are skipped: a second hit would be a duplicate.
        matchSignals(wv, wordsOf(wv.text, VIEW_WORDS), 'text', hits, 0, undefined, undefined, before)
        // A signal found in both views counts once (the best-of below); keep the folded span.
        if (hits.length > before) dedupeHits(hits, before)
      }

      if (!hits.some((h) => h.id === 'override' || h.id === 'override_short')) {
        const m = SPLIT_OVERRIDE_RE.exec(folded.text)
        // Only a real split counts: whole words here are ordinary phrasing ("ignore the previous email").
        if (m && m[0].split(' ').some((w) => !SPLIT_WHOLE_WORDS.has(w))) hits.push({ id: 'override_split', type: 'INJECTION', weight: EXTRA_WEIGHTS.splitOverride, ...folded.toOriginal(m.index, m.index + m[0].length), via: 'text' })
      }

      const normalized = views.normalized
      const nt = normalized.text
      // Patterns read on the normalized view (case and punctuation kept); a match's span maps to the original.
      const onNormalized = (m: RegExpExecArray | null, id: string, type: InjectionType, weight: number): void => {
        if (m) hits.push({ id, type, weight, ...normalized.toOriginal(m.index, m.index + m[0].length), via: 'text' })
      }
      // The text with capitals written in leet read back (`3ND U$3R 1NPU7`), made once, when a rule needs it.
      let leetCaps: string | null | undefined
      const withLeetCaps = (): string | null => (leetCaps === undefined ? (leetCaps = LEET_CAPITAL_RE.test(nt) ? foldLeetCapitals(nt) : null) : leetCaps)
      const reAgain = (re: RegExp): RegExpExecArray | null => {
        const t = withLeetCaps()
        return t === null ? null : re.exec(t)
      }
      onNormalized(hasAny(words, ROLE_MARKER_WORDS) ? ROLE_MARKER_RE.exec(nt) : null, 'role_marker', 'INJECTION', EXTRA_WEIGHTS.roleMarker)
      onNormalized(hasAny(words, DELIMITER_WORDS) ? (FAKE_DELIMITER_RE.exec(nt) ?? CAPS_DELIMITER_RE.exec(nt) ?? reAgain(CAPS_DELIMITER_RE)) : null, 'fake_delimiter', 'INJECTION', EXTRA_WEIGHTS.fakeDelimiter)
      onNormalized(hasAny(words, SEND_WORDS) ? SEND_EXTERNAL_RE.exec(nt) : null, 'send_to_external', 'INJECTION', EXTRA_WEIGHTS.sendToExternal)
      onNormalized(nt.includes('![') ? MARKDOWN_EXFIL_RE.exec(nt) : null, 'markdown_exfiltration', 'INJECTION', EXTRA_WEIGHTS.markdownExfiltration)
      onNormalized(hasAny(words, PERSONA_WORDS) ? (PERSONA_LABEL_RE.exec(nt) ?? reAgain(PERSONA_LABEL_RE)) : null, 'persona_label', 'JAILBREAK', EXTRA_WEIGHTS.personaLabel)
      if (hasAny(words, HARM_WORDS)) {
        const m = fictionWrappedHarm(folded.text)
        if (m) hits.push({ id: 'fiction_wrapped_harm', type: 'JAILBREAK', weight: EXTRA_WEIGHTS.fictionWrappedHarm, ...folded.toOriginal(m.index, m.index + m[0].length), via: 'text' })
      }
      // HackAPrompt's target output, asked for in capitals as the challenge required; a user who
      // fears their account "has been pwned" writes it otherwise.
      onNormalized(nt.includes('PWNED') ? KNOWN_PAYLOAD_RE.exec(nt) : null, 'known_payload', 'INJECTION', EXTRA_WEIGHTS.knownPayload)
      if (NON_LATIN_SCRIPT_RE.test(nt)) {
        const m = NON_LATIN_OVERRIDE_RE.exec(nt)
        if (m) {
          const span = normalized.toOriginal(m.index, m.index + m[0].length)
          hits.push({ id: 'override_non_latin', type: 'INJECTION', weight: EXTRA_WEIGHTS.nonLatinOverride, ...span, via: 'text' })
        }
        const x = NON_LATIN_EXTRACTION_RE.exec(nt)
        if (x) {
          const span = normalized.toOriginal(x.index, x.index + x[0].length)
          hits.push({ id: 'extraction_non_latin', type: 'SYSTEM_PROMPT_EXTRACTION', weight: EXTRA_WEIGHTS.nonLatinExtraction, ...span, via: 'text' })
        }
      }
      const stats = tokenStats(nt)
      // Code is full of punctuation-laden tokens; only text that is not code can carry a suffix.
      if (stats.weird >= 5 && !CODE_RE.test(nt)) {
        hits.push({ id: 'adversarial_suffix', type: 'JAILBREAK', weight: EXTRA_WEIGHTS.adversarialSuffix, ...normalized.toOriginal(stats.weirdStart, stats.weirdEnd), via: 'text' })
      }
      if (stats.repeat >= 16) {
        hits.push({ id: 'token_repetition', type: 'INJECTION', weight: EXTRA_WEIGHTS.tokenRepetition, ...normalized.toOriginal(stats.repeatStart, stats.repeatEnd), via: 'text' })
      }

      // Text hidden in tag characters / variation selectors.
      const hidden = views.hidden
      if (hidden.text.length >= 4) {
        const span = hidden.toOriginal(0, hidden.text.length)
        hits.push({ id: 'hidden_text', type: 'INJECTION', weight: EXTRA_WEIGHTS.hiddenText, ...span, via: 'hidden' })
        const hf = foldForMatching(hidden.text)
        matchSignals(hf, wordsOf(hf.text, PAYLOAD_WORDS), 'hidden', hits, EXTRA_WEIGHTS.obfuscationBonus, hidden)
      }

      // Decoded payloads: score what they say; the span is the encoded payload.
      let shapes = shapeMatches(words)
      for (const seg of views.decoded) {
        if (seg.kind === 'html_entities' && seg.text.length < 12) continue
        const sf = foldForMatching(seg.text)
        const segWords = wordsOf(sf.text, PAYLOAD_WORDS)
        const before = hits.length
        if (seg.kind === 'split') {
          // Joined string literals: only what the pieces did not already say counts (and a split
          // that hides a signal is itself a tell); the join itself is not an encoded payload.
          const textHits = hits.length
          matchSignals(sf, segWords, seg.via, hits, EXTRA_WEIGHTS.obfuscationBonus, undefined, seg)
          dedupeHits(hits, textHits)
          shapes = Math.max(shapes, shapeMatches(segWords))
          continue
        }
        matchSignals(sf, segWords, seg.via, hits, EXTRA_WEIGHTS.obfuscationBonus, undefined, seg)
        const segShapes = shapeMatches(segWords)
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
      // A directive about "your response" already implies the bare reference to it: count one.
      if (best.has('output_imperative') || best.has('response_directive')) best.delete('output_reference')
      const unique = [...best.values()].sort((a, b) => b.weight - a.weight)
      let z: number = EXTRA_WEIGHTS.bias
      const byType: Record<InjectionType, number> = { INJECTION: 0, JAILBREAK: 0, SYSTEM_PROMPT_EXTRACTION: 0 }
      let indirect = false
      let strongIndirect = false
      for (const h of unique) {
        z += h.weight
        byType[h.type] += h.weight
        if (INDIRECT_IDS.has(h.id)) {
          indirect = true
          if (h.id !== 'output_reference') strongIndirect = true
        }
      }
      const toolAction = unique.some((h) => TOOL_IDS.has(h.id))
      // Length alone makes a document only for a cue stronger than a bare "your answer": long task
      // prompts ("Given the task definition and input, reply with output … your answer") are the user's.
      if (indirect && ((text.length >= 600 && strongIndirect) || DATA_CONTEXT_RE.test(nt) || FOLDED_CONTEXT_RE.test(folded.text) || (wv.changes > 0 && WORDS_CONTEXT_RE.test(wv.text)) || (toolAction && TOOL_RESULT_RE.test(nt)))) z += EXTRA_WEIGHTS.dataContext
      // One shared 3-gram is coincidence; resemblance starts at two.
      z += EXTRA_WEIGHTS.shapePerMatch * Math.max(0, Math.min(shapes, EXTRA_WEIGHTS.shapeCap) - 1)
      let type: InjectionType = 'INJECTION'
      if (byType.JAILBREAK > byType[type]) type = 'JAILBREAK'
      if (byType.SYSTEM_PROMPT_EXTRACTION > byType[type]) type = 'SYSTEM_PROMPT_EXTRACTION'
      return { score: sigmoid(z), type, hits: unique, shapeMatches: shapes }
    },
  }
}
