import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './errors.js';
import type { Project } from './types.js';

/** Entries that do not make a directory "non-empty" for the built-in example. */
const IGNORED = new Set(['.git', '.DS_Store', 'Thumbs.db']);

async function nearestExisting(dir: string): Promise<string> {
  let current = dir;
  for (;;) {
    try {
      await stat(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/** Look at the target directory: does it exist, is it writable, what does it hold. */
export async function detect(targetDir: string): Promise<Project> {
  const dir = path.resolve(targetDir);
  const existing = await nearestExisting(dir);
  const info = await stat(existing).catch(() => undefined);
  if (info && !info.isDirectory()) {
    throw new UsageError(existing === dir ? `target ${targetDir} is a file, not a directory: pass a directory (or leave it out for the current one)` : `target ${targetDir}: ${existing} is a file, so the directory cannot be created`);
  }
  try {
    await access(existing, constants.W_OK);
  } catch {
    throw new UsageError(`target ${targetDir}: ${existing} is not writable; pick another directory or fix its permissions`);
  }
  const exists = existing === dir;
  const entries = exists ? await readdir(dir) : [];
  const has = (name: string) => entries.includes(name);
  return {
    dir,
    exists,
    empty: entries.every((e) => IGNORED.has(e)),
    runtime: has('package.json') ? 'node' : 'generic',
    packageJson: has('package.json'),
    npmLock: has('package.json') && has('package-lock.json'),
  };
}
