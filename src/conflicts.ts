/**
 * What to do with files the user changed: --force, --skip, or (on a terminal) a question per file:
 * overwrite / skip / show diff / overwrite all / quit. Also the diffs shown for a conflict and by
 * --dry-run.
 *
 * A conflict is shown as two unified diffs against our last output (when the state file confirms
 * it): "your changes" (last output -> your file) and "this run's changes" (last output -> new
 * output). Each answers one question, in the format everyone reads; a merged 3-way view with
 * markers would be harder to read for a file that is then either kept or replaced whole. Without a
 * known last output there is one diff, your file -> new. For fly.toml the second diff is your file
 * -> the merge, since overwriting it changes only the keys this tool owns.
 */
import { pc } from './colors.js';
import { CancelledError } from './errors.js';
import type { ConflictPolicy, FileStatus } from './write.js';

export type { ConflictPolicy } from './write.js';

export interface ResolveOptions {
  /** Ask on the terminal (only when stdin and stdout are TTYs, CI is not 'true' and --yes was not given). */
  interactive: boolean;
  /** --force: 'force', --skip: 'skip', neither: 'ask'. */
  policy: ConflictPolicy;
  /** Where the diffs go (default: stdout). */
  out?: { write(text: string): unknown };
}

/**
 * Resolve every 'conflict': 'force' overwrites, 'skip' keeps the user's file, 'ask' asks when
 * interactive and otherwise leaves the conflict for the caller to report (exit 2, nothing written).
 * Returns new statuses (the input is not changed). Throws CancelledError on quit or Ctrl-C.
 */
export async function resolveConflicts(statuses: FileStatus[], options: ResolveOptions): Promise<FileStatus[]> {
  const out = options.out ?? process.stdout;
  const result = statuses.map((s) => ({ ...s }));
  const pending = result.filter((s) => s.action === 'conflict');
  if (!pending.length) return result;
  if (options.policy === 'force' || options.policy === 'skip') {
    // --force never replaces a fly.toml that cannot be merged: it stays a conflict, reported with its reason.
    for (const s of pending)
      if (options.policy === 'skip' || !s.unmergeable) s.action = options.policy === 'force' ? 'overwrite' : 'skip';
    return result;
  }
  if (!options.interactive) return result;

  // Loaded only when there is something to ask: a plain run does not pay for it.
  const { default: prompts } = await import('prompts');
  let all = false;
  for (const [index, status] of pending.entries()) {
    if (all && !status.unmergeable) {
      status.action = 'overwrite';
      continue;
    }
    const remaining = pending.length - index - 1;
    for (;;) {
      out.write(`\n${pc.yellow('conflict:')} ${pc.bold(status.path)} ${status.reason ?? 'differs'}\n`);
      for (const clash of status.clashes ?? []) out.write(`  - ${clash}\n`);
      for (const warning of status.warnings ?? []) out.write(`  ${pc.yellow('!')} ${warning}\n`);
      const { choice } = (await prompts(
        {
          type: 'select',
          name: 'choice',
          message: `${status.path}: what should happen to it?`,
          choices: [
            ...(status.unmergeable
              ? []
              : [
                  {
                    title: 'overwrite',
                    value: 'overwrite',
                    description:
                      status.owned !== undefined
                        ? 'rewrite the create-fly-multiproc block, keep your lines'
                        : status.path === 'fly.toml' && status.content !== status.generated
                          ? 'update the keys this tool owns, keep the rest of your file'
                          : 'replace your file with the new one',
                  },
                ]),
            { title: 'skip', value: 'skip', description: 'keep your file as it is' },
            { title: 'show diff', value: 'diff', description: 'what you changed, and what this run would change' },
            ...(status.unmergeable
              ? []
              : [
                  {
                    title: 'overwrite all',
                    value: 'all',
                    description: remaining
                      ? `this file and the ${remaining} other conflicting file${remaining === 1 ? '' : 's'}`
                      : 'this file (it is the last one)',
                  },
                ]),
            { title: 'quit', value: 'quit', description: 'stop here: nothing is written' },
          ],
          initial: 0,
        },
        {
          onCancel: () => {
            throw new CancelledError();
          },
        },
      )) as { choice?: string };
      if (choice === 'diff') {
        out.write(await conflictView(status));
        continue;
      }
      if (choice === 'quit' || choice === undefined) throw new CancelledError();
      if (choice === 'all') all = true;
      status.action = choice === 'skip' ? 'skip' : 'overwrite';
      break;
    }
  }
  return result;
}

function colourDiff(diff: string): string {
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return pc.bold(line);
      if (line.startsWith('@@')) return pc.cyan(line);
      if (line.startsWith('+')) return pc.green(line);
      if (line.startsWith('-')) return pc.red(line);
      return line;
    })
    .join('\n');
}

/** The diffs that explain a conflict (see the top of this file). */
export async function conflictView(status: FileStatus): Promise<string> {
  const { unifiedDiff } = await import('./diff.js');
  const existing = status.existing ?? '';
  const parts: string[] = [];
  const fly = status.path === 'fly.toml' && status.content !== status.generated;
  if (status.base !== undefined) {
    parts.push(pc.bold(`Your changes to ${status.path} since create-fly-multiproc last wrote it:`));
    parts.push(
      unifiedDiff(status.base, existing, { from: `${status.path} (last written)`, to: `${status.path} (yours)` }) ||
        '(none)\n',
    );
    if (fly) {
      parts.push(pc.bold(`What overwriting does to your ${status.path} (only the keys this tool owns):`));
      parts.push(
        unifiedDiff(existing, status.content, { from: `${status.path} (yours)`, to: `${status.path} (merged)` }) ||
          '(nothing)\n',
      );
    } else {
      parts.push(pc.bold(`What this run changes in its own output:`));
      parts.push(
        unifiedDiff(status.base, status.content, {
          from: `${status.path} (last written)`,
          to: `${status.path} (new)`,
        }) || '(nothing: overwriting only undoes your changes)\n',
      );
    }
  } else {
    parts.push(pc.bold(`What overwriting does to your ${status.path}${fly ? ' (only the keys this tool owns)' : ''}:`));
    parts.push(
      unifiedDiff(existing, status.content, {
        from: `${status.path} (yours)`,
        to: `${status.path} (${fly ? 'merged' : 'new'})`,
      }),
    );
  }
  return parts.map((p) => (p.startsWith('---') || p.includes('\n@@') ? colourDiff(p) : `${p}\n`)).join('');
}

/** Fill in status.diff for every file that would change: the data behind --dry-run (text and --json). */
export async function attachDiffs(statuses: FileStatus[]): Promise<void> {
  const changing = statuses.filter(
    (s) =>
      s.existing !== undefined &&
      (s.action === 'update' || s.action === 'merge' || s.action === 'overwrite' || s.action === 'conflict'),
  );
  if (!changing.length) return;
  const { unifiedDiff } = await import('./diff.js');
  for (const s of changing) s.diff = unifiedDiff(s.existing!, s.content, { from: `a/${s.path}`, to: `b/${s.path}` });
}

/** The exit-2 message for conflicts left unresolved. */
export function conflictProblems(statuses: FileStatus[]): string[] {
  return statuses
    .filter((s) => s.action === 'conflict')
    .map((s) => `${s.path} ${s.reason ?? 'differs'}${s.clashes?.length ? ` (${s.clashes.join('; ')})` : ''}`);
}
