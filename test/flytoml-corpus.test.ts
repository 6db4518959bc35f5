/**
 * Real fly.toml files (test/corpus/flytoml, provenance in index.json) merged under every strategy,
 * without and with --force, through the CLI's own main() (in-process: 31 files x 4 strategies x 3
 * runs would take minutes as child processes). The property: after parsing, every value outside the
 * owned keys is deep-equal before and after, and every owned value is what the run intended. Then
 * the result is rewritten the way flyctl writes fly.toml (`fly launch --copy-config`: single quotes,
 * kill_timeout as '1m30s', comments dropped) and the same run again must leave it untouched.
 *
 * The owned keys are spelled out here, from the README, independently of src/flytoml.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { cleanupTemps, ROOT, tempDir } from './helpers.js';

type Doc = Record<string, any>;

interface Entry {
  file: string;
  repo: string;
  path: string;
  commit: string;
  processes?: 'import';
  webPort?: number;
  adopt?: ('http_service' | 'services')[];
  flags?: string[];
  expect?: Record<string, string>;
  note: string;
}

const CORPUS = path.join(ROOT, 'test', 'corpus', 'flytoml');
const INDEX = JSON.parse(readFileSync(path.join(CORPUS, 'index.json'), 'utf8')) as { files: Entry[] };
const STRATEGIES = ['process-groups', 'bash', 'supervisord', 'procfile'] as const;
const ONE_MACHINE = new Set(['bash', 'supervisord', 'procfile']);

afterAll(cleanupTemps);

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  const e = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  try {
    const code = await main([...args, '--yes']);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const isTable = (v: unknown): v is Doc =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
const stripBom = (s: string) => (s.startsWith('\uFEFF') ? s.slice(1) : s);

/** kill_timeout as flyctl reads it, written independently of src/flytoml-rules.ts for the few forms in the corpus. */
function seconds(v: unknown): number | undefined {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v !== 'string') return undefined;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v);
  return m && v ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : undefined;
}

function processesOf(doc: Doc): Record<string, string> | undefined {
  if (isTable(doc.processes))
    return Object.keys(doc.processes).length ? (doc.processes as Record<string, string>) : undefined;
  if (Array.isArray(doc.processes)) {
    const out: Record<string, string> = {};
    for (const p of doc.processes) if (isTable(p) && p.name) out[p.name] = p.command;
    return Object.keys(out).length ? out : undefined;
  }
  return undefined;
}

function services(doc: Doc): Doc[] {
  return [
    ...(isTable(doc.http_service) ? [{ ...doc.http_service, '(kind)': 'http_service' }] : []),
    ...(Array.isArray(doc.services) ? doc.services.map((s: Doc) => ({ ...s, '(kind)': 'services' })) : []),
  ];
}

const port = (v: unknown) => (typeof v === 'string' ? Number(v) : v);

/** Everything the tool does not own. auto_stop_machines is owned only where the strategy needs it off. */
function unowned(doc: Doc, autoStopOwned: boolean, portOwned: boolean): { rest: Doc; services: Doc[]; restart: Doc[] } {
  const rest: Doc = { ...doc };
  for (const key of [
    'app',
    'primary_region',
    'kill_signal',
    'kill_timeout',
    'processes',
    'http_service',
    'services',
    'restart',
  ])
    delete rest[key];
  // Under process groups [env] PORT is the web process's port, set by this run (the README's owned list).
  if (portOwned && isTable(rest.env)) {
    const { PORT: _port, ...env } = rest.env;
    if (Object.keys(env).length) rest.env = env;
    else delete rest.env;
  }
  const svc = services(doc).map((s) => {
    const e = { ...s };
    delete e.internal_port;
    delete e.processes;
    if (autoStopOwned) delete e.auto_stop_machines;
    return e;
  });
  const restart = (Array.isArray(doc.restart) ? doc.restart : []).filter((r: Doc) => r.processes !== undefined);
  return { rest, services: svc, restart };
}

/** Is `small` a subsequence of `big` (deep equality)? */
function subsequence(small: Doc[], big: Doc[]): boolean {
  let j = 0;
  for (const item of big) if (j < small.length && JSON.stringify(item) === JSON.stringify(small[j])) j++;
  return j === small.length;
}

/** flyctl's serializer form (go-toml v2 as `fly launch --copy-config` writes it): literal strings, kill_timeout as a Go duration, no comments. */
function flyctlForm(doc: Doc): string {
  const str = (s: string) => (/['\n\r\t\\]/.test(s) || /[\x00-\x1f]/.test(s) ? JSON.stringify(s) : `'${s}'`);
  const val = (v: unknown): string => {
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v)) return `[${v.map(val).join(', ')}]`;
    if (isTable(v))
      return `{${Object.entries(v)
        .map(([k, x]) => `${key(k)} = ${val(x)}`)
        .join(', ')}}`;
    return String(v);
  };
  const key = (k: string) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k));
  const isTableArray = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every(isTable);
  const lines: string[] = [];
  const table = (t: Doc, prefix: string[], depth: number) => {
    const indent = '  '.repeat(depth);
    for (const [k, v] of Object.entries(t)) {
      if (isTable(v) || isTableArray(v)) continue;
      if (prefix.length === 0 && k === 'kill_timeout') {
        const s = seconds(v)!;
        const m = Math.floor(s / 60);
        lines.push(`kill_timeout = '${m ? `${m}m${s % 60}s` : `${s}s`}'`);
      } else lines.push(`${indent}${key(k)} = ${val(v)}`);
    }
    for (const [k, v] of Object.entries(t)) {
      const p = [...prefix, key(k)];
      if (isTable(v)) {
        lines.push('', `${'  '.repeat(prefix.length)}[${p.join('.')}]`);
        table(v, p, prefix.length + 1);
      } else if (isTableArray(v)) {
        for (const entry of v as Doc[]) {
          lines.push('', `${'  '.repeat(prefix.length)}[[${p.join('.')}]]`);
          table(entry, p, prefix.length + 1);
        }
      }
    }
  };
  table(doc, [], 0);
  return `${lines.join('\n')}\n`;
}

/** The process the run serves on webPort: web, or the file's own group for it. */
function webGroup(entry: Entry, doc: Doc): string {
  if (entry.processes !== 'import') return 'web';
  const groups = Object.keys(processesOf(doc) ?? {});
  return groups.includes('web') ? 'web' : groups.includes('app') ? 'app' : groups[0]!;
}

function flagsFor(entry: Entry, strategy: string, doc: Doc): string[] {
  const args = ['--strategy', strategy, ...(entry.flags ?? [])];
  if (entry.processes !== 'import') {
    args.push(
      '--process',
      'web=node server.js',
      '--process',
      'worker=node worker.js',
      '--port',
      `web=${entry.webPort ?? 8080}`,
    );
  } else if (entry.webPort !== undefined) {
    const web = webGroup(entry, doc);
    args.push('--port', `${web}=${entry.webPort}`, '--http', web);
  }
  return args;
}

describe.each(INDEX.files.map((e) => [e.file, e] as const))('corpus %s', (_name, entry) => {
  const original = readFileSync(path.join(CORPUS, entry.file), 'utf8');
  const before = parse(stripBom(original)) as Doc;

  it.each(STRATEGIES)(
    '%s: without --force nothing changes; with --force only owned values change; a flyctl rewrite re-runs clean',
    async (strategy) => {
      const dir = path.join(tempDir('cfm-corpus-'), 'my-app');
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'fly.toml'), original);
      const args = [dir, ...flagsFor(entry, strategy, before)];
      const expected = entry.expect?.[strategy];

      // Without --force: a conflict (exit 2, the file untouched) or a clean merge; never an internal error.
      const plain = await run(args);
      expect(plain.err).not.toMatch(/internal:|overlapping|\n\s+at /);
      if (plain.code !== 0) {
        expect(plain.code).toBe(2);
        expect(readFileSync(path.join(dir, 'fly.toml'), 'utf8')).toBe(original);
      }

      const forced = await run([...args, '--force']);
      expect(forced.err).not.toMatch(/internal:|overlapping|\n\s+at /);
      if (expected !== undefined) {
        expect(forced.code, forced.out).toBe(2);
        expect(forced.err).toMatch(new RegExp(expected));
        expect(readFileSync(path.join(dir, 'fly.toml'), 'utf8')).toBe(original);
        return;
      }
      expect(forced.code, forced.err).toBe(0);
      const text = readFileSync(path.join(dir, 'fly.toml'), 'utf8');
      const after = parse(stripBom(text)) as Doc;

      // What the run intended: from the flags, else from the file, else the defaults.
      const flag = (name: string) =>
        entry.flags?.includes(name) ? entry.flags[entry.flags.indexOf(name) + 1] : undefined;
      const intendedProcesses =
        entry.processes === 'import' ? processesOf(before)! : { web: 'node server.js', worker: 'node worker.js' };
      const ports = new Map<string, number>();
      const web = webGroup(entry, before);
      if (entry.webPort !== undefined || entry.processes !== 'import') ports.set(web, entry.webPort ?? 8080);
      // A process named web with no port and no service gets 8080 (README, "Ports"): it is meant to answer.
      else if ('web' in intendedProcesses && services(before).length === 0) ports.set('web', 8080);
      // Every run here has a process without a port (worker, or a group the file gives no service), so
      // a one-Machine strategy must turn auto-stop off; under process-groups auto_stop_machines is the user's.
      const autoStopOwned = ONE_MACHINE.has(strategy);

      expect(after.app).toBe(flag('--app') ?? before.app ?? 'my-app');
      if (flag('--region') ?? before.primary_region)
        expect(after.primary_region).toBe(flag('--region') ?? before.primary_region);
      expect(after.kill_signal).toBe(before.kill_signal ?? 'SIGINT');
      expect(seconds(after.kill_timeout)).toBe(seconds(before.kill_timeout) ?? 5);
      if (strategy === 'process-groups') expect(processesOf(after)).toEqual(intendedProcesses);
      else expect(processesOf(after)).toBeUndefined();
      // Each process with a port has exactly one service on it, filtered to its group under process-groups.
      for (const [name, p] of ports) {
        const serving = services(after).filter((s) => port(s.internal_port) === p);
        expect(serving, `${name} on ${p}`).toHaveLength(1);
        if (strategy === 'process-groups') expect(serving[0]!.processes).toEqual([name]);
        if (autoStopOwned) expect([false, 'off']).toContain(serving[0]!.auto_stop_machines);
      }

      // Everything else: deep-equal. The user's services are all still there, with all their keys.
      const portOwned = strategy === 'process-groups';
      if (portOwned && ports.has(web)) expect(String(after.env?.PORT)).toBe(String(ports.get(web)));
      const u0 = unowned(before, autoStopOwned, portOwned);
      const u1 = unowned(after, autoStopOwned, portOwned);
      expect(u1.rest).toEqual(u0.rest);
      expect(
        subsequence(u0.services, u1.services),
        JSON.stringify({ before: u0.services, after: u1.services }, null, 1),
      ).toBe(true);
      expect(u1.restart).toEqual(u0.restart);
      for (const kind of entry.adopt ?? []) {
        // Adopted, not replaced: the user's own service for web keeps its form and is the one serving it.
        const mine = services(before).filter((s) => s['(kind)'] === kind);
        expect(mine.length).toBeGreaterThan(0);
        const served = services(after).find((s) => port(s.internal_port) === ports.get(web));
        expect(served?.['(kind)']).toBe(kind);
      }
      expect(services(after).length - services(before).length).toBeLessThanOrEqual(ports.size);

      // The same run again changes nothing, and so does a run after flyctl rewrote the file. Processes
      // the first run imported from [processes] are given as flags: a one-Machine strategy removed
      // [processes], and fly-multiproc.json remembers only what was given (reported, not fixed here).
      // Processes the first run took from [processes], which a one-Machine strategy removed, are
      // remembered in fly-multiproc.json: the same command line runs again.
      const again = await run(args);
      expect(again.code, again.err).toBe(0);
      expect(readFileSync(path.join(dir, 'fly.toml'), 'utf8')).toBe(text);
      const rewritten = flyctlForm(after);
      expect(parse(rewritten)).toEqual(
        JSON.parse(JSON.stringify({ ...after, kill_timeout: parse(rewritten).kill_timeout })),
      );
      writeFileSync(path.join(dir, 'fly.toml'), rewritten);
      const roundTrip = await run(args);
      expect(roundTrip.code, roundTrip.err).toBe(0);
      expect(roundTrip.out).toMatch(/identical\s+fly\.toml/);
      expect(readFileSync(path.join(dir, 'fly.toml'), 'utf8')).toBe(rewritten);
    },
  );
});

it('the corpus has at least 25 real files, each with its provenance', () => {
  expect(INDEX.files.length).toBeGreaterThanOrEqual(25);
  for (const e of INDEX.files) {
    expect(e.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
    expect(e.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(readFileSync(path.join(CORPUS, e.file), 'utf8').length).toBeGreaterThan(0);
  }
});
