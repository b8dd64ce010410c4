/**
 * "Needless internals" in a response: stack traces, internal file paths, private addresses and
 * internal host names, connection strings and SQL. Every regex is linear (bounded repetitions,
 * no nested quantifiers over the same characters) and compiled once.
 */

export type InternalType = 'STACK_TRACE' | 'INTERNAL_PATH' | 'INTERNAL_HOST' | 'CONNECTION_STRING' | 'SQL'

export interface InternalHit {
  type: InternalType
  start: number
  end: number
  score: number
  detail: Record<string, string | number | boolean>
}

// ---------------------------------------------------------------- stack traces

/** One frame line of a stack trace, per runtime. Tested line by line (lines ≤ 1,000 chars). */
const FRAME_RES: ReadonlyArray<readonly [string, RegExp]> = [
  // Node / V8:  at fn (/srv/app/x.js:10:5)  ·  at async file:///app/x.mjs:3:9  ·  at node:internal/…
  ['javascript', /^\s*at (?:async )?(?:[^\s()]{1,200} (?:\[as [^\]]{1,80}\] )?)?\(?(?:file:\/\/|node:|webpack:|\/|[A-Za-z]:\\|<anonymous>|\.{1,2}\/)[^\s()]{0,400}?(?::\d+){1,2}\)?\s*$/],
  // Java / Kotlin / Scala:  at com.acme.Foo.bar(Foo.java:42)
  ['java', /^\s*at [\w$.<>/-]{1,300}\((?:[\w$.-]{1,200}\.(?:java|kt|scala|groovy|clj):\d+|Native Method|Unknown Source)\)\s*$/],
  // .NET:  at Acme.Foo.Bar(String x) in C:\src\Foo.cs:line 42
  ['dotnet', /^\s*at [\w$.`<>[\],+]{1,300}\([^)\n]{0,300}\)(?: in [^\n]{1,300}:line \d+)?\s*$/],
  // Python:  File "/srv/app/x.py", line 10, in handler
  ['python', /^\s*File "[^"\n]{1,400}", line \d+(?:, in [^\n]{1,200})?\s*$/],
  // Go:  main.handler(0xc000010000)  /  \t/srv/app/main.go:42 +0x1d
  ['go', /^\s*(?:\/|[A-Za-z]:\\)[^\s:]{1,400}\.go:\d+(?: \+0x[0-9a-f]+)?\s*$/],
  // PHP:  #0 /var/www/x.php(12): foo()
  ['php', /^\s*#\d+ (?:\/|[A-Za-z]:\\|\{main\})[^\n]{0,400}?(?:\(\d+\): [^\n]{0,300})?\s*$/],
  // Ruby:  from /app/x.rb:12:in `foo'  ·  /app/x.rb:12:in 'foo'
  ['ruby', /^\s*(?:from )?(?:\/|[A-Za-z]:\\|\.\/)[^\s:]{1,400}\.rb:\d+:in [`'][^\n]{1,200}$/],
]

/** A line that opens a trace: "Traceback (most recent call last):", "Exception in thread", "TypeError: x", "panic: x", "goroutine 1 [running]:". */
const TRACE_HEADER_RE = /^\s*(?:Traceback \(most recent call last\):|Exception in thread "[^"\n]{0,100}"[^\n]{0,300}|Caused by: [^\n]{0,300}|(?:[A-Z][\w$.]{0,100})?(?:Error|Exception|Panic)(?:\s*\[[^\]\n]{0,40}\])?:[^\n]{0,500}|panic: [^\n]{0,300}|goroutine \d+ \[[^\]\n]{1,40}\]:|Stack trace:|Stacktrace:)\s*$/

function lineText(text: string, line: { start: number; end: number } | undefined): string {
  return line ? text.slice(line.start, line.end) : ''
}

function frameKind(line: string): string | undefined {
  if (line.length > 1_000) return undefined
  for (const [kind, re] of FRAME_RES) if (re.test(line)) return kind
  return undefined
}

/**
 * Stack traces: at least two frame lines (a non-frame line may sit between two frames, such as
 * Python's source line), or one frame under a header line. The span runs from the header, when
 * there is one right above, to the last frame.
 */
export function findStackTraces(text: string, out: InternalHit[]): void {
  // Cheap gate: every runtime's frames contain one of these.
  if (!/\bat |File "|\.go:\d|#\d+ |\.rb:\d/.test(text)) return
  const lines: Array<{ start: number; end: number }> = []
  for (let i = 0; i <= text.length; ) {
    let j = text.indexOf('\n', i)
    if (j < 0) j = text.length
    lines.push({ start: i, end: j })
    i = j + 1
  }
  const kinds = lines.map((l) => frameKind(text.slice(l.start, l.end)))
  for (let i = 0; i < lines.length; i++) {
    if (kinds[i] === undefined) continue
    const first = i
    let last = i
    let frames = 1
    let j = i + 1
    while (j < lines.length) {
      if (kinds[j] !== undefined) {
        last = j
        frames++
        j++
      } else if (j + 1 < lines.length && kinds[j + 1] !== undefined && (lines[j] as { end: number }).end - (lines[j] as { start: number }).start < 300) {
        j++
      } else break
    }
    // Python ends with the failing source line and the exception: "    raise X" / "ValueError: x".
    if (last + 1 < lines.length && /^\s+\S/.test(lineText(text, lines[last + 1])) && lineText(text, lines[last + 1]).length < 300) {
      if (kinds[last] === 'python') last++
    }
    if (last + 1 < lines.length && TRACE_HEADER_RE.test(lineText(text, lines[last + 1]))) last++
    let startLine = first
    const header = first > 0 && TRACE_HEADER_RE.test(text.slice((lines[first - 1] as { start: number }).start, (lines[first - 1] as { end: number }).end))
    if (header) startLine = first - 1
    if (frames >= 2 || header) {
      const s = (lines[startLine] as { start: number }).start
      const firstChar = text.slice(s).search(/\S/)
      out.push({
        type: 'STACK_TRACE',
        start: s + Math.max(0, firstChar),
        end: (lines[last] as { end: number }).end,
        score: frames >= 3 || header ? 0.95 : 0.8,
        detail: { runtime: kinds[first] as string, frames },
      })
    }
    i = last
  }
}

// ---------------------------------------------------------------- paths

// Deployment and home directories. System paths every tutorial names (/usr/bin/env, /etc/hosts,
// /dev/null, /tmp) are public knowledge and are not reported.
const UNIX_PATH_RE = /(?<![\w.:/~%-])(?:\/(?:home|Users|root|srv|opt|app|apps|data|mnt|workspace|workspaces|builds|runner|code|deploy|deployments|www|var\/(?:www|lib|log|data|opt|task|run\/secrets|backups?|app|apps))|~)(?:\/[\w.@%+=,-]{1,255}){1,40}\/?/g
const WINDOWS_PATH_RE = /(?<![\w\\])(?:[A-Za-z]:\\|\\\\[\w.$-]{1,64}\\)(?:[^\\\s:*?"<>|,;()'`]{1,255}\\){1,40}[^\\\s:*?"<>|,;()'`]{0,255}/g
const HOME_RE = /^(?:\/home\/|\/Users\/|\/root\/|~\/|[A-Za-z]:\\Users\\)/

export function findPaths(text: string, out: InternalHit[]): void {
  if (text.includes('/')) {
    UNIX_PATH_RE.lastIndex = 0
    for (let m = UNIX_PATH_RE.exec(text); m !== null; m = UNIX_PATH_RE.exec(text)) {
      let path = m[0]
      // A trailing full stop or comma belongs to the sentence.
      path = path.replace(/[.,]+$/, '')
      if (path.startsWith('~') && path.split('/').length < 3) continue
      out.push({ type: 'INTERNAL_PATH', start: m.index, end: m.index + path.length, score: HOME_RE.test(path) ? 0.9 : 0.75, detail: { style: 'unix', home: HOME_RE.test(path) } })
    }
  }
  if (text.includes('\\')) {
    WINDOWS_PATH_RE.lastIndex = 0
    for (let m = WINDOWS_PATH_RE.exec(text); m !== null; m = WINDOWS_PATH_RE.exec(text)) {
      const path = m[0].replace(/[.,]+$/, '')
      out.push({ type: 'INTERNAL_PATH', start: m.index, end: m.index + path.length, score: HOME_RE.test(path) ? 0.9 : 0.75, detail: { style: path.startsWith('\\\\') ? 'unc' : 'windows', home: HOME_RE.test(path) } })
    }
  }
}

// ---------------------------------------------------------------- hosts

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
// 10/8, 172.16/12, 192.168/16, 169.254/16 (link-local), 100.64/10 (carrier-grade NAT).
// Loopback (127/8) and 0.0.0.0 name no machine of anyone's and are not reported.
const PRIVATE_V4_RE = new RegExp(
  `(?<![\\d.])(?:10\\.${OCTET}|172\\.(?:1[6-9]|2\\d|3[01])|192\\.168|169\\.254|100\\.(?:6[4-9]|[7-9]\\d|1[01]\\d|12[0-7]))\\.${OCTET}\\.${OCTET}(?:\\/(?:3[0-2]|[12]?\\d))?(?::\\d{1,5})?(?![\\d]|\\.\\d)`,
  'g',
)
const VERSION_BEFORE_RE = /(?:\bv|\bversion|\bver|\brelease|\bbuild|\bfirmware|\bupdate)\.?\s*$/i
// fc00::/7 unique-local and fe80::/10 link-local IPv6.
const PRIVATE_V6_RE = /(?<![\w:])(?:f[cd][0-9a-f]{2}|fe[89ab][0-9a-f]):(?:[0-9a-f]{0,4}:){1,6}[0-9a-f]{0,4}(?:%[\w.]{1,20})?(?![\w:])/gi
// Host names under suffixes reserved or conventional for private networks.
const INTERNAL_HOST_RE = /(?<![\w.@-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,10}(?:internal|local|corp|lan|intranet|localdomain|home\.arpa|private|priv)(?::\d{1,5})?(?![\w-]|\.[a-z0-9])/gi

export function findHosts(text: string, out: InternalHit[]): void {
  PRIVATE_V4_RE.lastIndex = 0
  for (let m = PRIVATE_V4_RE.exec(text); m !== null; m = PRIVATE_V4_RE.exec(text)) {
    // "version 10.0.1.2" is a version number that happens to look like an address.
    if (VERSION_BEFORE_RE.test(text.slice(Math.max(0, m.index - 12), m.index))) continue
    out.push({ type: 'INTERNAL_HOST', start: m.index, end: m.index + m[0].length, score: 0.85, detail: { kind: 'private-ipv4' } })
  }
  if (text.includes(':')) {
    PRIVATE_V6_RE.lastIndex = 0
    for (let m = PRIVATE_V6_RE.exec(text); m !== null; m = PRIVATE_V6_RE.exec(text)) {
      if ((m[0].match(/:/g) ?? []).length < 2) continue
      out.push({ type: 'INTERNAL_HOST', start: m.index, end: m.index + m[0].length, score: 0.8, detail: { kind: 'private-ipv6' } })
    }
  }
  INTERNAL_HOST_RE.lastIndex = 0
  for (let m = INTERNAL_HOST_RE.exec(text); m !== null; m = INTERNAL_HOST_RE.exec(text)) {
    out.push({ type: 'INTERNAL_HOST', start: m.index, end: m.index + m[0].length, score: 0.85, detail: { kind: 'internal-hostname' } })
  }
}

// ---------------------------------------------------------------- connection strings

// Database, queue and cache URLs: postgres://user:pass@host:5432/db, mongodb+srv://…, jdbc:mysql://…
const DB_URL_RE = /(?<![\w+.-])(?:jdbc:)?(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|oracle|cockroachdb|clickhouse|snowflake|couchbases?|neo4j(?:\+s)?|bolt|cassandra|memcached|ldaps?|nats|kafka|sqlite|db2)(?::[a-z0-9]{1,20})?:\/\/[^\s'"<>`]{1,500}/gi
// Any URL with a password in it: scheme://user:password@host.
const CREDENTIAL_URL_RE = /(?<![\w+.-])[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:@/'"<>`]{1,100}:[^\s@/'"<>`]{1,200}@[^\s'"<>`]{1,300}/gi
// ADO.NET / ODBC / JDBC key-value strings: Server=…;Database=…;User Id=…;Password=…;
const KEY_VALUE_RE = /(?<![\w])(?:Server|Data Source|Host|Hostname|Address|Addr|Network Address|DSN|Driver)\s*=\s*[^;\n]{1,200};(?:\s*[A-Za-z][\w ]{0,40}\s*=\s*[^;\n]{0,200};?){1,20}/gi
const KV_SECRET_RE = /(?:^|;)\s*(?:Password|Pwd|User ?Id|Uid|User|Username|Database|Initial Catalog)\s*=/i
const PASSWORD_KV_RE = /(?:^|;)\s*(?:Password|Pwd)\s*=\s*[^;\s]/i

function trimUrl(s: string): string {
  return s.replace(/[.,;:!?)\]}]+$/, '')
}

export function findConnectionStrings(text: string, out: InternalHit[]): void {
  if (text.includes('://')) {
    for (const re of [DB_URL_RE, CREDENTIAL_URL_RE]) {
      re.lastIndex = 0
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        const value = trimUrl(m[0])
        const withPassword = /^[^/]*\/\/[^\s:@/]+:[^\s@/]+@/.test(value)
        const scheme = value.slice(0, value.indexOf('://')).toLowerCase()
        // A bare database URL without credentials (postgres://localhost/dev in a tutorial) says less.
        if (re === DB_URL_RE && !withPassword && !/\/\/[^/\s]+[/:?]/.test(value)) continue
        if (out.some((h) => h.type === 'CONNECTION_STRING' && h.start === m.index)) continue
        out.push({ type: 'CONNECTION_STRING', start: m.index, end: m.index + value.length, score: withPassword ? 0.95 : 0.6, detail: { scheme, credentials: withPassword } })
      }
    }
  }
  if (text.includes('=') && text.includes(';')) {
    KEY_VALUE_RE.lastIndex = 0
    for (let m = KEY_VALUE_RE.exec(text); m !== null; m = KEY_VALUE_RE.exec(text)) {
      const value = m[0].replace(/[;\s]+$/, '')
      if (!KV_SECRET_RE.test(value)) continue
      const withPassword = PASSWORD_KV_RE.test(value)
      out.push({ type: 'CONNECTION_STRING', start: m.index, end: m.index + value.length, score: withPassword ? 0.95 : 0.7, detail: { scheme: 'key-value', credentials: withPassword } })
    }
  }
}

// ---------------------------------------------------------------- SQL

const IDENT = '[\\w$.`"\\[\\]]{1,128}'
// A table name is not an article or a possessive: "SELECT the best option FROM the menu" is prose.
const TABLE = `(?!(?:the|a|an|my|your|our|his|her|their|its|this|that|these|those|here|there|it)\\b)${IDENT}`
// Upper-case keywords: the way SQL is written in code and logs, and not in prose.
const SQL_UPPER_RE = new RegExp(
  [
    `\\bSELECT\\s[^;\\n]{1,500}?\\sFROM\\s+${TABLE}`,
    `\\bINSERT\\s+INTO\\s+${TABLE}`,
    `\\bUPDATE\\s+${IDENT}\\s+SET\\s+[\\w$."\`]{1,128}\\s*=`,
    `\\bDELETE\\s+FROM\\s+${TABLE}`,
    `\\b(?:CREATE|DROP|ALTER|TRUNCATE)\\s+(?:TEMPORARY\\s+|TEMP\\s+|UNIQUE\\s+)?(?:TABLE|VIEW|INDEX|SCHEMA|DATABASE)\\s+(?:IF\\s+(?:NOT\\s+)?EXISTS\\s+)?${IDENT}`,
    `\\bGRANT\\s+[A-Z, ]{1,100}\\s+ON\\s+${IDENT}`,
  ].join('|'),
  'g',
)
// Any case, when the statement has a shape prose does not: select * / a, b / t.col … from x (where|join|limit|;).
const SQL_ANYCASE_RE = new RegExp(
  [
    `\\bselect\\s+(?:\\*|[\\w$."\`]{1,128}\\s*,\\s*[^;\\n]{0,400}?|[\\w$\`"]{1,64}\\.[\\w$\`"*]{1,64}[^;\\n]{0,400}?)\\s+from\\s+${TABLE}`,
    `\\binsert\\s+into\\s+${IDENT}\\s*\\([^)\\n]{1,500}\\)\\s*values\\b`,
    `\\bupdate\\s+${IDENT}\\s+set\\s+[\\w$."\`]{1,128}\\s*=\\s*[^;\\n]{1,300}?\\swhere\\s`,
    `\\bdelete\\s+from\\s+${IDENT}\\s+where\\s+[\\w$."\`]{1,128}\\s*(?:=|<|>|!=|\\bin\\b|\\blike\\b|\\bis\\b)`,
    `\\b(?:create|drop|alter|truncate)\\s+table\\s+(?:if\\s+(?:not\\s+)?exists\\s+)?${IDENT}\\s*(?:\\(|;|$|\\s(?:add|drop|rename|alter)\\s)`,
  ].join('|'),
  'gim',
)
const SQL_END_RE = /;|\n\s*\n|```/g

export function findSql(text: string, out: InternalHit[]): void {
  const lower = text.length < 200_000 ? text.toLowerCase() : text
  if (!/select|insert|update|delete|create|drop|alter|truncate|grant/.test(lower)) return
  const found: Array<[number, number]> = []
  for (const re of [SQL_UPPER_RE, SQL_ANYCASE_RE]) {
    re.lastIndex = 0
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const start = m.index
      if (found.some(([s, e]) => start >= s && start < e)) continue
      // The statement runs to its semicolon, a blank line or the end of a code block (≤ 2,000
      // chars), else to the end of its line.
      SQL_END_RE.lastIndex = start + m[0].length
      const stop = SQL_END_RE.exec(text)
      let lineEnd = text.indexOf('\n', start + m[0].length)
      if (lineEnd < 0) lineEnd = text.length
      let end = stop && stop.index - start <= 2_000 ? stop.index + (stop[0] === ';' ? 1 : 0) : Math.min(lineEnd, start + 2_000)
      // Trailing spaces, and a sentence's full stop when no semicolon closed the statement.
      while (end > start && /[\s.,]/.test(text[end - 1] as string) && text[end - 1] !== ';') end--
      found.push([start, end])
      const statement = m[0].replace(/^\s+/, '').split(/\s/)[0]?.toUpperCase() ?? 'SQL'
      out.push({ type: 'SQL', start, end, score: 0.7, detail: { statement } })
    }
  }
}
