import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { OPTIONS } from './option-table.js';
import { STRATEGIES, STRATEGY_NAMES } from './strategies/index.js';

declare const __VERSION__: string | undefined;
export const VERSION =
  typeof __VERSION__ === 'string'
    ? __VERSION__
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const collect = (value: string, previous: string[]) => [...previous, value];

const examples = () => `
Examples:
  $ npx create-fly-multiproc my-app --yes
      an empty directory: the built-in example, two processes of one small Node server
  $ npx create-fly-multiproc --strategy bash \\
      --process "web=bin/server --port 8080" --port web=8080 \\
      --process "worker=bin/worker" --kill-timeout 10
  $ npx create-fly-multiproc --yes --strategy procfile
      a project with a Procfile: its processes, a Dockerfile that builds the runtime found
      (go.mod, package.json, pyproject.toml, Gemfile, Cargo.toml), app and region from fly.toml
  $ npx create-fly-multiproc --strategy supervisord --process "web=/app/bin/api" --port web=8080 \\
      --process "worker=/app/bin/worker"
      a Go module with cmd/api and cmd/worker: the build puts each program in /app/bin
  $ npx create-fly-multiproc --strategy supervisord --process "web=gunicorn app:app -b 0.0.0.0:8000" \\
      --port web=8000 --process "jobs=celery -A app worker" --app my-app --region ams --dry-run
  $ npx create-fly-multiproc check --strict
      audit any multi-process Fly setup (fly.toml, Dockerfile, entrypoint, supervisord, Procfile)
  $ npx create-fly-multiproc eject Dockerfile.ejs && npx create-fly-multiproc --templates .fly-multiproc/templates ...
      customise a generated file: copy its template out, edit it, render with it (see TEMPLATES.md)

${strategyHelp()}
Exit codes: 0 done, 2 bad usage or invalid input (nothing written), 1 anything else.
`;

/** The --help list of strategies, from the registry. */
function strategyHelp(): string {
  const width = STRATEGY_NAMES.reduce((w, n) => Math.max(w, n.length), 0);
  return `Strategies:\n${STRATEGY_NAMES.map((n) => `  ${n.padEnd(width)}  ${STRATEGIES[n].help}`).join('\n')}\n`;
}

export type { Flags } from './option-table.js';
export { answersFromFlags } from './option-table.js';

/** The scaffolder's command line, from the option table (src/option-table.ts). */
export function program(): Command {
  const cmd = new Command('create-fly-multiproc')
    .description(
      'Set up an app to run several processes on Fly.io: writes Dockerfile, entrypoint.sh, fly.toml and the process manager config.',
    )
    .version(VERSION, '-v, --version')
    .argument('[dir]', 'project directory', '.');
  for (const o of OPTIONS) {
    if (o.repeatable) cmd.option(o.flags, o.help, collect, []);
    else cmd.addOption(new Option(o.flags, o.help));
    if (o.key === 'example') cmd.option('--no-example', 'turn a remembered --example off (then pass --process)');
  }
  return cmd
    .usage('[options] [dir]')
    .helpCommand(false)
    .action(() => {}) // the scaffolder itself: cli.ts runs it after parse(); without an action, [dir] would be taken for an unknown command
    .addCommand(ejectCommand())
    .addCommand(checkCommand())
    .addHelpText('after', examples())
    .showHelpAfterError('(run create-fly-multiproc --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

/** Where `eject` puts the templates unless --to says otherwise. */
export const DEFAULT_TEMPLATES_DIR = '.fly-multiproc/templates';

export interface EjectFlags {
  to: string;
}

/** `create-fly-multiproc eject [names...]`; cli.ts runs it. A project directory named "eject" is given as ./eject. */
export function ejectCommand(): Command {
  return new Command('eject')
    .description(
      `copy built-in templates into ${DEFAULT_TEMPLATES_DIR} (or --to DIR) to customise them; existing files are never overwritten`,
    )
    .argument(
      '[names...]',
      'templates to copy, e.g. Dockerfile.ejs, partials/app.ejs, fly.toml or a directory such as supervisord (default: all)',
    )
    .option('--to <dir>', 'directory to copy them into', DEFAULT_TEMPLATES_DIR)
    .addHelpText(
      'after',
      `
Then edit them, delete the ones you did not change (those keep following the built-in ones), and run
  $ npx create-fly-multiproc --templates ${DEFAULT_TEMPLATES_DIR} ...
TEMPLATES.md documents what a template can use.
`,
    )
    .showHelpAfterError('(run create-fly-multiproc eject --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .action(() => {});
}

export interface CheckFlags {
  json?: boolean;
  strict?: boolean;
  config?: string;
  dockerfile?: string;
}

/** `create-fly-multiproc check [dir]`; cli.ts runs it (the rules load only then). A project directory named "check" is given as ./check. */
export function checkCommand(): Command {
  return new Command('check')
    .description(
      'audit a multi-process Fly setup, generated or not: fly.toml, Dockerfile, entrypoint script, supervisord config, Procfile',
    )
    .argument('[dir]', 'project directory', '.')
    .option('--json', 'print the findings as JSON on stdout')
    .option('--strict', 'warnings fail too (exit 1)')
    .option('--config <path>', 'fly.toml to read, relative to dir (default fly.toml)')
    .option(
      '--dockerfile <path>',
      'Dockerfile to read, relative to dir (default: fly.toml [build] dockerfile, else Dockerfile)',
    )
    .addHelpText(
      'after',
      `
Each finding has a severity (error, warning, advice), file:line, why it matters on Fly and the fix.
Exit codes: 0 no errors (with --strict: no errors or warnings), 1 problems found, 2 bad usage.
`,
    )
    .showHelpAfterError('(run create-fly-multiproc check --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .action(() => {});
}
