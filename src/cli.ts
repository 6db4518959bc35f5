import path from 'node:path';
import { CommanderError, type Command } from 'commander';
import { pc } from './colors.js';
import { detect } from './detect.js';
import { declaredProcesses } from './import.js';
import { CancelledError, UsageError } from './errors.js';
import { plan as makePlan } from './plan.js';
import { checkRendered, render, templateDirsFor } from './render.js';
import { eject, ejectSummary } from './eject.js';
import { dryRunContents, jsonReport, nextStepsText, planSummary, summary } from './report.js';
import { answersFromFlags, program, VERSION, type EjectFlags, type Flags } from './options.js';
import { canPrompt } from './terminal.js';
import { conflicts, decide, writeFiles, WRITES, type ConflictPolicy } from './write.js';
import { attachDiffs, conflictProblems, resolveConflicts } from './conflicts.js';
import { answersToRemember, explainRemembered, lastOutput, mergeAnswers, readState, recordedHashes, STATE_FILE, stateStatus } from './state.js';
import type { Plan } from './types.js';
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
    if (flags.force && flags.skip) throw new UsageError('--force and --skip contradict each other: pass one of them');
    // Answers remembered in fly-multiproc.json fill what the flags leave open.
    const state = readState(path.resolve(dirArg));
    const memory = mergeAnswers(answersFromFlags(flags, dirArg), state?.answers, path.resolve(dirArg));
    let answers = memory.answers;
    const project = detect(dirArg, { procfile: answers.fromProcfile });
    // A Dockerfile an earlier run created (its hash recorded, no blocks of ours in it) stays ours.
    let generatedBefore = false;
    if (project.dockerfile) {
      // The parser loads only for a project with a Dockerfile of its own.
      project.dockerfileInfo = (await import('./dockerfile/index.js')).inspectDockerfile(project.dir);
      generatedBefore = createdBefore(state?.files, project.dockerfileInfo);
      if (answers.dockerfile === undefined && generatedBefore) answers = { ...answers, dockerfile: 'create' };
    }
    const templateDirs = templateDirsFor(answers.templates);
    const interactive = canPrompt(flags);
    // The wizard (and prompts) load only when there is someone to ask: scripts start faster.
    if (interactive) answers = await (await import('./wizard.js')).wizard(answers, project, declaredProcesses(project));
    let plan: Plan;
    try {
      plan = makePlan(answers, project);
    } catch (error) {
      throw explainRemembered(error, memory);
    }
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
    const decided = await decide(plan.dir, files, { state, base, prune: Boolean(flags.prune), strategyBefore: state ? (state.answers.strategy ?? 'process-groups') : undefined, strategyNow: plan.strategy });
    const resolved = await resolveConflicts(decided, { interactive: interactive && !dryRun, policy });
    const remembered = { answers: answersToRemember(answers, plan, memory.inert, project.dir), files: recordedHashes(resolved, state) };
    const statuses = [...resolved, stateStatus(project.dir, remembered)];
    if (conflicts(statuses).length && !dryRun) {
      throw new UsageError(
        conflictProblems(statuses),
        'nothing was written: pass --force to overwrite these files, --skip to keep them, or --dry-run to see the diffs',
      );
    }
    if (dryRun) await attachDiffs(statuses);
    if (interactive && !dryRun) {
      process.stdout.write(`\n${planSummary(plan, statuses, { dryRun })}`);
      const count = statuses.filter((s) => WRITES.has(s.action)).length;
      if (count > 0) await (await import('./wizard.js')).confirmWrite(count);
      await writeFiles(plan.dir, statuses);
      process.stdout.write(`${pc.green('Done:')} ${count} file${count === 1 ? '' : 's'} written in ${plan.dir}\n${nextStepsText(plan, dirArg, answers)}`);
      return 0;
    }
    if (!dryRun) await writeFiles(plan.dir, statuses);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(jsonReport(plan, statuses, { dryRun, dirArg, version: VERSION, given: answers }), null, 2)}\n`);
    } else {
      if (dryRun) process.stdout.write(dryRunContents(statuses));
      process.stdout.write(summary(plan, statuses, { dryRun, dirArg, given: answers }));
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      const head = error.problems.length === 1 ? 'error:' : `${error.problems.length} problems:`;
      const body = error.problems.length === 1 ? ` ${error.problems[0]}` : `\n${error.problems.map((p) => `  - ${p}`).join('\n')}`;
      process.stderr.write(`${pc.red(head)}${body}\n${error.hint ? `${error.hint}\n` : ''}`);
      if (flags.json) process.stdout.write(`${JSON.stringify({ error: { problems: error.problems, hint: error.hint } }, null, 2)}\n`);
      return 2;
    }
    if (error instanceof CancelledError) {
      process.stderr.write('cancelled: nothing written\n');
      return 130;
    }
    process.stderr.write(`${pc.red('error:')} ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
