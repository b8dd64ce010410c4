import { charClasses, isCodeReference, isPlaceholder, mayContain, shannonEntropy } from './checks.js'
import type { RuleHit } from './patterns.js'

/**
 * Secrets introduced by a name: `password = "…"`, `pwd: …`, `--token …`, `api_key=…`,
 * `IDENTIFIED BY '…'`, `scheme://user:pass@host`, `Bearer …` and prose ("my password is …").
 * The span is the value only.
 */

/** `password` → `[Pp][Aa][Ss][Ss]…`: case-insensitive letters while the regex stays case-sensitive. */
function ci(word: string): string {
  return word.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`)
}

// Long names are distinctive inside identifiers (db_password, ANYpassword, userPasswd); short ones
// must start at a non-lowercase boundary and not continue in lowercase (bypass, passport, tokenizer).
// [Pp]a?s{1,2}w(o?r)?d covers password, passwd, pswd, psswd, pswrd, pasword and similar spellings.
const PASSWORD_LONG = ['[Pp][Aa]?[Ss]{1,2}[Ww](?:[Oo]?[Rr])?[Dd]', ...['passphrase', 'passwort', 'passcode', 'contraseña', 'senha'].map(ci)].join('|')
const PASSWORD_SHORT = ['pass', 'pwd', 'pw'].map(ci).join('|')
const SECRET_SHORT = ['secret', 'token', 'api[_ -]?key', 'apikey', 'access[_ -]?key', 'auth[_ -]?key', 'app[_ -]?key', 'private[_ -]?key', 'credentials?', 'auth[_ -]?token'].map(ci).join('|') + '|(?<=[_.-])[Kk][Ee][Yy]'

const KEYWORD = `(?:(?<pl>${PASSWORD_LONG})|(?<![a-z])(?:(?<ps>${PASSWORD_SHORT})|(?<sk>${SECRET_SHORT}))(?![a-z]))`
// Rest of an identifier (db_password_prod, secretKey, token.value); checked against SUFFIX_DENY.
const SUFFIX = '(?<suffix>[A-Za-z0-9_.-]{0,30})'
// "password for the staging server: …" — a few words between the name and a colon or "is".
const GAP = `(?<gap>\\s+(?:for|to|of|on|in|at|by|from)\\s+[\\w@.' -]{1,40}?)?`
const STRONG_SEP = `\\s*(?::=|=>|->|==|[:=])\\s*|\\s+(?:${ci('is')}|${ci('was')}|${ci('are')})\\s+(?:${ci('set')}\\s+${ci('to')}\\s+)?:?\\s*`
// `val password: String = "…"`, `def f(passwd: str = "…")`: a type annotation before the `=`.
const ANNOTATION = '(?:\\s*:\\s*[A-Za-z_][\\w.]*(?:\\[[\\w., ]*\\])?(?=\\s*=))?'
const SEP = `(?:${GAP}(?<sep>${STRONG_SEP})|(?<sep2>[ \\t]+)|(?<sep3>\\s*,\\s*))`
const VALUE = '(?:&quot;(?<hq>[^&\\r\\n]{1,200})&quot;|"(?<dq>[^"\\r\\n]{1,200})"|\'(?<sq>[^\'\\r\\n]{1,200})\'|`(?<bq>[^`\\r\\n]{1,200})`|(?<uq>[^\\s"\'`,;<>()\\[\\]]{1,200}))'

// Sticky: run only where a keyword stem occurs (see KEYWORD_STEMS), so clean text costs a few indexOf calls.
const ASSIGNMENT_RE = new RegExp(`${KEYWORD}${SUFFIX}["'\\]]?\\)?${ANNOTATION}${SEP}${VALUE}`, 'y')
// Lower-case stems that start every keyword the regex knows.
const KEYWORD_STEMS = ['pas', 'ps', 'pw', 'secret', 'token', 'api', 'access', 'auth', 'app', 'private', 'cred', 'key', 'senha', 'contrase']

function keywordPositions(lower: string): number[] {
  const positions: number[] = []
  for (const stem of KEYWORD_STEMS) {
    if (!mayContain(stem)) continue
    for (let i = lower.indexOf(stem); i >= 0; i = lower.indexOf(stem, i + 1)) positions.push(i)
  }
  return positions.sort((a, b) => a - b)
}

// Names that describe a property of the secret or point to it, not the secret itself.
const SUFFIX_DENY = /(?:len|length|min|max|size|hash|hashed|digest|salt|policy|rule|regex|pattern|field|input|label|prompt|hint|reset|expir|expire|expires|expiry|ttl|age|strength|type|file|path|url|uri|endpoint|name|id|count|limit|header|param|env|var|key_id|keyid|required|enabled|disabled|encoder|manager|store|provider|validator|error|message|placeholder)$/i

const SQL_RE = new RegExp(`${ci('identified')}\\s+${ci('by')}\\s+(?:${ci('password')}\\s+)?${VALUE}`, 'g')
const URL_CRED_RE = /[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/([^\s:/?#@"'<>]{1,64}(?:@[^\s:/?#@"'<>]{1,64})?):([^\s@/?#"'<>]{1,128})@(?=[A-Za-z0-9[])/g
const BEARER_RE = /(?<![A-Za-z])(?:[Bb]earer|BEARER|[Aa]uthorization:\s*[Tt]oken)\s+([A-Za-z0-9._~+/-]{16,}=*)/g
// "Login: jane@corp.io / hunter2!", "credentials: admin/S3cret!"
// `curl -u "user:pass"`, `CURLOPT_USERPWD, "user:pass"`: the part after the colon is the password.
const USER_PASS_RE = /(?:(?<![A-Za-z])-u\s+|--user[ =]|USERPWD\s*,\s*)["']?[^\s:"']{1,64}:([^\s"']{3,128})["']?/g
const LOGIN_PAIR_RE = new RegExp(`(?<![a-z])(?:${ci('login')}|${ci('credentials')}|${ci('creds')})\\s*:\\s*[^\\s/]{2,64}\\s*/\\s*([^\\s"'<>]{4,128})`, 'g')

/** Names of the rules in this file (they rank under provider formats when spans overlap). */
export const ASSIGNMENT_RULES: ReadonlySet<string> = new Set(['password-assignment', 'secret-assignment', 'sql-identified-by', 'url-credentials', 'authorization-header', 'user-password-pair', 'login-pair'])

// Characters an unquoted value may contain (mirrors the `uq` group of VALUE).
const UNQUOTED_CHAR_RE = /[^\s"'`,;<>()[\]]/

type SepKind = 'assign' | 'prose' | 'space'

function sepKind(sep: string): SepKind {
  if (/[:=>]/.test(sep) && !/\s(?:is|was|are)\s/i.test(sep)) return 'assign'
  return /\S/.test(sep) ? 'prose' : 'space'
}

function trimProse(value: string): string {
  return value.replace(/[.,:;!?]+$/, (m) => (m.includes('!') && !m.includes('.') ? m : ''))
}

function passwordScore(value: string, quoted: boolean, kind: SepKind, flagStyle: boolean): number {
  if (value.length < 4 || value.length > 128) return 0
  const c = charClasses(value)
  const classes = Number(c.lower) + Number(c.upper) + Number(c.digit) + Number(c.symbol)
  if (quoted) return kind === 'space' ? 0.8 : 0.9
  // An unquoted lower-case word after "password" is prose ("password is incorrect"), not a password.
  const strong = c.digit || c.symbol || c.innerUpper
  if (!strong) return 0
  if (/^\d+$/.test(value) && value.length < 6) return 0
  if (kind === 'space') return flagStyle || classes >= 3 ? 0.7 : 0
  return kind === 'assign' ? 0.85 : 0.85
}

function tokenScore(value: string, quoted: boolean, kind: SepKind, flagStyle: boolean): number {
  if (value.length < 8 || value.length > 512) return 0
  if (value.includes('://') || (/[/\\]/.test(value) && /\.[a-z]{2,4}$/i.test(value))) return 0
  const c = charClasses(value)
  const mixedCase = c.lower && c.upper
  if (!((c.digit && (c.lower || c.upper)) || (mixedCase && value.length >= 16))) return 0
  if (shannonEntropy(value) < 2.5) return 0
  // `cache_key = user_id2`, `token: auth.session3`: a lower-case identifier names a value, it is not one.
  if (!quoted && /^[a-z]+(?:[_.][a-z0-9]+)+$/.test(value)) return 0
  if (kind === 'space') return flagStyle || quoted ? 0.7 : c.digit && mixedCase ? 0.65 : 0
  return kind === 'prose' ? 0.7 : 0.8
}

/** Finds name-introduced secrets in `text` (`lower`: same length, lower-cased; `indexBigrams(text)` done); appends hits to `out`. */
export function findAssignments(text: string, lower: string, out: RuleHit[]): void {
  let consumed = 0
  for (const position of keywordPositions(lower)) {
    if (position < consumed) continue
    ASSIGNMENT_RE.lastIndex = position
    const m = ASSIGNMENT_RE.exec(text)
    if (m === null) continue
    consumed = m.index + m[0].length
    const g = m.groups as Record<string, string | undefined>
    const suffix = g.suffix ?? ''
    // CURLOPT_KEYPASSWD, secret_password: a password name anywhere in the identifier wins.
    const isPassword = g.pl !== undefined || g.ps !== undefined || /pa?s{1,2}w(?:o?r)?d/i.test(suffix)
    if (suffix && SUFFIX_DENY.test(suffix)) continue
    const quotedValue = g.dq ?? g.sq ?? g.bq ?? g.hq
    const quoted = quotedValue !== undefined
    // `set("password", "…")`, `define('PASSWORD', '…')`: a comma only separates a name from a literal.
    if (g.sep3 !== undefined && !quoted) continue
    const kind: SepKind = g.sep3 !== undefined ? 'assign' : g.sep2 !== undefined ? 'space' : sepKind(g.sep ?? '')
    const keywordStart = m.index
    const before = keywordStart > 0 ? text[keywordStart - 1] : ''
    const inQuery = before === '?' || before === '&'
    let value = quotedValue ?? g.uq ?? ''
    const valueEnd = m.index + m[0].length - (g.hq !== undefined ? 6 : quoted ? 1 : 0)
    const start = valueEnd - value.length
    if (!quoted && UNQUOTED_CHAR_RE.test(text[valueEnd] ?? ' ')) {
      // Longer than the regex takes: not a password; a long token is left to the other rules.
      continue
    }
    if (!quoted) {
      // A call (getPassword()) or an index (ENV['x']) is code, not a literal.
      const next = text[valueEnd]
      if (next === '(' || next === '[') continue
      if (inQuery) value = value.split('&')[0] as string
      value = trimProse(value)
      if (isCodeReference(value)) continue
    }
    if (/\s/.test(value) || isPlaceholder(value)) continue
    const flagStyle = before === '-'
    let score = isPassword ? passwordScore(value, quoted, kind, flagStyle) : tokenScore(value, quoted, kind, flagStyle)
    if (score === 0) continue
    // Short tokens in a query string are mostly single-use links (password reset, unsubscribe).
    if (inQuery && value.length < 20) score = Math.min(score, 0.45)
    out.push({
      type: isPassword ? 'PASSWORD' : 'GENERIC_SECRET',
      rule: isPassword ? 'password-assignment' : 'secret-assignment',
      start,
      end: start + value.length,
      score,
      detail: { context: kind },
    })
  }

  if (lower.includes('identified')) findSqlPasswords(text, out)
  if (text.includes('://')) findUrlCredentials(text, out)
  if (lower.includes('bearer') || lower.includes('authorization')) findBearerTokens(text, out)
  if (text.includes('-u') || text.includes('USERPWD')) findUserPasswordPairs(text, out)
  if (lower.includes('login') || lower.includes('cred')) findLoginPairs(text, out)
}

function findSqlPasswords(text: string, out: RuleHit[]): void {
  SQL_RE.lastIndex = 0
  for (let m = SQL_RE.exec(text); m !== null; m = SQL_RE.exec(text)) {
    const g = m.groups as Record<string, string | undefined>
    const value = g.dq ?? g.sq ?? g.bq ?? g.uq ?? ''
    const quoted = g.uq === undefined
    // "… was identified by her employer": an unquoted word after IDENTIFIED BY is prose.
    if (isPlaceholder(value) || passwordScore(value, quoted, 'assign', false) === 0) continue
    const end = m.index + m[0].length - (quoted ? 1 : 0)
    out.push({ type: 'PASSWORD', rule: 'sql-identified-by', start: end - value.length, end, score: 0.9 })
  }
}

function findUrlCredentials(text: string, out: RuleHit[]): void {
  URL_CRED_RE.lastIndex = 0
  for (let m = URL_CRED_RE.exec(text); m !== null; m = URL_CRED_RE.exec(text)) {
    const pass = m[2] as string
    if (isPlaceholder(pass) || /^\*+$/.test(pass)) continue
    const end = m.index + m[0].length - 1
    out.push({ type: 'PASSWORD', rule: 'url-credentials', start: end - pass.length, end, score: 0.9 })
  }
}

function findBearerTokens(text: string, out: RuleHit[]): void {
  BEARER_RE.lastIndex = 0
  for (let m = BEARER_RE.exec(text); m !== null; m = BEARER_RE.exec(text)) {
    const token = m[1] as string
    const c = charClasses(token)
    if (isPlaceholder(token) || !(c.digit || (c.lower && c.upper)) || shannonEntropy(token) < 3) continue
    const end = m.index + m[0].length
    out.push({ type: 'BEARER_TOKEN', rule: 'authorization-header', start: end - token.length, end, score: 0.85 })
  }
}

function findUserPasswordPairs(text: string, out: RuleHit[]): void {
  USER_PASS_RE.lastIndex = 0
  for (let m = USER_PASS_RE.exec(text); m !== null; m = USER_PASS_RE.exec(text)) {
    const value = m[1] as string
    if (isPlaceholder(value) || value.startsWith('$')) continue
    const start = m.index + m[0].indexOf(':' + value) + 1
    out.push({ type: 'PASSWORD', rule: 'user-password-pair', start, end: start + value.length, score: 0.85 })
  }
}

function findLoginPairs(text: string, out: RuleHit[]): void {
  LOGIN_PAIR_RE.lastIndex = 0
  for (let m = LOGIN_PAIR_RE.exec(text); m !== null; m = LOGIN_PAIR_RE.exec(text)) {
    const raw = m[1] as string
    const value = trimProse(raw)
    if (isPlaceholder(value) || isCodeReference(value)) continue
    const score = passwordScore(value, false, 'assign', false)
    if (score === 0) continue
    const start = m.index + m[0].length - raw.length
    out.push({ type: 'PASSWORD', rule: 'login-pair', start, end: start + value.length, score: 0.8 })
  }
}
