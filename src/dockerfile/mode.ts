/**
 * What happens to the project's Dockerfile: keep it, extend it with an owned block, create one
 * (there was none, or the last run created it), or replace it (only when asked by name). No parser
 * here: the facts come from inspectDockerfile (index.ts), read before planning.
 */
import type { DockerfileFacts, EntrypointCheck } from './parse.js';
import type { Blocks } from './owned.js';
import type { PrepareGate } from './rails-prepare.js';
import type { StrategyName } from '../types.js';
import { STRATEGIES } from '../strategies/index.js';

export const DOCKERFILE_MODES = ['keep', 'extend', 'create', 'replace'] as const;
export type DockerfileMode = (typeof DOCKERFILE_MODES)[number];

/** One line per mode, for --help, the wizard and the summary. */
export const DOCKERFILE_MODE_SUMMARY: Record<DockerfileMode, string> = {
  keep: 'your Dockerfile, unchanged',
  extend: 'your Dockerfile, every line kept, with a marked create-fly-multiproc block added to its final stage',
  create: 'a generated Dockerfile',
  replace: 'a generated Dockerfile instead of yours',
};

/** The project's Dockerfile as inspectDockerfile read it. */
export interface DockerfileInfo {
  file: string;
  /** The file as it is on disk. */
  text: string;
  /** Facts of the user's lines (owned blocks left out); undefined when they cannot be read (error says why). */
  facts?: DockerfileFacts;
  error?: string;
  /** The owned blocks found in the file. */
  blocks: Blocks;
  /** Broken markers: the blocks cannot be updated until they are fixed. */
  blockProblems: string[];
  /** Line index where a new build-stages block goes. */
  stagesAt: number;
  entrypoint?: EntrypointCheck;
  /** What the file does that a replacement would lose (for the wizard and --dockerfile replace). */
  loses: string[];
  /** The build context's ignore file (Dockerfile.dockerignore, else .dockerignore), if there is one. */
  dockerignore?: { file: string; text: string };
  /**
   * The project has an entrypoint.sh of its own (not one this tool generated): the generated
   * entrypoint gets another name (entrypointFile) and theirs stays as it is.
   */
  ownEntrypoint?: { file: string; usedAt?: number };
  /** The name of the generated entrypoint when the Dockerfile is kept or extended. */
  entrypointFile: string;
  /** The ENTRYPOINT script's database step and the arguments it needs (Rails' bin/docker-entrypoint). */
  prepareGate?: PrepareGate;
}

/** The generated entrypoint's name, for a Plan: only when it is not entrypoint.sh (the user's own Dockerfile keeps their entrypoint.sh). */
export function entrypointFileFor(mode: DockerfileMode, info: DockerfileInfo | undefined): { entrypointFile?: string } {
  if ((mode !== 'keep' && mode !== 'extend') || !info || info.entrypointFile === 'entrypoint.sh') return {};
  return { entrypointFile: info.entrypointFile };
}

/**
 * An earlier run created this Dockerfile: fly-multiproc.json has its hash and it has no blocks of
 * ours. It then stays ours (mode create: regenerated when unedited, a conflict when edited), as it
 * was before this tool learned to keep Dockerfiles.
 */
export function createdBefore(
  recorded: Readonly<Record<string, string>> | undefined,
  info: DockerfileInfo | undefined,
): boolean {
  return Boolean(recorded?.[info?.file ?? 'Dockerfile'] && info && !info.blocks.final && !info.blocks.stages);
}

/** What the extend templates know about the user's Dockerfile (`userDockerfile` in templates). */
export interface UserDockerfile {
  /** The final stage's USER as written, when it is not root: the block installs as root and switches back to it. */
  user?: string;
  /** The final stage's WORKDIR (absolute), where the generated files are copied; undefined when it uses a variable the Dockerfile does not set. */
  workdir?: string;
  /** The new ENTRYPOINT: the user's own first when it passes its arguments on, then the generated entrypoint.sh. */
  entrypoint: string[];
  /** The user's ENTRYPOINT, kept as the first step of the new one (empty when there is none, or it does not pass its arguments on). */
  chained: string[];
  /** OS family of the final stage's base image. */
  family: 'debian' | 'alpine';
}

export function userDockerfileContext(info: DockerfileInfo): UserDockerfile | undefined {
  const facts = info.facts;
  if (!facts || facts.family === 'none') return undefined;
  const chained =
    info.entrypoint?.verdict === 'passes' && facts.entrypoint?.form === 'exec' ? facts.entrypoint.argv : [];
  const workdir = facts.workdir;
  // exec form takes no variables: with an unknown WORKDIR, a shell finds entrypoint.sh in it at run time.
  const name = info.entrypointFile;
  const ours =
    workdir !== undefined
      ? [`${workdir === '/' ? '' : workdir}/${name}`]
      : ['/bin/sh', '-c', `exec ./${name} "$@"`, name];
  return {
    ...(facts.nonRootUser && facts.user ? { user: facts.user.raw } : {}),
    ...(workdir !== undefined ? { workdir } : {}),
    entrypoint: [...chained, ...ours],
    chained,
    family: facts.family,
  };
}

/** Your entrypoint.sh stays yours: ours is written beside it under another name. */
function ownEntrypointNote(info: DockerfileInfo): string {
  const own = info.ownEntrypoint!;
  const used = own.usedAt !== undefined ? ` (${info.file}:${own.usedAt} uses it)` : '';
  return `${own.file} is your own${used}: it is kept as it is, and the generated entrypoint is written as ${info.entrypointFile}`;
}

interface ModeInput {
  given: string | undefined;
  strategy: StrategyName | undefined;
  dir: string;
  dockerfile: DockerfileInfo | undefined;
  /** A Dockerfile exists (detect saw it), even if it was not inspected. */
  exists: boolean;
}

/** Why the user's Dockerfile cannot be extended, if it cannot. */
function extendProblem(info: DockerfileInfo, strategy: StrategyName): string[] {
  if (info.blockProblems.length)
    return info.blockProblems.map((p) => `${p}: restore the marker line, or delete the whole block, then run again`);
  if (info.error || !info.facts)
    return [
      `${info.error ?? `${info.file}: cannot be read`}; fix it, or pass --dockerfile replace for a generated Dockerfile`,
    ];
  const facts = info.facts;
  if (facts.escape !== '\\') {
    return [
      `${info.file}: its escape directive (# escape=${facts.escape}) changes how lines continue, and the block is written with \\ continuations: remove the directive, or pass --dockerfile replace for a generated Dockerfile`,
    ];
  }
  if (facts.family === 'none') {
    return [
      `${info.file}:${facts.final.fromLine}: the final stage runs on ${facts.baseImage}, which has no shell or package manager, so ${STRATEGIES[strategy].runsWithKeptDockerfile ? 'entrypoint.sh' : `the ${strategy} strategy`} cannot run in it: use --strategy process-groups (it needs no change to your Dockerfile), or --dockerfile replace for a generated one`,
    ];
  }
  return [];
}

/** What extending does to the user's Dockerfile: the block, their ENTRYPOINT and CMD. */
function extendNotes(info: DockerfileInfo, facts: DockerfileFacts, strategy: StrategyName, how: string): string[] {
  const notes = [
    `${info.file}: extended${how}: your lines are kept as they are; a marked block at the end of the final stage (FROM ${facts.final.image}, line ${facts.final.fromLine}) installs what ${strategy} needs with ${facts.family === 'alpine' ? 'apk' : 'apt-get'} (base family from ${facts.familyEvidence}), copies the generated files into ${facts.workdir ?? facts.workdirText} and sets ENTRYPOINT${facts.nonRootUser ? `; it installs as root and switches back to USER ${facts.user!.raw}` : ''}`,
  ];
  const ep = info.entrypoint;
  const ours = info.entrypointFile;
  if (info.ownEntrypoint) notes.push(ownEntrypointNote(info));
  if (facts.entrypoint && ep) {
    if (ep.verdict === 'passes')
      notes.push(
        `${info.file}:${facts.entrypoint.line}: your ENTRYPOINT stays the first step: it runs, then execs ${ours}`,
      );
    else notes.push(`${ep.message}; ${ours} replaces it as the ENTRYPOINT`);
  }
  if (facts.cmd) {
    notes.push(
      `${info.file}:${facts.cmd.line}: your CMD (${facts.cmd.text.replace(/^CMD\s+/i, '')}) no longer runs on its own: the block resets CMD so that entrypoint.sh starts the processes you gave; make it one of them if it should still run`,
    );
  }
  return notes;
}

/** What keeping the user's Dockerfile means for this strategy. */
function keepNotes(info: DockerfileInfo, strategy: StrategyName, how: string): string[] {
  if (!STRATEGIES[strategy].runsWithKeptDockerfile) {
    return [
      ...(info.ownEntrypoint ? [ownEntrypointNote(info)] : []),
      `${info.file}: kept (--dockerfile keep): it does not run the generated ${info.entrypointFile}; copy the generated files into the image and make ${info.entrypointFile} the ENTRYPOINT yourself, or run again with --dockerfile extend`,
    ];
  }
  const ep = info.entrypoint;
  if (info.error) return [`${info.error}; it is kept as it is`];
  if (ep && (ep.verdict === 'fails' || ep.verdict === 'unknown'))
    return [`${info.file}: kept${how}, but: ${ep.message}. Fix: ${ep.fix}`];
  return [
    `${info.file}: kept${how}: the ${strategy} strategy needs no change to it${ep ? `; ${ep.message.replace(/^[^:]*(:\d+)?: /, '')}` : ''}`,
  ];
}

/**
 * The mode for this run, and what the user should know about it. Problems (exit 2) when the mode
 * cannot work: keep/extend without a Dockerfile, extend on a base without a shell, broken markers.
 */
export function chooseDockerfileMode(input: ModeInput, problems: string[], notes: string[]): DockerfileMode {
  const { given, strategy, dockerfile: info } = input;
  if (given !== undefined && !(DOCKERFILE_MODES as readonly string[]).includes(given)) {
    problems.push(`--dockerfile ${JSON.stringify(given)}: must be one of ${DOCKERFILE_MODES.join(', ')}`);
    return 'create';
  }
  if (!input.exists) {
    if (given === 'keep' || given === 'extend') {
      problems.push(
        `--dockerfile ${given}: there is no Dockerfile in ${input.dir} to ${given}; leave the flag out (or pass --dockerfile create) to generate one`,
      );
    }
    return 'create';
  }
  if (!strategy) return 'keep'; // an invalid --strategy is reported already
  // Not inspected (a caller of plan() that skipped inspectDockerfile; the CLI never does): the file is
  // then treated as before this tool kept Dockerfiles: a generated one, a conflict if it differs.
  if (!info) return given === 'replace' ? 'replace' : 'create';
  // A strategy whose commands run through your ENTRYPOINT as they are (process-groups, apps) keeps it by default.
  const mode: DockerfileMode =
    (given as DockerfileMode | undefined) ?? (STRATEGIES[strategy].runsWithKeptDockerfile ? 'keep' : 'extend');
  const how = given === undefined ? ` (the default for the ${strategy} strategy with a Dockerfile of your own)` : '';
  if (mode === 'extend') {
    const cannot = extendProblem(info, strategy);
    if (cannot.length) problems.push(...cannot);
    else notes.push(...extendNotes(info, info.facts!, strategy, how));
  } else if (mode === 'keep') {
    notes.push(...keepNotes(info, strategy, how));
  } else if (mode === 'replace') {
    notes.push(
      `${info.file}: replaced (--dockerfile replace) by a generated one; yours had ${info.loses.join('; ') || 'content of its own'}, which the generated one does not carry over`,
    );
  }
  return mode;
}
