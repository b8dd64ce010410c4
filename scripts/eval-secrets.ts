/**
 * Scores the secrets scanner on pii/dev.jsonl for API_KEY, PASSWORD and PRIVATE_KEY.
 *
 *   npx tsx scripts/eval-secrets.ts [--errors] [--threshold 0.5]
 *
 * A prediction matches a gold span of its type when they overlap by at least half the gold span.
 * Only rows whose `annotated_types` list a type are scored for it. FPR is the share of rows without
 * a gold span of the type on which the scanner reported one.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTextViews } from '../src/core/text-views.js'
import { secrets, TOKEN_TYPES } from '../src/scanners/secrets/index.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dataDir = process.env.RAMPART_DATA_DIR ?? join(root, '..', 'shared', 'data')
const file = join(dataDir, 'pii', 'dev.jsonl')
if (!existsSync(file)) {
  console.error(`eval-secrets: ${file} is missing; set RAMPART_DATA_DIR to the folder holding pii/dev.jsonl`)
  process.exit(2)
}

const args = process.argv.slice(2)
const showErrors = args.includes('--errors')
const tIndex = args.indexOf('--threshold')
const threshold = tIndex >= 0 ? Number(args[tIndex + 1]) : secrets.defaults.threshold

type Gold = 'API_KEY' | 'PASSWORD' | 'PRIVATE_KEY'
const GOLD_TYPES: Gold[] = ['API_KEY', 'PASSWORD', 'PRIVATE_KEY']
const tokenTypes = new Set<string>(TOKEN_TYPES)
const toGold = (type: string): Gold | undefined => (tokenTypes.has(type) ? 'API_KEY' : type === 'PASSWORD' || type === 'PRIVATE_KEY' ? type : undefined)

interface Row {
  text: string
  spans: { start: number; end: number; type: string }[]
  source: string
  annotated_types: string[]
}

/** Code-point offset → UTF-16 offset. */
function utf16Offsets(text: string): (cp: number) => number {
  const map: number[] = []
  let u = 0
  for (const ch of text) {
    map.push(u)
    u += ch.length
  }
  map.push(u)
  return (cp) => map[cp] ?? u
}

const scanner = secrets.create(secrets.options.parse({}), { ...secrets.defaults, threshold })
const counts = Object.fromEntries(GOLD_TYPES.map((t) => [t, { tp: 0, fp: 0, fn: 0, negRows: 0, negRowsHit: 0 }]))
const bySource = new Map<string, { tp: number; fp: number; fn: number }>()
const errors: string[] = []

for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (!line.trim()) continue
  const row = JSON.parse(line) as Row
  const scored = GOLD_TYPES.filter((t) => row.annotated_types.includes(t))
  if (scored.length === 0) continue
  const off = utf16Offsets(row.text)
  const preds = (scanner.scan(row.text, { direction: 'input', context: {}, views: createTextViews(row.text) }) as Awaited<ReturnType<typeof scanner.scan>>)
    .filter((f) => f.score >= threshold)
  const sourceKey = row.source.startsWith('Samsung/') ? 'CredSweeper' : row.source
  const src = bySource.get(sourceKey) ?? { tp: 0, fp: 0, fn: 0 }
  bySource.set(sourceKey, src)
  for (const t of scored) {
    const gold = row.spans.filter((s) => s.type === t).map((s) => ({ start: off(s.start), end: off(s.end) }))
    const mine = preds.filter((p) => toGold(p.type) === t)
    const c = counts[t] as { tp: number; fp: number; fn: number; negRows: number; negRowsHit: number }
    if (gold.length === 0) {
      c.negRows++
      if (mine.length > 0) c.negRowsHit++
    }
    const matched = new Set<number>()
    for (const g of gold) {
      const i = mine.findIndex((p) => Math.min(p.end ?? 0, g.end) - Math.max(p.start ?? 0, g.start) >= (g.end - g.start) / 2)
      if (i >= 0) {
        c.tp++
        src.tp++
        matched.add(i)
      } else {
        c.fn++
        src.fn++
        if (showErrors) errors.push(`FN ${t} [${row.source.split('/').pop()}] ${JSON.stringify(row.text.slice(Math.max(0, g.start - 40), g.end + 10))}`)
      }
    }
    mine.forEach((p, i) => {
      if (matched.has(i)) return
      // A second prediction inside an already matched gold span is not a false positive.
      if (gold.some((g) => (p.start ?? 0) < g.end && g.start < (p.end ?? 0))) return
      c.fp++
      src.fp++
      if (showErrors) errors.push(`FP ${t}/${p.type}/${String(p.detail?.rule)} ${p.score} [${row.source.split('/').pop()}] ${JSON.stringify(row.text.slice(Math.max(0, (p.start ?? 0) - 40), (p.end ?? 0) + 10))}`)
    })
  }
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a')
console.log(`secrets on ${file} (threshold ${threshold})`)
console.log('type         gold   tp   fp   fn  precision  recall     f1    FPR(rows)')
for (const t of GOLD_TYPES) {
  const c = counts[t] as { tp: number; fp: number; fn: number; negRows: number; negRowsHit: number }
  const p = c.tp / (c.tp + c.fp)
  const r = c.tp / (c.tp + c.fn)
  const f1 = (2 * p * r) / (p + r)
  console.log(`${t.padEnd(12)} ${String(c.tp + c.fn).padStart(4)} ${String(c.tp).padStart(4)} ${String(c.fp).padStart(4)} ${String(c.fn).padStart(4)}  ${f3(p).padStart(9)} ${f3(r).padStart(7)} ${f3(f1).padStart(6)}  ${f3(c.negRowsHit / c.negRows)} (${c.negRowsHit}/${c.negRows})`)
}
console.log('\nby source (all three types):')
for (const [s, c] of bySource) console.log(`  ${s.padEnd(34)} tp ${c.tp}  fp ${c.fp}  fn ${c.fn}`)

// Latency on 2 KB prompts: one dense with secrets, ids and hashes, one of plain prose.
const dense = (
  'Hi, I am debugging a deployment script and the pipeline fails at the publish step. Here is the config I use:\n' +
  'const client = new Client({ region: "eu-west-1", timeout: 3000, retries: 5 })\n' +
  'export AWS_ACCESS_KEY_ID=AKIAIOSF0DNN7QWERTY2\n' +
  'The request id was 3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60 and the commit is 9fceb02d0ae598e95dc970b74767f19372d61af8. ' +
  'Could you explain why the token is rejected and how I should rotate credentials safely? The docs say to use a password manager. '
).repeat(6).slice(0, 2048)
const prose = (
  'The quarterly report shows that revenue grew in every region except the north, where supply problems delayed two product ' +
  'launches. Our team would like a short summary for the board, with the three most important numbers and a sentence on the ' +
  'outlook. Please keep it under two hundred words and avoid jargon. '
).repeat(8).slice(0, 2048)
console.log('')
for (const [name, prompt] of [['dense', dense], ['prose', prose]] as const) {
  const views = createTextViews(prompt)
  const invocation = { direction: 'input' as const, context: {}, views }
  for (let i = 0; i < 2000; i++) scanner.scan(prompt, invocation)
  const times: number[] = []
  for (let i = 0; i < 10_000; i++) {
    const t0 = performance.now()
    scanner.scan(prompt, invocation)
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  const pct = (q: number) => (times[Math.floor(q * (times.length - 1))] as number).toFixed(4)
  console.log(`latency, 2 KB ${name} prompt: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`)
}
if (showErrors) console.log('\n' + errors.join('\n'))
