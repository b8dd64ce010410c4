import { crc32 as zlibCrc32 } from 'node:zlib'

/**
 * Value checks shared by the secret rules: placeholders, character classes, entropy and the
 * checksums some providers embed in their tokens.
 */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

let crcTable: Uint32Array | undefined

/** CRC-32 (IEEE) of an ASCII string; node:zlib's when the runtime has it (Node ≥ 20.15). */
export function crc32Ascii(s: string): number {
  if (typeof zlibCrc32 === 'function') return zlibCrc32(s) >>> 0
  if (!crcTable) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (let i = 0; i < s.length; i++) crc = (crcTable[(crc ^ s.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/**
 * True when a GitHub classic (`ghp_…`) or npm (`npm_…`) token carries a valid checksum: the last
 * 6 characters are the base62 CRC-32 of the 30 random characters after the prefix.
 */
export function hasValidBase62Checksum(token: string, prefixLength: number): boolean {
  const body = token.slice(prefixLength, -6)
  const tail = token.slice(-6)
  let n = 0
  for (const ch of tail) {
    const d = BASE62.indexOf(ch)
    if (d < 0) return false
    n = n * 62 + d
  }
  return n === crc32Ascii(body)
}

/** Shannon entropy of `s` in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0
  const counts = new Map<number, number>()
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    counts.set(c, (counts.get(c) ?? 0) + 1)
  }
  let h = 0
  for (const k of counts.values()) {
    const p = k / s.length
    h -= p * Math.log2(p)
  }
  return h
}

export interface CharClasses {
  lower: boolean
  upper: boolean
  digit: boolean
  symbol: boolean
  /** Upper-case letter after the first character (camel or random mixing, not just a capital). */
  innerUpper: boolean
}

export function charClasses(s: string): CharClasses {
  const r: CharClasses = { lower: false, upper: false, digit: false, symbol: false, innerUpper: false }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 97 && c <= 122) r.lower = true
    else if (c >= 65 && c <= 90) {
      r.upper = true
      if (i > 0) r.innerUpper = true
    } else if (c >= 48 && c <= 57) r.digit = true
    else if (c > 32) r.symbol = true
  }
  return r
}

// Words that stand for a value rather than being one: documentation, forms, code.
const PLACEHOLDER_WORDS = new Set([
  'password', 'passwd', 'pass', 'pwd', 'pw', 'secret', 'token', 'apikey', 'api_key', 'key', 'value', 'string', 'str',
  'null', 'nil', 'none', 'undefined', 'true', 'false', 'empty', 'blank', 'required', 'optional', 'hidden', 'redacted',
  'removed', 'masked', 'changeme', 'change_me', 'changeit', 'placeholder', 'example', 'sample', 'dummy', 'fake', 'test',
  'todo', 'tbd', 'fixme', 'xxx', 'foo', 'bar', 'foobar', 'mypassword', 'yourpassword', 'your_password', 'secretkey',
  'mysecret', 'yoursecret', 'notasecret', 'default', 'env', 'input', 'text', 'int', 'bool', 'boolean', 'number', 'any',
  'object', 'this', 'self', 'args', 'params', 'options', 'config', 'settings', 'username',
])

const PLACEHOLDER_RE = new RegExp(
  [
    '^<[^>]*>$', // <your-api-key-here>
    '^\\[[^\\]]*\\]$', // [REDACTED]
    '^\\{+[^}]*\\}+$', // {password}, {{ secret }}
    '\\$\\{', // ${VAR}, ${{ secrets.X }}
    '\\{\\{', // {{ .Values.x }}
    '^\\$[A-Za-z_][A-Za-z0-9_]*$', // $PASSWORD
    '^%[A-Za-z_]+%$', // %PASSWORD%
    '^%\\([a-z_]+\\)s$', // %(password)s
    '^:[a-z_]+$', // :password (SQL bind)
    '^@[A-Za-z_]+$', // @password
    '^\\?+$',
    'process\\.env',
    'os\\.environ',
    'getenv',
    'System\\.getenv',
    '\\bENV\\[',
    '^env\\(',
    'secrets\\.',
    'vault:',
    '^(?:your|my|the|some|a|an|enter|insert|put|add|replace)[_-]?(?:own[_-]?)?(?:api[_-]?)?(?:key|token|secret|pass)',
    '(?:^|[^a-z])(?:example|sample|placeholder|dummy|redacted|changeme|fake|xxx+)(?:[^a-z]|$)',
    '^(?:(?:api[_-]?)?key|token|secret|password|pass)[_-]?here$',
  ].join('|'),
  'i',
)

/**
 * True when `value` is obviously not a real secret: empty, masked (`********`, `xxxx`),
 * a template or environment reference (`${VAR}`, `{{ secrets.X }}`, `process.env.X`),
 * an angle-bracket or documentation placeholder, or a placeholder word (`changeme`, `null`).
 */
export function isPlaceholder(value: string): boolean {
  const v = value.trim()
  if (v.length === 0) return true
  if (PLACEHOLDER_WORDS.has(v.toLowerCase())) return true
  // One character repeated (********, xxxxxxxx, ...., 00000000) or only punctuation.
  if (/^(.)\1*$/.test(v)) return true
  if (!/[A-Za-z0-9]/.test(v)) return true
  if (/^[*xX•·.\-_#]{3,}/.test(v) && /^[*xX•·.\-_#\s]+$/.test(v)) return true
  return PLACEHOLDER_RE.test(v)
}

/** True for `self.password`, `config.db.pass`, `req.body.token` and similar code references. */
export function isCodeReference(value: string): boolean {
  return /^[A-Za-z_$][\w$]*(?:(?:\.|->|::)[A-Za-z_$][\w$]*)+(?:\(\))?$/.test(value) || /^[A-Za-z_$][\w$]*\(\)$/.test(value)
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const HEX_RE = /^[0-9a-f]+$/i

export function isUuid(s: string): boolean {
  return UUID_RE.test(s)
}

export function isHex(s: string): boolean {
  return HEX_RE.test(s)
}

const WORD_PIECE_RE = /[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+/g

/**
 * True when `s` reads like an identifier or path made of words (`build_release_candidate_2024`,
 * `ThisIsAVeryLongClassName`, `src/components/UserProfile`): its letter and digit runs are long
 * on average, whereas random tokens break into many short runs.
 */
export function looksLikeWords(s: string): boolean {
  let pieces = 0
  let chars = 0
  WORD_PIECE_RE.lastIndex = 0
  for (let m = WORD_PIECE_RE.exec(s); m !== null; m = WORD_PIECE_RE.exec(s)) {
    pieces++
    chars += m[0].length
  }
  return pieces > 0 && chars / pieces >= 4.5
}

/**
 * True when `s` is standard base64 whose decoded bytes are almost all printable ASCII: encoded
 * text (`SGVsbG8gd29ybGQ=`), not key material.
 */
export function isBase64OfText(s: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length < 16) return false
  const padded = s.length % 4 === 0 ? s : s + '='.repeat((4 - (s.length % 4)) % 4)
  if (padded.length % 4 !== 0) return false
  const bytes = Buffer.from(padded, 'base64')
  if (bytes.length === 0) return false
  let printable = 0
  for (const b of bytes) if ((b >= 32 && b < 127) || b === 9 || b === 10 || b === 13) printable++
  return printable / bytes.length >= 0.95
}

/** Decodes base64url (no padding needed); undefined when it does not decode to UTF-8 JSON. */
export function decodeJsonBase64Url(part: string): unknown {
  try {
    const json = Buffer.from(part.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')
    if (!json.startsWith('{')) return undefined
    return JSON.parse(json) as unknown
  } catch {
    return undefined
  }
}

// Bigram presence table for the text being scanned: lets a rule skip its `indexOf` calls when one
// of its hint's character pairs does not occur. Letters are folded to lower case; other characters
// keep their low byte (collisions only cost a needless `indexOf`).
const bigrams = new Uint32Array(1 << 16)
let generation = 0

function fold(c: number): number {
  return c >= 65 && c <= 90 ? c | 0x20 : c & 0xff
}

/** Records the character pairs of `text`; `mayContain` answers for this text until the next call. */
export function indexBigrams(text: string): void {
  generation++
  if (generation === 0xffffffff) {
    bigrams.fill(0)
    generation = 1
  }
  let prev = text.length > 0 ? fold(text.charCodeAt(0)) : 0
  for (let i = 1; i < text.length; i++) {
    const c = fold(text.charCodeAt(i))
    bigrams[(prev << 8) | c] = generation
    prev = c
  }
}

/** False when `needle` (≥ 2 characters) cannot occur in the text last given to `indexBigrams`. */
export function mayContain(needle: string): boolean {
  for (let i = 1; i < needle.length; i++) {
    if (bigrams[(fold(needle.charCodeAt(i - 1)) << 8) | fold(needle.charCodeAt(i))] !== generation) return false
  }
  return true
}
