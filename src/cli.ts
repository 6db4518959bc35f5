import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import pc from 'picocolors';
import { detect } from './detect.js';
import { CancelledError, UsageError } from './errors.js';
import { plan as makePlan } from './plan.js';
import { render } from './render.js';
import { dryRunContents, jsonReport, summary } from './report.js';
import { KILL_SIGNALS, PROCFILE_MANAGERS, STRATEGY_NAMES, type Answers } from './types.js';
import { compare, conflicts, writeFiles, type ConflictPolicy } from './write.js';

declare const __VERSION__: string | undefined;
const VERSION =
  typeof __VERSION__ === 'string' ? __VERSION__ : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const collect = (value: string, previous: string[]) => [...previous, value];

const EXAMPLES = `
Examples:
  $ npx create-fly-multiproc my-app --yes
      an empty directory: the built-in example, two processes of one small Node server
  $ npx create-fly-multiproc --strategy bash \\
      --process "web=bin/server --port 8080" --port web=8080 \\
      --process "worker=bin/worker" --kill-timeout 10
  $ npx create-fly-multiproc --strategy supervisord --process "web=gunicorn app:app -b 0.0.0.0:8000" \\
      --port web=8000 --process "jobs=celery -A app worker" --app my-app --region ams --dry-run

Strategies:
  process-groups  each process on its own Machines ([processes] in fly.toml) - Fly's recommended way
  bash            one Machine, a bash entrypoint that forwards signals and exits when any process dies
  supervisord     one Machine, supervisord restarts crashed programs; a program that keeps failing restarts the Machine
  procfile        one Machine, a Procfile run by overmind (or hivemind)

Exit codes: 0 done, 2 bad usage or invalid input (nothing written), 1 anything else.
`;

interface Flags {
  strategy?: string;
  process: string[];
  port: string[];
  http?: string;
  app?: string;
  region?: string;
  killSignal?: string;
  killTimeout?: string;
  baseImage?: string;
  procfileManager?: string;
  yes?: boolean;
  force?: boolean;
  skip?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

function program(): Command {
  return new Command('create-fly-multiproc')
    .description('Set up an app to run several processes on Fly.io: writes Dockerfile, entrypoint.sh, fly.toml and the process manager config.')
    .version(VERSION, '-v, --version')
    .argument('[dir]', 'project directory', '.')
    .addOption(new Option('--strategy <name>', 'how the processes run').choices(STRATEGY_NAMES as unknown as string[]))
    .option('--process <name=command>', 'a process to run (repeatable, in order)', collect, [])
    .option('--port <name=port>', 'internal port a process listens on (repeatable)', collect, [])
    .option('--http <name>', "process that gets Fly's http_service (default: the first with a port)")
    .option('--app <name>', 'Fly app name (default: from the directory name)')
    .option('--region <code>', 'primary region, e.g. ams, iad, syd')
    .option('--kill-signal <signal>', `signal Fly sends on stop: ${KILL_SIGNALS.join(', ')} (default SIGINT)`)
    .option('--kill-timeout <seconds>', 'seconds Fly waits after kill_signal (default 5, max 300)')
    .option('--base-image <image>', 'base image of the final stage (default fits the runtime)')
    .option('--procfile-manager <name>', `${PROCFILE_MANAGERS.join(' or ')} (default overmind)`)
    .option('-y, --yes', 'take the defaults, never prompt')
    .option('--force', 'overwrite existing files that differ')
    .option('--skip', 'keep existing files that differ, write the rest')
    .option('--dry-run', 'show what would be written, write nothing')
    .option('--json', 'print a machine-readable summary on stdout')
    .addHelpText('after', EXAMPLES)
    .showHelpAfterError('(run create-fly-multiproc --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

export async function main(argv: string[]): Promise<number> {
  const cmd = program();
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : 2;
    }
    throw error;
  }
  const flags = cmd.opts<Flags>();
  const dirArg = cmd.processedArgs[0] as string;
  try {
    if (flags.force && flags.skip) throw new UsageError('--force and --skip contradict each other: pass one of them');
    const answers: Answers = {
      dir: dirArg,
      strategy: flags.strategy,
      processes: flags.process,
      ports: flags.port,
      http: flags.http,
      app: flags.app,
      region: flags.region,
      killSignal: flags.killSignal,
      killTimeout: flags.killTimeout,
      baseImage: flags.baseImage,
      procfileManager: flags.procfileManager,
      yes: flags.yes,
    };
    const project = detect(dirArg);
    const plan = makePlan(answers, project);
    const files = render(plan, project);
    const policy: ConflictPolicy = flags.force ? 'force' : flags.skip ? 'skip' : 'ask';
    const statuses = compare(plan.dir, files, policy);
    const dryRun = Boolean(flags.dryRun);
    const pending = conflicts(statuses);
    if (pending.length && !dryRun) {
      throw new UsageError(
        pending.map((s) => `${s.path} exists and differs from what would be generated`),
        'nothing was written: pass --force to overwrite these files, --skip to keep them, or --dry-run to see the new content',
      );
    }
    if (!dryRun) await writeFiles(plan.dir, statuses);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(jsonReport(plan, statuses, { dryRun, dirArg, version: VERSION }), null, 2)}\n`);
    } else {
      if (dryRun) process.stdout.write(dryRunContents(statuses));
      process.stdout.write(summary(plan, statuses, { dryRun, dirArg }));
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      const head = error.problems.length === 1 ? 'error:' : `${error.problems.length} problems:`;
      const body = error.problems.length === 1 ? ` ${error.problems[0]}` : `\n${error.problems.map((p) => `  - ${p}`).join('\n')}`;
      process.stderr.write(`${pc.red(head)}${body}\n${error.hint ? `${error.hint}\n` : ''}`);
      if (flags.json) process.stdout.write(`${JSON.stringify({ error: { problems: error.problems, hint: error.hint } }, null, 2)}\n`);
      return 2;
    }
    if (error instanceof CancelledError) {
      process.stderr.write('cancelled: nothing written\n');
      return 130;
    }
    process.stderr.write(`${pc.red('error:')} ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
