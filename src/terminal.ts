/**
 * Should we ask at all? Never without a terminal on both ends, in CI, or with --yes / --json.
 * stdout is checked first: reading process.stdin builds a stream, which costs start-up time that a
 * script whose output is piped need not pay.
 */
export function canPrompt(
  options: { yes?: boolean; json?: boolean },
  env: NodeJS.ProcessEnv = process.env,
  terminal = Boolean(process.stdout.isTTY) && Boolean(process.stdin.isTTY),
): boolean {
  return terminal && env.CI !== 'true' && !options.yes && !options.json;
}
