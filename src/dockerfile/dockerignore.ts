/**
 * Would the build context leave out a file the owned block COPYs? The patterns of .dockerignore (or
 * Dockerfile.dockerignore, which BuildKit prefers) as Docker reads them (moby/patternmatcher): one
 * per line, `#` comments, a leading `/` or `./` dropped, `*` and `?` within a path segment, `**` across
 * segments, `!` re-includes; the last pattern that matches decides, and a pattern that matches a
 * directory excludes what is inside it.
 */

function toRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        out += '(?:.*/)?';
      } else out += '.*';
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) out += '\\[';
      else {
        out += `[${pattern
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (ch === '\\' && i + 1 < pattern.length) out += `\\${pattern[++i]}`;
    else out += ch.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

interface Rule {
  negate: boolean;
  re: RegExp;
}

export function parseDockerignore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    line = line.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
    if (!line || line === '.') continue;
    rules.push({ negate, re: toRegExp(line) });
  }
  return rules;
}

/** The files (paths relative to the context, `/`-separated) that the patterns leave out of the build context. */
export function excludedFiles(dockerignore: string, files: readonly string[]): string[] {
  const rules = parseDockerignore(dockerignore);
  return files.filter((file) => {
    const parts = file.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (candidates.some((c) => rule.re.test(c))) excluded = !rule.negate;
    }
    return excluded;
  });
}
