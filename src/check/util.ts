/**
 * Readers that copy the real ones closely enough to judge a file: google/shlex (flyctl's command
 * splitter), Go's time.ParseDuration (kill_timeout), and a line finder for TOML keys and tables
 * (smol-toml gives values, not positions).
 */

/** google/shlex Split with its error messages: the same splitter the fly.toml merge uses. */
export { shlexParse as shlexSplit } from '../flytoml-rules.js';

/** Go's time.ParseDuration in seconds: the same reader the fly.toml merge uses. */
export { parseGoDuration } from '../flytoml-rules.js';

/**
 * Line numbers of TOML tables and keys, by path: "kill_timeout", "http_service",
 * "services[1]", "services[1].processes", "processes.web". Good enough for the files people
 * write by hand (multi-line strings and arrays are skipped over; inline tables give their key's line).
 */
export function tomlLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const counts = new Map<string, number>();
  let prefix = '';
  let inMulti: string | undefined;
  let depth = 0; // open [ of a multi-line array value
  const lines = text.split(/\r?\n/);
  const keyPath = (raw: string) =>
    splitDotted(raw)
      .map((k) => k.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'))
      .join('.');
  lines.forEach((line, index) => {
    const no = index + 1;
    if (inMulti) {
      if (line.includes(inMulti)) inMulti = undefined;
      return;
    }
    const trimmed = line.trim();
    if (depth > 0) {
      depth += bracketDelta(trimmed);
      return;
    }
    if (!trimmed || trimmed.startsWith('#')) return;
    let m = /^\[\[\s*([^\]]+?)\s*\]\]/.exec(trimmed);
    if (m) {
      const base = resolveArrayParents(keyPath(m[1]!), counts);
      const count = counts.get(base) ?? 0;
      counts.set(base, count + 1);
      prefix = `${base}[${count}]`;
      out.set(prefix, no);
      return;
    }
    m = /^\[\s*([^\]]+?)\s*\]/.exec(trimmed);
    if (m) {
      prefix = resolveArrayParents(keyPath(m[1]!), counts);
      if (!out.has(prefix)) out.set(prefix, no);
      return;
    }
    m = /^((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=\s*(.*)$/.exec(
      trimmed,
    );
    if (m) {
      const full = prefix ? `${prefix}.${keyPath(m[1]!)}` : keyPath(m[1]!);
      if (!out.has(full)) out.set(full, no);
      const value = m[2]!;
      for (const q of ['"""', "'''"]) {
        if (value.startsWith(q) && value.indexOf(q, 3) < 0) inMulti = q;
      }
      if (!inMulti && value.startsWith('[')) depth = bracketDelta(stripStrings(value));
    }
  });
  return out;
}

/** `services.ports` inside the third [[services]] is "services[2].ports". */
function resolveArrayParents(path: string, counts: Map<string, number>): string {
  const parts = path.split('.');
  let built = '';
  for (let i = 0; i < parts.length; i++) {
    built = built ? `${built}.${parts[i]}` : parts[i]!;
    if (i < parts.length - 1 && counts.has(built)) built = `${built}[${counts.get(built)! - 1}]`;
  }
  return built;
}

function splitDotted(raw: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (const c of raw) {
    if (quote) {
      cur += c;
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (c === '.') {
      parts.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  parts.push(cur.trim());
  return parts;
}

function stripStrings(s: string): string {
  return s.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, '').replace(/#.*$/, '');
}

function bracketDelta(s: string): number {
  const t = stripStrings(s);
  return (t.match(/\[/g)?.length ?? 0) - (t.match(/\]/g)?.length ?? 0);
}

/** 1-based line of the first match of re in text, or undefined. */
export function lineOf(text: string, re: RegExp): number | undefined {
  const lines = text.split(/\r?\n/);
  const i = lines.findIndex((l) => re.test(l));
  return i < 0 ? undefined : i + 1;
}

/** 1-based line number of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}
