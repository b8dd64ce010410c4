import { statSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import type { KeyObject } from 'node:crypto'
import { Option, type Command } from 'commander'
import { z } from 'zod'
import { RampartError } from '../../core/errors.js'
import { evaluateGates, GATE_KINDS, parseFailOn, type GateResult } from '../../integrity/fail-on.js'
import type { ScanProgress, ScanReport } from '../../integrity/scan.js'
import type { SigningKey } from '../../integrity/signing-key.js'
import { writeLine } from '../io.js'
import { createProgress } from '../progress.js'
import { parseFlags } from './flags.js'

// The integrity code loads when a data command runs, so other commands start as fast as before.
const scanModule = () => import('../../integrity/scan.js')
const manifestModule = () => import('../../integrity/manifest.js')
const keyModule = () => import('../../integrity/signing-key.js')

/** Exit status of `data scan` when a `--fail-on` limit was exceeded (the report is still written). */
export const EXIT_GATE_FAILED = 5
/** Exit status of `data verify` when the data or the signature does not match (as `audit verify`). */
export const EXIT_VERIFY_FAILED = 4

const number01 = z.coerce.number().min(0).max(1)

export const dataScanFlagsSchema = z
  .object({
    data: z.string().min(1),
    label: z.string().min(1),
    text: z.string().min(1).optional(),
    out: z.string().min(1),
    html: z.string().min(1).optional(),
    previous: z.string().min(1).optional(),
    failOn: z.string().min(1).optional(),
    format: z.enum(['csv', 'jsonl']).optional(),
    ignore: z
      .string()
      .optional()
      .transform((v) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s !== ''))),
    folds: z.coerce.number().int().min(2).max(20).default(5),
    seed: z.coerce.number().int().min(0).default(0),
    outlierThreshold: number01.optional(),
    duplicateThreshold: number01.optional(),
    triggerMinScore: number01.optional(),
    c: z.coerce.number().positive().optional(),
    pretty: z.boolean().default(false),
  })
  .strict()

export type DataScanFlags = z.infer<typeof dataScanFlagsSchema>

const STAGES: Record<ScanProgress['stage'], string> = {
  read: 'reading',
  encode: 'encoding features',
  model: 'cross-validating the model',
  triggers: 'searching for triggers',
  outliers: 'scoring outliers',
  duplicates: 'finding duplicates',
  previous: 'comparing with the previous version',
}

/** Stage lines on stderr for long scans; the read stage reuses the CLI's byte progress. */
function scanProgress(file: string): (p: ScanProgress) => void {
  let size: number | undefined
  try {
    size = statSync(file).size
  } catch {
    size = undefined
  }
  const reading = createProgress(`read ${file}`, size)
  const started = performance.now()
  let last: string | undefined
  return (p) => {
    if (p.stage === 'read') {
      reading.update(p.done, p.bytes ?? 0)
      return
    }
    if (last === 'read' || last === undefined) reading.finish(p.done, size ?? 0)
    const label = `${STAGES[p.stage]}${p.total !== undefined ? ` (${p.done}/${p.total})` : ''}`
    if (label === last) return
    last = p.stage === 'model' && p.done < (p.total ?? 0) ? label : p.stage
    // Quick scans stay quiet; a long one says what it is doing.
    if (performance.now() - started > 1_000 || process.stderr.isTTY) process.stderr.write(`rampart data scan: ${label}…\n`)
  }
}

async function writeOutput(path: string, text: string): Promise<void> {
  if (path === '-') {
    await writeLine(text.replace(/\n$/, ''))
    return
  }
  try {
    await writeFile(path, text)
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `cannot write ${path}: ${(cause as Error).message}`, { path, cause })
  }
}

function summaryLine(report: ScanReport, gates: GateResult[] | undefined): string {
  const c = report.counts
  const parts = [
    `${report.rows} rows`,
    `${c.label_issues} label issues`,
    `${c.triggers} triggers (${c.trigger_rows} rows)`,
    `${c.outliers} outliers`,
    `${c.duplicate_groups} duplicate groups (${c.conflicting_groups} with conflicting labels)`,
  ]
  if (report.diff) parts.push(`${report.diff.relabelled_count} relabelled since the previous version`)
  let line = `rampart data scan: ${parts.join(', ')}`
  const failed = gates?.filter((g) => g.failed) ?? []
  if (failed.length > 0) line += `\nrampart data scan: GATE FAILED: ${failed.map((g) => `${g.kind} ${g.count} > ${g.allowed}`).join(', ')}`
  return line
}

export async function runDataScan(flags: DataScanFlags): Promise<number> {
  const gates = flags.failOn === undefined ? undefined : parseFailOn(flags.failOn)
  const { scanDataset, collectExcerpts } = await scanModule()
  const report = await scanDataset(flags.data, {
    label: flags.label,
    text: flags.text,
    format: flags.format,
    ignore: flags.ignore,
    folds: flags.folds,
    seed: flags.seed,
    previous: flags.previous,
    outlierThreshold: flags.outlierThreshold,
    duplicateThreshold: flags.duplicateThreshold,
    triggerMinScore: flags.triggerMinScore,
    regularizationC: flags.c,
    onProgress: scanProgress(flags.data),
  })
  const results = gates === undefined ? undefined : evaluateGates(report, gates)
  const json = results === undefined ? report : { ...report, gate: { failed: results.some((g) => g.failed), checks: results } }
  await writeOutput(flags.out, `${flags.pretty ? JSON.stringify(json, null, 2) : JSON.stringify(json)}\n`)
  if (flags.html !== undefined) {
    const rows = new Set<number>([
      ...report.label_issues.slice(0, 100).map((i) => i.row),
      ...report.outliers.slice(0, 100).map((o) => o.row),
      ...report.duplicates.slice(0, 100).map((d) => d.rows[0] as number),
    ])
    const excerpts = await collectExcerpts(flags.data, rows, { text: flags.text, format: flags.format })
    const { renderScanHtml } = await import('../../integrity/html-report.js')
    await writeOutput(flags.html, renderScanHtml(report, { excerpts, ...(results ? { gates: results } : {}) }))
  }
  process.stderr.write(`${summaryLine(report, results)}\n`)
  return results?.some((g) => g.failed) === true ? EXIT_GATE_FAILED : 0
}

const dataDirOf = (flag: unknown) => (typeof flag === 'string' && flag !== '' ? flag : (process.env.RAMPART_DATA_DIR ?? './rampart-data'))

export const dataSignFlagsSchema = z
  .object({
    data: z.array(z.string().min(1)).min(1),
    out: z.string().min(1),
    key: z.string().min(1).optional(),
    dataDir: z.string().min(1).optional(),
  })
  .strict()

export async function runDataSign(raw: Record<string, unknown>): Promise<number> {
  const flags = parseFlags(dataSignFlagsSchema, raw)
  const { loadOrCreateDataDirKey, loadSigningKey } = await keyModule()
  const { listDataFiles, signDataset, writeManifest } = await manifestModule()
  let key: SigningKey
  if (flags.key !== undefined) key = await loadSigningKey(flags.key)
  else {
    const dir = dataDirOf(flags.dataDir)
    const found = await loadOrCreateDataDirKey(dir)
    if (found.created) process.stderr.write(`rampart data sign: generated a signing key in ${found.path} (key ${found.key.keyId}); share its public half with \`rampart data public-key\`\n`)
    key = found.key
  }
  const files = await listDataFiles(flags.data, [flags.out])
  const total = files.reduce((a, f) => a + statSync(f.path).size, 0)
  const progress = createProgress('sign', total)
  let before = 0
  let current = ''
  let last = 0
  const manifest = await signDataset(files, {
    key,
    onBytes: (name, bytes) => {
      if (name !== current) {
        before += last
        current = name
      }
      last = bytes
      progress.update(0, before + bytes)
    },
  })
  progress.finish(0, total)
  await writeManifest(flags.out, manifest)
  for (const f of manifest.files) process.stderr.write(`rampart data sign: ${f.path}: ${f.bytes} bytes${f.rows ? `, ${f.rows.count} rows` : ''}, sha256 ${f.sha256.slice(0, 16)}…\n`)
  process.stderr.write(`rampart data sign: wrote ${flags.out} (${manifest.files.length} file${manifest.files.length === 1 ? '' : 's'}, signed by key ${key.keyId})\n`)
  return 0
}

export const dataVerifyFlagsSchema = z
  .object({
    data: z.array(z.string().min(1)).min(1),
    manifest: z.string().min(1),
    publicKey: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    dataDir: z.string().min(1).optional(),
    json: z.boolean().default(false),
  })
  .strict()

async function trustedKey(flags: z.infer<typeof dataVerifyFlagsSchema>): Promise<KeyObject> {
  const { findDataDirKey, parsePublicKey } = await keyModule()
  const fromFile = async (path: string) => {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_KEY_PROVIDER', `cannot read ${path}: ${(cause as Error).message}`, { path, cause })
    }
    return parsePublicKey(text, path)
  }
  if (flags.publicKey !== undefined) return fromFile(flags.publicKey)
  if (flags.key !== undefined) return fromFile(flags.key)
  const dir = dataDirOf(flags.dataDir)
  const key = await findDataDirKey(dir)
  if (key === undefined) {
    throw new RampartError('RAMPART_ERR_KEY_PROVIDER', `no key to trust: ${dir} holds no signing key; give --public-key FILE (from \`rampart data public-key\` where the data was signed) or --data-dir`, { path: '--public-key' })
  }
  return key.publicKey
}

export async function runDataVerify(raw: Record<string, unknown>): Promise<number> {
  const flags = parseFlags(dataVerifyFlagsSchema, raw)
  const publicKey = await trustedKey(flags)
  const { describeVerification, listDataFiles, readManifest, verifyDataset } = await manifestModule()
  const manifest = await readManifest(flags.manifest)
  const files = await listDataFiles(flags.data, [flags.manifest])
  const isDirectory = flags.data.length === 1 && statSync(flags.data[0] as string).isDirectory()
  const result = await verifyDataset(manifest, files, { publicKey, reportAdded: isDirectory })
  if (flags.json) await writeLine(JSON.stringify(result))
  else for (const line of describeVerification(result)) await writeLine(line)
  return result.ok ? 0 : EXIT_VERIFY_FAILED
}

export async function runDataPublicKey(raw: Record<string, unknown>): Promise<number> {
  const dir = dataDirOf(raw.dataDir)
  const { loadOrCreateDataDirKey } = await keyModule()
  const { key, created, path } = await loadOrCreateDataDirKey(dir)
  if (created) process.stderr.write(`rampart data public-key: generated a signing key in ${path}\n`)
  await writeLine((key.publicKey.export({ type: 'spki', format: 'pem' }) as string).trimEnd())
  return 0
}

/** `rampart data scan|sign|verify|public-key`. */
export function registerDataCommands(program: Command, setCode: (code: number) => void): void {
  const data = program.command('data').description('Training-data integrity: find poisoned rows, sign datasets, verify them later.')
  data
    .command('scan')
    .description(
      `Scan a labelled CSV or JSONL dataset for label issues (confident learning on cross-validated models), backdoor triggers, outliers, duplicates with conflicting labels, class balance and column summaries. Writes a JSON report (and an HTML page with --html). Exit 0 when the scan ran; ${EXIT_GATE_FAILED} when a --fail-on limit was exceeded.`,
    )
    .requiredOption('--data <file>', 'dataset (CSV with a header row, or JSON Lines)')
    .requiredOption('--label <column>', 'column holding the label')
    .option('--text <column>', 'column holding free text: model the text (hashed word n-grams) instead of the other columns')
    .requiredOption('--out <file>', "JSON report ('-' for stdout)")
    .option('--html <file>', 'also write a self-contained HTML report with charts')
    .option('--previous <file>', 'previous version of the dataset: report rows added, removed and relabelled, and shifts')
    .option('--fail-on <limits>', `exit ${EXIT_GATE_FAILED} when a count exceeds its limit, e.g. label_issues:2%,triggers:0 (kinds: ${GATE_KINDS.join(', ')})`)
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'jsonl']))
    .option('--ignore <columns>', 'comma-separated columns to leave out (ids, copies of the label)')
    .option('--folds <n>', 'cross-validation folds', '5')
    .option('--seed <n>', 'seed for folds and forests (same seed, same report)', '0')
    .option('--outlier-threshold <x>', 'smallest isolation-forest score reported, 0..1 (default 0.6)')
    .option('--duplicate-threshold <x>', 'Jaccard similarity for near-duplicate texts, 0..1 (default 0.8)')
    .option('--trigger-min-score <x>', 'smallest trigger score reported, 0..1 (default 0.55)')
    .option('--c <x>', 'inverse L2 strength of the model (default 1 tabular, 3 text)')
    .option('--pretty', 'indent the JSON report')
    .action(async (opts: Record<string, unknown>) => setCode(await runDataScan(parseFlags(dataScanFlagsSchema, opts))))
  data
    .command('sign')
    .description('Write a signed manifest of a dataset: SHA-256 per file and, for CSV/JSONL, a Merkle tree over rows with per-row fingerprints, signed with Ed25519. Without --key a key is generated once in the data folder.')
    .requiredOption('--data <paths...>', 'the data: one directory, or files')
    .requiredOption('--out <file>', 'manifest to write')
    .option('--key <file>', 'Ed25519 private key (PEM PKCS#8, or a Rampart key file)')
    .option('--data-dir <dir>', 'data folder holding the generated key (default ./rampart-data, or RAMPART_DATA_DIR)')
    .action(async (opts: Record<string, unknown>) => setCode(await runDataSign(opts)))
  data
    .command('verify')
    .description(`Check a dataset against its signed manifest: names every changed, added or removed file and row. Exit 0 when everything matches; ${EXIT_VERIFY_FAILED} on any change or a bad or untrusted signature.`)
    .requiredOption('--data <paths...>', 'the data, given as when signing')
    .requiredOption('--manifest <file>', 'manifest written by `rampart data sign`')
    .option('--public-key <file>', 'the trusted signer (PEM); default: the key in the data folder')
    .option('--key <file>', 'trust the public half of this private key file')
    .option('--data-dir <dir>', 'data folder holding the trusted key (default ./rampart-data, or RAMPART_DATA_DIR)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: Record<string, unknown>) => setCode(await runDataVerify(opts)))
  data
    .command('public-key')
    .description("Print the data folder's dataset-signing public key (PEM), generating the key pair if there is none: give it to whoever verifies.")
    .option('--data-dir <dir>', 'data folder (default ./rampart-data, or RAMPART_DATA_DIR)')
    .action(async (opts: Record<string, unknown>) => setCode(await runDataPublicKey(opts)))
}
