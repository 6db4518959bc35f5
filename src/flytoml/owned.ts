import { isTable, processMap, shlexSplit } from '../flytoml-rules.js';
import { OWNED } from './layout.js';
import { normal, same } from './values.js';
import { type Doc, Unsupported } from './scan.js';
import { type Naming, type Svc, describeSvc, serviceList } from './services.js';

// ---------------------------------------------------------------------------------------------
// Owned values.

/** Where an owned value lives: a table (an array entry or service by id) and a key (none: the table itself). */
export interface Ref {
  table: 'top' | 'processes' | 'svc' | 'restart' | 'tbl' | 'statics';
  id?: string;
  key?: string;
}

export interface Unit {
  ref: Ref;
  label: string;
  value: unknown;
  /** How the user's (or our) file spells it, for messages. */
  raw: unknown;
}

export function restartIds(doc: Doc): string[] {
  const list = Array.isArray(doc.restart) ? (doc.restart as unknown[]) : [];
  const seen = new Map<string, number>();
  return list.map((entry) => {
    const filter = isTable(entry) && Array.isArray(entry.processes) ? `processes=${entry.processes.join(',')}` : 'all';
    const count = (seen.get(filter) ?? 0) + 1;
    seen.set(filter, count);
    return count === 1 ? filter : `${filter}#${count}`;
  });
}

/** How a [[statics]] url_prefix is known: flyctl serves "/static" and "/static/" alike. */
export function staticsId(prefix: string): string {
  return prefix.length > 1 ? prefix.replace(/\/+$/, '') || '/' : prefix;
}

/** Each [[statics]] entry's id (its url_prefix), undefined for an entry without one. */
export function staticsIds(doc: Doc): (string | undefined)[] {
  const list = Array.isArray(doc.statics) ? (doc.statics as unknown[]) : [];
  return list.map((entry) =>
    isTable(entry) && typeof entry.url_prefix === 'string' ? staticsId(entry.url_prefix) : undefined,
  );
}

/** The [[statics]] ids a document declares (ours and our last output's are the owned ones). */
export function staticsSet(doc: Doc | undefined): Set<string> {
  return new Set(doc ? staticsIds(doc).filter((id): id is string => id !== undefined) : []);
}

export function refKey(ref: Ref): string {
  return JSON.stringify([ref.table, ref.id ?? null, ref.key ?? null]);
}

export function tableLabel(ref: Ref): string {
  if (ref.table === 'svc') return describeSvc(ref.id ?? '');
  if (ref.table === 'restart') return '[[restart]] without a processes filter';
  if (ref.table === 'tbl') return `[${ref.id}]`;
  if (ref.table === 'statics') return `[[statics]] for url_prefix "${ref.id}"`;
  return ref.table === 'top' ? 'top level' : '[processes]';
}

/**
 * The owned values of a document. `statics`: the [[statics]] url_prefixes this tool owns (those of
 * its rendered file and of its last output); the user's other entries are theirs.
 */
export function ownedUnits(
  doc: Doc,
  naming: Naming,
  groups: boolean,
  statics: ReadonlySet<string> = new Set(),
): Map<string, Unit> {
  const units = new Map<string, Unit>();
  const add = (ref: Ref, label: string, raw: unknown) => {
    // [processes] commands are compared as flyctl splits them: quoting is spelling, not a change.
    let value = ref.table === 'processes' && typeof raw === 'string' ? (shlexSplit(raw) ?? raw) : normal(ref.key, raw);
    // Without [processes] the only group is "app": a filter naming it is the same as none.
    if (
      ref.table === 'svc' &&
      ref.key === 'processes' &&
      !groups &&
      Array.isArray(value) &&
      value.length === 1 &&
      value[0] === 'app'
    )
      value = undefined;
    if (value !== undefined) units.set(refKey(ref), { ref, label, value, raw });
  };
  for (const key of OWNED.top) add({ table: 'top', key }, key, doc[key]);
  const processes = processMap(doc);
  if (processes)
    for (const [name, command] of Object.entries(processes))
      add({ table: 'processes', key: name }, `[processes] ${name}`, command);
  const list = serviceList(doc);
  for (const [index, id] of naming(doc)) {
    const svc = list[index]!;
    const where =
      svc.kind === 'http_service' ? '[http_service]' : `[[services]] ${describeSvc(id).replace(/^the service /, '')}`;
    add({ table: 'svc', id }, where, true);
    for (const key of OWNED.service) add({ table: 'svc', id, key }, `${where} ${key}`, svc.entry[key]);
  }
  for (const [name, keys] of Object.entries(OWNED.tables)) {
    const table = doc[name];
    if (!isTable(table)) continue;
    // [env] values are strings to flyctl, whatever their TOML type (patches.go:67-116).
    for (const key of keys)
      add(
        { table: 'tbl', id: name, key },
        `[${name}] ${key}`,
        name === 'env' && table[key] !== undefined && typeof table[key] !== 'string' ? String(table[key]) : table[key],
      );
  }
  const restarts = Array.isArray(doc.restart) ? (doc.restart as unknown[]) : [];
  restartIds(doc).forEach((id, index) => {
    if (id !== 'all') return; // only the unfiltered restart policy is ours
    const entry = isTable(restarts[index]) ? restarts[index] : {};
    add({ table: 'restart', id }, '[[restart]]', true);
    for (const key of OWNED.restart) add({ table: 'restart', id, key }, `[[restart]] ${key}`, entry[key]);
  });
  const entries = Array.isArray(doc.statics) ? (doc.statics as unknown[]) : [];
  staticsIds(doc).forEach((id, index) => {
    if (id === undefined || !statics.has(id)) return;
    if (units.has(refKey({ table: 'statics', id }))) {
      throw new Unsupported(
        `[[statics]] has two entries for url_prefix "${id}": flyctl serves only one; remove the other`,
      );
    }
    const entry = entries[index] as Doc;
    add({ table: 'statics', id }, `[[statics]] "${id}"`, true);
    for (const key of OWNED.statics) add({ table: 'statics', id, key }, `[[statics]] "${id}" ${key}`, entry[key]);
  });
  return units;
}

/** The document without what we own, to check that a merge changed nothing else. */
export function unowned(
  doc: Doc,
  naming: Naming,
  changedTables: Set<string>,
  statics: ReadonlySet<string> = new Set(),
): Doc {
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
    const kept = list
      .filter((s) => s.kind === 'services')
      .map(strip)
      .filter((e): e is Doc => e !== undefined);
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
  if (Array.isArray(copy.statics)) {
    const sids = staticsIds(doc);
    const kept = (copy.statics as Doc[])
      .map((entry, index) => ({ entry, id: sids[index] }))
      .filter(({ id }) => id === undefined || !statics.has(id) || !changedTables.has(refKey({ table: 'statics', id })))
      .map(({ entry, id }) => {
        if (id === undefined || !statics.has(id)) return entry;
        const e = { ...entry };
        for (const key of OWNED.statics) delete e[key];
        return e;
      });
    if (kept.length) copy.statics = kept;
    else delete copy.statics;
  }
  return copy;
}
