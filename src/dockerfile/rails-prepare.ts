/**
 * Rails' bin/docker-entrypoint (from the Rails generator and dockerfile-rails) prepares the
 * database only for one spelling of the server command:
 *   if [ "${@: -2:1}" == "./bin/rails" ] && [ "${@: -1:1}" == "server" ]; then ./bin/rails db:prepare; fi
 * (older ones: `[ "${*}" == "./bin/rails server" ]`, `[ "${1}" == "./bin/rails" ] && [ "${2}" == "server" ]`).
 * With process groups the script receives the group's command as it is written (`bin/rails server`,
 * `bundle exec puma` do not match), and behind our entrypoint it receives that entrypoint's path:
 * either way migrations silently stop. Read the condition from the script, then say so.
 */
import type { PlannedProcess, PlannedRelease, StrategyName } from '../types.js';
import { userDockerfileContext, type DockerfileInfo, type DockerfileMode } from './mode.js';
import { STRATEGIES } from '../strategies/index.js';

/** The arguments an entrypoint script must receive for its database step to run. */
export interface PrepareGate {
  /** The script, relative to the project. */
  script: string;
  /** 1-based line of its `if`. */
  line: number;
  /** The Rails task it runs: db:prepare, db:migrate, ... */
  task: string;
  /** Argument values counted from the end (`${@: -N:1}`): N -> value. */
  last: Map<number, string>;
  /** Argument values counted from the start (`$N`): N -> value. */
  first: Map<number, string>;
  /** All the arguments joined with spaces (`${*}`). */
  whole?: string;
}

const FROM_END = /"\$\{@:\s*-(\d+):1\}"\s*==?\s*"([^"$]*)"/g;
const FROM_START = /"\$\{?([1-9])\}?"\s*==?\s*"([^"$]*)"/g;
const WHOLE = /"\$\{?\*\}?"\s*==?\s*"([^"$]*)"/;
const TASK = /\b(?:bin\/rails|rails|rake)\s+(db:(?:prepare|migrate|setup)\b[\w:]*)/;

/** The first `if` of the script that tests its arguments and then runs a db: task. */
export function findPrepareGate(script: string, text: string): PrepareGate | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*(if|elif)\s/.test(lines[i]!)) continue;
    const condition = lines[i]!;
    const last = new Map([...condition.matchAll(FROM_END)].map((m) => [Number(m[1]), m[2]!] as const));
    const first = new Map([...condition.matchAll(FROM_START)].map((m) => [Number(m[1]), m[2]!] as const));
    const whole = WHOLE.exec(condition)?.[1];
    if (!last.size && !first.size && whole === undefined) continue;
    // Another test of the arguments (`echo "$1" | grep -q rails$`) is not modelled: claim nothing.
    const rest = condition.replace(FROM_END, '').replace(FROM_START, '').replace(WHOLE, '');
    if (/\$\{?[@*#0-9]/.test(rest)) continue;
    for (let j = i + 1; j < lines.length && !/^\s*(fi|else|elif)\b/.test(lines[j]!); j++) {
      const task = TASK.exec(lines[j]!.replace(/#.*/, ''))?.[1];
      if (task) return { script, line: i + 1, task, last, first, ...(whole !== undefined ? { whole } : {}) };
    }
  }
  return undefined;
}

/** Do these arguments open the gate? */
export function opens(gate: PrepareGate, args: readonly string[]): boolean {
  for (const [n, value] of gate.last) if (args.length < n || args[args.length - n] !== value) return false;
  for (const [n, value] of gate.first) if (args[n - 1] !== value) return false;
  return gate.whole === undefined || args.join(' ') === gate.whole;
}

/** What the gate wants, in words: "end in `./bin/rails server`", "are `./bin/rails server`", "begin with `...`". */
export function describeGate(gate: PrepareGate): { words: string; command: string } {
  if (gate.whole !== undefined) return { words: `are \`${gate.whole}\``, command: gate.whole };
  const n = Math.max(0, ...gate.last.keys());
  const end = Array.from({ length: n }, (_, i) => gate.last.get(n - i) ?? '?').join(' ');
  const m = Math.max(0, ...gate.first.keys());
  const start = Array.from({ length: m }, (_, i) => gate.first.get(i + 1) ?? '?').join(' ');
  if (start && end) return { words: `begin with \`${start}\` and end in \`${end}\``, command: `${start} ${end}` };
  return start ? { words: `begin with \`${start}\``, command: start } : { words: `end in \`${end}\``, command: end };
}

interface PrepareInput {
  mode: DockerfileMode;
  strategy: StrategyName;
  info: DockerfileInfo | undefined;
  processes: readonly Pick<PlannedProcess, 'name' | 'command' | 'argv'>[];
  release: PlannedRelease | undefined;
}

/**
 * What the user's Rails entrypoint will do with this plan: a note when its database step can never
 * run (no release command takes its place), with the script's line and the fix.
 */
export function railsPrepareNotes(input: PrepareInput): string[] {
  const { mode, strategy, info, processes, release } = input;
  const gate = info?.prepareGate;
  if (!gate || release || !info?.facts?.entrypoint || info.entrypoint?.verdict !== 'passes') return [];
  // Strategies whose commands reach the ENTRYPOINT as arguments (process groups, apps).
  const passes = STRATEGIES[strategy].runsWithKeptDockerfile;
  if (mode === 'keep' && !passes) return []; // the user wires the entrypoint in
  if (mode !== 'keep' && mode !== 'extend') return [];
  // What the script receives: the group command itself (keep), or our entrypoint, then the
  // group command for process groups (extend: ENTRYPOINT [theirs, ours], CMD []).
  const context = mode === 'extend' ? userDockerfileContext(info) : undefined;
  const behind = context ? context.entrypoint.slice(context.chained.length) : [];
  const received = (p: (typeof processes)[number]) => [...behind, ...(passes ? p.argv : [])];
  if (processes.some((p) => opens(gate, received(p)))) return [];
  const at = `${gate.script}:${gate.line}`;
  const why =
    mode === 'extend' && !passes
      ? `behind the generated entrypoint it receives only ${JSON.stringify(behind)}`
      : `no process command reaches it spelled that way (${processes.map((p) => `${p.name}: ${JSON.stringify(received(p))}`).join('; ')})`;
  const wants = describeGate(gate);
  const spell = passes && mode === 'keep' ? `, or spell the web command \`${wants.command}\`` : '';
  return [
    `${at}: runs ${gate.task} only when its arguments ${wants.words}; ${why}, so ${gate.task} never runs and the database is not migrated on deploy. Fix: add \`release: ./bin/rails ${gate.task}\` to the Procfile or \`release_command = "./bin/rails ${gate.task}"\` under [deploy] in fly.toml (kept on re-runs; it runs once per deploy, before the new Machines start)${spell}`,
  ];
}
