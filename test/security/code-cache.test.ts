// The start-up code cache (bin/create-fly-multiproc.cjs, Node < 22.1) lives in the shared temp
// directory. Another local user must not be able to make a victim's run write through a link
// they planted, nor feed it bytecode. The victim here is `nobody` (uid 65534), the other user is
// root (the test itself); TMPDIR points at a sandbox, so the real temp directory is not touched.
import {
  chmodSync,
  chownSync,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTemps, ROOT, tempDir } from '../helpers.js';
import { cli } from './harness.js';

afterAll(cleanupTemps);

const NOBODY = 65534;
const handMade =
  typeof (createRequire(import.meta.url)('node:module') as { enableCompileCache?: unknown }).enableCompileCache !==
  'function';
const asRoot = process.getuid?.() === 0;

/** The cache file name bin/ uses for the current bundle. */
function cacheKey(): string {
  const fd = openSync(path.join(ROOT, 'dist', 'index.cjs'), 'r');
  try {
    const s = fstatSync(fd);
    return `${process.version}-${process.arch}-${s.size}-${Math.trunc(s.mtimeMs)}-${s.ino}`;
  } finally {
    closeSync(fd);
  }
}

/** A sandbox temp directory (sticky and world-writable like /tmp), a project nobody may write, and a file of nobody's outside both. */
function setup() {
  const root = tempDir('cfm-cache-');
  chmodSync(root, 0o755);
  const tmp = path.join(root, 'tmp');
  mkdirSync(tmp);
  chmodSync(tmp, 0o1777);
  const project = path.join(root, 'project');
  mkdirSync(project);
  chownSync(project, NOBODY, NOBODY);
  const victimFile = path.join(root, 'victim-file');
  writeFileSync(victimFile, "the victim's own file\n");
  chownSync(victimFile, NOBODY, NOBODY);
  return { root, tmp, project, victimFile, dir: path.join(tmp, `create-fly-multiproc-cache-${NOBODY}`) };
}

const run = (s: ReturnType<typeof setup>, tmp = s.tmp) =>
  cli(['.', '--process', 'web=node s.js', '--strategy', 'process-groups', '--yes', '--dry-run'], {
    cwd: s.project,
    uid: NOBODY,
    gid: NOBODY,
    env: { TMPDIR: tmp },
  });

describe.skipIf(!handMade || !asRoot)('the hand-made code cache (Node < 22.1) under a hostile temp directory', () => {
  it('is created 0700 / 0600 by its owner and used', async () => {
    const s = setup();
    expect((await run(s)).exitCode).toBe(0);
    const info = lstatSync(s.dir);
    expect(info.uid).toBe(NOBODY);
    expect(info.mode & 0o777).toBe(0o700);
    const files = readdirSync(s.dir);
    expect(files).toEqual([`${cacheKey()}.bin`]);
    expect(lstatSync(path.join(s.dir, files[0]!)).mode & 0o777).toBe(0o600);
    expect((await run(s)).exitCode).toBe(0); // read back (a rejected cache would be rewritten: same file list)
    expect(readdirSync(s.dir)).toEqual(files);
  });

  it("a cache directory another user made, with a link at the cache file's name: never written through", async () => {
    const s = setup();
    mkdirSync(s.dir, { mode: 0o777 });
    chmodSync(s.dir, 0o777);
    symlinkSync(s.victimFile, path.join(s.dir, `${cacheKey()}.bin`));
    // A spray at the temp names a pid-based scheme would use (the next few thousand pids).
    const last = Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
    for (let pid = last; pid < last + 3000; pid++)
      symlinkSync(s.victimFile, path.join(s.dir, `${cacheKey()}.bin.${pid}`));
    const before = readFileSync(s.victimFile, 'utf8');
    expect((await run(s)).exitCode).toBe(0);
    expect(readFileSync(s.victimFile, 'utf8')).toBe(before);
    expect(readdirSync(s.dir).filter((f) => !lstatSync(path.join(s.dir, f)).isSymbolicLink())).toEqual([]);
  });

  it('the cache directory itself a link (to a directory of the victim): not used', async () => {
    const s = setup();
    const victimDir = path.join(s.root, 'victim-dir');
    mkdirSync(victimDir, { mode: 0o700 });
    chownSync(victimDir, NOBODY, NOBODY);
    symlinkSync(victimDir, s.dir);
    expect((await run(s)).exitCode).toBe(0);
    expect(readdirSync(victimDir)).toEqual([]);
  });

  it('a temp directory anyone may write without the sticky bit: no cache at all', async () => {
    const s = setup();
    const open = path.join(s.root, 'open-tmp');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect((await run(s, open)).exitCode).toBe(0);
    expect(existsSync(path.join(open, `create-fly-multiproc-cache-${NOBODY}`))).toBe(false);
  });
});
