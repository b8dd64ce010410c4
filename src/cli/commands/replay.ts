import type { Command } from 'commander'

/**
 * Registers `rampart replay` (see replay-run.ts, loaded when run: the scanners take a moment to load).
 * `storeOptions` adds the store and key-provider flags shared with the gateway's admin commands.
 */
export function registerReplayCommand(program: Command, setCode: (code: number) => void, storeOptions: (cmd: Command) => Command): void {
  storeOptions(
    program
      .command('replay')
      .description(
        "Run a candidate policy and/or prompt-injection model over the gateway's captured traffic and show what would change against what was decided then: new and lost blocks, flags and redactions, per scanner, with redacted examples and latency. Works on the store directly.",
      )
      .option('--policy <file>', "candidate policy file (YAML or JSON); default with --detector: the tenant's active policy")
      .option('--policy-version <n>', "candidate: one of the tenant's stored policy versions")
      .option('--detector <dir>', 'candidate prompt-injection model directory (weights.bin, MODEL_CARD.md, metrics.json, as models/injection/)')
      .requiredOption('--since <duration>', 'captures stored in the last DURATION (30m, 24h, 7d, 1d12h) or since an ISO-8601 time')
      .option('--until <duration>', 'up to DURATION ago or an ISO-8601 time (default: now)')
      .option('--tenant <tenant>', 'tenant of the captures', 'default')
      .option('--model <id>', "only this model's captures (rampart-guard: the /v1/guard captures)")
      .option('--out <file>', 'write the JSON report')
      .option('--html <file>', 'write a self-contained HTML page with charts')
      .option('--examples <n>', 'examples kept per kind of change (redacted excerpts)', '5')
      .option('--json', 'print the JSON report instead of the summary')
      .option('--shadow', 'report the disagreements shadow mode stored (enforced vs shadow verdict) instead of replaying a candidate'),
  ).action(async (opts: Record<string, unknown>) => setCode(await (await import('./replay-run.js')).runReplayCommand(opts)))
}
