/** An error caused by what the user asked for: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  readonly problems: string[];
  /** Recognised across bundle files too (dist/dockerfile.cjs has its own copy of this class). */
  readonly kind = 'UsageError';
  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'UsageError';
  }
  constructor(
    problems: string | string[],
    readonly hint?: string,
  ) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.join('\n'));
    this.problems = list;
  }
}

/** The user pressed Ctrl-C or Esc in the wizard: exit code 130, nothing written. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

/**
 * A file or directory the tool cannot use: `error: PATH: what happened`, no stack trace. exitCode 2
 * when the input is at fault (a FIFO where a file belongs, a symlinked directory, a huge file), 1
 * when the environment is (permissions, a full disk, a read-only file system).
 */
export class FileError extends Error {
  /** Recognised across bundle files too (dist/dockerfile.cjs has its own copy of this class). */
  readonly kind = 'FileError';
  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'FileError';
  }
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly exitCode: 1 | 2 = 1,
    readonly hint?: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** What an OS error code means, in words; the exit code says whose the problem is. */
const ERRNO: Record<string, [string, 1 | 2]> = {
  ENOENT: ['no such file or directory', 2],
  ENOTDIR: ['a part of this path is a file, not a directory', 2],
  EISDIR: ['is a directory, not a file', 2],
  ELOOP: ['too many levels of symbolic links (a symlink loop?)', 2],
  ENAMETOOLONG: ['the name is too long for this file system', 2],
  EACCES: ['permission denied', 1],
  EPERM: ['operation not permitted (an immutable or append-only file, or not yours?)', 1],
  EROFS: ['read-only file system', 1],
  ENOSPC: ['no space left on the device', 1],
  EDQUOT: ['disk quota exceeded', 1],
  EEXIST: ['already exists', 1],
  EBUSY: ['busy (in use by the system)', 1],
  ETXTBSY: ['busy (a running program)', 1],
  EMFILE: ['too many open files', 1],
  ENFILE: ['too many open files in the system', 1],
  EIO: ['input/output error', 1],
  EXDEV: ['on another file system', 1],
  ENOTEMPTY: ['directory not empty', 1],
  EINVAL: ['invalid argument (a name this file system does not allow?)', 2],
  EILSEQ: ['a name this file system does not allow', 2],
};

export function isErrno(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    typeof (error as NodeJS.ErrnoException).syscall === 'string'
  );
}

/** An OS error as a FileError about `file` (the path as the user knows it; defaults to the one in the error). */
export function fileErrorOf(error: NodeJS.ErrnoException, file?: string, hint?: string): FileError {
  const code = error.code ?? 'EUNKNOWN';
  const [what, exitCode] = ERRNO[code] ?? [`${error.syscall ?? 'system call'} failed`, 1];
  return new FileError(file ?? error.path ?? '(unknown path)', `${what} (${code})`, exitCode, hint);
}

/** Is the stack of an unexpected error wanted? DEBUG=create-fly-multiproc (or *), or CREATE_FLY_MULTIPROC_DEBUG=1. */
export function debugWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  const debug = env.DEBUG ?? '';
  return (
    Boolean(env.CREATE_FLY_MULTIPROC_DEBUG) ||
    debug.split(/[\s,]+/).some((d) => d === '*' || d.startsWith('create-fly-multiproc'))
  );
}
