import { type Group, type Layout } from './layout.js';
import { type Ref, restartIds, staticsIds } from './owned.js';
import { type Stmt } from './scan.js';

// ---------------------------------------------------------------------------------------------
// Edits.

export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** The group an owned value lives in, in a layout (none for top-level keys). */
export function findGroup(l: Layout, ref: Ref): Group | undefined {
  if (ref.table === 'top') return undefined;
  if (ref.table === 'processes') return l.tables.get('processes');
  if (ref.table === 'svc') return l.services.get(ref.id!);
  if (ref.table === 'tbl') return l.tables.get(ref.id!);
  if (ref.table === 'statics') {
    const at = staticsIds(l.doc).indexOf(ref.id!);
    return at < 0 ? undefined : l.arrays.get('statics')?.[at];
  }
  const index = restartIds(l.doc).indexOf(ref.id!);
  return index < 0 ? undefined : l.arrays.get('restart')![index];
}

export function ownStatements(l: Layout, ref: Ref): Stmt[] | undefined {
  if (ref.table === 'top') return l.preamble;
  return findGroup(l, ref)?.own;
}

/** Internal inconsistencies of the editor: never shown as such (see mergeFlyToml). */
export class Internal extends Error {}

export function applyEdits(text: string, edits: Edit[]): string {
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

export function lineStartBefore(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 2) + 1;
}

/** Remove a group with the comments above it, and one of the blank lines around it. */
export function removal(text: string, group: Group): Edit {
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
export function groupText(ours: Layout, group: Group): string {
  const text = ours.text.slice(group.start, group.end);
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** Insert a whole table after `after` (the end of a group), or at the end of the file. */
export function insertion(text: string, at: number | undefined, body: string): Edit {
  if (at === undefined) {
    const newline = text.includes('\r\n') ? '\r\n' : '\n';
    const prefix = text === '' ? '' : text.endsWith('\n') ? newline : newline + newline;
    return { start: text.length, end: text.length, text: `${prefix}${body}` };
  }
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  return { start: at, end: at, text: `${text[at - 1] === '\n' ? '' : newline}${newline}${body}` };
}

/** The `[[name]]` groups of a legacy array of tables. */
export function legacyGroups(l: Layout, name: string): Group[] {
  const out: Group[] = [];
  for (const s of l.stmts) {
    if (s.kind !== 'header' || !s.array || s.path.length !== 1 || s.path[0] !== name) continue;
    const own: Stmt[] = [];
    for (let j = l.stmts.indexOf(s) + 1; j < l.stmts.length && l.stmts[j]!.kind !== 'header'; j++)
      own.push(l.stmts[j]!);
    let start = s.start;
    for (let k = l.stmts.indexOf(s) - 1; k >= 0 && l.stmts[k]!.kind === 'comment'; k--) start = l.stmts[k]!.start;
    out.push({ header: s, own, start, end: groupEnd(l, s) });
  }
  return out;
}

/** Identical edits (the same line removed twice) once. */
export function dedupe(edits: Edit[]): Edit[] {
  const seen = new Set<string>();
  return edits.filter((e) => {
    const key = `${e.start}:${e.end}:${e.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** End of the last key of the table that starts at header, sub-tables included. */
export function groupEnd(l: Layout, header: Stmt): number {
  let end = header.end;
  for (let j = l.stmts.indexOf(header) + 1; j < l.stmts.length; j++) {
    const s = l.stmts[j]!;
    if (s.kind === 'header' && (s.path.length === 1 || s.path[0] !== header.path[0])) break;
    if (s.kind === 'kv' || s.kind === 'header') end = s.end;
  }
  return end;
}

/** A new `key = value` line after the last key of the table (or its header), indented like its neighbours. */
export function keyInsertion(l: Layout, ref: Ref, stmts: Stmt[], our: Layout, ourLine: Stmt): Edit {
  const newline = l.text.includes('\r\n') ? '\r\n' : '\n';
  const keys = stmts.filter((s) => s.kind === 'kv');
  const last = keys[keys.length - 1];
  const indent = last ? last.indent : ourLine.indent;
  // Comment lines right above our key (e.g. what kill_signal means) come along.
  const ourStmts = our.stmts;
  let from = ourStmts.indexOf(ourLine);
  while (from > 0 && ourStmts[from - 1]!.kind === 'comment') from--;
  const comments = ourStmts
    .slice(from, ourStmts.indexOf(ourLine))
    .map((s) => `${indent}${our.text.slice(s.start, s.end).trimStart()}`);
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
