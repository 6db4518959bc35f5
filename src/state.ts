/**
 * fly-multiproc.json: what a re-run needs to know. The answers the user gave (so a re-run without
 * flags gives the same files) and a hash of each file we generated (so a file that still matches
 * our last output is regenerated without asking, and an edited one is a conflict). No timestamps,
 * no versions, fixed key order: the same run writes the same bytes.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UsageError } from './errors.js';
import { readProjectFile } from './fs-safe.js';
import type { RenderedFile } from './render.js';
import { STRATEGIES, strategyOptions } from './strategies/index.js';
import { FLAG_OF as TABLE_FLAG_OF, REMEMBERED_KEYS, rememberedAs, type RememberedKey } from './option-table.js';
import type { Answers, Plan } from './types.js';
import type { FileStatus } from './write.js';

export const STATE_FILE = 'fly-multiproc.json';
const FORMAT = 1;
const NOTE =
  'Written by create-fly-multiproc. "answers" are reused when it runs again without flags (flags override them); "files" holds a sha256 of each file it generated, so it can tell its own output from your edits. Keep it in version control.';

/** The answers a re-run remembers, in the order they are written (src/option-table.ts). */
export const REMEMBERED = REMEMBERED_KEYS;
export type { RememberedKey };
export type RememberedAnswers = Partial<Pick<Answers, RememberedKey>>;

/** The flag each remembered answer stands for, for messages. */
export const FLAG_OF = TABLE_FLAG_OF as Readonly<Record<RememberedKey, string>>;
const LISTS = rememberedAs('list');
/** Paths: given and remembered relative to the project directory (or absolute), so a re-run from anywhere finds them. */
const PATHS = rememberedAs('path');
const BOOLEANS = rememberedAs('boolean');

export interface State {
  answers: RememberedAnswers;
  /** Relative path -> sha256 (hex) of the content we generated for it last time. */
  files: Record<string, string>;
  /** From PENDING_FILE: what a run that stopped midway was writing (path -> sha256). Also ours. */
  pending?: Record<string, string>;
}

/**
 * The journal of a run in progress: the hashes of every file it is about to rename into place,
 * written before the first rename and removed after the last. When a run dies in between, the next
 * one finds it and recognises those files as its own output instead of calling them your edits.
 */
export const PENDING_FILE = '.fly-multiproc.pending';

/** Did we write this content at rel, in the last complete run or in one that stopped midway? */
export function ourHash(state: State | undefined, rel: string, hash: string): boolean {
  return state !== undefined && (state.files[rel] === hash || state.pending?.[rel] === hash);
}

/** The journal's bytes for the files about to be written. */
export function pendingJournal(files: readonly { path: string; content: string }[]): string {
  const hashes: Record<string, string> = {};
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)))
    hashes[f.path] = sha256(f.content);
  const note = `A create-fly-multiproc run is writing these files (or stopped midway). The next run reads this file and removes it; do not edit it.`;
  return `${JSON.stringify({ '//': note, files: hashes }, null, 2)}\n`;
}

const validHash = (hash: unknown): hash is string => typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash);
/** A path in "files" must name a file inside the project: no absolute path, no `..`, not the project itself. */
const validRel = (rel: string) =>
  !path.isAbsolute(rel) &&
  !/^[A-Za-z]:/.test(rel) &&
  rel.split(/[\\/]/).every((p) => p !== '..' && p !== '.' && p !== '');

/** The journal of a run that stopped midway, if any (a broken one is ignored: it only ever adds trust). */
function readPending(dir: string): Record<string, string> | undefined {
  let text: string | undefined;
  try {
    text = readProjectFile(dir, PENDING_FILE, { maxBytes: 1024 * 1024 });
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  try {
    const data = JSON.parse(text) as { files?: unknown };
    if (typeof data.files !== 'object' || data.files === null) return undefined;
    const files: Record<string, string> = {};
    for (const [rel, hash] of Object.entries(data.files)) if (validHash(hash) && validRel(rel)) files[rel] = hash;
    return files;
  } catch {
    return undefined;
  }
}

export function sha256(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Read and check the state file; undefined when there is none. A broken one is a usage error (exit 2). */
export function readState(dir: string): State | undefined {
  const pending = readPending(dir);
  const text = readProjectFile(dir, STATE_FILE);
  if (text === undefined) return pending ? { answers: {}, files: {}, pending } : undefined;
  const fix = `fix it, or delete ${STATE_FILE} to start afresh (its answers are then forgotten, and every existing file counts as yours)`;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${STATE_FILE}: not valid JSON (${(error as Error).message})`, fix);
  }
  const problems: string[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(data)) throw new UsageError(`${STATE_FILE}: expected a JSON object`, fix);
  if (data.format !== undefined && data.format !== FORMAT) {
    problems.push(
      `${STATE_FILE}: "format" is ${JSON.stringify(data.format)}; this version of create-fly-multiproc reads format ${FORMAT} (was it written by a newer version?)`,
    );
  }
  const answers: RememberedAnswers = {};
  if (data.answers !== undefined && !isObject(data.answers))
    problems.push(`${STATE_FILE}: "answers" must be an object`);
  else {
    for (const [key, value] of Object.entries(data.answers ?? {})) {
      const k = key as RememberedKey;
      if (!(REMEMBERED as readonly string[]).includes(key)) {
        problems.push(
          `${STATE_FILE}: answers.${key} is not an answer create-fly-multiproc remembers (known: ${REMEMBERED.join(', ')})`,
        );
      } else if (LISTS.has(k)) {
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
          problems.push(`${STATE_FILE}: answers.${key} must be a list of strings, like ${FLAG_OF[k]} values`);
        else (answers as Record<string, unknown>)[k] = value;
      } else if (BOOLEANS.has(k)) {
        if (typeof value !== 'boolean') problems.push(`${STATE_FILE}: answers.${key} must be true or false`);
        else (answers as Record<string, unknown>)[k] = value;
      } else if (typeof value !== 'string') {
        problems.push(`${STATE_FILE}: answers.${key} must be a string, like the value of ${FLAG_OF[k]}`);
      } else (answers as Record<string, unknown>)[k] = value;
    }
  }
  const files: Record<string, string> = {};
  if (data.files !== undefined && !isObject(data.files))
    problems.push(`${STATE_FILE}: "files" must be an object of path -> sha256`);
  else {
    for (const [rel, hash] of Object.entries(data.files ?? {})) {
      if (!validHash(hash)) problems.push(`${STATE_FILE}: files[${JSON.stringify(rel)}] must be a sha256 in hex`);
      else if (!validRel(rel))
        problems.push(
          `${STATE_FILE}: files[${JSON.stringify(rel)}] must be the path of a file inside the project (no absolute path, no "..", not "." or the project itself)`,
        );
      else files[rel] = hash;
    }
  }
  if (problems.length) throw new UsageError(problems, fix);
  return { answers, files, ...(pending ? { pending } : {}) };
}

/** The file's bytes: fixed key order, two-space JSON, a trailing newline. */
export function serializeState(state: State): string {
  const answers: Record<string, unknown> = {};
  for (const key of REMEMBERED) if (state.answers[key] !== undefined) answers[key] = state.answers[key];
  const files: Record<string, string> = {};
  for (const rel of Object.keys(state.files).sort()) files[rel] = state.files[rel]!;
  return `${JSON.stringify({ '//': NOTE, format: FORMAT, answers, files }, null, 2)}\n`;
}

export interface MergedAnswers {
  answers: Answers;
  /** Flags whose value came from the state file, for the summary. */
  fromState: string[];
  /** Remembered values dropped because the flags made them meaningless. */
  dropped: string[];
  /** Remembered values kept for later but not used by this run. */
  inert: RememberedAnswers;
}

const nameOf = (pair: string) => pair.slice(0, pair.indexOf('=') < 0 ? pair.length : pair.indexOf('=')).trim();

/**
 * Remembered answers under the flags: a flag that is given wins (a list flag replaces the whole
 * list, except --port, which sets one process's port and keeps the others); one that is not given
 * takes the remembered value. Remembered values that point at processes the flags removed are dropped.
 */
export function mergeAnswers(
  given: Answers,
  remembered: RememberedAnswers | undefined,
  projectDir: string,
): MergedAnswers {
  const answers: Answers = { ...given };
  const fromState: string[] = [];
  const dropped: string[] = [];
  if (!remembered) return { answers, fromState, dropped, inert: {} };
  const record = answers as unknown as Record<string, unknown>;
  // Processes come from one source: --process, --from-procfile or the example. One given on the
  // command line replaces whichever was remembered.
  const sources = ['processes', 'fromProcfile', 'example'] as const;
  const sourceGiven = given.processes !== undefined || given.fromProcfile !== undefined || given.example === true;
  for (const key of REMEMBERED) {
    let value = remembered[key];
    if (value === undefined || key === 'ports') continue;
    if (sourceGiven && (sources as readonly string[]).includes(key)) continue;
    if (record[key] === undefined) {
      record[key] = value;
      answers.sources = { ...answers.sources, [key]: `${STATE_FILE} answers.${key}` };
      fromState.push(FLAG_OF[key]);
    }
  }
  const names = new Set((answers.processes ?? []).map(nameOf));
  const known = (name: string) => answers.processes === undefined || names.has(name);
  if (remembered.ports?.length) {
    // --port sets one process's port: the remembered list keeps its order, a flag replaces its entry.
    const flagged = new Map((given.ports ?? []).map((p) => [nameOf(p), p]));
    const merged: string[] = [];
    for (const p of remembered.ports) {
      const name = nameOf(p);
      if (flagged.has(name)) merged.push(flagged.get(name)!);
      else if (known(name)) merged.push(p);
      else dropped.push(`--port ${p}`);
    }
    for (const [name, p] of flagged) if (!remembered.ports.some((r) => nameOf(r) === name)) merged.push(p);
    if (merged.length) answers.ports = merged;
    if (merged.some((p) => !flagged.has(nameOf(p)))) fromState.push('--port');
  }
  if (given.http === undefined && answers.http !== undefined && !known(answers.http)) {
    dropped.push(`--http ${answers.http}`);
    delete answers.http;
    fromState.splice(fromState.indexOf('--http'), 1);
  }
  // A remembered strategy option (the Procfile manager) matters only to its strategy: keep it for
  // later, do not pass it on (plan would note on every run that it is ignored).
  const inert: RememberedAnswers = {};
  for (const { strategy, option } of strategyOptions()) {
    if (
      given[option.key] === undefined &&
      answers[option.key] !== undefined &&
      answers.strategy !== undefined &&
      answers.strategy !== strategy
    ) {
      inert[option.key] = answers[option.key];
      delete answers[option.key];
      fromState.splice(fromState.indexOf(option.flag), 1);
    }
  }
  return { answers, fromState, dropped, inert };
}

/** What to remember after a run: every answer that was given, the app name (its default moves with the directory) and the example. */
export function answersToRemember(
  answers: Answers,
  plan: Plan,
  inert: RememberedAnswers,
  projectDir: string,
): RememberedAnswers {
  const out: RememberedAnswers = { ...inert };
  for (const key of REMEMBERED) {
    let value = answers[key];
    if (value === undefined || value === false) continue; // false is the default of every boolean: --no-X forgets
    if (PATHS.has(key))
      value =
        path
          .relative(projectDir, path.resolve(projectDir, value as string))
          .split(path.sep)
          .join('/') || '.';
    (out as Record<string, unknown>)[key] = value;
  }
  out.app = plan.app;
  // Processes taken from fly.toml's [processes] leave it with a one-Machine strategy (they now live
  // in the generated files): remembered, or the next run would have none.
  if (plan.processesFromFlyToml && !STRATEGIES[plan.strategy].processGroups && answers.processes === undefined) {
    out.processes = plan.processes.map((p) => `${p.name}=${p.command}`);
    const ports = plan.processes.filter((p) => p.port !== undefined).map((p) => `${p.name}=${p.port}`);
    if (ports.length && answers.ports === undefined) out.ports = ports;
  }
  // A Dockerfile we generated (or replaced) is known by its hash and stays ours on a re-run (cli.ts):
  // replace must not be repeated over later edits, and create needs no remembering.
  if (out.dockerfile === 'create' || out.dockerfile === 'replace') delete out.dockerfile;
  if (plan.example) {
    out.example = true;
  } else delete out.example;
  return out;
}

/** Answers as remembered, with paths made relative to the working directory again. */
export function rememberedAsAnswers(remembered: RememberedAnswers, projectDir: string): Answers {
  return mergeAnswers({ dir: projectDir }, remembered, projectDir).answers;
}

/**
 * Our output of the last run, rebuilt from the remembered answers. `verified`: the files whose
 * hash matches the state file (exactly what we wrote). `candidate`: every rebuilt file; for fly.toml
 * it is a good enough base even when values imported from the project (kill_timeout edited in
 * fly.toml) make the hash differ, because the same values flow into this run's output.
 */
export function lastOutput(
  state: State,
  projectDir: string,
  renderAnswers: (answers: Answers) => RenderedFile[],
): { verified: Map<string, string>; candidate: Map<string, string> } {
  const verified = new Map<string, string>();
  const candidate = new Map<string, string>();
  let files: RenderedFile[];
  try {
    files = renderAnswers({ ...rememberedAsAnswers(state.answers, projectDir), yes: true });
  } catch {
    return { verified, candidate }; // the remembered answers no longer make a plan: no base
  }
  for (const f of files) {
    candidate.set(f.path, f.content);
    if (ourHash(state, f.path, sha256(f.owned ?? f.content))) verified.set(f.path, f.content);
  }
  return { verified, candidate };
}

/** The state file as one more file to write: created, identical, or updated (it is always ours). */
export function stateStatus(projectDir: string, state: State): FileStatus {
  const content = serializeState(state);
  const existing = readProjectFile(projectDir, STATE_FILE);
  const action = existing === undefined ? 'create' : existing === content ? 'identical' : 'update';
  return {
    path: STATE_FILE,
    content,
    generated: content,
    executable: false,
    action,
    ...(existing === undefined ? {} : { existing }),
    ...(action === 'update' ? { reason: 'remembered answers and file hashes' } : {}),
  };
}

/** Hashes to record: every file generated now, and stale files that were kept (so they are listed again, and can be pruned later). */
export function recordedHashes(statuses: FileStatus[], previous: State | undefined): Record<string, string> {
  const files: Record<string, string> = {};
  for (const s of statuses) {
    const earlier = previous?.files[s.path] ?? previous?.pending?.[s.path];
    if (s.action === 'stale' && earlier) files[s.path] = earlier;
    else if (s.action !== 'stale' && s.action !== 'delete' && s.generated !== undefined)
      files[s.path] = sha256(s.generated);
  }
  return files;
}

/** When remembered answers took part, how to replace one (each problem already names its source). */
export function explainRemembered(error: unknown, merged: MergedAnswers): unknown {
  if (!(error instanceof UsageError) || merged.fromState.length === 0) return error;
  const hint = `${merged.fromState.join(', ')}: remembered in ${STATE_FILE}; pass the flag to replace a remembered value, or edit ${STATE_FILE}`;
  return new UsageError(error.problems, error.hint ? `${error.hint}\n${hint}` : hint);
}
