/**
 * What the project's own Dockerfile says, read once per run before planning. This module pulls in
 * the Dockerfile parser (dockerfile-ast): cli.ts imports it with `await import()` and only when the
 * project has a Dockerfile, so runs without one start as fast as before.
 */
import { readProjectFile } from '../fs-safe.js';
import path from 'node:path';
import { checkEntrypoint, describeDockerfile, DockerfileError, parseDockerfile, readDockerfile } from './parse.js';
import { blocksOf, findBlocks, splitLines, withoutBlocks } from './owned.js';
import type { DockerfileInfo } from './mode.js';

export { checkEntrypoint, describeDockerfile, expand, familyOfImage, readDockerfile, DockerfileError } from './parse.js';
export type { BaseFamily, CommandForm, DockerfileFacts, EntrypointCheck, EntrypointVerdict, StageFacts } from './parse.js';

export const DOCKERFILE = 'Dockerfile';

/** A file of the project, if it is one (for the ENTRYPOINT script check). Never outside the project. */
function projectFileReader(dir: string): (rel: string) => string | undefined {
  const root = path.resolve(dir);
  return (rel) => {
    const full = path.resolve(root, rel);
    if (full === root || !full.startsWith(root + path.sep)) return undefined;
    try {
      // Regular files inside the project only: no link out, no FIFO, no huge file.
      return readProjectFile(root, path.relative(root, full));
    } catch {
      return undefined;
    }
  };
}

/** Where a new build-stages block goes: before the final FROM and the comment lines right above it. */
function stagesInsertionLine(text: string): number {
  const froms = parseDockerfile(text).getFROMs();
  const last = froms.at(-1);
  if (!last) return 0;
  const lines = splitLines(text);
  let at = last.getRange().start.line;
  while (at > 0 && /^\s*#/.test(lines[at - 1]!) && !/^\s*#\s*(syntax|escape|check)\s*=/i.test(lines[at - 1]!) && !lines[at - 1]!.startsWith('# <<< create-fly-multiproc')) at--;
  return at;
}

/** Read and understand the Dockerfile `text` of the project in `dir`. */
export function inspectDockerfileText(text: string, dir: string, file = DOCKERFILE): DockerfileInfo {
  const found = findBlocks(text, file);
  const info: DockerfileInfo = { file, text, blocks: blocksOf(found), blockProblems: found.problems, stagesAt: 0, loses: [] };
  if (found.problems.length) return info;
  const userText = withoutBlocks(text);
  try {
    const facts = readDockerfile(userText);
    info.facts = facts;
    info.entrypoint = checkEntrypoint(facts, file, projectFileReader(dir));
    info.loses = describeDockerfile(facts, userText);
    // After the readers of userText: without blocks of ours it is the same text, parsed once.
    if (!info.blocks.stages) info.stagesAt = stagesInsertionLine(text);
  } catch (error) {
    if (!(error instanceof DockerfileError)) throw error;
    info.error = `${file}: ${error.message}`;
  }
  return info;
}

/** The project's Dockerfile, read and understood; undefined when there is none. */
export function inspectDockerfile(dir: string): DockerfileInfo | undefined {
  // Read like every project file: a regular file inside the project, never through a link that
  // leads outside (that is an error naming the link; `--dockerfile replace` does not read it).
  const text = readProjectFile(dir, DOCKERFILE);
  if (text === undefined) return undefined;
  const info = inspectDockerfileText(text, dir);
  for (const file of [`${DOCKERFILE}.dockerignore`, '.dockerignore']) {
    const ignore = readProjectFile(dir, file);
    if (ignore === undefined) continue; // none by this name
    info.dockerignore = { file, text: ignore };
    break;
  }
  return info;
}
