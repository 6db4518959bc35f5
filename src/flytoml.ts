/**
 * Edit a fly.toml that is also the user's (and `fly launch`'s): change only what this tool owns,
 * keep every other key, comment, blank line and the formatting.
 *
 * Owned: top-level kill_signal and kill_timeout; each group in [processes]; [http_service] and each
 * [[services]] as a whole when we add or remove them, and otherwise only their internal_port,
 * processes and auto_stop_machines keys (a [[services]] entry is known by its processes filter, or
 * by its internal_port when it has none); the [[restart]] entry without a processes filter (its policy);
 * [deploy] release_command and [env] PORT (keys only: the rest of those tables is the user's, and a
 * key we never wrote, such as the user's own [env] PORT beside a strategy that sets none, stays theirs).
 *
 * Each owned value is merged three ways: our last output (base, when known), the user's file
 * (theirs) and our new output (ours). A value only one side changed takes that side's change; when
 * both changed it differently (or base is unknown and they differ) it is a conflict, and "overwrite"
 * takes ours for that value only. New tables are copied from our rendered fly.toml, so they look
 * exactly as a fresh run writes them. The result is parsed again and checked: owned values as
 * intended, everything else equal to the user's file. If the user's file writes an owned table in a
 * form we do not edit (inline tables, dotted keys), merging is refused with the reason.
 */
import { parse } from 'smol-toml';
import { UsageError } from './errors.js';

type Doc = Record<string, unknown>;

export interface FlyTomlMerge {
  /** The merged file: theirs with our owned values (ours win where both changed). */
  content: string;
  /** Owned values the user changed that we would change too (or cannot tell, without a base). */
  conflicts: string[];
  /** Why the file cannot be merged; then content is undefined. */
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// A statement scanner: where each line-level statement of a (valid) TOML file starts and ends.

interface Stmt {
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

class Unsupported extends Error {}

const BARE = /[A-Za-z0-9_-]/;

function decodeQuoted(raw: string): string {
  return (parse(`k = ${raw}`) as { k: string }).k;
}

/** Scan a TOML text into statements. Assumes the text parsed; throws Unsupported if it meets something it does not know. */
function scan(text: string): Stmt[] {
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

// ---------------------------------------------------------------------------------------------
// Where the owned tables are in a text.

/** A table and its sub-tables ([http_service] with [http_service.concurrency], [[services]] with [[services.ports]]). */
interface Group {
  header: Stmt;
  /** The table's own statements (up to its first sub-table or the next table). */
  own: Stmt[];
  /** Start of the comment lines right above the header (they belong to it). */
  start: number;
  /** End of the last key of the group (trailing blank lines and comments stay outside). */
  end: number;
}

interface Layout {
  text: string;
  doc: Doc;
  stmts: Stmt[];
  /** Top-level keys, before the first table. */
  preamble: Stmt[];
  tables: Map<string, Group>;
  arrays: Map<string, Group[]>;
}

/** Tables of which we own only some keys (OWNED_KEYS), never the table itself. */
const KEYED = ['deploy', 'env'] as const;
type KeyedTable = (typeof KEYED)[number];
const isKeyed = (table: string): table is KeyedTable => (KEYED as readonly string[]).includes(table);
const TABLES = ['processes', 'http_service', ...KEYED] as const;
const ARRAYS = ['services', 'restart'] as const;
const TOP_KEYS = ['kill_signal', 'kill_timeout'] as const;

function isTable(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function layout(text: string, doc: Doc): Layout {
  const stmts = scan(text);
  const firstHeader = stmts.findIndex((s) => s.kind === 'header');
  const preamble = firstHeader < 0 ? stmts : stmts.slice(0, firstHeader);
  const groups: Group[] = [];
  for (let h = 0; h < stmts.length; h++) {
    const header = stmts[h]!;
    if (header.kind !== 'header') continue;
    const name = header.path[0]!;
    if (header.path.length !== 1) continue; // a sub-table: part of the group before it
    let j = h + 1;
    const own: Stmt[] = [];
    while (j < stmts.length && stmts[j]!.kind !== 'header') own.push(stmts[j++]!);
    let lastKey = header.end;
    for (const s of own) if (s.kind === 'kv') lastKey = s.end;
    // Sub-tables that follow directly belong to this group.
    while (j < stmts.length) {
      const next = stmts[j]!;
      if (next.kind === 'header' && (next.path.length === 1 || next.path[0] !== name)) break;
      if (next.kind === 'header' || next.kind === 'kv') lastKey = next.end;
      j++;
    }
    let start = header.start;
    for (let k = h - 1; k >= 0 && stmts[k]!.kind === 'comment'; k--) start = stmts[k]!.start;
    groups.push({ header, own, start, end: lastKey });
  }
  const tables = new Map<string, Group>();
  const arrays = new Map<string, Group[]>();
  for (const name of TABLES) {
    const found = groups.filter((g) => g.header.path[0] === name && !g.header.array);
    if (doc[name] !== undefined && found.length !== 1) {
      throw new Unsupported(`${name} is written as an inline table or with dotted keys; this tool edits only a [${name}] table`);
    }
    if (found[0]) tables.set(name, found[0]);
  }
  for (const name of ARRAYS) {
    const found = groups.filter((g) => g.header.path[0] === name && g.header.array);
    const value = doc[name];
    if (value !== undefined && (!Array.isArray(value) || value.length !== found.length)) {
      throw new Unsupported(`${name} is written as an inline array; this tool edits only [[${name}]] tables`);
    }
    arrays.set(name, found);
  }
  // Owned keys must be plain `key = value` lines where we look for them.
  for (const key of TOP_KEYS) {
    if (doc[key] !== undefined && !preamble.some((s) => s.kind === 'kv' && s.path.length === 1 && s.path[0] === key)) {
      throw new Unsupported(`${key} is not written as a top-level "${key} = ..." line`);
    }
  }
  const processes = doc.processes;
  if (isTable(processes)) {
    const own = tables.get('processes')!.own.filter((s) => s.kind === 'kv');
    if (own.length !== Object.keys(processes).length || own.some((s) => s.path.length !== 1)) {
      throw new Unsupported('[processes] uses dotted keys or sub-tables; this tool edits only "name = command" lines');
    }
  }
  return { text, doc, stmts, preamble, tables, arrays };
}

// ---------------------------------------------------------------------------------------------
// Owned values.

/** Where an owned value lives: a table (by name, or an array entry by id) and a key (none: the table itself). */
interface Ref {
  table: 'top' | 'processes' | 'http_service' | 'services' | 'restart' | KeyedTable;
  /** Entry id within an array of tables. */
  id?: string;
  key?: string;
}

interface Unit {
  ref: Ref;
  label: string;
  value: unknown;
}

// auto_stop_machines too: one-Machine strategies turn it off when a process without a port shares
// the Machine (stopping it when idle would stop that process), so it follows the strategy.
const OWNED_KEYS = {
  http_service: ['internal_port', 'processes', 'auto_stop_machines'],
  services: ['internal_port', 'processes', 'auto_stop_machines'],
  restart: ['policy'],
  deploy: ['release_command'],
  env: ['PORT'],
} as const;

function entryId(table: 'services' | 'restart', entry: Doc): string {
  const filter = entry.processes;
  if (Array.isArray(filter)) return `processes=${filter.join(',')}`;
  return table === 'services' ? `port=${String(entry.internal_port)}` : 'all';
}

function entryLabel(table: 'services' | 'restart', id: string): string {
  if (id.startsWith('processes=')) return `[[${table}]] for ${id.slice('processes='.length)}`;
  if (id.startsWith('port=')) return `[[${table}]] on internal_port ${id.slice('port='.length)}`;
  return `[[${table}]]`;
}

/** Ids of the entries of an array of tables, in order; repeated ids get #2, #3. */
function entryIds(table: 'services' | 'restart', doc: Doc): string[] {
  const list = Array.isArray(doc[table]) ? (doc[table] as unknown[]) : [];
  const seen = new Map<string, number>();
  return list.map((entry) => {
    const id = entryId(table, isTable(entry) ? entry : {});
    const count = (seen.get(id) ?? 0) + 1;
    seen.set(id, count);
    return count === 1 ? id : `${id}#${count}`;
  });
}

function refKey(ref: Ref): string {
  return JSON.stringify([ref.table, ref.id ?? null, ref.key ?? null]);
}

function ownedUnits(doc: Doc): Map<string, Unit> {
  const units = new Map<string, Unit>();
  const add = (ref: Ref, label: string, value: unknown) => {
    if (value !== undefined) units.set(refKey(ref), { ref, label, value });
  };
  for (const key of TOP_KEYS) add({ table: 'top', key }, key, doc[key]);
  if (isTable(doc.processes)) {
    for (const [name, command] of Object.entries(doc.processes)) add({ table: 'processes', key: name }, `[processes] ${name}`, command);
  }
  if (isTable(doc.http_service)) {
    add({ table: 'http_service' }, '[http_service]', true);
    for (const key of OWNED_KEYS.http_service) add({ table: 'http_service', key }, `[http_service] ${key}`, doc.http_service[key]);
  }
  for (const table of KEYED) {
    const t = doc[table];
    if (isTable(t)) for (const key of OWNED_KEYS[table]) add({ table, key }, `[${table}] ${key}`, t[key]);
  }
  for (const table of ARRAYS) {
    const ids = entryIds(table, doc);
    const list = (doc[table] as Doc[] | undefined) ?? [];
    ids.forEach((id, index) => {
      if (table === 'restart' && id !== 'all') return; // only the unfiltered restart policy is ours
      const entry = list[index]!;
      add({ table, id }, entryLabel(table, id), true);
      for (const key of OWNED_KEYS[table]) add({ table, id, key }, `${entryLabel(table, id)} ${key}`, entry[key]);
    });
  }
  return units;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isTable(a) && isTable(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && same(a[k], b[k]));
  }
  return false;
}

/** The document without what we own, to check that a merge changed nothing else. */
function unowned(doc: Doc, changedTables: Set<string>): Doc {
  const copy: Doc = { ...doc };
  for (const key of TOP_KEYS) delete copy[key];
  delete copy.processes;
  if (isTable(copy.http_service)) {
    if (changedTables.has(refKey({ table: 'http_service' }))) delete copy.http_service;
    else {
      const hs = { ...copy.http_service };
      for (const key of OWNED_KEYS.http_service) delete hs[key];
      copy.http_service = hs;
    }
  }
  for (const table of KEYED) {
    if (!isTable(copy[table])) continue;
    const t: Doc = { ...copy[table] };
    for (const key of OWNED_KEYS[table]) delete t[key];
    // A table holding only our key appears and goes with it.
    if (Object.keys(t).length) copy[table] = t;
    else delete copy[table];
  }
  for (const table of ARRAYS) {
    if (!Array.isArray(copy[table])) continue;
    const ids = entryIds(table, doc);
    const kept = (copy[table] as Doc[])
      .map((entry, index) => ({ entry, id: ids[index]! }))
      .filter(({ id }) => !changedTables.has(refKey({ table, id })))
      .map(({ entry, id }) => {
        if (table === 'restart' && id !== 'all') return entry;
        const e = { ...entry };
        for (const key of OWNED_KEYS[table]) delete e[key];
        return e;
      });
    if (kept.length) copy[table] = kept;
    else delete copy[table];
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Edits.

interface Edit {
  start: number;
  end: number;
  text: string;
}

function applyEdits(text: string, edits: Edit[]): string {
  // By position; at one point insertions come before a removal, and keep the order they were made in.
  const sorted = edits
    .map((e, order) => ({ ...e, order }))
    .sort((a, b) => a.start - b.start || Number(a.end > a.start) - Number(b.end > b.start) || a.order - b.order);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new Unsupported('internal: overlapping edits');
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

function lineStartBefore(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 2) + 1;
}

/** Remove a group with the comments above it, and one of the blank lines around it. */
function removal(text: string, group: Group): Edit {
  let start = group.start;
  let end = group.end;
  const blankAt = (offset: number) => /^[ \t]*\r?\n/.test(text.slice(offset));
  const blankBefore = start === 0 || (start > 0 && blankAt(lineStartBefore(text, start)));
  if (blankBefore) {
    while (end < text.length && blankAt(end)) end = text.indexOf('\n', end) + 1;
  }
  if (end >= text.length) {
    while (start > 0 && blankAt(lineStartBefore(text, start))) start = lineStartBefore(text, start);
  }
  return { start, end, text: '' };
}

/** The text of a group in our rendered file, with the comments above it. */
function groupText(ours: Layout, group: Group): string {
  const text = ours.text.slice(group.start, group.end);
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** Insert a whole table after `after` (the end of a group), or at the end of the file. */
function insertion(text: string, at: number | undefined, body: string): Edit {
  if (at === undefined) {
    const newline = text.includes('\r\n') ? '\r\n' : '\n';
    const prefix = text === '' ? '' : text.endsWith('\n') ? newline : newline + newline;
    return { start: text.length, end: text.length, text: `${prefix}${body}` };
  }
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  return { start: at, end: at, text: `${text[at - 1] === '\n' ? '' : newline}${newline}${body}` };
}

// ---------------------------------------------------------------------------------------------
// The merge.

function parseOrExplain(text: string, what: string): Doc {
  try {
    return parse(text) as Doc;
  } catch (error) {
    const { line, column } = error as { line?: number; column?: number };
    const where = line === undefined ? '' : ` line ${line}${column === undefined ? '' : `, column ${column}`}`;
    const message = (error as Error).message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new UsageError(`${what}${where}: not valid TOML: ${message}`, `fix ${what} (or move it away) and run again; nothing was written`);
  }
}

function findGroup(l: Layout, ref: Ref): Group | undefined {
  if (ref.table === 'top') return undefined;
  if (ref.table === 'processes' || ref.table === 'http_service' || isKeyed(ref.table)) return l.tables.get(ref.table);
  const index = entryIds(ref.table, l.doc).indexOf(ref.id!);
  return index < 0 ? undefined : l.arrays.get(ref.table)![index];
}

function ownStatements(l: Layout, ref: Ref): Stmt[] | undefined {
  if (ref.table === 'top') return l.preamble;
  return findGroup(l, ref)?.own;
}

/**
 * Merge our new fly.toml (ours) into the user's (theirs), with our last output (base) when known.
 * Throws UsageError when theirs is not valid TOML.
 */
export function mergeFlyToml(theirs: string, ours: string, base: string | undefined, file = 'fly.toml'): FlyTomlMerge {
  const theirDoc = parseOrExplain(theirs, file);
  const ourDoc = parse(ours) as Doc;
  const baseDoc = base === undefined ? undefined : (parse(base) as Doc);
  try {
    return merge(theirs, theirDoc, ours, ourDoc, baseDoc);
  } catch (error) {
    if (error instanceof Unsupported) return { content: '', conflicts: [], error: error.message };
    throw error;
  }
}

function merge(theirs: string, theirDoc: Doc, ours: string, ourDoc: Doc, baseDoc: Doc | undefined): FlyTomlMerge {
  const newline = theirs.includes('\r\n') ? '\r\n' : '\n';
  const their = layout(theirs, theirDoc);
  const our = layout(ours.replace(/\r?\n/g, newline), ourDoc);
  const T = ownedUnits(theirDoc);
  const O = ownedUnits(ourDoc);
  const B = baseDoc ? ownedUnits(baseDoc) : undefined;
  // A key of [deploy] or [env] that we neither write now nor wrote last time is the user's alone.
  const theirsAlone = new Set<string>();
  for (const [k, unit] of [...T]) {
    if (isKeyed(unit.ref.table) && !O.has(k) && !B?.has(k)) {
      T.delete(k);
      theirsAlone.add(k);
    }
  }

  // Three-way merge of each owned value.
  const target = new Map<string, Unit>();
  const conflicts: string[] = [];
  const keys = new Set([...T.keys(), ...O.keys(), ...(B?.keys() ?? [])]);
  for (const key of keys) {
    const t = T.get(key);
    const o = O.get(key);
    const b = B?.get(key);
    let pick: Unit | undefined;
    if (same(t?.value, o?.value)) pick = t;
    else if (B && same(t?.value, b?.value)) pick = o;
    else if (B && same(o?.value, b?.value)) pick = t;
    else {
      pick = o;
      const label = (t ?? o ?? b)!.label;
      conflicts.push(`${label}: yours ${describe(t?.value)}, ours ${describe(o?.value)}${B ? `, last written ${describe(b?.value)}` : ''}`);
    }
    if (pick) target.set(key, pick);
  }
  // A table we must keep or add for one value is then ours as a whole (a conflict said so).
  for (const unit of [...target.values()]) {
    if (unit.ref.key === undefined || unit.ref.table === 'top' || unit.ref.table === 'processes' || isKeyed(unit.ref.table)) continue;
    const tableKey = refKey({ table: unit.ref.table, id: unit.ref.id });
    const ourTable = O.get(tableKey);
    if (!target.has(tableKey) && ourTable) {
      target.set(tableKey, ourTable);
      for (const [k, u] of O) if (u.ref.table === unit.ref.table && u.ref.id === unit.ref.id) target.set(k, u);
    }
  }
  // A table removed: keys inside it go too.
  for (const [k, unit] of [...target]) {
    if (unit.ref.key === undefined || unit.ref.table === 'top' || unit.ref.table === 'processes' || isKeyed(unit.ref.table)) continue;
    if (!target.has(refKey({ table: unit.ref.table, id: unit.ref.id }))) target.delete(k);
  }

  // Pass 1: add and remove whole tables.
  const edits: Edit[] = [];
  const changedTables = new Set<string>();
  const has = (ref: Ref) => target.has(refKey(ref));
  const wantProcesses = [...target.values()].some((u) => u.ref.table === 'processes');
  const theirProcesses = their.tables.get('processes');
  const removed = new Set<Group>();
  const remove = (group: Group, ref: Ref, theirValue: unknown, baseValue: unknown) => {
    removed.add(group);
    edits.push(removal(theirs, group));
    changedTables.add(refKey(ref));
    // Removing a table the user changed (any key, ours or not) loses their edit: ask first.
    const label = tableLabel(ref);
    if ((!B || !same(theirValue, baseValue)) && !conflicts.some((c) => c.startsWith(`${label}:`))) {
      conflicts.push(`${label}: would be removed, and ${B ? 'you edited it since it was last written' : 'it is not known to be ours'}`);
    }
  };
  if (theirProcesses && !wantProcesses) remove(theirProcesses, { table: 'processes' }, theirDoc.processes, baseDoc?.processes);
  const httpRef: Ref = { table: 'http_service' };
  const theirHttp = their.tables.get('http_service');
  if (theirHttp && !has(httpRef)) remove(theirHttp, httpRef, theirDoc.http_service, baseDoc?.http_service);
  for (const table of ARRAYS) {
    const ids = entryIds(table, theirDoc);
    const baseIds = baseDoc ? entryIds(table, baseDoc) : [];
    ids.forEach((id, index) => {
      if (table === 'restart' && id !== 'all') return;
      if (!has({ table, id })) {
        const baseIndex = baseIds.indexOf(id);
        remove(their.arrays.get(table)![index]!, { table, id }, (theirDoc[table] as unknown[])[index], baseIndex < 0 ? undefined : (baseDoc![table] as unknown[])[baseIndex]);
      }
    });
  }

  // Where new tables go: after the last kept group of the kinds that come before them in our template.
  const kept = (g: Group | undefined) => (g && !removed.has(g) ? g : undefined);
  const lastOf = (...names: string[]): number | undefined => {
    for (const name of names) {
      if (name === 'services' || name === 'restart') {
        const group = [...their.arrays.get(name)!].reverse().find(kept);
        if (group) return group.end;
      } else if (name === 'processes' || name === 'http_service') {
        const group = kept(their.tables.get(name));
        if (group) return group.end;
      } else {
        const header = their.stmts.find((s) => s.kind === 'header' && s.path.length === 1 && s.path[0] === name && !s.array);
        if (header) return groupEnd(their, header);
      }
    }
    return undefined;
  };
  // [deploy] and [env] for a key of ours: only the header (and its comments); the key comes in pass 2.
  for (const table of KEYED) {
    if (their.tables.get(table) || ![...target.values()].some((u) => u.ref.table === table)) continue;
    const group = our.tables.get(table)!;
    edits.push(insertion(theirs, table === 'deploy' ? lastOf('build') : lastOf('deploy', 'build'), our.text.slice(group.start, group.header.end)));
    changedTables.add(refKey({ table }));
  }
  if (wantProcesses && !theirProcesses) {
    const group = our.tables.get('processes')!;
    // Only the header and its comments: the keys are added in pass 2, as merged.
    const header = our.text.slice(group.start, group.header.end);
    edits.push(insertion(theirs, lastOf('build'), header));
    changedTables.add(refKey({ table: 'processes' }));
  }
  if (has(httpRef) && !theirHttp) {
    edits.push(insertion(theirs, lastOf('processes', 'build'), groupText(our, our.tables.get('http_service')!)));
    changedTables.add(refKey(httpRef));
  }
  for (const table of ARRAYS) {
    const theirIds = new Set(entryIds(table, theirDoc));
    const ourIds = entryIds(table, ourDoc);
    ourIds.forEach((id, index) => {
      if (!has({ table, id }) || theirIds.has(id)) return;
      const anchor = table === 'services' ? lastOf('services', 'http_service', 'processes', 'build') : undefined;
      edits.push(insertion(theirs, anchor, groupText(our, our.arrays.get(table)![index]!)));
      changedTables.add(refKey({ table, id }));
    });
  }
  const pass1 = applyEdits(theirs, edits);

  // Pass 2: set, add and remove owned keys, table by table.
  const middle = layout(pass1, parse(pass1) as Doc);
  const current = ownedUnits(middle.doc);
  const keyEdits: Edit[] = [];
  for (const k of new Set([...current.keys(), ...target.keys()])) {
    if (theirsAlone.has(k)) continue;
    const want = target.get(k);
    const now = current.get(k);
    const ref = (want ?? now)!.ref;
    if (ref.key === undefined || same(want?.value, now?.value)) continue;
    const stmts = ownStatements(middle, ref);
    if (!stmts) throw new Unsupported(`internal: ${(want ?? now)!.label} has no table after pass 1`);
    const line = stmts.find((s) => s.kind === 'kv' && s.path.length === 1 && s.path[0] === ref.key);
    if (want === undefined) {
      const group = isKeyed(ref.table) ? findGroup(middle, ref) : undefined;
      // A [deploy] or [env] that held only our key goes with it.
      if (line && group && group.own.filter((st) => st.kind === 'kv').length === 1 && group.end === line.end) keyEdits.push(removal(pass1, group));
      else if (line) keyEdits.push({ start: line.start, end: line.end, text: '' });
      continue;
    }
    // The new value is always ours: take its text from our file.
    const ourLine = ownStatements(our, ref)?.find((s) => s.kind === 'kv' && s.path.length === 1 && s.path[0] === ref.key);
    if (!ourLine) throw new Unsupported(`internal: ${want.label} is not in the rendered fly.toml`);
    const valueText = our.text.slice(ourLine.valueStart, ourLine.valueEnd);
    if (line) {
      keyEdits.push({ start: line.valueStart, end: line.valueEnd, text: valueText });
      continue;
    }
    keyEdits.push(keyInsertion(middle, ref, stmts, our, ourLine));
  }
  const merged = applyEdits(pass1, keyEdits);

  // Check: the owned values are as merged, and nothing else changed.
  const mergedDoc = parse(merged) as Doc;
  const result = ownedUnits(mergedDoc);
  const mismatch = [...new Set([...result.keys(), ...target.keys()])].find((k) => !theirsAlone.has(k) && !same(result.get(k)?.value, target.get(k)?.value));
  if (mismatch) throw new Unsupported(`internal: the merged file does not hold the intended ${(result.get(mismatch) ?? target.get(mismatch))!.label}`);
  for (const k of new Set([...T.keys(), ...result.keys()])) {
    const unit = (T.get(k) ?? result.get(k))!;
    if (unit.ref.key === undefined && unit.ref.table !== 'top' && T.has(k) !== result.has(k)) changedTables.add(k);
  }
  if (!same(unowned(theirDoc, changedTables), unowned(mergedDoc, changedTables))) {
    throw new Unsupported('internal: the merge would change keys this tool does not own');
  }
  return { content: merged, conflicts };
}

/** End of the last key of the table that starts at header, sub-tables included. */
function groupEnd(l: Layout, header: Stmt): number {
  let end = header.end;
  for (let j = l.stmts.indexOf(header) + 1; j < l.stmts.length; j++) {
    const s = l.stmts[j]!;
    if (s.kind === 'header' && (s.path.length === 1 || s.path[0] !== header.path[0])) break;
    if (s.kind === 'kv' || s.kind === 'header') end = s.end;
  }
  return end;
}

function tableLabel(ref: Ref): string {
  if (ref.table === 'services' || ref.table === 'restart') return entryLabel(ref.table, ref.id ?? '');
  return ref.table === 'top' ? 'top level' : `[${ref.table}]`;
}

/** A new `key = value` line after the last key of the table (or its header), indented like its neighbours. */
function keyInsertion(l: Layout, ref: Ref, stmts: Stmt[], our: Layout, ourLine: Stmt): Edit {
  const newline = l.text.includes('\r\n') ? '\r\n' : '\n';
  const keys = stmts.filter((s) => s.kind === 'kv');
  const last = keys[keys.length - 1];
  const indent = last ? last.indent : ourLine.indent;
  // Comment lines right above our key (e.g. what kill_signal means) come along.
  const ourStmts = our.stmts;
  let from = ourStmts.indexOf(ourLine);
  while (from > 0 && ourStmts[from - 1]!.kind === 'comment') from--;
  const comments = ourStmts.slice(from, ourStmts.indexOf(ourLine)).map((s) => `${indent}${our.text.slice(s.start, s.end).trimStart()}`);
  let body = comments.join('') + indent + our.text.slice(ourLine.start + ourLine.indent.length, ourLine.end);
  if (!body.endsWith('\n')) body += newline;
  if (last) {
    const prefix = l.text.slice(0, last.end).endsWith('\n') ? '' : newline;
    return { start: last.end, end: last.end, text: prefix + body };
  }
  if (ref.table === 'top') {
    // No top-level key yet: before the first table, with a blank line after.
    const firstHeader = l.stmts.find((s) => s.kind === 'header');
    if (!firstHeader) {
      const prefix = l.text === '' || l.text.endsWith('\n') ? '' : newline;
      return { start: l.text.length, end: l.text.length, text: prefix + body };
    }
    let at = firstHeader.start;
    const index = l.stmts.indexOf(firstHeader);
    for (let k = index - 1; k >= 0 && l.stmts[k]!.kind === 'comment'; k--) at = l.stmts[k]!.start;
    return { start: at, end: at, text: body + newline };
  }
  const group = findGroup(l, ref)!;
  return { start: group.header.end, end: group.header.end, text: body };
}

function describe(value: unknown): string {
  if (value === undefined) return '(none)';
  if (value === true) return '(present)';
  return JSON.stringify(value);
}

/** Process groups in a fly.toml ([]: none, the app runs as the default group "app"). */
export function processGroups(text: string): string[] {
  try {
    const doc = parse(text) as Doc;
    return isTable(doc.processes) ? Object.keys(doc.processes) : [];
  } catch {
    return [];
  }
}

/** What a change of fly.toml does to running Machines: a group that leaves [processes] has its Machines destroyed on the next deploy. */
export function groupWarnings(before: string, after: string, file = 'fly.toml'): string[] {
  const old = processGroups(before);
  const now = new Set(processGroups(after));
  if (!old.length && now.size && !now.has('app')) {
    return [
      `${file} gets [processes] (${[...now].join(', ')}): if this app is already deployed, the next \`fly deploy\` destroys the Machines of its default group "app" and creates new ones per group.`,
    ];
  }
  if (!old.length) return [];
  const gone = old.filter((g) => !now.has(g));
  if (!gone.length) return [];
  const list = gone.map((g) => `"${g}"`).join(', ');
  if (now.size === 0) {
    return [
      `${file} no longer has [processes]: the next \`fly deploy\` destroys the Machines of the process group${gone.length === 1 ? '' : 's'} ${list} and runs the app as the single default group "app". If that is not what you want, keep --strategy process-groups.`,
    ];
  }
  return [
    `${file}: process group${gone.length === 1 ? '' : 's'} ${list} ${gone.length === 1 ? 'is' : 'are'} removed from [processes]: the next \`fly deploy\` destroys ${gone.length === 1 ? "its" : "their"} Machines. To keep ${gone.length === 1 ? 'it' : 'them'}, pass every process again with --process.`,
  ];
}

/** `processes = [...]` filters that name a group fly.toml does not define: fly deploy rejects the config. */
export function filterProblems(text: string, file = 'fly.toml'): string[] {
  let doc: Doc;
  try {
    doc = parse(text) as Doc;
  } catch {
    return [];
  }
  const groups = new Set(isTable(doc.processes) ? Object.keys(doc.processes) : ['app']);
  const problems: string[] = [];
  const check = (where: string, entry: unknown) => {
    if (!isTable(entry) || !Array.isArray(entry.processes)) return;
    const unknown = entry.processes.filter((p) => typeof p === 'string' && !groups.has(p));
    if (unknown.length) problems.push(`${file}: ${where} has processes = ${JSON.stringify(entry.processes)}, but ${unknown.map((u) => `"${u}"`).join(', ')} ${unknown.length === 1 ? 'is not a process group' : 'are not process groups'} (groups: ${[...groups].join(', ')}); fly deploy rejects this: edit the filter`);
  };
  check('[http_service]', doc.http_service);
  for (const name of ['services', 'vm', 'mounts', 'restart', 'statics']) {
    const value = doc[name];
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
    list.forEach((entry, i) => check(`[[${name}]] #${i + 1}`, entry));
  }
  return problems;
}
