import { DEFAULT_MISSING_VALUES } from './cell.js'

/** Sizes of the sketches and samples a profile keeps; memory per column is bounded by them. */
export interface ProfileOptions {
  /** Seed of every random choice (samples, sketch compaction): same data + seed → same files. */
  seed: number
  /** Values kept per column for drift tests and calibration (uniform reservoir). */
  sampleSize: number
  /** Texts kept per text column (truncated to 1,000 characters). */
  textSampleSize: number
  /** Distinct categories counted exactly before the frequent-items sketch starts to approximate. */
  categoryCapacity: number
  /** Tokens tracked per text column. */
  vocabularySize: number
  /** A numeric column's values are counted as categories while it has at most this many distinct values. */
  numericCategoryLimit: number
  /** KLL accuracy parameter (rank error ≈ 1.65 % at 200). */
  kllK: number
  /** Cell spellings read as missing. */
  missingValues: readonly string[]
  /** First string values of a column looked at to decide whether it is free text. */
  textDecisionValues: number
}

export const DEFAULT_PROFILE_OPTIONS: ProfileOptions = {
  seed: 1,
  sampleSize: 10_000,
  textSampleSize: 1_000,
  categoryCapacity: 1_024,
  vocabularySize: 4_096,
  numericCategoryLimit: 64,
  kllK: 200,
  missingValues: DEFAULT_MISSING_VALUES,
  textDecisionValues: 256,
}
