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

/**
 * Folds one lower-case token (letters, digits and leet symbols, no spaces). Returns the
 * token unchanged unless it reads as a word written in leetspeak: at least two letters, at
 * least one leet character, and the leet characters are not just a numeric prefix or suffix
 * (`mp3`, `covid19`, `4th` stay as they are). The result has the same length as the input.
 */
export function foldLeetToken(token: string): string {
  const n = token.length
  if (n < 3) return token
  let letters = 0
  let leet = 0
  let firstLeet = -1
  let lastLeet = -1
  for (let i = 0; i < n; i++) {
    const c = token.charCodeAt(i)
    if (isAsciiLetter(c)) letters++
    else if (LEET[token[i] as string] !== undefined) {
      leet++
      if (firstLeet < 0) firstLeet = i
      lastLeet = i
    } else return token
  }
  if (leet === 0 || letters < 2) return token
  if (token.startsWith('0x')) return token
  // A leet character must sit between two letters somewhere (`h3llo`, `1gn0re`), or the token
  // must be mostly letters with leet at both ends (`1gnor3`); pure prefixes/suffixes are numbers.
  let internal = false
  for (let i = firstLeet; i <= lastLeet && !internal; i++) {
    if (LEET[token[i] as string] === undefined) continue
    const prev = i > 0 ? token.charCodeAt(i - 1) : 0
    const next = i + 1 < n ? token.charCodeAt(i + 1) : 0
    if (isAsciiLetter(prev) && isAsciiLetter(next)) internal = true
  }
  if (!internal && !(firstLeet === 0 && lastLeet === n - 1 && letters >= 2)) {
    // e.g. `l33t`, `h4x0r`: several leet characters inside a word still count.
    if (!(leet >= 2 && isAsciiLetter(token.charCodeAt(0)) && firstLeet > 0 && lastLeet < n - 1)) return token
  }
  let out = ''
  for (let i = 0; i < n; i++) {
    const ch = token[i] as string
    const mapped = LEET[ch]
    // `11` inside a word reads as `ll` far more often than `ii` (a11, wi11, fi11).
    if (ch === '1' && (token[i + 1] === '1' || token[i - 1] === '1')) out += 'l'
    else out += mapped ?? ch
  }
  return out
}
