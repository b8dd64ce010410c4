/**
 * Aligns two lists of row fingerprints (before and after) and names the rows that changed, were
 * added or were removed. Common prefix and suffix are cut first, then unique fingerprints in the
 * middle anchor a patience diff; what lies between two anchors is paired up as changed rows, the
 * surplus on one side is added or removed. One edit costs O(n); a rewritten file is still O(n log n).
 */

export interface RowChanges {
  /** Rows edited in place: `row` in the new file, `previous` in the signed one. */
  changed: { row: number; previous: number }[]
  /** Rows present now but not when signed (indices in the new file). */
  added: number[]
  /** Rows present when signed but gone now (indices in the signed file). */
  removed: number[]
}

interface Gap {
  oldStart: number
  oldEnd: number
  newStart: number
  newEnd: number
}

/** Longest increasing subsequence of `seq` (indices into it), O(n log n). */
function longestIncreasing(seq: readonly number[]): number[] {
  const tails: number[] = []
  const prev = new Int32Array(seq.length).fill(-1)
  for (let i = 0; i < seq.length; i++) {
    const v = seq[i] as number
    let lo = 0
    let hi = tails.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((seq[tails[mid] as number] as number) < v) lo = mid + 1
      else hi = mid
    }
    if (lo > 0) prev[i] = tails[lo - 1] as number
    tails[lo] = i
  }
  const out: number[] = []
  for (let i = tails.at(-1) ?? -1; i !== -1; i = prev[i] as number) out.push(i)
  return out.reverse()
}

function uniquePositions(list: ArrayLike<number>, start: number, end: number): Map<number, number> {
  const seen = new Map<number, number>()
  for (let i = start; i < end; i++) {
    const v = list[i] as number
    seen.set(v, seen.has(v) ? -1 : i)
  }
  return seen
}

/** Compares fingerprints; equal fingerprints are treated as equal rows. */
export function diffRows(before: ArrayLike<number>, after: ArrayLike<number>): RowChanges {
  const out: RowChanges = { changed: [], added: [], removed: [] }
  const stack: Gap[] = [{ oldStart: 0, oldEnd: before.length, newStart: 0, newEnd: after.length }]
  while (stack.length > 0) {
    const g = stack.pop() as Gap
    let { oldStart, oldEnd, newStart, newEnd } = g
    while (oldStart < oldEnd && newStart < newEnd && before[oldStart] === after[newStart]) {
      oldStart++
      newStart++
    }
    while (oldStart < oldEnd && newStart < newEnd && before[oldEnd - 1] === after[newEnd - 1]) {
      oldEnd--
      newEnd--
    }
    if (oldStart === oldEnd || newStart === newEnd) {
      for (let i = oldStart; i < oldEnd; i++) out.removed.push(i)
      for (let j = newStart; j < newEnd; j++) out.added.push(j)
      continue
    }
    const inOld = uniquePositions(before, oldStart, oldEnd)
    const inNew = uniquePositions(after, newStart, newEnd)
    const pairs: [number, number][] = []
    for (let j = newStart; j < newEnd; j++) {
      const v = after[j] as number
      const i = inOld.get(v)
      if (i !== undefined && i >= 0 && inNew.get(v) === j) pairs.push([i, j])
    }
    const anchors = longestIncreasing(pairs.map((p) => p[0])).map((k) => pairs[k] as [number, number])
    if (anchors.length === 0) {
      // Nothing in common: pair the rows up as edits, the surplus is added or removed.
      const common = Math.min(oldEnd - oldStart, newEnd - newStart)
      for (let k = 0; k < common; k++) out.changed.push({ row: newStart + k, previous: oldStart + k })
      for (let i = oldStart + common; i < oldEnd; i++) out.removed.push(i)
      for (let j = newStart + common; j < newEnd; j++) out.added.push(j)
      continue
    }
    let o = oldStart
    let n = newStart
    for (const [i, j] of anchors) {
      stack.push({ oldStart: o, oldEnd: i, newStart: n, newEnd: j })
      o = i + 1
      n = j + 1
    }
    stack.push({ oldStart: o, oldEnd, newStart: n, newEnd })
  }
  out.changed.sort((a, b) => a.row - b.row)
  out.added.sort((a, b) => a - b)
  out.removed.sort((a, b) => a - b)
  return out
}
