import { isSupportedCountry, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max'
import nlp from 'compromise'
import { z } from 'zod'
import { defineScanner, type ScannerFinding } from '../../core/scanner.js'
import { actionRank } from '../../core/spans.js'
import { ACTIONS, type Action } from '../../core/types.js'
import { findAddresses } from './address.js'
import { nameLexicon } from './lexicon.js'
import { findNames, STREET_TYPES } from './names.js'
import { findBirthDates, findCards, findRecordBirthDates, findEmails, findIbans, findIps, findPhones, findSsns, findUrls, type RawEntity } from './patterns.js'

/** Entity types the `pii` scanner detects by itself (custom entities add their own). */
export const PII_ENTITIES = ['EMAIL', 'PHONE', 'CREDIT_CARD', 'US_SSN', 'IBAN', 'IP_ADDRESS', 'URL', 'DATE_OF_BIRTH', 'PERSON', 'LOCATION', 'ADDRESS'] as const
export type PiiEntity = (typeof PII_ENTITIES)[number]

/**
 * Actions for types whose exposure matters less than the scanner's own action; they apply
 * only when weaker than it (a scanner set to `flag` flags everything).
 */
export const ENTITY_DEFAULT_ACTIONS: Readonly<Partial<Record<string, Action>>> = { URL: 'flag', LOCATION: 'flag' }

// When two findings overlap, the more specific detector wins (checksummed ids first).
const PRIORITY: readonly string[] = ['CREDIT_CARD', 'IBAN', 'US_SSN', 'EMAIL', 'URL', 'IP_ADDRESS', 'PHONE', 'DATE_OF_BIRTH', 'ADDRESS', 'PERSON', 'LOCATION']

// Characters that hide or restyle an identifier and that NFKC + invisible-character removal undo:
// zero-width and format characters, soft hyphens, full-width forms, mathematical digits/letters,
// circled and super/subscript digits. Accented letters alone do not trigger the second reading.
const EVASION_CHARS = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\uff01-\uff5e\u2070-\u209f\u2460-\u24ff\u{1d400}-\u{1d7ff}\u{e0000}-\u{e007f}]/u

const entityTypeName = z.string().regex(/^[A-Z][A-Z0-9_]{0,39}$/, 'entity types are UPPER_SNAKE_CASE, e.g. EMPLOYEE_ID')

function compiles(pattern: string, flags: string): boolean {
  try {
    new RegExp(pattern, flags)
    return true
  } catch {
    return false
  }
}

export const customEntitySchema = z
  .object({
    /** Finding type, e.g. `EMPLOYEE_ID` (placeholders read `[EMPLOYEE_ID_1]`). */
    type: entityTypeName,
    /** JavaScript regular expression source. It runs on every scanned text: keep it linear. */
    pattern: z.string().min(1).max(2_000),
    /** Regex flags among `i`, `m`, `s`, `u` (`g` is always added). */
    flags: z.string().regex(/^[imsu]*$/, 'flags may only contain i, m, s, u').default(''),
    /** Words (case-insensitive) that must appear within `contextWindow` characters of a match. */
    context: z.array(z.string().min(1)).default([]),
    /** Characters searched on each side of the match for a context word. */
    contextWindow: z.number().int().min(1).max(1_000).default(40),
    /** When false, context words only raise the score from `score` to `contextScore`. */
    contextRequired: z.boolean().default(true),
    /** Score of a match without context (0..1). */
    score: z.number().min(0).max(1).default(0.6),
    /** Score of a match with a context word nearby (0..1). */
    contextScore: z.number().min(0).max(1).default(0.95),
    /** Action for this type; defaults to the scanner's action. */
    action: z.enum(ACTIONS).optional(),
  })
  .strict()
  .refine((c) => compiles(c.pattern, c.flags), { message: 'pattern is not a valid JavaScript regular expression', path: ['pattern'] })

export const piiOptionsSchema = z
  .object({
    /** Built-in entity types to detect. */
    entities: z.array(z.enum(PII_ENTITIES)).default([...PII_ENTITIES]),
    /** Action per entity type (built-in or custom); others use the scanner's action. */
    actions: z.record(entityTypeName, z.enum(ACTIONS)).default({}),
    /** Minimum score (0..1) per entity type, on top of the scanner's threshold. */
    minScore: z.record(entityTypeName, z.number().min(0).max(1)).default({}),
    /** Values never reported (compared case-insensitively after trimming), e.g. a support address. */
    allow: z.array(z.string().min(1)).default([]),
    /**
     * PERSON/LOCATION recognizer: `fast` (capitalized-token model over compromise's lexicon,
     * ~0.05 ms per 2 KB), `compromise` (fast plus a full compromise parse: better on
     * sentence-initial and lexicon-free names, ~10 ms per 2 KB), or `off`.
     */
    ner: z.enum(['fast', 'compromise', 'off']).default('fast'),
    /**
     * Regions whose national phone formats are read (ISO 3166-1 alpha-2). The first is read
     * everywhere; near a phone word ("call", "mobile", "fax" …) the others are tried, then a
     * built-in list of 23 common regions. Numbers written with + are read in any region.
     */
    phoneRegions: z
      .array(z.string().refine((c) => isSupportedCountry(c), 'not a region libphonenumber-js knows (ISO 3166-1 alpha-2, e.g. US)'))
      .min(1)
      .default(['US']),
    /** Custom regex entities. */
    custom: z.array(customEntitySchema).default([]),
  })
  .strict()

export type PiiOptions = z.output<typeof piiOptionsSchema>

interface CompiledCustom {
  type: string
  re: RegExp
  context: RegExp | undefined
  window: number
  required: boolean
  score: number
  contextScore: number
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function compileCustom(c: z.output<typeof customEntitySchema>): CompiledCustom {
  const words = c.context.map((w) => escapeRegex(w.trim())).filter((w) => w.length > 0)
  return {
    type: c.type,
    re: new RegExp(c.pattern, `${c.flags}g`),
    context: words.length > 0 ? new RegExp(`(?:^|[^\\p{L}\\p{N}])(?:${words.join('|')})(?:$|[^\\p{L}\\p{N}])`, 'iu') : undefined,
    window: c.contextWindow,
    required: c.contextRequired && words.length > 0,
    score: c.score,
    contextScore: c.contextScore,
  }
}

function findCustom(text: string, c: CompiledCustom, out: RawEntity[]): void {
  c.re.lastIndex = 0
  for (let m = c.re.exec(text); m !== null; m = c.re.exec(text)) {
    if (m[0].length === 0) {
      c.re.lastIndex++
      continue
    }
    const start = m.index
    const end = start + m[0].length
    let score = c.score
    if (c.context) {
      const near = text.slice(Math.max(0, start - c.window), start) + ' ' + text.slice(end, end + c.window)
      if (c.context.test(near)) score = c.contextScore
      else if (c.required) continue
    }
    out.push({ type: c.type, start, end, score, detail: { detector: 'custom' } })
  }
}

interface CompromiseMatch {
  offset?: { start: number; length: number }
}

/**
 * PERSON/LOCATION from a full compromise parse (the `ner: compromise` setting). Its matches go
 * through the same sanity rules as the fast recognizer: no span inside a firm name the fast pass
 * recognized, none holding digits, lower-case common words ("place downtown", "first
 * celebrity") or ending in a street type or an organization word.
 */
function findWithCompromise(text: string, wantPerson: boolean, wantLocation: boolean, organizations: readonly [number, number][], out: RawEntity[]): void {
  const lex = nameLexicon()
  const doc = nlp(text)
  const add = (type: string, list: CompromiseMatch[]): void => {
    for (const m of list) {
      if (!m.offset || m.offset.length === 0) continue
      let s = m.offset.start
      let e = s + m.offset.length
      while (e > s && /[\s,.;:!?'"’)-]/.test(text[e - 1] as string)) e--
      while (s < e && /[\s"'(“]/.test(text[s] as string)) s++
      if (e <= s) continue
      const value = text.slice(s, e)
      if (/\d/.test(value) || organizations.some(([os, oe]) => s < oe && os < e)) continue
      const words = value.split(/\s+/)
      const lastWord = (words[words.length - 1] ?? '').toLowerCase().replace(/'s$|’s$/, '')
      if (STREET_TYPES.has(lastWord) || lex.orgWords.has(lastWord) || lex.placeWords.has(lastWord)) continue
      if (words.some((w) => w === w.toLowerCase() && lex.common.has(w))) continue
      out.push({ type, start: s, end: e, score: 0.7, detail: { evidence: 'compromise' } })
    }
  }
  if (wantPerson) add('PERSON', doc.people().json({ offset: true }) as CompromiseMatch[])
  if (wantLocation) add('LOCATION', doc.places().json({ offset: true }) as CompromiseMatch[])
}

const RANK = new Map(PRIORITY.map((t, i) => [t, i]))
// custom entities (-1) rank first: the user asked for them
function rank(t: string): number {
  return RANK.get(t) ?? -1
}

function byPriority(a: RawEntity, b: RawEntity): number {
  return rank(a.type) - rank(b.type) || b.end - b.start - (a.end - a.start) || b.score - a.score
}

function byStart(a: RawEntity, b: RawEntity): number {
  return a.start - b.start
}

/**
 * Stable in-place sort: insertion sort for the few findings of a typical text (no work array,
 * unlike Array.prototype.sort), the built-in sort beyond. Both keep equal elements in order.
 */
function sortInPlace(list: RawEntity[], compare: (a: RawEntity, b: RawEntity) => number): void {
  if (list.length > 32) {
    list.sort(compare)
    return
  }
  for (let i = 1; i < list.length; i++) {
    const x = list[i] as RawEntity
    let j = i - 1
    while (j >= 0 && compare(list[j] as RawEntity, x) > 0) {
      list[j + 1] = list[j] as RawEntity
      j--
    }
    list[j + 1] = x
  }
}

/** Per-character "kept" marks of resolveOverlaps, reused from scan to scan (texts up to 64 K). */
let taken = new Uint8Array(4096)
const MAX_SHARED_TAKEN = 65_536

/**
 * Drops overlapping findings, keeping the one of the more specific type (then the longer one).
 * Kept spans are marked in a per-character map, so this stays linear in the text length
 * however many findings a text holds. Reorders `found` and returns the kept ones by start.
 */
function resolveOverlaps(found: RawEntity[], textLength: number): RawEntity[] {
  if (found.length < 2) return found
  sortInPlace(found, byPriority)
  let marks: Uint8Array
  if (textLength > MAX_SHARED_TAKEN) marks = new Uint8Array(textLength)
  else {
    if (taken.length < textLength) taken = new Uint8Array(MAX_SHARED_TAKEN)
    else taken.fill(0, 0, textLength)
    marks = taken
  }
  let kept = 0
  for (const f of found) {
    let free = true
    for (let i = f.start; i < f.end; i++) {
      if (marks[i] === 1) {
        free = false
        break
      }
    }
    if (!free) continue
    marks.fill(1, f.start, f.end)
    found[kept++] = f
  }
  found.length = kept
  sortInPlace(found, byStart)
  return found
}

export const pii = defineScanner({
  id: 'pii',
  description: 'Finds personal data: e-mails, phones, payment cards, SSNs, IBANs, IPs, URLs, birth dates, names, places, addresses and custom entities.',
  directions: ['input', 'output'],
  defaults: { action: 'redact', threshold: 0.5 },
  options: piiOptionsSchema,
  create(options, settings) {
    const enabled = new Set<string>(options.entities)
    const customs = options.custom.map(compileCustom)
    const allow = new Set(options.allow.map((v) => v.trim().toLowerCase()))
    const regions = options.phoneRegions as CountryCode[]
    const wantPerson = enabled.has('PERSON')
    const wantLocation = enabled.has('LOCATION')
    if (options.ner !== 'off' && (wantPerson || wantLocation)) nameLexicon()
    const actionFor = (type: string): Action => {
      const explicit = options.actions[type]
      if (explicit) return explicit
      const custom = options.custom.find((c) => c.type === type)?.action
      if (custom) return custom
      const weaker = ENTITY_DEFAULT_ACTIONS[type]
      return weaker !== undefined && actionRank(weaker) < actionRank(settings.action) ? weaker : settings.action
    }
    const actions = new Map<string, Action>()
    for (const t of [...PII_ENTITIES, ...customs.map((c) => c.type)]) actions.set(t, actionFor(t))

    // Phone readings of the current scan, shared by the original and the normalized pass.
    const phoneReadings = new Map<string, PhoneNumber | null>()

    /** The detectors whose matches do not depend on letter case or word shape. */
    const findStructured = (text: string, found: RawEntity[]): void => {
      if (enabled.has('EMAIL')) findEmails(text, found)
      if (enabled.has('URL')) findUrls(text, found)
      if (enabled.has('CREDIT_CARD')) findCards(text, found)
      if (enabled.has('US_SSN')) findSsns(text, found)
      if (enabled.has('IBAN')) findIbans(text, found)
      if (enabled.has('IP_ADDRESS')) findIps(text, found)
      if (enabled.has('PHONE')) findPhones(text, regions, found, phoneReadings)
      if (enabled.has('DATE_OF_BIRTH')) findBirthDates(text, found)
    }

    const personEnds: number[] = []

    return {
      scan(text, invocation) {
        const found: RawEntity[] = []
        phoneReadings.clear()
        findStructured(text, found)
        // Identifiers hidden by zero-width characters or written in full-width / styled digits
        // ("4111\u200b1111…", "４１１１ …") are found on the NFKC, invisible-free view and
        // mapped back to the caller's characters. Texts without such characters skip this.
        const views = invocation?.views
        if (views !== undefined && EVASION_CHARS.test(text)) {
          const normalized = views.normalized
          if (normalized.text !== text) {
            const extra: RawEntity[] = []
            findStructured(normalized.text, extra)
            for (const f of extra) {
              const o = normalized.toOriginal(f.start, f.end)
              found.push({ ...f, start: o.start, end: o.end, detail: { ...f.detail, view: 'normalized' } })
            }
          }
        }
        phoneReadings.clear()
        if (enabled.has('ADDRESS')) findAddresses(text, found)
        if (options.ner !== 'off' && (wantPerson || wantLocation)) {
          const organizations: [number, number][] = []
          findNames(text, { person: wantPerson, location: wantLocation }, found, organizations)
          if (options.ner === 'compromise') findWithCompromise(text, wantPerson, wantLocation, organizations, found)
          if (enabled.has('DATE_OF_BIRTH') && wantPerson) {
            personEnds.length = 0
            for (const f of found) if (f.type === 'PERSON') personEnds.push(f.end)
            if (personEnds.length > 0) findRecordBirthDates(text, personEnds, found)
          }
        }
        for (const c of customs) findCustom(text, c, found)

        const findings: ScannerFinding[] = []
        for (const f of resolveOverlaps(found, text.length)) {
          const min = options.minScore[f.type]
          if (min !== undefined && f.score < min) continue
          if (allow.size > 0 && allow.has(text.slice(f.start, f.end).trim().toLowerCase())) continue
          const finding: ScannerFinding = { type: f.type, score: f.score, start: f.start, end: f.end, action: actions.get(f.type) ?? settings.action }
          if (f.detail) finding.detail = f.detail
          findings.push(finding)
        }
        return findings
      },
    }
  },
})
