import { englishBackground } from '../denied_topics/background.js'

/**
 * Matching the internal identifiers named in `context.internalNames` (tables, data sources,
 * files, hosts): whole identifiers, case-insensitive, also qualified (`prod.users`,
 * `users.email`), inside paths (`/var/data/x.csv`) and as the tail of a longer host name
 * (`replica.db01.corp.example` for `db01.corp.example`).
 */

/** An identifier character: letters, digits, `_` and `-` (host and file names use dashes). */
function isIdentChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d ||
    (c > 0x7f && /[\p{L}\p{N}]/u.test(String.fromCharCode(c)))
  )
}

/** How a name matched: anywhere (a distinctive identifier) or in an identifier context (a common word). */
export type NameMatchKind = 'identifier' | 'context'

export interface NameHit {
  /** Index of the name in `context.internalNames`. */
  name: number
  /** Span in the scanned text, qualifiers and path included. */
  start: number
  end: number
  kind: NameMatchKind
}

interface CompiledName {
  index: number
  lower: string
  /** A plain English word ("users", "orders"): reported only in an identifier context. */
  common: boolean
}

export interface CompiledNames {
  find(text: string, lower: string, commonWords: 'context' | 'anywhere'): NameHit[]
}

/**
 * What makes a common-word name an identifier: an SQL keyword in capitals before it ("FROM
 * users"; lower-case "from users" is prose), a data-store noun before or after it ("table
 * users", "the users table"), `=` before it, or a qualifier after it ("users.id").
 */
const SQL_BEFORE_RE = /\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+$/
const BEFORE_RE = /(?:\b(?:table|tables|collection|bucket|database|db|schema|dataset|datasource|keyspace|namespace|topic|queue|sheet)|=)\s*$/i
const AFTER_RE = /^\s*(?:\b(?:table|tables|collection|bucket|index|database|db|schema|view|dataset|topic|queue|host|server|cluster|file)\b|\.[A-Za-z0-9_])/i

/** True for a plain lower-case word that ordinary English uses (SUBTLEX-US count ≥ 5). */
function isCommonWord(lower: string): boolean {
  if (!/^[a-z]+$/.test(lower)) return false
  return englishBackground().wordCount(lower) >= 5
}

/**
 * Compiles a list of internal names. Names shorter than 2 characters or longer than 200 are
 * ignored. A plain dictionary word ("users") is a *common* name: it is reported only where the
 * text treats it as an identifier (code formatting, qualified, after FROM/JOIN/table…), so a
 * response about users in general does not fire while `users`, `prod.users` and "the users
 * table" do. Distinctive names (with `_`, `.`, `/`, digits, mixed case or not in the
 * dictionary: `customers_prod`, `db01.internal`, `Globex`) match anywhere as whole identifiers.
 */
export function compileNames(names: readonly string[]): CompiledNames {
  const compiled: CompiledName[] = []
  names.forEach((raw, index) => {
    if (typeof raw !== 'string') return
    const name = raw.trim()
    if (name.length < 2 || name.length > 200) return
    const lower = name.toLowerCase()
    compiled.push({ index, lower, common: name === lower && isCommonWord(lower) })
  })
  // Longest first, so "prod.users" wins over "users" at the same place.
  compiled.sort((a, b) => b.lower.length - a.lower.length)

  return {
    find(text, lowerText, commonWords) {
      const hits: NameHit[] = []
      for (const n of compiled) {
        for (let at = lowerText.indexOf(n.lower); at >= 0; at = lowerText.indexOf(n.lower, at + 1)) {
          const end = at + n.lower.length
          // Whole identifier: no identifier character on either side (".", "/" and ":" are fine).
          if (at > 0 && isIdentChar(lowerText.charCodeAt(at - 1))) continue
          if (end < lowerText.length && isIdentChar(lowerText.charCodeAt(end))) continue
          if (hits.some((h) => at < h.end && h.start < end)) continue
          const span = qualify(text, at, end)
          // Qualified as `schema.name` or `name.column` / `name.csv`; a directory before a common
          // word ("C:\\Users\\alice") is not enough.
          const qualified = span.end > end || (at > 1 && text.charCodeAt(at - 1) === 0x2e && isIdentChar(text.charCodeAt(at - 2)))
          let kind: NameMatchKind = 'identifier'
          if (n.common && commonWords === 'context') {
            if (!qualified && !inIdentifierContext(text, at, end)) continue
            kind = 'context'
          }
          hits.push({ name: n.index, start: span.start, end: span.end, kind })
          if (hits.length >= 200) return hits
        }
      }
      return hits.sort((a, b) => a.start - b.start)
    },
  }
}

const QUOTES = new Set([0x60, 0x27, 0x22, 0x2018, 0x2019, 0x201c, 0x201d])

function inIdentifierContext(text: string, start: number, end: number): boolean {
  // Enclosed in backticks or quotes: `users`, "users" (not the possessive in "users' data").
  const before = start > 0 ? text.charCodeAt(start - 1) : 0
  const after = end < text.length ? text.charCodeAt(end) : 0
  if (QUOTES.has(before) && QUOTES.has(after)) return true
  const left = text.slice(Math.max(0, start - 24), start)
  return SQL_BEFORE_RE.test(left) || BEFORE_RE.test(left) || AFTER_RE.test(text.slice(end, end + 16))
}

/**
 * Extends a name's span over what qualifies it: `schema.` / `db.schema.` before, `.column`
 * after, sub-domain labels before a host name, and the directories of a path.
 */
export function qualify(text: string, start: number, end: number): { start: number; end: number } {
  let s = start
  // Left: "prod.", "replica.db01.", "/var/data/", "C:\\data\\".
  for (let guard = 0; guard < 32 && s > 0; guard++) {
    const sep = text.charCodeAt(s - 1)
    if (sep !== 0x2e && sep !== 0x2f && sep !== 0x5c) break
    let j = s - 1
    while (j > 0 && isIdentChar(text.charCodeAt(j - 1)) && s - j < 128) j--
    // Keep the separator itself when it starts a path ("/var" or "\\share").
    if (j === s - 1) {
      if (sep !== 0x2e) s = j
      break
    }
    if (j > 0 && text.charCodeAt(j - 1) === 0x3a && sep === 0x5c) j-- // drive letter "C:"
    s = j
  }
  // Right: ".column", ".email" (not a sentence's full stop: an identifier character must follow).
  let e = end
  for (let guard = 0; guard < 8 && e + 1 < text.length; guard++) {
    if (text.charCodeAt(e) !== 0x2e || !isIdentChar(text.charCodeAt(e + 1))) break
    let j = e + 1
    while (j < text.length && isIdentChar(text.charCodeAt(j)) && j - e < 128) j++
    e = j
  }
  return { start: s, end: e }
}
