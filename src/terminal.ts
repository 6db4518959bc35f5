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

/**
 * A message as one line that fits a terminal `columns` wide after prompts' 2-character "› " prefix
 * (prompts counts a line that fills the last column as one row, as terminals draw it). prompts redraws a validation
 * message by erasing the lines it thinks it wrote: a message that wraps, or holds a newline, leaves a
 * copy behind on every keystroke. So: explanations in parentheses go first, then a leading
 * `invalid name "X": ` (the answer is on the screen), then words at the end, marked with "…". Unknown width (not a terminal): the message as it is.
 */
export function fitLine(message: string, columns: number | undefined, prefix = 2): string {
  const flat = message.replace(/\s*\n\s*/g, ' ');
  if (!columns || columns <= 0) return flat;
  const width = Math.max(columns - prefix, 20);
  if ([...flat].length <= width) return flat;
  let lean = flat.replace(/ \([^()]*\)/g, '');
  if ([...lean].length <= width) return lean;
  // `invalid name "Web Server": a name must ...`: the answer is on the screen above; keep the rule.
  lean = lean.replace(/^[^":]*"[^"]*": /, '');
  if ([...lean].length <= width) return lean;
  const chars = [...lean].slice(0, width - 1);
  const cut = chars.join('');
  const space = cut.lastIndexOf(' ');
  return `${(space > width / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:]+$/, '')}…`;
}

/** Text wrapped at spaces to lines of at most `columns - 1` characters, continuation lines indented. */
export function wrapText(text: string, columns: number | undefined, indent = '  '): string {
  if (!columns || columns <= 0) return text;
  const width = Math.max(columns - 1, 20);
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      const next = line === '' ? word : `${line} ${word}`;
      if ([...next].length <= width || line === '') {
        line = next;
      } else {
        out.push(line);
        line = `${indent}${word}`;
      }
      // A word longer than a line (a path, a URL) is cut where the line ends.
      while ([...line].length > width) {
        out.push([...line].slice(0, width).join(''));
        line = `${indent}${[...line].slice(width).join('')}`;
      }
    }
    out.push(line);
  }
  return out.join('\n');
}
