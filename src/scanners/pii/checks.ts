/**
 * Checksums and number-plan rules that turn digit-shaped look-alikes into real identifiers.
 * Pure functions over strings of digits / uppercase alphanumerics.
 */

/** True when `digits` (only 0-9) passes the Luhn mod-10 check. */
export function luhnValid(digits: string): boolean {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return sum % 10 === 0
}

interface IssuerRule {
  issuer: string
  /** Inclusive ranges of the leading digits, compared as numbers of the same length. */
  ranges: readonly (readonly [string, string])[]
  lengths: readonly number[]
}

// Issuer identification ranges (ISO/IEC 7812 IINs as published by the networks).
const ISSUERS: readonly IssuerRule[] = [
  { issuer: 'amex', ranges: [['34', '34'], ['37', '37']], lengths: [15] },
  { issuer: 'visa', ranges: [['4', '4']], lengths: [13, 16, 19] },
  { issuer: 'mastercard', ranges: [['51', '55'], ['2221', '2720']], lengths: [16] },
  { issuer: 'discover', ranges: [['6011', '6011'], ['644', '649'], ['65', '65'], ['622126', '622925']], lengths: [16, 17, 18, 19] },
  { issuer: 'diners', ranges: [['300', '305'], ['3095', '3095'], ['36', '36'], ['38', '39']], lengths: [14, 15, 16, 17, 18, 19] },
  { issuer: 'jcb', ranges: [['3528', '3589']], lengths: [16, 17, 18, 19] },
  { issuer: 'jcb', ranges: [['1800', '1800'], ['2131', '2131']], lengths: [15] },
  { issuer: 'unionpay', ranges: [['62', '62'], ['81', '81']], lengths: [16, 17, 18, 19] },
  {
    issuer: 'maestro',
    ranges: [['50', '50'], ['56', '58'], ['639', '639'], ['6304', '6304'], ['6759', '6759'], ['6761', '6763'], ['676770', '676770'], ['676774', '676774']],
    lengths: [12, 13, 14, 15, 16, 17, 18, 19],
  },
]

/** The card network whose IIN range and length fit `digits`, or undefined. */
export function cardIssuer(digits: string): string | undefined {
  for (const rule of ISSUERS) {
    if (!rule.lengths.includes(digits.length)) continue
    for (const [lo, hi] of rule.ranges) {
      const head = digits.slice(0, lo.length)
      if (head >= lo && head <= hi) return rule.issuer
    }
  }
  return undefined
}

// Known never-issued or published example SSNs (Woolworth's wallet card, ad campaigns).
const INVALID_SSNS = new Set(['078051120', '219099999', '123456789', '111111111', '333333333'])

/** True when the 3-2-4 digits can be a US Social Security Number (SSA's issuance rules). */
export function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area[0] === '9') return false
  if (group === '00' || serial === '0000') return false
  return !INVALID_SSNS.has(area + group + serial)
}

/** IBAN length per country (SWIFT IBAN registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27,
  MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33,
  SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
}

/** True when `iban` (uppercase, no spaces) has its country's length and passes ISO 7064 mod-97. */
export function ibanValid(iban: string): boolean {
  const expected = IBAN_LENGTHS[iban.slice(0, 2)]
  if (expected === undefined || iban.length !== expected) return false
  const rearranged = iban.slice(4) + iban.slice(0, 4)
  let rem = 0
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i)
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97
    else return false
  }
  return rem === 1
}

/** True when `s` is a dotted-quad IPv4 address (octets 0-255, no leading zeros). */
export function ipv4Valid(s: string): boolean {
  const parts = s.split('.')
  if (parts.length !== 4) return false
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p[0] === '0')) return false
    if (Number(p) > 255) return false
  }
  return true
}
