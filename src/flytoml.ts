/**
 * Edit a fly.toml that is also the user's (and `fly launch`'s): change only what this tool owns,
 * keep every other key, comment, blank line and the formatting.
 *
 * Owned (see OWNED below, one entry per owned key or table):
 * - top level: app, primary_region, kill_signal, kill_timeout;
 * - each group in [processes] (legacy `processes = []` / `[[processes]]` forms are read like flyctl
 *   and rewritten as a [processes] table only when the groups change);
 * - per service that serves one of our processes, whether it is the user's [http_service] or
 *   [[services]] entry or ours: internal_port, the processes filter, and auto_stop_machines only
 *   where the strategy needs it off (a process without a port on the same Machine). The service
 *   itself is owned only when we add it, or remove one we wrote. A user's service is adopted, never
 *   replaced: it is known by its processes filter, else by its internal_port, else, when exactly one
 *   of theirs and one of ours are left, by elimination ([http_service] pairs with [http_service]);
 * - the [[restart]] entry without a processes filter (its policy).
 *
 * Each owned value is merged three ways: our last output (base, when known), the user's file
 * (theirs) and our new output (ours). A value only one side changed takes that side's change; when
 * both changed it differently (or base is unknown and they differ) it is a conflict, and "overwrite"
 * takes ours for that value only. Values are compared as flyctl reads them (kill_timeout 90 =
 * "1m30s", auto_stop_machines true = "stop"), and a value that did not change keeps the user's
 * spelling. New tables are copied from our rendered fly.toml. The result is parsed again and
 * checked: owned values as intended, everything else equal to the user's file. A file that writes
 * an owned table in a form this editor does not change (inline tables, dotted keys) is not merged:
 * the reason is returned in the user's terms, and nothing is replaced.
 */
import { parse } from 'smol-toml';
import { UsageError } from './errors.js';
import { bypassFindings, filterFindings, isTable, killTimeoutSeconds, legacyProcesses, processMap, shlexSplit } from './flytoml-rules.js';

type Doc = Record<string, unknown>;

export interface FlyTomlMerge {
  /** The merged file: theirs with our owned values (ours win where both changed). */
  content: string;
  /** Owned values the user changed that we would change too (or cannot tell, without a base). */
  conflicts: string[];
  /** What the merge changed in the user's tables (adopted services), in the user's terms. */
  changes: string[];
  /** Why the file cannot be merged, and what the choices are; then content is ''. */
  error?: string;
}

export interface MergeOptions {
  file?: string;
  /**
   * Owned top-level keys (and 'processes') whose base value is not known: the last run imported
   * them from fly.toml itself, so the rebuilt base holds the user's current value. A difference
   * there is a conflict, never a silent update.
   */
  untrusted?: readonly string[];
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
  /** Service ids (see nameServices) -> where the service is. */
  services: Map<string, Group>;
}

/**
 * The owned-key table: each entry is one owned key, merged three ways. Adding one:
 * - a top-level key: one entry in `top`;
 * - a key of every service that serves one of our processes ([http_service] or [[services]]): `service`;
 * - a key of another single table: one entry in `tables`, e.g. `deploy: ['release_command']` or
 *   `env: ['PORT']`; the table is created (its header copied from our rendered fly.toml) when the
 *   user's file has none, and the user's other keys in it are never touched.
 * An owned array of tables (e.g. [[statics]]) needs an identity rule, like restartIds() for [[restart]].
 * How flyctl compares two spellings of a value is in normal().
 */
export const OWNED: {
  top: readonly string[];
  service: readonly string[];
  restart: readonly string[];
  tables: Readonly<Record<string, readonly string[]>>;
} = {
  top: ['app', 'primary_region', 'kill_signal', 'kill_timeout'],
  service: ['internal_port', 'processes', 'auto_stop_machines'],
  restart: ['policy'],
  tables: { deploy: ['release_command'], env: ['PORT'] },
};

const TABLES = ['processes', 'http_service'] as const;
const ARRAYS = ['services', 'restart'] as const;

/** How flyctl reads a value, for comparing two spellings of it. */
function normal(key: string | undefined, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (key === 'kill_timeout') return killTimeoutSeconds(value) ?? value;
  if (key === 'auto_stop_machines') return value === true ? 'stop' : value === false ? 'off' : value;
  if (key === 'internal_port' && typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function layout(text: string, doc: Doc, naming: Naming): Layout {
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
    if (name === 'processes' && legacyProcesses(doc)) continue; // read by processMap, rewritten only when it changes
    const found = groups.filter((g) => g.header.path[0] === name && !g.header.array);
    if (doc[name] !== undefined && found.length !== 1) {
      throw new Unsupported(`${name} is written as an inline table or with dotted keys (${name}.key = ...), and this tool edits only a [${name}] table: rewrite it as a [${name}] section`);
    }
    if (found[0]) tables.set(name, found[0]);
  }
  for (const name of ARRAYS) {
    const found = groups.filter((g) => g.header.path[0] === name && g.header.array);
    const value = doc[name];
    // `services = []` (older fly launch files) is an empty list: nothing to edit.
    if (value !== undefined && (!Array.isArray(value) || value.length !== found.length)) {
      throw new Unsupported(`${name} is written as an inline array (${name} = [...]), and this tool edits only [[${name}]] sections: rewrite each entry as a [[${name}]] section`);
    }
    arrays.set(name, found);
  }
  // Owned keys must be plain `key = value` lines where we look for them.
  for (const key of OWNED.top) {
    if (doc[key] !== undefined && !preamble.some((s) => s.kind === 'kv' && s.path.length === 1 && s.path[0] === key)) {
      throw new Unsupported(`${key} is not written as a top-level "${key} = ..." line`);
    }
  }
  const processes = doc.processes;
  if (isTable(processes)) {
    const own = tables.get('processes')!.own.filter((s) => s.kind === 'kv');
    if (own.length !== Object.keys(processes).length || own.some((s) => s.path.length !== 1)) {
      throw new Unsupported('[processes] uses dotted keys or sub-tables, and this tool edits only "name = command" lines there');
    }
  }
  for (const name of Object.keys(OWNED.tables)) {
    const found = groups.filter((g) => g.header.path[0] === name && !g.header.array);
    if (found.length === 1) tables.set(name, found[0]!);
  }
  const services = new Map<string, Group>();
  const svcGroups = serviceList(doc).map((s) => (s.kind === 'http_service' ? tables.get('http_service') : arrays.get('services')![s.index]));
  for (const [index, id] of naming(doc)) {
    const group = svcGroups[index];
    if (group) services.set(id, group);
  }
  return { text, doc, stmts, preamble, tables, arrays, services };
}

// ---------------------------------------------------------------------------------------------
// Services, known by the process they serve.

interface Svc {
  kind: 'http_service' | 'services';
  /** Index among [[services]] (0 for http_service). */
  index: number;
  entry: Doc;
}

/** [http_service] first, then each [[services]] entry (flyctl's AllServices order). */
function serviceList(doc: Doc): Svc[] {
  const out: Svc[] = [];
  if (isTable(doc.http_service)) out.push({ kind: 'http_service', index: 0, entry: doc.http_service });
  if (Array.isArray(doc.services)) doc.services.forEach((entry, index) => out.push({ kind: 'services', index, entry: isTable(entry) ? entry : {} }));
  return out;
}

function filterOf(entry: Doc): string[] | undefined {
  const f = entry.processes;
  return Array.isArray(f) && f.length && f.every((p) => typeof p === 'string') ? (f as string[]) : undefined;
}

function portOf(entry: Doc): number | undefined {
  const p = normal('internal_port', entry.internal_port);
  return typeof p === 'number' ? p : undefined;
}

/** A service of ours (or of our last output): its id, and what identifies it in the user's file. */
interface Candidate {
  id: string;
  port?: number;
  filter?: string[];
  http: boolean;
}

function selfId(entry: Doc): string {
  const filter = filterOf(entry);
  return filter ? `processes=${filter.join(',')}` : `port=${String(portOf(entry) ?? entry.internal_port)}`;
}

function candidatesOf(doc: Doc): Candidate[] {
  const seen = new Map<string, number>();
  return serviceList(doc).map((s) => {
    let id = selfId(s.entry);
    const count = (seen.get(id) ?? 0) + 1;
    seen.set(id, count);
    if (count > 1) id = `${id}#${count}`;
    return { id, port: portOf(s.entry), filter: filterOf(s.entry), http: s.kind === 'http_service' };
  });
}

/**
 * Which candidate each service of a document is (index in serviceList -> id): by processes filter,
 * then by internal_port, then [http_service] with [http_service], then the last one of each side.
 * A service that matches none is the user's own and not owned.
 */
function matchServices(doc: Doc, candidates: Candidate[]): Map<number, string> {
  const list = serviceList(doc);
  const result = new Map<number, string>();
  const free = new Set(candidates.map((c) => c.id));
  const take = (i: number, c: Candidate | undefined) => {
    if (!c) return;
    result.set(i, c.id);
    free.delete(c.id);
  };
  const open = () => list.map((_, i) => i).filter((i) => !result.has(i));
  const avail = () => candidates.filter((c) => free.has(c.id));
  for (const i of open()) {
    const filter = filterOf(list[i]!.entry);
    if (filter) take(i, avail().find((c) => c.filter?.join(',') === filter.join(',')));
  }
  // A service shared by several groups, or filtered on one of our groups that this one is not, is
  // the user's own. One without a filter, or filtered on a group that is not ours (fly launch's
  // "app"), is ours when it has our port, or is the only one left on both sides.
  const ourNames = new Set(candidates.flatMap((c) => c.filter ?? []));
  const pairable = (i: number) => {
    const filter = filterOf(list[i]!.entry);
    return !filter || (filter.length === 1 && !ourNames.has(filter[0]!));
  };
  for (const i of open()) {
    const port = portOf(list[i]!.entry);
    if (port !== undefined && pairable(i)) take(i, avail().find((c) => c.port === port));
  }
  const http = open().find((i) => list[i]!.kind === 'http_service' && pairable(i));
  if (http !== undefined) take(http, avail().find((c) => c.http));
  const rest = open().filter(pairable);
  if (rest.length === 1 && avail().length === 1) take(rest[0]!, avail()[0]);
  return result;
}

/** A document -> its service ids; built once per merge from ours and base. */
type Naming = (doc: Doc) => Map<number, string>;

function describeSvc(id: string): string {
  const bare = id.replace(/\(last\)$/, '').replace(/#\d+$/, '');
  if (bare.startsWith('processes=')) return `the service for ${bare.slice('processes='.length)}`;
  return `the service on internal_port ${bare.slice('port='.length)}`;
}

// ---------------------------------------------------------------------------------------------
// Owned values.

/** Where an owned value lives: a table (an array entry or service by id) and a key (none: the table itself). */
interface Ref {
  table: 'top' | 'processes' | 'svc' | 'restart' | 'tbl';
  id?: string;
  key?: string;
}

interface Unit {
  ref: Ref;
  label: string;
  value: unknown;
  /** How the user's (or our) file spells it, for messages. */
  raw: unknown;
}

function restartIds(doc: Doc): string[] {
  const list = Array.isArray(doc.restart) ? (doc.restart as unknown[]) : [];
  const seen = new Map<string, number>();
  return list.map((entry) => {
    const filter = isTable(entry) && Array.isArray(entry.processes) ? `processes=${entry.processes.join(',')}` : 'all';
    const count = (seen.get(filter) ?? 0) + 1;
    seen.set(filter, count);
    return count === 1 ? filter : `${filter}#${count}`;
  });
}

function refKey(ref: Ref): string {
  return JSON.stringify([ref.table, ref.id ?? null, ref.key ?? null]);
}

function tableLabel(ref: Ref): string {
  if (ref.table === 'svc') return describeSvc(ref.id ?? '');
  if (ref.table === 'restart') return '[[restart]] without a processes filter';
  if (ref.table === 'tbl') return `[${ref.id}]`;
  return ref.table === 'top' ? 'top level' : '[processes]';
}

function ownedUnits(doc: Doc, naming: Naming, groups: boolean): Map<string, Unit> {
  const units = new Map<string, Unit>();
  const add = (ref: Ref, label: string, raw: unknown) => {
    // [processes] commands are compared as flyctl splits them: quoting is spelling, not a change.
    let value = ref.table === 'processes' && typeof raw === 'string' ? (shlexSplit(raw) ?? raw) : normal(ref.key, raw);
    // Without [processes] the only group is "app": a filter naming it is the same as none.
    if (ref.table === 'svc' && ref.key === 'processes' && !groups && Array.isArray(value) && value.length === 1 && value[0] === 'app') value = undefined;
    if (value !== undefined) units.set(refKey(ref), { ref, label, value, raw });
  };
  for (const key of OWNED.top) add({ table: 'top', key }, key, doc[key]);
  const processes = processMap(doc);
  if (processes) for (const [name, command] of Object.entries(processes)) add({ table: 'processes', key: name }, `[processes] ${name}`, command);
  const list = serviceList(doc);
  for (const [index, id] of naming(doc)) {
    const svc = list[index]!;
    const where = svc.kind === 'http_service' ? '[http_service]' : `[[services]] ${describeSvc(id).replace(/^the service /, '')}`;
    add({ table: 'svc', id }, where, true);
    for (const key of OWNED.service) add({ table: 'svc', id, key }, `${where} ${key}`, svc.entry[key]);
  }
  for (const [name, keys] of Object.entries(OWNED.tables)) {
    const table = doc[name];
    if (!isTable(table)) continue;
    // [env] values are strings to flyctl, whatever their TOML type (patches.go:67-116).
    for (const key of keys) add({ table: 'tbl', id: name, key }, `[${name}] ${key}`, name === 'env' && table[key] !== undefined && typeof table[key] !== 'string' ? String(table[key]) : table[key]);
  }
  const restarts = Array.isArray(doc.restart) ? (doc.restart as unknown[]) : [];
  restartIds(doc).forEach((id, index) => {
    if (id !== 'all') return; // only the unfiltered restart policy is ours
    const entry = isTable(restarts[index]) ? restarts[index] : {};
    add({ table: 'restart', id }, '[[restart]]', true);
    for (const key of OWNED.restart) add({ table: 'restart', id, key }, `[[restart]] ${key}`, entry[key]);
  });
  return units;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'bigint' || typeof b === 'bigint') return Number(a) === Number(b);
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
function unowned(doc: Doc, naming: Naming, changedTables: Set<string>): Doc {
  const copy: Doc = { ...doc };
  for (const key of OWNED.top) delete copy[key];
  delete copy.processes;
  for (const [name, keys] of Object.entries(OWNED.tables)) {
    const table = copy[name];
    if (!isTable(table)) continue;
    const rest = { ...table };
    for (const key of keys) delete rest[key];
    if (Object.keys(rest).length) copy[name] = rest;
    else delete copy[name]; // a table that holds only our keys may come and go with them
  }
  const ids = naming(doc);
  const list = serviceList(doc);
  const strip = (svc: Svc): Doc | undefined => {
    const id = [...ids].find(([i]) => list[i] === svc)?.[1];
    if (id === undefined) return svc.entry;
    if (changedTables.has(refKey({ table: 'svc', id }))) return undefined;
    const e = { ...svc.entry };
    for (const key of OWNED.service) delete e[key];
    return e;
  };
  const http = list.find((s) => s.kind === 'http_service');
  if (http) {
    const kept = strip(http);
    if (kept) copy.http_service = kept;
    else delete copy.http_service;
  }
  if (Array.isArray(copy.services)) {
    const kept = list.filter((s) => s.kind === 'services').map(strip).filter((e): e is Doc => e !== undefined);
    if (kept.length) copy.services = kept;
    else delete copy.services;
  }
  if (Array.isArray(copy.restart)) {
    const rids = restartIds(doc);
    const kept = (copy.restart as Doc[])
      .map((entry, index) => ({ entry, id: rids[index]! }))
      .filter(({ id }) => !changedTables.has(refKey({ table: 'restart', id })))
      .map(({ entry, id }) => {
        if (id !== 'all') return entry;
        const e = { ...entry };
        for (const key of OWNED.restart) delete e[key];
        return e;
      });
    if (kept.length) copy.restart = kept;
    else delete copy.restart;
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
    if (e.start < at) {
      // Two removals that meet (adjacent tables, each taking a blank line with it): one removal.
      if (e.text === '' && e.end >= e.start) {
        at = Math.max(at, e.end);
        continue;
      }
      throw new Internal('two edits overlap');
    }
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
    return parseCached(text);
  } catch (error) {
    const { line, column } = error as { line?: number; column?: number };
    const where = line === undefined ? '' : ` line ${line}${column === undefined ? '' : `, column ${column}`}`;
    const message = (error as Error).message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new UsageError(`${what}${where}: not valid TOML: ${message}`, `fix ${what} (or move it away) and run again; nothing was written`);
  }
}

function findGroup(l: Layout, ref: Ref): Group | undefined {
  if (ref.table === 'top') return undefined;
  if (ref.table === 'processes') return l.tables.get('processes');
  if (ref.table === 'svc') return l.services.get(ref.id!);
  if (ref.table === 'tbl') return l.tables.get(ref.id!);
  const index = restartIds(l.doc).indexOf(ref.id!);
  return index < 0 ? undefined : l.arrays.get('restart')![index];
}

function ownStatements(l: Layout, ref: Ref): Stmt[] | undefined {
  if (ref.table === 'top') return l.preamble;
  return findGroup(l, ref)?.own;
}

const BOM = '\uFEFF';

/**
 * One run parses the same few texts several times (the merge, its checks, the warnings): parse each
 * once. The documents are only read, never changed.
 */
const parsed = new Map<string, Doc>();
function parseCached(text: string): Doc {
  let doc = parsed.get(text);
  if (!doc) {
    doc = parse(text) as Doc;
    if (parsed.size >= 16) parsed.delete(parsed.keys().next().value!);
    parsed.set(text, doc);
  }
  return doc;
}

/** Internal inconsistencies of the editor: never shown as such (see mergeFlyToml). */
class Internal extends Error {}

/**
 * Merge our new fly.toml (ours) into the user's (theirs), with our last output (base) when known.
 * Throws UsageError when theirs is not valid TOML. A file this editor cannot change safely comes
 * back with `error` (why, in the user's terms, and what to do); nothing is ever replaced whole.
 */
export function mergeFlyToml(theirs: string, ours: string, base: string | undefined, options: MergeOptions = {}): FlyTomlMerge {
  const file = options.file ?? 'fly.toml';
  const bom = theirs.startsWith(BOM);
  const text = bom ? theirs.slice(1) : theirs;
  const theirDoc = parseOrExplain(text, file);
  const ourDoc = parseCached(ours);
  let baseDoc: Doc | undefined;
  try {
    baseDoc = base === undefined ? undefined : parseCached(base.startsWith(BOM) ? base.slice(1) : base);
  } catch {
    baseDoc = undefined; // a base rendered from user templates that no longer parse: merge without one
  }
  const choices = `keep your ${file} as it is with --skip (the other files are still written), or edit it as described and run again; nothing was written`;
  try {
    const result = merge(text, theirDoc, ours, ourDoc, baseDoc, new Set(options.untrusted ?? []), file);
    if (bom) result.content = BOM + result.content;
    return result;
  } catch (error) {
    if (error instanceof Unsupported) return { content: '', conflicts: [], changes: [], error: `${error.message}; ${choices}` };
    if (error instanceof Internal) {
      return { content: '', conflicts: [], changes: [], error: `this tool could not update the keys it owns without touching others of yours (${error.message}: please report this, with the file); ${choices}` };
    }
    throw error;
  }
}

function merge(theirs: string, theirDoc: Doc, ours: string, ourDoc: Doc, baseDoc: Doc | undefined, untrusted: Set<string>, file: string): FlyTomlMerge {
  const newline = theirs.includes('\r\n') ? '\r\n' : '\n';
  // Services are known by the process they serve: ours name themselves, the base's are matched to
  // ours (or keep their own ids when this run drops them), the user's are matched to both.
  const ourCandidates = candidatesOf(ourDoc);
  const baseMatch = baseDoc ? matchServices(baseDoc, ourCandidates) : new Map<number, string>();
  const baseOnly: Candidate[] = baseDoc
    ? candidatesOf(baseDoc)
        .filter((_, i) => !baseMatch.has(i))
        .map((c) => ({ ...c, id: `${c.id}(last)` }))
    : [];
  const cache = new Map<Doc, Map<number, string>>();
  const naming: Naming = (doc) => {
    let m = cache.get(doc);
    if (!m) {
      if (doc === ourDoc) m = new Map(ourCandidates.map((c, i) => [i, c.id]));
      else if (doc === baseDoc) {
        m = new Map(baseMatch);
        const cands = candidatesOf(baseDoc);
        cands.forEach((c, i) => {
          if (!m!.has(i)) m!.set(i, `${c.id}(last)`);
        });
      } else m = matchServices(doc, [...ourCandidates, ...baseOnly]);
      cache.set(doc, m);
    }
    return m;
  };
  const groupsAfter = processMap(ourDoc) !== undefined;
  const their = layout(theirs, theirDoc, naming);
  const our = layout(ours.replace(/\r?\n/g, newline), ourDoc, naming);
  const T = ownedUnits(theirDoc, naming, groupsAfter);
  const O = ownedUnits(ourDoc, naming, groupsAfter);
  const B = baseDoc ? ownedUnits(baseDoc, naming, groupsAfter) : undefined;

  // auto_stop_machines is ours only where the strategy needs it "off" (now, or in our last output).
  for (const [k, unit] of [...T, ...O, ...(B ?? [])]) {
    if (unit.ref.key !== 'auto_stop_machines') continue;
    if (O.get(k)?.value !== 'off' && B?.get(k)?.value !== 'off') {
      T.delete(k);
      O.delete(k);
      B?.delete(k);
    }
  }

  // Three-way merge of each owned value.
  const target = new Map<string, Unit>();
  const conflicts: string[] = [];
  const baseKnown = (ref: Ref) => B !== undefined && !(ref.table === 'top' && untrusted.has(ref.key!)) && !(ref.table === 'processes' && untrusted.has('processes'));
  const keys = new Set([...T.keys(), ...O.keys(), ...(B?.keys() ?? [])]);
  for (const key of keys) {
    const t = T.get(key);
    const o = O.get(key);
    const b = B?.get(key);
    const ref = (t ?? o ?? b)!.ref;
    const known = baseKnown(ref);
    let pick: Unit | undefined;
    // Our template leaves out app and primary_region only when it has no value for them: keep the user's.
    if (ref.table === 'top' && (ref.key === 'app' || ref.key === 'primary_region') && o === undefined) pick = t;
    // A key of a partly owned table ([env] PORT, [deploy] release_command) that this run does not
    // write and no known last output wrote is the user's own: kept as it is.
    else if (ref.table === 'tbl' && o === undefined && b === undefined) pick = t;
    else if (same(t?.value, o?.value)) pick = t;
    else if (known && same(t?.value, b?.value)) pick = o;
    else if (known && same(o?.value, b?.value)) pick = t;
    else {
      pick = o;
      const label = (t ?? o ?? b)!.label;
      if (ref.key !== undefined || ref.table === 'top') {
        conflicts.push(`${label}: yours ${describe(t?.raw)}, this run's ${describe(o?.raw)}${known ? `, last written ${describe(b?.raw)}` : ''}`);
      }
    }
    if (pick) target.set(key, pick);
  }
  // A table we must keep or add for one value is then ours as a whole (a conflict said so).
  for (const unit of [...target.values()]) {
    if (unit.ref.key === undefined || unit.ref.table === 'top' || unit.ref.table === 'processes' || unit.ref.table === 'tbl') continue;
    const tableKey = refKey({ table: unit.ref.table, id: unit.ref.id });
    const ourTable = O.get(tableKey);
    if (!target.has(tableKey) && ourTable) {
      target.set(tableKey, ourTable);
      for (const [k, u] of O) if (u.ref.table === unit.ref.table && u.ref.id === unit.ref.id) target.set(k, u);
    }
  }
  // A table removed: keys inside it go too.
  for (const [k, unit] of [...target]) {
    if (unit.ref.key === undefined || unit.ref.table === 'top' || unit.ref.table === 'processes' || unit.ref.table === 'tbl') continue;
    if (!target.has(refKey({ table: unit.ref.table, id: unit.ref.id }))) target.delete(k);
  }

  // Pass 1: add and remove whole tables.
  const edits: Edit[] = [];
  const changedTables = new Set<string>();
  const has = (ref: Ref) => target.has(refKey(ref));
  const wantProcesses = [...target.values()].some((u) => u.ref.table === 'processes');
  const removed = new Set<Group>();
  const remove = (group: Group, ref: Ref, theirValue: unknown, baseValue: unknown) => {
    removed.add(group);
    edits.push(removal(theirs, group));
    changedTables.add(refKey(ref));
    // Removing a table the user changed (any key, ours or not) loses their edit: ask first.
    const label = T.get(refKey(ref))?.label ?? tableLabel(ref);
    if ((!B || !same(theirValue, baseValue)) && !conflicts.some((c) => c.startsWith(`${label}:`))) {
      conflicts.push(`${label}: would be removed, and ${B ? 'you edited it since it was last written' : 'it is not known to be ours'}`);
    }
  };
  // Legacy [processes] forms stay as written while the groups do not change; otherwise they make way for a [processes] table.
  const theirProcesses = their.tables.get('processes');
  let legacyKept = false;
  if (legacyProcesses(theirDoc)) {
    const now = [...T.values()].filter((u) => u.ref.table === 'processes');
    const want = [...target.values()].filter((u) => u.ref.table === 'processes');
    legacyKept = now.length === want.length && now.every((u) => same(u.value, target.get(refKey(u.ref))?.value));
    if (!legacyKept) {
      for (const s of their.preamble) if (s.kind === 'kv' && s.path.length === 1 && s.path[0] === 'processes') edits.push({ start: s.start, end: s.end, text: '' });
      for (const g of legacyGroups(their, 'processes')) {
        removed.add(g);
        edits.push(removal(theirs, g));
      }
      changedTables.add(refKey({ table: 'processes' }));
    }
  }
  if (their.tables.get('processes') && !wantProcesses) remove(their.tables.get('processes')!, { table: 'processes' }, theirDoc.processes, baseDoc?.processes);
  const theirList = serviceList(theirDoc);
  const baseList = baseDoc ? serviceList(baseDoc) : [];
  const baseIds = baseDoc ? naming(baseDoc) : new Map<number, string>();
  for (const [index, id] of naming(theirDoc)) {
    if (has({ table: 'svc', id })) continue;
    const baseIndex = [...baseIds].find(([, bid]) => bid === id)?.[0];
    remove(their.services.get(id)!, { table: 'svc', id }, theirList[index]!.entry, baseIndex === undefined ? undefined : baseList[baseIndex]!.entry);
  }
  const restarts = Array.isArray(theirDoc.restart) ? (theirDoc.restart as unknown[]) : [];
  const baseRestarts = Array.isArray(baseDoc?.restart) ? (baseDoc!.restart as unknown[]) : [];
  restartIds(theirDoc).forEach((id, index) => {
    if (id !== 'all' || has({ table: 'restart', id })) return;
    const bi = baseDoc ? restartIds(baseDoc).indexOf(id) : -1;
    remove(their.arrays.get('restart')![index]!, { table: 'restart', id }, restarts[index], bi < 0 ? undefined : baseRestarts[bi]);
  });

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
  if (wantProcesses && !theirProcesses && !legacyKept) {
    const group = our.tables.get('processes')!;
    // Only the header and its comments: the keys are added in pass 2, as merged.
    const header = our.text.slice(group.start, group.header.end);
    edits.push(insertion(theirs, lastOf('build'), header));
    changedTables.add(refKey({ table: 'processes' }));
  }
  for (const name of Object.keys(OWNED.tables)) {
    const wanted = [...target.values()].some((u) => u.ref.table === 'tbl' && u.ref.id === name);
    const group = our.tables.get(name);
    if (!wanted || their.tables.get(name) || theirDoc[name] !== undefined || !group) continue;
    edits.push(insertion(theirs, undefined, `${our.text.slice(group.start, group.header.end)}`));
  }
  const theirIds = new Set(naming(theirDoc).values());
  const ourList = serviceList(ourDoc);
  for (const [index, id] of naming(ourDoc)) {
    if (!has({ table: 'svc', id }) || theirIds.has(id)) continue;
    const svc = ourList[index]!;
    if (svc.kind === 'http_service') {
      if (their.tables.get('http_service') && !removed.has(their.tables.get('http_service')!)) {
        const port = portOf(isTable(theirDoc.http_service) ? theirDoc.http_service : {});
        throw new Unsupported(
          `your [http_service] (internal_port ${port ?? 'not set'}) serves none of this run's processes, and this run needs [http_service] for ${describeSvc(id).replace(/^the service for /, '')}: set its internal_port (and processes filter) to the process it serves, or give that process its port with --port NAME=${port ?? 'PORT'}`,
        );
      }
      edits.push(insertion(theirs, lastOf('processes', 'build'), groupText(our, our.tables.get('http_service')!)));
    } else {
      // An empty inline `services = []` (older fly launch files) makes way for the [[services]] table.
      for (const s of their.preamble) if (s.kind === 'kv' && s.path.length === 1 && s.path[0] === 'services') edits.push({ start: s.start, end: s.end, text: '' });
      edits.push(insertion(theirs, lastOf('services', 'http_service', 'processes', 'build'), groupText(our, our.arrays.get('services')![svc.index]!)));
    }
    changedTables.add(refKey({ table: 'svc', id }));
  }
  restartIds(ourDoc).forEach((id, index) => {
    if (id !== 'all' || !has({ table: 'restart', id }) || restartIds(theirDoc).includes(id)) return;
    edits.push(insertion(theirs, undefined, groupText(our, our.arrays.get('restart')![index]!)));
    changedTables.add(refKey({ table: 'restart', id }));
  });
  const pass1 = applyEdits(theirs, dedupe(edits));

  // Pass 2: set, add and remove owned keys, table by table.
  let middleDoc: Doc;
  try {
    middleDoc = parseCached(pass1);
  } catch (error) {
    throw new Internal(`after adding and removing tables: ${(error as Error).message.split('\n')[0]}`);
  }
  const middle = layout(pass1, middleDoc, naming);
  const current = ownedUnits(middle.doc, naming, groupsAfter);
  const keyEdits: Edit[] = [];
  const changes: string[] = [];
  for (const k of new Set([...current.keys(), ...target.keys()])) {
    const want = target.get(k);
    const now = current.get(k);
    const ref = (want ?? now)!.ref;
    if (ref.key === undefined || same(want?.value, now?.value)) continue;
    if (want === undefined && ref.key === 'auto_stop_machines' && !O.has(k) && !B?.has(k)) continue; // not ours here
    const stmts = ownStatements(middle, ref);
    if (!stmts) throw new Internal(`${(want ?? now)!.label} has no table`);
    const line = stmts.find((s) => s.kind === 'kv' && s.path.length === 1 && s.path[0] === ref.key);
    if (ref.table === 'svc' && !changedTables.has(refKey({ table: 'svc', id: ref.id }))) {
      changes.push(`${(now ?? want)!.label}: ${describe(now?.raw)} -> ${describe(want?.raw)}`);
    }
    if (want === undefined) {
      if (line) keyEdits.push({ start: line.start, end: line.end, text: '' });
      else if (now !== undefined) throw new Unsupported(`${now.label} is not written as a "${ref.key} = ..." line`);
      continue;
    }
    // The new value is always ours: take its text from our file.
    const ourLine = ownStatements(our, ref)?.find((s) => s.kind === 'kv' && s.path.length === 1 && s.path[0] === ref.key);
    if (!ourLine) throw new Internal(`${want.label} is not in the rendered fly.toml`);
    const valueText = our.text.slice(ourLine.valueStart, ourLine.valueEnd);
    if (line) {
      keyEdits.push({ start: line.valueStart, end: line.valueEnd, text: valueText });
      continue;
    }
    if (now !== undefined) throw new Unsupported(`${now.label} is not written as a "${ref.key} = ..." line`);
    keyEdits.push(keyInsertion(middle, ref, stmts, our, ourLine));
  }
  const merged = applyEdits(pass1, keyEdits);

  // Check: the owned values are as merged, and nothing else changed.
  let mergedDoc: Doc;
  try {
    mergedDoc = parseCached(merged);
  } catch (error) {
    throw new Internal(`the edited file does not parse: ${(error as Error).message.split('\n')[0]}`);
  }
  cache.delete(mergedDoc);
  const result = ownedUnits(mergedDoc, naming, groupsAfter);
  for (const k of [...result.keys()]) if (result.get(k)!.ref.key === 'auto_stop_machines' && !target.has(k) && !O.has(k) && !B?.has(k)) result.delete(k);
  const mismatch = [...new Set([...result.keys(), ...target.keys()])].find((k) => !same(result.get(k)?.value, target.get(k)?.value));
  if (mismatch) throw new Internal(`the merged file does not hold the intended ${(result.get(mismatch) ?? target.get(mismatch))!.label}`);
  if (!same(unowned(theirDoc, naming, changedTables), unowned(mergedDoc, naming, changedTables))) {
    throw new Internal('the edit would change keys this tool does not own');
  }
  void file;
  return { content: merged, conflicts, changes };
}

/** The `[[name]]` groups of a legacy array of tables. */
function legacyGroups(l: Layout, name: string): Group[] {
  const out: Group[] = [];
  for (const s of l.stmts) {
    if (s.kind !== 'header' || !s.array || s.path.length !== 1 || s.path[0] !== name) continue;
    const own: Stmt[] = [];
    for (let j = l.stmts.indexOf(s) + 1; j < l.stmts.length && l.stmts[j]!.kind !== 'header'; j++) own.push(l.stmts[j]!);
    let start = s.start;
    for (let k = l.stmts.indexOf(s) - 1; k >= 0 && l.stmts[k]!.kind === 'comment'; k--) start = l.stmts[k]!.start;
    out.push({ header: s, own, start, end: groupEnd(l, s) });
  }
  return out;
}

/** Identical edits (the same line removed twice) once. */
function dedupe(edits: Edit[]): Edit[] {
  const seen = new Set<string>();
  return edits.filter((e) => {
    const key = `${e.start}:${e.end}:${e.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
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
  if (typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** Process groups in a fly.toml ([]: none, the app runs as the default group "app"). */
export function processGroups(text: string): string[] {
  try {
    const doc = parseCached(text.startsWith(BOM) ? text.slice(1) : text);
    return Object.keys(processMap(doc) ?? {});
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

/** flyctl's filter rules and the settings that bypass the generated files, on a fly.toml text (see flytoml-rules.ts): each finding as one message. */
export function filterProblems(text: string, file = 'fly.toml'): { errors: string[]; warnings: string[] } {
  let doc: Doc;
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  try {
    doc = parseCached(body);
  } catch {
    return { errors: [], warnings: [] };
  }
  const findings = [...filterFindings(doc, body, file), ...bypassFindings(doc, body, file)];
  return { errors: findings.filter((f) => f.severity === 'error').map((f) => f.message), warnings: findings.filter((f) => f.severity === 'warning').map((f) => f.message) };
}
