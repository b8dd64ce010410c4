/** Training-data integrity: the library API (see docs/integrity.md). */
export { scanDataset, scanLoaded, collectExcerpts, MAX_DUPLICATE_GROUPS } from './scan.js'
export type { ScanOptions, ScanProgress, ScanReport, LabelIssueEntry, TriggerEntry, OutlierEntry, DuplicateEntry } from './scan.js'
export { renderScanHtml } from './html-report.js'
export { parseFailOn, evaluateGates, GATE_KINDS, type Gate, type GateKind, type GateResult } from './fail-on.js'
export { findLabelIssues, type LabelIssue, type ConfidentLearningResult } from './label-issues.js'
export { readCsv, readJsonl, readRecords, detectFormat, CsvParser, type DataRecord, type DataFormat, type CellValue } from './readers.js'
export { loadDataset, type Dataset, type Column } from './table.js'
export { poisonRecords, writeRecords, type PoisonSpec, type PoisonResult } from './poison.js'
export {
  signDataset,
  verifyDataset,
  describeVerification,
  listDataFiles,
  readManifest,
  writeManifest,
  digestFile,
  manifestSchema,
  type Manifest,
  type VerifyResult,
  type FileVerification,
  type DataFile,
} from './manifest.js'
export { loadOrCreateDataDirKey, loadSigningKey, findDataDirKey, parseSigningKey, parsePublicKey, SIGNING_KEY_FILE_NAME, type SigningKey } from './signing-key.js'
export { merkleRoot, inclusionProof, verifyInclusion, leafHash, MerkleAccumulator } from './merkle.js'
export { diffRows, type RowChanges } from './row-diff.js'
