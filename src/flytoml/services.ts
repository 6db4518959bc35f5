import { isTable } from '../flytoml-rules.js';
import { normal } from './values.js';
import { type Doc } from './scan.js';

// ---------------------------------------------------------------------------------------------
// Services, known by the process they serve.

export interface Svc {
  kind: 'http_service' | 'services';
  /** Index among [[services]] (0 for http_service). */
  index: number;
  entry: Doc;
}

/** [http_service] first, then each [[services]] entry (flyctl's AllServices order). */
export function serviceList(doc: Doc): Svc[] {
  const out: Svc[] = [];
  if (isTable(doc.http_service)) out.push({ kind: 'http_service', index: 0, entry: doc.http_service });
  if (Array.isArray(doc.services))
    doc.services.forEach((entry, index) => out.push({ kind: 'services', index, entry: isTable(entry) ? entry : {} }));
  return out;
}

export function filterOf(entry: Doc): string[] | undefined {
  const f = entry.processes;
  return Array.isArray(f) && f.length && f.every((p) => typeof p === 'string') ? (f as string[]) : undefined;
}

export function portOf(entry: Doc): number | undefined {
  const p = normal('internal_port', entry.internal_port);
  return typeof p === 'number' ? p : undefined;
}

/** A service of ours (or of our last output): its id, and what identifies it in the user's file. */
export interface Candidate {
  id: string;
  port?: number;
  filter?: string[];
  http: boolean;
}

export function selfId(entry: Doc): string {
  const filter = filterOf(entry);
  return filter ? `processes=${filter.join(',')}` : `port=${String(portOf(entry) ?? entry.internal_port)}`;
}

export function candidatesOf(doc: Doc): Candidate[] {
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
export function matchServices(doc: Doc, candidates: Candidate[]): Map<number, string> {
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
    if (filter)
      take(
        i,
        avail().find((c) => c.filter?.join(',') === filter.join(',')),
      );
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
    if (port !== undefined && pairable(i))
      take(
        i,
        avail().find((c) => c.port === port),
      );
  }
  const http = open().find((i) => list[i]!.kind === 'http_service' && pairable(i));
  if (http !== undefined)
    take(
      http,
      avail().find((c) => c.http),
    );
  const rest = open().filter(pairable);
  if (rest.length === 1 && avail().length === 1) take(rest[0]!, avail()[0]);
  return result;
}

/** A document -> its service ids; built once per merge from ours and base. */
export type Naming = (doc: Doc) => Map<number, string>;

export function describeSvc(id: string): string {
  const bare = id.replace(/\(last\)$/, '').replace(/#\d+$/, '');
  if (bare.startsWith('processes=')) return `the service for ${bare.slice('processes='.length)}`;
  return `the service on internal_port ${bare.slice('port='.length)}`;
}
