// Synchronous fs on purpose: a CLI waits for each answer anyway, and node:fs/promises costs start-up time.
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';
import type { Project } from './types.js';

/** Entries that do not make a directory "non-empty" for the built-in example. */
const IGNORED = new Set(['.git', '.DS_Store', 'Thumbs.db']);

function nearestExisting(dir: string): string {
  let current = dir;
  for (;;) {
    try {
      statSync(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/** Look at the target directory: does it exist, is it writable, what does it hold. */
export function detect(targetDir: string): Project {
  const dir = path.resolve(targetDir);
  const existing = nearestExisting(dir);
  const info = statSync(existing, { throwIfNoEntry: false });
  if (info && !info.isDirectory()) {
    throw new UsageError(existing === dir ? `target ${targetDir} is a file, not a directory: pass a directory (or leave it out for the current one)` : `target ${targetDir}: ${existing} is a file, so the directory cannot be created`);
  }
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    throw new UsageError(`target ${targetDir}: ${existing} is not writable; pick another directory or fix its permissions`);
  }
  const exists = existing === dir;
  const entries = exists ? readdirSync(dir) : [];
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
