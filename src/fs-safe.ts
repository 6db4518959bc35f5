/**
 * Every file the tool reads, writes or deletes in a project goes through here. The rules (README
 * "Safety"): paths stay inside the project (or a directory the user named on the command line);
 * a symlinked directory on the way is refused, never followed; only regular files are read, up to
 * MAX_INPUT_BYTES, and a FIFO or a device never blocks or floods a run; temporary files are created
 * exclusively (O_EXCL | O_NOFOLLOW) under unpredictable names, with their mode set on the descriptor.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  rmdirSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { FileError, fileErrorOf, isErrno } from './errors.js';

/** The largest input file read (Procfile, fly.toml, package.json, a template, fly-multiproc.json). */
export const MAX_INPUT_BYTES = 10 * 1024 * 1024;

/** Temporary files: `.NAME.cfm-RANDOM.tmp` beside their target; a killed run's are removed by the next one. */
export const TEMP_FILE = /^\..*\.cfm-[0-9a-f]{12}\.tmp$/;

/** How a path is shown in messages: relative to the working directory when inside it. */
export function shownPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** "a FIFO (named pipe)", "a directory", ... for messages. */
export function kindOf(info: Stats): string {
  if (info.isFile()) return 'a regular file';
  if (info.isDirectory()) return 'a directory';
  if (info.isSymbolicLink()) return 'a symlink';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Run fn; an OS error becomes a FileError about `shown` (a function: only computed for an error). */
export function osCall<T>(shown: string | (() => string), fn: () => T, hint?: string): T {
  try {
    return fn();
  } catch (error) {
    if (isErrno(error)) throw fileErrorOf(error, typeof shown === 'string' ? shown : shown(), hint);
    throw error;
  }
}

export interface ReadOptions {
  /** The path as messages show it (default: shownPath(file)). */
  shown?: string;
  maxBytes?: number;
}

/**
 * A regular file's text, or undefined when it does not exist. Opened with O_NONBLOCK so a FIFO
 * cannot hang the run, checked on the descriptor (no race with a swapped file), read up to a cap.
 * A directory, FIFO, device or socket, a file over the cap and one with NUL bytes are input errors.
 */
export function readRegular(file: string, options: ReadOptions = {}): string | undefined {
  const shown = () => options.shown ?? shownPath(file);
  const max = options.maxBytes ?? MAX_INPUT_BYTES;
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    if (isErrno(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return undefined;
    if (isErrno(error)) throw fileErrorOf(error, shown());
    throw error;
  }
  try {
    const info = osCall(shown, () => fstatSync(fd));
    if (!info.isFile())
      throw new FileError(
        shown(),
        `is ${kindOf(info)}, not a regular file`,
        2,
        'replace it with a regular file, or move it away',
      );
    const tooBig = () =>
      new FileError(
        shown(),
        `is larger than ${max / (1024 * 1024)} MB, too large for a file create-fly-multiproc reads`,
        2,
      );
    if (info.size > max) throw tooBig();
    // Sized by fstat (+1 to see EOF in one read); grows only for a file that grows meanwhile.
    let buffer = Buffer.allocUnsafe(Math.min(max + 1, info.size + 1));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > max) throw tooBig();
        const bigger = Buffer.allocUnsafe(Math.min(max + 1, buffer.length * 2 + 4096));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const n = osCall(shown, () => readSync(fd, buffer, length, buffer.length - length, null));
      if (n === 0) break;
      length += n;
      if (length > max) throw tooBig();
    }
    const bytes = buffer.subarray(0, length);
    if (bytes.includes(0))
      throw new FileError(
        shown(),
        'contains NUL bytes: a binary file, not text',
        2,
        'point create-fly-multiproc at a text file',
      );
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Is `file` (resolved) inside `dir` (resolved)? */
function within(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** A project-relative path split into its parts; absolute paths and `..` are refused. */
export function relParts(rel: string, shown = rel): string[] {
  const parts = rel.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  if (path.isAbsolute(rel) || /^[A-Za-z]:/.test(rel) || parts.includes('..'))
    throw new FileError(shown, 'is not a path inside the project', 2);
  if (!parts.length) throw new FileError(shown, 'names the project directory itself, not a file in it', 2);
  return parts;
}

/**
 * root/rel, after checking every directory on the way: an existing one must be a real directory,
 * never a symlink (which could lead anywhere). The last part is not checked (see lstatInside).
 */
export function pathInside(root: string, rel: string): string {
  const parts = relParts(rel);
  let current = root;
  for (const part of parts.slice(0, -1)) {
    current = path.join(current, part);
    const dir = current;
    const info = osCall(
      () => shownPath(dir),
      () => lstatSync(dir, { throwIfNoEntry: false }),
    );
    if (!info) break; // nothing exists beyond a missing directory
    if (info.isSymbolicLink()) {
      throw new FileError(
        shownPath(current),
        'is a symlink to a directory: create-fly-multiproc does not read, write or delete through symlinked directories (they can lead outside the project)',
        2,
        'replace the link with a real directory, or remove the file from fly-multiproc.json / your templates',
      );
    }
    if (!info.isDirectory()) throw new FileError(shownPath(current), `is ${kindOf(info)}, not a directory`, 2);
  }
  return path.join(root, ...parts);
}

/** lstat of root/rel (undefined when absent), with the directories on the way checked. */
export function lstatInside(root: string, rel: string): { file: string; info?: Stats } {
  const file = pathInside(root, rel);
  const info = osCall(
    () => shownPath(file),
    () => lstatSync(file, { throwIfNoEntry: false }),
  );
  return { file, info };
}

/**
 * A project file's text (undefined when absent): no symlinked directory on the way, and a symlink
 * as the file itself only when it points to a file inside the project.
 */
export function readProjectFile(root: string, rel: string, options: ReadOptions = {}): string | undefined {
  const { file, info } = lstatInside(root, rel);
  if (!info) return undefined;
  if (info.isSymbolicLink()) {
    let real: string;
    try {
      real = realpathSync(file);
    } catch (error) {
      if (isErrno(error) && error.code === 'ENOENT')
        throw new FileError(
          options.shown ?? shownPath(file),
          'is a dangling symlink (its target does not exist)',
          2,
          'remove the link, or restore its target',
        );
      if (isErrno(error)) throw fileErrorOf(error, options.shown ?? shownPath(file));
      throw error;
    }
    const realRoot = osCall(shownPath(root), () => realpathSync(root));
    if (!within(realRoot, real)) {
      throw new FileError(
        options.shown ?? shownPath(file),
        `is a symlink to ${real}, outside the project: create-fly-multiproc reads only files inside the project`,
        2,
        'copy the file into the project (for a Procfile elsewhere, name it with --from-procfile)',
      );
    }
  }
  return readRegular(file, options);
}

/**
 * Make the directories on the way to root/rel's parent, each a real directory (never through a
 * symlink). Returns the directories it created, outermost first, for an undo.
 */
export function makeParentDirs(root: string, rel: string): string[] {
  const created: string[] = [];
  osCall(shownPath(root), () => mkdirSync(root, { recursive: true }));
  const parts = relParts(rel).slice(0, -1);
  let current = root;
  for (const part of parts) {
    current = path.join(current, part);
    const dir = current;
    let info = osCall(shownPath(dir), () => lstatSync(dir, { throwIfNoEntry: false }));
    if (!info) {
      try {
        mkdirSync(dir, { mode: 0o755 });
        created.push(dir);
      } catch (error) {
        if (!isErrno(error) || error.code !== 'EEXIST')
          throw isErrno(error) ? fileErrorOf(error, shownPath(dir)) : error;
      }
      info = osCall(shownPath(dir), () => lstatSync(dir));
    }
    if (info.isSymbolicLink())
      throw new FileError(
        shownPath(dir),
        'is a symlink to a directory: create-fly-multiproc does not write through symlinked directories (they can lead outside the project)',
        2,
        'replace the link with a real directory',
      );
    if (!info.isDirectory()) throw new FileError(shownPath(dir), `is ${kindOf(info)}, not a directory`, 2);
  }
  return created;
}

/** Undo makeParentDirs: remove the directories it created, innermost first, while they are empty. */
export function removeCreatedDirs(dirs: readonly string[]): void {
  for (const dir of [...dirs].reverse()) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty (something else wrote there), or gone
    }
  }
}

// node:crypto is loaded on first use in the bundle (scripts/build.mjs LAZY_BUILTINS).
const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * Write content to a new temporary file beside target and return its path. Exclusive create with
 * O_NOFOLLOW under a random name: a planted file or symlink is never written through. The mode is
 * set on the descriptor, so the umask cannot drop the executable bit.
 */
export function writeTemp(target: string, content: string | Buffer, mode: number): string {
  const dir = path.dirname(target);
  const base = path.basename(target).slice(0, 180); // room for the suffix within NAME_MAX
  for (let attempt = 0; ; attempt++) {
    const temp = path.join(dir, `.${base}.cfm-${randomHex(6)}.tmp`);
    let fd: number;
    try {
      fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (error) {
      if (isErrno(error) && error.code === 'EEXIST' && attempt < 5) continue;
      if (isErrno(error)) throw fileErrorOf(error, shownPath(target)); // the user knows the file, not our temp name
      throw error;
    }
    try {
      fchmodSync(fd, mode);
      const data = typeof content === 'string' ? Buffer.from(content) : content;
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      closeSync(fd);
    } catch (error) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      removeQuietly(temp);
      if (isErrno(error)) throw fileErrorOf(error, shownPath(target));
      throw error;
    }
    return temp;
  }
}

export function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // gone already, or not ours to remove
  }
}

/** Temporary files a killed run left in dir (regular files by our naming only). */
export function leftoverTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => TEMP_FILE.test(n))
    .map((n) => path.join(dir, n))
    .filter((f) => lstatSync(f, { throwIfNoEntry: false })?.isFile() === true);
}
