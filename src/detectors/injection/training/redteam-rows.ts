/**
 * The red team's attacks as training and evaluation rows. A report (src/redteam/report.ts)
 * names the attacks that succeeded by id; the corpus is deterministic for a seed and selection,
 * so the texts are rebuilt from it: for each attack, the text the detector sees at the gateway
 * (each user or tool message is scanned on its own, src/gateway/routes/chat.ts).
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { RampartError } from '../../../core/errors.js'
import { ATTACK_GOALS, buildCorpus, isDelivery, type Attack, type AttackGoal, type ChatMessage, type Delivery } from '../../../redteam/corpus.js'
import type { AddedRow } from './train-model.js'

/** The fields of a red-team report this module reads (the report has more). */
export const redteamReportSchema = z.looseObject({
  version: z.literal(1),
  seed: z.number().int(),
  corpus: z.looseObject({ families: z.array(z.string()), goals: z.array(z.string()) }),
  targets: z.array(z.looseObject({ name: z.string(), succeeded: z.array(z.string()) })).min(1),
})
export type RedteamReportInput = z.infer<typeof redteamReportSchema>

/** The texts of an attack the gateway scans: every user and tool message, in order. */
export function scannedTexts(attack: Attack): string[] {
  const out: string[] = []
  for (const turn of attack.turns) for (const m of turn) if ((m.role === 'user' || m.role === 'tool') && typeof m.content === 'string' && m.content.length > 0) out.push(m.content)
  return out
}

/**
 * The delivered attack: the last user or tool message of the last turn — the one carrying the
 * attack (a multi-turn escalation opens with a harmless question; an indirect one hides the
 * attack in the tool output or the document).
 */
export function deliveredAttackText(attack: Attack): string | undefined {
  const last: ChatMessage[] = attack.turns[attack.turns.length - 1] ?? []
  for (let i = last.length - 1; i >= 0; i--) {
    const m = last[i]!
    if ((m.role === 'user' || m.role === 'tool') && typeof m.content === 'string' && m.content.length > 0) return m.content
  }
  return undefined
}

export interface RedteamExtraction {
  /** Label-1 rows, source `redteam`, one per successful attack (in the report's order). */
  rows: AddedRow[]
  target: string
  seed: number
  succeeded: number
  /**
   * Successes from an attack file (`data:<kind>` families): the report does not carry their
   * text, and the file is often the shared dev data, which must stay out of training.
   */
  skippedDataAttacks: number
  /** Ids the rebuilt corpus does not know (a report from another version of the corpus). */
  unknownIds: string[]
}

/** Reads and validates a red-team report file; errors name the file and the field. */
export function readRedteamReport(file: string): RedteamReportInput {
  let value: unknown
  try {
    value = JSON.parse(readFileSync(file, 'utf8'))
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--redteam ${file}: cannot read a JSON report (${(cause as Error).message})`, { cause, path: '--redteam' })
  }
  const parsed = redteamReportSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--redteam ${file}: not a red-team report (rampart redteam --out): ${issue?.path.join('.') || 'report'}: ${issue?.message ?? 'invalid'}`, { path: '--redteam' })
  }
  return parsed.data
}

/**
 * The attacks that succeeded against `target` (default: the report's first target, the run's
 * `--target`), as label-1 rows with their delivered text.
 */
export function redteamSuccesses(report: RedteamReportInput, target?: string, file = 'report'): RedteamExtraction {
  const t = target === undefined ? report.targets[0]! : report.targets.find((x) => x.name === target)
  if (t === undefined) throw new RampartError('RAMPART_ERR_INPUT_INVALID', `--redteam-target: ${file} has no target "${target}"; it has ${report.targets.map((x) => `"${x.name}"`).join(', ')}`, { path: '--redteam-target' })
  const families = report.corpus.families.filter(isDelivery) as Delivery[]
  const goals = report.corpus.goals.filter((g): g is AttackGoal => (ATTACK_GOALS as readonly string[]).includes(g))
  const byId = new Map(buildCorpus({ seed: report.seed, families, goals, benign: false }).map((a) => [a.id, a]))
  const rows: AddedRow[] = []
  const unknownIds: string[] = []
  let skippedDataAttacks = 0
  for (const id of t.succeeded) {
    if (id.startsWith('data-')) {
      skippedDataAttacks++
      continue
    }
    const attack = byId.get(id)
    const text = attack === undefined ? undefined : deliveredAttackText(attack)
    if (text === undefined) {
      unknownIds.push(id)
      continue
    }
    rows.push({ text, label: 1, source: 'redteam' })
  }
  return { rows, target: t.name, seed: report.seed, succeeded: t.succeeded.length, skippedDataAttacks, unknownIds }
}
