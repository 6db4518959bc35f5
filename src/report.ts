import { pc } from './colors.js';
import { printable, shellWordForDisplay } from './escape.js';
import { DEFAULT_KILL_TIMEOUT } from './plan.js';
import { DEFAULT_STRATEGY, STRATEGIES } from './strategies/index.js';
import type { Answers, Plan } from './types.js';
import { DOCKERFILE_MODE_SUMMARY } from './dockerfile/mode.js';
import type { FileStatus } from './write.js';

/** What to do after the files are written, for this strategy. */
export function nextSteps(plan: Plan, dirArg: string): string[] {
  return [
    ...(dirArg !== '.' && dirArg !== '' ? [`cd ${shellWordForDisplay(dirArg)}`] : []),
    ...STRATEGIES[plan.strategy].nextSteps(plan),
  ];
}

const ACTION_LABEL: Record<FileStatus['action'], string> = {
  create: 'create',
  identical: 'identical',
  update: 'update',
  merge: 'merge',
  overwrite: 'overwrite',
  skip: 'skip',
  conflict: 'conflict',
  stale: 'stale',
  delete: 'delete',
};

function colourAction(action: FileStatus['action']): string {
  const label = ACTION_LABEL[action].padEnd(9);
  if (action === 'create') return pc.green(label);
  if (action === 'overwrite' || action === 'update' || action === 'merge' || action === 'stale')
    return pc.yellow(label);
  if (action === 'conflict' || action === 'delete') return pc.red(label);
  return pc.dim(label);
}

/** Why a file gets its action, shown after its line (obvious ones are not explained). */
function actionNote(s: FileStatus): string {
  if (!s.reason || s.action === 'create' || s.action === 'conflict') return '';
  return pc.dim(`  (${printable(s.reason)})`);
}

/** Warnings from the files that will be written (a dry run shows those that would be). */
export function fileWarnings(statuses: FileStatus[]): string[] {
  // fly.toml's are shown on every run, identical too: flyctl's filter rules apply to the file as it is.
  return statuses
    .filter((s) => s.action !== 'skip' && (s.action !== 'identical' || s.path === 'fly.toml'))
    .flatMap((s) => s.warnings ?? []);
}

/** What the user gave (flags, wizard, remembered answers): a value given is repeated even when it equals the default, so the state file matches too. */
export type GivenFlags = Pick<
  Answers,
  | 'runtime'
  | 'baseImage'
  | 'templates'
  | 'http'
  | 'killSignal'
  | 'killTimeout'
  | 'strategy'
  | 'procfileManager'
  | 'dockerfile'
  | 'packages'
  | 'buildPackages'
  | 'otherPorts'
>;

/** The command line that gives the same files (and the same remembered answers) without a single question. */
export function equivalentCommand(plan: Plan, dirArg: string, given: GivenFlags = {}): string {
  const args = ['npx', 'create-fly-multiproc'];
  if (dirArg !== '.' && dirArg !== '') args.push(dirArg);
  if (given.strategy !== undefined || plan.strategy !== DEFAULT_STRATEGY) args.push('--strategy', plan.strategy);
  if (!plan.example) {
    for (const p of plan.processes) {
      args.push('--process', `${p.name}=${p.command}`);
      if (p.port !== undefined) args.push('--port', `${p.name}=${p.port}`);
      else if (p.noPort) args.push('--port', `${p.name}=none`);
    }
    const firstWithPort = plan.processes.find((p) => p.port !== undefined)?.name;
    if (plan.http !== undefined && (given.http !== undefined || plan.http !== firstWithPort))
      args.push('--http', plan.http);
  }
  args.push('--app', plan.app);
  if (plan.region) args.push('--region', plan.region);
  for (const s of plan.statics) args.push('--statics', `${s.urlPrefix}=${s.guestPath}`);
  if (given.otherPorts !== undefined || plan.otherPorts !== 'ipv6') args.push('--other-ports', plan.otherPorts);
  if (given.killSignal !== undefined || plan.killSignal !== 'SIGINT') args.push('--kill-signal', plan.killSignal);
  if (given.killTimeout !== undefined || plan.killTimeout !== DEFAULT_KILL_TIMEOUT)
    args.push('--kill-timeout', String(plan.killTimeout));
  for (const option of STRATEGIES[plan.strategy].options ?? []) {
    if (given[option.key] !== undefined || plan[option.key] !== option.default)
      args.push(option.flag, plan[option.key]);
  }
  if (given.runtime) args.push('--runtime', plan.runtime);
  if (given.baseImage) args.push('--base-image', plan.baseImage);
  if (given.packages?.length) args.push('--packages', given.packages.join(','));
  if (given.buildPackages?.length) args.push('--build-packages', given.buildPackages.join(','));
  if (given.templates) args.push('--templates', given.templates);
  if (given.dockerfile === 'keep' || given.dockerfile === 'extend') args.push('--dockerfile', given.dockerfile);
  args.push('--yes');
  return args.map((a, i) => (i < 2 ? a : shellWordForDisplay(a))).join(' ');
}

/** Said before anything is written when no process gets a public service (a deploy would succeed and nothing would answer). */
export function noPublicProcess(plan: Plan): string | undefined {
  if (plan.http !== undefined || plan.processes.some((p) => p.port !== undefined)) return undefined;
  return `no process is public: nothing will answer at https://${plan.app}.fly.dev, because no process has a port. If one serves HTTP, pass --port NAME=PORT for it (it gets [http_service]); for workers only, this is right`;
}

/** Strategy, processes and what happens to each file. */
export function planSummary(plan: Plan, statuses: FileStatus[], options: { dryRun: boolean }): string {
  const lines: string[] = [];
  const strategy = STRATEGIES[plan.strategy];
  lines.push(
    `${pc.bold('create-fly-multiproc')}: ${pc.cyan(plan.strategy)} for app ${pc.cyan(plan.app)} in ${printable(plan.dir)}${options.dryRun ? pc.yellow(' (dry run: nothing written)') : ''}`,
  );
  lines.push(pc.dim(`  ${strategy.summary}`));
  lines.push('', 'Processes:');
  // A loop, not Math.max(...list): a Procfile of 100k lines must not overflow the call stack.
  const commands = plan.processes.map((p) => printable(p.command));
  const width = plan.processes.reduce((w, p) => Math.max(w, p.name.length), 0);
  const commandWidth = commands.reduce((w, c) => Math.max(w, c.length), 0);
  plan.processes.forEach((p, i) => {
    const port = p.port === undefined ? 'no port' : `port ${p.port}${p.name === plan.http ? ' (http_service)' : ''}`;
    lines.push(`  ${p.name.padEnd(width)}  ${commands[i]!.padEnd(commandWidth)}  ${pc.dim(port)}`);
  });
  if (plan.statics.length) {
    lines.push('', "Statics (served by Fly's proxy from the image):");
    for (const s of plan.statics) lines.push(`  ${s.urlPrefix}  ${pc.dim(`-> ${s.guestPath}`)}`);
  }
  const unreachable = noPublicProcess(plan);
  if (unreachable) lines.push('', `${pc.yellow('!')} ${pc.yellow(printable(unreachable))}`);
  lines.push('', `Dockerfile: ${pc.cyan(plan.dockerfile)} ${pc.dim(`(${DOCKERFILE_MODE_SUMMARY[plan.dockerfile]})`)}`);
  lines.push('', options.dryRun ? 'Files (would be):' : 'Files:');
  for (const s of statuses) lines.push(`  ${colourAction(s.action)} ${printable(s.path)}${actionNote(s)}`);
  if (plan.notes.length) {
    lines.push('', 'Notes:');
    for (const note of plan.notes) lines.push(`  - ${printable(note)}`);
  }
  const warnings = fileWarnings(statuses);
  if (warnings.length) {
    lines.push('', pc.yellow('Warnings:'));
    for (const warning of warnings) lines.push(`  ${pc.yellow('!')} ${printable(warning)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What to run next, and how to get the same files again without questions. */
export function nextStepsText(plan: Plan, dirArg: string, given: GivenFlags = {}): string {
  const lines = ['', 'Next steps:', ...nextSteps(plan, dirArg).map((step) => `  ${printable(step)}`)];
  lines.push(
    '',
    `The same files without questions${plan.example ? ' (in an empty directory)' : ''}:`,
    `  ${equivalentCommand(plan, dirArg, given)}`,
  );
  return `${lines.join('\n')}\n`;
}

export function summary(
  plan: Plan,
  statuses: FileStatus[],
  options: { dryRun: boolean; dirArg: string; given?: GivenFlags },
): string {
  return (
    planSummary(plan, statuses, options) + (options.dryRun ? '' : nextStepsText(plan, options.dirArg, options.given))
  );
}

/** --dry-run: new files in full, a unified diff for each changed one (status.diff, see attachDiffs). */
export function dryRunContents(statuses: FileStatus[]): string {
  const out: string[] = [];
  for (const s of statuses) {
    if (s.action === 'identical' || s.action === 'skip') continue;
    // Contents come from the user's files too: control characters are shown, not sent to the terminal.
    out.push(
      pc.bold(
        printable(
          `--- ${s.action}: ${s.path}${s.executable ? ' (executable)' : ''}${s.action === 'create' ? '' : `: ${s.reason ?? ''}`}`,
        ),
      ),
    );
    if (s.action === 'create') out.push(printable(s.content.endsWith('\n') ? s.content.slice(0, -1) : s.content));
    else if (s.diff) out.push(printable(s.diff.endsWith('\n') ? s.diff.slice(0, -1) : s.diff));
    for (const clash of s.clashes ?? []) out.push(`  - ${printable(clash)}`);
    out.push('');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

export function jsonReport(
  plan: Plan,
  statuses: FileStatus[],
  options: { dryRun: boolean; dirArg: string; version: string; given?: GivenFlags },
) {
  return {
    version: options.version,
    dryRun: options.dryRun,
    plan,
    files: statuses.map((s) => ({
      path: s.path,
      action: s.action,
      executable: s.executable,
      bytes: Buffer.byteLength(s.content),
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.clashes?.length ? { clashes: s.clashes } : {}),
      ...(options.dryRun && s.action !== 'stale' && s.action !== 'delete' ? { content: s.content } : {}),
      ...(options.dryRun && s.diff !== undefined ? { diff: s.diff } : {}),
    })),
    warnings: [...(noPublicProcess(plan) ? [noPublicProcess(plan)!] : []), ...fileWarnings(statuses)],
    nextSteps: nextSteps(plan, options.dirArg),
    command: equivalentCommand(plan, options.dirArg, options.given),
  };
}
