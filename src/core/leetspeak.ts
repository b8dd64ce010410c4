/**
 * Leetspeak folding for keyword matching: `1gn0r3 pr3v10u5` → `ignore previous`. Only
 * word-like tokens are folded (a token that has at least one letter and is not a number, a
 * hex literal or a version-like string), so `2024`, `0x1f` and `v1.2.3` keep their digits.
 */

const LEET: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '|': 'l',
  '!': 'i',
}

/** True when `ch` (one UTF-16 unit) has a leetspeak letter reading. */
export function isLeetChar(ch: string): boolean {
  return LEET[ch] !== undefined
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)
}

const SHORT_WORDS = new Set(['the', 'this', 'that', 'then', 'than', 'they', 'these', 'those', 'those', 'its', 'his', 'has', 'all', 'not', 'and', 'was', 'are', 'set', 'let', 'get', 'yes', 'too'])

function plainFold(token: string): string {
  let out = ''
  for (const ch of token) out += LEET[ch] ?? ch
  return out
}

const NUMBER_WORD_RE = /^\d+(?:st|nd|rd|th|s|am|pm|k|m|d|x|g|px|kg|km|mb|gb|ms|h|p|v)$/
const VOWELS = 'aeiou'

/**
 * Folds one lower-case token (letters, digits and leet symbols, no spaces). Returns the
 * token unchanged unless it reads as a word written in leetspeak: at least two letters and a
 * leet run between two letters (`h3llo`, `pr3v10us`), or a single leet character leading
 * (`1gnore`) or trailing a word of ≥ 3 letters (`ignor3`). Numbers with units or ordinals
 * (`4th`, `5am`), product names (`mp3`, `covid19`) and hex literals keep their digits.
 * The result has the same length as the input.
 */
export function foldLeetToken(token: string): string {
  const n = token.length
  if (n < 3) return token
  let letters = 0
  let leet = 0
  for (let i = 0; i < n; i++) {
    const c = token.charCodeAt(i)
    if (isAsciiLetter(c)) letters++
    else if (LEET[token[i] as string] !== undefined) leet++
    else return token
  }
  if (leet === 0 || token.startsWith('0x')) return token
  if (letters < 2) {
    // Short function words written entirely in leet (`7h3`, `7h15`) read as words only when
    // they fold to one; anything else with a single letter is a code or a number (`2x4`, `3d`).
    if (letters === 0) return token
    const candidate = plainFold(token)
    return SHORT_WORDS.has(candidate) ? candidate : token
  }
  let fold = false
  for (let i = 0; i < n && !fold; ) {
    if (LEET[token[i] as string] === undefined) {
      i++
      continue
    }
    let j = i
    while (j < n && LEET[token[j] as string] !== undefined) j++
    const before = i > 0
    const after = j < n
    if (before && after) fold = true
    else if (!before && after && j - i === 1 && !NUMBER_WORD_RE.test(token)) fold = true
    else if (before && !after && j - i === 1 && letters >= 3) fold = true
    i = j
  }
  if (!fold) return token
  let out = ''
  for (let i = 0; i < n; i++) {
    const ch = token[i] as string
    const mapped = LEET[ch]
    if (ch === '1') {
      const prev = token[i - 1] ?? ''
      const next = token[i + 1] ?? ''
      // `1` reads as `l` when doubled (a11, wi11) or between vowels (ru1es, fi1e); else `i`.
      out += next === '1' || prev === '1' || (VOWELS.includes(prev) && prev !== '' && (VOWELS.includes(next) && next !== '')) ? 'l' : 'i'
    } else out += mapped ?? ch
  }
  return out
}
