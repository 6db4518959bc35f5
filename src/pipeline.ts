/**
 * The scaffolder as one pipeline of steps over one context, with its I/O injected (output streams,
 * whether there is someone to ask, the prompt): the CLI, the tests and a re-run's rebuild of the
 * last output all go through it. Each step does one thing and is short.
 */
import path from 'node:path';
import { pc } from './colors.js';
import { createdBefore } from './dockerfile/mode.js';
import { detect } from './detect.js';
import { UsageError } from './errors.js';
import { printable } from './escape.js';
import { declaredProcesses } from './import.js';
import { answersFromFlags, choiceProblems, type Flags } from './option-table.js';
import { plan as makePlan } from './plan.js';
import { checkRendered, render, templateDirsFor, type RenderedFile } from './render.js';
import { dryRunContents, jsonReport, nextStepsText, noPublicProcess, planSummary, summary } from './report.js';
import {
  answersToRemember,
  explainRemembered,
  lastOutput,
  mergeAnswers,
  PENDING_FILE,
  readState,
  recordedHashes,
  STATE_FILE,
  stateStatus,
  type MergedAnswers,
  type State,
} from './state.js';
import { DEFAULT_STRATEGY } from './strategies/index.js';
import type { Answers, Plan, Project } from './types.js';
import { conflicts, decide, writeFiles, WRITES, type ConflictPolicy, type FileStatus } from './write.js';
import { attachDiffs, conflictProblems, resolveConflicts } from './conflicts.js';

/** Where the pipeline talks to the world: injected, so tests run it in-process. */
export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** There is someone to ask (a terminal, no --yes, not CI): the wizard and the conflict prompt run. */
  interactive: boolean;
  version: string;
}

/** Everything the steps share; each step reads what it needs and adds what it makes. */
interface Context {
  flags: Flags;
  dirArg: string;
  io: Io;
  state?: State;
  memory: MergedAnswers;
  answers: Answers;
  project: Project;
  /** A Dockerfile an earlier run created (its hash recorded, no blocks of ours in it) stays ours. */
  generatedBefore: boolean;
  templateDirs: string[];
  plan: Plan;
  files: RenderedFile[];
  statuses: FileStatus[];
}

/** Answers from the flags, then what fly-multiproc.json remembers for what they leave open. */
function rememberAnswers(flags: Flags, dirArg: string): Pick<Context, 'state' | 'memory' | 'answers'> {
  if (flags.force && flags.skip) throw new UsageError('--force and --skip contradict each other: pass one of them');
  const projectDir = path.resolve(dirArg);
  const state = readState(projectDir);
  const memory = mergeAnswers(answersFromFlags(flags, dirArg), state?.answers, projectDir);
  // A path the checkout remembers (not one given on this command line) stays inside the project.
  if (memory.fromState.includes('--from-procfile') && memory.answers.fromProcfile !== undefined) {
    const rel = path.relative(projectDir, path.resolve(memory.answers.fromProcfile));
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw new UsageError(
        `${STATE_FILE}: answers.fromProcfile ${JSON.stringify(rel)} is outside the project`,
        'a remembered path must stay inside the project: pass --from-procfile to read a file elsewhere',
      );
    }
  }
  return { state, memory, answers: memory.answers };
}

/** What the project holds: runtime, Procfile, fly.toml, and its own Dockerfile (parsed only when there is one). */
async function detectProject(
  c: Pick<Context, 'answers' | 'dirArg' | 'state' | 'memory' | 'io'>,
): Promise<Pick<Context, 'project' | 'answers' | 'generatedBefore' | 'templateDirs'>> {
  let answers = c.answers;
  const project: Project = detect(c.dirArg, { procfile: answers.fromProcfile });
  // Templates are code: ones named by the checkout (not on this command line) are announced before they run.
  if (c.memory.fromState.includes('--templates'))
    c.io.stderr.write(
      `note: using templates from ${printable(answers.templates ?? '')}, remembered in ${STATE_FILE}: templates are code and run with your permissions (pass --templates to choose others)\n`,
    );
  let generatedBefore = false;
  if (project.dockerfile && answers.dockerfile !== 'replace') {
    project.dockerfileInfo = (await import('./dockerfile/index.js')).inspectDockerfile(project.dir);
    generatedBefore = createdBefore({ ...c.state?.pending, ...c.state?.files }, project.dockerfileInfo); // a killed run's journal counts too
    if (answers.dockerfile === undefined && generatedBefore) answers = { ...answers, dockerfile: 'create' };
  }
  return { project, answers, generatedBefore, templateDirs: templateDirsFor(answers.templates, project.dir) };
}

/** The wizard asks what is still open; it (and prompts) load only when there is someone to ask. */
async function askWhatIsOpen(c: Pick<Context, 'answers' | 'project' | 'io'>): Promise<Answers> {
  if (!c.io.interactive) return c.answers;
  const bad = choiceProblems(c.answers); // reported before any question (plan reports them all too)
  if (bad.length) throw new UsageError(bad);
  return (await import('./wizard.js')).wizard(c.answers, c.project, declaredProcesses(c.project));
}

/** Validate into a plan; problems caused by a remembered answer say so. */
function planWithNotes(c: Pick<Context, 'answers' | 'project' | 'state' | 'memory'>): Plan {
  let plan: Plan;
  try {
    plan = makePlan(c.answers, c.project);
  } catch (error) {
    throw explainRemembered(error, c.memory);
  }
  if (c.state?.pending)
    plan.notes.push(
      `an earlier run stopped midway (${PENDING_FILE} is left): the files it wrote count as create-fly-multiproc's output, and this run finishes the job`,
    );
  if (c.memory.fromState.length)
    plan.notes.unshift(
      `remembered in ${STATE_FILE}: ${c.memory.fromState.join(', ')} (a flag replaces its remembered value)`,
    );
  for (const dropped of c.memory.dropped) plan.notes.push(`forgot the remembered ${dropped}: that process is gone`);
  return plan;
}

/** Per file: create, identical, regenerate (unedited since our last run), merge (fly.toml) or conflict. */
async function decideFiles(c: Omit<Context, 'statuses'>): Promise<FileStatus[]> {
  const { state, project, plan, flags, generatedBefore } = c;
  const last = state
    ? lastOutput(state, project.dir, (a) =>
        render(
          makePlan(generatedBefore && a.dockerfile === undefined ? { ...a, dockerfile: 'create' } : a, project),
          project,
          templateDirsFor(a.templates, project.dir),
        ),
      )
    : undefined;
  // The base of a conflict's diffs: our exact last output. fly.toml merges against the rebuilt one
  // even when values imported from it (an edited kill_timeout) make its hash differ.
  const base = new Map(last?.verified);
  if (last?.candidate.has('fly.toml')) base.set('fly.toml', last.candidate.get('fly.toml')!);
  // Values the last run imported from fly.toml are rebuilt from today's fly.toml: unless the hash
  // confirms that rebuilt file, their base is unknown, and a flag changing one is a conflict.
  const imported = (
    [
      ['app', 'app'],
      ['region', 'primary_region'],
      ['killSignal', 'kill_signal'],
      ['killTimeout', 'kill_timeout'],
    ] as const
  )
    .filter(([k]) => state && state.answers[k] === undefined && project.flyToml?.[k] !== undefined)
    .map(([, key]) => key as string);
  if (state && !state.answers.processes && project.flyToml?.processes.length) imported.push('processes');
  const flyTomlUntrusted = last?.verified.has('fly.toml') ? [] : imported;
  const decided = await decide(plan.dir, c.files, {
    state,
    base,
    flyTomlUntrusted,
    prune: Boolean(flags.prune),
    strategyBefore: state ? (state.answers.strategy ?? DEFAULT_STRATEGY) : undefined,
    strategyNow: plan.strategy,
  });
  const policy: ConflictPolicy = flags.force ? 'force' : flags.skip ? 'skip' : 'ask';
  const resolved = await resolveConflicts(decided, { interactive: c.io.interactive && !flags.dryRun, policy });
  const remembered = {
    answers: answersToRemember(c.answers, plan, c.memory.inert, project.dir),
    files: recordedHashes(resolved, state),
  };
  const statuses = [...resolved, stateStatus(project.dir, remembered)];
  if (conflicts(statuses).length && !flags.dryRun) {
    throw new UsageError(
      conflictProblems(statuses),
      statuses.some((s) => s.action === 'conflict' && s.unmergeable)
        ? 'nothing was written: --force does not replace a fly.toml that cannot be merged; fix it as described, or pass --skip to keep it (and --force for the other files)'
        : 'nothing was written: pass --force to overwrite these files, --skip to keep them, or --dry-run to see the diffs',
    );
  }
  if (flags.dryRun) await attachDiffs(statuses);
  return statuses;
}

/** Show the plan, ask before writing, write, then say what to do next. */
async function writeInteractively(c: Context): Promise<void> {
  const { plan, statuses, io } = c;
  io.stdout.write(`\n${planSummary(plan, statuses, { dryRun: false })}`);
  const count = statuses.filter((s) => WRITES.has(s.action)).length;
  if (count > 0) await (await import('./wizard.js')).confirmWrite(count);
  const done = `${pc.green('Done:')} ${count} file${count === 1 ? '' : 's'} written in ${printable(plan.dir)}\n${nextStepsText(plan, c.dirArg, c.answers)}`;
  await writeFiles(plan.dir, statuses);
  io.stdout.write(done);
}

/** Write (unless --dry-run) and report: the report is made first, since a run that fails after writing must not lie. */
async function writeAndReport(c: Context): Promise<void> {
  const { plan, statuses, io, flags } = c;
  const dryRun = Boolean(flags.dryRun);
  // Said before writing, not among the notes: the deploy would succeed and nothing would answer.
  const unreachable = noPublicProcess(plan);
  if (unreachable && !flags.json) io.stderr.write(`${pc.yellow('warning:')} ${unreachable}\n`);
  const report = flags.json
    ? `${JSON.stringify(jsonReport(plan, statuses, { dryRun, dirArg: c.dirArg, version: io.version, given: c.answers }), null, 2)}\n`
    : `${dryRun ? dryRunContents(statuses) : ''}${summary(plan, statuses, { dryRun, dirArg: c.dirArg, given: c.answers })}`;
  if (!dryRun) await writeFiles(plan.dir, statuses);
  io.stdout.write(report);
}

/** The scaffolder: flags and a directory in, files written (or shown), exit code 0; problems are thrown. */
export async function scaffold(flags: Flags, dirArg: string, io: Io): Promise<number> {
  const remembered = rememberAnswers(flags, dirArg);
  const found = await detectProject({ ...remembered, dirArg, io });
  const answers = await askWhatIsOpen({ answers: found.answers, project: found.project, io });
  const c0 = { flags, dirArg, io, ...remembered, ...found, answers };
  const plan = planWithNotes(c0);
  const files = render(plan, found.project, found.templateDirs);
  await checkRendered(files); // what user templates produced must parse before anything is written
  const statuses = await decideFiles({ ...c0, plan, files });
  const c: Context = { ...c0, plan, files, statuses };
  if (io.interactive && !flags.dryRun) await writeInteractively(c);
  else await writeAndReport(c);
  return 0;
}
