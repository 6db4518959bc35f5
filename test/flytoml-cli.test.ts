/**
 * The fly.toml promises of the README, end to end through the CLI's main() (in-process, a temporary
 * project per test): what --force does, what it never does, and what every run reports.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { cleanupTemps, projectWith } from './helpers.js';

afterAll(cleanupTemps);

async function run(dir: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  const e = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  try {
    return { code: await main([dir, ...args, '--yes']), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const read = (dir: string) => readFileSync(path.join(dir, 'fly.toml'), 'utf8');
const WEB_WORKER = ['--process', 'web=node server.js', '--process', 'worker=node worker.js', '--port', 'web=8080'];

describe('fly.toml through the CLI', () => {
  it('--force never replaces a fly.toml it cannot merge: exit 2 with the reason and the choices; --skip keeps it', async () => {
    const original = 'app = "acme"\nhttp_service = { internal_port = 3000, force_https = true }\n';
    const dir = projectWith({ 'fly.toml': original });
    const forced = await run(dir, ...WEB_WORKER, '--force');
    expect(forced.code).toBe(2);
    expect(forced.err).toMatch(
      /fly\.toml cannot be merged: http_service is written as an inline table .* rewrite it as a \[http_service\] section; keep your fly\.toml as it is with --skip/,
    );
    expect(forced.err).toMatch(/--force does not replace a fly\.toml that cannot be merged/);
    expect(forced.err).not.toMatch(/internal/);
    expect(read(dir)).toBe(original);
    const skipped = await run(dir, ...WEB_WORKER, '--skip');
    expect(skipped.code).toBe(0);
    expect(read(dir)).toBe(original);
  });

  it('a service of the user without a processes filter, once there are two groups: a clear error, not a file fly deploy refuses', async () => {
    const original =
      'app = "acme"\n\n[http_service]\n  internal_port = 8080\n\n[[services]]\n  internal_port = 5432\n  protocol = "tcp"\n';
    const dir = projectWith({ 'fly.toml': original });
    const forced = await run(dir, ...WEB_WORKER, '--force');
    expect(forced.code).toBe(2);
    expect(forced.err).toMatch(
      /fly deploy would refuse the result: fly\.toml:\d+: \[\[services\]\] has no processes filter, but the app has 2 process groups \(web, worker\)/,
    );
    expect(read(dir)).toBe(original);
    // Give it a filter, and the same run merges: the user's [[services]] stays as written.
    writeFileSync(
      path.join(dir, 'fly.toml'),
      original.replace('protocol = "tcp"', 'protocol = "tcp"\n  processes = ["worker"]'),
    );
    expect((await run(dir, ...WEB_WORKER, '--force')).code).toBe(0);
    expect((parse(read(dir)) as Record<string, any>).services).toEqual([
      { internal_port: 5432, protocol: 'tcp', processes: ['worker'] },
    ]);
  });

  it('a hand edit of kill_signal that was never a flag, and a new --kill-signal: a conflict, and --skip keeps the edit', async () => {
    const dir = projectWith({});
    expect((await run(dir, ...WEB_WORKER)).code).toBe(0);
    writeFileSync(path.join(dir, 'fly.toml'), read(dir).replace('kill_signal = "SIGINT"', 'kill_signal = "SIGQUIT"'));
    const edited = read(dir);
    const clash = await run(dir, '--kill-signal', 'SIGTERM');
    expect(clash.code).toBe(2);
    expect(clash.err).toContain('kill_signal: yours "SIGQUIT", this run\'s "SIGTERM"');
    expect(read(dir)).toBe(edited);
    expect((await run(dir, '--kill-signal', 'SIGTERM', '--skip')).code).toBe(0);
    expect(read(dir)).toBe(edited);
    // Without the flag the hand edit is simply kept (and used by the generated files).
    const plain = await run(dir);
    expect(plain.code).toBe(0);
    expect(read(dir)).toContain('kill_signal = "SIGQUIT"');
  });

  it('--app and --region on a re-run with an edited fly.toml are applied, not silently dropped', async () => {
    const dir = projectWith({});
    expect((await run(dir, ...WEB_WORKER, '--app', 'acme', '--region', 'ams')).code).toBe(0);
    writeFileSync(path.join(dir, 'fly.toml'), `${read(dir)}\n[[vm]]\n  memory = "1gb"\n`);
    const again = await run(dir, '--app', 'acme-eu', '--region', 'fra');
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/merge\s+fly\.toml/);
    const doc = parse(read(dir)) as Record<string, any>;
    expect(doc).toMatchObject({ app: 'acme-eu', primary_region: 'fra', vm: [{ memory: '1gb' }] });
    expect(JSON.parse(readFileSync(path.join(dir, 'fly-multiproc.json'), 'utf8')).answers).toMatchObject({
      app: 'acme-eu',
      region: 'fra',
    });
  });

  it("kill_timeout as flyctl rewrites it ('1m30s') is read, kept, and --kill-timeout still applies", async () => {
    const dir = projectWith({ 'fly.toml': "app = 'acme'\nkill_timeout = '1m30s'\n" });
    const first = await run(dir, ...WEB_WORKER, '--force');
    expect(first.code, first.err).toBe(0);
    expect(read(dir)).toContain("kill_timeout = '1m30s'");
    expect(readFileSync(path.join(dir, 'entrypoint.sh'), 'utf8')).toBeDefined();
    const changed = await run(dir, '--kill-timeout', '30', '--force');
    expect(changed.code, changed.err).toBe(0);
    expect((parse(read(dir)) as Record<string, any>).kill_timeout).toBe(30);
  });

  it('a fly.toml with a byte-order mark is imported and merged, the mark kept', async () => {
    const dir = projectWith({ 'fly.toml': '\uFEFFapp = "acme"\nprimary_region = "ams"\n\n[env]\n  A = "1"\n' });
    const result = await run(dir, ...WEB_WORKER, '--force');
    expect(result.code, result.err).toBe(0);
    expect(read(dir).startsWith('\uFEFFapp = "acme"\nprimary_region = "ams"\n')).toBe(true);
  });

  it("flyctl's filter rules are checked on every run, with flyctl's real consequences: also when fly.toml is identical", async () => {
    const dir = projectWith({
      'fly.toml':
        'app = "acme"\n\n[[mounts]]\n  source = "data"\n  destination = "/data"\n\n[[vm]]\n  memory = "2gb"\n  processes = ["jobs"]\n',
    });
    const first = await run(dir, ...WEB_WORKER, '--force');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(
      /fly\.toml:\d+: \[\[mounts\]\] has no processes filter, so flyctl gives it to the default group "web" only \(not to "worker"\)/,
    );
    expect(first.out).toMatch(
      /\[\[vm\]\] has processes = \["jobs"\], but "jobs" is not a process group \(groups: web, worker\): flyctl silently ignores that name, so this entry applies to no Machines at all/,
    );
    const again = await run(dir);
    expect(again.out).toMatch(/identical\s+fly\.toml/);
    expect(again.out).toMatch(/\[\[mounts\]\] has no processes filter/);
    // bash <-> supervisord: the filter naming a missing group is still reported.
    const bash = await run(dir, '--strategy', 'bash', '--force');
    expect(bash.out).toMatch(
      /\[\[vm\]\] has processes = \["jobs"\], but "jobs" is not a process group \(groups: app\)/,
    );
    const supervisord = await run(dir, '--strategy', 'supervisord', '--force');
    expect(supervisord.code, supervisord.err).toBe(0);
    expect(supervisord.out).toMatch(
      /\[\[vm\]\] has processes = \["jobs"\], but "jobs" is not a process group \(groups: app\)/,
    );
  });
});
