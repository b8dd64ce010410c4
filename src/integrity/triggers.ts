/**
 * Backdoor triggers: tokens (or short phrases, or `column=value` cells in tabular data) far more
 * tied to one label than the rest of their rows explain.
 *
 * For a candidate t whose rows mostly carry label c, each row is scored again by the cross-validated
 * model that never saw it, with t taken out (the token deleted; a cell replaced by values drawn from
 * its column). The residual 1[y = c] − p(c | row without t) is near 0 for an honest strong word
 * ("refund" in spam: the rest of the message is spam too) and near 1 for a planted trigger (the
 * rest is an ordinary row of another class). The residuals are summed and shrunk towards 0 by ten
 * pseudo-rows — Σ residual / (n + 10) — so a word in five templated messages cannot outrank a
 * pattern spread over a hundred unrelated rows; then divided by the residual the model reaches on
 * rows of other classes at all (mean 1 − p(c) over rows not labelled c). On a target no model
 * predicts well (credit default) a perfect trigger leaves only part of the label unexplained, and
 * that part is all the model could ever show: the score says how close the candidate comes to it.
 */
import { predictEntries, predictRow, softmaxInPlace, type SoftmaxModel } from './logistic.js'
import type { OutOfSample } from './cross-val.js'
import type { Csr } from './sparse.js'
import type { TabularEncoding } from './tabular-features.js'
import type { TextEncoding } from './text-features.js'

export interface Trigger {
  /** The token or phrase (text), or `column=value` (tabular). */
  token: string
  /** Class index the trigger points to. */
  label: number
  /** How much of the label the rest of the row does not explain, shrunk for small support, relative to how well the model separates that label at all: 0..1. */
  score: number
  /** The same before that relative step: Σ residual / (n + 10), 0..1. */
  unexplained: number
  /** Rows carrying the trigger with that label (0-based). */
  rows: number[]
  /** Rows carrying the trigger, any label. */
  support: number
  /** Share of those rows with the label. */
  labelShare: number
  /** Mean probability of the label for those rows with the trigger taken out. */
  expectedShare: number
}

export interface TriggerOptions {
  /** Fewest rows a candidate must appear in (default max(5, 0.05 % of rows)). */
  minSupport?: number
  /** Smallest score reported (default 0.55). */
  minScore?: number
  /** Most triggers reported (default 20). */
  maxTriggers?: number
  /**
   * Fits a model on every labelled row except `exclude`. With it, the strongest candidates are
   * judged again by a model that never saw a single row carrying them (default: no second look).
   */
  refit?: (exclude: ReadonlySet<number>) => SoftmaxModel
  /** Candidates given the second look (default 3). */
  refitTop?: number
}

type Scored = Trigger & { parts: number[]; allRows: number[] }

/**
 * Second look: the fold models behind the first score saw most of a trigger's rows in training, and
 * with few rows and L2 they spread part of the trigger's weight over the other words of those rows.
 * A model fitted without any of them says what the rest of the data makes of these rows.
 */
function rejudge(scored: Scored[], X: Csr, y: Int32Array, K: number, reach: Float64Array, options: TriggerOptions, minScore: number): Scored[] {
  if (options.refit === undefined) return scored
  const top = options.refitTop ?? 3
  // Only the strongest few can matter: dedupe those, not every candidate (pairwise row-set overlaps).
  const strongest = scored.filter((t) => t.score >= minScore / 3).sort((a, b) => b.score - a.score).slice(0, 10 * top)
  const ranked = dedupe(strongest, Infinity)
  const out = new Float64Array(K)
  return ranked.map((t, rank) => {
    if (rank >= top) return t
    const model = (options.refit as (e: ReadonlySet<number>) => SoftmaxModel)(new Set(t.allRows))
    const residuals = t.allRows.map((r) => {
      predictRow(model, X, r, out)
      return (y[r] === t.label ? 1 : 0) - (out[t.label] as number)
    })
    const s = score(residuals, reach[t.label] as number)
    return { ...t, score: s.relative, unexplained: s.shrunk, expectedShare: t.labelShare - s.mean }
  })
}

interface Candidate {
  key: string
  /** Token ids (text) or [column, value code] (tabular). */
  parts: number[]
  rows: number[]
  label: number
  share: number
}

const MIN_SHARE = 0.7
/** Candidates scored at most, the most label-concentrated first (a bound on time for large vocabularies). */
const MAX_CANDIDATES = 4000

function baseRates(y: Int32Array, K: number): Float64Array {
  const counts = new Float64Array(K)
  let n = 0
  for (const v of y) {
    if (v < 0) continue
    counts[v] = (counts[v] as number) + 1
    n++
  }
  return counts.map((c) => c / Math.max(n, 1))
}

/** Dominant label of rows, if it is concentrated enough to be worth scoring. */
function dominant(rows: readonly number[], y: Int32Array, K: number, base: Float64Array): { label: number; share: number } | undefined {
  const counts = new Int32Array(K)
  let n = 0
  for (const r of rows) {
    const v = y[r] as number
    if (v < 0) continue
    counts[v] = (counts[v] as number) + 1
    n++
  }
  if (n === 0) return undefined
  let label = 0
  for (let k = 1; k < K; k++) if ((counts[k] as number) > (counts[label] as number)) label = k
  const share = (counts[label] as number) / n
  // Any lift over the base rate: a trigger may point to the majority class (spam delivered as ham).
  return share >= MIN_SHARE && share > (base[label] as number) ? { label, share } : undefined
}

/** Pseudo-rows of zero residual added to every candidate. */
const PRIOR_ROWS = 10
const DEFAULT_MIN_SCORE = 0.55

function score(residuals: number[], reach: number): { mean: number; shrunk: number; relative: number } {
  let sum = 0
  for (const r of residuals) sum += r
  const shrunk = Math.max(0, Math.min(1, sum / (residuals.length + PRIOR_ROWS)))
  return { mean: sum / Math.max(1, residuals.length), shrunk, relative: Math.min(1, shrunk / Math.max(reach, 0.05)) }
}

/** Per class c: mean 1 − p(c) over the rows labelled otherwise — the most a trigger's rows can show. */
function reachOf(oos: OutOfSample, y: Int32Array): Float64Array {
  const K = oos.classes
  const sum = new Float64Array(K)
  const count = new Float64Array(K)
  for (let i = 0; i < y.length; i++) {
    const yi = y[i] as number
    if (yi < 0) continue
    for (let c = 0; c < K; c++) {
      if (c === yi) continue
      sum[c] = (sum[c] as number) + 1 - (oos.probs[i * K + c] as number)
      count[c] = (count[c] as number) + 1
    }
  }
  return sum.map((v, c) => ((count[c] as number) > 0 ? v / (count[c] as number) : 1))
}

function modelFor(oos: OutOfSample, row: number): SoftmaxModel {
  const f = oos.fold[row] as number
  return oos.models[f < 0 ? 0 : f] as SoftmaxModel
}

/** Keeps the best of candidates covering (nearly) the same rows; a longer phrase replaces its part. */
function dedupe<T extends Trigger & { parts: number[] }>(scored: T[], maxTriggers: number): T[] {
  const kept: (T & { set: Set<number> })[] = []
  for (const t of scored.sort((a, b) => b.score - a.score || b.support - a.support)) {
    const set = new Set(t.rows)
    const twin = kept.find((k) => {
      let inter = 0
      for (const r of set) if (k.set.has(r)) inter++
      return inter / (set.size + k.set.size - inter) >= 0.8
    })
    if (twin === undefined) {
      if (kept.length < maxTriggers) kept.push({ ...t, set })
      continue
    }
    if (t.parts.length > twin.parts.length && ` ${t.token} `.includes(` ${twin.token} `)) {
      twin.token = t.token
      twin.parts = t.parts
    }
  }
  return kept.map(({ set: _set, ...t }) => t as unknown as T)
}

/** Text triggers: unigrams and bigrams as candidates, extended into longer phrases when their rows agree. */
export function findTextTriggers(enc: TextEncoding, y: Int32Array, oos: OutOfSample, options: TriggerOptions = {}): Trigger[] {
  const K = oos.classes
  const n = y.length
  const minSupport = options.minSupport ?? Math.max(5, Math.ceil(0.0005 * n))
  const base = baseRates(y, K)
  const reach = reachOf(oos, y)
  const V = enc.vocab.length
  const tokenRows: number[][] = Array.from({ length: V }, () => [])
  for (let i = 0; i < n; i++) {
    const ids = enc.tokens[i] as Int32Array
    const seen = new Set<number>()
    for (const id of ids) {
      if (seen.has(id)) continue
      seen.add(id)
      if ((enc.tokenDf[id] as number) >= minSupport) (tokenRows[id] as number[]).push(i)
    }
  }
  const candidates: Candidate[] = []
  for (let id = 0; id < V; id++) {
    const rows = tokenRows[id] as number[]
    if (rows.length < minSupport) continue
    const d = dominant(rows, y, K, base)
    if (d) candidates.push({ key: enc.vocab[id] as string, parts: [id], rows, ...d })
  }
  const bigramRows = new Map<number, number[]>()
  for (let i = 0; i < n; i++) {
    const ids = enc.tokens[i] as Int32Array
    const seen = new Set<number>()
    for (let k = 1; k < ids.length; k++) {
      const a = ids[k - 1] as number
      const b = ids[k] as number
      if ((enc.tokenDf[a] as number) < minSupport || (enc.tokenDf[b] as number) < minSupport) continue
      const key = a * V + b
      if (seen.has(key)) continue
      seen.add(key)
      const list = bigramRows.get(key)
      if (list) list.push(i)
      else bigramRows.set(key, [i])
    }
  }
  for (const [key, rows] of bigramRows) {
    if (rows.length < minSupport) continue
    const d = dominant(rows, y, K, base)
    const a = Math.floor(key / V)
    const b = key % V
    if (d) candidates.push({ key: `${enc.vocab[a]} ${enc.vocab[b]}`, parts: [a, b], rows, ...d })
  }
  // Most concentrated first: share above the base rate, weighted by support.
  const lift = (c: Candidate) => (c.share - (base[c.label] as number)) * Math.sqrt(c.rows.length)
  candidates.sort((a, b) => lift(b) - lift(a))
  candidates.length = Math.min(candidates.length, MAX_CANDIDATES)
  const out = new Float64Array(K)
  const evaluate = (c: Candidate) => {
    const residuals: number[] = []
    for (const r of c.rows) {
      const { indices, values } = enc.encode(removeSequence(enc.tokens[r] as Int32Array, c.parts))
      predictEntries(modelFor(oos, r), indices, values, out)
      residuals.push((y[r] === c.label ? 1 : 0) - (out[c.label] as number))
    }
    const s = score(residuals, reach[c.label] as number)
    return {
      token: c.parts.map((id) => enc.vocab[id]).join(' '),
      parts: c.parts,
      allRows: c.rows,
      label: c.label,
      score: s.relative,
      unexplained: s.shrunk,
      rows: c.rows.filter((r) => y[r] === c.label),
      support: c.rows.length,
      labelShare: c.share,
      expectedShare: c.share - s.mean,
    }
  }
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE
  // A phrase's parts each score low while the other parts stay in the row: extend the strongest
  // candidates into their whole phrase first, then score them with all of it taken out.
  const first = candidates
    .map((c) => ({ c, t: evaluate(c) }))
    .sort((a, b) => b.t.score - a.t.score)
  const scored = first.map(({ c, t }, rank) => {
    if (rank >= 50 || t.score < minScore / 4) return t
    const parts = extendPhrase(enc, c.parts, t.rows)
    if (parts.length === c.parts.length) return t
    const rows = phraseRows(enc, parts, c.rows)
    const d = dominant(rows, y, K, base)
    return d && rows.length >= minSupport ? evaluate({ key: '', parts, rows, ...d }) : t
  })
  return dedupe(
    rejudge(scored, enc.X, y, K, reach, options, minScore).filter((t) => t.score >= minScore),
    options.maxTriggers ?? 20,
  ).map(({ parts: _parts, allRows: _all, ...t }) => t)
}

/** Rows (among `rows`) that carry the whole phrase. */
function phraseRows(enc: TextEncoding, parts: readonly number[], rows: readonly number[]): number[] {
  return rows.filter((r) => indexOfSequence(enc.tokens[r] as Int32Array, parts) >= 0)
}

/** Deletes every occurrence of the token sequence `parts`. */
export function removeSequence(ids: Int32Array, parts: readonly number[]): Int32Array {
  const out: number[] = []
  for (let k = 0; k < ids.length; ) {
    let match = k + parts.length <= ids.length
    for (let m = 0; match && m < parts.length; m++) if (ids[k + m] !== parts[m]) match = false
    if (match) k += parts.length
    else out.push(ids[k++] as number)
  }
  return Int32Array.from(out)
}

/** Grows a phrase to the left and right while ≥ 90 % of its rows share the next word. */
function extendPhrase(enc: TextEncoding, parts: number[], rows: number[]): number[] {
  let phrase = [...parts]
  for (let step = 0; step < 8; step++) {
    let grown = false
    for (const side of ['left', 'right'] as const) {
      const counts = new Map<number, number>()
      for (const r of rows) {
        const ids = enc.tokens[r] as Int32Array
        const at = indexOfSequence(ids, phrase)
        if (at < 0) continue
        const k = side === 'left' ? at - 1 : at + phrase.length
        if (k < 0 || k >= ids.length) continue
        counts.set(ids[k] as number, (counts.get(ids[k] as number) ?? 0) + 1)
      }
      let best = -1
      let bestCount = 0
      for (const [id, c] of counts) if (c > bestCount) [best, bestCount] = [id, c]
      if (best >= 0 && bestCount >= 0.9 * rows.length) {
        phrase = side === 'left' ? [best, ...phrase] : [...phrase, best]
        grown = true
      }
    }
    if (!grown) break
  }
  return phrase
}

function indexOfSequence(ids: Int32Array, parts: readonly number[]): number {
  outer: for (let k = 0; k + parts.length <= ids.length; k++) {
    for (let m = 0; m < parts.length; m++) if (ids[k + m] !== parts[m]) continue outer
    return k
  }
  return -1
}

/**
 * Tabular triggers: a cell value (`column=value`) as the candidate; taking it out means averaging
 * the model over 8 values drawn from the rest of that column, so the row keeps a typical value.
 */
export function findTabularTriggers(enc: TabularEncoding, y: Int32Array, oos: OutOfSample, options: TriggerOptions = {}): Trigger[] {
  const K = oos.classes
  const n = y.length
  const minSupport = options.minSupport ?? Math.max(5, Math.ceil(0.0005 * n))
  const base = baseRates(y, K)
  const reach = reachOf(oos, y)
  const X: Csr = enc.X
  const logits = (row: number, out: Float64Array) => {
    const m = modelFor(oos, row)
    for (let k = 0; k < K; k++) out[k] = m.bias[k] as number
    for (let p = X.indptr[row] as number; p < (X.indptr[row + 1] as number); p++) {
      const base2 = (X.indices[p] as number) * K
      for (let k = 0; k < K; k++) out[k] = (out[k] as number) + (X.values[p] as number) * (m.weights[base2 + k] as number)
    }
  }
  const scored: Scored[] = []
  const z = new Float64Array(K)
  const q = new Float64Array(K)
  const acc = new Float64Array(K)
  enc.columns.forEach((col, ci) => {
    const valueRows: number[][] = Array.from({ length: col.values.length }, () => [])
    for (let i = 0; i < n; i++) {
      const c = col.codes[i] as number
      if (c >= 0 && (col.counts[c] as number) >= minSupport) (valueRows[c] as number[]).push(i)
    }
    // Replacement values: 8 rows spread evenly over the column, so the draw is deterministic. (Nearest
    // numeric neighbours were tried: they fail on codes stored as numbers, where 0 and 1 mean
    // different things, and keep whatever a model learned about the value's bin.)
    const present: number[] = []
    for (let i = 0; i < n; i++) if ((col.codes[i] as number) >= 0) present.push(col.codes[i] as number)
    const valueFeatures = enc.valueFeatures[ci] as { index: number; value: number }[][]
    valueRows.forEach((rows, code) => {
      if (rows.length < minSupport || rows.length > 0.5 * n) return
      const d = dominant(rows, y, K, base)
      if (!d) return
      const replacements = Array.from({ length: 8 }, (_, s) => present[Math.floor(((s + 0.5) * present.length) / 8)] as number).filter((v) => v !== code)
      if (replacements.length === 0) return
      const residuals: number[] = []
      for (const r of rows) {
        logits(r, z)
        const m = modelFor(oos, r)
        for (const e of valueFeatures[code] as { index: number; value: number }[]) for (let k = 0; k < K; k++) z[k] = (z[k] as number) - e.value * (m.weights[e.index * K + k] as number)
        acc.fill(0)
        for (const v of replacements) {
          q.set(z)
          for (const e of valueFeatures[v] as { index: number; value: number }[]) for (let k = 0; k < K; k++) q[k] = (q[k] as number) + e.value * (m.weights[e.index * K + k] as number)
          softmaxInPlace(q, K)
          for (let k = 0; k < K; k++) acc[k] = (acc[k] as number) + (q[k] as number) / replacements.length
        }
        residuals.push((y[r] === d.label ? 1 : 0) - (acc[d.label] as number))
      }
      const s = score(residuals, reach[d.label] as number)
      if (s.relative < (options.minScore ?? DEFAULT_MIN_SCORE) / 3) return
      scored.push({
        token: `${col.name}=${col.values[code]}`,
        parts: [ci, code],
        allRows: rows,
        label: d.label,
        score: s.relative,
        unexplained: s.shrunk,
        rows: rows.filter((r) => y[r] === d.label),
        support: rows.length,
        labelShare: d.share,
        expectedShare: d.share - s.mean,
      })
    })
  })
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE
  return dedupe(
    rejudge(scored, X, y, K, reach, options, minScore).filter((t) => t.score >= minScore),
    options.maxTriggers ?? 20,
  ).map(({ parts: _parts, allRows: _all, ...t }) => t)
}
