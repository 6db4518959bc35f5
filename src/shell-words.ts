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
  /**
   * True when sh stays the main process whatever we do: a pipeline, `||`, backgrounding, a subshell,
   * a compound command (`if`, `while`, `{ }`), a here-document, or a list that ends in a builtin.
   * `a && b`, `a; b` and redirections are not: their last program can be exec'd.
   */
  compound: boolean;
  /** Why sh stays the main process (set when compound is true). */
  keepsShell?: string;
  /**
   * Where `exec ` goes so that the program replaces the shell and receives the stop signal itself:
   * the offset (in the command) of the last step's first word after any `NAME=value` prefixes
   * (`cd app && exec puma`, `rake db:migrate; exec puma`). Undefined for compound commands, and
   * when there is no word after the prefixes.
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
      shell(`the shell operator \`${operatorAt(command, i)}\``);
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
  const builtin = /^(exec|cd|source|\.|export|ulimit|umask|trap|set|unset|exit|eval|wait|:)$/.exec(
    words[prefixes] ?? '',
  )?.[1];
  if (builtin) shell(`the shell builtin \`${builtin}\``);
  // `sh -c "exec app $PORT"`: without a shell in front (flyctl, supervisord) the inner shell does
  // the expansion, which is what the user meant; anywhere else a quoted `$` needs a shell.
  const explicitShell =
    /^(\/usr)?(\/bin\/)?(ba|da)?sh$/.test(words[0] ?? '') && /^-[a-z]*c[a-z]*$/.test(words[1] ?? '');
  if (quotedExpansion && !explicitShell) shell(quotedExpansion);
  if (compound) {
    // Operators or a comment: the words above are not the argv; find the last step of the list.
    const last = lastStep(command);
    if ('keepsShell' in last) return { words, needsShell, compound: true, keepsShell: last.keepsShell };
    return { words, needsShell, compound: false, ...(last.execAt !== undefined ? { execAt: last.execAt } : {}) };
  }
  const execAt = prefixes === words.length || (builtin && builtin !== 'exec') ? undefined : starts[prefixes];
  return { words, needsShell, compound, ...(execAt !== undefined ? { execAt } : {}) };
}

/** The operator that starts at `i`, as sh reads it (longest match): `&&`, `||`, `;;`, `>>`, `>&`, `<<-`, ... */
function operatorAt(command: string, i: number): string {
  const rest = command.slice(i, i + 3);
  const match = /^(<<-|&&|\|\||;;|\|&|>>|>&|>\||<<|<&|<>|&>|[|&;<>()])/.exec(rest);
  return match ? match[1]! : command[i]!;
}

/** A token of a one-line sh command: a word (raw, as written) or an operator, with its offset. */
type Token = { kind: 'word'; start: number; text: string } | { kind: 'op'; start: number; op: string };

/** End (exclusive) of the word starting at `i`: quotes, backslashes and expansions stay inside it. */
function wordEnd(command: string, i: number): number {
  while (i < command.length) {
    const c = command[i]!;
    if (c === ' ' || c === '\t' || OPERATORS.has(c)) return i;
    if (c === '\\') i += 2;
    else if (c === "'") i = command.indexOf("'", i + 1) + 1;
    else if (c === '`') i = command.indexOf('`', i + 1) + 1;
    else if (c === '"') {
      i++;
      while (i < command.length && command[i] !== '"') i += command[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '$' && (command[i + 1] === '(' || command[i + 1] === '{')) i = closingOf(command, i);
    else i++;
    if (i <= 0) return command.length; // unterminated: splitWords reported it already
  }
  return i;
}

/** The words and operators of a command splitWords accepted, up to a `#` comment. */
function tokens(command: string): Token[] {
  const found: Token[] = [];
  let i = 0;
  while (i < command.length) {
    const c = command[i]!;
    if (c === ' ' || c === '\t') i++;
    else if (c === '#') break;
    else if (OPERATORS.has(c)) {
      const op = operatorAt(command, i);
      found.push({ kind: 'op', start: i, op });
      i += op.length;
    } else {
      const end = wordEnd(command, i);
      found.push({ kind: 'word', start: i, text: command.slice(i, end) });
      i = end;
    }
  }
  return found;
}

const REDIRECTIONS = new Set(['<', '>', '>>', '>&', '<&', '<>', '>|']);
/** Operators after which sh stays the main process: the program cannot replace it. */
const KEEPS_SHELL: Record<string, string> = {
  '|': 'a pipeline (`|`)',
  '|&': 'a pipeline (`|&`)',
  '||': 'an `||` list',
  '&': 'backgrounding (`&`)',
  '&>': 'backgrounding (`&>` is `&` then `>` in sh)',
  '(': 'a subshell (`( )`)',
  ')': 'a subshell (`( )`)',
  ';;': 'a `case` command',
  '<<': 'a here-document',
  '<<-': 'a here-document',
};
const RESERVED = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'case',
  'esac',
  'while',
  'until',
  'for',
  'in',
  '{',
  '}',
  '!',
  'function',
  'select',
  'time',
  '[[',
  ']]',
]);
const BUILTIN = /^(cd|source|\.|export|ulimit|umask|trap|set|unset|exit|eval|wait|:|true|false)$/;

/**
 * Where `exec` goes in an `&&`/`;` list (and a command with redirections or a comment): before
 * the last step's program, after its NAME=value prefixes. Anything else keeps sh as the main
 * process, and says why.
 */
function lastStep(command: string): { execAt?: number } | { keepsShell: string } {
  const steps: Token[][] = [[]];
  let target = false; // the next word is a redirection's file, not a command word
  for (const token of tokens(command)) {
    if (token.kind === 'op') {
      if (KEEPS_SHELL[token.op]) return { keepsShell: KEEPS_SHELL[token.op]! };
      if (token.op === '&&' || token.op === ';') steps.push([]);
      else if (REDIRECTIONS.has(token.op)) {
        const step = steps.at(-1)!;
        const before = step.at(-1);
        // `2>&1`: the digits right before the operator are its file descriptor, not a word.
        if (before?.kind === 'word' && /^\d+$/.test(before.text) && before.start + before.text.length === token.start)
          step.pop();
        target = true;
      }
    } else if (target) target = false;
    else steps.at(-1)!.push(token);
  }
  for (const step of steps) {
    const first = step[0];
    if (first?.kind === 'word' && RESERVED.has(first.text))
      return { keepsShell: `a compound command (\`${first.text}\`)` };
  }
  const last = steps.filter((step) => step.length).at(-1) ?? [];
  const program = last.find((t) => t.kind === 'word' && !ASSIGNMENT.test(t.text));
  if (!program || program.kind !== 'word') return {};
  if (program.text === 'exec') return { execAt: program.start };
  if (BUILTIN.test(program.text)) return { keepsShell: `a list that ends with the shell builtin \`${program.text}\`` };
  return { execAt: program.start };
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
