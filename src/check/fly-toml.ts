/**
 * fly.toml rules: what `fly deploy` rejects (flyctl's Validate), what fails only inside the
 * deploy (validation.go:252 tests the wrong variable), and what flyctl accepts silently but does
 * something the author did not mean. Facts and file:line in the shared reference fly-toml.md.
 */
import { parseGoDuration, shlexSplit, tomlLines } from './util.js';
import type { Reporter, SourceFile } from './types.js';

type Table = Record<string, unknown>;

export interface ServiceFacts {
  kind: 'http_service' | 'services';
  index: number;
  line?: number;
  internalPort?: number;
  /** Groups the service reaches (its filter, or every group when unfiltered). */
  groups: string[];
  autoStop: boolean;
  publicPorts: number[];
}

/** What the other rules need to know from fly.toml. */
export interface FlyFacts {
  file: string;
  groups: string[];
  hasProcesses: boolean;
  defaultGroup: string;
  commands: Map<string, string>;
  killSignal: string;
  killSignalLine?: number;
  /** Seconds (the default 5 when absent or unreadable). */
  killTimeout: number;
  killTimeoutLine?: number;
  killTimeoutSet: boolean;
  services: ServiceFacts[];
  /** Restart policy per group ("on-failure" when none reaches it). */
  restart: Map<string, string>;
  releaseCommand?: string;
  env: Record<string, string>;
  lines: Map<string, number>;
  /** [build] keys that make fly deploy skip the Dockerfile. */
  notDockerfile: { key: string; line?: number; value: unknown }[];
  /** [[statics]] entries with an absolute guest_path, for the image check. */
  statics: { guestPath: string; urlPrefix?: string; line?: number }[];
}

export const API_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGKILL', 'SIGUSR1', 'SIGTERM'];
const VM_SIZES = new Set([
  'shared-cpu-1x',
  'shared-cpu-2x',
  'shared-cpu-4x',
  'shared-cpu-6x',
  'shared-cpu-8x',
  'performance-1x',
  'performance-2x',
  'performance-4x',
  'performance-6x',
  'performance-8x',
  'performance-10x',
  'performance-12x',
  'performance-14x',
  'performance-16x',
  'a10',
  'a100-40gb',
  'a100-80gb',
  'l40s',
]);

const isTable = (v: unknown): v is Table =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
/** A [[x]] array, a single [x] table (flyctl's patches accept both), or nothing. */
const entries = (v: unknown): Table[] => (Array.isArray(v) ? v.filter(isTable) : isTable(v) ? [v] : []);
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/** How flyctl reads a duration-like value (kill_timeout): seconds, or undefined with the reason. */
export function flyDuration(v: unknown): { seconds?: number; problem?: string } {
  if (typeof v === 'number' || typeof v === 'bigint') return { seconds: Math.trunc(Number(v)) };
  if (typeof v === 'string') {
    if (v === '') return { problem: 'an empty string is dropped: the default 5 s applies' };
    const s = parseGoDuration(v);
    return s === undefined
      ? {
          problem: `"${v}" is not a Go duration${/^\d+(\.\d+)?$/.test(v) ? ' (a string needs a unit: "' + v + 's")' : ''}`,
        }
      : { seconds: Math.trunc(s) };
  }
  return { problem: 'a value that is neither a number nor a string is dropped: the default 5 s applies' };
}

/** Memory as flyctl reads it (binary units; a bare number is MB). */
function memoryMb(v: unknown): number | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v);
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'mb').toLowerCase()[0];
  return unit === 'b'
    ? n / 2 ** 20
    : unit === 'k'
      ? n / 1024
      : unit === 'g'
        ? n * 1024
        : unit === 't'
          ? n * 1024 * 1024
          : n;
}

/** Why a command means something else without a shell, or undefined. */
export function needsShell(command: string): string | undefined {
  const split = shlexSplit(command);
  if ('error' in split) return undefined;
  const [first, second] = split.words;
  if (first && /^(\/(usr\/)?bin\/)?(ba|da|z)?sh$/.test(first) && second === '-c') return undefined;
  // $VAR outside single quotes
  const unquoted = command.replace(/'[^']*'/g, "''");
  const variable = /\$(\{?[A-Za-z_][A-Za-z0-9_]*\}?)/.exec(unquoted);
  if (variable) return `$${variable[1]} is passed literally, not expanded`;
  const op = split.words.find((w) => ['&&', '||', '|', ';', '>', '>>', '<', '2>&1', '&'].includes(w));
  if (op) return `"${op}" is passed to the program as an argument`;
  return undefined;
}

/** Where google/shlex and POSIX sh disagree on a command, or undefined. */
export function shlexDiffers(command: string): string | undefined {
  const unquoted = command.replace(/'[^']*'/g, "''");
  if (/(^|\s)#/.test(unquoted.replace(/"[^"]*"/g, '""')))
    return 'a word starting with # begins a comment for flyctl: the rest of the command is dropped';
  for (const m of command.replace(/'[^']*'/g, "''").matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    const bad = /\\([^$`"\\\n])/.exec(m[1]!);
    if (bad) return `inside double quotes flyctl drops the backslash of \\${bad[1]} (sh keeps it)`;
  }
  return undefined;
}

/** What the section readers below share: the document, where its keys are, and its process groups. */
interface TomlContext {
  doc: Table;
  f: string;
  at: (key: string) => number | undefined;
  out: Reporter;
  groups: string[];
  known: Set<string>;
  hasProcesses: boolean;
  defaultGroup: string;
}

/** [processes] as flyctl reads it (the table, or the legacy [[processes]] array), and the groups it makes. */
function readGroups(
  doc: Table,
  f: string,
  at: (key: string) => number | undefined,
  out: Reporter,
): {
  commands: Map<string, string>;
  groups: string[];
  known: Set<string>;
  hasProcesses: boolean;
  defaultGroup: string;
} {
  const processesTable = isTable(doc.processes) ? doc.processes : undefined;
  const legacyProcesses = Array.isArray(doc.processes) ? entries(doc.processes) : [];
  const commands = new Map<string, string>();
  if (processesTable) {
    for (const [name, command] of Object.entries(processesTable)) {
      if (typeof command !== 'string') {
        out.report(
          'fly-toml/type',
          f,
          at(`processes.${name}`),
          `[processes] ${name} is a ${typeof command}: flyctl needs a string command`,
        );
        continue;
      }
      commands.set(name, command);
    }
  }
  for (const p of legacyProcesses)
    if (typeof p.name === 'string')
      commands.set(p.name, Array.isArray(p.command) ? (p.command as string[]).join(' ') : String(p.command ?? ''));
  const groups = commands.size ? [...commands.keys()].sort() : ['app'];
  const hasProcesses = commands.size > 0;
  const defaultGroup = groups.includes('app') ? 'app' : groups[0]!;
  const known = new Set(groups);
  return { commands, groups, known, hasProcesses, defaultGroup };
}

/** Each command flyctl splits: reserved names, shlex, shell syntax. */
function checkCommands(ctx: TomlContext, commands: Map<string, string>): void {
  const { doc, f, at, out } = ctx;
  for (const [name, command] of commands) {
    const line = at(`processes.${name}`) ?? at('processes');
    if (name.startsWith('fly_app_'))
      out.report(
        'fly-toml/reserved-group',
        f,
        line,
        `process group "${name}": names starting with fly_app_ belong to flyctl`,
      );
    const split = shlexSplit(command);
    if ('error' in split) {
      out.report(
        'fly-toml/command-unsplittable',
        f,
        line,
        `[processes] ${name} = ${JSON.stringify(command)}: ${split.error}`,
      );
      continue;
    }
    const shell = needsShell(command);
    if (shell) out.report('fly-toml/command-needs-shell', f, line, `[processes] ${name}: ${shell}`);
    const differs = shlexDiffers(command);
    if (differs) out.report('fly-toml/shlex-differs', f, line, `[processes] ${name}: ${differs}`);
  }
  const deploy = isTable(doc.deploy) ? doc.deploy : {};
  for (const [key, value, label] of [
    ['deploy.release_command', deploy.release_command, 'release_command'],
    ['console_command', doc.console_command, 'console_command'],
  ] as const) {
    if (typeof value !== 'string') continue;
    const split = shlexSplit(value);
    if ('error' in split)
      out.report('fly-toml/command-unsplittable', f, at(key), `${label} = ${JSON.stringify(value)}: ${split.error}`);
    else {
      const shell = needsShell(value);
      if (shell) out.report('fly-toml/command-needs-shell', f, at(key), `${label}: ${shell}`);
    }
  }
}

/** kill_signal and kill_timeout, read as flyctl and the Machines API read them. */
function readKillSettings(ctx: TomlContext): { killSignal: string; killTimeout: number } {
  const { doc, f, at, out } = ctx;
  let killSignal = 'SIGINT';
  if (doc.kill_signal !== undefined) {
    if (typeof doc.kill_signal !== 'string')
      out.report('fly-toml/type', f, at('kill_signal'), 'kill_signal must be a string such as "SIGTERM"');
    else {
      killSignal = doc.kill_signal.toUpperCase().startsWith('SIG')
        ? doc.kill_signal.toUpperCase()
        : `SIG${doc.kill_signal.toUpperCase()}`;
      if (killSignal === 'SIGUSR2')
        out.report(
          'fly-toml/kill-signal',
          f,
          at('kill_signal'),
          'kill_signal = "SIGUSR2": the Machines API rejects it (flyctl #4721)',
        );
      else if (!API_SIGNALS.includes(killSignal))
        out.report(
          'fly-toml/kill-signal',
          f,
          at('kill_signal'),
          `kill_signal = "${doc.kill_signal}" is not one of ${API_SIGNALS.join(', ')}`,
        );
      else if (killSignal === 'SIGKILL')
        out.report(
          'fly-toml/kill-signal',
          f,
          at('kill_signal'),
          'kill_signal = "SIGKILL": nothing gets a chance to stop cleanly',
          { severity: 'warning', fix: 'Use SIGINT or SIGTERM and let the entrypoint stop the processes.' },
        );
    }
  }
  let killTimeout = 5;
  if (doc.kill_timeout !== undefined) {
    const d = flyDuration(doc.kill_timeout);
    if (d.problem)
      out.report(
        'fly-toml/kill-timeout',
        f,
        at('kill_timeout'),
        `kill_timeout = ${JSON.stringify(doc.kill_timeout)}: ${d.problem}`,
      );
    else if (d.seconds! > 300)
      out.report(
        'fly-toml/kill-timeout',
        f,
        at('kill_timeout'),
        `kill_timeout is ${d.seconds} s: the Machines API refuses more than 300 s ("cannot exceed 5 minutes")`,
      );
    else if (d.seconds! < 1)
      out.report(
        'fly-toml/kill-timeout',
        f,
        at('kill_timeout'),
        `kill_timeout is ${d.seconds} s${typeof doc.kill_timeout === 'number' && !Number.isInteger(doc.kill_timeout) ? ' (flyctl truncates fractions)' : ''}: the processes get no time to stop`,
        { severity: 'warning' },
      );
    if (d.seconds !== undefined && d.seconds >= 1) killTimeout = Math.min(d.seconds, 300);
  }
  return { killSignal, killTimeout };
}

/** [http_service] and [[services]]: types, filters, auto-stop and public ports. */
function readServices(ctx: TomlContext): ServiceFacts[] {
  const { doc, f, at, out, groups, known, hasProcesses } = ctx;
  const services: ServiceFacts[] = [];
  const all: { kind: 'http_service' | 'services'; index: number; table: Table; key: string }[] = [];
  if (doc.http_service !== undefined) {
    if (isTable(doc.http_service))
      all.push({ kind: 'http_service', index: 0, table: doc.http_service, key: 'http_service' });
    else out.report('fly-toml/type', f, at('http_service'), '[http_service] must be a table');
  }
  entries(doc.services).forEach((table, index) =>
    all.push({ kind: 'services', index, table, key: `services[${index}]` }),
  );
  for (const { kind, index, table, key } of all) {
    const label = kind === 'http_service' ? '[http_service]' : `[[services]] #${index + 1}`;
    const line = at(key) ?? at(kind);
    let internalPort: number | undefined;
    const ip = table.internal_port;
    if (typeof ip === 'number' || typeof ip === 'bigint') internalPort = Number(ip);
    else if (kind === 'services' && typeof ip === 'string' && /^\d+$/.test(ip)) internalPort = Number(ip);
    else if (ip !== undefined)
      out.report(
        'fly-toml/type',
        f,
        at(`${key}.internal_port`) ?? line,
        `${label} internal_port = ${JSON.stringify(ip)}: flyctl needs a number${kind === 'http_service' ? ' here (only [[services]] accept a string)' : ''}`,
      );
    const filter = table.processes === undefined ? undefined : strings(table.processes);
    if (table.processes !== undefined && !filter)
      out.report(
        'fly-toml/type',
        f,
        at(`${key}.processes`) ?? line,
        `${label} processes must be a list of group names`,
      );
    let reached = groups;
    if (filter && filter.length) {
      for (const name of filter) {
        if (!known.has(name)) {
          out.report(
            'fly-toml/service-unknown-group',
            f,
            at(`${key}.processes`) ?? line,
            `${label} processes names "${name}", but the groups are ${groups.join(', ')}${hasProcesses ? '' : ' (no [processes]: the only group is app)'}`,
          );
        }
      }
      reached = filter.filter((n) => known.has(n));
    } else if (groups.length > 1) {
      out.report(
        'fly-toml/service-no-filter',
        f,
        line,
        `${label} has no processes filter but the app has ${groups.length} groups (${groups.join(', ')})`,
      );
    }
    const as = table.auto_stop_machines;
    if (
      as !== undefined &&
      typeof as !== 'boolean' &&
      !(typeof as === 'string' && ['off', 'stop', 'suspend'].includes(as))
    ) {
      out.report(
        'fly-toml/type',
        f,
        at(`${key}.auto_stop_machines`) ?? line,
        `${label} auto_stop_machines = ${JSON.stringify(as)}: flyctl takes true/false or "off", "stop", "suspend"`,
      );
    }
    const autoStop = as === true || as === 'stop' || as === 'suspend';
    const publicPorts: number[] = [];
    if (kind === 'http_service') publicPorts.push(80, 443);
    for (const p of entries(table.ports)) {
      const port =
        typeof p.port === 'string' && /^\d+$/.test(p.port)
          ? Number(p.port)
          : typeof p.port === 'number'
            ? p.port
            : undefined;
      if (port !== undefined) publicPorts.push(port);
      const handlers = (strings(p.handlers) ?? []).join(',');
      const range = p.start_port !== undefined || p.end_port !== undefined;
      const plain =
        (port === 80 && handlers === 'http') || (port === 443 && (handlers === 'http,tls' || handlers === 'tls,http'));
      if (kind === 'services' && (range || table.protocol === 'udp' || !plain)) {
        const what = range
          ? `ports ${p.start_port}-${p.end_port}`
          : table.protocol === 'udp'
            ? `udp port ${port}`
            : `port ${port} with handlers [${handlers}]`;
        out.report(
          'fly-toml/dedicated-ipv4',
          f,
          line,
          `${label} exposes ${what}: on the first deploy flyctl asks for a dedicated IPv4 (in CI: no IP at all)`,
        );
      }
    }
    services.push({
      kind,
      index,
      ...(line !== undefined ? { line } : {}),
      ...(internalPort !== undefined ? { internalPort } : {}),
      groups: reached,
      autoStop,
      publicPorts,
    });
  }
  return services;
}

/** Same public port, different groups. */
function checkSharedPorts(ctx: TomlContext, services: ServiceFacts[]): void {
  const { f, out } = ctx;
  const byPort = new Map<number, ServiceFacts[]>();
  for (const s of services) for (const p of new Set(s.publicPorts)) byPort.set(p, [...(byPort.get(p) ?? []), s]);
  for (const [port, list] of byPort) {
    const groupSets = new Set(list.map((s) => s.groups.join(',')));
    if (list.length > 1 && groupSets.size > 1) {
      out.report(
        'fly-toml/shared-public-port',
        f,
        list[1]!.line,
        `public port ${port} is declared by services of groups ${[...groupSets].map((g) => `[${g}]`).join(' and ')}`,
      );
    }
  }
}

/** [[restart]]: policy names and filters; the policy each group gets. */
function readRestart(ctx: TomlContext): Map<string, string> {
  const { doc, f, at, out, groups, known, defaultGroup } = ctx;
  const restart = new Map<string, string>(groups.map((g) => [g, 'on-failure']));
  entries(doc.restart).forEach((entry, i) => {
    const key = `restart[${i}]`;
    const line = at(key) ?? at('restart');
    const policy = entry.policy;
    if (policy !== undefined && !(typeof policy === 'string' && ['always', 'on-failure', 'never'].includes(policy))) {
      out.report(
        'fly-toml/restart-policy',
        f,
        at(`${key}.policy`) ?? line,
        `policy = ${JSON.stringify(policy)}${policy === 'no' ? ' (the API\'s name; fly.toml says "never")' : ''}`,
      );
    }
    const filter = strings(entry.processes);
    if (filter?.length) {
      for (const name of filter)
        if (!known.has(name))
          out.report(
            'fly-toml/restart-unknown-group',
            f,
            at(`${key}.processes`) ?? line,
            `[[restart]] processes names "${name}", but the groups are ${groups.join(', ')}`,
          );
      for (const name of filter) if (known.has(name) && typeof policy === 'string') restart.set(name, policy);
    } else {
      if (groups.length > 1)
        out.report(
          'fly-toml/unfiltered-default-group',
          f,
          line,
          `[[restart]] without processes applies to the default group "${defaultGroup}" only, not to ${groups.filter((g) => g !== defaultGroup).join(', ')}`,
        );
      if (typeof policy === 'string') restart.set(defaultGroup, policy);
    }
  });
  return restart;
}

/** [deploy] strategy. */
function checkDeploy(ctx: TomlContext): void {
  const { doc, f, at, out } = ctx;
  const deploy = isTable(doc.deploy) ? doc.deploy : {};
  if (deploy.strategy !== undefined) {
    if (!(
      typeof deploy.strategy === 'string' && ['canary', 'rolling', 'immediate', 'bluegreen'].includes(deploy.strategy)
    )) {
      out.report('fly-toml/deploy-strategy', f, at('deploy.strategy'), `strategy = ${JSON.stringify(deploy.strategy)}`);
    } else if (deploy.strategy === 'canary' && entries(doc.mounts).length) {
      out.report('fly-toml/canary-with-mounts', f, at('deploy.strategy'), 'strategy = "canary" with [[mounts]]');
    }
  }
  if (typeof deploy.release_command === 'string') {
    // A process manager's Procfile "release" is not the same thing; nothing else to check here.
  }
}

/** Group-filtered sections that flyctl does not validate: [[vm]], [[mounts]], [[files]], [[metrics]]. */
function checkFilteredSections(ctx: TomlContext): void {
  const { doc, f, at, out, groups, known, defaultGroup } = ctx;
  const filtered: [string, string][] = [
    ['vm', '[[vm]]'],
    ['mounts', '[[mounts]]'],
    ['files', '[[files]]'],
    ['metrics', '[[metrics]]'],
  ];
  const mountsPerGroup = new Map<string, number>();
  for (const [section, label] of filtered) {
    entries(doc[section]).forEach((entry, i) => {
      const key = Array.isArray(doc[section]) ? `${section}[${i}]` : section;
      const line = at(key) ?? at(section);
      const filter = strings(entry.processes);
      if (filter?.length) {
        for (const name of filter)
          if (!known.has(name))
            out.report(
              'fly-toml/filter-ignored',
              f,
              at(`${key}.processes`) ?? line,
              `${label} processes names "${name}", which is not a group: flyctl ignores it silently${filter.every((n) => !known.has(n)) ? ' (this entry reaches no Machine)' : ''}`,
            );
      } else if (section !== 'vm' && groups.length > 1) {
        out.report(
          'fly-toml/unfiltered-default-group',
          f,
          line,
          `${label} without processes reaches the default group "${defaultGroup}" only, not ${groups.filter((g) => g !== defaultGroup).join(', ')}`,
        );
      }
      if (section === 'mounts')
        for (const g of filter?.length ? filter.filter((n) => known.has(n)) : [defaultGroup])
          mountsPerGroup.set(g, (mountsPerGroup.get(g) ?? 0) + 1);
      if (section === 'vm') {
        if (entry.size !== undefined && !(typeof entry.size === 'string' && VM_SIZES.has(entry.size)))
          out.report('fly-toml/vm-size', f, at(`${key}.size`) ?? line, `size = ${JSON.stringify(entry.size)}`);
        const mem = entry.memory ?? entry.memory_mb;
        if (mem !== undefined) {
          const mb = memoryMb(mem);
          if (mb === undefined || mb <= 0)
            out.report(
              'fly-toml/vm-memory',
              f,
              at(`${key}.memory`) ?? at(`${key}.memory_mb`) ?? line,
              `memory = ${JSON.stringify(mem)}`,
            );
        }
      }
    });
  }
  for (const [g, n] of mountsPerGroup)
    if (n > 1)
      out.report('fly-toml/mounts-per-group', f, at('mounts[1]') ?? at('mounts'), `${n} [[mounts]] reach group "${g}"`);
}

/** [checks]: filters, ports, type, interval and timeout. */
function checkChecks(ctx: TomlContext, services: ServiceFacts[]): void {
  const { doc, f, at, out, groups, known, defaultGroup } = ctx;
  if (isTable(doc.checks)) {
    for (const [name, check] of Object.entries(doc.checks)) {
      if (!isTable(check)) continue;
      const key = `checks.${name}`;
      const line = at(key) ?? at('checks');
      const filter = strings(check.processes);
      let reached = [defaultGroup];
      if (filter?.length) {
        for (const g of filter)
          if (!known.has(g))
            out.report(
              'fly-toml/filter-ignored',
              f,
              at(`${key}.processes`) ?? line,
              `[checks.${name}] processes names "${g}", which is not a group: flyctl ignores it silently`,
            );
        reached = filter.filter((g) => known.has(g));
      } else if (groups.length > 1) {
        out.report(
          'fly-toml/unfiltered-default-group',
          f,
          line,
          `[checks.${name}] without processes checks the default group "${defaultGroup}" only`,
        );
      }
      if (check.port === undefined) {
        const withHttp = services.some((s) => s.kind === 'http_service' && reached.some((g) => s.groups.includes(g)));
        if (!withHttp && reached.length)
          out.report(
            'fly-toml/check-no-port',
            f,
            line,
            `[checks.${name}] has no port and group ${reached.join(', ')} has no [http_service]`,
          );
      }
      if (check.type !== undefined && check.type !== 'http' && check.type !== 'tcp')
        out.report('fly-toml/check-invalid', f, at(`${key}.type`) ?? line, `type = ${JSON.stringify(check.type)}`);
      const interval = check.interval === undefined ? undefined : flyDuration(check.interval).seconds;
      if (interval !== undefined && typeof check.interval === 'string' && interval < 2)
        out.report(
          'fly-toml/check-invalid',
          f,
          at(`${key}.interval`) ?? line,
          `interval = ${JSON.stringify(check.interval)} is under 2 s`,
        );
      const timeout = check.timeout === undefined ? undefined : flyDuration(check.timeout).seconds;
      if (timeout !== undefined && typeof check.timeout === 'string' && timeout > 60)
        out.report(
          'fly-toml/check-invalid',
          f,
          at(`${key}.timeout`) ?? line,
          `timeout = ${JSON.stringify(check.timeout)} is over 60 s`,
        );
    }
  }
}

/** [[statics]]: count, paths, prefixes; the entries with an absolute guest_path, for the image check. */
function readStatics(ctx: TomlContext): FlyFacts['statics'] {
  const { doc, f, at, out } = ctx;
  const statics = entries(doc.statics);
  if (statics.length > 10)
    out.report(
      'fly-toml/statics',
      f,
      at('statics[10]') ?? at('statics'),
      `${statics.length} [[statics]] entries: Fly serves at most 10`,
    );
  const prefixes: { prefix: string; index: number }[] = [];
  statics.forEach((entry, i) => {
    const key = Array.isArray(doc.statics) ? `statics[${i}]` : 'statics';
    const line = at(key) ?? at('statics');
    if (typeof entry.guest_path !== 'string' || !entry.guest_path.startsWith('/'))
      out.report(
        'fly-toml/statics',
        f,
        at(`${key}.guest_path`) ?? line,
        `guest_path = ${JSON.stringify(entry.guest_path)}: an absolute path in the image is needed`,
      );
    if (entry.processes !== undefined)
      out.report(
        'fly-toml/statics',
        f,
        at(`${key}.processes`) ?? line,
        '[[statics]] has no processes filter: flyctl ignores the key and every group serves these files',
      );
    if (typeof entry.url_prefix !== 'string' || !entry.url_prefix.startsWith('/')) {
      out.report(
        'fly-toml/statics',
        f,
        at(`${key}.url_prefix`) ?? line,
        `url_prefix = ${JSON.stringify(entry.url_prefix)}: a path starting with / is needed`,
      );
      return;
    }
    if (/[\s?#*]|(^|\/)\.\.(\/|$)/.test(entry.url_prefix))
      out.report(
        'fly-toml/statics',
        f,
        at(`${key}.url_prefix`) ?? line,
        `url_prefix = ${JSON.stringify(entry.url_prefix)}: Fly matches it literally against the request path, so a space, ?, #, * or .. in it never matches`,
      );
    const norm = entry.url_prefix.replace(/\/+$/, '') || '/';
    const clash = prefixes.find(
      (p) =>
        p.prefix === norm ||
        norm.startsWith(p.prefix === '/' ? '/' : `${p.prefix}/`) ||
        p.prefix.startsWith(norm === '/' ? '/' : `${norm}/`),
    );
    if (clash)
      out.report(
        'fly-toml/statics',
        f,
        at(`${key}.url_prefix`) ?? line,
        `url_prefix "${entry.url_prefix}" overlaps "${statics[clash.index]!.url_prefix}" (entry ${clash.index + 1})`,
      );
    prefixes.push({ prefix: norm, index: i });
  });
  const staticEntries = statics.flatMap((entry, i) => {
    const key = Array.isArray(doc.statics) ? `statics[${i}]` : 'statics';
    if (typeof entry.guest_path !== 'string' || !entry.guest_path.startsWith('/')) return [];
    const line = at(`${key}.guest_path`) ?? at(key);
    return [
      {
        guestPath: entry.guest_path,
        ...(typeof entry.url_prefix === 'string' ? { urlPrefix: entry.url_prefix } : {}),
        ...(line !== undefined ? { line } : {}),
      },
    ];
  });
  return staticEntries;
}

/** [experimental] overrides, and [build] keys that make flyctl skip the Dockerfile. */
function readBuild(ctx: TomlContext): FlyFacts['notDockerfile'] {
  const { doc, f, at, out } = ctx;
  const experimental = isTable(doc.experimental) ? doc.experimental : {};
  for (const key of ['entrypoint', 'exec', 'cmd']) {
    if (experimental[key] !== undefined)
      out.report(
        'fly-toml/experimental-entrypoint',
        f,
        at(`experimental.${key}`),
        `[experimental] ${key} = ${JSON.stringify(experimental[key])}`,
      );
  }
  const build = isTable(doc.build) ? doc.build : {};
  const notDockerfile = ['image', 'builder', 'buildpacks', 'builtin']
    .filter((key) => build[key] !== undefined)
    .map((key) => ({ key, line: at(`build.${key}`), value: build[key] }));
  if (build.args !== undefined && isTable(build.args)) {
    for (const [k, v] of Object.entries(build.args))
      if (typeof v !== 'string')
        out.report('fly-toml/type', f, at(`build.args.${k}`), `[build.args] ${k} must be a string`);
  }
  return notDockerfile;
}

export async function checkFlyToml(file: SourceFile, out: Reporter): Promise<FlyFacts | undefined> {
  const { parse, TomlError } = await import('smol-toml');
  let doc: Table;
  try {
    doc = parse(file.text) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      out.report('fly-toml/syntax', file.path, error.line, error.message.split('\n')[0]!);
      return undefined;
    }
    throw error;
  }
  const lines = tomlLines(file.text);
  const at = (key: string) => lines.get(key);
  const f = file.path;
  const { commands, groups, known, hasProcesses, defaultGroup } = readGroups(doc, f, at, out);
  const ctx: TomlContext = { doc, f, at, out, groups, known, hasProcesses, defaultGroup };
  checkCommands(ctx, commands);
  const { killSignal, killTimeout } = readKillSettings(ctx);
  const services = readServices(ctx);
  checkSharedPorts(ctx, services);
  const restart = readRestart(ctx);
  checkDeploy(ctx);
  checkFilteredSections(ctx);
  checkChecks(ctx, services);
  const staticEntries = readStatics(ctx);
  const notDockerfile = readBuild(ctx);
  const deploy = isTable(doc.deploy) ? doc.deploy : {};
  const env: Record<string, string> = {};
  if (isTable(doc.env)) for (const [k, v] of Object.entries(doc.env)) env[k] = String(v);

  return {
    notDockerfile,
    statics: staticEntries,
    file: f,
    groups,
    hasProcesses,
    defaultGroup,
    commands,
    killSignal,
    ...(at('kill_signal') !== undefined ? { killSignalLine: at('kill_signal')! } : {}),
    killTimeout,
    ...(at('kill_timeout') !== undefined ? { killTimeoutLine: at('kill_timeout')! } : {}),
    killTimeoutSet: doc.kill_timeout !== undefined,
    services,
    restart,
    ...(typeof deploy.release_command === 'string' ? { releaseCommand: deploy.release_command } : {}),
    env,
    lines,
  };
}
