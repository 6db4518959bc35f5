/**
 * Every option of the scaffolder, once: the commander definitions (options.ts), the Flags type,
 * the answers a re-run remembers in fly-multiproc.json and their order (state.ts), the flag each
 * answer stands for in messages, and the check of a choice. A scalar option is one entry here (and a
 * template line if it is rendered); a strategy's own options come from its module.
 */
import { DOCKERFILE_MODES } from './dockerfile/mode.js';
import { strategyOptions, STRATEGY_NAMES, type StrategyOption } from './strategies/index.js';
import { KILL_SIGNALS, OTHER_PORTS, RUNTIMES, type Answers } from './types.js';

export interface OptionSpec {
  /** The Answers key, and fly-multiproc.json's when remembered. */
  readonly key: string;
  /** commander's attribute when it differs from key (--process gives `process`, the answer is `processes`). */
  readonly flagKey?: string;
  /** Commander's flags: `--app <name>`, `-y, --yes`. */
  readonly flags: string;
  readonly help: string;
  /** Repeatable: every value, in order. */
  readonly repeatable?: true;
  /** Remembered in fly-multiproc.json: a string, a list, a path (kept relative to the project) or a boolean. */
  readonly remember?: 'string' | 'list' | 'path' | 'boolean';
  /** Values it takes; checked with every other problem (commander's .choices() would stop at the first). */
  readonly choices?: () => readonly string[];
  /** Not an answer: how to run (--force, --dry-run...), never remembered. */
  readonly run?: true;
}

/** The flag's long name: `--kill-timeout` of `--kill-timeout <seconds>`. */
export const flagName = (o: Pick<OptionSpec, 'flags'>) => /--[a-z-]+/.exec(o.flags)![0];

const BEFORE_STRATEGY_OPTIONS = [
  {
    key: 'strategy',
    flags: '--strategy <name>',
    help: 'how the processes run (see Strategies below)',
    remember: 'string',
    choices: () => STRATEGY_NAMES,
  },
  {
    key: 'processes',
    flagKey: 'process',
    flags: '--process <name=command>',
    help: 'a process to run (repeatable, in order)',
    repeatable: true,
    remember: 'list',
  },
  {
    key: 'fromProcfile',
    flags: '--from-procfile <path>',
    help: 'take the processes from this Procfile, relative to the project directory (default: Procfile.prod or Procfile in the project, if any)',
    remember: 'string',
  },
  {
    key: 'ports',
    flagKey: 'port',
    flags: '--port <name=port>',
    help: 'internal port a process listens on (repeatable); NAME=none: no port, a worker even if named web',
    repeatable: true,
    remember: 'list',
  },
  {
    key: 'http',
    flags: '--http <name>',
    help: "process that gets Fly's http_service (default: the first with a port)",
    remember: 'string',
  },
  { key: 'app', flags: '--app <name>', help: 'Fly app name (default: from the directory name)', remember: 'string' },
  { key: 'region', flags: '--region <code>', help: 'primary region, e.g. ams, iad, syd', remember: 'string' },
  {
    key: 'statics',
    flags: '--statics <prefix=path>',
    help: "files Fly's proxy serves from the image under a URL prefix, e.g. /static=/app/public (repeatable, at most 10; a relative path is inside the app directory)",
    repeatable: true,
    remember: 'list',
  },
  {
    key: 'otherPorts',
    flags: '--other-ports <access>',
    help: "how ports other than the http_service's are reached: ipv6 (default, free: public over IPv6 and Flycast), ipv4 (a dedicated IPv4, billed) or internal (no public port: APP.internal:PORT on the private network only)",
    remember: 'string',
    choices: () => OTHER_PORTS,
  },
  {
    key: 'killSignal',
    flags: '--kill-signal <signal>',
    help: `signal Fly sends on stop: ${KILL_SIGNALS.join(', ')} (default SIGINT)`,
    remember: 'string',
  },
  {
    key: 'killTimeout',
    flags: '--kill-timeout <seconds>',
    help: 'seconds Fly waits after kill_signal (default 5, max 300)',
    remember: 'string',
  },
  {
    key: 'runtime',
    flags: '--runtime <name>',
    help: 'build the project as this runtime (default: detected from go.mod, package.json, pyproject.toml, Gemfile, Cargo.toml)',
    remember: 'string',
    choices: () => RUNTIMES,
  },
  {
    key: 'packages',
    flags: '--packages <names>',
    help: 'more Debian packages for the final image, comma-separated (repeatable; e.g. libvips42,ffmpeg)',
    repeatable: true,
    remember: 'list',
  },
  {
    key: 'buildPackages',
    flags: '--build-packages <names>',
    help: 'more Debian packages for the build stage, comma-separated (repeatable; e.g. libvips-dev)',
    repeatable: true,
    remember: 'list',
  },
  {
    key: 'baseImage',
    flags: '--base-image <image>',
    help: 'base image of the final stage (default fits the runtime)',
    remember: 'string',
  },
] as const satisfies readonly OptionSpec[];

const AFTER_STRATEGY_OPTIONS = [
  {
    key: 'templates',
    flags: '--templates <dir>',
    help: 'your templates, relative to the project directory (or absolute): each replaces the built-in one of the same name, extra ones add files (see TEMPLATES.md)',
    remember: 'path',
  },
  {
    key: 'example',
    flags: '--example',
    help: 'write the built-in example program and its two processes (default with --yes in an empty directory; remembered)',
    remember: 'boolean',
  },
  {
    key: 'dockerfile',
    flags: '--dockerfile <mode>',
    help: 'your existing Dockerfile: keep it (default for process-groups and apps), extend it with a marked block (default for the others), or replace it with a generated one',
    remember: 'string',
    choices: () => DOCKERFILE_MODES,
  },
  {
    key: 'yes',
    flags: '-y, --yes',
    help: 'take the defaults, never prompt; on a re-run, the answers remembered in fly-multiproc.json',
  },
  { key: 'force', flags: '--force', help: 'overwrite existing files that differ', run: true },
  { key: 'skip', flags: '--skip', help: 'keep existing files that differ, write the rest', run: true },
  {
    key: 'dryRun',
    flags: '--dry-run',
    help: 'show what would be written (a diff per changed file), write nothing',
    run: true,
  },
  {
    key: 'prune',
    flags: '--prune',
    help: 'delete files an earlier run wrote that are no longer needed (only if unedited)',
    run: true,
  },
  { key: 'json', flags: '--json', help: 'print a machine-readable summary on stdout', run: true },
] as const satisfies readonly OptionSpec[];

/** Every option, in the order fly-multiproc.json writes the remembered ones. */
export const OPTIONS: readonly OptionSpec[] = [
  ...BEFORE_STRATEGY_OPTIONS,
  // Each strategy's own (the Procfile manager), from its module.
  ...strategyOptions().map(({ option }): OptionSpec => ({
    key: option.key,
    flags: `${option.flag} <name>`,
    help: option.help,
    remember: 'string',
    choices: () => option.choices,
  })),
  ...AFTER_STRATEGY_OPTIONS,
];

type Spec = (typeof BEFORE_STRATEGY_OPTIONS)[number] | (typeof AFTER_STRATEGY_OPTIONS)[number];
type FlagKey<O> = O extends { flagKey: infer K extends string }
  ? K
  : O extends { key: infer K extends string }
    ? K
    : never;
type FlagValue<O> = O extends { repeatable: true }
  ? string[]
  : O extends { flags: `${string}<${string}` }
    ? string | undefined
    : boolean | undefined;

/** Parsed command-line flags (commander's camelCase names), derived from the table. */
export type Flags = { [O in Spec as FlagKey<O>]: FlagValue<O> } & {
  /** A strategy's own options (from its module). */
  procfileManager?: string;
  /** --no-example: false. */
  example?: boolean;
};

/** An answer a re-run remembers. */
export type RememberedKey = Extract<Spec, { remember: string }>['key'] | StrategyOption['key'];
/** The answers a re-run remembers, in the order they are written. */
export const REMEMBERED_KEYS = OPTIONS.filter((o) => o.remember).map((o) => o.key as RememberedKey);
/** Remembered answers by kind. */
export const rememberedAs = (kind: NonNullable<OptionSpec['remember']>) =>
  new Set(OPTIONS.filter((o) => o.remember === kind).map((o) => o.key as RememberedKey));

/** The flag each answer stands for, for messages. */
export const FLAG_OF: Readonly<Record<string, string>> = Object.fromEntries(OPTIONS.map((o) => [o.key, flagName(o)]));

/** The answers the flags give; what they leave open stays undefined (detection, remembered answers or the wizard fill it). */
export function answersFromFlags(flags: Flags, dir: string): Answers {
  const answers: Record<string, unknown> = { dir };
  const given = flags as unknown as Record<string, unknown>;
  for (const o of OPTIONS) {
    if (o.run) continue;
    const value = given[o.flagKey ?? o.key];
    answers[o.key] = o.repeatable ? ((value as string[] | undefined)?.length ? value : undefined) : value;
  }
  return answers as unknown as Answers;
}

/** Every value that is not one of its option's choices: all of them at once. */
export function choiceProblems(answers: Answers): string[] {
  const given = answers as unknown as Record<string, unknown>;
  const problems: string[] = [];
  for (const o of OPTIONS) {
    const value = given[o.key];
    if (!o.choices || typeof value !== 'string') continue;
    const allowed = o.choices();
    if (!allowed.includes(value))
      problems.push(`${flagName(o)} ${JSON.stringify(value)}: must be one of ${allowed.join(', ')}`);
  }
  return problems;
}
