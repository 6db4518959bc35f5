/**
 * The only step that touches the user's disk. It decides per file what to do (reading only), then
 * writes each file atomically (temporary file + rename) and deletes what --prune asked for.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';
import type { RenderedFile } from './render.js';
import { decideOwnedBlocks } from './dockerfile/merge.js';
import { sha256, STATE_FILE, type State } from './state.js';

/**
 * create: new file. identical: nothing to do. update: the file still matches our last output (or
 * only lost its executable bit), so it is regenerated without asking. merge: fly.toml, the user's
 * file with our owned keys updated. overwrite / skip: a conflict, resolved. conflict: the user
 * changed the file, and we would change it too. stale: written by an earlier run, not needed now,
 * kept. delete: stale and unedited, removed because of --prune.
 */
export type Action = 'create' | 'identical' | 'update' | 'merge' | 'overwrite' | 'skip' | 'conflict' | 'stale' | 'delete';

/** Actions that change the disk. */
export const WRITES: ReadonlySet<Action> = new Set<Action>(['create', 'update', 'merge', 'overwrite', 'delete']);

export interface FileStatus extends RenderedFile {
  action: Action;
  /** What is on disk now (for everything but create). */
  existing?: string;
  /** What we generate for this path; content is what gets written (for fly.toml, the merge). */
  generated?: string;
  /** Our output of the last run, when the state file's hash confirms it: the base of a conflict's diffs. */
  base?: string;
  /** Why this action: a conflict's cause, a stale file's suggestion. */
  reason?: string;
  /** fly.toml: the owned values both sides changed. */
  clashes?: string[];
  /** Consequences to know about before deploying (fly.toml: process groups removed). */
  warnings?: string[];
  /** A unified diff of the change, filled in when one is shown (dry run, the conflict prompt). */
  diff?: string;
}

export type ConflictPolicy = 'ask' | 'force' | 'skip';

function readExisting(dir: string, rel: string): { text: string; executable: boolean } | undefined {
  const target = path.join(dir, rel);
  const info = statSync(target, { throwIfNoEntry: false });
  if (!info) return undefined;
  if (!info.isFile()) throw new UsageError(`${rel} exists in ${dir} and is not a file; move it away first`);
  return { text: readFileSync(target, 'utf8'), executable: (info.mode & 0o111) !== 0 };
}

export interface DecideOptions {
  /** The state file of the last run, if any. */
  state?: State;
  /** Our output of the last run by path, for files whose hash the state file confirms. */
  base?: ReadonlyMap<string, string>;
  /** Delete stale files that still match our last output. */
  prune?: boolean;
  /** Strategy of the last run and of this one, for the stale-file suggestion. */
  strategyBefore?: string;
  strategyNow?: string;
}

/**
 * Decide what to do with each file, knowing what we wrote last time. Conflicts stay 'conflict':
 * resolveConflicts (src/conflicts.ts) applies --force / --skip or asks. Reads only.
 */
export async function decide(dir: string, files: RenderedFile[], options: DecideOptions = {}): Promise<FileStatus[]> {
  const recorded = options.state?.files ?? {};
  const statuses: FileStatus[] = [];
  for (const file of files) {
    const found = readExisting(dir, file.path);
    const status: FileStatus = { ...file, generated: file.owned ?? file.content, action: 'create' };
    statuses.push(status);
    if (!found) continue;
    status.existing = found.text;
    const base = options.base?.get(file.path);
    if (base !== undefined) status.base = base;
    const modeOk = !file.executable || found.executable;
    if (found.text === file.content) {
      status.action = modeOk ? 'identical' : 'update';
      if (!modeOk) status.reason = 'restores the executable bit';
    } else if (file.owned !== undefined) {
      decideOwnedBlocks(status, found.text, recorded[file.path]); // the user's Dockerfile, extended
    } else if (recorded[file.path] === sha256(found.text)) {
      status.action = 'update';
      status.reason = 'unchanged since the last run: regenerated';
    } else if (file.path === 'fly.toml') {
      await decideFlyToml(status, found.text, base);
    } else {
      status.action = 'conflict';
      status.reason = recorded[file.path]
        ? 'was edited since create-fly-multiproc last wrote it'
        : 'exists and differs from what would be generated';
    }
    if (file.replaces && status.action === 'conflict') {
      status.action = 'overwrite';
      status.reason = 'replaced, as --dockerfile replace asks';
    }
    if (file.path === 'fly.toml' && status.action !== 'identical') {
      const { groupWarnings, filterProblems } = await import('./flytoml.js');
      status.warnings = [...groupWarnings(found.text, status.content), ...(status.action === 'merge' || status.action === 'conflict' ? filterProblems(status.content) : [])];
    }
  }

  // Files an earlier run wrote that this one does not: listed, deleted only with --prune.
  const now = new Set(files.map((f) => f.path));
  for (const rel of Object.keys(recorded).sort()) {
    if (now.has(rel) || rel === STATE_FILE) continue;
    const found = readExisting(dir, rel);
    if (!found) continue;
    const unedited = recorded[rel] === sha256(found.text);
    const why = `not used by ${options.strategyNow ? `the ${options.strategyNow} strategy` : 'this run'}${options.strategyBefore && options.strategyBefore !== options.strategyNow ? ` (the ${options.strategyBefore} strategy wrote it)` : ''}`;
    const status: FileStatus = { path: rel, content: '', executable: found.executable, existing: found.text, action: 'stale' };
    if (unedited && options.prune) {
      status.action = 'delete';
      status.reason = `${why}; --prune deletes it`;
    } else if (unedited) {
      status.reason = `${why}: delete it, or run again with --prune`;
    } else {
      status.reason = `${why}, and edited since it was written: kept${options.prune ? ' (--prune deletes only files that still match what was generated)' : ''}; delete it by hand if you no longer need it`;
    }
    statuses.push(status);
  }
  return statuses;
}

async function decideFlyToml(status: FileStatus, existing: string, base: string | undefined): Promise<void> {
  // Loaded only here: smol-toml and the editor are not needed when fly.toml is new or unchanged.
  const { mergeFlyToml } = await import('./flytoml.js');
  const merged = mergeFlyToml(existing, status.generated!, base);
  if (merged.error !== undefined) {
    status.action = 'conflict';
    status.reason = `differs, and cannot be merged: ${merged.error}; overwriting replaces the whole file`;
    return;
  }
  status.content = merged.content;
  if (merged.conflicts.length) {
    status.action = 'conflict';
    status.clashes = merged.conflicts;
    status.reason = `${base === undefined ? 'has its own values for keys create-fly-multiproc sets (and no record of what it last wrote)' : 'was edited in keys that this run changes too'}; overwriting updates only those keys and keeps the rest of your file`;
  } else if (merged.content === existing) {
    status.action = 'identical';
    status.reason = 'has your edits, and the keys create-fly-multiproc owns are up to date';
  } else {
    status.action = 'merge';
    status.reason = 'your edits are kept; only the keys create-fly-multiproc owns change';
  }
}

export function conflicts(statuses: FileStatus[]): FileStatus[] {
  return statuses.filter((s) => s.action === 'conflict');
}

let tempCounter = 0;

/** Write every create/update/merge/overwrite atomically (a temporary file in the same directory, then rename); delete what --prune chose. */
export async function writeFiles(dir: string, statuses: FileStatus[]): Promise<void> {
  const pending = conflicts(statuses);
  if (pending.length) throw new Error(`internal: unresolved conflicts: ${pending.map((s) => s.path).join(', ')}`);
  mkdirSync(dir, { recursive: true });
  for (const file of statuses) {
    const target = path.join(dir, file.path);
    if (file.action === 'delete') {
      rmSync(target, { force: true });
      continue;
    }
    if (!WRITES.has(file.action)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${++tempCounter}.tmp`);
    const mode = file.executable ? 0o755 : 0o644;
    try {
      writeFileSync(temp, file.content, { mode });
      chmodSync(temp, mode); // the umask must not drop the executable bit
      renameSync(temp, target);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }
}
