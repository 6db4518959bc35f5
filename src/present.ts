/** How an outcome is shown: errors as a user can act on them, and the `check` subcommand's report. */
import type { Command } from 'commander';
import { pc } from './colors.js';
import { CancelledError, debugWanted, FileError, fileErrorOf, isErrno, UsageError } from './errors.js';
import { printable } from './escape.js';
import { VERSION, type CheckFlags } from './options.js';

/** At most this many problems are listed (a binary Procfile has one per line), each cut at LONGEST characters. */
const MOST_PROBLEMS = 20;
const LONGEST = 2000; // a fly.toml conflict lists every owned key it would change: keep it whole

const clip = (text: string) =>
  printable(text.length > LONGEST ? `${text.slice(0, LONGEST)}... (${text.length - LONGEST} more characters)` : text);

/**
 * Print an error the way a user can act on it: `error: PATH: what happened` for files, the list of
 * problems for input, never a stack trace (unless DEBUG=create-fly-multiproc asks for one).
 * Returns the exit code: 2 for input, 1 for the environment, 130 for a cancel.
 */
export function reportError(error: unknown, json = false): number {
  if (isErrno(error)) error = fileErrorOf(error);
  if (error instanceof UsageError) {
    const shown = error.problems.slice(0, MOST_PROBLEMS).map(clip);
    if (error.problems.length > MOST_PROBLEMS)
      shown.push(`... and ${error.problems.length - MOST_PROBLEMS} more problems like these`);
    const head = error.problems.length === 1 ? 'error:' : `${error.problems.length} problems:`;
    const body = error.problems.length === 1 ? ` ${shown[0]}` : `\n${shown.map((p) => `  - ${p}`).join('\n')}`;
    process.stderr.write(`${pc.red(head)}${body}\n${error.hint ? `${printable(error.hint)}\n` : ''}`);
    if (json)
      process.stdout.write(
        `${JSON.stringify({ error: { problems: error.problems.slice(0, MOST_PROBLEMS), hint: error.hint } }, null, 2)}\n`,
      );
    return 2;
  }
  if (error instanceof FileError) {
    process.stderr.write(
      `${pc.red('error:')} ${clip(error.message)}\n${error.hint ? `${printable(error.hint)}\n` : ''}`,
    );
    if (json)
      process.stdout.write(`${JSON.stringify({ error: { problems: [error.message], hint: error.hint } }, null, 2)}\n`);
    return error.exitCode;
  }
  if (error instanceof CancelledError) {
    process.stderr.write('cancelled: nothing written\n');
    return 130;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const detail =
    debugWanted() && error instanceof Error
      ? `\n${error.stack}`
      : '\n(this is a bug in create-fly-multiproc: please report it; DEBUG=create-fly-multiproc shows the stack)';
  process.stderr.write(`${pc.red('error:')} internal error: ${clip(message)}${detail}\n`);
  return 1;
}

/** `check [dir]`: the rules (and dockerfile-ast) load only here, from their own bundle file. */
export async function runCheck(sub: Command, rootJson: boolean): Promise<number> {
  const { strict, config, dockerfile } = sub.opts<CheckFlags>();
  // The scaffolder's own --json is parsed first wherever it stands: either one counts.
  const json = Boolean(sub.opts<CheckFlags>().json) || rootJson;
  const dirArg = (sub.processedArgs[0] as string | undefined) ?? '.';
  const { check, CheckInputError, exitCode, jsonReport: checkJson, textReport } = await import('./check/main.js');
  try {
    const result = await check(dirArg, {
      ...(config !== undefined ? { config } : {}),
      ...(dockerfile !== undefined ? { dockerfile } : {}),
    });
    process.stdout.write(
      json
        ? `${JSON.stringify(checkJson(result, Boolean(strict), VERSION), null, 2)}\n`
        : textReport(result, dirArg, Boolean(strict)),
    );
    return exitCode(result.findings, Boolean(strict));
  } catch (error) {
    if (!(error instanceof CheckInputError)) throw error;
    process.stderr.write(`${pc.red('error:')} ${error.message}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { problems: [error.message] } }, null, 2)}\n`);
    return 2;
  }
}
