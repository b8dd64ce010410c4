import { Command, CommanderError, Option } from 'commander'
import { createRequire } from 'node:module'
import { isRampartError } from '../core/errors.js'
import { writeLine } from './io.js'
import { MUTATION_FAMILIES } from '../adversarial/mutate.js'
import { ATTACK_GOALS, DELIVERIES } from '../redteam/corpus.js'
import { registerDataCommands } from './commands/data.js'
import { registerLearningCommands } from './commands/learning.js'
import { registerCycleCommands } from './commands/cycle.js'
import { registerMonitorCommands } from './commands/monitor.js'
import { registerTrainCommands } from './commands/train.js'
import { registerReplayCommand } from './commands/replay.js'

// Commands are loaded when run: the scanners' word lists take a second or two to load, and
// `rampart keys …` or `--help` should not wait for them.
const scan = () => import('./commands/scan.js')
const policyCommands = () => import('./commands/policy.js')
const mutate = () => import('./commands/mutate.js')
const evaluate = () => import('./commands/eval.js')
const gateway = () => import('./commands/gateway.js')
const redteam = () => import('./commands/redteam.js')

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }

/** Exit status for usage errors and invalid input (bad flags, unreadable files, invalid policies). */
export const EXIT_USAGE = 2

function buildProgram(setCode: (code: number) => void): Command {
  const program = new Command('rampart')
    .description('Rampart: a self-hosted security layer for LLM apps. Scan prompts and responses for attacks, personal data, secrets and leaks.')
    .version(version)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')

  program
    .command('scan')
    .description('Scan text and print the result as JSON (one object per line with --jsonl). Exit 0 when the scan ran, whatever it found; 3 when some JSONL lines were invalid.')
    .argument('[file]', 'read the text to scan from FILE (default: --text, or stdin)')
    .option('--text <text>', 'the text to scan')
    .addOption(new Option('--direction <direction>', 'input (a prompt) or output (a model response)').default('input'))
    .option('--policy <file>', 'policy file (YAML or JSON); default: the shipped default policy')
    .option('--only <names>', 'run only these scanners (comma-separated), with their default settings')
    .option('--jsonl <file>', "read one JSON object per line ({text, id?, context?}) from FILE ('-' for stdin) and write one result per line, in order")
    .option('--context <file>', 'JSON file with the request context for output scans: {systemPrompt?, canaries?, internalNames?, prompt?}')
    .option('--max-chars <n>', "refuse texts longer than N characters (default: the policy's maxChars)")
    .option('--pretty', 'indent the JSON output (single-text mode)')
    .action(async (file: string | undefined, opts: Record<string, unknown>) => {
      setCode(await (await scan()).runScan((await scan()).parseScanFlags({ ...opts, ...(file === undefined ? {} : { file }) })))
    })

  const policy = program.command('policy').description('Validate, show and describe policies.')
  policy
    .command('validate')
    .description('Validate a policy file; on error print the field path and what is wrong and exit 2.')
    .argument('<file>', 'policy file (YAML or JSON)')
    .action(async (file: string) => setCode(await (await policyCommands()).runPolicyValidate(file)))
  policy
    .command('show')
    .description('Print the effective policy (the default policy unless --policy), with every default filled in.')
    .option('--policy <file>', 'show this policy instead of the default')
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (opts: { policy?: string; format: 'yaml' | 'json' }) => setCode(await (await policyCommands()).runPolicyShow(opts)))
  policy
    .command('schema')
    .description('Print the JSON Schema of policy files (for editor completion).')
    .action(async () => setCode(await (await policyCommands()).runPolicySchema()))

  program
    .command('mutate')
    .description('Turn each attack of a JSONL file into obfuscated and reframed variants (one line per row and family, with `family` and `source_id`), for robustness tests and training. Exit 3 when some lines were invalid.')
    .requiredOption('--in <file>', "JSONL input, one {text, id?, ...} per line ('-' for stdin); other fields are kept")
    .requiredOption('--out <file>', "JSONL output ('-' for stdout)")
    .option('--families <names>', `comma-separated families (default: all): ${MUTATION_FAMILIES.join(', ')}`)
    .option('--seed <n>', 'seed of the variants (same seed, same output)', '0')
    .option('--per-family <n>', 'variants per row and family', '1')
    .addOption(new Option('--pool <pool>', 'template half: train (augment training), test (measure), all').default('all'))
    .action(async (opts: Record<string, unknown>) => setCode(await (await mutate()).runMutate((await mutate()).parseMutateFlags(opts))))

  program
    .command('eval')
    .description('Run a detector configuration on a labeled JSONL file and print precision, recall, F1, FPR, FPR on kind=benign-hard rows and recall per family. A row is flagged when the decision is not allow. Exit 3 when some lines were invalid.')
    .requiredOption('--data <file>', "labeled JSONL, one {text, label, kind?, family?} per line ('-' for stdin)")
    .option('--policy <file>', 'policy file (YAML or JSON); default: the shipped default policy')
    .option('--only <names>', 'run only these scanners (comma-separated), with their default settings')
    .addOption(new Option('--direction <direction>', 'input (prompts) or output (model responses)').default('input'))
    .option('--label-field <name>', 'field holding the label: 1/true = attack, 0/false = benign', 'label')
    .option('--family-field <name>', 'field grouping the positives for per-family recall', 'family')
    .option('--json', 'print the figures as JSON')
    .action(async (opts: Record<string, unknown>) => setCode(await (await evaluate()).runEval((await evaluate()).parseEvalFlags(opts))))

  const redteamCommand = program
    .command('redteam')
    .description(
      'Send a corpus of attacks (plain, every mutation family, multi-turn, indirect) to an OpenAI-compatible endpoint and judge each reply by objective evidence (canary or system prompt leaked, marker printed, forbidden tool called); report the success rate per family, two targets side by side. Resumable. Exit 3 when some attacks could not be run, 5 above --fail-above.',
    )
    .option('--target <url>', 'API base URL of the target (…/v1), a bare model or the same model behind Rampart')
    .option('--key <key>', 'bearer key for --target (or RAMPART_REDTEAM_KEY)')
    .option('--label <name>', 'name of --target in the report', 'target')
    .option('--compare-target <url>', 'a second target, reported side by side (e.g. the bare model)')
    .option('--compare-key <key>', 'bearer key for --compare-target (or RAMPART_REDTEAM_COMPARE_KEY)')
    .option('--compare-label <name>', 'name of --compare-target in the report', 'compare')
    .option('--system-prompt <file>', 'system prompt to defend ({{CANARY}} marks where the canary goes; else it is appended); default: a bank-support prompt')
    .option('--out <file>', 'JSON report')
    .option('--html <file>', 'also write an HTML page with charts')
    .option('--state <file>', 'JSONL state file, appended as attacks finish (default <out>.state.jsonl)')
    .option('--resume', 'continue the state file of an interrupted run (same flags)')
    .option('--model <name>', 'the model field of every request', 'rampart-test-model')
    .option('--rate <n>', 'requests per second, all targets together', '5')
    .option('--concurrency <n>', 'attacks in flight at once', '2')
    .option('--retries <n>', 'retries of a request after a network error, timeout, 429 or 5xx', '2')
    .option('--timeout <seconds>', 'deadline of each request', '60')
    .option('--seed <n>', 'seed of the markers and mutations', '0')
    .option('--families <names>', `comma-separated families (default: all): ${DELIVERIES.join(', ')}`)
    .option('--goals <names>', `comma-separated goals (default: all): ${ATTACK_GOALS.join(', ')}`)
    .option('--per-goal <n>', 'base attacks per goal, 1-4 (default 4)')
    .option('--stream', 'ask for streamed responses (stream: true)')
    .option('--attack-data <file>', 'JSONL of attacks ({text, kind?, label?}; label-0 rows left out), e.g. ../shared/data/prompt-injection/dev.jsonl: each is sent with a goal payload after it, as family data:<kind>')
    .option('--attack-data-limit <n>', 'at most N rows of --attack-data, a seeded sample (default 60)')
    .option('--no-benign', 'do not send the 10 harmless requests that measure how often a target refuses what it should answer')
    .option('--fail-above <rate>', 'exit 5 when a target\'s success rate is above this share (0..1)')
    .action(async (opts: Record<string, unknown>) => {
      const m = await redteam()
      setCode(await m.runRedteam(m.parseRedteamFlags(opts)))
    })
  redteamCommand
    .command('serve-model')
    .description('Serve the deliberately vulnerable, deterministic test model (OpenAI-compatible, follows injected instructions on purpose) for red-team demos and tests. Runs until SIGINT/SIGTERM.')
    .option('--port <port>', 'port', '8799')
    .option('--host <host>', 'address', '127.0.0.1')
    .action(async (opts: Record<string, unknown>) => {
      const m = await redteam()
      setCode(await m.runServeModel(m.parseServeModelFlags(opts)))
    })

  // Settings shared by the gateway and its admin commands: same names as the config file and RAMPART_* variables.
  const storeOptions = (cmd: Command) =>
    cmd
      .option('--config <file>', 'YAML/JSON config file (or RAMPART_CONFIG)')
      .option('--data-dir <dir>', 'data folder: SQLite store and local keyring (default ./rampart-data, or RAMPART_DATA_DIR)')
      .option('--store <url>', 'sqlite:PATH or postgres://… (default sqlite:<data-dir>/rampart.db)')
      .addOption(new Option('--key-provider <id>', 'master key provider').choices(['local', 'aws-kms']))
      .option('--kms-key-id <id>', 'AWS KMS key id or ARN (key provider aws-kms)')
      .option('--kms-region <region>', 'AWS region for KMS')

  storeOptions(
    program
      .command('serve')
      .description('Run the gateway: guard API, OpenAI-compatible proxy, alerts, policies, keys, audit, metrics. Runs until SIGINT/SIGTERM, then finishes in-flight requests.')
      .option('--host <host>', 'address to listen on (default 127.0.0.1; non-loopback needs TLS or --insecure-listen)')
      .option('--port <port>', 'port (default 8787)')
      .option('--upstream <url>', 'OpenAI-compatible base URL the proxy forwards to, e.g. http://127.0.0.1:11434/v1')
      .option('--policy <file>', 'default policy file (default: the shipped default policy)')
      .option('--redis <url>', 'redis:// URL: share rate limits and quotas between replicas')
      .option('--tls-cert <file>', 'TLS certificate (PEM)')
      .option('--tls-key <file>', 'TLS private key (PEM)')
      .option('--tls-ca <file>', 'CA bundle: require client certificates signed by it')
      .option('--insecure-listen', 'allow plain HTTP on a non-loopback address (behind a TLS proxy)')
      .option('--workers <n>', 'processes serving the port, one per core (default 1)')
      .option('--scan-threads <n>', 'threads per process that run the scans, 0 for none (default auto: 1 when there are more cores than workers)')
      .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
      .option('--shadow-policy <file>', 'candidate policy scanned in shadow beside the active one, never enforced (RAMPART_SHADOW_POLICY; docs/replay.md)')
      .option('--shadow-detector <dir>', 'candidate prompt-injection model directory run in shadow (RAMPART_SHADOW_DETECTOR)')
      .option('--guard-capture-sample-rate <rate>', 'share of /v1/guard calls captured (sealed) for rampart replay, 0..1 (default 0)')
      .option('--cycle-cron <expr>', 'run the learning cycle (rampart cycle run) on this UTC cron schedule, e.g. "0 3 * * 0"; one replica per occurrence (RAMPART_CYCLE_CRON)')
      .option('--cycle-target <url>', 'deployment the scheduled cycle red-teams and learns from (default: a scratch gateway before the test model; key in RAMPART_CYCLE_KEY)'),
  ).action(async (opts: Record<string, unknown>) => setCode(await (await gateway()).runServe(opts)))

  const keys = program.command('keys').description('Manage API keys and the master key (works on the store directly; no running gateway needed).')
  storeOptions(
    keys
      .command('create')
      .description('Create an API key and print it alone on stdout (shown once).')
      .requiredOption('--role <role>', 'admin, analyst or app')
      .option('--tenant <tenant>', 'tenant of the key', 'default')
      .option('--name <name>', 'a label for people')
      .option('--rate-limit <n>', 'requests per minute for this key')
      .option('--daily-quota <n>', 'requests per UTC day for this key'),
  ).action(async (opts: Record<string, unknown>) => setCode(await (await gateway()).runKeysCreate(opts)))
  storeOptions(keys.command('list').description('List API keys (never their secrets).').option('--tenant <tenant>', 'only this tenant').option('--json', 'print JSON')).action(
    async (opts: Record<string, unknown>) => setCode(await (await gateway()).runKeysList(opts)),
  )
  storeOptions(keys.command('revoke').description('Revoke an API key by id.').argument('<id>', 'the key id (the part after rk_)')).action(async (id: string, opts: Record<string, unknown>) =>
    setCode(await (await gateway()).runKeysRevoke(id, opts)),
  )
  storeOptions(keys.command('rotate-master').description('Make a new master key current and re-wrap every data key; old data stays readable, the gateway keeps running.')).action(
    async (opts: Record<string, unknown>) => setCode(await (await gateway()).runRotateMaster(opts)),
  )

  const audit = program.command('audit').description('The tamper-evident audit log.')
  storeOptions(audit.command('verify').description('Verify the hash chain and MACs; exit 4 and name the first bad entry when it was edited, removed, inserted or reordered.')).action(
    async (opts: Record<string, unknown>) => setCode(await (await gateway()).runAuditVerify(opts)),
  )

  program
    .command('scanners')
    .description('List the built-in scanners, their directions and default actions.')
    .action(async () => {
      const { builtinScanners } = await import('../scanners/index.js')
      for (const s of builtinScanners) {
        await writeLine(`${s.id.padEnd(18)} ${s.directions.join(',').padEnd(13)} ${s.defaults.action.padEnd(7)} ${s.description}`)
      }
      setCode(0)
    })
  registerDataCommands(program, setCode)
  registerMonitorCommands(program, setCode)
  registerTrainCommands(program, setCode)
  registerReplayCommand(program, setCode, storeOptions)
  registerLearningCommands(program, setCode, storeOptions)
  registerCycleCommands(program, setCode, storeOptions)
  const monitorCommand = program.commands.find((c) => c.name() === 'monitor')
  if (monitorCommand !== undefined) {
    storeOptions(
      monitorCommand
        .command('ground-truth')
        .description("Import ground-truth labels ({inferenceId, label} per JSONL line) and join them to the gateway's captured inferences; exit 3 when some lines were invalid.")
        .requiredOption('--file <file>', 'JSONL file of {inferenceId, label}')
        .option('--tenant <tenant>', 'tenant of the captures', 'default')
        .option('--json', 'print the summary as JSON'),
    ).action(async (opts: Record<string, unknown>) => setCode(await (await gateway()).runGroundTruth(opts)))
  }
  return program
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0
  const program = buildProgram((c) => (code = c))
  try {
    await program.parseAsync([...argv])
    return code
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE
    }
    if (isRampartError(error)) {
      process.stderr.write(`rampart: ${error.code}: ${error.message}\n`)
      return EXIT_USAGE
    }
    process.stderr.write(`rampart: internal error: ${(error as Error)?.stack ?? String(error)}\n`)
    return 1
  }
}
