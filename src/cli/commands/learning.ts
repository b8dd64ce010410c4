import type { Command } from 'commander'
import { Option } from 'commander'

/**
 * `rampart alerts verdict`, `rampart feedback export` and `rampart detectors …`: the learning
 * loop's operator commands, on the store directly like `rampart keys` (no running gateway
 * needed). The work is loaded when a command runs (feedback.ts, detectors.ts).
 */
export function registerLearningCommands(program: Command, setCode: (code: number) => void, storeOptions: (cmd: Command) => Command): void {
  const feedback = () => import('./feedback.js')
  const detectors = () => import('./detectors.js')

  const alerts = program.commands.find((c) => c.name() === 'alerts') ?? program.command('alerts').description('Alerts raised by the gateway.')
  storeOptions(
    alerts
      .command('verdict')
      .description('Mark an alert a true or false positive: stored with the text the scanners saw (sealed) as labeled data, audited; a later verdict replaces it.')
      .argument('<id>', 'the alert id')
      .addOption(new Option('--verdict <verdict>', 'true_positive or false_positive').choices(['true_positive', 'false_positive']).makeOptionMandatory())
      .option('--note <text>', 'why (stored sealed)')
      .option('--tenant <tenant>', 'tenant of the alert', 'default')
      .option('--json', 'print the verdict as JSON'),
  ).action(async (id: string, opts: Record<string, unknown>) => setCode(await (await feedback()).runVerdict(id, opts)))

  const feedbackCommand = program.command('feedback').description('Operators\' verdicts on alerts, as labeled data.')
  storeOptions(
    feedbackCommand
      .command('export')
      .description('Write verdicts as labeled JSONL {text, label, source: "feedback", alert_id, verdict_at, verdict, scanners, direction, text_source}: label 1 for a true positive, 0 for a false positive. The text is the one the scanners saw, in clear, unless --redact-pii.')
      .requiredOption('--out <file>', "JSONL output ('-' for stdout); created with mode 0600")
      .option('--tenant <tenant>', 'tenant whose verdicts to export', 'default')
      .option('--scanner <id>', "only verdicts on alerts raised by this scanner; 'all' for every verdict", 'prompt_injection')
      .addOption(new Option('--verdict <verdict>', 'only true or only false positives').choices(['true_positive', 'false_positive']))
      .option('--since <time>', 'only verdicts given at or after this ISO time')
      .option('--redact-pii', 'replace personal data and secrets with placeholders (the text then differs from what the detector saw)')
      .option('--max-chars <n>', 'leave out texts longer than N characters (default 20000, the most rampart train injection --extra takes)'),
  ).action(async (opts: Record<string, unknown>) => setCode(await (await feedback()).runFeedbackExport(opts)))

  const det = program.command('detectors').description('The detector registry: prompt_injection versions (weights, model card, metrics) — list, compare, activate, roll back.')
  storeOptions(
    det
      .command('register')
      .description('Register a model directory (weights.bin, MODEL_CARD.md, metrics.json — as models/injection/ or `rampart train injection --out DIR`); its id is the sha256 of the weights. Does not activate it.')
      .argument('<dir>', 'the model directory')
      .option('--description <text>', "a label (default: the model card's first heading)")
      .option('--activate', 'activate it too'),
  ).action(async (dir: string, opts: Record<string, unknown>) => setCode(await (await detectors()).runDetectorsRegister(dir, opts)))
  storeOptions(det.command('list').description('List the versions (the built-in one first) with headline metrics; * marks the active one.').option('--json', 'print JSON')).action(
    async (opts: Record<string, unknown>) => setCode(await (await detectors()).runDetectorsList(opts)),
  )
  storeOptions(
    det
      .command('compare')
      .description("Two versions' metrics side by side (dev precision, recall, F1, FPR, hard FPR, per-family recall, LOSO…) with B − A.")
      .argument('<a>', "a version id or unique prefix, 'builtin', or a model directory")
      .argument('<b>', "a version id or unique prefix, 'builtin', or a model directory")
      .option('--all', 'also the training settings, threshold grid and per-source rows')
      .option('--json', 'print JSON'),
  ).action(async (a: string, b: string, opts: Record<string, unknown>) => setCode(await (await detectors()).runDetectorsCompare(a, b, opts)))
  storeOptions(
    det.command('activate').description('Make a version active for every gateway on this store (each picks it up within detectorPollMs, default 5 s).').argument('<id>', "a version id or unique prefix, or 'builtin'"),
  ).action(async (id: string, opts: Record<string, unknown>) => setCode(await (await detectors()).runDetectorsActivate(id, opts)))
  storeOptions(det.command('rollback').description('Return to the version active before the current activation (repeat to go further back, down to the built-in weights).')).action(
    async (opts: Record<string, unknown>) => setCode(await (await detectors()).runDetectorsRollback(opts)),
  )
  storeOptions(
    det
      .command('export')
      .description('Write a version back out as a model directory (weights.bin, MODEL_CARD.md, metrics.json), e.g. for `rampart train injection --current DIR` or `rampart replay --detector DIR`.')
      .argument('<id>', "a version id or unique prefix, or 'active'")
      .requiredOption('--out <dir>', 'the directory to create (must not exist or be empty)'),
  ).action(async (id: string, opts: Record<string, unknown>) => setCode(await (await detectors()).runDetectorsExport(id, opts)))
  storeOptions(det.command('history').description('Activations and rollbacks, newest first.').option('--json', 'print JSON')).action(
    async (opts: Record<string, unknown>) => setCode(await (await detectors()).runDetectorsHistory(opts)),
  )
}
