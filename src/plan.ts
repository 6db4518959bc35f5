import { UsageError } from './errors.js';
import { shellArgv, splitWords } from './shell-words.js';
import { checkApp, checkCommand, checkName, checkPort, checkRegion } from './validate.js';
import { STRATEGIES } from './strategies/index.js';
import { listening, withProjectDefaults } from './import.js';
import { parseGoDuration } from './flytoml-rules.js';
import { shellJoin } from './escape.js';
import { chooseBuild, copiesSource, exampleFlags } from './runtimes.js';
import { chooseDockerfileMode, entrypointFileFor, userDockerfileContext } from './dockerfile/mode.js';
import { railsPrepareNotes } from './dockerfile/rails-prepare.js';
import { excludedFiles } from './dockerfile/dockerignore.js';
import {
  KILL_SIGNALS,
  PROCFILE_MANAGERS,
  STRATEGY_NAMES,
  type Answers,
  type KillSignal,
  type Plan,
  type PlannedProcess,
  type ProcfileManager,
  type Project,
  type StrategyName,
} from './types.js';

const IMAGE_PATTERN = /^[a-z0-9][a-z0-9._\/-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
export const MAX_KILL_TIMEOUT = 300;

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
    problems.push(`${flag} ${JSON.stringify(raw)}: expected NAME=${what} (for example ${flag} ${flag === '--port' ? 'web=8080' : '"web=node server.js"'})`);
    return undefined;
  }
  return [raw.slice(0, eq).trim(), raw.slice(eq + 1).trim()];
}

function pick<T extends string>(value: string | undefined, allowed: readonly T[], flag: string, problems: string[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${flag} ${JSON.stringify(value)}: must be one of ${allowed.join(', ')}`);
  return undefined;
}

/**
 * Validate and normalise answers into a Plan. Every problem is collected and reported at once,
 * each naming the flag that caused it.
 */
export function plan(given: Answers, project: Project): Plan {
  // What flags leave open comes from the project's Procfile and fly.toml (their problems included).
  const imported = withProjectDefaults(given, project);
  const answers = imported.answers;
  const from = (key: keyof typeof imported.origin, flag: string) => imported.origin[key] ?? flag;
  const problems: string[] = [...imported.problems];
  const notes: string[] = [...imported.notes];

  // Newlines and NUL cannot live in any of the formats we write.
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
  for (const [flag, value] of scalarFlags) {
    if (value !== undefined && /[\n\r\0]/.test(value)) problems.push(`${flag} ${JSON.stringify(value)}: contains a newline or NUL character, which no generated file can hold`);
  }
  if (problems.length) throw new UsageError(problems);

  const strategyName = pick<StrategyName>(answers.strategy, STRATEGY_NAMES, '--strategy', problems) ?? (answers.strategy === undefined ? 'process-groups' : undefined);
  const strategy = strategyName ? STRATEGIES[strategyName] : undefined;

  let rawProcesses = answers.processes ?? [];
  let rawPorts = answers.ports ?? [];
  let example = false;
  if (rawProcesses.length === 0) {
    // Asked for (wizard, --example, or remembered in fly-multiproc.json): into any directory, so a
    // re-run keeps it; --yes alone: only into an empty one. --no-example: never.
    if (answers.example ?? (answers.yes && project.empty)) {
      example = true;
      rawProcesses = EXAMPLE_PROCESSES;
      if (rawPorts.length === 0) rawPorts = EXAMPLE_PORTS;
    } else if (answers.yes) {
      problems.push(`no processes given: pass --process NAME=COMMAND once per process, for example ${exampleFlags(project)} --process "worker=bin/worker" (the built-in example is only written into an empty directory)`);
    } else {
      problems.push('no processes given, and no terminal to ask in (or CI=true): pass --process NAME=COMMAND once per process, --port NAME=PORT for those that listen, and if you like --strategy, --app and --region; or --yes in an empty directory for the built-in example');
    }
  }

  const build = chooseBuild(answers.runtime, project, example, problems, notes);
  const runtime = build.runtime;

  const processes: PlannedProcess[] = [];
  const seen = new Set<string>();
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
      notes.push(`${name}: the command uses ${split.needsShell}; Fly and supervisord run no shell, so it runs as: sh -c ${JSON.stringify(p.argv[2])}`);
      if (split.compound && strategyName === 'process-groups') {
        notes.push(`${name}: with shell operators the Machine's main process is sh (${split.keepsShell ?? 'a compound command'} cannot end in exec), which does not pass Fly's kill_signal on; wrap the command in a script that ends with exec for a graceful stop`);
      }
    }
    processes.push(p);
  }

  // Heroku runs a compiled program from its build directory (`./target/release/hello`, `bin/web`);
  // here the build puts it in /app/bin, on PATH: run it by name.
  const programs = build.facts.programs ?? [];
  if ((runtime === 'go' || runtime === 'rust') && programs.length) {
    for (const p of processes) {
      const m = /^(?:\.\/)?(?:target\/(?:release|debug)|bin)\/([A-Za-z0-9_.-]+)$/.exec(p.argv[0] ?? '');
      if (m && programs.includes(m[1]!) && p.argv[0] !== 'sh') {
        notes.push(`${p.name}: ${p.argv[0]} is where the program is built elsewhere; in this image it is /app/bin/${m[1]} (on PATH), so ${p.name} runs ${m[1]}`);
        p.argv = [m[1]!, ...p.argv.slice(1)];
      }
    }
  }

  // Heroku-only assumptions that pass every check and fail at boot.
  for (const p of processes) {
    if (/\$\{?DYNO\b/.test(p.command)) notes.push(`${p.name}: $DYNO is set by Heroku only; on Fly use $FLY_MACHINE_ID or $FLY_PROCESS_GROUP`);
    const buildpack = /(?:^|[\s/])(bin\/start-pgbouncer(?:-stunnel)?|bin\/start-nginx(?:-solo)?|heroku-php-(?:apache2|nginx))(?=\s|$)/.exec(p.command)?.[1];
    if (buildpack) notes.push(`${p.name}: ${buildpack} comes from a Heroku buildpack and is not in this image; install it in the Dockerfile, or change the command`);
  }

  const byName = new Map(processes.map((p) => [p.name, p]));
  const usedPorts = new Map<number, string>();
  const portSet = new Set<string>();
  for (const raw of rawPorts) {
    const pair = splitPair(raw, '--port', 'PORT', problems);
    if (!pair) continue;
    const [name, value] = pair;
    const proc = byName.get(name);
    if (!proc) {
      if (!seen.has(name)) problems.push(`--port ${JSON.stringify(raw)}: no process is named ${JSON.stringify(name)}${seen.size ? ` (processes: ${[...seen].join(', ')})` : ''}`);
      continue;
    }
    if (portSet.has(name)) {
      problems.push(`--port ${JSON.stringify(raw)}: ${name} already has a port; give one --port per process`);
      continue;
    }
    portSet.add(name);
    const port = Number(value);
    const portProblem = checkPort(value, usedPorts.get(port));
    if (portProblem) {
      problems.push(`--port ${JSON.stringify(raw)}: ${portProblem}`);
      continue;
    }
    usedPorts.set(port, name);
    proc.port = port;
  }

  // Ports the flags leave open: written in the command, a $PORT fallback, or PORT chosen here for a
  // process that reads it (8080, fly.toml's [env] PORT, or the next free one).
  const choose: { p: PlannedProcess; why: string }[] = [];
  for (const p of processes) {
    const listen = listening(p.name, p.command);
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
      notes.push(`${p.name}: its command listens on port ${listen.port}, which ${usedPorts.get(listen.port)} has too: give them distinct ports (--port ${p.name}=PORT)`);
    } else choose.push({ p, why: listen.why });
  }
  // web first: it gets 8080, the port Fly's examples (and fly launch) use.
  choose.sort((a, b) => Number(b.p.name === 'web') - Number(a.p.name === 'web'));
  for (const { p, why } of choose) {
    let port = project.flyToml?.envPort ?? 8080;
    while (usedPorts.has(port)) port++;
    p.port = port;
    usedPorts.set(port, p.name);
    p.env = { PORT: String(port) };
    notes.push(`${p.name}: ${why}, so it listens on port ${port} with PORT=${port} set for it; if it listens elsewhere, pass --port ${p.name}=PORT`);
  }

  let http: string | undefined;
  if (answers.http !== undefined) {
    const proc = byName.get(answers.http);
    if (!proc) {
      if (!seen.has(answers.http)) problems.push(`--http ${JSON.stringify(answers.http)}: no process is named ${JSON.stringify(answers.http)}${seen.size ? ` (processes: ${[...seen].join(', ')})` : ''}`);
    } else if (proc.port === undefined) {
      problems.push(`--http ${JSON.stringify(answers.http)}: ${answers.http} has no port; add --port ${answers.http}=PORT`);
    } else http = answers.http;
  } else {
    // Heroku's rule: the process named web gets the HTTP traffic.
    http = (processes.find((p) => p.name === 'web' && p.port !== undefined) ?? processes.find((p) => p.port !== undefined))?.name;
  }

  let release: Plan['release'];
  if (answers.release !== undefined) {
    const source = imported.origin.release ?? 'release';
    const command = answers.release.trim();
    const split = splitWords(command);
    const problem = /[\n\r\0]/.test(command) ? 'contains a newline or NUL character' : 'error' in split ? `the command ${split.error}` : undefined;
    if (problem || 'error' in split) problems.push(`${source}: ${problem}; fix the release command`);
    else {
      const argv = split.needsShell ? shellArgv(command, split) : split.words;
      const fromFlyToml = source.startsWith(`${project.flyToml?.file ?? 'fly.toml'} `);
      release = { command, argv, toml: fromFlyToml ? command : shellJoin(argv), source };
      if (!fromFlyToml) notes.push(`${source}: the release command runs before each deploy as fly.toml's [deploy] release_command (through entrypoint.sh): ${release.toml}`);
    }
  }

  if (strategy && processes.length > 0 && processes.length < strategy.minProcesses && seen.size < strategy.minProcesses) {
    problems.push(`--strategy ${strategy.name} runs several processes in one Machine, but only ${processes.length} process was given: add another --process, or use --strategy process-groups (or a plain Dockerfile from \`fly launch\`) for a single process`);
  }

  let killSignal: KillSignal = 'SIGINT';
  if (answers.killSignal !== undefined) {
    const upper = answers.killSignal.trim().toUpperCase();
    const normal = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as KillSignal;
    if (!KILL_SIGNALS.includes(normal)) {
      problems.push(`${from('killSignal', '--kill-signal')} ${JSON.stringify(answers.killSignal)}: must be one of ${KILL_SIGNALS.join(', ')} (Fly rejects some signal names, and the generated entrypoints handle these)`);
    } else if (strategy && !strategy.killSignals.includes(normal)) {
      problems.push(`${from('killSignal', '--kill-signal')} ${normal}: the ${strategy.name} strategy handles only ${strategy.killSignals.join(' and ')} (${normal} would kill the process manager without a clean stop)`);
    } else killSignal = normal;
  }

  let killTimeout = DEFAULT_KILL_TIMEOUT;
  if (answers.killTimeout !== undefined) {
    // Seconds (30, "30s") or a Go duration as flyctl writes it ("1m30s").
    const given = answers.killTimeout.trim();
    const n = /^\d+$/.test(given) ? Number(given) : (parseGoDuration(given) ?? NaN);
    if (!Number.isInteger(n) || n < 1 || n > MAX_KILL_TIMEOUT) {
      problems.push(`${from('killTimeout', '--kill-timeout')} ${JSON.stringify(answers.killTimeout)}: must be a whole number of seconds from 1 to ${MAX_KILL_TIMEOUT} (Fly's limit), such as 30, "30s" or "1m30s"`);
    } else killTimeout = n;
  }
  if (strategy && killTimeout < strategy.minKillTimeout) {
    problems.push(`${from('killTimeout', '--kill-timeout')} ${killTimeout}: the ${strategy.name} strategy needs at least ${strategy.minKillTimeout} seconds, so that its own stop timeout fits inside Fly's and children are stopped cleanly before the Machine is killed`);
  }

  const app = answers.app ?? defaultAppName(project.dir);
  const appProblem = checkApp(app);
  if (appProblem) problems.push(`${from('app', '--app')} ${JSON.stringify(app)}: ${appProblem}${answers.app === undefined ? ' (the default comes from the directory name: pass --app NAME)' : ''}`);
  const regionProblem = answers.region === undefined ? undefined : checkRegion(answers.region);
  if (regionProblem) problems.push(`${from('region', '--region')} ${JSON.stringify(answers.region)}: ${regionProblem}`);

  const procfileManager = pick<ProcfileManager>(answers.procfileManager, PROCFILE_MANAGERS, '--procfile-manager', problems) ?? 'overmind';
  if (answers.procfileManager !== undefined && strategyName && strategyName !== 'procfile') {
    notes.push(`--procfile-manager is ignored: it only applies to --strategy procfile`);
  }

  const baseImage = answers.baseImage ?? build.runImage;
  if (answers.baseImage !== undefined && build.image && copiesSource(runtime) && baseImage !== build.runImage) {
    notes.push(`--base-image ${baseImage}: the dependencies are installed on ${build.image}; the final stage needs the same ${runtime} version and C library to run them`);
  }
  if (!IMAGE_PATTERN.test(baseImage)) {
    problems.push(`--base-image ${JSON.stringify(baseImage)}: not a valid image reference (expected something like debian:bookworm-slim or registry.example.com/team/base:1.2)`);
  } else if (!/[:@]/.test(baseImage.split('/').pop() ?? '') || baseImage.endsWith(':latest')) {
    notes.push(`--base-image ${baseImage}: pin a tag (such as :bookworm-slim) so builds are repeatable`);
  }

  const dockerfile = chooseDockerfileMode({ given: answers.dockerfile, strategy: strategyName, dir: project.dir, dockerfile: project.dockerfileInfo, exists: Boolean(project.dockerfile) }, problems, notes);
  if (strategyName) notes.push(...railsPrepareNotes({ mode: dockerfile, strategy: strategyName, info: project.dockerfileInfo, processes, release }));

  if (problems.length || !strategyName) throw new UsageError(problems);

  // PORT: with process groups, fly.toml's [env] for the web process (each group has its own
  // Machines); processes sharing one Machine each get their own, in front of the command.
  const env: Record<string, string> = {};
  if (strategyName === 'process-groups') {
    const first = [...processes].sort((a, b) => Number(b.name === http) - Number(a.name === http)).find((p) => p.env?.PORT);
    if (first) env.PORT = first.env!.PORT!;
  }
  for (const p of processes) {
    if (p.env?.PORT !== undefined && p.env.PORT !== env.PORT) p.argv = ['env', `PORT=${p.env.PORT}`, ...p.argv];
  }
  if (strategyName === 'process-groups') {
    for (const p of processes) {
      if (p.port === undefined) notes.push(`${p.name} has no port, so it gets no service and is never auto-stopped (fly deploy creates its Machine like every group's)`);
    }
  } else if (processes.some((p) => p.port === undefined) && http) {
    notes.push(`auto-stop is off: every process shares one Machine, and stopping it when idle would also stop ${processes.filter((p) => p.port === undefined).map((p) => p.name).join(', ')}`);
  }

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
    killSignal,
    killTimeout,
    baseImage,
    procfileManager,
    runtime,
    build,
    example,
    dockerfile,
    notes,
  };
  // The final stage of a compiled runtime copies these instead of the source.
  build.runFiles = STRATEGIES[strategyName].files(result).map((f) => f.path);
  const ignore = dockerfile === 'extend' ? project.dockerfileInfo?.dockerignore : undefined;
  const ignored = ignore ? excludedFiles(ignore.text, build.runFiles) : [];
  if (ignore && ignored.length) {
    throw new UsageError(`${ignore.file} leaves ${ignored.join(', ')} out of the build context, and the block added to your Dockerfile copies ${ignored.length === 1 ? 'it' : 'them'}: add ${ignored.map((f) => `!${f}`).join(' and ')} at the end of ${ignore.file}, then run again`);
  }
  return result;
}

/** The image directory of the generated files, when your extended Dockerfile's WORKDIR puts them elsewhere than /app. */
function appDirOf(mode: string, project: Project): { appDir?: string } {
  const workdir = mode === 'extend' && project.dockerfileInfo ? userDockerfileContext(project.dockerfileInfo)?.workdir : undefined;
  return workdir && workdir !== '/app' ? { appDir: workdir } : {};
}
