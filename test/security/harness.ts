// The security suite's harness: a sandbox with a project and an `outside/` directory, a snapshot
// of both that never follows a link, and the checks every case makes (outside never changes, the
// project is the old or the new state, a failure is a message without a stack trace).
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type Options } from 'execa';
import { expect } from 'vitest';
import { BIN, tempDir } from '../helpers.js';

export interface Sandbox {
  root: string;
  project: string;
  outside: string;
}

/** A sandbox: root/project (empty) and root/outside with a secret (0600), a file and a directory. */
export function sandbox(): Sandbox {
  const root = tempDir('cfm-sec-');
  const project = path.join(root, 'project');
  const outside = path.join(root, 'outside');
  mkdirSync(project);
  mkdirSync(path.join(outside, 'd'), { recursive: true });
  writeFileSync(path.join(outside, 'secret'), 'TOP SECRET: outside content\n', { mode: 0o600 });
  chmodSync(path.join(outside, 'secret'), 0o600);
  writeFileSync(path.join(outside, 'target.txt'), 'outside target\n');
  writeFileSync(path.join(outside, 'd', 'file'), 'outside d/file\n');
  return { root, project, outside };
}

/** Every entry under dir: type, mode and content hash (or link target). Links are never followed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const full = path.join(dir, rel);
    for (const name of readdirSync(full).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      const file = path.join(dir, child);
      const info = lstatSync(file);
      const mode = (info.mode & 0o7777).toString(8);
      if (info.isSymbolicLink()) out[child] = `link -> ${readlinkSync(file)}`;
      else if (info.isDirectory()) {
        out[child] = `dir ${mode}`;
        walk(child);
      } else if (info.isFile())
        out[child] = `file ${mode} ${createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16)}`;
      else out[child] = `special ${info.isFIFO() ? 'fifo' : 'other'} ${mode}`;
    }
  };
  walk('');
  return out;
}

export interface Run {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The built CLI, bounded in time, no TTY. */
export async function cli(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeout?: number; uid?: number; gid?: number },
): Promise<Run> {
  const opts: Options = {
    cwd: options.cwd,
    reject: false,
    env: { NO_COLOR: '1', CI: 'true', ...options.env },
    extendEnv: true,
    stdin: 'ignore',
    timeout: options.timeout ?? 30_000,
    maxBuffer: 10 * 1024 * 1024,
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
  };
  const r = await execa('node', [BIN, ...args], opts);
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), timedOut: Boolean(r.timedOut) };
}

/** A failure as the user should see it: the exit code, an `error:` (or `N problems:`) line, no stack trace, no raw control characters. */
export function expectCleanFailure(r: Run, code: 1 | 2, mentions?: string | RegExp): void {
  expect(r.timedOut, 'the run hung').toBe(false);
  expect(r.exitCode, `exit code; stderr:\n${r.stderr}`).toBe(code);
  expect(r.stderr).toMatch(/^(error:|\d+ problems:)/m);
  expect(r.stderr, 'a stack trace was printed').not.toMatch(/^\s+at .+[(:]\d+/m);
  expect(r.stderr).not.toMatch(/internal error/);
  // eslint-disable-next-line no-control-regex
  expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  if (mentions !== undefined) expect(r.stderr).toMatch(mentions);
}

/** Files a run must never leave: temporary files, the lock, the journal. */
export function leftovers(snap: Record<string, string>): string[] {
  return Object.keys(snap).filter(
    (p) =>
      /(^|\/)\..*\.cfm-[0-9a-f]{12}\.tmp$/.test(p) ||
      /(^|\/)\.[^/]*\.\d+-\d+\.tmp$/.test(p) ||
      p === '.fly-multiproc.lock' ||
      p === '.fly-multiproc.pending',
  );
}
