/**
 * The model card of a retrained prompt-injection model (MODEL_CARD.md of a versioned model
 * directory): what it was trained on, how it was selected, and how it compares with the model
 * it would replace. Everything in it comes from metrics.json.
 */
import type { Comparison } from './compare.js'
import { renderComparison } from './compare.js'
import type { TrainingMetrics } from './train-model.js'

export type TrainingMode = 'full-grid' | 'reused-hyper-parameters' | 'quick'

/** metrics.json of a versioned model: the training figures plus its identity and the comparison. */
export interface VersionedMetrics extends TrainingMetrics {
  detector: 'prompt_injection'
  /** sha256 hex of weights.bin: the version id of the detector registry. */
  version: string
  /** sha256 hex of the weights it was compared with (the current model), or null. */
  parent: string | null
  mode: TrainingMode
  seed: number
  /** When mode is reused-hyper-parameters: the version whose hyper-parameters were reused. */
  hyperParametersFrom: string | null
  inputs: {
    /** Evenly spaced slice of the shared rows (null: all of them). */
    limit: number | null
    files: { role: 'train' | 'dev' | 'extra' | 'redteam'; name: string; sha256: string; rows?: number }[]
    added: { feedback: number; redteam: number; other: number; droppedInDev: number; droppedRepeated: number }
    redteam: { file: string; target: string; seed: number; succeeded: number; used: number; skippedDataAttacks: number; unknownIds: number }[]
    /** Attack texts of the evaluation's red-team corpus that were also training rows. */
    redteamCorpusInTraining: number
    benignFixtures: number
  }
  comparison: Comparison & { redteamCorpusSeed: number }
}

const MODE_TEXT: Record<TrainingMode, string> = {
  'full-grid': 'the full hyper-parameter grid (three settings, each selected on leave-one-source-out)',
  'reused-hyper-parameters': 'the hyper-parameters of the model it was compared with (one setting: calibration and thresholds re-selected on leave-one-source-out, no grid search)',
  quick: 'the quick setting (one setting, two epochs; for tests, not for use)',
}

const pct = (v: number): string => `${(100 * v).toFixed(2)} %`

/** MODEL_CARD.md of a versioned model. */
export function renderModelCard(m: VersionedMetrics): string {
  const added = m.data.added
  const c = m.chosen
  const lines = [
    `# Prompt-injection model ${m.version.slice(0, 12)}`,
    '',
    `Version \`${m.version}\` (sha256 of \`weights.bin\`)${m.parent === null ? '' : `, compared with \`${m.parent}\``}. Trained by \`rampart train injection\`; the same`,
    'model as `models/injection/` (hashed n-gram logistic regression stacked on the heuristic, used by the',
    '`prompt_injection` scanner\'s `model` and `ensemble` detectors), retrained — see `models/injection/MODEL_CARD.md` for the method.',
    '',
    'Use it: `rampart detectors register DIR`, or in a policy',
    '`prompt_injection: { options: { weights: DIR/weights.bin } }`.',
    '',
    '## Training',
    '',
    `- Selection: ${MODE_TEXT[m.mode]}${m.hyperParametersFrom === null ? '' : ` — from version \`${m.hyperParametersFrom.slice(0, 12)}\``}.`,
    `- Seed ${m.seed}; hyper-parameters: ${c.mutations} mutated copies per attack, focus copies ${c.focus ? 'on' : 'off'}, L2 ${c.l2}, ${c.epochs} epochs, learning rate ${c.lr}, classes balanced: ${c.balance}.`,
    `- Calibration a = ${c.calibration.a.toFixed(4)}, b = ${c.calibration.b.toFixed(4)}; thresholds: model ${c.thresholds.model}, ensemble ${c.thresholds.ensemble}, sentence windows ${c.thresholds.window !== undefined && c.thresholds.window <= 1 ? `${c.thresholds.window} from p ≥ ${c.thresholds.windowFloor}` : 'off'}; heuristic weight ${c.heuristicWeight.toFixed(4)}.`,
    `- Shared data: ${m.data.train} training rows from ${m.data.sources} sources${m.inputs.limit === null ? '' : ` (an evenly spaced slice of ${m.inputs.limit})`}, ${m.data.dev} dev rows (only reported), ${m.data.extraRows} augmented rows, ${m.inputs.benignFixtures} hand-written hard negatives bounding the thresholds.`,
    added === undefined
      ? '- Added rows: none.'
      : `- Added rows (training only, never dev, never scored in LOSO): ${added.rows} — ${m.inputs.added.feedback} confirmed feedback, ${m.inputs.added.redteam} red-team successes, ${m.inputs.added.other} other; ${added.attacks} attacks, ${added.benign} benign. Left out: ${m.inputs.added.droppedInDev} equal to a dev row, ${m.inputs.added.droppedRepeated} repeated.`,
    ...m.inputs.redteam.map(
      (r) =>
        `- Red-team report \`${r.file}\` (seed ${r.seed}, target "${r.target}"): ${r.succeeded} successful attacks, ${r.used} used as attack rows (their delivered text)${r.skippedDataAttacks > 0 ? `, ${r.skippedDataAttacks} from an attack file left out (no text in the report; such files are often the dev data)` : ''}${r.unknownIds > 0 ? `, ${r.unknownIds} ids unknown to this corpus version` : ''}.`,
    ),
    `- Input files: ${m.inputs.files.map((f) => `${f.role} \`${f.name}\` (sha256 ${f.sha256.slice(0, 12)}${f.rows === undefined ? '' : `, ${f.rows} rows`})`).join('; ')}.`,
    '',
    '## Compared with the current model',
    '',
    'Both through the `prompt_injection` scanner as the gateway runs it (ensemble, threshold 0.5). Dev: the',
    'shared dev rows; family rows: dev attacks of ≤ 2,000 characters mutated once per family with the',
    `\`test\` templates; red team: the corpus of \`rampart redteam\` (seed ${m.comparison.redteamCorpusSeed}) as delivered, an attack stopped when`,
    'any message it sends is flagged. LOSO: training\'s out-of-fold figures (train without source S, score S).',
    '',
    '```',
    renderComparison(m.comparison),
    '```',
    '',
  ]
  if (m.inputs.redteamCorpusInTraining > 0) {
    lines.push(
      `**The red-team figures are not held out**: ${m.inputs.redteamCorpusInTraining} attack texts of the evaluation corpus were training rows (the successes of a red-team run on`,
      'the same corpus). They show the cycle closing, not generalization; dev and LOSO are the held-out measures.',
      '',
    )
  }
  const worse = m.comparison.worse
  lines.push(
    worse.length === 0 ? 'No headline measure is worse than the current model\'s.' : `Worse than the current model on: ${worse.join(', ')} — a person should look before this version is activated.`,
    '',
    '## Leave-one-source-out (candidate, ensemble)',
    '',
    `Macro F1 ${m.loso.ensemble.macroF1}, pooled F1 ${m.loso.ensemble.pooledF1}, FPR ${pct(m.loso.ensemble.pooledFpr)}, FPR benign-hard ${pct(m.loso.ensemble.fprBenignHard)}.`,
    '',
    '| held-out source | rows | recall | FPR |',
    '|---|---:|---:|---:|',
    ...Object.entries(m.loso.ensemble.perSource).map(([s, e]) => `| ${s} | ${e.rows} | ${e.recall ?? '–'} | ${e.fpr ?? '–'} |`),
    '',
  )
  return lines.join('\n')
}
