/**
 * The three-way merge of the owned values (see ../flytoml.ts for what is owned and why), in steps:
 * name the services on every side, merge each owned value, add and remove whole tables (pass 1),
 * set, add and remove owned keys (pass 2), then check the result.
 */
import { UsageError } from '../errors.js';
import { isTable, legacyProcesses, processMap } from '../flytoml-rules.js';
import {
  type Edit,
  Internal,
  applyEdits,
  dedupe,
  groupEnd,
  groupText,
  insertion,
  keyInsertion,
  legacyGroups,
  ownStatements,
  removal,
} from './edits.js';
import { type Group, type Layout, OWNED, layout } from './layout.js';
import {
  type Ref,
  type Unit,
  ownedUnits,
  refKey,
  restartIds,
  staticsIds,
  staticsSet,
  tableLabel,
  unowned,
} from './owned.js';
import { BOM, type Doc, Unsupported, parseCached } from './scan.js';
import {
  type Candidate,
  type Naming,
  candidatesOf,
  describeSvc,
  matchServices,
  portOf,
  serviceList,
} from './services.js';
import { same } from './values.js';

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

export function parseOrExplain(text: string, what: string): Doc {
  try {
    return parseCached(text);
  } catch (error) {
    const { line, column } = error as { line?: number; column?: number };
    const where = line === undefined ? '' : ` line ${line}${column === undefined ? '' : `, column ${column}`}`;
    const message = (error as Error).message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new UsageError(
      `${what}${where}: not valid TOML: ${message}`,
      `fix ${what} (or move it away) and run again; nothing was written`,
    );
  }
}

function parseBase(base: string | undefined): Doc | undefined {
  try {
    return base === undefined ? undefined : parseCached(base.startsWith(BOM) ? base.slice(1) : base);
  } catch {
    return undefined; // a base rendered from user templates that no longer parse: merge without one
  }
}

/**
 * Merge our new fly.toml (ours) into the user's (theirs), with our last output (base) when known.
 * Throws UsageError when theirs is not valid TOML. A file this editor cannot change safely comes
 * back with `error` (why, in the user's terms, and what to do); nothing is ever replaced whole.
 */
export function mergeFlyToml(
  theirs: string,
  ours: string,
  base: string | undefined,
  options: MergeOptions = {},
): FlyTomlMerge {
  const file = options.file ?? 'fly.toml';
  const bom = theirs.startsWith(BOM);
  const text = bom ? theirs.slice(1) : theirs;
  const theirDoc = parseOrExplain(text, file);
  const choices = `keep your ${file} as it is with --skip (the other files are still written), or edit it as described and run again; nothing was written`;
  try {
    const result = merge(text, theirDoc, ours, parseCached(ours), parseBase(base), new Set(options.untrusted ?? []));
    if (bom) result.content = BOM + result.content;
    return result;
  } catch (error) {
    if (error instanceof Unsupported)
      return { content: '', conflicts: [], changes: [], error: `${error.message}; ${choices}` };
    if (error instanceof Internal) {
      return {
        content: '',
        conflicts: [],
        changes: [],
        error: `this tool could not update the keys it owns without touching others of yours (${error.message}: please report this, with the file); ${choices}`,
      };
    }
    throw error;
  }
}

/** Everything one merge knows: the three documents, their layouts and owned values. */
interface Run {
  theirs: string;
  theirDoc: Doc;
  ourDoc: Doc;
  baseDoc: Doc | undefined;
  their: Layout;
  our: Layout;
  naming: Naming;
  /** The merge result's service names are computed again for it: forget its cache entry. */
  forget(doc: Doc): void;
  groupsAfter: boolean;
  /** The [[statics]] url_prefixes this tool owns: those of our rendered file and of our last output. */
  statics: Set<string>;
  T: Map<string, Unit>;
  O: Map<string, Unit>;
  B: Map<string, Unit> | undefined;
}

function merge(
  theirs: string,
  theirDoc: Doc,
  ours: string,
  ourDoc: Doc,
  baseDoc: Doc | undefined,
  untrusted: Set<string>,
): FlyTomlMerge {
  const run = prepare(theirs, theirDoc, ours, ourDoc, baseDoc);
  const { target, conflicts } = threeWay(run, untrusted);
  const pass1 = tableEdits(run, target, conflicts);
  const { merged, changes } = keyEdits(run, pass1.text, pass1.changedTables, target);
  verify(run, merged, target, pass1.changedTables);
  return { content: merged, conflicts, changes };
}

/**
 * Services are known by the process they serve: ours name themselves, the base's are matched to
 * ours (or keep their own ids when this run drops them), the user's are matched to both.
 */
function namingFor(ourDoc: Doc, baseDoc: Doc | undefined): { naming: Naming; forget(doc: Doc): void } {
  const ourCandidates = candidatesOf(ourDoc);
  const baseMatch = baseDoc ? matchServices(baseDoc, ourCandidates) : new Map<number, string>();
  const baseOnly: Candidate[] = baseDoc
    ? candidatesOf(baseDoc)
        .filter((_, i) => !baseMatch.has(i))
        .map((c) => ({ ...c, id: `${c.id}(last)` }))
    : [];
  const cache = new Map<Doc, Map<number, string>>();
  const name = (doc: Doc): Map<number, string> => {
    if (doc === ourDoc) return new Map(ourCandidates.map((c, i) => [i, c.id]));
    if (doc !== baseDoc) return matchServices(doc, [...ourCandidates, ...baseOnly]);
    const m = new Map(baseMatch);
    candidatesOf(baseDoc).forEach((c, i) => {
      if (!m.has(i)) m.set(i, `${c.id}(last)`);
    });
    return m;
  };
  const naming: Naming = (doc) => {
    let m = cache.get(doc);
    if (!m) cache.set(doc, (m = name(doc)));
    return m;
  };
  return { naming, forget: (doc) => cache.delete(doc) };
}

function prepare(theirs: string, theirDoc: Doc, ours: string, ourDoc: Doc, baseDoc: Doc | undefined): Run {
  const newline = theirs.includes('\r\n') ? '\r\n' : '\n';
  const { naming, forget } = namingFor(ourDoc, baseDoc);
  const groupsAfter = processMap(ourDoc) !== undefined;
  const statics = new Set([...staticsSet(ourDoc), ...staticsSet(baseDoc)]);
  const run: Run = {
    theirs,
    theirDoc,
    ourDoc,
    baseDoc,
    their: layout(theirs, theirDoc, naming, statics.size > 0),
    our: layout(ours.replace(/\r?\n/g, newline), ourDoc, naming, statics.size > 0),
    naming,
    forget,
    groupsAfter,
    statics,
    T: ownedUnits(theirDoc, naming, groupsAfter, statics),
    O: ownedUnits(ourDoc, naming, groupsAfter, statics),
    B: baseDoc ? ownedUnits(baseDoc, naming, groupsAfter, statics) : undefined,
  };
  // auto_stop_machines is ours only where the strategy needs it "off" (now, or in our last output).
  for (const [k, unit] of [...run.T, ...run.O, ...(run.B ?? [])]) {
    if (unit.ref.key !== 'auto_stop_machines') continue;
    if (run.O.get(k)?.value !== 'off' && run.B?.get(k)?.value !== 'off') {
      run.T.delete(k);
      run.O.delete(k);
      run.B?.delete(k);
    }
  }
  return run;
}

/** A key of a service or [[restart]] entry (not a whole table, not top level, [processes] or a partly owned table). */
function keyOfOwnedTable(ref: Ref): boolean {
  return ref.key !== undefined && ref.table !== 'top' && ref.table !== 'processes' && ref.table !== 'tbl';
}

/** Three-way merge of each owned value: the unit each key ends up with, and the conflicts. */
function threeWay(run: Run, untrusted: Set<string>): { target: Map<string, Unit>; conflicts: string[] } {
  const { T, O, B } = run;
  const target = new Map<string, Unit>();
  const conflicts: string[] = [];
  const baseKnown = (ref: Ref) =>
    B !== undefined &&
    !(ref.table === 'top' && untrusted.has(ref.key!)) &&
    !(ref.table === 'processes' && untrusted.has('processes'));
  for (const key of new Set([...T.keys(), ...O.keys(), ...(B?.keys() ?? [])])) {
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
        conflicts.push(
          `${label}: yours ${describe(t?.raw)}, this run's ${describe(o?.raw)}${known ? `, last written ${describe(b?.raw)}` : ''}`,
        );
      }
    }
    if (pick) target.set(key, pick);
  }
  // A table we must keep or add for one value is then ours as a whole (a conflict said so).
  for (const unit of [...target.values()]) {
    if (!keyOfOwnedTable(unit.ref)) continue;
    const tableKey = refKey({ table: unit.ref.table, id: unit.ref.id });
    const ourTable = O.get(tableKey);
    if (!target.has(tableKey) && ourTable) {
      target.set(tableKey, ourTable);
      for (const [k, u] of O) if (u.ref.table === unit.ref.table && u.ref.id === unit.ref.id) target.set(k, u);
    }
  }
  // A table removed: keys inside it go too.
  for (const [k, unit] of [...target]) {
    if (keyOfOwnedTable(unit.ref) && !target.has(refKey({ table: unit.ref.table, id: unit.ref.id }))) target.delete(k);
  }
  return { target, conflicts };
}

/** Pass 1's bookkeeping: the edits so far, the groups they remove and the tables they change. */
interface TablePass {
  run: Run;
  target: Map<string, Unit>;
  conflicts: string[];
  edits: Edit[];
  removed: Set<Group>;
  changedTables: Set<string>;
}

/** Pass 1: add and remove whole tables. */
function tableEdits(
  run: Run,
  target: Map<string, Unit>,
  conflicts: string[],
): { text: string; changedTables: Set<string> } {
  const pass: TablePass = { run, target, conflicts, edits: [], removed: new Set(), changedTables: new Set() };
  const legacyKept = legacyProcessEdits(pass);
  removeTables(pass);
  addTables(pass, legacyKept);
  return { text: applyEdits(run.theirs, dedupe(pass.edits)), changedTables: pass.changedTables };
}

function removeGroup(pass: TablePass, group: Group, ref: Ref, theirValue: unknown, baseValue: unknown): void {
  const { run, conflicts } = pass;
  pass.removed.add(group);
  pass.edits.push(removal(run.theirs, group));
  pass.changedTables.add(refKey(ref));
  // Removing a table the user changed (any key, ours or not) loses their edit: ask first.
  const label = run.T.get(refKey(ref))?.label ?? tableLabel(ref);
  if ((!run.B || !same(theirValue, baseValue)) && !conflicts.some((c) => c.startsWith(`${label}:`))) {
    conflicts.push(
      `${label}: would be removed, and ${run.B ? 'you edited it since it was last written' : 'it is not known to be ours'}`,
    );
  }
}

/**
 * Legacy [processes] forms (`processes = []`, `[[processes]]`) stay as written while the groups do
 * not change; otherwise they make way for a [processes] table. True when they stay.
 */
function legacyProcessEdits(pass: TablePass): boolean {
  const { run, target } = pass;
  if (!legacyProcesses(run.theirDoc)) return false;
  const now = [...run.T.values()].filter((u) => u.ref.table === 'processes');
  const want = [...target.values()].filter((u) => u.ref.table === 'processes');
  if (now.length === want.length && now.every((u) => same(u.value, target.get(refKey(u.ref))?.value))) return true;
  for (const s of run.their.preamble) {
    if (s.kind === 'kv' && s.path.length === 1 && s.path[0] === 'processes')
      pass.edits.push({ start: s.start, end: s.end, text: '' });
  }
  for (const g of legacyGroups(run.their, 'processes')) {
    pass.removed.add(g);
    pass.edits.push(removal(run.theirs, g));
  }
  pass.changedTables.add(refKey({ table: 'processes' }));
  return false;
}

function wantsProcesses(target: Map<string, Unit>): boolean {
  return [...target.values()].some((u) => u.ref.table === 'processes');
}

/** The user's [processes], services and unfiltered [[restart]] that this run no longer wants. */
function removeTables(pass: TablePass): void {
  const { run, target } = pass;
  const { their, theirDoc, baseDoc } = run;
  const has = (ref: Ref) => target.has(refKey(ref));
  const theirProcesses = their.tables.get('processes');
  if (theirProcesses && !wantsProcesses(target))
    removeGroup(pass, theirProcesses, { table: 'processes' }, theirDoc.processes, baseDoc?.processes);
  const theirList = serviceList(theirDoc);
  const baseList = baseDoc ? serviceList(baseDoc) : [];
  const baseIds = baseDoc ? run.naming(baseDoc) : new Map<number, string>();
  for (const [index, id] of run.naming(theirDoc)) {
    if (has({ table: 'svc', id })) continue;
    const baseIndex = [...baseIds].find(([, bid]) => bid === id)?.[0];
    removeGroup(
      pass,
      their.services.get(id)!,
      { table: 'svc', id },
      theirList[index]!.entry,
      baseIndex === undefined ? undefined : baseList[baseIndex]!.entry,
    );
  }
  const restarts = Array.isArray(theirDoc.restart) ? (theirDoc.restart as unknown[]) : [];
  const baseRestarts = Array.isArray(baseDoc?.restart) ? (baseDoc!.restart as unknown[]) : [];
  restartIds(theirDoc).forEach((id, index) => {
    if (id !== 'all' || has({ table: 'restart', id })) return;
    const bi = baseDoc ? restartIds(baseDoc).indexOf(id) : -1;
    removeGroup(
      pass,
      their.arrays.get('restart')![index]!,
      { table: 'restart', id },
      restarts[index],
      bi < 0 ? undefined : baseRestarts[bi],
    );
  });
  const statics = Array.isArray(theirDoc.statics) ? (theirDoc.statics as unknown[]) : [];
  const baseStatics = Array.isArray(baseDoc?.statics) ? (baseDoc!.statics as unknown[]) : [];
  staticsIds(theirDoc).forEach((id, index) => {
    if (id === undefined || !run.statics.has(id) || has({ table: 'statics', id })) return;
    const bi = baseDoc ? staticsIds(baseDoc).indexOf(id) : -1;
    removeGroup(
      pass,
      their.arrays.get('statics')![index]!,
      { table: 'statics', id },
      statics[index],
      bi < 0 ? undefined : baseStatics[bi],
    );
  });
}

/** Where new tables go: after the last kept group of the first of `names` the user's file has. */
function lastOf(pass: TablePass, ...names: string[]): number | undefined {
  const { their } = pass.run;
  const kept = (g: Group | undefined) => (g && !pass.removed.has(g) ? g : undefined);
  for (const name of names) {
    if (name === 'services' || name === 'restart' || name === 'statics') {
      const group = [...their.arrays.get(name)!].reverse().find(kept);
      if (group) return group.end;
    } else if (name === 'processes' || name === 'http_service') {
      const group = kept(their.tables.get(name));
      if (group) return group.end;
    } else {
      const header = their.stmts.find(
        (s) => s.kind === 'header' && s.path.length === 1 && s.path[0] === name && !s.array,
      );
      if (header) return groupEnd(their, header);
    }
  }
  return undefined;
}

/** Tables this run needs that the user's file lacks, copied from our rendered fly.toml. */
function addTables(pass: TablePass, legacyKept: boolean): void {
  const { run, target, edits } = pass;
  const { their, our, theirs, theirDoc } = run;
  if (wantsProcesses(target) && !their.tables.get('processes') && !legacyKept) {
    const group = our.tables.get('processes')!;
    // Only the header and its comments: the keys are added in pass 2, as merged.
    edits.push(insertion(theirs, lastOf(pass, 'build'), our.text.slice(group.start, group.header.end)));
    pass.changedTables.add(refKey({ table: 'processes' }));
  }
  for (const name of Object.keys(OWNED.tables)) {
    const wanted = [...target.values()].some((u) => u.ref.table === 'tbl' && u.ref.id === name);
    const group = our.tables.get(name);
    if (!wanted || their.tables.get(name) || theirDoc[name] !== undefined || !group) continue;
    edits.push(insertion(theirs, undefined, `${our.text.slice(group.start, group.header.end)}`));
  }
  addServices(pass);
  restartIds(run.ourDoc).forEach((id, index) => {
    if (id !== 'all' || !target.has(refKey({ table: 'restart', id })) || restartIds(theirDoc).includes(id)) return;
    edits.push(insertion(theirs, undefined, groupText(our, our.arrays.get('restart')![index]!)));
    pass.changedTables.add(refKey({ table: 'restart', id }));
  });
  const theirStatics = staticsIds(theirDoc);
  staticsIds(run.ourDoc).forEach((id, index) => {
    if (id === undefined || !target.has(refKey({ table: 'statics', id })) || theirStatics.includes(id)) return;
    edits.push(insertion(theirs, lastOf(pass, 'statics'), groupText(our, our.arrays.get('statics')![index]!)));
    pass.changedTables.add(refKey({ table: 'statics', id }));
  });
}

function addServices(pass: TablePass): void {
  const { run, target, edits } = pass;
  const { their, our, theirs, theirDoc, ourDoc } = run;
  const theirIds = new Set(run.naming(theirDoc).values());
  const ourList = serviceList(ourDoc);
  for (const [index, id] of run.naming(ourDoc)) {
    if (!target.has(refKey({ table: 'svc', id })) || theirIds.has(id)) continue;
    const svc = ourList[index]!;
    if (svc.kind === 'http_service') {
      const theirHttp = their.tables.get('http_service');
      if (theirHttp && !pass.removed.has(theirHttp)) {
        const port = portOf(isTable(theirDoc.http_service) ? theirDoc.http_service : {});
        throw new Unsupported(
          `your [http_service] (internal_port ${port ?? 'not set'}) serves none of this run's processes, and this run needs [http_service] for ${describeSvc(id).replace(/^the service for /, '')}: set its internal_port (and processes filter) to the process it serves, or give that process its port with --port NAME=${port ?? 'PORT'}`,
        );
      }
      edits.push(
        insertion(theirs, lastOf(pass, 'processes', 'build'), groupText(our, our.tables.get('http_service')!)),
      );
    } else {
      // An empty inline `services = []` (older fly launch files) makes way for the [[services]] table.
      for (const s of their.preamble)
        if (s.kind === 'kv' && s.path.length === 1 && s.path[0] === 'services')
          edits.push({ start: s.start, end: s.end, text: '' });
      edits.push(
        insertion(
          theirs,
          lastOf(pass, 'services', 'http_service', 'processes', 'build'),
          groupText(our, our.arrays.get('services')![svc.index]!),
        ),
      );
    }
    pass.changedTables.add(refKey({ table: 'svc', id }));
  }
}

function parseOrInternal(text: string, when: string): Doc {
  try {
    return parseCached(text);
  } catch (error) {
    throw new Internal(`${when}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Pass 2: set, add and remove owned keys, table by table. */
function keyEdits(
  run: Run,
  pass1: string,
  changedTables: Set<string>,
  target: Map<string, Unit>,
): { merged: string; changes: string[] } {
  const middle = layout(
    pass1,
    parseOrInternal(pass1, 'after adding and removing tables'),
    run.naming,
    run.statics.size > 0,
  );
  const current = ownedUnits(middle.doc, run.naming, run.groupsAfter, run.statics);
  const edits: Edit[] = [];
  const changes: string[] = [];
  for (const k of new Set([...current.keys(), ...target.keys()])) {
    const want = target.get(k);
    const now = current.get(k);
    const ref = (want ?? now)!.ref;
    if (ref.key === undefined || same(want?.value, now?.value)) continue;
    if (want === undefined && ref.key === 'auto_stop_machines' && !run.O.has(k) && !run.B?.has(k)) continue; // not ours here
    if (ref.table === 'svc' && !changedTables.has(refKey({ table: 'svc', id: ref.id }))) {
      changes.push(`${(now ?? want)!.label}: ${describe(now?.raw)} -> ${describe(want?.raw)}`);
    }
    const edit = keyEdit(run, middle, ref, want, now);
    if (edit) edits.push(edit);
  }
  return { merged: applyEdits(pass1, edits), changes };
}

/** The edit that makes one owned key of `middle` hold `want` (undefined: remove it). */
function keyEdit(run: Run, middle: Layout, ref: Ref, want: Unit | undefined, now: Unit | undefined): Edit | undefined {
  const stmts = ownStatements(middle, ref);
  if (!stmts) throw new Internal(`${(want ?? now)!.label} has no table`);
  const line = stmts.find((s) => s.kind === 'kv' && s.path.length === 1 && s.path[0] === ref.key);
  if (want === undefined) {
    if (line) return { start: line.start, end: line.end, text: '' };
    if (now !== undefined) throw new Unsupported(`${now.label} is not written as a "${ref.key} = ..." line`);
    return undefined;
  }
  // The new value is always ours: take its text from our file.
  const ourLine = ownStatements(run.our, ref)?.find(
    (s) => s.kind === 'kv' && s.path.length === 1 && s.path[0] === ref.key,
  );
  if (!ourLine) throw new Internal(`${want.label} is not in the rendered fly.toml`);
  if (line)
    return {
      start: line.valueStart,
      end: line.valueEnd,
      text: run.our.text.slice(ourLine.valueStart, ourLine.valueEnd),
    };
  if (now !== undefined) throw new Unsupported(`${now.label} is not written as a "${ref.key} = ..." line`);
  return keyInsertion(middle, ref, stmts, run.our, ourLine);
}

/** Check: the owned values are as merged, and nothing else changed. */
function verify(run: Run, merged: string, target: Map<string, Unit>, changedTables: Set<string>): void {
  const mergedDoc = parseOrInternal(merged, 'the edited file does not parse');
  run.forget(mergedDoc);
  const result = ownedUnits(mergedDoc, run.naming, run.groupsAfter, run.statics);
  for (const k of [...result.keys()]) {
    if (result.get(k)!.ref.key === 'auto_stop_machines' && !target.has(k) && !run.O.has(k) && !run.B?.has(k))
      result.delete(k);
  }
  const mismatch = [...new Set([...result.keys(), ...target.keys()])].find(
    (k) => !same(result.get(k)?.value, target.get(k)?.value),
  );
  if (mismatch)
    throw new Internal(
      `the merged file does not hold the intended ${(result.get(mismatch) ?? target.get(mismatch))!.label}`,
    );
  if (
    !same(
      unowned(run.theirDoc, run.naming, changedTables, run.statics),
      unowned(mergedDoc, run.naming, changedTables, run.statics),
    )
  ) {
    throw new Internal('the edit would change keys this tool does not own');
  }
}

function describe(value: unknown): string {
  if (value === undefined) return '(none)';
  if (typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}
