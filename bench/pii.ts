/**
 * PII and secret detection benchmark: Rampart against @openredaction/openredaction and
 * redact-pii on `pii/dev.jsonl`, in the same process and run, scored span by span.
 *
 *   npx tsx bench/pii.ts [--limit N] [--calls N]
 *
 * Scoring (bench/lib/span-score.ts): a predicted span is a TP when it overlaps a gold span of
 * the same type by at least half of the gold span's length; each row is scored only on its
 * `annotated_types`; gold spans of types a detector never predicts count as misses for every
 * detector alike. FPR is the share of rows with no gold span (of the evaluated types) on
 * which the detector predicted at least one evaluated span.
 *
 * Type mappings (each detector's own types → the data's types; unmapped types are dropped,
 * so a peer is never charged for a type the data does not label):
 * - Rampart `pii`: its types are the data's types (EMAIL, PHONE, CREDIT_CARD, US_SSN, IBAN,
 *   IP_ADDRESS, URL, DATE_OF_BIRTH, PERSON, LOCATION, ADDRESS).
 * - Rampart `secrets`: PASSWORD → PASSWORD, PRIVATE_KEY → PRIVATE_KEY, every key/token type
 *   (AWS_ACCESS_KEY_ID, GITHUB_TOKEN, JWT, GENERIC_SECRET, HIGH_ENTROPY_TOKEN, …) → API_KEY.
 * - OpenRedaction: NAME → PERSON; EMAIL; PHONE_* → PHONE; CREDIT_CARD; SSN → US_SSN; IBAN and
 *   *_IBAN → IBAN; IPV4/IPV6 → IP_ADDRESS; URL and LINKEDIN_PROFILE → URL; ADDRESS_* → ADDRESS;
 *   ZIP_CODE_* / POSTCODE_* → ZIP_CODE; DATE_OF_BIRTH; PASSWORD; PRIVATE_KEY / SSH_PRIVATE_KEY →
 *   PRIVATE_KEY; *_API_KEY, *_TOKEN, *_SECRET_KEY, *_ACCESS_KEY, GENERIC_SECRET, SLACK_WEBHOOK →
 *   API_KEY. Its other 500+ types (gamertags, order references, …) are dropped.
 * - redact-pii (default settings; spans recovered by aligning its output, where each match is
 *   replaced by its rule's name, with the input): names → PERSON, emailAddress → EMAIL, phoneNumber → PHONE,
 *   creditCardNumber → CREDIT_CARD, usSocialSecurityNumber → US_SSN, ipAddress → IP_ADDRESS,
 *   url → URL, streetAddress → ADDRESS, zipcode → ZIP_CODE, password → PASSWORD; username,
 *   credentials and digits are dropped.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { OpenRedaction } from '@openredaction/openredaction'
import { SyncRedactor } from 'redact-pii'
import { createGuard } from '../src/index.js'
import { builtinRegistry } from '../src/scanners/index.js'
import { pii } from '../src/scanners/pii/index.js'
import { buildPrompts } from './latency.js'
import { readJsonl } from './lib/data.js'
import { scoreSpans, type Span, type SpanScore } from './lib/span-score.js'
import { measureLatency, type LatencyStats } from './lib/timing.js'

export interface PiiRow {
  text: string
  spans: Span[]
  source: string
  annotated_types: string[]
}

export interface Detector {
  name: string
  /** Types this detector can emit, after mapping. */
  predicts: readonly string[]
  detect(text: string): Span[] | Promise<Span[]>
}

export interface DetectorResult {
  name: string
  predicts: readonly string[]
  score: SpanScore
  latency: LatencyStats
}

export interface ScannerLatency {
  /** `fast` (default options) or `compromise` (`ner: compromise`). */
  ner: string
  /** 300 prompts of ~2 KB built from the dev sets' texts (bench/latency.ts). */
  realPrompts: LatencyStats
  /** One 2 KB English prompt: prose with a name, e-mail, phone, card, address, IP and URL. */
  mixedPrompt: LatencyStats
}

export interface PiiBenchResult {
  /** The pii scanner alone (no guard overhead), on 2 KB prompts, one core. */
  piiScanner2kb: ScannerLatency[]
  data: string
  rows: number
  goldSpans: number
  rampartScanners: string[]
  detectors: DetectorResult[]
  /** Rampart's figure divided by each peer's (F1, precision, recall; latency p50/p99; throughput). */
  ratios: Record<string, Record<string, number>>
}

export interface PiiBenchOptions {
  /** Score only the first N rows (all by default). */
  limit?: number
  /** Calls per detector for the latency figures (default 3,000; rows are repeated as needed). */
  calls?: number
  /** Write bench/results/pii.json (default true). */
  write?: boolean
  /** Print the table (default true). */
  print?: boolean
}

const SECRET_MAP = (type: string): string => (type === 'PASSWORD' ? 'PASSWORD' : type === 'PRIVATE_KEY' ? 'PRIVATE_KEY' : 'API_KEY')
const RAMPART_PII_TYPES = ['EMAIL', 'PHONE', 'CREDIT_CARD', 'US_SSN', 'IBAN', 'IP_ADDRESS', 'URL', 'DATE_OF_BIRTH', 'PERSON', 'LOCATION', 'ADDRESS']

/**
 * Rampart through its library API: `createGuard({ only: ['pii', 'secrets'] })` (pii alone when
 * secrets is not built). With `ner: 'compromise'`, the same scanners from a policy that turns on
 * the pii scanner's full compromise parse.
 */
export async function rampartDetector(ner: 'fast' | 'compromise' = 'fast'): Promise<Detector & { scanners: string[] }> {
  const registry = builtinRegistry()
  const only = registry.has('secrets') ? ['pii', 'secrets'] : ['pii']
  const guard =
    ner === 'fast'
      ? await createGuard({ only })
      : await createGuard({ policy: { name: 'bench-ner-compromise', input: Object.fromEntries(only.map((id) => [id, id === 'pii' ? { options: { ner } } : {}])), output: {} } })
  return {
    name: ner === 'fast' ? 'rampart' : 'rampart (ner: compromise)',
    scanners: only,
    predicts: only.includes('secrets') ? [...RAMPART_PII_TYPES, 'API_KEY', 'PASSWORD', 'PRIVATE_KEY'] : RAMPART_PII_TYPES,
    async detect(text) {
      const r = await guard.scanInput(text)
      const out: Span[] = []
      for (const f of r.findings) {
        if (f.start === undefined || f.end === undefined) continue
        const type = f.scanner === 'secrets' ? SECRET_MAP(f.type) : f.type
        out.push({ start: f.start, end: f.end, type })
      }
      return out
    },
  }
}

/** Maps an OpenRedaction pattern type to the data's types (undefined: not a type the data labels). */
export function mapOpenRedactionType(type: string): string | undefined {
  if (type === 'NAME') return 'PERSON'
  if (type === 'EMAIL') return 'EMAIL'
  if (type.startsWith('PHONE')) return 'PHONE'
  if (type === 'CREDIT_CARD') return 'CREDIT_CARD'
  if (type === 'SSN') return 'US_SSN'
  if (type === 'IBAN' || type.endsWith('_IBAN')) return 'IBAN'
  if (type === 'IPV4' || type === 'IPV6') return 'IP_ADDRESS'
  if (type === 'URL' || type === 'LINKEDIN_PROFILE') return 'URL'
  if (type.startsWith('ADDRESS')) return 'ADDRESS'
  if (type.startsWith('ZIP_CODE') || type.startsWith('POSTCODE')) return 'ZIP_CODE'
  if (type === 'DATE_OF_BIRTH') return 'DATE_OF_BIRTH'
  if (type === 'PASSWORD') return 'PASSWORD'
  if (type === 'PRIVATE_KEY' || type === 'SSH_PRIVATE_KEY') return 'PRIVATE_KEY'
  if (/(?:_API_KEY|_TOKEN|_SECRET_KEY|_ACCESS_KEY|_WEBHOOK)$/.test(type) || type === 'GENERIC_SECRET') return 'API_KEY'
  return undefined
}

export function openRedactionDetector(): Detector {
  const shield = new OpenRedaction()
  return {
    name: 'openredaction',
    predicts: ['PERSON', 'EMAIL', 'PHONE', 'CREDIT_CARD', 'US_SSN', 'IBAN', 'IP_ADDRESS', 'URL', 'ADDRESS', 'ZIP_CODE', 'DATE_OF_BIRTH', 'PASSWORD', 'PRIVATE_KEY', 'API_KEY'],
    detect(text) {
      const out: Span[] = []
      for (const d of shield.detect(text).detections) {
        const type = mapOpenRedactionType(d.type)
        if (type !== undefined) out.push({ start: d.position[0], end: d.position[1], type })
      }
      return out
    },
  }
}

// redact-pii's rules, by the name each replaces its matches with by default.
const REDACT_PII_TYPES: Record<string, string | undefined> = {
  PERSON_NAME: 'PERSON', EMAIL_ADDRESS: 'EMAIL', PHONE_NUMBER: 'PHONE', CREDIT_CARD_NUMBER: 'CREDIT_CARD', US_SOCIAL_SECURITY_NUMBER: 'US_SSN',
  IP_ADDRESS: 'IP_ADDRESS', URL: 'URL', STREET_ADDRESS: 'ADDRESS', ZIPCODE: 'ZIP_CODE', PASSWORD: 'PASSWORD',
  USERNAME: undefined, CREDENTIALS: undefined, DIGITS: undefined,
}
const NAME_MARK = 0xe0ff
const RULE_MARK = 0xe100

interface RedactPiiChild {
  replaceWith: string | ((match: string) => string)
  regexpMatcher?: RegExp
}

/**
 * redact-pii returns only redacted text. Its default redactor is used as is (same rules, same
 * order), except that each rule's replacement becomes a private-use character: regex rules
 * write one per matched character (so offsets are kept), the name rule (which runs last) one
 * per name. Walking the output beside the input then gives every span and its rule.
 */
export function redactPiiDetector(): Detector {
  const redactor = new SyncRedactor()
  const children = (redactor as unknown as { childRedactors: RedactPiiChild[] }).childRedactors
  const typeByMark = new Map<number, string | undefined>()
  children.forEach((child, i) => {
    if (child.regexpMatcher) {
      const mark = String.fromCharCode(RULE_MARK + i)
      typeByMark.set(RULE_MARK + i, REDACT_PII_TYPES[String(child.replaceWith)])
      child.replaceWith = (match: string) => mark.repeat(match.length)
    } else {
      typeByMark.set(NAME_MARK, 'PERSON')
      child.replaceWith = String.fromCharCode(NAME_MARK)
    }
  })
  return {
    name: 'redact-pii',
    predicts: ['PERSON', 'EMAIL', 'PHONE', 'CREDIT_CARD', 'US_SSN', 'IP_ADDRESS', 'URL', 'ADDRESS', 'ZIP_CODE', 'PASSWORD'],
    detect(text) {
      return alignMarked(text, redactor.redact(text), typeByMark)
    },
  }
}

function isMark(code: number): boolean {
  return code === NAME_MARK || (code >= RULE_MARK && code < RULE_MARK + 64)
}

/** Spans of `original` replaced in `marked` (see redactPiiDetector). */
export function alignMarked(original: string, marked: string, typeByMark: ReadonlyMap<number, string | undefined>): Span[] {
  const out: Span[] = []
  let i = 0
  let j = 0
  while (j < marked.length && i <= original.length) {
    const code = marked.charCodeAt(j)
    if (!isMark(code) || isMark(original.charCodeAt(i))) {
      i++
      j++
      continue
    }
    let start = i
    let end: number
    if (code === NAME_MARK) {
      // One mark per name: the name ends where the following literal text resumes.
      let k = j + 1
      while (k < marked.length && !isMark(marked.charCodeAt(k))) k++
      const literal = marked.slice(j + 1, k)
      const at = literal.length === 0 ? original.length : original.indexOf(literal, i + 1)
      end = at === -1 ? original.length : at
      j++
    } else {
      let k = j
      while (k < marked.length && marked.charCodeAt(k) === code) k++
      end = i + (k - j)
      j = k
    }
    // The name rule keeps leading whitespace outside its match only sometimes; trim it.
    while (start < end && /\s/.test(original[start] as string)) start++
    const type = typeByMark.get(code)
    if (type !== undefined && end > start) out.push({ start, end, type })
    i = end
  }
  return out
}

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–'
}

/** A 2 KB English prompt: prose with a few personal data items (the budget's reference input). */
export const MIXED_PROMPT = (
  'Hello team, my name is Laura Bennett and I am writing about my account. You can reach me at laura.bennett@example.org or on +1 (415) 555-2671 during office hours. ' +
  'The card in my wallet is 4539 1488 0343 6467 and my old address was 221 Baker Street, London NW1 6XE. We met Dr. Ahmed Khan in Toronto last spring to discuss the release of version 2.4.1 of the software. ' +
  'The server at 10.0.3.17 logged order number 88234910 yesterday. Please check the dashboard at https://status.example.com/incident/42 and confirm. Thanks again for your help with the migration; the previous vendor never answered our tickets. '
)
  .repeat(4)
  .slice(0, 2048)

/** Renders the results as markdown tables. */
export function formatPiiBench(r: PiiBenchResult): string {
  const lines: string[] = []
  lines.push(`PII/secret span detection on ${r.data} (${r.rows} rows, ${r.goldSpans} gold spans); Rampart = createGuard({ only: ${JSON.stringify(r.rampartScanners)} }).`)
  lines.push('')
  lines.push('| detector | precision | recall | F1 | FPR | p50 ms | p99 ms | calls/s |')
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const d of r.detectors) {
    const o = d.score.overall
    lines.push(`| ${d.name} | ${fmt(o.precision)} | ${fmt(o.recall)} | ${fmt(o.f1)} | ${fmt(o.fpr)} | ${fmt(d.latency.p50Ms)} | ${fmt(d.latency.p99Ms)} | ${Math.round(d.latency.throughput).toLocaleString('en-US')} |`)
  }
  lines.push('')
  const types = [...new Set(r.detectors.flatMap((d) => Object.keys(d.score.perType)))].filter((t) => r.detectors.some((d) => (d.score.perType[t]?.tp ?? 0) + (d.score.perType[t]?.fn ?? 0) > 0)).sort()
  lines.push(`| type (gold spans) | ${r.detectors.map((d) => `${d.name} F1`).join(' | ')} |`)
  lines.push(`| --- | ${r.detectors.map(() => '---:').join(' | ')} |`)
  for (const t of types) {
    const gold = (r.detectors[0]?.score.perType[t]?.tp ?? 0) + (r.detectors[0]?.score.perType[t]?.fn ?? 0)
    lines.push(`| ${t} (${gold}) | ${r.detectors.map((d) => (d.predicts.includes(t) ? fmt(d.score.perType[t]?.f1 ?? 0) : 'n/p')).join(' | ')} |`)
  }
  lines.push('')
  lines.push('n/p: the detector does not predict this type (its gold spans still count as misses overall).')
  lines.push('')
  lines.push('The pii scanner alone (default options vs `ner: compromise`), 2 KB prompts, one core:')
  lines.push('')
  lines.push('| ner | prompts | p50 ms | p99 ms | calls/s |')
  lines.push('| --- | --- | ---: | ---: | ---: |')
  for (const l of r.piiScanner2kb) {
    for (const [name, st] of [['300 dev-text prompts', l.realPrompts], ['mixed English prompt', l.mixedPrompt]] as const) {
      lines.push(`| ${l.ner} | ${name} | ${fmt(st.p50Ms)} | ${fmt(st.p99Ms)} | ${Math.round(st.throughput).toLocaleString('en-US')} |`)
    }
  }
  lines.push('')
  for (const [peer, ratio] of Object.entries(r.ratios)) {
    lines.push(`Rampart/${peer}: ${Object.entries(ratio).map(([k, v]) => `${k} ×${fmt(v, 2)}`).join(', ')}`)
  }
  return lines.join('\n')
}

/** Runs the benchmark; returns the results (and by default prints them and writes bench/results/pii.json). */
export async function runPiiBench(options: PiiBenchOptions = {}): Promise<PiiBenchResult> {
  // Scanner latency first, on a small heap: the quality runs below leave large heaps (compromise
  // documents, peers' state) whose collection would be charged to whatever runs next.
  const piiScanner2kb: ScannerLatency[] = []
  const prompts = buildPrompts(300)
  for (const ner of ['fast', 'compromise'] as const) {
    const scanner = pii.create(pii.options.parse({ ner }), { ...pii.defaults })
    const invocation = {} as Parameters<typeof scanner.scan>[1]
    const calls = ner === 'fast' ? (options.calls ?? 3_000) : 200
    piiScanner2kb.push({
      ner,
      realPrompts: await measureLatency(prompts, (p) => scanner.scan(p, invocation), calls, ner === 'fast' ? 300 : 20),
      mixedPrompt: await measureLatency([MIXED_PROMPT], (p) => scanner.scan(p, invocation), calls, ner === 'fast' ? 300 : 20),
    })
  }
  const all = readJsonl<PiiRow>('pii/dev.jsonl')
  const rows = options.limit ? all.slice(0, options.limit) : all
  const rampart = await rampartDetector()
  const detectors: Detector[] = [rampart, await rampartDetector('compromise'), openRedactionDetector(), redactPiiDetector()]
  const results: DetectorResult[] = []
  const texts = rows.map((r) => r.text)
  for (const d of detectors) {
    const predictions: Span[][] = []
    for (const row of rows) predictions.push(await d.detect(row.text))
    const score = scoreSpans(rows, predictions)
    const latency = await measureLatency(texts, (t) => d.detect(t), options.calls ?? 3_000, 100)
    results.push({ name: d.name, predicts: d.predicts, score, latency })
  }
  const [ours, , ...peers] = results as [DetectorResult, DetectorResult, ...DetectorResult[]]
  const ratios: PiiBenchResult['ratios'] = {}
  for (const p of peers) {
    ratios[p.name] = {
      f1: ours.score.overall.f1 / p.score.overall.f1,
      precision: ours.score.overall.precision / p.score.overall.precision,
      recall: ours.score.overall.recall / p.score.overall.recall,
      p50: ours.latency.p50Ms / p.latency.p50Ms,
      p99: ours.latency.p99Ms / p.latency.p99Ms,
      throughput: ours.latency.throughput / p.latency.throughput,
    }
  }
  const result: PiiBenchResult = {
    piiScanner2kb,
    data: 'pii/dev.jsonl',
    rows: rows.length,
    goldSpans: rows.reduce((s, r) => s + r.spans.length, 0),
    rampartScanners: rampart.scanners,
    detectors: results,
    ratios,
  }
  if (options.print !== false) console.log(formatPiiBench(result))
  if (options.write !== false) {
    const file = join(dirname(fileURLToPath(import.meta.url)), 'results', 'pii.json')
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, `${JSON.stringify({ ...result, generatedAt: new Date().toISOString() }, null, 2)}\n`)
  }
  return result
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(name)
    return i === -1 ? undefined : Number(process.argv[i + 1])
  }
  const opts: PiiBenchOptions = {}
  const limit = arg('--limit')
  const calls = arg('--calls')
  if (limit !== undefined) opts.limit = limit
  if (calls !== undefined) opts.calls = calls
  await runPiiBench(opts)
}
