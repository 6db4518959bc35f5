/**
 * One helper per target format. Templates never paste a user value raw: they call one of these.
 * Values a format cannot hold (newlines, NUL) are rejected earlier, in plan.ts; the helpers
 * still refuse them so a template bug cannot produce a broken file.
 */

function assertSingleLine(value: string, format: string): void {
  if (/[\n\r\0]/.test(value))
    throw new Error(`internal: a ${format} value contains a newline or NUL: ${JSON.stringify(value)}`);
}

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word for POSIX sh and bash: bare when safe, else single-quoted. */
export function shellQuote(word: string): string {
  assertSingleLine(word, 'shell');
  if (SHELL_SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A word for a command shown to the user to copy (`cd DIR`, the equivalent command): like
 * shellQuote, but a word with control characters (a directory name with a newline) becomes a bash
 * ANSI-C string, $'...', which reads back the same and shows nothing raw on the terminal.
 */
export function shellWordForDisplay(word: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(word)) return shellQuote(word);
  let out = "$'";
  for (const ch of word) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === "'") out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if ((code >= 0x80 && code <= 0x9f) || code === 0x2028 || code === 0x2029)
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

/**
 * Text from the user's files (a Procfile command, a path) made safe to print: control characters
 * (terminal escape sequences, a carriage return that hides the rest of a line) are shown as \xHH.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/g, (ch) => {
    const code = ch.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** A TOML basic string, quotes included. */
export function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0').toUpperCase()}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A TOML key: bare when TOML allows it, else a quoted key. */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

export function tomlArray(values: readonly string[]): string {
  return `[${values.map(tomlString).join(', ')}]`;
}

/**
 * What Python's str.isspace() calls whitespace: configparser's inline comment rule (`\s[;#]`, a
 * Python regex on str) uses the same set, so `;` after U+0085 or U+001C..U+001F starts a comment too.
 */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const AFTER_PY_SPACE = new RegExp(`(?<=[${PY_SPACE}])([;#])`, 'g');
const PY_SPACE_THEN_COMMENT = new RegExp(`[${PY_SPACE}][;#]`);

/**
 * A supervisord `command=` value for an argv. supervisord reads the value with ConfigParser
 * (a `;` or `#` after whitespace, as Python's isspace() has it, starts an inline comment; `%` is interpolation) and then
 * splits it with Python's shlex (POSIX rules, no shell). So: quote each word for shlex, keep
 * `;`/`#` from following whitespace by escaping them outside the quotes, then double every `%`.
 */
export function supervisorCommand(words: readonly string[]): string {
  const joined = words
    .map((word) => {
      const quoted = shellQuote(word);
      if (quoted === word) return word;
      // Inside '...': end the quote, write \; or \#, reopen. shlex joins the pieces into one word.
      return quoted.replace(AFTER_PY_SPACE, `'\\$1'`);
    })
    .join(' ');
  return supervisorValue(joined);
}

/** Any other supervisord value: `%` doubled (it is a %-format string). */
export function supervisorValue(value: string): string {
  assertSingleLine(value, 'supervisord');
  if (PY_SPACE_THEN_COMMENT.test(value)) {
    throw new Error(`internal: supervisord value would be cut at an inline comment: ${value}`);
  }
  return value.replace(/%/g, '%%');
}

/** A Procfile line `name: command` (one space after the colon: overmind and hivemind need it). */
export function procfileLine(name: string, command: string): string {
  assertSingleLine(command, 'Procfile');
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`internal: invalid Procfile name ${name}`);
  return `${name}: ${command}`;
}

/** A double-quoted Dockerfile/JSON string (used for exec-form arrays and ENV values). */
export function jsonString(value: string): string {
  assertSingleLine(value, 'Dockerfile');
  return JSON.stringify(value);
}

export const escape = {
  shellQuote,
  shellJoin,
  tomlString,
  tomlKey,
  tomlArray,
  supervisorCommand,
  supervisorValue,
  procfileLine,
  jsonString,
};
export type Escape = typeof escape;
