import path from 'node:path';
import { CommanderError, type Command } from 'commander';
import { pc } from './colors.js';
import { detect } from './detect.js';
import { declaredProcesses } from './import.js';
import { CancelledError, debugWanted, FileError, fileErrorOf, isErrno, UsageError } from './errors.js';
import { printable } from './escape.js';
import { plan as makePlan } from './plan.js';
import { checkRendered, render, templateDirsFor } from './render.js';
import { eject, ejectSummary } from './eject.js';
import { dryRunContents, jsonReport, nextStepsText, noPublicProcess, planSummary, summary } from './report.js';
import { answersFromFlags, program, VERSION, type CheckFlags, type EjectFlags, type Flags } from './options.js';
import { choiceProblems } from './option-table.js';
import { canPrompt } from './terminal.js';
import { conflicts, decide, writeFiles, WRITES, type ConflictPolicy } from './write.js';
import { attachDiffs, conflictProblems, resolveConflicts } from './conflicts.js';
import { answersToRemember, explainRemembered, lastOutput, mergeAnswers, PENDING_FILE, readState, recordedHashes, STATE_FILE, stateStatus } from './state.js';
import type { Plan } from './types.js';
import { DEFAULT_STRATEGY } from './strategies/index.js';
import { createdBefore } from './dockerfile/mode.js';

export async function main(argv: string[]): Promise<number> {
  const cmd = program();
  let subcommand: Command | undefined;
  cmd.hook('preSubcommand', (_root, sub) => {
    subcommand = sub;
  });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : 2;
    }
    throw error;
  }
  const flags = cmd.opts<Flags>();
  const dirArg = cmd.processedArgs[0] as string;
  try {
    if (subcommand?.name() === 'eject') {
      const { to } = subcommand.opts<EjectFlags>();
      process.stdout.write(ejectSummary(eject(subcommand.args, to), to));
      return 0;
    }
    if (subcommand?.name() === 'check') return await runCheck(subcommand, Boolean(flags.json));
    if (flags.force && flags.skip) throw new UsageError('--force and --skip contradict each other: pass one of them');
    // Answers remembered in fly-multiproc.json fill what the flags leave open.
    const state = readState(path.resolve(dirArg));
    const memory = mergeAnswers(answersFromFlags(flags, dirArg), state?.answers, path.resolve(dirArg));
    let answers = memory.answers;
    // A path the checkout remembers (not one given on this command line) stays inside the project.
    if (memory.fromState.includes('--from-procfile') && answers.fromProcfile !== undefined) {
      const rel = path.relative(path.resolve(dirArg), path.resolve(answers.fromProcfile));
      if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
        throw new UsageError(`${STATE_FILE}: answers.fromProcfile ${JSON.stringify(rel)} is outside the project`, 'a remembered path must stay inside the project: pass --from-procfile to read a file elsewhere');
      }
    }
    const project = detect(dirArg, { procfile: answers.fromProcfile });
    // Templates are code: ones named by the checkout (not on this command line) are announced before they run.
    if (memory.fromState.includes('--templates')) process.stderr.write(`note: using templates from ${printable(answers.templates ?? '')}, remembered in ${STATE_FILE}: templates are code and run with your permissions (pass --templates to choose others)\n`);
    // A Dockerfile an earlier run created (its hash recorded, no blocks of ours in it) stays ours.
    let generatedBefore = false;
    if (project.dockerfile && answers.dockerfile !== 'replace') {
      // The parser loads only for a project with a Dockerfile of its own.
      project.dockerfileInfo = (await import('./dockerfile/index.js')).inspectDockerfile(project.dir);
      generatedBefore = createdBefore({ ...state?.pending, ...state?.files }, project.dockerfileInfo); // a killed run's journal counts too
      if (answers.dockerfile === undefined && generatedBefore) answers = { ...answers, dockerfile: 'create' };
    }
    const templateDirs = templateDirsFor(answers.templates);
    const interactive = canPrompt(flags);
    // The wizard (and prompts) load only when there is someone to ask: scripts start faster.
    // A value that is not one of its choices is reported before any question (plan reports them all too).
    const badChoices = choiceProblems(answers);
    if (interactive && badChoices.length) throw new UsageError(badChoices);
    if (interactive) answers = await (await import('./wizard.js')).wizard(answers, project, declaredProcesses(project));
    let plan: Plan;
    try {
      plan = makePlan(answers, project);
    } catch (error) {
      throw explainRemembered(error, memory);
    }
    if (state?.pending) plan.notes.push(`an earlier run stopped midway (${PENDING_FILE} is left): the files it wrote count as create-fly-multiproc's output, and this run finishes the job`);
    if (memory.fromState.length) plan.notes.unshift(`remembered in ${STATE_FILE}: ${memory.fromState.join(', ')} (a flag replaces its remembered value)`);
    for (const dropped of memory.dropped) plan.notes.push(`forgot the remembered ${dropped}: that process is gone`);
    const files = render(plan, project, templateDirs);
    await checkRendered(files); // what user templates produced must parse before anything is written

    // Per file: create, identical, regenerate (unedited since our last run), merge (fly.toml) or conflict.
    const dryRun = Boolean(flags.dryRun);
    const policy: ConflictPolicy = flags.force ? 'force' : flags.skip ? 'skip' : 'ask';
    const last = state ? lastOutput(state, project.dir, (a) => render(makePlan(generatedBefore && a.dockerfile === undefined ? { ...a, dockerfile: 'create' } : a, project), project, templateDirsFor(a.templates))) : undefined;
    // The base of a conflict's diffs: our exact last output. fly.toml merges against the rebuilt one
    // even when values imported from it (an edited kill_timeout) make its hash differ.
    const base = new Map(last?.verified);
    if (last?.candidate.has('fly.toml')) base.set('fly.toml', last.candidate.get('fly.toml')!);
    // Values the last run imported from fly.toml are rebuilt from today's fly.toml: unless the hash
    // confirms that rebuilt file, their base is unknown, and a flag changing one is a conflict.
    const imported = ([['app', 'app'], ['region', 'primary_region'], ['killSignal', 'kill_signal'], ['killTimeout', 'kill_timeout']] as const).filter(([k]) => state && state.answers[k] === undefined && project.flyToml?.[k] !== undefined).map(([, key]) => key as string);
    if (state && !state.answers.processes && project.flyToml?.processes.length) imported.push('processes');
    const flyTomlUntrusted = last?.verified.has('fly.toml') ? [] : imported;
    const decided = await decide(plan.dir, files, { state, base, flyTomlUntrusted, prune: Boolean(flags.prune), strategyBefore: state ? (state.answers.strategy ?? DEFAULT_STRATEGY) : undefined, strategyNow: plan.strategy });
    const resolved = await resolveConflicts(decided, { interactive: interactive && !dryRun, policy });
    const remembered = { answers: answersToRemember(answers, plan, memory.inert, project.dir), files: recordedHashes(resolved, state) };
    const statuses = [...resolved, stateStatus(project.dir, remembered)];
    if (conflicts(statuses).length && !dryRun) {
      throw new UsageError(
        conflictProblems(statuses),
        statuses.some((s) => s.action === 'conflict' && s.unmergeable)
          ? 'nothing was written: --force does not replace a fly.toml that cannot be merged; fix it as described, or pass --skip to keep it (and --force for the other files)'
          : 'nothing was written: pass --force to overwrite these files, --skip to keep them, or --dry-run to see the diffs',
      );
    }
    if (dryRun) await attachDiffs(statuses);
    if (interactive && !dryRun) {
      process.stdout.write(`\n${planSummary(plan, statuses, { dryRun })}`);
      const count = statuses.filter((s) => WRITES.has(s.action)).length;
      if (count > 0) await (await import('./wizard.js')).confirmWrite(count);
      const done = `${pc.green('Done:')} ${count} file${count === 1 ? '' : 's'} written in ${printable(plan.dir)}\n${nextStepsText(plan, dirArg, answers)}`;
      await writeFiles(plan.dir, statuses);
      process.stdout.write(done);
      return 0;
    }
    // Said before writing, not among the notes: the deploy would succeed and nothing would answer.
    const unreachable = noPublicProcess(plan);
    if (unreachable && !flags.json) process.stderr.write(`${pc.yellow('warning:')} ${unreachable}\n`);
    // The report is made before anything is written: a run that fails after writing is a run that lies.
    const report = flags.json
      ? `${JSON.stringify(jsonReport(plan, statuses, { dryRun, dirArg, version: VERSION, given: answers }), null, 2)}\n`
      : `${dryRun ? dryRunContents(statuses) : ''}${summary(plan, statuses, { dryRun, dirArg, given: answers })}`;
    if (!dryRun) await writeFiles(plan.dir, statuses);
    process.stdout.write(report);
    return 0;
  } catch (error) {
    return reportError(error, Boolean(flags.json));
  }
}

/** At most this many problems are listed (a binary Procfile has one per line), each cut at LONGEST characters. */
const MOST_PROBLEMS = 20;
const LONGEST = 2000; // a fly.toml conflict lists every owned key it would change: keep it whole

const clip = (text: string) => printable(text.length > LONGEST ? `${text.slice(0, LONGEST)}... (${text.length - LONGEST} more characters)` : text);

/**
 * Print an error the way a user can act on it: `error: PATH: what happened` for files, the list of
 * problems for input, never a stack trace (unless DEBUG=create-fly-multiproc asks for one).
 * Returns the exit code: 2 for input, 1 for the environment, 130 for a cancel.
 */
export function reportError(error: unknown, json = false): number {
  if (isErrno(error)) error = fileErrorOf(error);
  if (error instanceof UsageError) {
    const shown = error.problems.slice(0, MOST_PROBLEMS).map(clip);
    if (error.problems.length > MOST_PROBLEMS) shown.push(`... and ${error.problems.length - MOST_PROBLEMS} more problems like these`);
    const head = error.problems.length === 1 ? 'error:' : `${error.problems.length} problems:`;
    const body = error.problems.length === 1 ? ` ${shown[0]}` : `\n${shown.map((p) => `  - ${p}`).join('\n')}`;
    process.stderr.write(`${pc.red(head)}${body}\n${error.hint ? `${printable(error.hint)}\n` : ''}`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { problems: error.problems.slice(0, MOST_PROBLEMS), hint: error.hint } }, null, 2)}\n`);
    return 2;
  }
  if (error instanceof FileError) {
    process.stderr.write(`${pc.red('error:')} ${clip(error.message)}\n${error.hint ? `${printable(error.hint)}\n` : ''}`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { problems: [error.message], hint: error.hint } }, null, 2)}\n`);
    return error.exitCode;
  }
  if (error instanceof CancelledError) {
    process.stderr.write('cancelled: nothing written\n');
    return 130;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const detail = debugWanted() && error instanceof Error ? `\n${error.stack}` : '\n(this is a bug in create-fly-multiproc: please report it; DEBUG=create-fly-multiproc shows the stack)';
  process.stderr.write(`${pc.red('error:')} internal error: ${clip(message)}${detail}\n`);
  return 1;
}

/** `check [dir]`: the rules (and dockerfile-ast) load only here, from their own bundle file. */
async function runCheck(sub: Command, rootJson: boolean): Promise<number> {
  const { strict, config, dockerfile } = sub.opts<CheckFlags>();
  // The scaffolder's own --json is parsed first wherever it stands: either one counts.
  const json = Boolean(sub.opts<CheckFlags>().json) || rootJson;
  const dirArg = (sub.processedArgs[0] as string | undefined) ?? '.';
  const { check, CheckInputError, exitCode, jsonReport: checkJson, textReport } = await import('./check/main.js');
  try {
    const result = await check(dirArg, { ...(config !== undefined ? { config } : {}), ...(dockerfile !== undefined ? { dockerfile } : {}) });
    process.stdout.write(json ? `${JSON.stringify(checkJson(result, Boolean(strict), VERSION), null, 2)}\n` : textReport(result, dirArg, Boolean(strict)));
    return exitCode(result.findings, Boolean(strict));
  } catch (error) {
    if (!(error instanceof CheckInputError)) throw error;
    process.stderr.write(`${pc.red('error:')} ${error.message}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { problems: [error.message] } }, null, 2)}\n`);
    return 2;
  }
}
