import { chmodSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';
import type { RenderedFile } from './render.js';

export type Action = 'create' | 'identical' | 'overwrite' | 'skip' | 'conflict';

export interface FileStatus extends RenderedFile {
  action: Action;
  /** What is on disk now, for conflicts and overwrites. */
  existing?: string;
}

export type ConflictPolicy = 'ask' | 'force' | 'skip';

/** Compare each rendered file with the disk. Reads only. */
export function compare(dir: string, files: RenderedFile[], policy: ConflictPolicy): FileStatus[] {
  return files.map((file): FileStatus => {
    const target = path.join(dir, file.path);
    const info = statSync(target, { throwIfNoEntry: false });
    if (!info) return { ...file, action: 'create' };
    if (!info.isFile()) throw new UsageError(`${file.path} exists in ${dir} and is not a file; move it away first`);
    const existing = readFileSync(target, 'utf8');
    if (existing === file.content) {
      const modeOk = !file.executable || (info.mode & 0o111) !== 0;
      if (modeOk) return { ...file, action: 'identical', existing };
    }
    const action = policy === 'force' ? 'overwrite' : policy === 'skip' ? 'skip' : 'conflict';
    return { ...file, action, existing };
  });
}

export function conflicts(statuses: FileStatus[]): FileStatus[] {
  return statuses.filter((s) => s.action === 'conflict');
}

/** Write every create/overwrite atomically: a temporary file in the same directory, then rename. */
let tempCounter = 0;

export async function writeFiles(dir: string, statuses: FileStatus[]): Promise<void> {
  const pending = conflicts(statuses);
  if (pending.length) throw new Error(`internal: unresolved conflicts: ${pending.map((s) => s.path).join(', ')}`);
  // Loaded only when something is written: a dry run starts faster without it.
  const { default: fse } = await import('fs-extra');
  await fse.ensureDir(dir);
  for (const file of statuses) {
    if (file.action !== 'create' && file.action !== 'overwrite') continue;
    const target = path.join(dir, file.path);
    await fse.ensureDir(path.dirname(target));
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${++tempCounter}.tmp`);
    try {
      writeFileSync(temp, file.content, { mode: file.executable ? 0o755 : 0o644 });
      chmodSync(temp, file.executable ? 0o755 : 0o644); // the umask must not drop the executable bit
      renameSync(temp, target);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }
}
