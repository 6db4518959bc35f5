import { UsageError } from './errors.js';
import { shellArgv, splitWords } from './shell-words.js';
import { checkApp, checkCommand, checkName, checkPort, checkRegion } from './validate.js';
import { DEFAULT_STRATEGY, STRATEGIES, strategyOptions, type Strategy } from './strategies/index.js';
import { listening, withProjectDefaults } from './import.js';
import { parseGoDuration } from './flytoml-rules.js';
import { shellJoin } from './escape.js';
import { chooseBuild, copiesSource, exampleFlags, type Build } from './runtimes.js';
import { chooseDockerfileMode, entrypointFileFor, userDockerfileContext } from './dockerfile/mode.js';
import { railsPrepareNotes } from './dockerfile/rails-prepare.js';
import { parseStatic, staticsProblems, type Static } from './statics.js';
import { excludedFiles } from './dockerfile/dockerignore.js';
import {
  KILL_SIGNALS,
  OTHER_PORTS,
  STRATEGY_NAMES,
  type OtherPorts,
  type Answers,
  type KillSignal,
  type Plan,
  type PlannedProcess,
  type PlannedRelease,
  type ProcfileManager,
  type Project,
  type StrategyName,
} from './types.js';

const IMAGE_PATTERN = /^[a-z0-9][a-z0-9._\/-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
export const MAX_KILL_TIMEOUT = 300;

/** `--port NAME=none`: the process listens on no port, even when its command or name suggests one. */
export const NO_PORT = 'none';

export const DEFAULT_KILL_TIMEOUT = 5;

/** The built-in example: one program, two processes, as in Fly's multiple-processes guide. */
export const EXAMPLE_PROCESSES = ['web=node server.js', 'bar_web=node server.js -bar'];
export const EXAMPLE_PORTS = ['web=8080', 'bar_web=8081'];

export function defaultAppName(dir: string): string {
  const base = dir.split(/[\\/]/).filter(Boolean).pop() ?? '';
  const slug = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slug || 'my-app';
}

function splitPair(raw: string, flag: string, what: string, problems: string[]): [string, string] | undefined {
  const eq = raw.indexOf('=');
  if (eq < 0) {
    problems.push(
      `${flag} ${JSON.stringify(raw)}: expected NAME=${what} (for example ${flag} ${flag === '--port' ? 'web=8080' : '"web=node server.js"'})`,
    );
    return undefined;
  }
  return [raw.slice(0, eq).trim(), raw.slice(eq + 1).trim()];
}

function pick<T extends string>(
  value: string | undefined,
  allowed: readonly T[] | readonly string[],
  flag: string,
  problems: string[],
): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${flag} ${JSON.stringify(value)}: must be one of ${allowed.join(', ')}`);
  return undefined;
}

/** What every step of plan() adds to: problems (reported at once) and notes (shown in the summary). */
interface Findings {
  problems: string[];
  notes: string[];
}

/** Newlines and NUL cannot live in any of the formats we write. */
export function newlineProblems(answers: Answers): string[] {
  const scalarFlags: [string, string | undefined][] = [
    ['--strategy', answers.strategy],
    ['--http', answers.http],
    ['--app', answers.app],
    ['--region', answers.region],
    ['--kill-signal', answers.killSignal],
    ['--kill-timeout', answers.killTimeout],
    ['--base-image', answers.baseImage],
    ['--procfile-manager', answers.procfileManager],
    ['--dockerfile', answers.dockerfile],
    ...(answers.processes ?? []).map((v): [string, string] => ['--process', v]),
    ...(answers.ports ?? []).map((v): [string, string] => ['--port', v]),
  ];
  return scalarFlags
    .filter(([, value]) => value !== undefined && /[\n\r\0]/.test(value))
    .map(
      ([flag, value]) =>
        `${flag} ${JSON.stringify(value)}: contains a newline or NUL character, which no generated file can hold`,
    );
}

/** The strategy asked for (the default when none was), or undefined when the name is not one. */
export function chooseStrategy(given: string | undefined, from: string, problems: string[]): StrategyName | undefined {
  if (given === undefined) return DEFAULT_STRATEGY;
  return pick<StrategyName>(given, STRATEGY_NAMES, from, problems);
}

/** The raw --process and --port values, or the built-in example's when it is asked for. */
export function processSource(
  answers: Answers,
  project: Project,
  problems: string[],
): { rawProcesses: string[]; rawPorts: string[]; example: boolean } {
  const rawProcesses = answers.processes ?? [];
  const rawPorts = answers.ports ?? [];
  if (rawProcesses.length) return { rawProcesses, rawPorts, example: false };
  // Asked for (wizard, --example, or remembered in fly-multiproc.json): into any directory, so a
  // re-run keeps it; --yes alone: only into an empty one. --no-example: never.
  if (answers.example ?? (answers.yes && project.empty))
    return { rawProcesses: EXAMPLE_PROCESSES, rawPorts: rawPorts.length ? rawPorts : EXAMPLE_PORTS, example: true };
  if (answers.yes) {
    problems.push(
      `no processes given: pass --process NAME=COMMAND once per process, for example ${exampleFlags(project)} --process "worker=bin/worker" (the built-in example is only written into an empty directory)`,
    );
  } else {
    problems.push(
      'no processes given, and no terminal to ask in (or CI=true): pass --process NAME=COMMAND once per process, --port NAME=PORT for those that listen, and if you like --strategy, --app and --region; or --yes in an empty directory for the built-in example',
    );
  }
  return { rawProcesses, rawPorts, example: false };
}

/** Each `name=command`, split into the words to exec (or `sh -c`). `seen` gets every name, valid or not. */
export function parseProcesses(
  rawProcesses: readonly string[],
  strategy: Strategy | undefined,
  seen: Set<string>,
  { problems, notes }: Findings,
): PlannedProcess[] {
  const processes: PlannedProcess[] = [];
  for (const raw of rawProcesses) {
    const pair = splitPair(raw, '--process', 'COMMAND', problems);
    if (!pair) continue;
    const [name, command] = pair;
    const nameProblem = checkName(name, seen);
    if (nameProblem) problems.push(`--process ${JSON.stringify(raw)}: ${nameProblem}`);
    if (name) seen.add(name);
    const commandProblem = checkCommand(command);
    if (commandProblem) problems.push(`--process ${JSON.stringify(raw)}: ${commandProblem}`);
    const split = splitWords(command);
    if (nameProblem || 'error' in split) continue;
    const p: PlannedProcess = { name, command, argv: split.words };
    if (split.needsShell) {
      p.shellReason = split.needsShell;
      p.argv = shellArgv(command, split);
      notes.push(
        `${name}: the command uses ${split.needsShell}; Fly and supervisord run no shell, so it runs as: sh -c ${JSON.stringify(p.argv[2])}`,
      );
      // Where the command is the Machine's main process, sh gets kill_signal and does not pass it on.
      if (split.compound && strategy && !strategy.oneMachine) {
        notes.push(
          `${name}: with shell operators the Machine's main process is sh (${split.keepsShell ?? 'a compound command'} cannot end in exec), which does not pass Fly's kill_signal on; wrap the command in a script that ends with exec for a graceful stop`,
        );
      }
    }
    processes.push(p);
  }
  return processes;
}

/**
 * Heroku runs a compiled program from its build directory (`./target/release/hello`, `bin/web`);
 * here the build puts it in /app/bin, on PATH: run it by name.
 */
export function runBuiltProgramsByName(processes: PlannedProcess[], build: Build, notes: string[]): void {
  const programs = build.facts.programs ?? [];
  if ((build.runtime !== 'go' && build.runtime !== 'rust') || !programs.length) return;
  for (const p of processes) {
    const m = /^(?:\.\/)?(?:target\/(?:release|debug)|bin)\/([A-Za-z0-9_.-]+)$/.exec(p.argv[0] ?? '');
    if (m && programs.includes(m[1]!) && p.argv[0] !== 'sh') {
      notes.push(
        `${p.name}: ${p.argv[0]} is where the program is built elsewhere; in this image it is /app/bin/${m[1]} (on PATH), so ${p.name} runs ${m[1]}`,
      );
      p.argv = [m[1]!, ...p.argv.slice(1)];
    }
  }
}

/** Heroku-only assumptions that pass every check and fail at boot. */
export function herokuNotes(processes: readonly PlannedProcess[]): string[] {
  const notes: string[] = [];
  for (const p of processes) {
    if (/\$\{?DYNO\b/.test(p.command))
      notes.push(`${p.name}: $DYNO is set by Heroku only; on Fly use $FLY_MACHINE_ID or $FLY_PROCESS_GROUP`);
    const buildpack =
      /(?:^|[\s/])(bin\/start-pgbouncer(?:-stunnel)?|bin\/start-nginx(?:-solo)?|heroku-php-(?:apache2|nginx))(?=\s|$)/.exec(
        p.command,
      )?.[1];
    if (buildpack)
      notes.push(
        `${p.name}: ${buildpack} comes from a Heroku buildpack and is not in this image; install it in the Dockerfile, or change the command`,
      );
  }
  return notes;
}

/** The --port values: each sets one process's port. Returns the ports in use, by owner. */
export function assignPorts(
  rawPorts: readonly string[],
  processes: readonly PlannedProcess[],
  seen: ReadonlySet<string>,
  problems: string[],
): Map<number, string> {
  const byName = new Map(processes.map((p) => [p.name, p]));
  const usedPorts = new Map<number, string>();
  const portSet = new Set<string>();
  for (const raw of rawPorts) {
    const pair = splitPair(raw, '--port', 'PORT', problems);
    if (!pair) continue;
    const [name, value] = pair;
    const proc = byName.get(name);
    if (!proc) {
      if (!seen.has(name))
        problems.push(
          `--port ${JSON.stringify(raw)}: no process is named ${JSON.stringify(name)}${seen.size ? ` (processes: ${[...seen].join(', ')})` : ''}`,
        );
      continue;
    }
    if (portSet.has(name)) {
      problems.push(`--port ${JSON.stringify(raw)}: ${name} already has a port; give one --port per process`);
      continue;
    }
    portSet.add(name);
    if (value === NO_PORT) {
      proc.noPort = true;
      continue;
    }
    const port = Number(value);
    const portProblem = checkPort(value, usedPorts.get(port));
    if (portProblem) {
      problems.push(`--port ${JSON.stringify(raw)}: ${portProblem}`);
      continue;
    }
    usedPorts.set(port, name);
    proc.port = port;
  }
  return usedPorts;
}

/**
 * Ports the flags leave open: written in the command, a $PORT fallback, or PORT chosen here for a
 * process that reads it (8080, fly.toml's [env] PORT, or the next free one).
 */
export function inferPorts(
  processes: readonly PlannedProcess[],
  usedPorts: Map<number, string>,
  envPort: number | undefined,
  notes: string[],
): void {
  const choose: { p: PlannedProcess; why: string }[] = [];
  for (const p of processes) {
    const listen = p.noPort ? undefined : listening(p.name, p.command);
    if (p.port !== undefined) {
      if (listen?.env) p.env = { PORT: String(p.port) };
      continue;
    }
    if (!listen) continue;
    if (listen.port !== undefined && !usedPorts.has(listen.port)) {
      p.port = listen.port;
      usedPorts.set(listen.port, p.name);
      if (listen.env) p.env = { PORT: String(p.port) };
    } else if (listen.port !== undefined && !listen.env) {
      notes.push(
        `${p.name}: its command listens on port ${listen.port}, which ${usedPorts.get(listen.port)} has too: give them distinct ports (--port ${p.name}=PORT)`,
      );
    } else choose.push({ p, why: listen.why });
  }
  // web first: it gets 8080, the port Fly's examples (and fly launch) use.
  choose.sort((a, b) => Number(b.p.name === 'web') - Number(a.p.name === 'web'));
  for (const { p, why } of choose) {
    let port = envPort ?? 8080;
    while (usedPorts.has(port)) port++;
    p.port = port;
    usedPorts.set(port, p.name);
    p.env = { PORT: String(port) };
    notes.push(
      `${p.name}: ${why}, so it listens on port ${port} with PORT=${port} set for it; if it listens elsewhere, pass --port ${p.name}=PORT`,
    );
  }
}

/** The process that gets [http_service]: --http, else Heroku's rule (the one named web), else the first with a port. */
export function chooseHttp(
  given: string | undefined,
  from: string,
  processes: readonly PlannedProcess[],
  seen: ReadonlySet<string>,
  problems: string[],
): string | undefined {
  if (given === undefined)
    return (
      processes.find((p) => p.name === 'web' && p.port !== undefined) ?? processes.find((p) => p.port !== undefined)
    )?.name;
  const proc = processes.find((p) => p.name === given);
  if (!proc) {
    if (!seen.has(given))
      problems.push(
        `${from} ${JSON.stringify(given)}: no process is named ${JSON.stringify(given)}${seen.size ? ` (processes: ${[...seen].join(', ')})` : ''}`,
      );
    return undefined;
  }
  if (proc.port === undefined) {
    problems.push(`${from} ${JSON.stringify(given)}: ${given} has no port; add --port ${given}=PORT`);
    return undefined;
  }
  return given;
}

/** fly.toml [deploy] release_command, from the Procfile's release entry or fly.toml's own. */
/**
 * fly.toml [[statics]] from --statics: each URL_PREFIX=PATH checked, then the list (at most 10, no
 * overlapping prefixes). A relative path is inside the image's app directory.
 */
export function planStatics(
  given: string[] | undefined,
  source: string,
  appDir: string,
  http: string | undefined,
  { problems, notes }: Findings,
): Static[] {
  const list: Static[] = [];
  for (const value of given ?? []) {
    const r = parseStatic(value, appDir);
    if ('problem' in r) problems.push(`${source} ${JSON.stringify(value)}: ${r.problem}`);
    else list.push(r);
  }
  problems.push(...staticsProblems(list).map((p) => `${source}: ${p}`));
  if (list.length && http === undefined) {
    notes.push(
      `${source}: no process is public (no [http_service]), so nobody reaches the statics until one is: give the web process a port with --port NAME=PORT`,
    );
  }
  for (const s of list) {
    if (s.guestPath !== appDir && !s.guestPath.startsWith(`${appDir}/`)) {
      notes.push(
        `${source} ${s.urlPrefix}=${s.guestPath}: outside ${appDir}, where the project is copied; make sure the image has that directory (create-fly-multiproc check reports it when the Dockerfile does not create it)`,
      );
    }
  }
  return list;
}

/**
 * How ports other than the http_service's are reached (the choice was checked with the options).
 * It matters only where this tool writes fly.toml and a process other than the http one has a port.
 */
export function planOtherPorts(
  given: string | undefined,
  source: string,
  processes: PlannedProcess[],
  http: string | undefined,
  strategy: Strategy | undefined,
  { problems, notes }: Findings,
): OtherPorts {
  if (given !== undefined && !(OTHER_PORTS as readonly string[]).includes(given)) {
    problems.push(`${source} ${JSON.stringify(given)}: must be one of ${OTHER_PORTS.join(', ')}`);
    return 'ipv6';
  }
  const others = processes.filter((p) => p.port !== undefined && p.name !== http);
  if (given !== undefined && strategy && (!strategy.flyToml || !others.length)) {
    notes.push(
      `${source} ${given}: no effect here (${strategy.flyToml ? 'no process other than the http one has a port' : `the ${strategy.name} strategy writes its own services`})`,
    );
  }
  return (given as OtherPorts | undefined) ?? 'ipv6';
}

export function planRelease(
  given: string | undefined,
  source: string,
  flyTomlFile: string,
  { problems, notes }: Findings,
): PlannedRelease | undefined {
  if (given === undefined) return undefined;
  const command = given.trim();
  const split = splitWords(command);
  const problem = /[\n\r\0]/.test(command)
    ? 'contains a newline or NUL character'
    : 'error' in split
      ? `the command ${split.error}`
      : undefined;
  if (problem || 'error' in split) {
    problems.push(`${source}: ${problem}; fix the release command`);
    return undefined;
  }
  const argv = split.needsShell ? shellArgv(command, split) : split.words;
  const fromFlyToml = source.startsWith(`${flyTomlFile} `);
  const release = { command, argv, toml: fromFlyToml ? command : shellJoin(argv), source };
  if (!fromFlyToml)
    notes.push(
      `${source}: the release command runs before each deploy as fly.toml's [deploy] release_command (through entrypoint.sh): ${release.toml}`,
    );
  return release;
}

/** kill_signal: a name Fly takes and the strategy handles (SIGINT when none is given). */
export function planKillSignal(
  given: string | undefined,
  from: string,
  strategy: Strategy | undefined,
  problems: string[],
): KillSignal {
  if (given === undefined) return 'SIGINT';
  const upper = given.trim().toUpperCase();
  const normal = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as KillSignal;
  if (!KILL_SIGNALS.includes(normal)) {
    problems.push(
      `${from} ${JSON.stringify(given)}: must be one of ${KILL_SIGNALS.join(', ')} (Fly rejects some signal names, and the generated entrypoints handle these)`,
    );
  } else if (strategy && !strategy.killSignals.includes(normal)) {
    problems.push(
      `${from} ${normal}: the ${strategy.name} strategy handles only ${strategy.killSignals.join(' and ')} (${normal} would kill the process manager without a clean stop)`,
    );
  } else return normal;
  return 'SIGINT';
}

/** kill_timeout in seconds: 30, "30s" or a Go duration as flyctl writes it ("1m30s"), within Fly's limit and the strategy's minimum. */
export function planKillTimeout(
  given: string | undefined,
  from: string,
  strategy: Strategy | undefined,
  problems: string[],
): number {
  let killTimeout = DEFAULT_KILL_TIMEOUT;
  if (given !== undefined) {
    const trimmed = given.trim();
    const n = /^\d+$/.test(trimmed) ? Number(trimmed) : (parseGoDuration(trimmed) ?? NaN);
    if (!Number.isInteger(n) || n < 1 || n > MAX_KILL_TIMEOUT) {
      problems.push(
        `${from} ${JSON.stringify(given)}: must be a whole number of seconds from 1 to ${MAX_KILL_TIMEOUT} (Fly's limit), such as 30, "30s" or "1m30s"`,
      );
    } else killTimeout = n;
  }
  if (strategy && killTimeout < strategy.minKillTimeout) {
    problems.push(
      `${from} ${killTimeout}: the ${strategy.name} strategy needs at least ${strategy.minKillTimeout} seconds, so that its own stop timeout fits inside Fly's and children are stopped cleanly before the Machine is killed`,
    );
  }
  return killTimeout;
}

/** The strategy's own options (the Procfile manager): a value for each, the default when none is given. */
export function planStrategyOptions(
  answers: Answers,
  strategyName: StrategyName | undefined,
  { problems, notes }: Findings,
): { procfileManager: ProcfileManager } {
  const values = {} as { procfileManager: ProcfileManager };
  for (const { strategy, option } of strategyOptions()) {
    const given = answers[option.key];
    values[option.key] = (pick(given, option.choices, answers.sources?.[option.key] ?? option.flag, problems) ??
      option.default) as ProcfileManager;
    if (given !== undefined && strategyName && strategyName !== strategy)
      notes.push(`${option.flag} is ignored: it only applies to --strategy ${strategy}`);
  }
  return values;
}

/** The final stage's base image: a valid reference, the runtime's when none is given. */
export function planBaseImage(
  given: string | undefined,
  from: string,
  build: Build,
  { problems, notes }: Findings,
): string {
  const baseImage = given ?? build.runImage;
  if (given !== undefined && build.image && copiesSource(build.runtime) && baseImage !== build.runImage) {
    notes.push(
      `--base-image ${baseImage}: the dependencies are installed on ${build.image}; the final stage needs the same ${build.runtime} version and C library to run them`,
    );
  }
  if (!IMAGE_PATTERN.test(baseImage)) {
    problems.push(
      `${from} ${JSON.stringify(baseImage)}: not a valid image reference (expected something like debian:bookworm-slim or registry.example.com/team/base:1.2)`,
    );
  } else if (!/[:@]/.test(baseImage.split('/').pop() ?? '') || baseImage.endsWith(':latest')) {
    notes.push(`--base-image ${baseImage}: pin a tag (such as :bookworm-slim) so builds are repeatable`);
  }
  return baseImage;
}

/**
 * PORT for the processes that read it. A strategy whose fly.toml [env] reaches one process puts the
 * http process's (or the first) there; processes sharing one Machine each get their own in front of
 * the command; a strategy with an [env] per process keeps it in p.env only.
 */
export function placePort(
  processes: PlannedProcess[],
  http: string | undefined,
  strategy: Strategy,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (strategy.portInFlyEnv === 'each') return env;
  if (strategy.portInFlyEnv === 'first') {
    const first = [...processes]
      .sort((a, b) => Number(b.name === http) - Number(a.name === http))
      .find((p) => p.env?.PORT);
    if (first) env.PORT = first.env!.PORT!;
  }
  for (const p of processes) {
    if (p.env?.PORT !== undefined && p.env.PORT !== env.PORT) p.argv = ['env', `PORT=${p.env.PORT}`, ...p.argv];
  }
  return env;
}

/**
 * Validate and normalise answers into a Plan. Every problem is collected and reported at once,
 * each naming the flag (or the file and line) it came from.
 */
export function plan(given: Answers, project: Project): Plan {
  // What flags leave open comes from the project's Procfile and fly.toml (their problems included).
  const imported = withProjectDefaults(given, project);
  const answers = imported.answers;
  // Where a value came from, for its problems: fly-multiproc.json, fly.toml:line, Procfile:line, else its flag.
  const from = (key: keyof typeof imported.origin & keyof Answers, flag: string) =>
    given.sources?.[key] ?? imported.origin[key] ?? flag;
  const found: Findings = { problems: [...imported.problems, ...newlineProblems(answers)], notes: [...imported.notes] };
  const { problems, notes } = found;
  if (problems.length) throw new UsageError(problems);

  const strategyName = chooseStrategy(answers.strategy, given.sources?.strategy ?? '--strategy', problems);
  const strategy = strategyName ? STRATEGIES[strategyName] : undefined;
  const { rawProcesses, rawPorts, example } = processSource(answers, project, problems);
  const words = (values: string[] | undefined) => (values ?? []).flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
  const build = chooseBuild(answers.runtime, project, example, problems, notes, {
    packages: words(answers.packages),
    buildPackages: words(answers.buildPackages),
  });
  const seen = new Set<string>();
  const processes = parseProcesses(rawProcesses, strategy, seen, found);
  runBuiltProgramsByName(processes, build, notes);
  notes.push(...herokuNotes(processes));
  const usedPorts = assignPorts(rawPorts, processes, seen, problems);
  inferPorts(processes, usedPorts, project.flyToml?.envPort, notes);
  const http = chooseHttp(answers.http, given.sources?.http ?? '--http', processes, seen, problems);
  const release = planRelease(
    answers.release,
    imported.origin.release ?? 'release',
    project.flyToml?.file ?? 'fly.toml',
    found,
  );
  if (
    strategy &&
    processes.length > 0 &&
    processes.length < strategy.minProcesses &&
    seen.size < strategy.minProcesses
  ) {
    problems.push(
      `--strategy ${strategy.name} ${strategy.oneMachine ? 'runs several processes in one Machine' : 'is for several processes'}, but only ${processes.length} process was given: add another --process, or use --strategy ${DEFAULT_STRATEGY} (or a plain Dockerfile from \`fly launch\`) for a single process`,
    );
  }
  const killSignal = planKillSignal(answers.killSignal, from('killSignal', '--kill-signal'), strategy, problems);
  const killTimeout = planKillTimeout(answers.killTimeout, from('killTimeout', '--kill-timeout'), strategy, problems);
  const app = answers.app ?? defaultAppName(project.dir);
  const appProblem = checkApp(app);
  if (appProblem)
    problems.push(
      `${from('app', '--app')} ${JSON.stringify(app)}: ${appProblem}${answers.app === undefined ? ' (the default comes from the directory name: pass --app NAME)' : ''}`,
    );
  const regionProblem = answers.region === undefined ? undefined : checkRegion(answers.region);
  if (regionProblem) problems.push(`${from('region', '--region')} ${JSON.stringify(answers.region)}: ${regionProblem}`);
  const options = planStrategyOptions(answers, strategyName, found);
  const baseImage = planBaseImage(answers.baseImage, given.sources?.baseImage ?? '--base-image', build, found);
  const dockerfile = chooseDockerfileMode(
    {
      given: answers.dockerfile,
      strategy: strategyName,
      dir: project.dir,
      dockerfile: project.dockerfileInfo,
      exists: Boolean(project.dockerfile),
    },
    problems,
    notes,
  );
  if (strategyName)
    notes.push(
      ...railsPrepareNotes({
        mode: dockerfile,
        strategy: strategyName,
        info: project.dockerfileInfo,
        processes,
        release,
      }),
    );
  const statics = planStatics(
    answers.statics,
    given.sources?.statics ?? '--statics',
    appDirOf(dockerfile, project).appDir ?? '/app',
    http,
    found,
  );
  const otherPorts = planOtherPorts(
    answers.otherPorts,
    given.sources?.otherPorts ?? '--other-ports',
    processes,
    http,
    strategy,
    found,
  );
  if (problems.length || !strategyName || !strategy) throw new UsageError(problems);

  const env = placePort(processes, http, strategy);
  const result: Plan = {
    dir: project.dir,
    strategy: strategyName,
    app,
    ...(imported.origin.processes?.endsWith('[processes]') ? { processesFromFlyToml: true as const } : {}),
    ...appDirOf(dockerfile, project),
    ...entrypointFileFor(dockerfile, project.dockerfileInfo),
    ...(answers.region !== undefined ? { region: answers.region } : {}),
    processes,
    ...(http !== undefined ? { http } : {}),
    env,
    ...(release ? { release } : {}),
    statics,
    otherPorts,
    killSignal,
    killTimeout,
    baseImage,
    ...options,
    runtime: build.runtime,
    build,
    example,
    dockerfile,
    notes,
  };
  const strategyProblems = strategy.validate?.(result) ?? [];
  if (strategyProblems.length) throw new UsageError(strategyProblems);
  notes.push(...(strategy.notes?.(result) ?? []));
  checkRunFiles(result, project);
  return result;
}

/** The final stage of a compiled runtime copies the strategy's files instead of the source: a .dockerignore of yours must not leave them out. */
function checkRunFiles(result: Plan, project: Project): void {
  result.build.runFiles = STRATEGIES[result.strategy].files(result).map((f) => f.path);
  const ignore = result.dockerfile === 'extend' ? project.dockerfileInfo?.dockerignore : undefined;
  const ignored = ignore ? excludedFiles(ignore.text, result.build.runFiles) : [];
  if (ignore && ignored.length) {
    throw new UsageError(
      `${ignore.file} leaves ${ignored.join(', ')} out of the build context, and the block added to your Dockerfile copies ${ignored.length === 1 ? 'it' : 'them'}: add ${ignored.map((f) => `!${f}`).join(' and ')} at the end of ${ignore.file}, then run again`,
    );
  }
}

/** The image directory of the generated files, when your extended Dockerfile's WORKDIR puts them elsewhere than /app. */
function appDirOf(mode: string, project: Project): { appDir?: string } {
  const workdir =
    mode === 'extend' && project.dockerfileInfo ? userDockerfileContext(project.dockerfileInfo)?.workdir : undefined;
  return workdir && workdir !== '/app' ? { appDir: workdir } : {};
}
