import { englishBackground, type EnglishBackground } from './background.js'

/** A topic as declared in the policy. */
export interface TopicSpec {
  name: string
  definition: string
  examples: readonly string[]
}

/**
 * A text reduced to what the topic profiles can use: its sentences (UTF-16 offsets into the
 * analyzed text) and its words whose stem is in some topic's vocabulary, in order.
 */
export interface AnalyzedText {
  sentenceCount: number
  sentenceStart: Int32Array
  sentenceEnd: Int32Array
  /** Number of vocabulary hits. */
  hitCount: number
  /** Per hit: vocabulary term id. */
  hitTerm: Int32Array
  /** Per hit: sentence index. */
  hitSentence: Int32Array
  /** Per hit: 1 when no content word separates it from the previous hit (a stem pair). */
  hitAdjacent: Uint8Array
}

/** Compiled topic profiles over one shared vocabulary of stems. */
export interface TopicModel {
  readonly topics: readonly string[]
  /** Tokenizes, stems and sentence-splits `text`. The result is reused by the next call. */
  analyze(text: string): AnalyzedText
  /**
   * Evidence that the hits of sentences [from, to) are about each topic: distinct matched
   * stems weighted by rarity and by how central they are to the topic, plus matched stem
   * pairs. Unbounded ≥ 0; `calibrate` maps it to 0..1.
   */
  evidence(analyzed: AnalyzedText, fromSentence: number, toSentence: number, out: Float64Array): void
}

// Unicode letters, with inner apostrophes and digits ("don't", "401k"); numbers alone say little.
const WORD_RE = /\p{L}[\p{L}\p{M}\p{N}]*(?:['’]\p{L}+)*/gu

/**
 * Weight of a stem from its background information (−log10 probability): ≤ 2.8 (the 200 most
 * common stems: "time", "good", "know") weighs 0, ≥ 5.2 (rarer than about 1 in 300,000
 * words) weighs 1, linear in between.
 */
export function rarityWeight(information: number): number {
  const w = (information - 2.8) / 2.4
  return w <= 0 ? 0 : w >= 1 ? 1 : w
}

/** A token below this weight is a function word: skipped when pairing neighbours. */
const STOP_WEIGHT = 0.05
/** Distinct pairs of neighbouring stems count this share of their mean weight on top. */
const PAIR_BONUS = 0.6
/** A window whose only evidence is one stem keeps this share of it: one word is not a topic. */
const SINGLE_TERM_FACTOR = 0.55
/** Words longer than this are never stemmed or looked up (payloads, hashes). */
const MAX_WORD = 40

/** The score 0..1 a calibrated evidence value maps to: 1 − exp(−evidence / SCALE). */
const SCALE = 1.4

/**
 * Maps evidence to a 0..1 score. Calibrated so that 0.5 ≈ two or three distinct, fairly specific topic
 * words in one sentence ("stocks … buy", "symptoms … diagnose") and a lone rare word stays
 * below it; see docs/scanners/denied_topics.md for measured figures.
 */
export function calibrate(evidence: number): number {
  return 1 - Math.exp(-evidence / SCALE)
}

/**
 * True when the characters between two words, text[from, to), end a sentence: . ! ? … (or
 * full-width forms) followed by whitespace, possibly after closing quotes or brackets, or
 * a line break.
 */
function endsSentence(text: string, from: number, to: number): boolean {
  let sawStop = false
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c === 10 || c === 13) return true
    if (c === 46 || c === 33 || c === 63 || c === 0x2026 || c === 0x3002 || c === 0xff01 || c === 0xff1f) sawStop = true
    else if (c === 32 || c === 9 || c === 0xa0 || c === 0x3000) {
      if (sawStop) return true
    } else if (c !== 34 && c !== 39 && c !== 41 && c !== 93 && c !== 0x201d && c !== 0x2019) sawStop = false
  }
  return false
}

function pairKey(a: number, b: number): number {
  return a < b ? a * 65_536 + b : b * 65_536 + a
}

/** Builds the vocabulary and the per-topic term and pair weights from the topics' text. */
export function compileTopicModel(specs: readonly TopicSpec[], background: EnglishBackground = englishBackground()): TopicModel {
  const vocab = new Map<string, number>()
  const stemWeight: number[] = []
  // Per surface word, one number: its term id (≥ 0), CONTENT (a word outside the vocabulary
  // that separates pairs) or STOP (a function word), so a repeated word costs one lookup.
  const CONTENT = -1
  const STOP = -2
  let wordCodes = new Map<string, number>()
  const WORD_CACHE_LIMIT = 50_000

  function lookup(lower: string): number {
    let code = wordCodes.get(lower)
    if (code !== undefined) return code
    const stem = background.stem(lower)
    code = vocab.get(stem) ?? nearStem(stem) ?? (rarityWeight(background.stemInformation(stem)) < STOP_WEIGHT ? STOP : CONTENT)
    if (wordCodes.size >= WORD_CACHE_LIMIT) wordCodes = new Map()
    wordCodes.set(lower, code)
    return code
  }

  let buffers = allocate(256, 64)
  function allocate(hits: number, sentences: number): AnalyzedText {
    return {
      sentenceCount: 0,
      sentenceStart: new Int32Array(sentences),
      sentenceEnd: new Int32Array(sentences),
      hitCount: 0,
      hitTerm: new Int32Array(hits),
      hitSentence: new Int32Array(hits),
      hitAdjacent: new Uint8Array(hits),
    }
  }
  function grow(a: AnalyzedText, hits: boolean): AnalyzedText {
    const b = allocate(hits ? a.hitTerm.length * 2 : a.hitTerm.length, hits ? a.sentenceStart.length : a.sentenceStart.length * 2)
    b.sentenceStart.set(a.sentenceStart)
    b.sentenceEnd.set(a.sentenceEnd)
    b.hitTerm.set(a.hitTerm)
    b.hitSentence.set(a.hitSentence)
    b.hitAdjacent.set(a.hitAdjacent)
    b.sentenceCount = a.sentenceCount
    b.hitCount = a.hitCount
    return b
  }

  function analyze(text: string): AnalyzedText {
    const lowerAll = text.toLowerCase()
    const sameLength = lowerAll.length === text.length
    let out = buffers
    out.sentenceCount = 0
    out.hitCount = 0
    let prevEnd = -1
    let adjacent = 0
    WORD_RE.lastIndex = 0
    for (let m = WORD_RE.exec(text); m !== null; m = WORD_RE.exec(text)) {
      const start = m.index
      const end = start + m[0].length
      if (prevEnd < 0 || endsSentence(text, prevEnd, start)) {
        if (out.sentenceCount === out.sentenceStart.length) out = buffers = grow(out, false)
        out.sentenceStart[out.sentenceCount] = start
        out.sentenceCount++
        adjacent = 0
      }
      out.sentenceEnd[out.sentenceCount - 1] = end
      prevEnd = end
      if (end - start > MAX_WORD) {
        adjacent = 0
        continue
      }
      let lower = sameLength ? lowerAll.slice(start, end) : m[0].toLowerCase()
      // Possessives and contractions: "bank's" → "bank".
      let apo = lower.indexOf("'")
      if (apo < 0) apo = lower.indexOf('’')
      if (apo > 0) lower = lower.slice(0, apo)
      const code = lookup(lower)
      if (code >= 0) {
        if (out.hitCount === out.hitTerm.length) out = buffers = grow(out, true)
        out.hitTerm[out.hitCount] = code
        out.hitSentence[out.hitCount] = out.sentenceCount - 1
        out.hitAdjacent[out.hitCount] = adjacent
        out.hitCount++
        adjacent = 1
      } else if (code === CONTENT) {
        adjacent = 0
      }
    }
    return out
  }

  // Vocabulary: every stem of every topic's name, definition and examples.
  const topicTexts = specs.map((s) => [s.name, s.name, s.definition, ...s.examples])
  const termTopicWeights: Array<Array<[number, number]>> = []
  const pairTopicWeights = new Map<number, Array<[number, number]>>()
  const pairSets: Array<Set<number>> = specs.map(() => new Set())
  const tfs: Array<Map<number, number>> = specs.map(() => new Map())
  topicTexts.forEach((texts, t) => {
    for (const text of texts) {
      const lowerWords = text.toLowerCase().match(WORD_RE) ?? []
      let prev = -1
      for (let word of lowerWords) {
        const apo = word.search(/['’]/)
        if (apo > 0) word = word.slice(0, apo)
        if (word.length > MAX_WORD) continue
        const stem = background.stem(word)
        const weight = rarityWeight(background.stemInformation(stem))
        if (weight < STOP_WEIGHT) continue
        let id = vocab.get(stem)
        if (id === undefined) {
          id = stemWeight.length
          vocab.set(stem, id)
          stemWeight.push(weight)
          termTopicWeights.push([])
        }
        const tf = tfs[t] as Map<number, number>
        tf.set(id, (tf.get(id) ?? 0) + 1)
        if (prev >= 0 && prev !== id) (pairSets[t] as Set<number>).add(pairKey(prev, id))
        prev = id
      }
    }
  })
  // A stem repeated across a topic's name, definition and examples is central to it.
  tfs.forEach((tf, t) => {
    for (const [id, count] of tf) {
      const centrality = 0.75 + 0.25 * Math.min(1, (count - 1) / 2)
      ;(termTopicWeights[id] as Array<[number, number]>).push([t, (stemWeight[id] as number) * centrality])
    }
  })
  pairSets.forEach((pairs, t) => {
    for (const key of pairs) {
      const a = Math.floor(key / 65_536)
      const b = key % 65_536
      const bonus = PAIR_BONUS * 0.5 * ((stemWeight[a] as number) + (stemWeight[b] as number))
      let list = pairTopicWeights.get(key)
      if (!list) pairTopicWeights.set(key, (list = []))
      list.push([t, bonus])
    }
  })

  // Porter leaves some families split by their last letter: "diagnose" → diagnos, "diagnosis" →
  // diagnosi, "diagnostic" → diagnost. Stems of 6+ letters that differ only in a final letter
  // (added, dropped or changed) are treated as the same term.
  const truncated = new Map<string, number>()
  for (const [stem, id] of vocab) if (stem.length >= 6 && !truncated.has(stem.slice(0, -1))) truncated.set(stem.slice(0, -1), id)
  function nearStem(stem: string): number | undefined {
    if (stem.length < 5) return undefined
    if (stem.length >= 6) {
      const cut = stem.slice(0, -1)
      const id = vocab.get(cut) ?? truncated.get(cut)
      if (id !== undefined) return id
    }
    return truncated.get(stem)
  }

  const topicCount = specs.length
  const seenTerm = new Uint8Array(stemWeight.length)
  const distinct = new Int32Array(topicCount)
  const seenPairs = new Set<number>()
  const touched: number[] = []

  function evidence(analyzed: AnalyzedText, fromSentence: number, toSentence: number, out: Float64Array): void {
    out.fill(0)
    distinct.fill(0)
    touched.length = 0
    seenPairs.clear()
    const { hitTerm, hitSentence, hitAdjacent, hitCount } = analyzed
    // Hits are in sentence order; find the first hit of `fromSentence` by bisection.
    let lo = 0
    let hi = hitCount
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((hitSentence[mid] as number) < fromSentence) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < hitCount && (hitSentence[i] as number) < toSentence; i++) {
      const id = hitTerm[i] as number
      if (seenTerm[id] === 0) {
        seenTerm[id] = 1
        touched.push(id)
        for (const [t, w] of termTopicWeights[id] as Array<[number, number]>) {
          out[t] = (out[t] as number) + w
          distinct[t] = (distinct[t] as number) + 1
        }
      }
      if (hitAdjacent[i] === 1 && i > lo) {
        const prev = hitTerm[i - 1] as number
        if (prev !== id) {
          const key = pairKey(prev, id)
          if (!seenPairs.has(key)) {
            seenPairs.add(key)
            const list = pairTopicWeights.get(key)
            if (list) for (const [t, w] of list) out[t] = (out[t] as number) + w
          }
        }
      }
    }
    for (const id of touched) seenTerm[id] = 0
    for (let t = 0; t < topicCount; t++) if (distinct[t] === 1) out[t] = (out[t] as number) * SINGLE_TERM_FACTOR
  }

  return { topics: specs.map((s) => s.name), analyze, evidence }
}
