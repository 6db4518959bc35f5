/**
 * Commands are written the way a user types them: shell words (quotes and backslashes as in
 * POSIX sh). Fly's flyctl and supervisord split a command the same way but run no shell, so a
 * command that relies on the shell ($VAR, pipes, &&, globs, redirections, VAR=x prefixes) must run
 * under `sh -c`; splitWords says so instead of guessing later.
 */
export interface SplitResult {
  words: string[];
  /** Why this command needs a shell, or undefined if it is a plain argv. */
  needsShell?: string;
  /** True when the command uses shell operators (a pipeline, a list, a subshell, a redirection): it cannot be prefixed with `exec`. */
  compound: boolean;
}

const OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')']);
const GLOBS = new Set(['*', '?', '[']);

export function splitWords(command: string): SplitResult | { error: string } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let needsShell: string | undefined;
  let compound = false;
  let quotedExpansion: string | undefined;
  const shell = (why: string) => {
    needsShell ??= why;
  };
  let i = 0;
  while (i < command.length) {
    const c = command[i]!;
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) return { error: 'has an unterminated single quote' };
      word += command.slice(i + 1, end);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      for (;;) {
        if (i >= command.length) return { error: 'has an unterminated double quote' };
        const d = command[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < command.length && '$`"\\'.includes(command[i + 1]!)) {
          word += command[i + 1];
          i += 2;
          continue;
        }
        if (d === '$' || d === '`') quotedExpansion ??= `\`${d}\` expansion`;
        word += d;
        i++;
      }
      inWord = true;
      i++;
      continue;
    }
    if (c === '\\') {
      if (i + 1 >= command.length) return { error: 'ends with a lone backslash' };
      word += command[i + 1];
      inWord = true;
      i += 2;
      continue;
    }
    if (c === '$' || c === '`') shell(`\`${c}\` expansion`);
    else if (OPERATORS.has(c)) {
      shell(`the shell operator \`${c}\``);
      compound = true;
    } else if (GLOBS.has(c)) shell(`the glob character \`${c}\``);
    else if (!inWord && c === '#') {
      shell('a `#` comment');
      compound = true;
    } else if (!inWord && c === '~') shell('`~` expansion');
    word += c;
    inWord = true;
    i++;
  }
  if (inWord) words.push(word);
  if (words.length === 0) return { error: 'is empty' };
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(command.trimStart())) shell('a `NAME=value` environment prefix');
  // `sh -c "exec app $PORT"`: without a shell in front (flyctl, supervisord) the inner shell does
  // the expansion, which is what the user meant; anywhere else a quoted `$` needs a shell.
  const explicitShell = /^(\/usr)?(\/bin\/)?(ba|da)?sh$/.test(words[0] ?? '') && /^-[a-z]*c[a-z]*$/.test(words[1] ?? '');
  if (quotedExpansion && !explicitShell) shell(quotedExpansion);
  return { words, needsShell, compound };
}
