import { parse } from 'smol-toml';

export type Doc = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// A statement scanner: where each line-level statement of a (valid) TOML file starts and ends.

export interface Stmt {
  kind: 'blank' | 'comment' | 'header' | 'kv';
  /** Offset of the first character of the line. */
  start: number;
  /** Offset after the line's newline (or the end of the text). */
  end: number;
  /** Header: the table path; kv: the dotted key. */
  path: string[];
  /** [[array of tables]] */
  array: boolean;
  indent: string;
  valueStart: number;
  valueEnd: number;
}

export class Unsupported extends Error {}

export const BARE = /[A-Za-z0-9_-]/;

export function decodeQuoted(raw: string): string {
  return (parse(`k = ${raw}`) as { k: string }).k;
}

/** Scan a TOML text into statements. Assumes the text parsed; throws Unsupported if it meets something it does not know. */
export function scan(text: string): Stmt[] {
  const n = text.length;
  const out: Stmt[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new Unsupported(`cannot read line ${text.slice(0, i).split('\n').length}: ${what}`);
  };
  const skipSpace = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const atEol = () => i >= n || text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n');
  const toLineEnd = () => {
    while (i < n && text[i] !== '\n') i++;
    if (i < n) i++;
  };
  /** After a statement: spaces, an optional comment, the newline. */
  const finishLine = () => {
    skipSpace();
    if (text[i] === '#') return toLineEnd();
    if (!atEol()) fail('unexpected text after a value');
    toLineEnd();
  };
  /** Whitespace, newlines and comments inside arrays and inline tables. */
  const skipFiller = () => {
    for (;;) {
      while (i < n && /[ \t\r\n]/.test(text[i]!)) i++;
      if (text[i] === '#') {
        while (i < n && text[i] !== '\n') i++;
      } else return;
    }
  };
  const key = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      skipSpace();
      const c = text[i];
      if (c === '"') {
        const s = i++;
        while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
        i++;
        parts.push(decodeQuoted(text.slice(s, i)));
      } else if (c === "'") {
        const close = text.indexOf("'", i + 1);
        if (close < 0) fail('unterminated key');
        parts.push(text.slice(i + 1, close));
        i = close + 1;
      } else {
        const s = i;
        while (i < n && BARE.test(text[i]!)) i++;
        if (s === i) fail('expected a key');
        parts.push(text.slice(s, i));
      }
      skipSpace();
      if (text[i] !== '.') return parts;
      i++;
    }
  };
  const value = (): void => {
    const c = text[i];
    if (text.startsWith('"""', i) || text.startsWith("'''", i)) {
      const quote = text.slice(i, i + 3);
      i += 3;
      for (;;) {
        if (i >= n) fail('unterminated multi-line string');
        if (quote === '"""' && text[i] === '\\') i += 2;
        else if (text.startsWith(quote, i)) {
          i += 3;
          // Up to two quotes may stand right before the closing delimiter.
          for (let extra = 0; extra < 2 && text[i] === quote[0]; extra++) i++;
          return;
        } else i++;
      }
    }
    if (c === '"') {
      i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      return;
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) fail('unterminated string');
      i = close + 1;
      return;
    }
    if (c === '[') {
      i++;
      for (;;) {
        skipFiller();
        if (text[i] === ']') {
          i++;
          return;
        }
        value();
        skipFiller();
        if (text[i] === ',') i++;
        else if (text[i] !== ']') fail('expected , or ] in an array');
      }
    }
    if (c === '{') {
      i++;
      for (;;) {
        skipFiller();
        if (text[i] === '}') {
          i++;
          return;
        }
        key();
        if (text[i] !== '=') fail('expected = in an inline table');
        i++;
        skipSpace();
        value();
        skipFiller();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail('expected , or } in an inline table');
      }
    }
    // Numbers, booleans, dates. A date and a time may be separated by one space.
    const s = i;
    while (i < n && !/[ \t\r\n,\]}#]/.test(text[i]!)) i++;
    if (s === i) fail('expected a value');
    if (/^\d{4}-\d{2}-\d{2}$/.test(text.slice(s, i)) && text[i] === ' ' && /\d/.test(text[i + 1] ?? '')) {
      i++;
      while (i < n && !/[ \t\r\n,\]}#]/.test(text[i]!)) i++;
    }
  };

  while (i < n) {
    const start = i;
    skipSpace();
    const indent = text.slice(start, i);
    const base = { start, path: [] as string[], array: false, indent, valueStart: -1, valueEnd: -1 };
    if (atEol()) {
      toLineEnd();
      out.push({ ...base, kind: 'blank', end: i });
    } else if (text[i] === '#') {
      toLineEnd();
      out.push({ ...base, kind: 'comment', end: i });
    } else if (text[i] === '[') {
      const array = text[i + 1] === '[';
      i += array ? 2 : 1;
      const path = key();
      if (text[i] !== ']' || (array && text[i + 1] !== ']')) fail('expected ] after a table name');
      i += array ? 2 : 1;
      finishLine();
      out.push({ ...base, kind: 'header', path, array, end: i });
    } else {
      const path = key();
      if (text[i] !== '=') fail('expected =');
      i++;
      skipSpace();
      const valueStart = i;
      value();
      const valueEnd = i;
      finishLine();
      out.push({ ...base, kind: 'kv', path, valueStart, valueEnd, end: i });
    }
  }
  return out;
}

export const BOM = '\uFEFF';

/**
 * One run parses the same few texts several times (the merge, its checks, the warnings): parse each
 * once. The documents are only read, never changed.
 */
export const parsed = new Map<string, Doc>();
export function parseCached(text: string): Doc {
  let doc = parsed.get(text);
  if (!doc) {
    doc = parse(text) as Doc;
    if (parsed.size >= 16) parsed.delete(parsed.keys().next().value!);
    parsed.set(text, doc);
  }
  return doc;
}
