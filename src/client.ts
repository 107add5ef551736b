/**
 * `dcos-patch`: the operator's CLI. One command per verb of the runbook, each a thin wrapper
 * over the typed Temporal client and the control surface in src/workflows/messages.ts (the
 * `temporal` CLI and the Web UI use the same names). Exit codes: src/cli/exit-codes.ts.
 *
 * Run from the repo with `npx dcos-patch …` (bin/dcos-patch.js) or `tsx src/client.ts …`.
 */
import { Command, CommanderError, Option } from 'commander';
import {
  abortCommand,
  type DecideOptions,
  decideCommand,
  parseBool,
  parseDurationOption,
  parseRampOption,
  parseWhole,
  parseWindowsOption,
  pauseCommand,
  resumeCommand,
  type SetOptions,
  setCommand,
} from './cli/commands/control';
import { listCommand } from './cli/commands/list';
import { devServerCommand, SIM_ACTIONS, type SimAction, simCommand, workerCommand } from './cli/commands/ops';
import { checkCommand, startCommand } from './cli/commands/plan';
import { reportCommand } from './cli/commands/report';
import { statusCommand, watchCommand } from './cli/commands/watch';
import { EXIT_CODES_HELP, ExitCode } from './cli/exit-codes';
import { type Io, Runner, stdio } from './cli/runner';

const VERSION: string = require('../package.json').version;

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;
}

export function buildProgram(runner: Runner): Command {
  const io = runner.io;
  const program = new Command('dcos-patch')
    .description('Patch a live DC/OS cluster without downtime, as a durable Temporal workflow.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(dcos-patch --help shows every command)')
    .option('--address <host:port>', 'Temporal frontend (env TEMPORAL_ADDRESS; default 127.0.0.1:7233)')
    .option('-n, --namespace <name>', 'Temporal namespace (env TEMPORAL_NAMESPACE; default default)')
    .option('--api-key <key>', 'API key (env TEMPORAL_API_KEY; prefer the variable: flags show in `ps`)')
    .option('--tls', 'TLS without client certificates (env TEMPORAL_TLS=true)')
    .option('--tls-ca-path <path>', 'CA certificate of the server (env TEMPORAL_TLS_CA)')
    .option('--tls-cert-path <path>', 'client certificate for mTLS (env TEMPORAL_TLS_CLIENT_CERT_PATH)')
    .option('--tls-key-path <path>', 'client key for mTLS (env TEMPORAL_TLS_CLIENT_KEY_PATH)')
    .option('--tls-server-name <name>', 'server name to verify (env TEMPORAL_TLS_SERVER_NAME)')
    .option('--task-queue <name>', 'task queue of the patch worker (env DCOS_PATCH_TASK_QUEUE; default dcos-patch-v1)')
    .addHelpText(
      'after',
      `\nWeb UI links use DCOS_PATCH_UI_URL, else the UI of the dev server that "dcos-patch dev-server start" started at this address, else TEMPORAL_UI_PORT (default http://127.0.0.1:8233).\n${examples(
        'dcos-patch check plan.yaml',
        'dcos-patch start plan.yaml --watch',
        'dcos-patch watch patch-prod-east-2.1.4-to-2.1.5',
        'dcos-patch decide patch-prod-east-2.1.4-to-2.1.5 master-10.0.0.12 retry',
        'dcos-patch --address temporal.example.com:7233 --namespace ops list --running'
      )}\n\n${EXIT_CODES_HELP}`
    );

  program
    .command('check')
    .description('Dry run: validate the plan file and show what the patch would do. Touches nothing.')
    .argument('<plan>', 'plan file (docs/plan-file.md)')
    .option('--json', 'the check result as JSON')
    .addHelpText(
      'after',
      `${examples('dcos-patch check plan.yaml', 'dcos-patch check plan.yaml --json | jq .findings')}\n\nExit 0 when the plan is valid (warnings allowed), 2 when it has errors.`
    )
    .action(async (plan: string, opts: { json?: boolean }) => {
      runner.code = checkCommand(io, plan, opts);
    });

  program
    .command('start')
    .description(
      'Check the plan, then start the patch. Starting a patch that is already running attaches to it instead of running it twice.'
    )
    .argument('<plan>', 'plan file')
    .option('--id <id>', 'workflow id (default patch-<cluster>-<from>-to-<to>)')
    .option('--watch', 'watch the patch after starting it (as `watch`)')
    .option('--json', 'print {workflowId, runId, started, attached, url} as JSON')
    .option('--rerun', 'run a plan again whose patch already closed, as <id>-rerun-<n>')
    .addHelpText(
      'after',
      `\nA patch id that already ran (succeeded, failed or aborted) is never started again under that id;
--rerun starts the next <id>-rerun-<n> (hosts already at the target version are skipped). A second
patch of a cluster while one is running is refused (exit 4).
${examples(
  'dcos-patch start plan.yaml',
  'dcos-patch start plan.yaml --watch',
  'dcos-patch start plan.yaml --rerun --watch',
  'DCOS_PATCH_TASK_QUEUE=dcos-patch-lab dcos-patch start lab.yaml --id lab-patch-1'
)}`
    )
    .action(
      async (plan: string, opts: { id?: string; watch?: boolean; json?: boolean; rerun?: boolean }, cmd: Command) =>
        runner.run(cmd, (ctx) => startCommand(ctx, io, plan, opts))
    );

  program
    .command('watch')
    .description(
      'Live view of a patch: phase, progress, every node, what needs you. Ctrl-C detaches (the patch goes on).'
    )
    .argument('<id>', 'patch workflow id')
    .option('--plain', 'line-by-line output even on a terminal (only changes are printed)')
    .addOption(new Option('--interval <ms>', 'how often to look').argParser(parseWhole(200)).default(1000))
    .addHelpText(
      'after',
      `\nOn a terminal the view redraws in place every second; otherwise each change is printed once.
Exits when the patch closes: 0 succeeded or nothing to do, 1 otherwise; 130 when detached.
${examples(
  'dcos-patch watch patch-prod-east-2.1.4-to-2.1.5',
  'dcos-patch watch patch-prod-east-2.1.4-to-2.1.5 --plain | tee patch.log'
)}`
    )
    .action(async (id: string, opts: { plain?: boolean; interval: number }, cmd: Command) =>
      runner.run(cmd, (ctx) => watchCommand(ctx, io, id, { plain: opts.plain, intervalMs: opts.interval }), id)
    );

  program
    .command('status')
    .description('One look at a patch (the view `watch` redraws).')
    .argument('<id>', 'patch workflow id')
    .option('--json', 'status, report and live node details as JSON')
    .addHelpText(
      'after',
      `\nExit 0 running fine or succeeded; 1 failed/aborted or a node failed; 3 no such patch.
${examples(
  'dcos-patch status patch-prod-east-2.1.4-to-2.1.5',
  "dcos-patch status patch-prod-east-2.1.4-to-2.1.5 --json | jq '.status.pending'"
)}`
    )
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) =>
      runner.run(cmd, (ctx) => statusCommand(ctx, io, id, opts), id)
    );

  program
    .command('list')
    .description('Patches known to Temporal (visibility query on DcosCluster / ExecutionStatus).')
    .option('--cluster <name>', 'only this cluster')
    .option('--running', 'only running patches')
    .option('--json', 'as JSON')
    .addOption(new Option('--limit <n>', 'at most this many').argParser(parseWhole(1)).default(100))
    .addHelpText(
      'after',
      `${examples('dcos-patch list --running', 'dcos-patch list --cluster prod-east --json')}\n\nThe same query by hand: temporal workflow list --query "WorkflowType='patchCluster' AND DcosCluster='prod-east'"`
    )
    .action(async (opts: { cluster?: string; running?: boolean; json?: boolean; limit: number }, cmd: Command) =>
      runner.run(cmd, (ctx) => listCommand(ctx, io, opts))
    );

  program
    .command('pause')
    .description('Pause: nodes in flight finish, no new node starts. Never expires on its own.')
    .argument('<id>', 'patch workflow id')
    .option('--reason <text>', 'why (recorded in the workflow log)')
    .addHelpText('after', examples('dcos-patch pause patch-prod-east-2.1.4-to-2.1.5 --reason "change freeze"'))
    .action(async (id: string, opts: { reason?: string }, cmd: Command) =>
      runner.run(cmd, (ctx) => pauseCommand(ctx, io, id, opts), id)
    );

  program
    .command('resume')
    .description('Resume a paused patch.')
    .argument('<id>', 'patch workflow id')
    .addHelpText('after', examples('dcos-patch resume patch-prod-east-2.1.4-to-2.1.5'))
    .action(async (id: string, _opts: unknown, cmd: Command) =>
      runner.run(cmd, (ctx) => resumeCommand(ctx, io, id), id)
    );

  program
    .command('abort')
    .description('Abort: start nothing new, cancel the nodes in flight; each reports the state its script was left in.')
    .argument('<id>', 'patch workflow id')
    .option('--reason <text>', 'why (recorded in the workflow log)')
    .addHelpText('after', examples('dcos-patch abort patch-prod-east-2.1.4-to-2.1.5 --reason "registrar alarms"'))
    .action(async (id: string, opts: { reason?: string }, cmd: Command) =>
      runner.run(cmd, (ctx) => abortCommand(ctx, io, id, opts), id)
    );

  program
    .command('decide')
    .description('Answer a pending decision (watch/status show each with its id and the exact command).')
    .argument('<id>', 'patch workflow id')
    .argument(
      '<subject>',
      'node id (master-10.0.0.12) or its address, or survey / preflight / backups / bootstrap / agents'
    )
    .argument('<decision>', 'retry | skip | abort | approve | override | finish')
    .option(
      '--question <qid>',
      'the id of the question you answer (q7, shown by status/watch); an older one is refused'
    )
    .option('--checks <a,b>', 'with override: the failing preflight checks to proceed past, each named')
    .option('--reason <text>', 'why (recorded with the decision)')
    .addHelpText(
      'after',
      `\nExit 4 when the workflow rejects it (no such open question, an answer to a question already answered,
a decision not allowed there), with the workflow's reason. An agent that failed within the failure budget
can be retried while the patch runs, with the id its status line shows.
${examples(
  'dcos-patch decide patch-prod-east-2.1.4-to-2.1.5 master-10.0.0.12 retry --question q3',
  'dcos-patch decide patch-prod-east-2.1.4-to-2.1.5 agent-10.0.1.7 skip --question q9 --reason "hardware fault, ticket 123"',
  'dcos-patch decide patch-prod-east-2.1.4-to-2.1.5 preflight override --checks marathon-constraints --question q1',
  'dcos-patch decide patch-prod-east-2.1.4-to-2.1.5 agents approve --question q5',
  'dcos-patch decide patch-prod-east-2.1.4-to-2.1.5 agents finish --question q40'
)}`
    )
    .action(async (id: string, subject: string, decision: string, opts: DecideOptions, cmd: Command) =>
      runner.run(cmd, (ctx) => decideCommand(ctx, io, id, subject, decision, opts), id)
    );

  program
    .command('set')
    .description(
      'Change the policy of a running patch (the workflow validates it and answers with the policy in force).'
    )
    .argument('<id>', 'patch workflow id')
    .option('--concurrency <n>', 'agents patched at once', parseWhole(1))
    .option(
      '--ramp <steps>',
      'the canary ramp, e.g. 1,5,20% (none: no ramp); the step under way is kept',
      parseRampOption
    )
    .option(
      '--windows <file>',
      'maintenance windows from a YAML/JSON file (a list, as policy.windows in the plan); none: any time',
      parseWindowsOption
    )
    .option(
      '--window-min-node-time <dur>',
      'the least time a node is assumed to take inside a window',
      parseDurationOption
    )
    .option('--failure-budget <n>', 'agent failures tolerated before the agent phase stops and asks', parseWhole(0))
    .option('--approve-each-master <bool>', 'wait for `decide … approve` before each master after the first', parseBool)
    .option('--approve-before-agents <bool>', 'wait for `decide … agents approve` before the agent phase', parseBool)
    .option('--poll-interval <dur>', 'gate poll interval for nodes started from now (e.g. 5s)', parseDurationOption)
    .option('--stable-polls <n>', 'consecutive good polls a gate needs', parseWhole(1))
    .option('--exhibitor-timeout <dur>', 'Exhibitor gate timeout', parseDurationOption)
    .option('--mesos-master-timeout <dur>', 'Mesos master gate timeout', parseDurationOption)
    .option('--cockroach-timeout <dur>', 'CockroachDB gate timeout', parseDurationOption)
    .option('--cockroach-poll-interval <dur>', 'CockroachDB gate poll interval', parseDurationOption)
    .option('--script-timeout <dur>', 'how long the node script may run', parseDurationOption)
    .addHelpText(
      'after',
      `\nGate timings apply to the nodes started after the change; the agent window is the masters' own
agent ping timeout and cannot change.
${examples(
  'dcos-patch set patch-prod-east-2.1.4-to-2.1.5 --concurrency 5 --failure-budget 2',
  'dcos-patch set patch-prod-east-2.1.4-to-2.1.5 --approve-each-master true',
  'dcos-patch set patch-prod-east-2.1.4-to-2.1.5 --ramp 1,5,20%',
  'dcos-patch set patch-prod-east-2.1.4-to-2.1.5 --windows weekend-nights.yaml --window-min-node-time 10m',
  'dcos-patch set patch-prod-east-2.1.4-to-2.1.5 --poll-interval 2s --stable-polls 2 --script-timeout 20m'
)}`
    )
    .action(async (id: string, opts: SetOptions, cmd: Command) =>
      runner.run(cmd, (ctx) => setCommand(ctx, io, id, opts), id)
    );

  program
    .command('report')
    .description('The final per-node report of a closed patch: versions, durations, attempts, decisions, diagnostics.')
    .argument('<id>', 'patch workflow id')
    .addOption(new Option('--format <fmt>', 'md or json').choices(['md', 'json']).default('md'))
    .addHelpText(
      'after',
      `\nExit 0 when the patch succeeded (or had nothing to do), 1 when it did not, 4 while it still runs.
${examples(
  'dcos-patch report patch-prod-east-2.1.4-to-2.1.5 > patch-report.md',
  'dcos-patch report patch-prod-east-2.1.4-to-2.1.5 --format json | jq ".report.outcome"'
)}`
    )
    .action(async (id: string, opts: { format: string }, cmd: Command) =>
      runner.run(cmd, (ctx) => reportCommand(ctx, io, id, opts), id)
    );

  program
    .command('worker')
    .description('Run a patch worker in this process (workflows + SSH/HTTP activities) until Ctrl-C.')
    .option(
      '--metrics <host:port>',
      'serve Prometheus metrics on http://<host:port>/metrics (env DCOS_PATCH_METRICS_ADDRESS)'
    )
    .addHelpText(
      'after',
      examples(
        'dcos-patch worker',
        'dcos-patch worker --metrics 0.0.0.0:9464',
        'dcos-patch --address 10.0.0.9:7233 --task-queue dcos-patch-lab worker'
      )
    )
    .action(async (opts: { metrics?: string }, cmd: Command) =>
      runner.run(cmd, (ctx) => workerCommand(ctx, io, opts.metrics))
    );

  const sim = program
    .command('sim')
    .description('The DC/OS cluster simulator (demo, tests, benchmarks): up | down | fault | clear | truth.')
    .addHelpText(
      'after',
      `\nEach subcommand takes the simulator's own options (dcos-patch sim up --help).${examples(
        'dcos-patch sim up --masters 3 --agents 5 --dir .sim/demo',
        'dcos-patch sim fault --dir .sim/demo master-127.42.7.11 script-exit \'{"code": 3}\'',
        'dcos-patch sim down --dir .sim/demo'
      )}`
    );
  const simHelp: Record<SimAction, string> = {
    up: 'start a simulated cluster (writes its plan.yaml) and run until Ctrl-C or `sim down`',
    down: 'stop the simulated cluster',
    fault: 'inject a fault into one of its hosts',
    clear: "clear a host's faults",
    truth: 'print the ground truth (JSON)',
  };
  for (const action of SIM_ACTIONS) {
    sim
      .command(action)
      .description(simHelp[action])
      .allowUnknownOption()
      .allowExcessArguments()
      .helpOption(false)
      .argument('[args...]', 'passed to the simulator')
      .action(async (args: string[]) => {
        runner.code = await simCommand(action, args);
      });
  }

  program
    .command('dev-server')
    .description('A local Temporal dev server with the Web UI and our search attributes (scripts/dev-server.sh).')
    .argument('<action>', 'start | stop | status')
    .addHelpText(
      'after',
      `${examples('dcos-patch dev-server start', 'dcos-patch dev-server status')}\n\nstatus exits 3 when it is not running.`
    )
    .action(async (action: string) => {
      runner.code = await devServerCommand(action);
    });

  return program;
}

/** Parse and run one command line; resolves to the exit code. */
export async function main(argv: string[] = process.argv, io: Io = stdio): Promise<number> {
  const runner = new Runner(io);
  const program = buildProgram(runner);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.Ok;
      return ExitCode.Usage;
    }
    io.err(`dcos-patch: ${err instanceof Error ? err.message : String(err)}`);
    return err && typeof err === 'object' && 'exitCode' in err && typeof err.exitCode === 'number'
      ? err.exitCode
      : ExitCode.Failed;
  }
  return runner.code;
}

/** Run as the process: exit with the command's code once its output is written. */
export function run(argv: string[] = process.argv): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
      // Let stdout drain and connections close; do not hang on a stray handle.
      setTimeout(() => process.exit(code), 300).unref();
    },
    (err) => {
      process.stderr.write(`dcos-patch: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(ExitCode.Failed);
    }
  );
}

if (require.main === module) run();
