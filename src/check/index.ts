/**
 * `create-fly-multiproc check [dir]`: read a multi-process Fly setup, whoever wrote it, and report
 * what Fly would do with it. Loaded only by the check subcommand (cli.ts imports it lazily).
 */
import path from 'node:path';
import { statSync } from 'node:fs';
import { checkDockerfile, installs, baseImage } from './dockerfile.js';
import { checkFlyToml, type FlyFacts } from './fly-toml.js';
import { checkProcfile, type ProcfileManager } from './procfile.js';
import { RULE_BY_ID, RULES } from './rules.js';
import { analyseScript, checkScript, normSignal, type ScriptFacts } from './script.js';
import {
  loadSetup,
  resolveImagePath,
  runInstructions,
  SetupInputError,
  wordsOf,
  type Dockerfile,
  type LoadOptions,
  type Setup,
} from './setup.js';
import { analyseSupervisor, checkSupervisor, type SupervisorFacts } from './supervisor.js';
import type { Finding, Reporter, Severity } from './types.js';
import { checkUser } from './user.js';
import { checkStaticsInImage } from './statics.js';
import { checkRailsGate } from './rails.js';
import { lineOf } from './util.js';

export { RULES };
export type { Finding };

export interface CheckResult {
  dir: string;
  /** Files read, relative paths. */
  files: string[];
  findings: Finding[];
  /** Findings silenced by a `check: ignore RULE` comment on their line or in the comment block above it. */
  suppressed: Finding[];
}

export class CheckInputError extends Error {}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, advice: 2 };

type Manager = 'supervisord' | ProcfileManager;

/** Which process managers the setup runs, and from where. */
function managersOf(
  setup: Setup,
  scripts: ScriptFacts[],
  fly?: FlyFacts,
): Map<Manager, { file: string; line?: number; text: string }> {
  const found = new Map<Manager, { file: string; line?: number; text: string }>();
  const texts: { file: string; line?: number; text: string }[] = [];
  if (setup.dockerfile) {
    const { entrypoint, cmd } = runInstructions(setup.dockerfile);
    for (const ins of [entrypoint, cmd])
      if (ins) texts.push({ file: setup.dockerfile.path, line: ins.line, text: wordsOf(ins).join(' ') });
  }
  for (const s of scripts) for (const c of s.commands) texts.push({ file: s.file.path, line: c.line, text: c.text });
  if (fly)
    for (const [name, command] of fly.commands)
      texts.push({
        file: fly.file,
        ...(fly.lines.get(`processes.${name}`) ? { line: fly.lines.get(`processes.${name}`)! } : {}),
        text: command,
      });
  const patterns: [Manager, RegExp][] = [
    ['supervisord', /(^|[\s/"'])supervisord(\s|$|["'])/],
    ['overmind', /(^|[\s/"'])overmind\s+(start|s)\b/],
    ['hivemind', /(^|[\s/"'])hivemind(\s|$)/],
    ['foreman', /(^|[\s/"'])foreman\s+start\b/],
    ['honcho', /(^|[\s/"'])honcho\s+start\b/],
    ['nf', /(^|[\s/"'])nf\s+start\b/],
  ];
  for (const t of texts) {
    if (/^\s*(echo|printf|log)\b/.test(t.text)) continue;
    for (const [m, re] of patterns) if (!found.has(m) && re.test(t.text)) found.set(m, t);
  }
  return found;
}

/** Ports a command listens on, as far as its flags say. */
function listenPorts(command: string): { port: number; host?: string }[] {
  const out: { port: number; host?: string }[] = [];
  const host = /(?:--host|--bind|-b|-H|--listen|--address)[= ](\S+)/.exec(command)?.[1]?.replace(/["']/g, '');
  for (const m of command.matchAll(/(?:^|\s)(?:-p|--port|-P|--http-port|--server-port)[= ]["']?(\d{2,5})\b/g))
    out.push({ port: Number(m[1]), ...(host ? { host: host.replace(/:\d+$/, '') } : {}) });
  for (const m of command.matchAll(
    /(?:^|\s)(?:-b|--bind|--listen|--address|-l|--host)[= ]["']?(\[?[\w.:]*?\]?):(\d{2,5})\b/g,
  ))
    out.push({ port: Number(m[2]), host: m[1]! });
  for (const m of command.matchAll(/\bhttp\.server\s+(\d{2,5})\b/g))
    out.push({ port: Number(m[1]), ...(host ? { host } : {}) });
  for (const m of command.matchAll(/(?:^|\s)PORT=(\d{2,5})\b/g)) out.push({ port: Number(m[1]) });
  return out;
}

/** What the rule groups below read: the parsed setup and what was worked out from it. */
interface Ctx {
  setup: Setup;
  out: Reporter;
  fly: FlyFacts | undefined;
  d: Dockerfile | undefined;
  scripts: ScriptFacts[];
  supervisors: SupervisorFacts[];
  managers: Map<Manager, { file: string; line?: number; text: string }>;
  killTimeout: number;
  /** ENTRYPOINT/CMD words, the scripts' commands and the [processes] commands, one per line. */
  allRunText: string;
  /** fly.toml gives the entrypoint arguments: [processes] commands or a release_command. */
  groupCommands: boolean;
}

const MANAGER = /(^|[\s/"'])(supervisord|overmind|hivemind|foreman|honcho|nf)(\s|$|["'])/;
const WORKER =
  /\b(worker|jobs?|queue|cron|sidekiq|celery|rq|scheduler|beat|consumer|tasks?|good_job|solid_queue|delayed_job|resque|que|litestream|oban)\b|:work\b/;
const WEB = /web|http|api|server|front|admin|proxy|nginx|caddy|puma|unicorn|gunicorn|uvicorn|rails s|next start/;

/** The project directory, read; a clear error when there is nothing to check. */
async function openSetup(dirArg: string, options: LoadOptions): Promise<Setup> {
  const dir = path.resolve(dirArg);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir)
    throw new CheckInputError(
      `${dirArg}: no such directory (give the project directory that holds fly.toml and the Dockerfile)`,
    );
  let setup: Setup;
  try {
    setup = await loadSetup(dir, options);
  } catch (error) {
    if (error instanceof SetupInputError) throw new CheckInputError(error.message);
    throw error;
  }
  if (!setup.flyToml && !setup.dockerfile && !setup.scripts.length && !setup.supervisor.length) {
    throw new CheckInputError(
      `${dirArg}: no fly.toml, Dockerfile, entrypoint script or supervisord config found: nothing to check`,
    );
  }
  return setup;
}

/** The reporter the rules write to: one finding per rule, file, line and message; `check: ignore RULE` comments move a finding to suppressed. */
function collector(setup: Setup): { out: Reporter; findings: Finding[]; suppressed: Finding[] } {
  const findings: Finding[] = [];
  const suppressed: Finding[] = [];
  const seen = new Set<string>();
  const texts = new Map<string, string[]>();
  for (const f of [setup.flyToml, setup.dockerfile, ...setup.scripts, ...setup.supervisor, ...setup.procfiles])
    if (f) texts.set(f.path, f.text.split(/\r?\n/));
  const ignored = (id: string, file: string, line: number | undefined): boolean => {
    const lines = texts.get(file);
    if (!lines || line === undefined) return false;
    const says = (l: string | undefined) =>
      Boolean(
        l && new RegExp(`check:\\s*ignore\\b[^\\n]*(^|[\\s,])${id.replace(/[/-]/g, '\\$&')}($|[\\s,.)])`).test(l),
      );
    if (says(lines[line - 1])) return true;
    for (let i = line - 2; i >= 0 && /^\s*[#;]/.test(lines[i]!); i--) if (says(lines[i])) return true;
    return false;
  };
  const out: Reporter = {
    report(id, file, line, message, override) {
      const rule = RULE_BY_ID.get(id);
      if (!rule) throw new Error(`internal: unknown rule ${id}`);
      const key = `${id}\0${file}\0${line}\0${message}`;
      if (seen.has(key)) return;
      seen.add(key);
      (ignored(id, file, line) ? suppressed : findings).push({
        rule: id,
        severity: override?.severity ?? rule.severity,
        file,
        ...(line !== undefined ? { line } : {}),
        message,
        why: rule.why,
        fix: override?.fix ?? rule.fix,
      });
    },
  };
  return { out, findings, suppressed };
}

/** supervisord configs, and their stop timeouts against kill_timeout. */
function checkSupervisors({ out, supervisors, killTimeout, allRunText }: Ctx): void {
  const nodaemonFlag = /supervisord\b[^\n]*\s(-n|--nodaemon)\b/.test(allRunText);
  const failFastAnywhere = supervisors.some((sv) => sv.failFast);
  const firstWithPrograms = supervisors.find((sv) => sv.programs.length);
  for (const sv of supervisors) {
    checkSupervisor(sv, out, {
      startedWithNodaemonFlag: nodaemonFlag,
      killTimeout,
      failFastAnywhere,
      firstProgramFile: sv === firstWithPrograms,
    });
    for (const p of sv.programs) {
      if (p.stopwaitsecs + 2 > killTimeout) {
        out.report(
          'consistency/stop-timeout',
          sv.file.path,
          p.stopwaitLine ?? p.line,
          `[program:${p.name}] stopwaitsecs=${p.stopwaitsecs}${p.stopwaitLine ? '' : ' (the default)'}: with kill_timeout ${killTimeout} s supervisord needs stopwaitsecs <= ${Math.max(0, killTimeout - 2)} (1 s loop tick + group stop)`,
        );
      }
    }
  }
}

/** Procfile managers: their environment, TTY use, stop timeouts and exit status. */
function checkManagers({ setup, out, fly, d, killTimeout, allRunText, managers }: Ctx): void {
  for (const m of ['overmind', 'hivemind', 'foreman', 'honcho', 'nf'] as const) {
    const where = managers.get(m);
    if (!where) continue;
    const env = `${allRunText}\n${d?.text ?? ''}\n${Object.entries(fly?.env ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}`;
    const procfile = setup.procfiles.find((p) => /fly|prod/i.test(p.path)) ?? setup.procfiles[0];
    if (procfile) checkProcfile(procfile, m, out);
    if (m === 'nf') out.report('procfile/node-foreman', where.file, where.line, `\`${where.text}\``);
    if (m === 'overmind') {
      if (!/OVERMIND_NO_PORT[=\s]+["']?(1|true)/.test(env))
        out.report('procfile/overmind-port', where.file, where.line, 'OVERMIND_NO_PORT is not set');
      if (!/OVERMIND_SKIP_ENV[=\s]+["']?(1|true)/.test(env)) {
        const dotenv = setup.files.includes('.env') && !/^\s*\/?(\*\*\/)?\.env\s*$/m.test(setup.dockerignore ?? '');
        out.report(
          'procfile/overmind-env',
          where.file,
          where.line,
          `OVERMIND_SKIP_ENV is not set${dotenv ? ' and .env is not in .dockerignore' : ''}`,
          dotenv ? {} : { severity: 'advice' },
        );
      }
      if (/overmind\s+(start|s)\b[^\n]*\s(-D|--daemonize)\b|OVERMIND_DAEMONIZE[=\s]+["']?(1|true)/.test(env))
        out.report('procfile/tty', where.file, where.line, 'overmind is told to daemonize');
      if (d && !installs(d, 'tmux'))
        out.report(
          'procfile/tmux-missing',
          d.path,
          runInstructions(d).entrypoint?.line ?? d.stages.at(-1)?.line,
          `the final stage (FROM ${baseImage(d)}) installs no tmux`,
        );
      const aptTmux = d?.stages
        .at(-1)
        ?.instructions.find((i) => i.keyword === 'RUN' && /\bapt(-get)?\b[^\n]*\binstall\b[^\n]*\btmux\b/.test(i.raw));
      if (d && aptTmux && !/LD_PRELOAD|tmux-3\.[6-9]|tmux\/archive/.test(d.text + allRunText)) {
        out.report(
          'procfile/tmux-race',
          d.path,
          aptTmux.line,
          `tmux from apt (FROM ${baseImage(d)}): Debian bookworm has 3.3a, trixie 3.5a`,
        );
      }
      const t = /OVERMIND_TIMEOUT[=\s]+["']?(?:\$\{\w+:-)?(\d+)/.exec(env);
      const timeout = t ? Number(t[1]) : 5;
      if (timeout + 2 > killTimeout)
        out.report(
          'consistency/stop-timeout',
          where.file,
          where.line,
          `OVERMIND_TIMEOUT ${timeout}${t ? '' : ' (the default)'} s + overmind's 1 s pause do not fit in kill_timeout ${killTimeout} s`,
        );
    }
    if (m === 'hivemind') {
      const t = /HIVEMIND_TIMEOUT[=\s]+["']?(?:\$\{\w+:-)?(\d+)/.exec(env);
      const timeout = t ? Number(t[1]) : 5;
      if (timeout + 1 > killTimeout)
        out.report(
          'consistency/stop-timeout',
          where.file,
          where.line,
          `HIVEMIND_TIMEOUT ${timeout}${t ? '' : ' (the default)'} s does not fit in kill_timeout ${killTimeout} s`,
        );
    }
    if (m === 'foreman') {
      const t = /foreman\s+start\b[^\n]*\s-t\s*(\d+)/.exec(allRunText);
      const timeout = t ? Number(t[1]) : 5;
      if (timeout + 1 > killTimeout)
        out.report(
          'consistency/stop-timeout',
          where.file,
          where.line,
          `foreman's timeout ${timeout}${t ? '' : ' (the default)'} s does not fit in kill_timeout ${killTimeout} s`,
        );
    }
    if (m === 'hivemind' || m === 'foreman') {
      const group = groupOf(where, fly);
      if (fly?.restart.get(group) !== 'always' || !fly) {
        out.report(
          'procfile/exit-zero',
          where.file,
          where.line,
          `${m} runs group "${group}", whose restart policy is ${fly?.restart.get(group) ?? 'on-failure (no fly.toml)'}`,
          m === 'foreman' ? { severity: 'advice' } : {},
        );
      }
    }
  }
}

/** What the final image installs, and what its USER can read, run and write. */
function checkImage({ setup, out, fly, scripts, supervisors, managers, allRunText }: Ctx, d: Dockerfile): void {
  for (const m of ['supervisord', 'overmind', 'hivemind', 'foreman', 'honcho'] as const) {
    const where = managers.get(m);
    if (where && !installs(d, m))
      out.report(
        'dockerfile/manager-missing',
        d.path,
        runInstructions(d).entrypoint?.line ?? runInstructions(d).cmd?.line ?? d.stages.at(-1)?.line,
        `${m} is run (${where.file}${where.line ? `:${where.line}` : ''}) but the final stage (FROM ${baseImage(d)}) does not install it`,
      );
  }
  for (const s of scripts) {
    if (s.bash && !installs(d, 'bash'))
      out.report(
        'dockerfile/bash-missing',
        d.path,
        d.stages.at(-1)?.line,
        `${s.file.path} needs bash; FROM ${baseImage(d)} has none and nothing installs it`,
      );
  }
  const env = `${allRunText}\n${d.text}\n${Object.entries(fly?.env ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}`;
  checkUser({ setup, d, scripts, supervisors, overmind: managers.has('overmind'), env }, out);
}

/** The entrypoint: does it run its arguments, and does it handle kill_signal? */
function checkEntrypointAndSignal({ setup, out, fly, d, scripts, managers, killTimeout, groupCommands }: Ctx): void {
  const entryIns = d ? runInstructions(d).entrypoint : undefined;
  const entryScript = entryIns?.exec
    ? scripts.find((s) => entryIns.exec!.some((w) => resolveImagePath(setup, w) === s.file.path))
    : undefined;
  if (entryScript && !entryScript.usesArgs) {
    if (groupCommands)
      out.report(
        'script/args-ignored',
        entryScript.file.path,
        1,
        `fly.toml has ${fly!.commands.size ? '[processes] commands' : 'a release_command'}, but ${entryScript.file.path} never uses "$@"`,
      );
    else if (runInstructions(d!).cmd)
      out.report(
        'script/args-ignored',
        entryScript.file.path,
        1,
        `CMD (Dockerfile line ${runInstructions(d!).cmd!.line}) reaches ${entryScript.file.path} as arguments, which it never uses`,
        { severity: 'warning' },
      );
  }
  if (fly && !fly.hasProcesses) {
    const signal = normSignal(fly.killSignal);
    const where = { file: fly.file, ...(fly.killSignalLine ? { line: fly.killSignalLine } : {}) };
    const explicit = fly.killSignalLine ? `kill_signal = "${fly.killSignal}"` : 'kill_signal is the default SIGINT';
    // The process that gets kill_signal: the entrypoint script, or what it execs.
    let receiver: Manager | 'script' | undefined;
    const script = entryScript ?? (d ? undefined : scripts[0]);
    if (script && script.trapped.size) receiver = 'script';
    else if (script?.finalExec)
      receiver = [...managers.keys()].find((m) =>
        script.finalExec!.some((w) => w.replace(/["']/g, '').split('/').pop() === m),
      );
    else if (!script && d) {
      const words = [...wordsOf(runInstructions(d).entrypoint), ...wordsOf(runInstructions(d).cmd)];
      receiver = [...managers.keys()].find((m) => words.some((w) => w.split('/').pop() === m));
    }
    const handles: Record<Manager | 'script', string[]> = {
      script: [...(script?.trapped ?? [])],
      supervisord: ['INT', 'TERM', 'QUIT'],
      overmind: ['INT', 'TERM', 'HUP'],
      hivemind: ['INT', 'TERM'],
      foreman: ['INT', 'TERM', 'HUP'],
      honcho: ['INT', 'TERM'],
      nf: ['INT'],
    };
    if (receiver && !handles[receiver].includes(signal) && signal !== 'KILL') {
      const extra =
        receiver === 'supervisord' && signal === 'HUP'
          ? ' (supervisord reloads on SIGHUP: the Machine never stops cleanly)'
          : '';
      out.report(
        'consistency/kill-signal-unhandled',
        where.file,
        where.line,
        `${explicit}, but ${receiver === 'script' ? script!.file.path : receiver} handles only ${handles[receiver].map((s) => `SIG${s}`).join(', ')}${extra}`,
      );
    }
    for (const s of scripts) {
      if (s.stopTimeout && s.background.length && s.stopTimeout.value + 1 > killTimeout) {
        out.report(
          'consistency/stop-timeout',
          s.file.path,
          s.stopTimeout.line,
          `the script waits ${s.stopTimeout.value} s for its processes; kill_timeout is ${killTimeout} s`,
        );
      }
    }
  }
}

/** The processes sharing one Machine (no [processes]), with what is known of their ports. */
function machineProcesses({ setup, supervisors, managers, scripts }: Ctx): { name: string; command: string }[] {
  const machineProcs: { name: string; command: string }[] = [];
  for (const sv of supervisors)
    for (const p of sv.programs) machineProcs.push({ name: p.name, command: p.command ?? '' });
  if ([...managers.keys()].some((m) => m !== 'supervisord')) {
    const pf = setup.procfiles.find((p) => /fly|prod/i.test(p.path)) ?? setup.procfiles[0];
    for (const line of pf?.text.split('\n') ?? []) {
      const m = /^([\w-]+):\s*(.+)$/.exec(line);
      if (m) machineProcs.push({ name: m[1]!, command: m[2]! });
    }
  }
  for (const s of scripts) {
    for (const b of s.background) {
      const command = s.commands.find((c) => c.line === b)?.text ?? '';
      // A manager's programs are counted above; a job started from a variable ("$@" in a start
      // function, as the generated bash entrypoint has) is one of the processes named elsewhere,
      // and a `sleep` is a timer, not a worker.
      if (MANAGER.test(command) || /^\s*("?\$[@\w{]|sleep\b)/.test(command)) continue;
      machineProcs.push({ name: '', command });
    }
  }
  return machineProcs;
}

/** Services: ports and auto-stop. */
function checkServices(ctx: Ctx, fly: FlyFacts): void {
  const { setup, out, supervisors, scripts, d, managers } = ctx;
  const machineProcs = machineProcesses(ctx);
  const internalPorts = new Set(fly.services.map((s) => s.internalPort));
  const workers = machineProcs.filter(({ name, command }) => {
    if (listenPorts(command).some((p) => internalPorts.has(p.port))) return false;
    if (WORKER.test(name) || WORKER.test(command)) return true;
    return !(WEB.test(name) || WEB.test(command)) && machineProcs.length > fly.services.length;
  });
  for (const svc of fly.services) {
    if (svc.autoStop && ((!fly.hasProcesses && workers.length > 0) || svc.groups.length > 1)) {
      const what = !fly.hasProcesses
        ? `the Machine also runs ${workers.map((w) => w.name || `\`${w.command.replace(/\s*&\s*$/, '')}\``).join(', ')}, which no request keeps alive`
        : `groups ${svc.groups.join(', ')} share this service`;
      out.report(
        'fly-toml/autostop-worker',
        fly.file,
        svc.line,
        `${svc.kind === 'http_service' ? '[http_service]' : `[[services]] #${svc.index + 1}`} stops Machines when idle and ${what}`,
      );
    }
    if (svc.internalPort === undefined) continue;
    const commands: string[] = [];
    for (const g of svc.groups) if (fly.commands.get(g)) commands.push(fly.commands.get(g)!);
    if (!fly.hasProcesses || commands.length === 0) {
      for (const sv of supervisors) for (const p of sv.programs) if (p.command) commands.push(p.command);
      for (const p of setup.procfiles) commands.push(...p.text.split('\n').map((l) => l.replace(/^[\w-]+:\s*/, '')));
      for (const s of scripts)
        for (const b of s.background) commands.push(s.commands.find((c) => c.line === b)?.text ?? '');
      if (d) commands.push(wordsOf(runInstructions(d).cmd).join(' '));
    }
    const ports = commands.flatMap(listenPorts);
    const usesEnvPort = commands.some((c) => /\$\{?PORT\b/.test(c)) && fly.env.PORT !== undefined;
    const loopback = ports.find(
      (p) => p.port === svc.internalPort && p.host && /^(127\.0\.0\.1|localhost|\[::1\]|::1)$/.test(p.host),
    );
    if (loopback)
      out.report(
        'consistency/listen-localhost',
        fly.file,
        fly.lines.get(
          svc.kind === 'http_service' ? 'http_service.internal_port' : `services[${svc.index}].internal_port`,
        ) ?? svc.line,
        `internal_port ${svc.internalPort}: a process binds ${loopback.host}:${loopback.port}`,
      );
    // On a shared Machine a web-like process whose port the command does not say may be the one
    // listening there: then nothing can be concluded.
    const unknownListener =
      !fly.hasProcesses &&
      commands.some(
        (c) =>
          c.trim() &&
          !/^\s*#/.test(c) &&
          listenPorts(c).length === 0 &&
          !WORKER.test(c) &&
          !/^\s*("?\$[@\w{]|sleep\b)/.test(c),
      );
    if (
      ports.length &&
      !unknownListener &&
      !ports.some((p) => p.port === svc.internalPort) &&
      !(usesEnvPort && Number(fly.env.PORT) === svc.internalPort)
    ) {
      out.report(
        'consistency/port-mismatch',
        fly.file,
        fly.lines.get(
          svc.kind === 'http_service' ? 'http_service.internal_port' : `services[${svc.index}].internal_port`,
        ) ?? svc.line,
        `internal_port = ${svc.internalPort}, but the processes${svc.groups.length && fly.hasProcesses ? ` of ${svc.groups.join(', ')}` : ''} listen on ${[...new Set(ports.map((p) => p.port))].join(', ')}`,
      );
    }
  }
  if (!fly.killTimeoutSet && (managers.size > 0 || scripts.some((s) => s.background.length > 1))) {
    out.report('fly-toml/kill-timeout-short', fly.file, undefined, 'several processes share the default 5 s');
  }
}

export async function check(
  dirArg: string,
  options: { shellcheck?: boolean } & LoadOptions = {},
): Promise<CheckResult> {
  const setup = await openSetup(dirArg, options);
  const { out, findings, suppressed } = collector(setup);
  const fly = setup.flyToml ? await checkFlyToml(setup.flyToml, out) : undefined;
  const killTimeout = fly?.killTimeout ?? 5;
  const groupCommands = Boolean(fly && ([...fly.commands.values()].some((c) => c.trim()) || fly.releaseCommand));
  const scripts = setup.scripts.map(analyseScript);
  const d = setup.dockerfile;
  const allGroupsHaveCommands = Boolean(fly?.hasProcesses && fly.groups.every((g) => fly.commands.get(g)?.trim()));
  if (d) checkDockerfile(d, out, { groupCommands, cmdReplaced: allGroupsHaveCommands });
  if (fly && d) checkStaticsInImage(fly, setup, d, out);
  if (fly && d) checkRailsGate(setup, d, fly, scripts, out);
  if (fly && d && !options.dockerfile)
    for (const b of fly.notDockerfile)
      out.report(
        'fly-toml/build-not-dockerfile',
        fly.file,
        b.line,
        `[build] ${b.key} = ${JSON.stringify(b.value)}: fly deploy does not build ${d.path}`,
      );
  for (const s of scripts) checkScript(s, out, { shellcheck: options.shellcheck ?? true });
  const managers = managersOf(setup, scripts, fly);
  const allRunText = [
    d
      ? wordsOf(runInstructions(d).entrypoint)
          .concat(wordsOf(runInstructions(d).cmd))
          .join(' ')
      : '',
    ...scripts.flatMap((s) => s.commands.map((c) => c.text)),
    ...(fly ? [...fly.commands.values()] : []),
  ].join('\n');
  const supervisors = setup.supervisor.map(analyseSupervisor);
  const ctx: Ctx = { setup, out, fly, d, scripts, supervisors, managers, killTimeout, allRunText, groupCommands };
  checkSupervisors(ctx);
  checkManagers(ctx);
  if (d) checkImage(ctx, d);
  checkEntrypointAndSignal(ctx);
  if (fly) checkServices(ctx, fly);

  findings.sort(
    (a, b) =>
      ORDER[a.severity] - ORDER[b.severity] ||
      a.file.localeCompare(b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      a.rule.localeCompare(b.rule),
  );
  const files = [
    setup.flyToml?.path,
    setup.dockerfile?.path,
    ...setup.scripts.map((s) => s.path),
    ...setup.supervisor.map((s) => s.path),
    ...setup.procfiles.map((p) => p.path),
  ].filter((x): x is string => Boolean(x));
  return { dir: setup.dir, files, findings, suppressed };
}

function groupOf(where: { file: string; line?: number }, fly: FlyFacts | undefined): string {
  if (!fly) return 'app';
  if (where.file === fly.file) {
    for (const [name] of fly.commands) if (fly.lines.get(`processes.${name}`) === where.line) return name;
  }
  return fly.hasProcesses ? fly.defaultGroup : 'app';
}

export { lineOf };
