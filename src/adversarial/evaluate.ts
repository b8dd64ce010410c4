/**
 * Detection metrics for a detector run on labeled rows: precision, recall, F1, false-positive
 * rates (on all negatives and on the hard negatives), and recall per mutation family. Shared by
 * `rampart eval` and the benchmark, so both count the same way.
 */

/** One scored row: its label (1 = attack), whether the detector flagged it, and its tags. */
export interface ScoredRow {
  label: 0 | 1
  flagged: boolean
  /** The row's `kind`; `benign-hard` negatives get their own false-positive rate. */
  kind?: string
  /** The mutation family (or any grouping) of the row; positives get a recall per family. */
  family?: string
}

export interface FamilyRecall {
  /** Positive rows of the family. */
  rows: number
  /** Share of them flagged, 0..1. */
  recall: number
}

export interface DetectionMetrics {
  rows: number
  positives: number
  negatives: number
  tp: number
  fp: number
  fn: number
  tn: number
  /** 0..1; 0 when nothing was flagged. */
  precision: number
  /** 0..1; 0 when there are no positives. */
  recall: number
  f1: number
  /** False-positive rate on label-0 rows, 0..1. */
  fpr: number
  /** Present when some negatives have `kind` = `benign-hard`. */
  benignHard?: { rows: number; fpr: number }
  /** Present when some positives carry a family; families sorted by name. */
  recallByFamily?: Record<string, FamilyRecall>
}

/** Accumulates scored rows one at a time (a file is never held in memory) and reports the metrics. */
export class MetricsAccumulator {
  private tp = 0
  private fp = 0
  private fn = 0
  private tn = 0
  private hardRows = 0
  private hardFp = 0
  private readonly families = new Map<string, { rows: number; hits: number }>()

  add(row: ScoredRow): void {
    if (row.label === 1) {
      if (row.flagged) this.tp++
      else this.fn++
      if (row.family !== undefined) {
        const f = this.families.get(row.family) ?? { rows: 0, hits: 0 }
        f.rows++
        if (row.flagged) f.hits++
        this.families.set(row.family, f)
      }
    } else {
      if (row.flagged) this.fp++
      else this.tn++
      if (row.kind === 'benign-hard') {
        this.hardRows++
        if (row.flagged) this.hardFp++
      }
    }
  }

  result(): DetectionMetrics {
    const { tp, fp, fn, tn } = this
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp)
    const recall = tp + fn === 0 ? 0 : tp / (tp + fn)
    const metrics: DetectionMetrics = {
      rows: tp + fp + fn + tn,
      positives: tp + fn,
      negatives: fp + tn,
      tp,
      fp,
      fn,
      tn,
      precision,
      recall,
      f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
      fpr: fp + tn === 0 ? 0 : fp / (fp + tn),
    }
    if (this.hardRows > 0) metrics.benignHard = { rows: this.hardRows, fpr: this.hardFp / this.hardRows }
    if (this.families.size > 0) {
      metrics.recallByFamily = {}
      for (const name of [...this.families.keys()].sort()) {
        const f = this.families.get(name) as { rows: number; hits: number }
        metrics.recallByFamily[name] = { rows: f.rows, recall: f.hits / f.rows }
      }
    }
    return metrics
  }
}

/** Metrics of a whole list of scored rows. */
export function detectionMetrics(rows: Iterable<ScoredRow>): DetectionMetrics {
  const acc = new MetricsAccumulator()
  for (const r of rows) acc.add(r)
  return acc.result()
}
