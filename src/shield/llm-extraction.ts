/**
 * Extraction through the chat proxy, per client key and model, on the stream of its prompts:
 *
 * - enumeration: many templated, near-duplicate prompts (the same text with a slot changed —
 *   "What is the capital of X?" for every X). Each prompt's MinHash signature (character 4-grams)
 *   is compared with the client's recent prompts; an exact repeat (a retry) does not count;
 * - system-prompt extraction: repeated attempts to make the model print its instructions (the
 *   guard's SYSTEM_PROMPT_EXTRACTION findings, or our own patterns when the policy has no
 *   injection scanner);
 * - memorization probes: prompts built to make a model regurgitate training data (repeat a word
 *   forever, continue a passage verbatim, recite a text whole, "what was in your training data").
 *
 * Thresholds are counts over the last `window` prompts. Deterministic, like the tabular detector,
 * so several gateways sharing Redis replay the same state.
 */

export type LlmSignal = 'enumeration' | 'system_prompt' | 'memorization'
export const LLM_SIGNALS: readonly LlmSignal[] = ['enumeration', 'system_prompt', 'memorization']

export interface PromptEvent {
  /** MinHash signature of the prompt's character 4-grams. */
  signature: Uint32Array
  /** Hash of the normalized prompt (exact repeats). */
  hash: number
  systemPrompt: boolean
  memorization: boolean
}

export interface LlmExtractionOptions {
  window: number
  /** Recent prompts a new one is compared with. */
  history: number
  /** Estimated Jaccard similarity from which two prompts count as one template. */
  nearDuplicate: number
  /** Enumeration: near-duplicates in the window, and their share of it. */
  minTemplated: number
  templatedShare: number
  /** Attempts in the window that flag. */
  minSystemPromptAttempts: number
  minMemorizationProbes: number
  signals: readonly LlmSignal[]
}

export const DEFAULT_LLM_EXTRACTION: LlmExtractionOptions = {
  window: 100,
  history: 200,
  nearDuplicate: 0.5,
  minTemplated: 30,
  templatedShare: 0.5,
  minSystemPromptAttempts: 3,
  minMemorizationProbes: 5,
  signals: LLM_SIGNALS,
}

export interface LlmFlag {
  at: number
  signal: LlmSignal
  count: number
}

export interface LlmStatus {
  prompts: number
  /** Counts in the current window. */
  templated: number
  systemPrompt: number
  memorization: number
  flag: LlmFlag | null
}

export interface LlmSnapshot {
  prompts: number
  history: { signature: string; hash: number }[]
  window: [number, number, number][]
  flag: LlmFlag | null
}

const SIGNATURE_SIZE = 64

/** 32-bit FNV-1a. */
function fnv(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** A 32-bit mix (murmur3's finalizer) to derive the signature's hash functions from one hash. */
function mix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export function normalizePrompt(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim()
}

/**
 * MinHash over character 4-grams of the normalized prompt, by one-permutation hashing (Li, Owen &
 * Zhang, 2012): each distinct gram is hashed once, the hash's top 6 bits pick one of the 64
 * bins and the bin keeps its smallest remaining 26 bits; a bin no gram fell into borrows the
 * value of the next filled bin, offset by the distance (rotation densification, Shrivastava & Li,
 * 2014), so two prompts' signatures agree bin by bin with probability ≈ their Jaccard similarity.
 * One hash per gram instead of one per gram and bin: a 500-character prompt costs a few
 * microseconds instead of ~0.1 ms on every proxied request.
 */
export function promptSignature(text: string): Uint32Array {
  return signatureOfNormalized(normalizePrompt(text))
}

function signatureOfNormalized(t: string): Uint32Array {
  const sig = new Uint32Array(SIGNATURE_SIZE).fill(EMPTY)
  const n = t.length < 4 ? (t.length === 0 ? 0 : 1) : t.length - 3
  for (let i = 0; i < n; i++) {
    let h = 0x811c9dc5
    for (let j = i; j < Math.min(i + 4, t.length); j++) h = Math.imul(h ^ t.charCodeAt(j), 0x01000193)
    const x = mix(h >>> 0)
    const bin = x >>> 26
    const v = x & 0x03ffffff
    if (v < (sig[bin] as number)) sig[bin] = v
  }
  if (n === 0) return sig
  for (let k = 0; k < SIGNATURE_SIZE; k++) {
    if (sig[k] !== EMPTY) continue
    let d = 1
    while ((sig[(k + d) % SIGNATURE_SIZE] as number) === EMPTY || (sig[(k + d) % SIGNATURE_SIZE] as number) >= 0x04000000) d++
    sig[k] = (sig[(k + d) % SIGNATURE_SIZE] as number) + d * 0x04000000
  }
  return sig
}

/** A bin no gram has reached yet (values are 26 bits, so never equal to this). */
const EMPTY = 0xffffffff

export function estimatedJaccard(a: Uint32Array, b: Uint32Array): number {
  let same = 0
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++
  return same / a.length
}

const SYSTEM_PROMPT_PATTERNS: RegExp[] = [
  /\b(reveal|show|print|repeat|output|display|dump|leak|tell me|give me|share|write out|spell out|list)\b[^.?!\n]{0,60}\b(system|initial|original|hidden|secret|developer|first|pre-?prompt|above)\s*(prompt|instructions?|message|rules|directives?|guidelines)\b/i,
  /\bwhat\s+(are|were|is)\s+(your|the)\s+(system\s+prompt|(initial|original|hidden|secret)\s+(instructions?|prompt))/i,
  /\b(repeat|print|output)\b[^.?!\n]{0,40}\b(everything|all|the text|words?)\b[^.?!\n]{0,30}\b(above|before this|so far|preceding)\b/i,
  /\bwhat\s+(were|was)\s+you\s+(told|instructed|given)\b/i,
  /\b(begin|start)\s+your\s+(reply|answer|response)\s+with\s+["']?you\s+are\b/i,
]

const MEMORIZATION_PATTERNS: RegExp[] = [
  /\brepeat\b[^.?!\n]{0,40}\b(forever|infinitely|indefinitely|endlessly|\d{3,}\s+times)\b/i,
  /\b(continue|complete|finish)\b[^.?!\n]{0,40}\b(verbatim|word[- ]for[- ]word|exactly as (written|published|it appears))\b/i,
  /\b(recite|reproduce|regurgitate|quote)\b[^.?!\n]{0,40}\b(entire|full|complete|whole|first (chapter|page|paragraph))\b/i,
  /\b(from|in|of)\s+your\s+training\s+(data|set|corpus)\b/i,
  /\bwhat\s+(data|documents|texts?)\s+(were|was)\s+you\s+trained\s+on\b/i,
  /\b(verbatim|word[- ]for[- ]word)\b[^.?!\n]{0,60}\b(text|lyrics|passage|article|book|chapter|code|license|email)\b/i,
]

/** Does the prompt try to make the model print its instructions? */
export function isSystemPromptAttempt(text: string): boolean {
  return SYSTEM_PROMPT_PATTERNS.some((p) => p.test(text))
}

/** Is the prompt built to elicit memorized training text? */
export function isMemorizationProbe(text: string): boolean {
  if (MEMORIZATION_PATTERNS.some((p) => p.test(text))) return true
  // "poem poem poem …": the divergence attack on aligned models (Nasr et al., 2023).
  return /\b(\w{2,})\b(?:\W+\1\b){19,}/i.test(text)
}

/** The event for one prompt; `guardSaysExtraction` is true when the guard found SYSTEM_PROMPT_EXTRACTION in it. */
export function promptEvent(text: string, guardSaysExtraction = false): PromptEvent {
  const normalized = normalizePrompt(text)
  return { signature: signatureOfNormalized(normalized), hash: fnv(normalized), systemPrompt: guardSaysExtraction || isSystemPromptAttempt(text), memorization: isMemorizationProbe(text) }
}

export class LlmExtractionDetector {
  readonly options: LlmExtractionOptions
  #prompts = 0
  #history: { signature: Uint32Array; hash: number }[] = []
  /** Per windowed prompt: [near-duplicate, system-prompt attempt, memorization probe]. */
  #window: [number, number, number][] = []
  #flag: LlmFlag | null = null

  constructor(options: Partial<LlmExtractionOptions> = {}) {
    this.options = { ...DEFAULT_LLM_EXTRACTION, ...options }
  }

  get flag(): LlmFlag | null {
    return this.#flag
  }

  apply(event: PromptEvent): LlmStatus {
    this.#prompts++
    const o = this.options
    let near = 0
    for (const h of this.#history) {
      if (h.hash === event.hash) continue
      if (estimatedJaccard(h.signature, event.signature) >= o.nearDuplicate) {
        near = 1
        break
      }
    }
    this.#history.push({ signature: event.signature, hash: event.hash })
    if (this.#history.length > o.history) this.#history.shift()
    this.#window.push([near, event.systemPrompt ? 1 : 0, event.memorization ? 1 : 0])
    if (this.#window.length > o.window) this.#window.shift()
    let templated = 0
    let systemPrompt = 0
    let memorization = 0
    for (const [a, b, c] of this.#window) {
      templated += a
      systemPrompt += b
      memorization += c
    }
    if (this.#flag === null) {
      if (o.signals.includes('system_prompt') && systemPrompt >= o.minSystemPromptAttempts) this.#flag = { at: this.#prompts, signal: 'system_prompt', count: systemPrompt }
      else if (o.signals.includes('memorization') && memorization >= o.minMemorizationProbes) this.#flag = { at: this.#prompts, signal: 'memorization', count: memorization }
      else if (o.signals.includes('enumeration') && templated >= o.minTemplated && templated >= o.templatedShare * this.#window.length) this.#flag = { at: this.#prompts, signal: 'enumeration', count: templated }
    }
    return { prompts: this.#prompts, templated, systemPrompt, memorization, flag: this.#flag }
  }

  toJSON(): LlmSnapshot {
    return {
      prompts: this.#prompts,
      history: this.#history.map((h) => ({ signature: Buffer.from(h.signature.buffer, h.signature.byteOffset, h.signature.byteLength).toString('base64'), hash: h.hash })),
      window: this.#window.map((w) => [...w] as [number, number, number]),
      flag: this.#flag,
    }
  }

  static fromJSON(options: Partial<LlmExtractionOptions>, snapshot: LlmSnapshot): LlmExtractionDetector {
    const d = new LlmExtractionDetector(options)
    d.#prompts = snapshot.prompts
    d.#history = snapshot.history.map((h) => {
      const bytes = Buffer.from(h.signature, 'base64')
      return { signature: new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), hash: h.hash }
    })
    d.#window = snapshot.window.map((w) => [w[0], w[1], w[2]])
    d.#flag = snapshot.flag
    return d
  }
}

/** Event ⇄ text, for the shared log. */
export function encodePromptEvent(e: PromptEvent): string {
  return `${Buffer.from(e.signature.buffer, e.signature.byteOffset, e.signature.byteLength).toString('base64')}.${e.hash}.${e.systemPrompt ? 1 : 0}${e.memorization ? 1 : 0}`
}

export function decodePromptEvent(s: string): PromptEvent {
  const [sig = '', hash = '0', flags = '00'] = s.split('.')
  const bytes = Buffer.from(sig, 'base64')
  return { signature: new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), hash: Number(hash), systemPrompt: flags[0] === '1', memorization: flags[1] === '1' }
}
