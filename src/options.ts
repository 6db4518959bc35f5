import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { KILL_SIGNALS, PROCFILE_MANAGERS, STRATEGY_NAMES, type Answers } from './types.js';

declare const __VERSION__: string | undefined;
export const VERSION =
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

/** Parsed command-line flags (commander's camelCase names). */
export interface Flags {
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

/** Every wizard question is also a flag. */
export function program(): Command {
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


/** The answers the flags give; what they leave open stays undefined (detection, remembered answers or the wizard fill it). */
export function answersFromFlags(flags: Flags, dir: string): Answers {
  return {
    dir,
    strategy: flags.strategy,
    processes: flags.process.length ? flags.process : undefined,
    ports: flags.port.length ? flags.port : undefined,
    http: flags.http,
    app: flags.app,
    region: flags.region,
    killSignal: flags.killSignal,
    killTimeout: flags.killTimeout,
    baseImage: flags.baseImage,
    procfileManager: flags.procfileManager,
    yes: flags.yes,
  };
}
