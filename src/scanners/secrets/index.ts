import { z } from 'zod'
import { defineScanner, type ScannerFinding } from '../../core/scanner.js'
import { ASSIGNMENT_RULES, findAssignments } from './assignments.js'
import { charClasses, indexBigrams, isBase64OfText, isHex, isUuid, looksLikeWords, mayContain, shannonEntropy } from './checks.js'
import { PROVIDER_RULES, type ProviderRule, type RuleHit } from './patterns.js'

export { SECRET_TYPES, TOKEN_TYPES } from './patterns.js'

export const secretsOptionsSchema = z
  .object({
    /** Rule names (`detail.rule`, e.g. `jwt`) or finding types (e.g. `HIGH_ENTROPY_TOKEN`) to skip. */
    disable: z.array(z.string().min(1)).default([]),
    /** Exact values never reported (known test keys, public identifiers). */
    allow: z.array(z.string().min(1)).default([]),
    highEntropy: z
      .object({
        enabled: z.boolean().default(true),
        /** Shortest token (UTF-16 code units) considered. */
        minLength: z.number().int().min(12).max(256).default(20),
      })
      .strict()
      .default({ enabled: true, minLength: 20 }),
  })
  .strict()

export type SecretsOptions = z.output<typeof secretsOptionsSchema>

// Scores of context-free high-entropy tokens sit under the default threshold (0.5): random-looking
// strings are common (ids, hashes, URLs) and most are not secrets. A secret-like name nearby lifts them.
const ENTROPY_SCORE_ALONE = 0.45
const ENTROPY_SCORE_CONTEXT = 0.75

const PEM_BEGIN_RE = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----/g
const PEM_END_RE = /-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g
// Body of a truncated key: base64 lines, possibly with JSON-escaped newlines.
const PEM_BODY_RE = /(?:(?:\\r|\\n|\r|\n|[ \t])+(?:[A-Za-z0-9+/=]{16,}|[A-Z][A-Za-z-]+: [^\n\\]*))*/y
const SECRET_CONTEXT_RE = /(?:key|token|secret|passw|pwd|auth|bearer|credential|api)[^\n]{0,24}$/
const CHECKSUM_CONTEXT_RE = /(?:sha\d*|md5|hash|checksum|digest|commit|etag|fingerprint|integrity|crc\d*|revision|rev|version|build|uuid|guid|request[ _-]?id|trace[ _-]?id|object[ _-]?id)\b[^\n]{0,24}$/

/** True when the non-space word holding `index` contains `://` before it. */
function inUrl(text: string, index: number): boolean {
  for (let j = index - 1, k = 0; j >= 2 && k < 300; j--, k++) {
    const c = text.charCodeAt(j)
    if (c === 32 || c === 10 || c === 9 || c === 13 || c === 34 || c === 39) return false
    if (c === 47 && text.charCodeAt(j - 1) === 47 && text.charCodeAt(j - 2) === 58) return true
  }
  return false
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

function base64Chars(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47) n++
  }
  return n
}

/** PEM private keys: the whole block when the END line is present, else the header and the body that follows. */
function findPrivateKeys(text: string, out: RuleHit[]): void {
  PEM_BEGIN_RE.lastIndex = 0
  for (let m = PEM_BEGIN_RE.exec(text); m !== null; m = PEM_BEGIN_RE.exec(text)) {
    const start = m.index
    const headerEnd = m.index + m[0].length
    const kind = (m[1] ?? '').trim().toLowerCase() || 'pkcs8'
    PEM_END_RE.lastIndex = headerEnd
    const end = PEM_END_RE.exec(text)
    const nextBegin = text.indexOf('-----BEGIN ', headerEnd)
    if (end !== null && (nextBegin < 0 || end.index < nextBegin)) {
      const body = base64Chars(text.slice(headerEnd, end.index))
      // "-----BEGIN … KEY-----\n...\n-----END …" in documentation has no key material.
      const score = body >= 40 ? 0.99 : 0.4
      out.push({ type: 'PRIVATE_KEY', rule: 'pem-private-key', start, end: end.index + end[0].length, score, detail: { kind, complete: true } })
      PEM_BEGIN_RE.lastIndex = end.index + end[0].length
    } else {
      PEM_BODY_RE.lastIndex = headerEnd
      PEM_BODY_RE.exec(text)
      let stop = PEM_BODY_RE.lastIndex
      if (nextBegin >= 0 && stop > nextBegin) stop = nextBegin
      const body = base64Chars(text.slice(headerEnd, stop))
      const score = body >= 40 ? 0.9 : 0.75
      out.push({ type: 'PRIVATE_KEY', rule: 'pem-private-key-truncated', start, end: body >= 40 ? stop : headerEnd, score, detail: { kind, complete: false } })
    }
  }
}

function isTokenChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 45 || c === 47 || c === 95
}

/** Long random-looking tokens (base64, base62, hex) that no provider rule claimed. */
function findHighEntropy(text: string, lower: string, minLength: number, out: RuleHit[]): void {
  const n = text.length
  let i = 0
  while (i < n) {
    if (!isTokenChar(text.charCodeAt(i))) {
      i++
      continue
    }
    let runEnd = i + 1
    while (runEnd < n && isTokenChar(text.charCodeAt(runEnd))) runEnd++
    const runStart = i
    i = runEnd
    if (runEnd - runStart < minLength) continue
    // Separators at the edges are punctuation, not part of the token; `=` padding is.
    let start = runStart
    let end = runEnd
    while (start < end && !isAlnum(text.charCodeAt(start))) start++
    while (end > start && !isAlnum(text.charCodeAt(end - 1))) end--
    while (end < n && end - runEnd < 2 && text.charCodeAt(end) === 61 /* = */) end++
    if (end - start < minLength || end - start > 1024) continue
    const token = text.slice(start, end)
    const c = charClasses(token)
    if (!c.digit || !(c.lower || c.upper)) continue
    if (isUuid(token) || looksLikeWords(token)) continue
    // Inside a URL (document ids, cache-busting hashes): not reported here; secrets in query strings
    // and user-info are found by the assignment and URL-credential rules.
    if (inUrl(text, runStart)) continue
    const before = lower.slice(Math.max(0, start - 40), start)
    if (CHECKSUM_CONTEXT_RE.test(before)) continue
    const context = SECRET_CONTEXT_RE.test(before)
    const hex = isHex(token)
    const entropy = shannonEntropy(token)
    if (hex) {
      if (!context || entropy < Math.min(3.3, 0.8 * Math.log2(token.length))) continue
    } else {
      if (!(c.lower && c.upper) && !context) continue
      if (entropy < Math.min(4, 0.85 * Math.log2(token.length))) continue
      if (!context && isBase64OfText(token)) continue
    }
    out.push({
      type: 'HIGH_ENTROPY_TOKEN',
      rule: hex ? 'high-entropy-hex' : 'high-entropy',
      start,
      end: start + token.length,
      score: context ? ENTROPY_SCORE_CONTEXT : ENTROPY_SCORE_ALONE,
      detail: { entropy: Math.round(entropy * 100) / 100, length: token.length, context },
    })
  }
}

function hintPresent(rule: ProviderRule, text: string, lower: string): boolean {
  const haystack = rule.hintsLower ? lower : text
  for (const h of rule.hints) if ((h.length < 2 || mayContain(h)) && haystack.includes(h)) return true
  return false
}

// Where hits overlap, a known format says more than a name nearby, which says more than entropy.
function tier(rule: string): number {
  if (rule.startsWith('high-entropy')) return 0
  return ASSIGNMENT_RULES.has(rule) ? 1 : 2
}

/** Keeps the best hit where hits overlap: provider formats first, then higher score, then the longer span. */
function resolveOverlaps(hits: RuleHit[]): RuleHit[] {
  hits.sort((a, b) => tier(b.rule) - tier(a.rule) || b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start)
  const kept: RuleHit[] = []
  for (const h of hits) {
    if (kept.some((k) => h.start < k.end && k.start < h.end)) continue
    kept.push(h)
  }
  return kept.sort((a, b) => a.start - b.start)
}

export const secrets = defineScanner({
  id: 'secrets',
  description: 'Detects credentials: provider API keys and tokens, JWTs, private keys, passwords in code, config, URLs and prose, and high-entropy tokens.',
  directions: ['input', 'output'],
  defaults: { action: 'block', threshold: 0.5 },
  options: secretsOptionsSchema,
  create(options) {
    const disabled = new Set(options.disable)
    const allowed = new Set(options.allow)
    const rules = PROVIDER_RULES.filter((r) => !disabled.has(r.rule) && !disabled.has(r.type))
    const wants = (type: string, ...ruleNames: string[]): boolean => !disabled.has(type) && ruleNames.every((n) => !disabled.has(n))
    const privateKeys = wants('PRIVATE_KEY', 'pem-private-key')
    const entropy = options.highEntropy.enabled && wants('HIGH_ENTROPY_TOKEN')

    return {
      scan(text) {
        const hits: RuleHit[] = []
        indexBigrams(text)
        let lower = text.toLowerCase()
        // Offsets found in `lower` must hold in `text`; a few characters change length when lower-cased.
        if (lower.length !== text.length) lower = text.replace(/[A-Z]+/g, (s) => s.toLowerCase())
        for (const rule of rules) {
          if (!hintPresent(rule, text, lower)) continue
          rule.re.lastIndex = 0
          for (let m = rule.re.exec(text); m !== null; m = rule.re.exec(text)) {
            const value = m[1] ?? m[0]
            const start = m.index + m[0].lastIndexOf(value)
            const hit: RuleHit = { type: rule.type, rule: rule.rule, start, end: start + value.length, score: rule.score }
            const checked = rule.check ? rule.check(value, hit) : hit
            if (checked) hits.push(checked)
          }
        }
        if (privateKeys && text.includes('-----BEGIN ')) findPrivateKeys(text, hits)
        findAssignments(text, lower, hits)
        if (entropy) findHighEntropy(text, lower, options.highEntropy.minLength, hits)

        const findings: ScannerFinding[] = []
        for (const h of resolveOverlaps(hits)) {
          if (disabled.has(h.type) || disabled.has(h.rule)) continue
          if (allowed.size > 0 && allowed.has(text.slice(h.start, h.end))) continue
          const finding: ScannerFinding = { type: h.type, score: h.score, start: h.start, end: h.end, detail: { rule: h.rule, ...h.detail } }
          if (h.action) finding.action = h.action
          findings.push(finding)
        }
        return findings
      },
    }
  },
})
