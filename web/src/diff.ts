export interface DiffLine {
  kind: 'same' | 'added' | 'removed'
  text: string
  /** 1-based line numbers in the old and new text. */
  a?: number
  b?: number
}

/**
 * Line diff by longest common subsequence (policies are short; O(n·m) with n·m capped). Lines
 * past the cap are compared as a whole block.
 */
export function diffLines(oldText: string, newText: string, cap = 4_000_000): DiffLine[] {
  const a = oldText.split('\n')
  const b = newText.split('\n')
  if (a.length * b.length > cap) {
    return [...a.map((text, i) => ({ kind: 'removed' as const, text, a: i + 1 })), ...b.map((text, i) => ({ kind: 'added' as const, text, b: i + 1 }))]
  }
  const n = a.length
  const m = b.length
  // lcs[i][j] = LCS length of a[i..] and b[j..], in one flat array.
  const lcs = new Uint32Array((n + 1) * (m + 1))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = a[i] === b[j] ? lcs[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!)
    }
  }
  const out: DiffLine[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ kind: 'same', text: a[i]!, a: i + 1, b: j + 1 })
      i++
      j++
    } else if (lcs[(i + 1) * (m + 1) + j]! >= lcs[i * (m + 1) + j + 1]!) {
      out.push({ kind: 'removed', text: a[i]!, a: i + 1 })
      i++
    } else {
      out.push({ kind: 'added', text: b[j]!, b: j + 1 })
      j++
    }
  }
  for (; i < n; i++) out.push({ kind: 'removed', text: a[i]!, a: i + 1 })
  for (; j < m; j++) out.push({ kind: 'added', text: b[j]!, b: j + 1 })
  return out
}
