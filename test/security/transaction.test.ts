// A run is a transaction: killed at each rename, failing on a full disk, a read-only directory,
// an immutable file or a permission, or racing another run, the project ends in the old state or
// the new one (after the next run at the latest), never with a file of each, and never with the
// tool's own output called "edited by you".
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTemps } from '../helpers.js';
import { cli, expectCleanFailure, leftovers, sandbox, snapshot } from './harness.js';

afterAll(cleanupTemps);

const args = (killTimeout: number, extra: string[] = []) => [
  '.',
  '--process',
  'web=node server.js',
  '--process',
  'worker=node worker.js',
  '--port',
  'web=8080',
  '--strategy',
  'bash',
  '--app',
  'demo',
  '--kill-timeout',
  String(killTimeout),
  '--yes',
  ...extra,
];

/** The project a clean run of these arguments leaves (from an empty directory, or after `first`). */
async function cleanState(killTimeout: number, first?: number): Promise<Record<string, string>> {
  const sb = sandbox();
  if (first !== undefined) expect((await cli(args(first), { cwd: sb.project })).exitCode).toBe(0);
  const r = await cli(args(killTimeout), { cwd: sb.project });
  expect(r.exitCode, r.stderr).toBe(0);
  return snapshot(sb.project);
}

/** Five files are written by the bash strategy: Dockerfile, .dockerignore, fly.toml, entrypoint.sh, fly-multiproc.json. */
const FILES = 5;

function tryRun(cmd: string, cmdArgs: string[]): boolean {
  try {
    execFileSync(cmd, cmdArgs, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('killed at each rename: the next run finishes the job, and calls nothing "edited"', () => {
  it('a first run into an empty directory', async () => {
    const done = await cleanState(10);
    for (let k = 1; k <= FILES; k++) {
      const sb = sandbox();
      const outside = snapshot(sb.outside);
      const killed = await cli(args(10), {
        cwd: sb.project,
        env: { CREATE_FLY_MULTIPROC_TEST_KILL_AFTER_RENAMES: String(k) },
      });
      expect(killed.exitCode, `k=${k}: ${killed.stderr}`).toBeUndefined(); // died of SIGKILL
      if (k < FILES)
        expect(snapshot(sb.project)['.fly-multiproc.pending'], `k=${k}: the journal is there`).toBeDefined();
      const again = await cli(args(10), { cwd: sb.project });
      expect(again.exitCode, `k=${k}: ${again.stderr}`).toBe(0);
      expect(again.stdout).not.toMatch(/conflict/);
      expect(snapshot(sb.project), `k=${k}`).toEqual(done);
      expect(snapshot(sb.outside)).toEqual(outside);
    }
  });

  it('an update (kill_timeout 10 -> 20): finishing gives the new state, going back gives the old one, no --force needed', async () => {
    const before = await cleanState(10);
    const after = await cleanState(20, 10);
    // kill_timeout changes three files: fly.toml, entrypoint.sh (STOP_TIMEOUT) and fly-multiproc.json.
    for (let k = 1; k <= 3; k++) {
      for (const retry of [20, 10]) {
        const sb = sandbox();
        expect((await cli(args(10), { cwd: sb.project })).exitCode).toBe(0);
        const killed = await cli(args(20), {
          cwd: sb.project,
          env: { CREATE_FLY_MULTIPROC_TEST_KILL_AFTER_RENAMES: String(k) },
        });
        expect(killed.exitCode).toBeUndefined();
        // Half-done: some files say 20, others 10. The next run must not call the 20s "edited".
        const again = await cli(args(retry), { cwd: sb.project });
        expect(again.exitCode, `k=${k} retry=${retry}: ${again.stderr}`).toBe(0);
        expect(again.stdout).toMatch(/an earlier run stopped midway/);
        expect(snapshot(sb.project), `k=${k} retry=${retry}`).toEqual(retry === 20 ? after : before);
      }
    }
  });
});

describe('failures before the first rename change nothing', () => {
  it('ENOSPC on a small tmpfs: exit 1, error names the file, project unchanged', async (ctx) => {
    const sb = sandbox();
    if (!tryRun('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', sb.project])) return ctx.skip();
    try {
      expect((await cli(args(10), { cwd: sb.project })).exitCode).toBe(0);
      mkdirSync(path.join(sb.root, 'tpl', 'deep', 'dir'), { recursive: true });
      // A user template whose output does not fit: the temp file fails, nothing is renamed, and the
      // directories made for it are removed again.
      writeFileSync(path.join(sb.root, 'tpl', 'deep', 'dir', 'big.txt.ejs'), `<%= 'x'.repeat(200000) %>\n`);
      const before = snapshot(sb.project);
      const r = await cli(args(20, ['--templates', path.join(sb.root, 'tpl')]), { cwd: sb.project });
      expectCleanFailure(r, 1, /deep\/dir\/big\.txt: no space left on the device \(ENOSPC\)/);
      expect(snapshot(sb.project)).toEqual(before);
      // Into a new directory: it is not left behind either.
      const fresh = await cli(['fresh/app', ...args(20, ['--templates', path.join(sb.root, 'tpl')]).slice(1)], {
        cwd: sb.project,
      });
      expectCleanFailure(fresh, 1, /ENOSPC/);
      expect(snapshot(sb.project)).toEqual(before);
    } finally {
      execFileSync('umount', [sb.project]);
    }
  });

  it('a read-only subdirectory (EROFS): exit 1, project unchanged', async (ctx) => {
    const sb = sandbox();
    const conf = path.join(sb.project, 'conf');
    mkdirSync(conf);
    if (!tryRun('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', conf])) return ctx.skip();
    try {
      execFileSync('mount', ['-o', 'remount,ro', conf]);
      mkdirSync(path.join(sb.root, 'tpl', 'conf'), { recursive: true });
      writeFileSync(path.join(sb.root, 'tpl', 'conf', 'app.conf.ejs'), 'setting = 1\n');
      const before = snapshot(sb.project);
      const r = await cli(args(10, ['--templates', path.join(sb.root, 'tpl')]), { cwd: sb.project });
      expectCleanFailure(r, 1, /conf\/app\.conf: read-only file system \(EROFS\)/);
      expect(snapshot(sb.project)).toEqual(before);
    } finally {
      execFileSync('umount', [conf]);
    }
  });

  it('an immutable file (chattr +i): exit 1 before any rename, project unchanged', async (ctx) => {
    const sb = sandbox();
    expect((await cli(args(10), { cwd: sb.project })).exitCode).toBe(0);
    const fly = path.join(sb.project, 'fly.toml');
    if (!tryRun('chattr', ['+i', fly])) return ctx.skip();
    try {
      const before = snapshot(sb.project);
      const r = await cli(args(20), { cwd: sb.project });
      expectCleanFailure(r, 1, /fly\.toml: operation not permitted/);
      expect(snapshot(sb.project)).toEqual(before);
    } finally {
      execFileSync('chattr', ['-i', fly]);
    }
  });

  it('a directory the user may not write (EACCES, run as nobody): exit 1, project unchanged', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip();
    const sb = sandbox();
    chmodSync(sb.root, 0o755);
    chownSync(sb.project, 65534, 65534);
    const conf = path.join(sb.project, 'conf');
    mkdirSync(conf, { mode: 0o755 }); // root's: nobody may not write in it
    mkdirSync(path.join(sb.root, 'tpl', 'conf'), { recursive: true });
    writeFileSync(path.join(sb.root, 'tpl', 'conf', 'app.conf.ejs'), 'setting = 1\n');
    const before = snapshot(sb.project);
    const r = await cli(args(10, ['--templates', path.join(sb.root, 'tpl')]), {
      cwd: sb.project,
      uid: 65534,
      gid: 65534,
    });
    expectCleanFailure(r, 1, /permission denied \(EACCES\)/);
    expect(snapshot(sb.project)).toEqual(before);
  });
});

describe('two runs at once in one directory', () => {
  it("never end inconsistent: one waits its turn or refuses, the project is one run's output", async () => {
    const states = { 10: await cleanState(10, 5), 20: await cleanState(20, 5) };
    let refused = 0;
    for (let trial = 0; trial < 10; trial++) {
      const sb = sandbox();
      expect((await cli(args(5), { cwd: sb.project })).exitCode).toBe(0);
      const [a, b] = await Promise.all([cli(args(10), { cwd: sb.project }), cli(args(20), { cwd: sb.project })]);
      for (const r of [a, b]) {
        if (r.exitCode !== 0) {
          refused++;
          // Refused by the lock, or found the files changed under it by the other run: exit 1 or 2 (a conflict), a message.
          expect(r.stderr).not.toMatch(/^\s+at .+[(:]\d+/m);
          expect([1, 2]).toContain(r.exitCode);
        }
      }
      expect(
        a.exitCode === 0 || b.exitCode === 0,
        `trial ${trial}: neither run succeeded\n${a.stderr}\n${b.stderr}`,
      ).toBe(true);
      const now = snapshot(sb.project);
      expect(leftovers(now)).toEqual([]);
      const state = JSON.parse(readFileSync(path.join(sb.project, 'fly-multiproc.json'), 'utf8')) as {
        answers: { killTimeout?: string };
      };
      const winner = state.answers.killTimeout as '10' | '20';
      expect(['10', '20']).toContain(winner);
      expect(now, `trial ${trial}: the project mixes both runs`).toEqual(states[winner]);
    }
    console.log(`two concurrent runs, 10 trials: ${refused} runs refused or stopped, every project consistent`);
  });
});
