import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fse from 'fs-extra';
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
export async function compare(dir: string, files: RenderedFile[], policy: ConflictPolicy): Promise<FileStatus[]> {
  return Promise.all(
    files.map(async (file): Promise<FileStatus> => {
      const target = path.join(dir, file.path);
      const info = await stat(target).catch(() => undefined);
      if (!info) return { ...file, action: 'create' };
      if (!info.isFile()) throw new UsageError(`${file.path} exists in ${dir} and is not a file; move it away first`);
      const existing = await readFile(target, 'utf8');
      if (existing === file.content) {
        const modeOk = !file.executable || (info.mode & 0o111) !== 0;
        if (modeOk) return { ...file, action: 'identical', existing };
      }
      const action = policy === 'force' ? 'overwrite' : policy === 'skip' ? 'skip' : 'conflict';
      return { ...file, action, existing };
    }),
  );
}

export function conflicts(statuses: FileStatus[]): FileStatus[] {
  return statuses.filter((s) => s.action === 'conflict');
}

/** Write every create/overwrite atomically: a temporary file in the same directory, then rename. */
export async function writeFiles(dir: string, statuses: FileStatus[]): Promise<void> {
  const pending = conflicts(statuses);
  if (pending.length) throw new Error(`internal: unresolved conflicts: ${pending.map((s) => s.path).join(', ')}`);
  await fse.ensureDir(dir);
  for (const file of statuses) {
    if (file.action !== 'create' && file.action !== 'overwrite') continue;
    const target = path.join(dir, file.path);
    await fse.ensureDir(path.dirname(target));
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(temp, file.content, { mode: file.executable ? 0o755 : 0o644 });
      await chmod(temp, file.executable ? 0o755 : 0o644); // the umask must not drop the executable bit
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
