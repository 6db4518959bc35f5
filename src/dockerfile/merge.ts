/**
 * A re-run against a Dockerfile that has our blocks: only the blocks are ours, so only they are
 * compared with what we wrote last time (the hash in fly-multiproc.json). The user's lines never
 * make a conflict; an edited block does, when this run would change it too.
 */
import { sha256 } from '../state.js';
import type { FileStatus } from '../write.js';
import { blocksOf, findBlocks, serializeBlocks } from './owned.js';

/** Decide for a Dockerfile whose generated part is status.owned (status.content: the whole file with it). */
export function decideOwnedBlocks(status: FileStatus, existing: string, recorded: string | undefined): void {
  const found = findBlocks(existing, status.path);
  if (found.problems.length) {
    status.action = 'conflict';
    status.reason = `has broken create-fly-multiproc markers (${found.problems.join('; ')})`;
    return;
  }
  if (!found.regions.length) {
    status.action = 'merge';
    status.reason = 'extended: every line of yours is kept; a marked create-fly-multiproc block is added';
    return;
  }
  const current = serializeBlocks(blocksOf(found));
  if (current === status.owned) {
    status.action = 'identical';
    status.reason = 'your lines and the create-fly-multiproc block are up to date';
  } else if (recorded !== undefined && sha256(current) === recorded) {
    status.action = 'merge';
    status.reason = 'extended: your lines are kept; only the create-fly-multiproc block changes';
  } else {
    status.action = 'conflict';
    status.reason = `${recorded === undefined ? "has a create-fly-multiproc block that differs from this run's, and no record of what was written" : 'has a create-fly-multiproc block that was edited since it was written'}; overwriting rewrites only that block and keeps your lines`;
  }
}
