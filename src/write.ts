/**
 * The only step that touches the user's disk. It decides per file what to do (reading only), then
 * writes each file atomically (temporary file + rename) and deletes what --prune asked for.
 */
import {
  accessSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { FileError, fileErrorOf, isErrno, UsageError } from './errors.js';
import {
  kindOf,
  leftoverTemps,
  lstatInside,
  makeParentDirs,
  osCall,
  readProjectFile,
  readRegular,
  removeCreatedDirs,
  removeQuietly,
  shownPath,
  writeTemp,
} from './fs-safe.js';
import type { RenderedFile } from './render.js';
import { decideOwnedBlocks } from './dockerfile/merge.js';
import { ourHash, PENDING_FILE, pendingJournal, sha256, STATE_FILE, type State } from './state.js';

/**
 * create: new file. identical: nothing to do. update: the file still matches our last output (or
 * only lost its executable bit), so it is regenerated without asking. merge: fly.toml, the user's
 * file with our owned keys updated. overwrite / skip: a conflict, resolved. conflict: the user
 * changed the file, and we would change it too. stale: written by an earlier run, not needed now,
 * kept. delete: stale and unedited, removed because of --prune.
 */
export type Action =
  'create' | 'identical' | 'update' | 'merge' | 'overwrite' | 'skip' | 'conflict' | 'stale' | 'delete';

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
  /** fly.toml: the merge cannot be done safely (reason says why): --force does not replace the file. */
  unmergeable?: boolean;
  /** Consequences to know about before deploying (fly.toml: process groups removed). */
  warnings?: string[];
  /** A unified diff of the change, filled in when one is shown (dry run, the conflict prompt). */
  diff?: string;
}

export type ConflictPolicy = 'ask' | 'force' | 'skip';

/**
 * What is on disk at rel: a regular file's text and mode, or a symlink (never followed into a
 * replacement: a link the user made is a conflict). Directories on the way must not be symlinks.
 */
function readExisting(
  dir: string,
  rel: string,
): { text: string; executable: boolean; mode: number; symlink?: string } | undefined {
  const { file, info } = lstatInside(dir, rel);
  if (!info) return undefined;
  if (info.isSymbolicLink()) {
    const to = osCall(shownPath(file), () => readlinkSync(file));
    let text = '';
    try {
      text = readProjectFile(dir, rel) ?? '';
    } catch {
      // dangling, outside the project, or not a file: compared as empty, a conflict either way
    }
    return { text, executable: false, mode: 0, symlink: to };
  }
  if (!info.isFile())
    throw new UsageError(`${rel} exists in ${dir} and is ${kindOf(info)}, not a file; move it away first`);
  return {
    text: readRegular(file, { shown: shownPath(file) }) ?? '',
    executable: (info.mode & 0o111) !== 0,
    mode: info.mode & 0o7777,
  };
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
  /** fly.toml keys whose base value is not known (see MergeOptions.untrusted in flytoml.ts). */
  flyTomlUntrusted?: readonly string[];
}

/**
 * Decide what to do with each file, knowing what we wrote last time. Conflicts stay 'conflict':
 * resolveConflicts (src/conflicts.ts) applies --force / --skip or asks. Reads only.
 */
export async function decide(dir: string, files: RenderedFile[], options: DecideOptions = {}): Promise<FileStatus[]> {
  const recorded = options.state?.files ?? {};
  const ours = (rel: string, text: string) => ourHash(options.state, rel, sha256(text));
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
    if (found.symlink !== undefined) {
      if (found.text === file.content) {
        status.action = 'identical';
        status.reason = `a symlink to ${found.symlink}, with the generated content`;
      } else {
        status.action = 'conflict';
        status.reason = `is a symlink (to ${found.symlink}): create-fly-multiproc does not write through it; overwriting replaces the link with a file`;
      }
    } else if (found.text === file.content) {
      status.action = modeOk ? 'identical' : 'update';
      if (!modeOk) status.reason = 'restores the executable bit';
    } else if (file.owned !== undefined) {
      decideOwnedBlocks(status, found.text, recorded[file.path]); // the user's Dockerfile, extended
    } else if (ours(file.path, found.text)) {
      status.action = 'update';
      status.reason = 'unchanged since the last run: regenerated';
    } else if (file.path === 'fly.toml') {
      await decideFlyToml(status, found.text, base, options.flyTomlUntrusted);
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
    if (file.path === 'fly.toml') await checkFlyToml(status, found.text);
  }

  // Files an earlier run wrote that this one does not: listed, deleted only with --prune.
  const now = new Set(files.map((f) => f.path));
  const earlier = new Set([...Object.keys(recorded), ...Object.keys(options.state?.pending ?? {})]);
  for (const rel of [...earlier].sort()) {
    if (now.has(rel) || rel === STATE_FILE) continue;
    const found = readExisting(dir, rel);
    if (!found) continue;
    const unedited = found.symlink === undefined && ours(rel, found.text);
    const why = `not used by ${options.strategyNow ? `the ${options.strategyNow} strategy` : 'this run'}${options.strategyBefore && options.strategyBefore !== options.strategyNow ? ` (the ${options.strategyBefore} strategy wrote it)` : ''}`;
    const status: FileStatus = {
      path: rel,
      content: '',
      executable: found.executable,
      existing: found.text,
      action: 'stale',
    };
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

async function decideFlyToml(
  status: FileStatus,
  existing: string,
  base: string | undefined,
  untrusted?: readonly string[],
): Promise<void> {
  // Loaded only here: smol-toml and the editor are not needed when fly.toml is new or unchanged.
  const { mergeFlyToml, filterProblems } = await import('./flytoml.js');
  const merged = mergeFlyToml(existing, status.generated!, base, { untrusted: untrusted ?? [] });
  if (merged.error !== undefined) {
    status.action = 'conflict';
    status.unmergeable = true;
    status.content = existing;
    status.reason = `cannot be merged: ${merged.error}`;
    return;
  }
  // A merge must not turn a file fly deploy accepts into one it refuses (a service of yours without a
  // processes filter once there are several groups): say so instead of writing it.
  const where = /^[^:]+:\d+: /; // line numbers move when tables are added
  const before = new Set(filterProblems(existing).errors.map((e) => e.replace(where, '')));
  const introduced = filterProblems(merged.content).errors.filter((e) => !before.has(e.replace(where, '')));
  if (introduced.length) {
    status.action = 'conflict';
    status.unmergeable = true;
    status.content = existing;
    status.reason = `cannot be merged: fly deploy would refuse the result: ${introduced.join('; ')}; edit your fly.toml so, or keep it as it is with --skip; nothing was written`;
    return;
  }
  status.content = merged.content;
  const changed = merged.changes.length ? ` (in your services: ${merged.changes.join('; ')})` : '';
  if (merged.conflicts.length) {
    status.action = 'conflict';
    status.clashes = merged.conflicts;
    status.reason = `${base === undefined ? 'has its own values for keys create-fly-multiproc sets (and no record of what it last wrote)' : 'was edited in keys that this run changes too'}; overwriting updates only those keys and keeps the rest of your file${changed}`;
  } else if (merged.content === existing) {
    status.action = 'identical';
    status.reason = 'has your edits, and the keys create-fly-multiproc owns are up to date';
  } else {
    status.action = 'merge';
    status.reason = `your edits are kept; only the keys create-fly-multiproc owns change${changed}`;
  }
}

/** After every run: what the next fly deploy does with fly.toml (groups removed; flyctl's filter rules). */
async function checkFlyToml(status: FileStatus, existing: string): Promise<void> {
  const { groupWarnings, filterProblems } = await import('./flytoml.js');
  const result = status.unmergeable ? existing : status.content;
  const problems = filterProblems(result);
  const warnings = [
    ...(status.action === 'identical' ? [] : groupWarnings(existing, result)),
    ...problems.errors.map((e) => `${e} (your file already has this)`),
    ...problems.warnings,
  ];
  if (status.unmergeable) warnings.splice(0, warnings.length, ...problems.warnings);
  if (warnings.length) status.warnings = warnings;
}

export function conflicts(statuses: FileStatus[]): FileStatus[] {
  return statuses.filter((s) => s.action === 'conflict');
}

/** Held while a run writes: a second run in the same project refuses instead of mixing its files in. */
export const LOCK_FILE = '.fly-multiproc.lock';

function processAlive(pid: number): boolean {
  if (pid === process.pid) return false; // a lock with our own pid is a killed run's (containers reuse pids)
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrno(error) && error.code === 'EPERM';
  }
}

/** Take the project's lock (O_EXCL); a lock whose process is gone (on this host) is taken over. Returns the release function. */
export function takeLock(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  const shown = shownPath(file);
  const me = `${process.pid} ${hostname()}\n`;
  for (let attempt = 0; ; attempt++) {
    let fd: number | undefined;
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
      writeSync(fd, me);
      closeSync(fd);
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        try {
          if (readRegular(file, { maxBytes: 4096 }) === me) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if (fd !== undefined) {
        closeSync(fd);
        removeQuietly(file);
      }
      if (!isErrno(error)) throw error;
      if (error.code !== 'EEXIST') throw fileErrorOf(error, shown);
    }
    let holder = '';
    try {
      holder = readRegular(file, { maxBytes: 4096 }) ?? '';
    } catch {
      // a FIFO or worse at the lock's name: not a lock of ours, reported below
    }
    const [pidText, host] = holder.trim().split(' ');
    const pid = Number(pidText);
    const here = host === hostname();
    if (
      attempt === 0 &&
      Number.isInteger(pid) &&
      pid > 0 &&
      here &&
      !processAlive(pid) &&
      lstatSync(file, { throwIfNoEntry: false })?.isFile()
    ) {
      removeQuietly(file); // the run that held it was killed
      continue;
    }
    throw new FileError(
      shown,
      Number.isInteger(pid) && pid > 0
        ? `another create-fly-multiproc run (pid ${pid}${here ? '' : ` on ${host}`}) is writing this project`
        : 'exists, and is not a lock this tool can read',
      1,
      `wait for the other run to finish and try again; if no other run is going on, delete ${LOCK_FILE}`,
    );
  }
}

/** dir and its parents up to (and including) top, outermost first: what mkdir -p created. */
function parentsUpTo(top: string, dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    out.unshift(d);
    if (d === top || path.dirname(d) === d) break;
  }
  return out;
}

/** For the security suite: SIGKILL this process after that many renames (a crash at a chosen point). */
const KILL_AFTER = Number(process.env.CREATE_FLY_MULTIPROC_TEST_KILL_AFTER_RENAMES ?? NaN);

export interface WriteOptions {
  /** Called after each rename: the security suite's crash point. */
  afterRename?: (done: number) => void;
}

/**
 * Write every create/update/merge/overwrite and delete what --prune chose, as one transaction:
 * 1. take the project's lock; remove temporary files a killed run left;
 * 2. check each target is still what decide() saw, write every new content to a temporary file
 *    beside its target (this is where a read-only directory, an immutable file or a full disk
 *    shows up: nothing has changed yet);
 * 3. record the new hashes in .fly-multiproc.pending, so a run that dies now is recognised as
 *    ours by the next one (see state.ts ourHash);
 * 4. rename each file into place, fly-multiproc.json last; delete; remove the journal.
 * A failure before step 4 changes nothing; one during it names the files written and not written.
 */
export async function writeFiles(dir: string, statuses: FileStatus[], options: WriteOptions = {}): Promise<void> {
  const unresolved = conflicts(statuses);
  if (unresolved.length) throw new Error(`internal: unresolved conflicts: ${unresolved.map((s) => s.path).join(', ')}`);
  const changes = statuses.filter((s) => WRITES.has(s.action));
  // Nothing to write, and no trace of a killed run (its journal, lock or temporary files) to clear: done.
  const traces =
    [PENDING_FILE, LOCK_FILE].some((f) =>
      osCall(shownPath(dir), () => lstatSync(path.join(dir, f), { throwIfNoEntry: false })),
    ) || leftoverTemps(dir).length > 0;
  if (!changes.length && !traces) return;
  // Directories this run creates (the project's too): removed again when it fails before the first rename.
  const createdRoot = osCall(shownPath(dir), () => mkdirSync(dir, { recursive: true }));
  const created: string[] = [];
  let release: () => void;
  try {
    release = takeLock(dir);
  } catch (error) {
    if (createdRoot) removeCreatedDirs(parentsUpTo(createdRoot, dir));
    throw error;
  }
  const prepared: { status: FileStatus; file: string; temp?: string }[] = [];
  const written: string[] = [];
  let renaming = false;
  try {
    for (const temp of new Set(changes.flatMap((s) => leftoverTemps(path.dirname(path.join(dir, s.path))))))
      removeQuietly(temp);

    for (const status of changes) {
      const { file, info } = lstatInside(dir, status.path);
      const shown = shownPath(file);
      const changed = () =>
        new FileError(
          shown,
          'changed while this run was deciding (another program, or another run, wrote it)',
          1,
          'nothing was written: run again',
        );
      if (status.action === 'create' ? info !== undefined : !info) throw changed();
      if (info && status.existing !== undefined) {
        const now = info.isSymbolicLink() ? undefined : readRegular(file, { shown });
        if (!info.isSymbolicLink() && now !== status.existing) throw changed();
        try {
          accessSync(file, constants.W_OK);
        } catch (error) {
          // EACCES only means read-only for us: rename replaces it anyway. EPERM is an immutable file.
          if (isErrno(error) && (error.code === 'EPERM' || error.code === 'EROFS'))
            throw fileErrorOf(error, shown, 'nothing was written');
        }
      }
      if (status.action === 'delete') {
        prepared.push({ status, file });
        continue;
      }
      created.push(...makeParentDirs(dir, status.path));
      const keep = info?.isFile() ? info.mode & 0o7777 : undefined;
      const mode =
        keep === undefined
          ? status.executable
            ? 0o755
            : 0o644
          : status.executable
            ? keep | ((keep & 0o444) >> 2)
            : keep;
      prepared.push({ status, file, temp: writeTemp(file, status.content, mode) });
    }
    // fly-multiproc.json last: until it is renamed, the journal vouches for the files already in place.
    prepared.sort(
      (a, b) =>
        Number(a.status.path === STATE_FILE) - Number(b.status.path === STATE_FILE) ||
        Number(a.status.action === 'delete') - Number(b.status.action === 'delete'),
    );
    const journal = pendingJournal(prepared.filter((p) => p.temp).map((p) => p.status));
    const journalFile = path.join(dir, PENDING_FILE);
    const journalTemp = writeTemp(journalFile, journal, 0o644);
    prepared.push({
      status: { path: PENDING_FILE, content: journal, executable: false, action: 'create' },
      file: journalFile,
      temp: journalTemp,
    });
    osCall(shownPath(journalFile), () => renameSync(journalTemp, journalFile));
    prepared.pop();

    renaming = true;
    for (const p of prepared) {
      if (p.temp) osCall(shownPath(p.file), () => renameSync(p.temp!, p.file));
      else osCall(shownPath(p.file), () => unlinkSync(p.file));
      p.temp = undefined;
      written.push(p.status.path);
      options.afterRename?.(written.length);
      if (written.length === KILL_AFTER) process.kill(process.pid, 'SIGKILL');
    }
    removeQuietly(journalFile);
  } catch (error) {
    for (const p of prepared) if (p.temp) removeQuietly(p.temp);
    if (!renaming) {
      release();
      removeCreatedDirs(created);
      if (createdRoot) removeCreatedDirs(parentsUpTo(createdRoot, dir));
      throw error;
    }
    const left = prepared.map((p) => p.status.path).filter((rel) => !written.includes(rel));
    const reason = error instanceof FileError ? error.reason : String(error);
    const where = error instanceof FileError ? error.file : dir;
    throw new FileError(
      where,
      `${reason}; the run stopped midway: written ${written.length ? written.join(', ') : '(nothing)'}; not written ${left.join(', ')}`,
      1,
      `${PENDING_FILE} records what this run meant to write: fix the cause and run again, and it finishes without calling these files yours`,
    );
  } finally {
    release();
  }
}
