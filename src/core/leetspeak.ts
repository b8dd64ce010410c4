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

// Function words that, written entirely or mostly in leet (`7h3`, `n0`, `bu7`), still read as
// words; a token that folds to anything else keeps its digits (`2x4`, `3d`, `a1`).
const SHORT_WORDS = new Set(
  ('no so to of on or in an as at it is be do me my we he go up us ' +
    'the this that then than they them their there these those its his has had all any not and but was are were ' +
    'set let get yes too you your can for from with will must now new out one say see').split(' '),
)

// A trailing run of several leet characters folds only when it avoids 1, 2, 6, 8 and 9, the
// digits of versions and years (`covid19`, `python311`): `acc355` folds, `covid19` does not.

// Ordinals and numbers with units: `1st`, `22nd`, `3rd`, `4th`, `5am`, `10km`, `4k`.
const NUMBER_WORD_RE = /^(?:\d*1st|\d*2nd|\d*3rd|\d+th|\d+(?:s|am|pm|k|m|d|x|g|px|kg|km|mb|gb|ms|h|p|v))$/
const VOWELS = 'aeiou'

function readLeet(token: string): string {
  const n = token.length
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

/**
 * Folds one lower-case token (letters, digits and leet symbols, no spaces). Returns the
 * token unchanged unless it reads as a word written in leetspeak: a leet run between two
 * letters (`h3llo`, `pr3v10us`), a single leet character leading a word (`1gnore`), a short
 * leet run trailing a word (`ignor3`, `acc355`), or a function word (`7h3`, `n0`, `bu7`).
 * Numbers with units or ordinals (`4th`, `5am`), product names (`mp3`, `covid19`) and hex
 * literals keep their digits. The result has the same length as the input.
 */
export function foldLeetToken(token: string): string {
  const n = token.length
  if (n < 2) return token
  let letters = 0
  let leet = 0
  for (let i = 0; i < n; i++) {
    const c = token.charCodeAt(i)
    if (isAsciiLetter(c)) letters++
    else if (LEET[token[i] as string] !== undefined) leet++
    else return token
  }
  if (leet === 0 || letters === 0 || token.startsWith('0x')) return token
  let fold = false
  if (letters >= 2) {
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
      else if (before && !after && ((j - i === 1 && letters >= 3) || (j - i <= 3 && letters >= 4 && /^[03457@$]+$/.test(token.slice(i, j))))) fold = true
      i = j
    }
  }
  if (fold) return readLeet(token)
  const candidate = readLeet(token)
  return SHORT_WORDS.has(candidate) ? candidate : token
}

/**
 * A whole token of [A-Za-z0-9@$!|] (not part of a longer one) with no lower-case letter, an
 * upper-case one and a leet character: the only tokens foldLeetCapitals may change. Matching
 * them alone, instead of calling back for every token of the text, is most of its speed.
 */
const CAPS_LEET_TOKEN_RE = /(?<![A-Za-z0-9@$!|])(?=[A-Z0-9@$!|]*[A-Z])(?=[A-Z0-9@$!|]*[0-9@$!|])[A-Z0-9@$!|]+(?![A-Za-z0-9@$!|])/g

/**
 * The text with every capitalised leet token folded and kept in capitals (`3ND U$3R 1NPU7` →
 * `END USER INPUT`), other tokens unchanged; same length as the input, so offsets carry over.
 * Case-sensitive patterns (a fake `END USER INPUT` boundary, `DAN:` labels) read the original
 * case, which the folded view loses; this gives them the leet-written capitals too.
 */
export function foldLeetCapitals(text: string): string {
  return text.replace(CAPS_LEET_TOKEN_RE, (token) => {
    const folded = foldLeetToken(token)
    return folded === token ? token : folded.toUpperCase()
  })
}
