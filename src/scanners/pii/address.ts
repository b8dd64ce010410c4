import { nameLexicon } from './lexicon.js'
import type { RawEntity } from './patterns.js'

/**
 * Postal addresses from their structure, not from a list of places: a house number and
 * street words ending in a street type (US/UK/AU), a street word carrying its type followed
 * by a number (continental Europe: "Hauptstraße 5", "Rue de la Paix 12", "Koskikatu 25"),
 * PO boxes and military mail. The core match is then extended over the components that
 * usually follow it: unit, city, state/region code, postal code, country.
 */

const CAP_WORD = String.raw`(?:[\p{Lu}\d][\p{L}\p{M}'’.\-]{0,24})`
const STREET_TYPE = String.raw`(?:Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Square|Sq|Highway|Hwy|Parkway|Pkwy|Trail|Trl|Crescent|Cres|Close|Alley|Row|Plaza|Heights|Hts|Gardens|Gdns|Grove|Mews|Walk|Loop|Pike|Path|Expressway|Freeway|Route|Rte|Crossing|Xing|Ridge|Vista|Estates?|Flats?|Isle|Manor|Meadows?|Springs?|Valley|Village|Green|Glen|Landing|Junction|Jct|Wharf|Quay|Causeway|Bypass|Hollow|Knoll|Summit|Center|Centre|Ville|Cove|Creek|Shores?|Fields?|Hills?|Lakes?|Ports?|Points?|Stravenue|Ramp|Spur|Turnpike|Underpass|Via)`
const EURO_SUFFIX = String.raw`(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|steig|katu|kuja|tie|polku|gatan|vägen|gränd|vej|gade|laan|straat|gracht|plein|kade|singel|utca|ulica|ulice|cesta|tér|iela|gatve)`
const EURO_PREFIX = String.raw`(?:Rue|Via|Viale|Vicolo|Calle|Carrer|Avenida|Avda\.|Rua|Rúa|Praça|Plaza|Piazza|Piazzale|Corso|Largo|Paseo|Camino|Travessa|Travesía|Chemin|Allée|Impasse|Quai|Cours|ul\.|ulica|Aleja|al\.|plac|Strada|Bulevardul|Str\.|Odos|Leoforos|Avenue|Boulevard)`
const NUM = String.raw`\d{1,6}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?`

const US_CORE = new RegExp(String.raw`(?<![\w.,-])(?:\d{1,6}[ ])?${NUM}(?:[ ]${CAP_WORD}){1,4}?[ ]${STREET_TYPE}\.?(?:[ ](?:N|S|E|W|NE|NW|SE|SW)\b\.?)?(?![\p{L}\d])`, 'gu')
const EURO_SUFFIX_CORE = new RegExp(String.raw`(?<![\p{L}\d])(?:${CAP_WORD}[ -]){0,3}\p{L}{0,30}${EURO_SUFFIX}[ ]${NUM}(?![\p{L}\d])`, 'gu')
const EURO_PREFIX_CORE = new RegExp(String.raw`(?<![\p{L}\d])(?:${NUM},?[ ])?${EURO_PREFIX}[ ](?:(?:de|del|de la|dos|das|da|do|di|della|du|des|la|le|von|van)[ ])?(?:${CAP_WORD}[ ]){1,4}${NUM}(?![\p{L}\d])`, 'gu')
const PO_BOX = /(?<![\w])(?:P\.? ?O\.? ?Box|Post Office Box|PO Box|Postfach|Apartado|Casilla)\s+\d{1,7}(?!\d)/giu
const MILITARY = /(?<![\w])(?:(?:Unit|PSC|CMR)\s+\d{3,5},?\s+Box\s+\d{1,5}|(?:USNS|USS|USNV|USCGC)\s+[A-Z][a-z]+)(?:,?\s+(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5})?/gu
// House number, one to four words of any script, a second number ("6750 Koskikatu 25",
// "233 Erzsébet tér 19."): an address only when address components follow or a cue precedes.
const WORD = String.raw`(?:[\p{L}][\p{L}\p{M}'’\-]{0,24}\.?)`
const GENERIC_CORE = new RegExp(String.raw`(?<![\p{L}\d.,-])${NUM}(?:[ ]${WORD}){1,4}[ ]${NUM}\.?(?![\p{L}\d])`, 'gu')
// Street words then a number ("Via dei Fiorentini 17"): only right after an address cue.
const NAMED_CORE_Y = new RegExp(String.raw`(?:${CAP_WORD}[ ])(?:${WORD}[ ]){0,3}${NUM}\.?(?![\p{L}\d])`, 'uy')
const WORD_START = /(?<![\p{L}\p{M}\d])[\p{L}\d]/gu
// "the corner of 5th Street and Main": two street names around "and".
const STREET_WORD = String.raw`(?:[\p{L}\d][\p{L}\p{M}\d'’\-]{0,24}\.?)`
const CORNER = new RegExp(String.raw`\b(?:the )?corner of (?:${STREET_WORD}[ ]){1,6}?and(?:[ ]${STREET_WORD}){1,4}?(?=[\s.,;:!?)]|$)(?![ ](?:${STREET_TYPE})\b)`, 'giu')
const ADDRESS_CUE = /(?:\b(?:address(?:es)?|addr|live[sd]? (?:at|on|in)|living (?:at|on)|located (?:at|on)|moved to|move to|sent to|send (?:it )?to|ship(?:ped)? to|deliver(?:ed)? to|return(?:ed)? to|arrived at|reside[sd]? (?:at|on)|office is (?:at|on)|mail(?:ed)? to|billing|shipping|street|avenue|meet (?:me )?at)\b[^.!?\n]{0,12}?[:\s]\s*)$/i

// Components that may follow a street core, each tried at the current end (sticky).
const SEP = String.raw`(?:[ \t]*[,\n][ \t,\n]{0,6}|[ \t]+)`
const UNIT = new RegExp(String.raw`${SEP}(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|Bldg|Building|#)\.?[ ]?#?[ ]?[\w-]{1,6}(?![\w])`, 'iuy')
const POSTCODE = new RegExp(
  String.raw`${SEP}(?:\d{5}(?:-\d{4})?|\d{4}|\d{2}-\d{3}|\d{3}[ ]?\d{2}|[A-Z]{1,2}\d[A-Z\d]?[ ]\d[A-Z]{2}|[A-Z]\d[A-Z][ ]?\d[A-Z]\d|\d{4}[ ]?[A-Z]{2})(?![\p{L}\d])(?![ ]\d)`,
  'uy',
)
// A state/region code: followed by a postal code, a line break or the end of the clause.
const REGION_CODE = new RegExp(String.raw`${SEP}[A-Z]{2,3}(?![\p{L}\d])(?=[ \t,]*\n|[ \t,]*\d|[ \t]*(?:[.;)]|$))`, 'uy')
const PLACE_PART = String.raw`(?:[\p{Lu}][\p{L}\p{M}'’.\-]{1,24})`
const PLACE_WORDS = new RegExp(
  String.raw`${SEP}${PLACE_PART}(?:[ ](?:${PLACE_PART}|de|del|di|la|le|am|an|im|sur|upon|on|nad|na|pod|u)){0,3}(?:[ ]\([\p{L} ]{1,20}\))?(?![\p{L}\d])`,
  'uy',
)

const COMPONENTS = [UNIT, POSTCODE, REGION_CODE, PLACE_WORDS] as const
const LEADING_SEPARATORS = /^[\s,]+/
const SPACES = /\s+/

// The result of the last extend() call (module state: no object per call).
let extEnd = 0
let extComponents = 0
/** A unit or postal code was found (strong evidence for a weak core). */
let extStrong = false

function extend(text: string, end: number, common: ReadonlySet<string>): void {
  let cur = end
  let components = 0
  let strong = false
  let places = 0
  for (let steps = 0; steps < 8; steps++) {
    let moved = false
    for (const re of COMPONENTS) {
      if (re === PLACE_WORDS && places >= 3) continue
      // Sticky: a match starts at `cur` and `test` leaves its end in lastIndex (no match array).
      re.lastIndex = cur
      if (!re.test(text)) continue
      const matchEnd = re.lastIndex
      if (re === PLACE_WORDS) {
        const words = text.slice(cur, matchEnd).replace(LEADING_SEPARATORS, '')
        const firstWord = (words.split(SPACES)[0] ?? '').toLowerCase()
        // Common words ("Please", "The", "Call") start a new sentence, not a place name; a
        // multi-word name that only starts with one ("Cite Guedouala") is still a place.
        if (common.has(firstWord)) {
          const list = words.split(SPACES)
          if (list.length === 1 || list.every((w) => common.has(w.toLowerCase()))) continue
        }
        places++
      }
      if (re === UNIT || re === POSTCODE) strong = true
      cur = matchEnd
      components++
      moved = true
      break
    }
    if (!moved) break
  }
  extEnd = cur
  extComponents = components
  extStrong = strong
}

// Cheap tests that must pass before the costlier core regexes run on a window.
// Written as a lookbehind from each " <digit>": the same texts pass, four times faster than
// trying every suffix at every position.
const HAS_EURO_SUFFIX = new RegExp(String.raw`[ ]\d(?<=${EURO_SUFFIX}[ ]\d)`, 'u')
const HAS_EURO_PREFIX = new RegExp(String.raw`${EURO_PREFIX}[ ]`, 'u')
const HAS_BOX = /box|postfach|apartado|casilla|USNS|USS|USNV|USCGC/i
const CUE_FWD = /\b(?:address(?:es)?|addr|live[sd]? (?:at|on|in)|living (?:at|on)|located (?:at|on)|moved to|move to|sent to|send (?:it )?to|ship(?:ped)? to|deliver(?:ed)? to|return(?:ed)? to|arrived at|reside[sd]? (?:at|on)|office is (?:at|on)|mail(?:ed)? to|billing|shipping|street|avenue|meet (?:me )?at)\b/gi
const HAS_CUE_WORD = /address|addr|live|living|located|move|sent|send|ship|deliver|return|arrived|reside|office|mail|billing|street|avenue|meet/i

/**
 * Stretches of text that can hold a street core: every core contains a house number, so only
 * the text around digit runs (merged, cut at whitespace) is searched. Prose without digits
 * costs one regex pass.
 */
function digitWindows(text: string): number {
  let count = 0
  const n = text.length
  // A regex scan for the digit runs: several times faster than a charCodeAt loop, and test()
  // with lastIndex allocates nothing.
  DIGIT_RUN.lastIndex = 0
  while (DIGIT_RUN.test(text)) {
    const runEnd = DIGIT_RUN.lastIndex
    let index = runEnd - 1
    while (index > 0 && isDigit(text.charCodeAt(index - 1))) index--
    let s = Math.max(0, index - 110)
    while (s > 0 && !isSpace(text.charCodeAt(s - 1)) && index - s < 160) s--
    let e = Math.min(n, runEnd + 130)
    while (e < n && !isSpace(text.charCodeAt(e)) && e - index < 200) e++
    if (count > 0 && s <= (windows[2 * count - 1] as number)) windows[2 * count - 1] = Math.max(windows[2 * count - 1] as number, e)
    else {
      windows[2 * count] = s
      windows[2 * count + 1] = e
      count++
    }
  }
  return count
}

const DIGIT_RUN = /\d+/g

/** Window bounds of the current scan, [start, end) pairs (reused from scan to scan). */
const windows: number[] = []

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

/** JavaScript's `\s`: WhiteSpace and LineTerminator code units. */
function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13)
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
}

const CORES = [
  [US_CORE, 0.85],
  [EURO_SUFFIX_CORE, 0.8],
  [EURO_PREFIX_CORE, 0.8],
  [PO_BOX, 0.85],
  [MILITARY, 0.85],
] as const

function cued(text: string, start: number): boolean {
  return ADDRESS_CUE.test(text.slice(Math.max(0, start - 60), start))
}

/** Finds ADDRESS spans (UTF-16 offsets). */
export function findAddresses(text: string, out: RawEntity[]): void {
  const windowCount = digitWindows(text)
  if (windowCount === 0) return
  const common = nameLexicon().common
  const found: RawEntity[] = []
  for (let w = 0; w < windowCount; w++) {
    const ws = windows[2 * w] as number
    const we = windows[2 * w + 1] as number
    const sub = text.slice(ws, we)
    const hasBox = HAS_BOX.test(sub)
    for (const [re, score] of CORES) {
      if (re === EURO_SUFFIX_CORE && !HAS_EURO_SUFFIX.test(sub)) continue
      if (re === EURO_PREFIX_CORE && !HAS_EURO_PREFIX.test(sub)) continue
      if ((re === PO_BOX || re === MILITARY) && !hasBox) continue
      re.lastIndex = 0
      for (let m = re.exec(sub); m !== null; m = re.exec(sub)) {
        // "During 1971" ends in -ring: a street compound is not an ordinary word.
        if (re === EURO_SUFFIX_CORE && common.has((m[0].split(/[ -]/).slice(-2)[0] ?? '').toLowerCase())) continue
        const start = ws + m.index
        extend(text, start + m[0].length, common)
        found.push({ type: 'ADDRESS', start, end: extEnd, score, detail: { evidence: 'street' } })
      }
    }
    GENERIC_CORE.lastIndex = 0
    for (let m = GENERIC_CORE.exec(sub); m !== null; m = GENERIC_CORE.exec(sub)) {
      const start = ws + m.index
      extend(text, start + m[0].length, common)
      const cue = cued(text, start)
      if (!extStrong && !cue && extComponents < 2) continue
      found.push({ type: 'ADDRESS', start, end: extEnd, score: cue || extStrong ? 0.75 : 0.6, detail: { evidence: 'number-words-number' } })
    }
    if (HAS_CUE_WORD.test(sub)) {
      // Street words then a number, tried only at the word starts right after an address cue.
      CUE_FWD.lastIndex = 0
      for (let c = CUE_FWD.exec(sub); c !== null; c = CUE_FWD.exec(sub)) {
        const from = c.index + c[0].length
        WORD_START.lastIndex = from
        for (let w = WORD_START.exec(sub); w !== null && w.index - from <= 16; w = WORD_START.exec(sub)) {
          NAMED_CORE_Y.lastIndex = w.index
          const m = NAMED_CORE_Y.exec(sub)
          if (m === null) continue
          const start = ws + m.index
          const words = m[0].split(' ').slice(0, -1)
          // Street names, not a clause: no common word ("During 1971", "Risks is 9554"), no year.
          if (!cued(text, start) || words.some((x) => common.has(x.toLowerCase())) || /^(?:1[89]|20)\d\d\.?$/.test(m[0].split(' ').pop() ?? '')) continue
          extend(text, start + m[0].length, common)
          found.push({ type: 'ADDRESS', start, end: extEnd, score: 0.6, detail: { evidence: 'cue' } })
          break
        }
      }
    }
  }
  if (text.includes('orner of')) {
    CORNER.lastIndex = 0
    for (let m = CORNER.exec(text); m !== null; m = CORNER.exec(text)) {
      // Street names are capitalized or numbered; "the corner of my eye and …" is not an address.
      const words = m[0].split(' ').slice(2)
      if (!words.some((w) => /^[\p{Lu}\d]/u.test(w))) continue
      found.push({ type: 'ADDRESS', start: m.index, end: m.index + m[0].length, score: 0.75, detail: { evidence: 'corner' } })
    }
  }
  // Keep the longest of overlapping candidates (the scanner resolves overlaps with other types).
  found.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start)
  const taken = found.length > 1 ? new Uint8Array(text.length) : undefined
  const kept: RawEntity[] = []
  for (const f of found) {
    if (taken) {
      if (taken[f.start] === 1 || taken[f.end - 1] === 1 || taken.subarray(f.start, f.end).includes(1)) continue
      taken.fill(1, f.start, f.end)
    }
    kept.push(f)
  }
  for (const f of kept.sort((a, b) => a.start - b.start)) out.push(f)
}
