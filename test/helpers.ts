import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { detect } from '../src/detect.js';
import { plan } from '../src/plan.js';
import { render } from '../src/render.js';
import type { Answers } from '../src/types.js';
import { resolveConflicts } from '../src/conflicts.js';
import { decide, writeFiles } from '../src/write.js';
import { createdBefore } from '../src/dockerfile/mode.js';
import { recordedHashes } from '../src/state.js';
import { CancelledError } from '../src/errors.js';
import type { Question } from '../src/wizard.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'create-fly-multiproc.cjs');

const temps: string[] = [];
/** A fresh temporary directory, removed by cleanupTemps(). */
export function tempDir(prefix = 'cfm-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
/** A fresh temporary project directory holding these files (paths relative to it). */
export function projectWith(files: Record<string, string>): string {
  const dir = tempDir('cfm-project-');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export function cleanupTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Run the built CLI the way a script would: no TTY, CI unset unless given. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return execa('node', [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    reject: false,
    env: { NO_COLOR: '1', ...options.env },
    stdin: 'ignore',
    timeout: 30_000,
  });
}

/** What generate() wrote per directory: the file hashes the CLI keeps in fly-multiproc.json (not written here). */
const generated = new Map<string, Record<string, string>>();

/** Generate a project in-process (plan -> render -> write) into dir; a second call for the same dir is a re-run, as with the CLI. */
export async function generate(dir: string, answers: Omit<Answers, 'dir'>): Promise<void> {
  const project = detect(dir);
  const recorded = generated.get(path.resolve(dir));
  // As in the CLI: the parser loads only for a project with a Dockerfile.
  if (project.dockerfile) project.dockerfileInfo = (await import('../src/dockerfile/index.js')).inspectDockerfile(dir);
  const ours = answers.dockerfile === undefined && createdBefore(recorded, project.dockerfileInfo);
  const p = plan({ dir, ...answers, ...(ours ? { dockerfile: 'create' } : {}) }, project);
  const statuses = await resolveConflicts(
    await decide(p.dir, render(p, project), recorded ? { state: { answers: {}, files: recorded } } : {}),
    { interactive: false, policy: 'force' },
  );
  await writeFiles(p.dir, statuses);
  generated.set(path.resolve(dir), recordedHashes(statuses, undefined));
}

/** sha256 over every file's relative path, mode and content: "did anything on disk change?" */
export function hashTree(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const info = statSync(full);
      hash.update(`${path.relative(dir, full)}\0${info.mode}\0`);
      if (info.isDirectory()) walk(full);
      else hash.update(readFileSync(full));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

/** Is a Debian tool installed? Outside CI a missing tool skips with a reason; with CI=true it fails. */
export function requireTool(tool: string, pkg: string): boolean {
  // CFM_PRETEND_MISSING=tool,tool: as on a machine without them (test/missing-tools.test.ts).
  const pretend = (process.env.CFM_PRETEND_MISSING ?? '').split(',').includes(tool);
  const found = !pretend && execaSyncWhich(tool);
  if (!found && process.env.CI === 'true') {
    throw new Error(`${tool} is not installed (Debian package ${pkg}); .ci/run installs it`);
  }
  if (!found) {
    console.warn(`SKIPPED: ${tool} is not installed (apt-get install ${pkg}); these tests need it`);
    // For the summary line at the end of the run (test/missing-tools-reporter.ts).
    if (process.env.CFM_MISSING_TOOLS) appendFileSync(process.env.CFM_MISSING_TOOLS, `${tool} ${pkg}\n`);
  }
  return found;
}

function execaSyncWhich(tool: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => {
    try {
      return statSync(path.join(d, tool)).isFile();
    } catch {
      return false;
    }
  });
}

/** In mockPrompt answers: take the question's default, as Enter does. */
export const ENTER = Symbol('Enter');
/** In mockPrompt answers: Ctrl-C at this question. */
export const CANCEL = Symbol('Ctrl-C');

/**
 * The wizard's output and prompt, answering each question by its name (`app`, `strategy`, `port`...):
 * a list answers the same question asked again (one process after another, or after a wrong answer).
 * A question the test does not answer fails at once, naming it; unused() lists answers never asked for.
 */
export function mockPrompt(answers: Record<string, unknown>) {
  const queue = new Map(
    Object.entries(answers).map(([name, value]) => [name, Array.isArray(value) ? [...value] : [value]]),
  );
  const lines: string[] = [];
  const asked: string[] = [];
  return {
    write: (text: string) => lines.push(text),
    text: () => lines.join(''),
    asked,
    unused: () =>
      [...queue].filter(([, left]) => left.length).map(([name, left]) => `${name}: ${left.map(String).join(', ')}`),
    prompt: async (q: Question) => {
      asked.push(q.name);
      const left = queue.get(q.name);
      if (!left?.length)
        throw new Error(`the wizard asked "${q.name}" (${String(q.message)}), which the test does not answer`);
      const value = left.shift();
      if (value === CANCEL) throw new CancelledError();
      if (value !== ENTER) return value;
      return q.type === 'select' ? (q.choices as { value: unknown }[])[q.initial as number]!.value : q.initial;
    },
  };
}
