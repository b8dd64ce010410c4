/**
 * A compact table of the characters that are most often used to disguise Latin letters:
 * Cyrillic, Greek, Armenian and Cherokee look-alikes, Latin small capitals and IPA letters.
 * The pairs follow Unicode's confusables.txt (UTS #39, "MA" table) restricted to targets in
 * [a-z]. Mathematical alphanumerics, fullwidth and enclosed letters are not listed: NFKC
 * already folds them before this table is consulted.
 */

// Each string is "<target><look-alikes…>": every character after the first folds to the first.
const GROUPS: readonly string[] = [
  // Cyrillic, Greek, Armenian, Cherokee, Latin small capitals / IPA, Coptic, Lisu
  'aаАΑαɑᎪᗅꓮａ⍺',
  'bВвΒβᏴᗷꓐʙƅЬ',
  'cсСϲϹᏟꓚᴄⅽ',
  'dԁᏧꓒⅾᑯ',
  'eеЕΕεᎬꓰᴇ℮ҽ',
  'fϝꓝẝ',
  'gɡɢԌᏀꓖ',
  'hһНΗᎻꓧʜհ',
  'iіІΙιӏɪıꙇᎥⅰ',
  'jјЈϳᎫꓙᴊ',
  'kΚκКкᏦꓗᴋ',
  'lӀℓꓡⅼᏞʟ',
  'mМмΜᎷꓟᴍⅿ',
  'nΝпɴոꓠ',
  'oоОΟοσօՕᴏꓳ',
  'pрРΡρᏢꓑᴘ',
  'qԛզ',
  'rгᎡꓣʀᴦ',
  'sѕЅᏚꓢꜱ',
  'tТтΤτᎢꓔᴛ',
  'uսՍυꓴᴜ',
  'vѵѴνᏙꓦᴠⅴ',
  'wԝԜᎳꓪᴡաѡ',
  'xхХΧχꓫⅹ',
  'yуУΥүʏꓬ',
  'zΖᏃꓜᴢ',
]

const TABLE = new Map<number, string>()
for (const group of GROUPS) {
  const chars = [...group]
  const target = chars[0] as string
  for (const c of chars.slice(1)) TABLE.set(c.codePointAt(0) as number, target)
}
// Regional indicator symbols 🇦–🇿 spell letters when they do not form a flag pair.
for (let i = 0; i < 26; i++) TABLE.set(0x1f1e6 + i, String.fromCharCode(0x61 + i))

/** Number of look-alike code points in the table. */
export const CONFUSABLE_COUNT = TABLE.size

/**
 * The lower-case Latin letter that code point `cp` imitates, or undefined when it is not a
 * known look-alike. ASCII is never in the table.
 */
export function confusableTarget(cp: number): string | undefined {
  return TABLE.get(cp)
}
