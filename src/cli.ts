import { CommanderError } from 'commander';
import { pc } from './colors.js';
import { detect } from './detect.js';
import { CancelledError, UsageError } from './errors.js';
import { plan as makePlan } from './plan.js';
import { render } from './render.js';
import { dryRunContents, jsonReport, nextStepsText, planSummary, summary } from './report.js';
import { answersFromFlags, program, VERSION, type Flags } from './options.js';
import { canPrompt, confirmWrite, wizard } from './wizard.js';
import { compare, conflicts, writeFiles, type ConflictPolicy } from './write.js';

export async function main(argv: string[]): Promise<number> {
  const cmd = program();
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
    if (flags.force && flags.skip) throw new UsageError('--force and --skip contradict each other: pass one of them');
    let answers = answersFromFlags(flags, dirArg);
    const project = detect(dirArg);
    const interactive = canPrompt(flags);
    if (interactive) answers = await wizard(answers, project);
    const plan = makePlan(answers, project);
    const files = render(plan, project);
    const policy: ConflictPolicy = flags.force ? 'force' : flags.skip ? 'skip' : 'ask';
    const statuses = compare(plan.dir, files, policy);
    const dryRun = Boolean(flags.dryRun);
    const pending = conflicts(statuses);
    if (pending.length && !dryRun) {
      throw new UsageError(
        pending.map((s) => `${s.path} exists and differs from what would be generated`),
        'nothing was written: pass --force to overwrite these files, --skip to keep them, or --dry-run to see the new content',
      );
    }
    if (interactive && !dryRun) {
      process.stdout.write(`\n${planSummary(plan, statuses, { dryRun })}`);
      const count = statuses.filter((s) => s.action === 'create' || s.action === 'overwrite').length;
      if (count > 0) await confirmWrite(count);
      await writeFiles(plan.dir, statuses);
      process.stdout.write(`${pc.green('Done:')} ${count} file${count === 1 ? '' : 's'} written in ${plan.dir}\n${nextStepsText(plan, dirArg)}`);
      return 0;
    }
    if (!dryRun) await writeFiles(plan.dir, statuses);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(jsonReport(plan, statuses, { dryRun, dirArg, version: VERSION }), null, 2)}\n`);
    } else {
      if (dryRun) process.stdout.write(dryRunContents(statuses));
      process.stdout.write(summary(plan, statuses, { dryRun, dirArg }));
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
