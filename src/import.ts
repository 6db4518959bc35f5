/**
 * Importing what a project already declares: the processes of a Procfile, and the app, region,
 * stop settings and [processes] of an existing fly.toml. Parsing is strict and every problem names
 * the file and line; detect() keeps the problems, and plan() reports them when it uses the import
 * (a Procfile beside --process flags is not used, so its problems do not matter then).
 */
import { parse, TomlError } from 'smol-toml';
import type { Answers, Project } from './types.js';
import { checkCommand, checkName } from './validate.js';
import { killTimeoutSeconds, processMap, shlexSplit } from './flytoml-rules.js';
import { shellJoin } from './escape.js';
import { splitWords } from './shell-words.js';

/** A process a project file declares. */
export interface DeclaredProcess {
  name: string;
  /** The command as written in the file. */
  command: string;
  /** The port, where the command (or fly.toml's services) says it plainly. */
  port?: number;
  /** Where it was declared, e.g. "Procfile:3" or "fly.toml [processes] web". */
  source: string;
}

/** A release entry (Procfile) or [deploy] release_command (fly.toml). */
export interface DeclaredRelease {
  command: string;
  source: string;
}

export interface ProcfileImport {
  /** The file as shown to the user (relative to the project, or as given to --from-procfile). */
  file: string;
  /** Given with --from-procfile: its problems are reported even beside --process. */
  explicit: boolean;
  processes: DeclaredProcess[];
  /** The `release:` entry: it becomes fly.toml's [deploy] release_command. */
  release?: DeclaredRelease;
  problems: string[];
  notes: string[];
}

export interface FlyTomlImport {
  file: string;
  app?: string;
  region?: string;
  killSignal?: string;
  /** Whole seconds, as a string (fly.toml allows 30 and "30s"). */
  killTimeout?: string;
  /** The [processes] groups, in file order (empty when there is no [processes] table). */
  processes: DeclaredProcess[];
  /** The group [http_service] is for, when fly.toml says which. */
  http?: string;
  /** [deploy] release_command, kept as the release command unless the Procfile has one. */
  release?: DeclaredRelease;
  /** [env] PORT, when it is a port number: the default port of a process that reads $PORT. */
  envPort?: number;
  /** Problems with the file as a whole (it does not parse, a key has the wrong type): always reported. */
  problems: string[];
  /** Problems with [processes]: reported when the processes are imported. */
  processProblems: string[];
  notes: string[];
}

const PROCFILE_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * The port a command plainly listens on: `PORT=3000 ...`, `--port 3000`, `--port=3000`, `-p 3000`,
 * `-b 0.0.0.0:8000`, `--bind tcp://0.0.0.0:3000`, `-addr :8080`, `--listen=127.0.0.1:9000`.
 * `$PORT` and anything less plain give no port.
 */
export function portOf(command: string): number | undefined {
  const patterns = [
    /(?:^|\s)PORT=['"]?(\d+)['"]?(?=\s|$)/,
    /(?:^|\s)--?(?:port|p)(?:=|\s+)['"]?(\d+)['"]?(?=\s|$)/,
    /(?:^|\s)--?(?:bind|b|listen|l|addr|address|http)(?:=|\s+)['"]?(?:[a-z]+:\/\/)?[\w.\-[\]]*:(\d+)['"]?(?=\s|$)/,
    // `python -m http.server 8000`: the port is its first argument.
    /(?:^|\s)-m\s+http\.server\s+(\d+)(?=\s|$)/,
    // `manage.py runserver 0.0.0.0:8000`, `php -S 0.0.0.0:8000`: an address alone.
    /(?:^|\s)['"]?(?:0\.0\.0\.0|\[::\]|::):(\d+)['"]?(?=\s|$)/,
  ];
  for (const pattern of patterns) {
    const m = pattern.exec(command);
    if (m) {
      const port = Number(m[1]);
      if (port >= 1 && port <= 65535) return port;
    }
  }
  return undefined;
}

/** The command reads $PORT (`$PORT`, `${PORT}`, `${PORT:-5000}`, ...). */
export function readsPort(command: string): boolean {
  return /\$\{?PORT\b/.test(command);
}

/** The port a `${PORT:-5000}` / `${PORT:=5000}` / `${PORT-5000}` expansion falls back to. */
export function portFallback(command: string): number | undefined {
  const m = /\$\{PORT:?[-=]['"]?(\d+)['"]?\}/.exec(command);
  const port = m ? Number(m[1]) : undefined;
  return port !== undefined && port >= 1 && port <= 65535 ? port : undefined;
}

/**
 * Does a process listen, and how does it learn its port? The contract Procfile apps are written
 * for (Heroku's, and Render's, Railway's): the platform sets PORT and `web` gets the traffic.
 * - the port written plainly in the command (`--port 8000`, `-b 0.0.0.0:3000`, `PORT=3000 ...`): that port;
 * - the command reads $PORT: it listens, on the `${PORT:-N}` fallback if it has one, and needs PORT set;
 * - a process named `web` with neither (`bundle exec puma -C config/puma.rb`, `npm start`): it
 *   listens on PORT, as frameworks read it (Rails, Puma, gunicorn, Express apps, ...), and needs PORT set.
 * Undefined: nothing says it listens (a worker).
 */
export function listening(name: string, command: string): { port?: number; env: boolean; why: string } | undefined {
  const plain = portOf(command);
  if (plain !== undefined) return { port: plain, env: false, why: 'its command' };
  if (readsPort(command)) {
    const fallback = portFallback(command);
    return { ...(fallback !== undefined ? { port: fallback } : {}), env: true, why: 'it reads $PORT' };
  }
  if (name === 'web') return { env: true, why: 'a web process with no port in its command reads PORT' };
  return undefined;
}

/** Give ports only where they are distinct: the same port found twice is left to --port. */
function dedupePorts(processes: DeclaredProcess[], notes: string[]): void {
  const seen = new Map<number, DeclaredProcess>();
  for (const p of processes) {
    if (p.port === undefined) continue;
    const other = seen.get(p.port);
    if (other) {
      notes.push(
        `${p.source}: port ${p.port} is also ${other.name}'s, so neither gets it: give them distinct ports with --port`,
      );
      delete other.port;
      delete p.port;
    } else seen.set(p.port, p);
  }
}

/** Problems with one imported process (name and command), each prefixed with where it is. */
function checkProcess(name: string, command: string, where: string, fix: string): string[] {
  return [checkName(name), checkCommand(command)]
    .filter((p): p is string => p !== undefined)
    .map((p) => `${where}: ${p}; ${fix}`);
}

/**
 * Parse a Procfile: `name: command` lines; blank lines and `#` comments are skipped. A line without
 * a colon, an unusable name, an empty command or a name used twice is a problem naming the line.
 * A `release` entry is a one-off task, not a process: it is left out with a note.
 */
export function parseProcfile(text: string, file: string, explicit = false): ProcfileImport {
  const result: ProcfileImport = { file, explicit, processes: [], problems: [], notes: [] };
  const lines = new Map<string, number>();
  const fix = `fix ${file}, or give the processes with --process`;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const at = `${file}:${index + 1}`;
    if (!line || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon < 0) {
      result.problems.push(
        `${at}: ${JSON.stringify(line)} has no colon: each line of a Procfile is NAME: COMMAND; ${fix}`,
      );
      return;
    }
    const name = line.slice(0, colon).trim();
    const command = line.slice(colon + 1).trim();
    if (!PROCFILE_NAME.test(name)) {
      result.problems.push(
        `${at}: ${JSON.stringify(line)} does not start with a process name (letters, digits, "_" and "-") and a colon; ${fix}`,
      );
      return;
    }
    if (!command) {
      result.problems.push(`${at}: ${name} has no command; ${fix}`);
      return;
    }
    if (name === 'release') {
      // A one-off task before each deploy (migrations), not a long-running process.
      const problem = checkCommand(command);
      if (problem) result.problems.push(`${at}: release: ${problem}; ${fix}`);
      else result.release = { command, source: at };
      return;
    }
    const first = lines.get(name);
    if (first !== undefined) {
      result.problems.push(
        `${at}: ${name} is already declared on line ${first}; each process needs its own name; ${fix}`,
      );
      return;
    }
    lines.set(name, index + 1);
    const problems = checkProcess(name, command, at, fix);
    if (problems.length) {
      result.problems.push(...problems);
      return;
    }
    const port = portOf(command);
    result.processes.push({ name, command, source: at, ...(port !== undefined ? { port } : {}) });
  });
  if (!result.problems.length && !result.processes.length) {
    result.problems.push(
      `${file}: declares no processes; add NAME: COMMAND lines, or give the processes with --process`,
    );
  }
  // Ports are read from the commands again by plan() (as for --process), which also settles clashes.
  return result;
}

/** Line (1-based) of the first `key =` in text after the line matching `after`, if any. */
function lineOf(text: string, key: string, after?: RegExp): number | undefined {
  const lines = text.split(/\r?\n/);
  let start = 0;
  if (after) {
    start = lines.findIndex((l) => after.test(l));
    if (start < 0) return undefined;
  }
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^\\s*(?:${escaped}|"${escaped}"|'${escaped}')\\s*=`);
  for (let i = start; i < lines.length; i++) if (pattern.test(lines[i]!)) return i + 1;
  return undefined;
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** A parsed fly.toml, where its keys are, and the import being filled in. */
interface TomlSource {
  doc: Table;
  file: string;
  result: FlyTomlImport;
  /** "fly.toml:LINE" of a key (after the line matching `after`), else the file name. */
  at: (key: string, after?: RegExp) => string;
}

/** app, primary_region, kill_signal and kill_timeout. */
function readTopLevel(src: TomlSource): void {
  const { doc, result, at } = src;
  const str = (key: string): string | undefined => {
    const value = doc[key];
    if (value === undefined) return undefined;
    if (typeof value === 'string' && !/[\n\r\0]/.test(value)) return value;
    result.problems.push(`${at(key)}: ${key} must be a one-line string`);
    return undefined;
  };
  const app = str('app');
  if (app !== undefined) result.app = app;
  const region = str('primary_region');
  if (region !== undefined) result.region = region;
  const signal = str('kill_signal');
  if (signal !== undefined) result.killSignal = signal;
  if (doc.kill_timeout !== undefined) {
    // As flyctl reads it: a number is seconds, a string a Go duration ("1m30s", as fly launch --copy-config writes it).
    const n = killTimeoutSeconds(doc.kill_timeout);
    if (n === undefined)
      result.problems.push(
        `${at('kill_timeout')}: kill_timeout ${JSON.stringify(String(doc.kill_timeout))} is not a duration flyctl reads: write seconds (such as 90) or a duration with a unit (such as "1m30s"; "5" without a unit is invalid)`,
      );
    else if (!Number.isInteger(n))
      result.problems.push(
        `${at('kill_timeout')}: kill_timeout ${JSON.stringify(String(doc.kill_timeout))} is not a whole number of seconds, which the generated entrypoints need: write whole seconds (such as "2s")`,
      );
    else result.killTimeout = String(n);
  }
}

/** [deploy] release_command, and [env] PORT when it is a port number. */
function readReleaseAndEnv(src: TomlSource): void {
  const { doc, file, result, at } = src;
  const deploy = doc.deploy;
  if (isTable(deploy) && deploy.release_command !== undefined) {
    const release = deploy.release_command;
    const where = `${at('release_command', /^\s*\[deploy\]\s*(#.*)?$/)}`;
    if (typeof release !== 'string' || /[\n\r\0]/.test(release) || !release.trim())
      result.problems.push(`${where}: [deploy] release_command must be a one-line command string`);
    else result.release = { command: release.trim(), source: `${file} [deploy] release_command` };
  }
  const env = doc.env;
  if (isTable(env) && (typeof env.PORT === 'string' || typeof env.PORT === 'number')) {
    const port = Number(env.PORT);
    if (Number.isInteger(port) && port >= 1 && port <= 65535) result.envPort = port;
  }
}

/** [processes], split as flyctl splits the commands. */
function readProcessGroups(src: TomlSource): void {
  const { doc, file, result, at } = src;
  // The legacy forms flyctl still reads: `processes = []` (none) and [[processes]] name/command entries.
  const groups = Array.isArray(doc.processes) ? (processMap(doc) ?? {}) : doc.processes;
  if (groups !== undefined) {
    if (!isTable(groups)) {
      result.processProblems.push(`${at('processes')}: processes must be a table of NAME = "COMMAND"`);
    } else {
      const fix = `fix ${file}, or give the processes with --process`;
      for (const [name, command] of Object.entries(groups)) {
        const where = at(name, /^\s*\[processes\]\s*(#.*)?$/);
        if (typeof command !== 'string' || /[\n\r\0]/.test(command) || !command.trim()) {
          result.processProblems.push(`${where}: [processes] ${name} must be a one-line command string; ${fix}`);
          continue;
        }
        // flyctl splits these with google/shlex, not sh: keep its meaning ("C:\\data" is C:data there).
        const argv = shlexSplit(command);
        if (!argv || !argv.length) {
          result.processProblems.push(
            `${where}: [processes] ${name}: flyctl cannot split this command (an open quote or a trailing backslash); ${fix}`,
          );
          continue;
        }
        const posix = splitWords(command);
        const same =
          !('error' in posix) && posix.words.length === argv.length && posix.words.every((w, i) => w === argv[i]);
        const taken = same ? command.trim() : shellJoin(argv);
        if (!same) result.notes.push(`${where}: [processes] ${name} read as flyctl splits it: ${taken}`);
        const problems = checkProcess(name, taken, `${where}: [processes] ${name}`, fix);
        if (problems.length) result.processProblems.push(...problems);
        else result.processes.push({ name, command: taken, source: `${file} [processes] ${name}` });
      }
    }
  }
}

/** Ports: a service restricted to one group, or any service when there is a single group. */
function assignServicePorts(src: TomlSource): void {
  const { doc, result } = src;
  const names = result.processes.map((p) => p.name);
  const groupOf = (service: Table): string | undefined => {
    const filter = service.processes;
    if (Array.isArray(filter) && filter.length === 1 && typeof filter[0] === 'string') return filter[0];
    if (filter === undefined && names.length === 1) return names[0];
    return undefined;
  };
  const assign = (service: unknown, http: boolean) => {
    if (!isTable(service)) return;
    const group = groupOf(service);
    const port = service.internal_port;
    const proc = result.processes.find((p) => p.name === group);
    if (
      !proc ||
      typeof port !== 'number' ||
      !Number.isInteger(port) ||
      port < 1 ||
      port > 65535 ||
      proc.port !== undefined
    )
      return;
    proc.port = port;
    if (http) result.http = proc.name;
  };
  assign(doc.http_service, true);
  if (Array.isArray(doc.services)) for (const s of doc.services) assign(s, false);
}

/**
 * Read an existing fly.toml: app, primary_region, kill_signal, kill_timeout and [processes], with
 * ports from [http_service] and [[services]] where they name one group (or there is only one).
 */
export function parseFlyToml(text: string, file: string): FlyTomlImport {
  const result: FlyTomlImport = { file, processes: [], problems: [], processProblems: [], notes: [] };
  let doc: Table;
  try {
    doc = parse(text.startsWith('\uFEFF') ? text.slice(1) : text) as Table; // a byte-order mark, as some Windows editors write
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = error.message.replace(/^Invalid TOML document: /, '').split('\n')[0];
    const shown = text.split(/\r?\n/)[error.line - 1]?.trim();
    result.problems.push(
      `${file}:${error.line}:${error.column}: not valid TOML: ${reason}${shown ? ` (${JSON.stringify(shown)})` : ''}; fix it, or move it away to start from a new fly.toml`,
    );
    return result;
  }
  const at = (key: string, after?: RegExp) => {
    const line = lineOf(text, key, after);
    return line ? `${file}:${line}` : file;
  };
  const src: TomlSource = { doc, file, result, at };
  readTopLevel(src);
  readReleaseAndEnv(src);
  readProcessGroups(src);
  assignServicePorts(src);
  dedupePorts(result.processes, result.notes);
  return result;
}

/** Answers a project file can give, and the key each has in fly.toml. */
const FLY_KEYS = [
  ['app', 'app'],
  ['region', 'primary_region'],
  ['killSignal', 'kill_signal'],
  ['killTimeout', 'kill_timeout'],
] as const;

export interface ProjectDefaults {
  /** The answers, with what they left open filled from the Procfile and fly.toml. */
  answers: Answers;
  /** Where a filled-in value came from, for messages: e.g. killTimeout -> "fly.toml kill_timeout". */
  origin: Partial<Record<'processes' | 'app' | 'region' | 'killSignal' | 'killTimeout' | 'release', string>>;
  /** Problems of the imports that were used. */
  problems: string[];
  notes: string[];
}

/**
 * Fill what the answers leave open from the project: processes (and their ports) from the
 * Procfile, else from fly.toml [processes]; app, primary_region, kill_signal and kill_timeout from
 * fly.toml. Flags (and the wizard) always win; a Procfile wins over fly.toml [processes].
 */
export function withProjectDefaults(given: Answers, project: Project): ProjectDefaults {
  const answers: Answers = { ...given };
  const result: ProjectDefaults = { answers, origin: {}, problems: [], notes: [] };
  const { procfile, flyToml: fly } = project;
  if (fly) result.problems.push(...fly.problems);
  const flagged = Boolean(given.processes?.length);
  if (procfile?.explicit && flagged) {
    result.problems.push(`--from-procfile ${procfile.file} and --process both give the processes: pass one of them`);
  }
  if (!flagged && !given.example) {
    const source =
      procfile && (procfile.explicit || procfile.processes.length || procfile.problems.length)
        ? {
            file: procfile.file,
            processes: procfile.processes,
            problems: procfile.problems,
            notes: procfile.notes,
            http: undefined,
          }
        : fly && (fly.processes.length || fly.processProblems.length)
          ? {
              file: `${fly.file} [processes]`,
              processes: fly.processes,
              problems: fly.processProblems,
              notes: fly.notes,
              http: fly.http,
            }
          : undefined;
    if (source) {
      result.problems.push(...source.problems);
      result.notes.push(...source.notes);
      if (source.processes.length) {
        answers.processes = source.processes.map((p) => `${p.name}=${p.command}`);
        const portGiven = new Set((given.ports ?? []).map((p) => p.slice(0, p.indexOf('=')).trim()));
        // Ports a command says plainly, plan() finds itself; fly.toml's services give the others.
        const ports = source.processes
          .filter((p) => p.port !== undefined && p.port !== portOf(p.command) && !portGiven.has(p.name))
          .map((p) => `${p.name}=${p.port}`);
        if (ports.length) answers.ports = [...(given.ports ?? []), ...ports];
        if (answers.http === undefined && source.http !== undefined && !portGiven.has(source.http))
          answers.http = source.http;
        result.origin.processes = source.file;
        result.notes.push(
          `processes from ${source.file}: ${source.processes.map((p) => (p.port === undefined ? p.name : `${p.name} (port ${p.port})`)).join(', ')}; --process replaces them`,
        );
      }
    }
  }
  // The Procfile's release entry is the project's release step, whichever source gives the
  // processes (so the printed equivalent command, with --process flags, gives the same fly.toml).
  if (procfile?.release && !procfile.problems.length && answers.release === undefined) {
    answers.release = procfile.release.command;
    result.origin.release = procfile.release.source;
  }
  // fly.toml's own release_command is kept (the tool owns the key, so leaving it out would delete it).
  if (fly?.release && answers.release === undefined) {
    answers.release = fly.release.command;
    result.origin.release = fly.release.source;
  }
  if (fly) {
    const kept: string[] = [];
    for (const [key, flyKey] of FLY_KEYS) {
      const value = fly[key];
      if (answers[key] !== undefined || value === undefined) continue;
      answers[key] = value;
      result.origin[key] = `${fly.file} ${flyKey}`;
      kept.push(`${flyKey} ${value}`);
    }
    if (kept.length) result.notes.push(`kept from ${fly.file}: ${kept.join(', ')} (flags override them)`);
  }
  return result;
}

/** The processes the project declares, for the wizard to offer (none when the file has problems: plan() reports them). */
export function declaredProcesses(project: Project): DeclaredProcess[] {
  const { procfile, flyToml: fly } = project;
  if (procfile && (procfile.explicit || procfile.processes.length || procfile.problems.length))
    return procfile.problems.length ? [] : procfile.processes;
  if (fly && !fly.processProblems.length) return fly.processes;
  return [];
}
