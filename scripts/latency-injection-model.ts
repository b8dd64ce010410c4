/**
 * Latency of the injection model alone (featurize + score) on 2 KB prompts built from dev.jsonl,
 * with the normalization views computed beforehand (the scanner shares them with the heuristic).
 *
 *   npx tsx scripts/latency-injection-model.ts
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTextViews } from '../src/core/text-views.js'
import { loadInjectionModel } from '../src/detectors/injection/model.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const devFile = join(process.env.RAMPART_DATA_DIR ?? join(ROOT, '../shared/data'), 'prompt-injection/dev.jsonl')
if (!existsSync(devFile)) {
  console.error(`${devFile} not found (set RAMPART_DATA_DIR)`)
  process.exit(2)
}
const rows = readFileSync(devFile, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => (JSON.parse(l) as { text: string }).text)
const prompts: string[] = []
let cur = ''
for (const t of rows) {
  cur += `${t}\n`
  if (cur.length >= 2048) {
    prompts.push(cur.slice(0, 2048))
    cur = ''
  }
  if (prompts.length >= 300) break
}
const model = loadInjectionModel()
const views = prompts.map((p) => {
  const v = createTextViews(p)
  void v.folded
  void v.decoded
  void v.hidden
  return v
})
for (let r = 0; r < 3; r++) for (const v of views) model.logit(v)
const times: number[] = []
for (let r = 0; r < 10; r++) {
  for (const v of views) {
    const t = performance.now()
    model.logit(v)
    times.push(performance.now() - t)
  }
}
times.sort((a, b) => a - b)
const q = (p: number): string => times[Math.min(times.length - 1, Math.floor(times.length * p))]!.toFixed(4)
console.log(`injection model, featurize + score, ${prompts.length} prompts of 2 KB × 10: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`)
