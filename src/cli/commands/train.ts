import type { Command } from 'commander'

// The training code (and the scanners it evaluates with) loads when the command runs.
const trainInjection = () => import('./train-injection.js')

const collect = (value: string, previous: string[]): string[] => [...previous, value]

/** `rampart train injection`: retrain the prompt-injection model and compare it with the current one. */
export function registerTrainCommands(program: Command, setCode: (code: number) => void): void {
  const train = program.command('train').description('Retrain a detector and compare the candidate with the current one.')
  train
    .command('injection')
    .description(
      'Retrain the prompt-injection model on the shared training data plus labeled rows (confirmed feedback, the red team\'s successful attacks), evaluate it against the current model (dev, dev mutation families, leave-one-source-out, red-team corpus) and write a versioned model directory: weights.bin, metrics.json, MODEL_CARD.md.',
    )
    .requiredOption('--out <dir>', 'the new model directory (created; refuses to overwrite a model unless --force)')
    .option('--data <dir>', 'shared data folder holding prompt-injection/{train,dev}.jsonl (default ../shared/data from the repository, or RAMPART_TRAINING_DATA)')
    .option('--extra <file>', 'labeled JSONL rows to add to training, {text, label: 0|1, source?} per line (e.g. the feedback export); repeatable', collect, [])
    .option('--redteam <file>', 'a red-team report (rampart redteam --out): its successful attacks become attack rows; repeatable', collect, [])
    .option('--redteam-target <name>', "which target's successes to take (default: each report's first target, its --target)")
    .option('--current <dir>', 'the model to compare with (default: the shipped models/injection)')
    .option('--quick', 'one setting, two epochs (tests and demos; not for use)')
    .option('--hyper-from <dir>', "reuse this model's hyper-parameters instead of the full grid (a retrain in a minute or two)")
    .option('--seed <n>', 'seed of the augmentation and training (default: the shipped model\'s)')
    .option('--limit <n>', 'train and evaluate on an evenly spaced slice of N shared rows of each file (tests)')
    .option('--corpus-seed <n>', 'seed of the red-team corpus the models are compared on', '0')
    .option('--force', 'write into --out even when it already holds a model')
    .option('--fail-if-worse', 'exit 5 when the candidate is worse than the current model on a headline measure (the directory is still written)')
    .option('--json', 'print the comparison as JSON instead of a table')
    .action(async (opts: Record<string, unknown>) => {
      const m = await trainInjection()
      setCode(await m.runTrainInjection(m.parseTrainInjectionFlags(opts)))
    })
}
