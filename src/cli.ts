import { CommanderError, type Command } from 'commander';
import { program, VERSION, type EjectFlags, type Flags } from './options.js';
import { canPrompt } from './terminal.js';
import { eject, ejectSummary } from './eject.js';
import { scaffold } from './pipeline.js';
import { reportError, runCheck } from './present.js';

export { reportError } from './present.js';

/** Parse, run the command, present its outcome: every decision is in the pipeline's steps. */
export async function main(argv: string[]): Promise<number> {
  const cmd = program();
  let subcommand: Command | undefined;
  cmd.hook('preSubcommand', (_root, sub) => {
    subcommand = sub;
  });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code) ? 0 : 2;
  }
  const flags = cmd.opts<Flags>();
  try {
    if (subcommand?.name() === 'check') return await runCheck(subcommand, Boolean(flags.json));
    if (subcommand?.name() === 'eject') {
      const { to } = subcommand.opts<EjectFlags>();
      process.stdout.write(ejectSummary(eject(subcommand.args, to), to));
      return 0;
    }
    const io = { stdout: process.stdout, stderr: process.stderr, interactive: canPrompt(flags), version: VERSION };
    return await scaffold(flags, cmd.processedArgs[0] as string, io);
  } catch (error) {
    return reportError(error, Boolean(flags.json));
  }
}
