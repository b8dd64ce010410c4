import { isIPv6 } from 'node:net'
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max'
import { cardIssuer, IBAN_LENGTHS, ibanValid, ipv4Valid, luhnValid, ssnValid } from './checks.js'

/** A detection before policy (actions, allow-list, minimum scores) is applied. UTF-16 offsets. */
export interface RawEntity {
  type: string
  start: number
  end: number
  /** 0..1 */
  score: number
  detail?: Record<string, string | number | boolean>
}

/** Lower-cased text of up to `n` UTF-16 units before `start`. */
export function leftContext(text: string, start: number, n: number): string {
  return text.slice(Math.max(0, start - n), start).toLowerCase()
}

/** Lower-cased text of up to `n` UTF-16 units after `end`. */
export function rightContext(text: string, end: number, n: number): string {
  return text.slice(end, end + n).toLowerCase()
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}_]/u.test(c)
}

// ---------------------------------------------------------------- EMAIL

const EMAIL_LOCAL = /[A-Za-z0-9._%+'-]/
const EMAIL_DOMAIN_CHAR = /[A-Za-z0-9.-]/
const EMAIL_DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$/

/**
 * E-mail addresses, found by expanding around each `@` (linear in the text length, whatever
 * the input): local part ≤ 64 characters, a dotted domain with an alphabetic TLD.
 */
export function findEmails(text: string, out: RawEntity[]): void {
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let s = at
    while (s > 0 && at - s < 64 && EMAIL_LOCAL.test(text[s - 1] as string)) s--
    while (s < at && (text[s] === '.' || text[s] === "'")) s++
    let e = at + 1
    while (e < text.length && e - at <= 255 && EMAIL_DOMAIN_CHAR.test(text[e] as string)) e++
    while (e > at + 1 && (text[e - 1] === '.' || text[e - 1] === '-')) e--
    if (s === at || e === at + 1) continue
    if (!EMAIL_DOMAIN.test(text.slice(at + 1, e))) continue
    out.push({ type: 'EMAIL', start: s, end: e, score: 0.95 })
  }
}

// ---------------------------------------------------------------- URL

const URL_RE = /\b(?:https?|ftp):\/\/[^\s<>"'`{}|\\^]{2,2048}|\bwww\.[A-Za-z0-9-]{1,63}\.[^\s<>"'`{}|\\^]{2,2048}/gi
const URL_TRAILING = /[.,;:!?)\]}'"*]+$/

/** http(s)/ftp URLs and `www.` hosts; trailing sentence punctuation is left out. */
export function findUrls(text: string, out: RawEntity[]): void {
  if (!text.includes('://') && !/www\./i.test(text)) return
  URL_RE.lastIndex = 0
  for (let m = URL_RE.exec(text); m !== null; m = URL_RE.exec(text)) {
    let value = m[0]
    const trail = URL_TRAILING.exec(value)
    // Keep a closing parenthesis that balances one inside the URL (Wikipedia-style links).
    if (trail) value = value.slice(0, value.length - trail[0].length)
    if (value.includes('(') && text[m.index + value.length] === ')') value += ')'
    if (value.length < 8) continue
    out.push({ type: 'URL', start: m.index, end: m.index + value.length, score: 0.9 })
  }
}

// ---------------------------------------------------------------- CREDIT_CARD

// 12-19 digits, optionally grouped by single spaces or dashes; no digit or dash on either side.
// Not glued to letters either: a digit run inside an IBAN or a hex id is not a card.
const CARD_RE = /(?<![\p{L}\d_-])\d(?:[ -]?\d){11,18}(?![\p{L}\d_]|-\d)/gu
const CARD_CONTEXT = /\b(?:card|credit|debit|visa|master ?card|amex|american express|discover|diners|jcb|unionpay|maestro|cc|cvv|pan|payment|pay|expir\w*|charge[ds]?)\b/
const NOT_CARD_CONTEXT = /\b(?:order|invoice|tracking|isbn|ticket|ref(?:erence)?|sku|serial|account id|imei|phone|tel|fax|request|build|id)\s*(?:number|no\.?|#|id)?\s*[:#]?\s*$/

/** Payment card numbers: Luhn-valid, inside a network's IIN range and length. */
export function findCards(text: string, out: RawEntity[]): void {
  CARD_RE.lastIndex = 0
  for (let m = CARD_RE.exec(text); m !== null; m = CARD_RE.exec(text)) {
    const raw = m[0]
    if (raw.includes(' ') && raw.includes('-')) continue
    const digits = raw.replace(/[ -]/g, '')
    // Groups must look like card printing (3-6 digits each) when separators are used.
    if (digits.length !== raw.length && !raw.split(/[ -]/).every((g) => g.length >= 3 && g.length <= 6)) continue
    if (!luhnValid(digits)) continue
    const left = leftContext(text, m.index, 40)
    if (NOT_CARD_CONTEXT.test(left)) continue
    const context = CARD_CONTEXT.test(left)
    const issuer = cardIssuer(digits)
    // Outside the published IIN ranges, a Luhn-valid number still is a card when the text says so.
    if (issuer === undefined && !(context && digits.length >= 13)) continue
    const score = issuer === undefined ? 0.8 : context ? 1 : 0.85
    out.push({ type: 'CREDIT_CARD', start: m.index, end: m.index + raw.length, score, detail: { issuer: issuer ?? 'unknown', check: 'luhn' } })
  }
}

// ---------------------------------------------------------------- US_SSN

const SSN_RE = /(?<![\p{L}\d_-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\p{L}\d_]|-\d)/gu
const SSN_CONTEXT = /\b(?:ssn|ssns|social security|social sec|soc\.? ?sec|ss#|ss no|taxpayer|tin|itin)\b/

/** US Social Security Numbers with a valid area/group/serial; bare 9-digit runs need context. */
export function findSsns(text: string, out: RawEntity[]): void {
  SSN_RE.lastIndex = 0
  for (let m = SSN_RE.exec(text); m !== null; m = SSN_RE.exec(text)) {
    const [raw, area, sep, group, serial] = m as unknown as [string, string, string, string, string]
    if (!ssnValid(area, group, serial)) continue
    const left = leftContext(text, m.index, 50)
    const context = SSN_CONTEXT.test(left)
    if (NOT_CARD_CONTEXT.test(left) && !context) continue
    let score: number
    if (sep === '') score = context ? 0.9 : 0
    else if (sep === '-') score = context ? 1 : 0.8
    else score = context ? 0.95 : 0.6
    if (score === 0) continue
    out.push({ type: 'US_SSN', start: m.index, end: m.index + raw.length, score })
  }
}

// ---------------------------------------------------------------- IBAN

const IBAN_RE = /\b([A-Z]{2})(\d{2})((?: ?[A-Z0-9]){10,30})/g

/** IBANs: country length table and mod-97 check; plain or grouped by spaces. */
export function findIbans(text: string, out: RawEntity[]): void {
  scanIbans(text, IBAN_RE, out)
  // Lower-case IBANs are read only where the text names them ("my iban is gb42…").
  if (IBAN_WORD.test(text)) {
    const before = out.length
    scanIbans(text, IBAN_RE_ANY_CASE, out)
    // Keep the case-insensitive finds that are new and follow an IBAN cue.
    const added = out.splice(before)
    for (const f of added) {
      if (out.some((g) => g.type === 'IBAN' && g.start === f.start)) continue
      if (IBAN_WORD.test(leftContext(text, f.start, 30))) out.push(f)
    }
  }
}

const IBAN_WORD = /\biban\b/i
const IBAN_RE_ANY_CASE = new RegExp(IBAN_RE.source, 'gi')

function scanIbans(text: string, re: RegExp, out: RawEntity[]): void {
  re.lastIndex = 0
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const country = (m[1] as string).toUpperCase()
    const len = IBAN_LENGTHS[country]
    if (len === undefined) {
      re.lastIndex = m.index + 1
      continue
    }
    // Walk the match until `len` alphanumerics are consumed; the rest belongs to following words.
    const raw = m[0]
    let count = 0
    let i = 0
    for (; i < raw.length && count < len; i++) if (raw[i] !== ' ') count++
    if (count < len) continue
    const compact = raw.slice(0, i).replace(/ /g, '').toUpperCase()
    const next = text[m.index + i]
    if (isWordChar(next) && raw[i] !== ' ') {
      re.lastIndex = m.index + 1
      continue
    }
    if (!ibanValid(compact)) {
      re.lastIndex = m.index + 1
      continue
    }
    out.push({ type: 'IBAN', start: m.index, end: m.index + i, score: 1, detail: { country, check: 'mod97' } })
    re.lastIndex = m.index + i
  }
}

// ---------------------------------------------------------------- IP_ADDRESS

const IPV4_RE = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)/g
const IPV6_RE = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?![\w:])/g
const IPV6_HINT = /[0-9A-Fa-f]:[0-9A-Fa-f]{0,4}:|::[0-9A-Fa-f]/
const VERSION_CONTEXT = /(?:\bv|\b(?:version|ver|release|rel|build|rev|revision|firmware|fw|update|patch|sdk|api|driver|kernel|node|python|java|chrome|ios|android|macos|windows|v\.))\s*[:=#]?\s*$/
const IP_CONTEXT = /\b(?:ip|ips|ipv4|ipv6|address|addr|host|server|client|from|src|dst|source|destination|gateway|dns|proxy|ping|ssh|login|connected|connection|request|blocked|firewall)\b/

/** IPv4 (octet-checked) and IPv6 (incl. compressed) addresses; version-number contexts are refused. */
export function findIps(text: string, out: RawEntity[]): void {
  if (text.includes('.')) {
    IPV4_RE.lastIndex = 0
    for (let m = IPV4_RE.exec(text); m !== null; m = IPV4_RE.exec(text)) {
      if (!ipv4Valid(m[0])) continue
      const left = leftContext(text, m.index, 24)
      if (VERSION_CONTEXT.test(left)) continue
      const after = text[m.index + m[0].length]
      // A trailing '-' or '+' reads as a semver pre-release / build suffix.
      if (after === '-' || after === '+') continue
      const score = IP_CONTEXT.test(leftContext(text, m.index, 40)) ? 0.95 : 0.8
      out.push({ type: 'IP_ADDRESS', start: m.index, end: m.index + m[0].length, score, detail: { version: 4 } })
    }
  }
  if (text.includes(':') && IPV6_HINT.test(text)) {
    IPV6_RE.lastIndex = 0
    for (let m = IPV6_RE.exec(text); m !== null; m = IPV6_RE.exec(text)) {
      const v = m[0]
      if (!isIPv6(v)) continue
      // `a::b`-style tokens are common in code (C++/Rust paths); demand address-like content.
      const groups = v.split(':').filter((g) => g.length > 0)
      if (!/\d/.test(v) || (v.includes('::') ? groups.length < 2 && v !== '::1' : groups.length < 8)) continue
      if (/^\d{1,2}:\d{2}(?::\d{2})?$/.test(v)) continue
      out.push({ type: 'IP_ADDRESS', start: m.index, end: m.index + v.length, score: 0.9, detail: { version: 6 } })
    }
  }
}

// ---------------------------------------------------------------- PHONE

// Digit runs that could be a phone number: 7+ digits with phone punctuation, on one line, with
// an optional extension ("x123", "ext. 45").
const PHONE_CANDIDATE = /(?<![\w+.\-/\\])(?:\+|00)?\(?\d[\d \t().\-/]{5,24}\d(?:[ ]?(?:x|ext\.?)[ ]?\d{1,6})?(?![\w:]|[.\-/]\d)/g
const PHONE_CONTEXT = /\b(?:phone|phones|tel|telephone|mobile|cell|cellphone|call|calling|called|text|texts|texting|sms|whatsapp|signal|telegram|fax|contact|reach|reached|ring|dial|number|hotline|landline|ph|mob|answering|answer|messages|voicemail|desk|office)\b/
const PHONE_LABEL_AFTER = /^\s*[-–(,]?\s*(?:office|fax|mobile|cell|home|work|desk|tel|phone|landline)\b/i
const NOT_PHONE_CONTEXT = /(?:\b(?:order|invoice|tracking|isbn|ticket|ref|reference|sku|serial|account|acct|case|po|part|item|model|build|version|id|no|transaction|confirmation|booking|customer|iban|card|ssn)\b\s*(?:number|no\.?|#|id)?\s*[:#]?\s*|#\s*)$/
const STRONGER_THAN_PHONE = new Set(['CREDIT_CARD', 'US_SSN', 'IBAN', 'IP_ADDRESS'])
const IPV4_SHAPE = /^\d{1,3}(?:\.\d{1,3}){3}$/
const DATE_START = /^(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})(?!\d)/
/** Regions tried for national formats when a phone word is near (after the first, which needs none). */
export const PHONE_FALLBACK_REGIONS: readonly CountryCode[] = ['GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'BE', 'CH', 'AT', 'SE', 'NO', 'DK', 'FI', 'PL', 'PT', 'IE', 'IN', 'BR', 'MX', 'AU', 'NZ', 'ZA', 'JP']
// Upper bound on libphonenumber parses per text (each ~15 µs): keeps a number-dense text bounded.
const MAX_PHONE_PARSES = 48

/**
 * Phone numbers. A cheap regex picks digit runs with phone punctuation; libphonenumber-js (full
 * metadata, so a number must be valid for its region, not just well-sized) reads each one.
 * Numbers written with `+`/`00` are found in any region; national formats are read for
 * `regions` (the first one without context; with a phone word nearby, the others and then
 * PHONE_FALLBACK_REGIONS). Dates,
 * order/ticket-number contexts and bare digit runs without context are refused. `known`, when
 * given, caches readings (region + candidate → number or null) across calls; the parse budget
 * still counts each call's distinct readings.
 */
export function findPhones(text: string, regions: readonly CountryCode[], out: RawEntity[], known?: Map<string, PhoneNumber | null>): void {
  PHONE_CANDIDATE.lastIndex = 0
  // The same number often recurs in one text (signatures, quoted replies): parse it once.
  let parsed: Map<string, PhoneNumber | null> | undefined
  let parses = 0
  let strong: Uint8Array | undefined
  for (let m = PHONE_CANDIDATE.exec(text); m !== null; m = PHONE_CANDIDATE.exec(text)) {
    const cand = m[0]
    const start = m.index
    const end = start + cand.length
    // E.164 numbers have at most 15 digits (an extension comes on top).
    const ext = cand.search(/[ ]?(?:x|ext)/)
    let digitCount = 0
    for (let i = 0, n = ext === -1 ? cand.length : ext; i < n; i++) if (cand.charCodeAt(i) >= 48 && cand.charCodeAt(i) <= 57) digitCount++
    if (digitCount < 7 || digitCount > 15) continue
    // Already a card, SSN, IBAN or IP address (those detectors run first and are more specific).
    if (strong === undefined) {
      strong = new Uint8Array(text.length)
      for (const f of out) if (STRONGER_THAN_PHONE.has(f.type)) strong.fill(1, f.start, f.end)
    }
    if (strong.subarray(start, end).includes(1)) continue
    // Dates and date-times ("2015-12-22 04:34") and IPv4 addresses are not numbers to call.
    if (DATE_START.test(cand) || IPV4_SHAPE.test(cand)) continue
    const left = leftContext(text, start, 40)
    if (NOT_PHONE_CONTEXT.test(left)) continue
    const context = PHONE_CONTEXT.test(left) || PHONE_LABEL_AFTER.test(text.slice(end, end + 12))
    const international = cand.startsWith('+') || cand.startsWith('00')
    const formatted = /[ \t().-]/.test(cand)
    // A national number with no separators at all reads like any other id; demand context.
    if (!international && !formatted && !context) continue
    // "+41 (0)96 …": the bracketed trunk zero is dropped when dialling from abroad.
    const dialable = international ? cand.replace(/^(\+\d{1,3})\s?\(0\)\s?/, '$1 ') : cand
    const tried = international || !context ? regions.slice(0, 1) : [...regions, ...PHONE_FALLBACK_REGIONS.filter((r) => !regions.includes(r))]
    for (const region of tried) {
      const key = `${region}\u0000${dialable}`
      parsed ??= new Map()
      let phone = parsed.get(key)
      if (phone === undefined) {
        if (parses++ >= MAX_PHONE_PARSES) return
        // The whole candidate must be one number valid for its region (full metadata). `known`
        // holds the readings of an earlier pass over the same scan (the normalized view).
        phone = known?.get(key)
        if (phone === undefined) {
          const p = parsePhoneNumberFromString(dialable, { defaultCountry: region, extract: false })
          phone = p !== undefined && p.isValid() ? p : null
          known?.set(key, phone)
        }
        parsed.set(key, phone)
      }
      if (phone === null) continue
      const score = context ? 0.95 : international ? 0.85 : 0.75
      out.push({ type: 'PHONE', start, end, score, detail: { country: phone.country ?? 'unknown' } })
      break
    }
  }
}

// ---------------------------------------------------------------- DATE_OF_BIRTH

const MONTHS = 'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?'
const DATE_RE = new RegExp(
  String.raw`(?<![\w/.-])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|(?:${MONTHS})\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}|\d{1,2}(?:st|nd|rd|th)?(?: of)? (?:${MONTHS})\.?,? \d{4})(?![\w/-]|\.\d)`,
  'gi',
)
const DOB_HINT = /born|birth|dob|d\.o\.b|\bb\. ?\d|bday|geboren|née?|nacido|nascido/i
const DOB_CONTEXT = /\b(?:born|birth|dob|d\.o\.b|b\.|birthday|birthdate|bday|date of birth|geboren|né|née|nacido|nascido)\b/

/** Dates that a birth cue (born, DOB, birthday, date of birth…) precedes within 40 characters. */
export function findBirthDates(text: string, out: RawEntity[]): void {
  if (!DOB_HINT.test(text)) return
  DATE_RE.lastIndex = 0
  for (let m = DATE_RE.exec(text); m !== null; m = DATE_RE.exec(text)) {
    const left = leftContext(text, m.index, 40)
    if (!DOB_CONTEXT.test(left)) continue
    out.push({ type: 'DATE_OF_BIRTH', start: m.index, end: m.index + m[0].length, score: 0.9 })
  }
}

const RECORD_GAP_Y = /[ \t]{0,2}[,;|(][ \t]{0,2}/y
const DATE_RE_Y = new RegExp(DATE_RE.source, 'iy')
// Plausible birth years: not in the future, and no one is reported born more than 125 years ago.
const THIS_YEAR = new Date().getUTCFullYear()

/**
 * Dates written right after a person's name in a record ("Aisha Castillo, 13.09.1956, 9620
 * Maple Road"): in identity records a bare date after the name is the birth date. `personEnds`
 * are the end offsets of PERSON findings. Dates whose year is recent (under 12 years ago) are
 * not taken.
 */
export function findRecordBirthDates(text: string, personEnds: readonly number[], out: RawEntity[]): void {
  for (const e of personEnds) {
    // Sticky on the whole text: the gap is at most 5 characters, so no slice is needed.
    RECORD_GAP_Y.lastIndex = e
    if (!RECORD_GAP_Y.test(text)) continue
    DATE_RE_Y.lastIndex = RECORD_GAP_Y.lastIndex
    const m = DATE_RE_Y.exec(text)
    if (m === null) continue
    const year = Number(/(\d{4})(?!.*\d{4})/.exec(m[0])?.[1] ?? NaN)
    if (!(year >= THIS_YEAR - 125 && year <= THIS_YEAR - 12)) continue
    out.push({ type: 'DATE_OF_BIRTH', start: m.index, end: m.index + m[0].length, score: 0.6, detail: { evidence: 'record' } })
  }
}
