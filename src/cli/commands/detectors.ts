/**
 * `rampart detectors register|list|compare|activate|rollback|history`: the detector registry on
 * the store directly. Gateways sharing the store pick an activation up within their
 * detectorPollMs (detectors/registry.ts).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { RampartError } from '../../core/errors.js'
import { BUILTIN_VERSION, INJECTION_DETECTOR, builtinSummary, compareVersions, readModelDir, resolveVersionRef } from '../../detectors/registry.js'
import type { DetectorActivation, DetectorVersionSummary, Store } from '../../store/types.js'
import { writeLine } from '../io.js'
import { parseFlags, withBackends } from './gateway.js'

const short = (id: string | null) => (id === null ? BUILTIN_VERSION : id.slice(0, 12))

function headline(metrics: Record<string, unknown>): string {
  const dev = (metrics.dev as Record<string, Record<string, unknown>> | undefined)?.ensemble
  if (dev === undefined) return ''
  const f = (name: string) => (typeof dev[name] === 'number' ? (dev[name] as number).toFixed(3) : '—')
  return `dev ensemble P ${f('precision')} R ${f('recall')} F1 ${f('f1')} FPR ${f('fpr')} hard ${f('fprBenignHard')}`
}

async function activeId(store: Store): Promise<string | null> {
  return (await store.getActiveDetector(INJECTION_DETECTOR))?.versionId ?? null
}

export async function runDetectorsRegister(dir: string, flags: Record<string, unknown>): Promise<number> {
  const { description, activate, ...rest } = parseFlags(z.looseObject({ description: z.string().max(500).optional(), activate: z.boolean().default(false) }), flags)
  return withBackends(rest, async ({ store, audit }) => {
    const at = new Date().toISOString()
    const record = readModelDir(dir, { by: 'cli', at, ...(description === undefined ? {} : { description }) })
    if (record.id === builtinSummary().id) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `DIR: ${dir} holds the shipped weights (${short(record.id)}), which are the built-in version already`, { path: 'DIR' })
    const added = await store.registerDetectorVersion(record)
    if (added) await audit.append({ actor: 'cli', tenant: null, action: 'detector.register', target: record.id, detail: { detector: INJECTION_DETECTOR, size: record.size, description: record.description } })
    await writeLine(`${added ? 'registered' : 'already registered'} ${INJECTION_DETECTOR} ${record.id}${record.description === '' ? '' : ` (${record.description})`}`)
    if (activate) return activateVersion(store, audit, record.id)
    return 0
  })
}

export async function runDetectorsList(flags: Record<string, unknown>): Promise<number> {
  const { json, ...rest } = parseFlags(z.looseObject({ json: z.boolean().default(false) }), flags)
  return withBackends(rest, async ({ store }) => {
    const versions = await store.listDetectorVersions(INJECTION_DETECTOR)
    const active = await activeId(store)
    const builtin = builtinSummary()
    if (json) {
      await writeLine(JSON.stringify({ detector: INJECTION_DETECTOR, active: active ?? BUILTIN_VERSION, versions: [{ ...builtin, builtin: true }, ...versions.map((v) => ({ ...v, builtin: false }))] }, null, 2))
      return 0
    }
    await writeLine(`  ${'ID'.padEnd(14)}${'REGISTERED'.padEnd(26)}${'SIZE'.padEnd(9)}DESCRIPTION / METRICS`)
    const line = async (mark: boolean, id: string, v: DetectorVersionSummary, when: string) =>
      writeLine(`${mark ? '*' : ' '} ${id.padEnd(14)}${when.padEnd(26)}${String(v.size).padEnd(9)}${v.description}${headline(v.metrics) === '' ? '' : `\n${' '.repeat(49)}${headline(v.metrics)}`}`)
    await line(active === null, BUILTIN_VERSION, builtin, '(shipped)')
    for (const v of versions) await line(active === v.id, short(v.id), v, v.createdAt)
    return 0
  })
}

/** A version's metrics from what a person typed: an id or prefix, `builtin`, or a model directory. */
function metricsOf(ref: string, versions: readonly DetectorVersionSummary[], where: string): { id: string; label: string; metrics: Record<string, unknown> } {
  if (ref !== BUILTIN_VERSION && existsSync(ref) && statSync(ref).isDirectory()) {
    const record = readModelDir(ref, { by: 'cli', at: new Date().toISOString() }, where)
    return { id: record.id, label: `${ref} (${short(record.id)})`, metrics: record.metrics }
  }
  const id = resolveVersionRef(ref, versions, where)
  if (id === null) {
    const builtin = builtinSummary()
    return { id: builtin.id, label: BUILTIN_VERSION, metrics: builtin.metrics }
  }
  const v = versions.find((x) => x.id === id)!
  return { id, label: short(id), metrics: v.metrics }
}

export async function runDetectorsCompare(a: string, b: string, flags: Record<string, unknown>): Promise<number> {
  const { all, json, ...rest } = parseFlags(z.looseObject({ all: z.boolean().default(false), json: z.boolean().default(false) }), flags)
  return withBackends(rest, async ({ store }) => {
    const versions = await store.listDetectorVersions(INJECTION_DETECTOR)
    const left = metricsOf(a, versions, 'A')
    const right = metricsOf(b, versions, 'B')
    const rows = compareVersions(left, right, all)
    if (json) {
      await writeLine(JSON.stringify({ a: left.label, b: right.label, rows }, null, 2))
      return 0
    }
    const fmt = (x: number | undefined) => (x === undefined ? '—' : Number.isInteger(x) ? String(x) : x.toFixed(4))
    const width = Math.max(6, ...rows.map((r) => r.metric.length)) + 2
    const [wa, wb] = [Math.max(12, left.label.length + 4), Math.max(12, right.label.length + 4)]
    await writeLine(`${'METRIC'.padEnd(width)}${`A ${left.label}`.padEnd(wa)}${`B ${right.label}`.padEnd(wb)}B − A`)
    for (const r of rows) {
      const delta = r.delta === undefined ? '' : r.delta === 0 ? '0' : `${r.delta > 0 ? '+' : ''}${fmt(r.delta)}`
      await writeLine(`${r.metric.padEnd(width)}${fmt(r.a).padEnd(wa)}${fmt(r.b).padEnd(wb)}${delta}`)
    }
    if (rows.length === 0) await writeLine('(neither metrics.json holds numeric figures)')
    return 0
  })
}

async function activateVersion(store: Store, audit: { append: (input: { actor: string; tenant: string | null; action: string; target: string | null; detail: Record<string, unknown> }) => Promise<void> }, id: string | null): Promise<number> {
  const before = await activeId(store)
  const activation = await store.activateDetectorVersion(INJECTION_DETECTOR, id, 'cli', new Date().toISOString())
  if (activation === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `ID: no registered ${INJECTION_DETECTOR} version ${id ?? BUILTIN_VERSION}`, { path: 'ID' })
  await audit.append({ actor: 'cli', tenant: null, action: 'detector.activate', target: id ?? BUILTIN_VERSION, detail: { detector: INJECTION_DETECTOR, previous: before ?? BUILTIN_VERSION, seq: activation.seq } })
  await writeLine(`activated ${INJECTION_DETECTOR} ${id ?? BUILTIN_VERSION} (was ${short(before)}); gateways pick it up within their detectorPollMs (default 5 s)`)
  return 0
}

export async function runDetectorsActivate(ref: string, flags: Record<string, unknown>): Promise<number> {
  return withBackends(flags, async ({ store, audit }) => activateVersion(store, audit, resolveVersionRef(ref, await store.listDetectorVersions(INJECTION_DETECTOR))))
}

export async function runDetectorsRollback(flags: Record<string, unknown>): Promise<number> {
  return withBackends(flags, async ({ store, audit }) => {
    const before = await activeId(store)
    const activation = await store.rollbackDetector(INJECTION_DETECTOR, 'cli', new Date().toISOString())
    if (activation === undefined) {
      process.stderr.write(`rampart: nothing to roll back: ${INJECTION_DETECTOR} is on the built-in weights with no earlier activation\n`)
      return 1
    }
    await audit.append({ actor: 'cli', tenant: null, action: 'detector.rollback', target: activation.versionId ?? BUILTIN_VERSION, detail: { detector: INJECTION_DETECTOR, from: before ?? BUILTIN_VERSION, seq: activation.seq } })
    await writeLine(`rolled back ${INJECTION_DETECTOR} from ${short(before)} to ${short(activation.versionId)}`)
    return 0
  })
}

export async function runDetectorsHistory(flags: Record<string, unknown>): Promise<number> {
  const { json, ...rest } = parseFlags(z.looseObject({ json: z.boolean().default(false) }), flags)
  return withBackends(rest, async ({ store }) => {
    const history: DetectorActivation[] = await store.listDetectorActivations(INJECTION_DETECTOR, 100)
    if (json) {
      await writeLine(JSON.stringify(history, null, 2))
      return 0
    }
    if (history.length === 0) await writeLine(`${INJECTION_DETECTOR}: no activation yet (the built-in weights)`)
    for (const h of history) await writeLine(`${String(h.seq).padStart(4)}  ${h.at}  ${h.action.padEnd(9)}${short(h.versionId).padEnd(14)}by ${h.by}`)
    return 0
  })
}

/** `rampart detectors export ID --out DIR`: a registered (or the active) version as a model directory. */
export async function runDetectorsExport(ref: string, flags: Record<string, unknown>): Promise<number> {
  const { out, ...rest } = parseFlags(z.looseObject({ out: z.string().min(1) }), flags)
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--out: ${out} exists and is not an empty directory`, { path: '--out' })
  return withBackends(rest, async ({ store }) => {
    const id = ref === 'active' ? await activeId(store) : resolveVersionRef(ref, await store.listDetectorVersions(INJECTION_DETECTOR))
    mkdirSync(out, { recursive: true })
    if (id === null) {
      const shipped = fileURLToPath(new URL('../../../models/injection/', import.meta.url))
      for (const name of ['weights.bin', 'MODEL_CARD.md', 'metrics.json']) copyFileSync(join(shipped, name), join(out, name))
    } else {
      const version = await store.getDetectorVersion(INJECTION_DETECTOR, id)
      if (version === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `ID: no registered ${INJECTION_DETECTOR} version ${id}`, { path: 'ID' })
      writeFileSync(join(out, 'weights.bin'), version.weights)
      writeFileSync(join(out, 'MODEL_CARD.md'), version.modelCard)
      writeFileSync(join(out, 'metrics.json'), `${JSON.stringify(version.metrics, null, 2)}\n`)
    }
    await writeLine(`wrote ${INJECTION_DETECTOR} ${id ?? BUILTIN_VERSION} to ${out}`)
    return 0
  })
}
