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
  /**
   * Where `exec ` goes so that the program replaces the shell and receives the stop signal itself:
   * the offset (in the command) of the first word after any `NAME=value` prefixes. Undefined for
   * compound commands, and when there is no word after the prefixes.
   */
  execAt?: number;
}

/** Offset just past the `)` or `}` that closes the expansion opened at `open` (`$(`, `$((`, `${`), or -1. */
function closingOf(command: string, open: number): number {
  const closer = command[open + 1] === '{' ? '}' : ')';
  const opener = closer === '}' ? '{' : '(';
  let depth = 0;
  for (let i = open + 1; i < command.length; i++) {
    const c = command[i]!;
    if (c === '\\') i++;
    else if (c === "'" && closer === ')') {
      const end = command.indexOf("'", i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (c === '"' && closer === ')') {
      let end = i + 1;
      while (end < command.length && command[end] !== '"') end += command[end] === '\\' ? 2 : 1;
      if (end >= command.length) return -1;
      i = end;
    } else if (c === opener) depth++;
    else if (c === closer && --depth === 0) return i + 1;
  }
  return -1;
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

const OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')']);
const GLOBS = new Set(['*', '?', '[']);

export function splitWords(command: string): SplitResult | { error: string } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let needsShell: string | undefined;
  let compound = false;
  let quotedExpansion: string | undefined;
  /** Raw offset where each word starts. */
  const starts: number[] = [];
  let start = 0;
  const shell = (why: string) => {
    needsShell ??= why;
  };
  let i = 0;
  while (i < command.length) {
    const c = command[i]!;
    if (c === ' ' || c === '\t') {
      if (inWord) {
        words.push(word);
        starts.push(start);
      }
      word = '';
      inWord = false;
      i++;
      continue;
    }
    if (!inWord) start = i;
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
    if (c === '$' && (command[i + 1] === '(' || command[i + 1] === '{')) {
      // $(...), $((...)) and ${...} are one expansion inside a word, not a subshell or a list.
      const end = closingOf(command, i);
      if (end < 0) return { error: `has an unterminated \`${command.slice(i, i + 2)}\`` };
      shell(command[i + 1] === '(' ? '`$(...)` command substitution' : '`$` expansion');
      word += command.slice(i, end);
      inWord = true;
      i = end;
      continue;
    }
    if (c === '`') {
      const end = command.indexOf('`', i + 1);
      if (end < 0) return { error: 'has an unterminated backquote' };
      shell('`` ` `` command substitution');
      word += command.slice(i, end + 1);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '$') shell('`$` expansion');
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
  if (inWord) {
    words.push(word);
    starts.push(start);
  }
  if (words.length === 0) return { error: 'is empty' };
  // Leading NAME=value words (as written: `'A'=1` is a command, not an assignment).
  let prefixes = 0;
  while (prefixes < words.length && ASSIGNMENT.test(command.slice(starts[prefixes]!))) prefixes++;
  if (prefixes) shell('a `NAME=value` environment prefix');
  // Shell builtins that Procfiles start commands with: no program of that name exists, and one
  // cannot be exec'd (`exit $((...))`); `exec` itself is already in place.
  const builtin = /^(exec|cd|source|\.|export|ulimit|umask|trap|set|unset|exit|eval|wait|:)$/.exec(words[prefixes] ?? '')?.[1];
  if (builtin) shell(`the shell builtin \`${builtin}\``);
  // `sh -c "exec app $PORT"`: without a shell in front (flyctl, supervisord) the inner shell does
  // the expansion, which is what the user meant; anywhere else a quoted `$` needs a shell.
  const explicitShell = /^(\/usr)?(\/bin\/)?(ba|da)?sh$/.test(words[0] ?? '') && /^-[a-z]*c[a-z]*$/.test(words[1] ?? '');
  if (quotedExpansion && !explicitShell) shell(quotedExpansion);
  const execAt = compound || prefixes === words.length || (builtin && builtin !== 'exec') ? undefined : starts[prefixes];
  return { words, needsShell, compound, ...(execAt !== undefined ? { execAt } : {}) };
}

/**
 * The argv that runs a command needing a shell: `sh -c '...'`, with `exec` in front of the program
 * (after any NAME=value prefixes) so that the program replaces sh and receives the stop signal.
 * Pipelines and lists cannot be exec'd: they run as written.
 */
export function shellArgv(command: string, split: SplitResult): string[] {
  if (split.execAt === undefined) return ['sh', '-c', command];
  const at = split.execAt;
  const rest = command.slice(at);
  if (/^exec(\s|$)/.test(rest)) return ['sh', '-c', command];
  return ['sh', '-c', `${command.slice(0, at)}exec ${rest}`];
}
