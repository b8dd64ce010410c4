/** What one cell holds: missing, a number (integral or fractional), a boolean, or a string. */

export const enum CellKind {
  Missing = 0,
  Integral = 1,
  Fractional = 2,
  Boolean = 3,
  String = 4,
}

/** Spellings read as missing (pandas' common ones). */
export const DEFAULT_MISSING_VALUES: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None']

/** The parsed number of the last numeric cell classified (saves an allocation per cell). */
export let lastNumber = 0
/** The boolean of the last boolean cell classified. */
export let lastBoolean = false

function isIntegerLiteral(s: string): boolean {
  let i = 0
  const c0 = s.charCodeAt(0)
  if (c0 === 45 || c0 === 43) i = 1
  if (i >= s.length) return false
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

/**
 * Classifies a text cell (CSV field or JSON string). Numbers are what `Number()` reads when the
 * text starts like a number (digit, sign or point), integral when written as digits only.
 */
export function classifyText(s: string, missing: ReadonlySet<string>): CellKind {
  if (s.length === 0 || (s.length <= 4 && missing.has(s))) return CellKind.Missing
  const c0 = s.charCodeAt(0)
  if ((c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 43 || c0 === 46) {
    const x = Number(s)
    if (Number.isFinite(x)) {
      lastNumber = x
      return isIntegerLiteral(s) ? CellKind.Integral : CellKind.Fractional
    }
    return CellKind.String
  }
  if (s.length === 4 || s.length === 5) {
    const lower = s.toLowerCase()
    if (lower === 'true' || lower === 'false') {
      lastBoolean = lower === 'true'
      return CellKind.Boolean
    }
  }
  return missing.has(s) ? CellKind.Missing : CellKind.String
}

/**
 * A copy of a string that does not keep alive the (large) chunk it was sliced from: V8 slices of
 * 13+ characters point into their parent, so a sampled field could pin a whole read buffer.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1)
}
