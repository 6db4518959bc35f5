// src/fs-safe.ts and the lock of src/write.ts, in process: the building blocks the CLI cases rely on.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileError } from '../../src/errors.js';
import { makeParentDirs, pathInside, readProjectFile, readRegular, TEMP_FILE, writeTemp } from '../../src/fs-safe.js';
import { LOCK_FILE, takeLock } from '../../src/write.js';
import { cleanupTemps, tempDir } from '../helpers.js';

afterAll(cleanupTemps);

const failure = (fn: () => unknown): FileError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FileError);
    return error as FileError;
  }
  throw new Error('expected a FileError, nothing was thrown');
};

describe('readRegular', () => {
  it('reads a regular file; undefined when absent', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a'), 'text\n');
    expect(readRegular(path.join(dir, 'a'))).toBe('text\n');
    expect(readRegular(path.join(dir, 'missing'))).toBeUndefined();
  });

  it('refuses a FIFO without blocking, devices and directories (exit 2)', () => {
    const dir = tempDir();
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    expect(failure(() => readRegular(path.join(dir, 'fifo'), { shown: 'fifo' })).message).toBe(
      'fifo: is a FIFO (named pipe), not a regular file',
    );
    expect(failure(() => readRegular('/dev/zero')).reason).toMatch(/character device/);
    expect(failure(() => readRegular(dir)).reason).toMatch(/is a directory/);
    expect(failure(() => readRegular(dir)).exitCode).toBe(2);
  });

  it('caps the size and refuses NUL bytes', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'big'), 'x'.repeat(2048));
    expect(failure(() => readRegular(path.join(dir, 'big'), { maxBytes: 1024 })).reason).toMatch(/larger than/);
    expect(readRegular(path.join(dir, 'big'), { maxBytes: 2048 })).toHaveLength(2048);
    writeFileSync(path.join(dir, 'bin'), Buffer.from([0x61, 0, 0x62]));
    expect(failure(() => readRegular(path.join(dir, 'bin'))).reason).toMatch(/NUL bytes/);
  });
});

describe('paths inside the project', () => {
  it('refuses absolute paths, `..`, the project itself and symlinked directories on the way', () => {
    const root = tempDir();
    const outside = tempDir();
    mkdirSync(path.join(root, 'real'));
    symlinkSync(outside, path.join(root, 'link'));
    expect(pathInside(root, 'real/x')).toBe(path.join(root, 'real', 'x'));
    expect(pathInside(root, 'missing/deeper/x')).toBe(path.join(root, 'missing', 'deeper', 'x'));
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', '.', ''])
      expect(failure(() => pathInside(root, bad)).exitCode, bad).toBe(2);
    expect(failure(() => pathInside(root, 'link/x')).reason).toMatch(/symlink to a directory/);
    expect(failure(() => makeParentDirs(root, 'link/sub/x')).reason).toMatch(/symlink to a directory/);
    expect(readdirSync(outside)).toEqual([]);
    makeParentDirs(root, 'new/sub/x');
    expect(lstatSync(path.join(root, 'new', 'sub')).isDirectory()).toBe(true);
  });

  it('reads a file linked inside the project, not one linked outside or dangling', () => {
    const root = tempDir();
    const outside = tempDir();
    writeFileSync(path.join(root, 'Procfile.real'), 'web: x\n');
    writeFileSync(path.join(outside, 'secret'), 'secret\n');
    symlinkSync('Procfile.real', path.join(root, 'Procfile'));
    symlinkSync(path.join(outside, 'secret'), path.join(root, 'fly.toml'));
    symlinkSync('nowhere', path.join(root, 'package.json'));
    expect(readProjectFile(root, 'Procfile')).toBe('web: x\n');
    expect(failure(() => readProjectFile(root, 'fly.toml')).reason).toMatch(/outside the project/);
    expect(failure(() => readProjectFile(root, 'package.json')).reason).toMatch(/dangling symlink/);
  });
});

describe('writeTemp', () => {
  it('random names, exclusive, the mode set on the descriptor whatever the umask', () => {
    const dir = tempDir();
    const old = process.umask(0o077);
    try {
      const a = writeTemp(path.join(dir, 'entrypoint.sh'), '#!/bin/sh\n', 0o755);
      const b = writeTemp(path.join(dir, 'entrypoint.sh'), '#!/bin/sh\n', 0o755);
      expect(a).not.toBe(b);
      for (const t of [a, b]) {
        expect(path.basename(t)).toMatch(TEMP_FILE);
        expect(lstatSync(t).mode & 0o777).toBe(0o755);
        expect(readFileSync(t, 'utf8')).toBe('#!/bin/sh\n');
      }
    } finally {
      process.umask(old);
    }
  });
});

describe('the project lock', () => {
  it('refuses while a live process holds it, takes over a dead one, and releases only its own', () => {
    const dir = tempDir();
    const file = path.join(dir, LOCK_FILE);
    writeFileSync(file, `${process.ppid} ${hostname()}\n`); // the test runner's parent: alive
    const held = failure(() => takeLock(dir));
    expect(held.exitCode).toBe(1);
    expect(held.reason).toMatch(new RegExp(`pid ${process.ppid}`));
    writeFileSync(file, `999999 ${hostname()}\n`); // no such process
    const release = takeLock(dir);
    expect(readFileSync(file, 'utf8')).toBe(`${process.pid} ${hostname()}\n`);
    release();
    expect(() => lstatSync(file)).toThrow();
    writeFileSync(file, `1 another-host\n`); // another machine's lock (a shared file system): cannot tell, refuse
    expect(failure(() => takeLock(dir)).reason).toMatch(/on another-host/);
  });
});

describe('a failure during the renames', () => {
  it('names the files written and not written, keeps the journal, and leaves no temp file', async (ctx) => {
    const { writeFiles } = await import('../../src/write.js');
    const dir = tempDir();
    writeFileSync(path.join(dir, 'c.conf'), 'old\n');
    const statuses = [
      { path: 'a.conf', content: 'A\n', executable: false, action: 'create' as const },
      { path: 'b.conf', content: 'B\n', executable: false, action: 'create' as const },
      { path: 'c.conf', content: 'C\n', executable: false, action: 'update' as const, existing: 'old\n' },
    ];
    let immutable = false;
    try {
      const error = await writeFiles(dir, statuses, {
        afterRename: (n) => {
          // Between two renames, c.conf becomes immutable: its rename fails with EPERM.
          if (n === 2) {
            try {
              execFileSync('chattr', ['+i', path.join(dir, 'c.conf')], { stdio: 'ignore' });
              immutable = true;
            } catch {
              // no chattr here
            }
          }
        },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!immutable) return ctx.skip();
      expect(error).toBeInstanceOf(FileError);
      expect((error as FileError).message).toMatch(
        /c\.conf: operation not permitted.*stopped midway: written a\.conf, b\.conf; not written c\.conf/,
      );
      expect((error as FileError).exitCode).toBe(1);
      expect(readdirSync(dir).sort()).toEqual(['.fly-multiproc.pending', 'a.conf', 'b.conf', 'c.conf']);
      expect(JSON.parse(readFileSync(path.join(dir, '.fly-multiproc.pending'), 'utf8')).files).toHaveProperty('c.conf');
    } finally {
      if (immutable) execFileSync('chattr', ['-i', path.join(dir, 'c.conf')]);
    }
  });
});
