import { isTable, legacyProcesses } from '../flytoml-rules.js';
import { type Doc, type Stmt, Unsupported, scan } from './scan.js';
import { type Naming, serviceList } from './services.js';

// ---------------------------------------------------------------------------------------------
// Where the owned tables are in a text.

/** A table and its sub-tables ([http_service] with [http_service.concurrency], [[services]] with [[services.ports]]). */
export interface Group {
  header: Stmt;
  /** The table's own statements (up to its first sub-table or the next table). */
  own: Stmt[];
  /** Start of the comment lines right above the header (they belong to it). */
  start: number;
  /** End of the last key of the group (trailing blank lines and comments stay outside). */
  end: number;
}

export interface Layout {
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
  /** Keys of each [[statics]] entry this tool writes (known by its url_prefix). */
  statics: readonly string[];
  tables: Readonly<Record<string, readonly string[]>>;
} = {
  top: ['app', 'primary_region', 'kill_signal', 'kill_timeout'],
  service: ['internal_port', 'processes', 'auto_stop_machines'],
  restart: ['policy'],
  statics: ['guest_path'],
  tables: { deploy: ['release_command'], env: ['PORT'] },
};

export const TABLES = ['processes', 'http_service'] as const;
export const ARRAYS = ['services', 'restart', 'statics'] as const;

/** The top-level tables of a scanned text, each with its sub-tables and the comments above it. */
function groupsOf(stmts: Stmt[]): Group[] {
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
  return groups;
}

/** The owned tables and arrays of tables; Unsupported when one is written in a form this editor does not change. */
function ownedGroups(
  doc: Doc,
  groups: Group[],
  ownsStatics: boolean,
): { tables: Map<string, Group>; arrays: Map<string, Group[]> } {
  const tables = new Map<string, Group>();
  const arrays = new Map<string, Group[]>();
  for (const name of TABLES) {
    if (name === 'processes' && legacyProcesses(doc)) continue; // read by processMap, rewritten only when it changes
    const found = groups.filter((g) => g.header.path[0] === name && !g.header.array);
    if (doc[name] !== undefined && found.length !== 1) {
      throw new Unsupported(
        `${name} is written as an inline table or with dotted keys (${name}.key = ...), and this tool edits only a [${name}] table: rewrite it as a [${name}] section`,
      );
    }
    if (found[0]) tables.set(name, found[0]);
  }
  for (const name of ARRAYS) {
    const found = groups.filter((g) => g.header.path[0] === name && g.header.array);
    const value = doc[name];
    // `services = []` (older fly launch files) is an empty list: nothing to edit. [[statics]] matter
    // only when this tool writes some.
    const owned = name !== 'statics' || ownsStatics;
    if (owned && value !== undefined && (!Array.isArray(value) || value.length !== found.length)) {
      throw new Unsupported(
        `${name} is written as an inline array (${name} = [...]), and this tool edits only [[${name}]] sections: rewrite each entry as a [[${name}]] section`,
      );
    }
    arrays.set(name, found);
  }
  for (const name of Object.keys(OWNED.tables)) {
    const found = groups.filter((g) => g.header.path[0] === name && !g.header.array);
    if (found.length === 1) tables.set(name, found[0]!);
  }
  return { tables, arrays };
}

/** Owned keys must be plain `key = value` lines where we look for them. */
function checkOwnedKeys(doc: Doc, preamble: Stmt[], tables: Map<string, Group>): void {
  for (const key of OWNED.top) {
    if (doc[key] !== undefined && !preamble.some((s) => s.kind === 'kv' && s.path.length === 1 && s.path[0] === key)) {
      throw new Unsupported(`${key} is not written as a top-level "${key} = ..." line`);
    }
  }
  const processes = doc.processes;
  if (isTable(processes)) {
    const own = tables.get('processes')!.own.filter((s) => s.kind === 'kv');
    if (own.length !== Object.keys(processes).length || own.some((s) => s.path.length !== 1)) {
      throw new Unsupported(
        '[processes] uses dotted keys or sub-tables, and this tool edits only "name = command" lines there',
      );
    }
  }
}

export function layout(text: string, doc: Doc, naming: Naming, ownsStatics = false): Layout {
  const stmts = scan(text);
  const firstHeader = stmts.findIndex((s) => s.kind === 'header');
  const preamble = firstHeader < 0 ? stmts : stmts.slice(0, firstHeader);
  const { tables, arrays } = ownedGroups(doc, groupsOf(stmts), ownsStatics);
  checkOwnedKeys(doc, preamble, tables);
  const services = new Map<string, Group>();
  const svcGroups = serviceList(doc).map((s) =>
    s.kind === 'http_service' ? tables.get('http_service') : arrays.get('services')![s.index],
  );
  for (const [index, id] of naming(doc)) {
    const group = svcGroups[index];
    if (group) services.set(id, group);
  }
  return { text, doc, stmts, preamble, tables, arrays, services };
}
