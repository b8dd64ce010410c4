/**
 * Profile of a free-text column (prompts, responses, reviews): length distribution, character
 * classes and the dominant script of each row (a cheap language/charset signal), and a
 * vocabulary sketch (frequent tokens plus a distinct-token count). Mergeable.
 */
import { FrequentItems, type FrequentState } from '../sketch/frequent.js'
import { hashString } from '../sketch/hash.js'
import { HyperLogLog } from '../sketch/hll.js'
import { KllSketch, type KllState } from '../sketch/kll.js'
import { Moments, type MomentsState } from '../sketch/moments.js'
import { Reservoir, type ReservoirState } from '../sketch/reservoir.js'
import { detach } from './cell.js'

export const CHAR_CLASSES = ['latin', 'digit', 'space', 'punct', 'cyrillic', 'greek', 'arabic', 'hebrew', 'devanagari', 'cjk', 'hangul', 'thai', 'emoji', 'invisible', 'other'] as const
export type CharClass = (typeof CHAR_CLASSES)[number]
const C = Object.fromEntries(CHAR_CLASSES.map((c, i) => [c, i])) as Record<CharClass, number>
/** Classes that are letters of a script (a row's dominant script is the most frequent of these). */
const SCRIPT_CLASSES = new Set([C.latin, C.cyrillic, C.greek, C.arabic, C.hebrew, C.devanagari, C.cjk, C.hangul, C.thai])

const ASCII_CLASS = new Uint8Array(128)

/** Character class of a code point. */
export function charClass(cp: number): number {
  if (cp < 0x80) return ASCII_CLASS[cp] as number
  return nonAsciiClass(cp)
}

function asciiClass(cp: number): number {
  if ((cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90)) return C.latin
  if (cp >= 48 && cp <= 57) return C.digit
  if (cp === 32 || cp === 9 || cp === 10 || cp === 13) return C.space
  if (cp < 32 || cp === 127) return C.invisible
  return C.punct
}
for (let cp = 0; cp < 128; cp++) ASCII_CLASS[cp] = asciiClass(cp)

function nonAsciiClass(cp: number): number {
  if (cp < 0x250) {
    if (cp < 0xa0) return C.invisible
    if (cp === 0xa0) return C.space
    if (cp >= 0xc0 && cp !== 0xd7 && cp !== 0xf7) return C.latin
    return cp === 0xad ? C.invisible : C.punct
  }
  if (cp >= 0x370 && cp <= 0x3ff) return C.greek
  if (cp >= 0x400 && cp <= 0x52f) return C.cyrillic
  if (cp >= 0x590 && cp <= 0x5ff) return C.hebrew
  if ((cp >= 0x600 && cp <= 0x6ff) || (cp >= 0x750 && cp <= 0x77f)) return C.arabic
  if (cp >= 0x900 && cp <= 0x97f) return C.devanagari
  if (cp >= 0xe00 && cp <= 0xe7f) return C.thai
  if (cp >= 0x1e00 && cp <= 0x1eff) return C.latin
  if ((cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0x3130 && cp <= 0x318f) || (cp >= 0xac00 && cp <= 0xd7af)) return C.hangul
  if (cp >= 0x2000 && cp <= 0x206f) {
    if (cp <= 0x200a || cp === 0x202f || cp === 0x205f) return C.space
    if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) || cp >= 0x2060) return C.invisible
    return C.punct
  }
  if (cp === 0xfeff || (cp >= 0xe0000 && cp <= 0xe007f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return C.invisible
  if ((cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x20000 && cp <= 0x2ffff)) return C.cjk
  if ((cp >= 0x1f000 && cp <= 0x1faff) || (cp >= 0x2600 && cp <= 0x27bf)) return C.emoji
  if (cp === 0x3000) return C.space
  if ((cp >= 0x3000 && cp <= 0x303f) || (cp >= 0x2070 && cp <= 0x2bff)) return C.punct
  return C.other
}

/** Word characters continue a token; CJK characters are one token each (no spaces between words). */
function isWordClass(cls: number): boolean {
  return cls === C.latin || cls === C.digit || cls === C.cyrillic || cls === C.greek || cls === C.arabic || cls === C.hebrew || cls === C.devanagari || cls === C.hangul || cls === C.thai
}

export interface TextState {
  rows: number
  lengths: MomentsState
  lengthSketch: KllState
  lengthSample: ReservoirState<number>
  tokensPerRow: MomentsState
  vocabulary: FrequentState
  vocabularyDistinct: { p: number; registers: string }
  chars: number[]
  scripts: Record<string, number>
  sample: ReservoirState<string>
}

export interface TextOptions {
  sampleSize: number
  textSampleSize: number
  vocabularySize: number
  seed: number
}

const MAX_SAMPLE_CHARS = 1000
const MAX_TOKEN_CHARS = 64

export class TextProfiler {
  rows = 0
  readonly lengths = new Moments()
  readonly lengthSketch: KllSketch
  readonly lengthSample: Reservoir<number>
  readonly tokensPerRow = new Moments()
  readonly vocabulary: FrequentItems
  readonly vocabularyDistinct = new HyperLogLog(12)
  readonly chars = new Float64Array(CHAR_CLASSES.length)
  readonly scripts = new Map<string, number>()
  readonly sample: Reservoir<string>
  private readonly rowCounts = new Float64Array(CHAR_CLASSES.length)

  constructor(options: TextOptions) {
    this.lengthSketch = new KllSketch(200, options.seed + 11)
    this.lengthSample = new Reservoir<number>(options.sampleSize, options.seed + 12)
    this.vocabulary = new FrequentItems(options.vocabularySize)
    this.sample = new Reservoir<string>(options.textSampleSize, options.seed + 13, (s) => detach(s.length > MAX_SAMPLE_CHARS ? s.slice(0, MAX_SAMPLE_CHARS) : s))
  }

  add(s: string): void {
    this.rows++
    const counts = this.rowCounts
    counts.fill(0)
    let length = 0
    let tokens = 0
    let tokenStart = -1
    for (let i = 0; i <= s.length; i++) {
      let cls = -1
      const start = i
      if (i < s.length) {
        let cp = s.charCodeAt(i)
        if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
          const lo = s.charCodeAt(i + 1)
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000
            i++
          }
        }
        length++
        cls = charClass(cp)
        counts[cls] = (counts[cls] as number) + 1
        if (isWordClass(cls)) {
          if (tokenStart < 0) tokenStart = start
          continue
        }
      }
      // A non-word character (or the end) closes the current token.
      if (tokenStart >= 0) {
        if (start - tokenStart <= MAX_TOKEN_CHARS) this.addToken(s.slice(tokenStart, start).toLowerCase())
        tokens++
        tokenStart = -1
      }
      if (cls === C.cjk) {
        this.addToken(s.slice(start, i + 1))
        tokens++
      }
    }
    for (let c = 0; c < counts.length; c++) this.chars[c] = (this.chars[c] as number) + (counts[c] as number)
    let best = -1
    let bestCount = 0
    for (const c of SCRIPT_CLASSES) {
      if ((counts[c] as number) > bestCount) {
        best = c
        bestCount = counts[c] as number
      }
    }
    const script = best < 0 ? 'none' : (CHAR_CLASSES[best] as string)
    this.scripts.set(script, (this.scripts.get(script) ?? 0) + 1)
    this.lengths.add(length)
    this.lengthSketch.update(length)
    this.lengthSample.add(length)
    this.tokensPerRow.add(tokens)
    this.sample.add(s)
  }

  private addToken(token: string): void {
    this.vocabulary.add(token)
    this.vocabularyDistinct.add(hashString(token))
  }

  merge(o: TextProfiler): void {
    this.rows += o.rows
    this.lengths.merge(o.lengths)
    this.lengthSketch.merge(o.lengthSketch)
    this.lengthSample.merge(o.lengthSample)
    this.tokensPerRow.merge(o.tokensPerRow)
    this.vocabulary.merge(o.vocabulary)
    this.vocabularyDistinct.merge(o.vocabularyDistinct)
    for (let c = 0; c < this.chars.length; c++) this.chars[c] = (this.chars[c] as number) + (o.chars[c] as number)
    for (const [k, v] of o.scripts) this.scripts.set(k, (this.scripts.get(k) ?? 0) + v)
    this.sample.merge(o.sample)
  }

  toJSON(): TextState {
    return {
      rows: this.rows,
      lengths: this.lengths.toJSON(),
      lengthSketch: this.lengthSketch.toJSON(),
      lengthSample: this.lengthSample.toJSON(),
      tokensPerRow: this.tokensPerRow.toJSON(),
      vocabulary: this.vocabulary.toJSON(),
      vocabularyDistinct: this.vocabularyDistinct.toJSON(),
      chars: Array.from(this.chars),
      scripts: Object.fromEntries(this.scripts),
      sample: this.sample.toJSON(),
    }
  }

  static fromJSON(s: TextState, options: TextOptions): TextProfiler {
    const t = new TextProfiler(options)
    t.rows = s.rows
    t.lengths.merge(s.lengths)
    t.lengthSketch.merge(KllSketch.fromJSON(s.lengthSketch, options.seed + 11))
    t.lengthSample.restore(s.lengthSample)
    t.tokensPerRow.merge(s.tokensPerRow)
    t.vocabulary.merge(FrequentItems.fromJSON(s.vocabulary))
    t.vocabularyDistinct.merge(HyperLogLog.fromJSON(s.vocabularyDistinct))
    s.chars.forEach((v, i) => (t.chars[i] = v))
    for (const [k, v] of Object.entries(s.scripts)) t.scripts.set(k, v)
    t.sample.restore(s.sample)
    return t
  }
}
