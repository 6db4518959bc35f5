/**
 * Strategy apps: each process is its own Fly app. Each fly.NAME.toml is run as Fly runs it: the
 * image's entrypoint.sh with the app's [processes] command (split by flyctl's rules) as arguments,
 * its [env] as the environment. Real processes on 127.0.0.1; what Fly's network would add (DNS for
 * .flycast and .fly.dev) is checked against the other apps' files, not faked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { shlexSplit } from '../../src/flytoml-rules.js';
import { cleanupTemps, generate, projectWith } from '../helpers.js';
import {
  cmd,
  fixture,
  freePorts,
  killAll,
  newFixtureLog,
  project,
  PYTHON,
  readLog,
  start,
  stopWith,
  waitForHttp,
  waitNoLeftovers,
} from './harness.js';

afterEach(killAll);
afterAll(cleanupTemps);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Toml = Record<string, any>;

/** Every fly.NAME.toml the run wrote, by process name. */
function appConfigs(dir: string): Map<string, Toml> {
  const configs = new Map<string, Toml>();
  for (const file of readdirSync(dir).sort()) {
    const m = /^fly\.(.+)\.toml$/.exec(file);
    if (m) configs.set(m[1]!, parse(readFileSync(path.join(dir, file), 'utf8')) as Toml);
  }
  return configs;
}

/** Run one app the way a Machine of it runs: ENTRYPOINT + its [processes] command, its [env]. */
function runApp(dir: string, config: Toml, log: string) {
  const [group, command] = Object.entries(config.processes as Record<string, string>)[0]!;
  const argv = shlexSplit(command);
  expect(argv, `${group}: flyctl cannot split ${command}`).toBeDefined();
  return start(path.join(dir, 'entrypoint.sh'), argv!, { cwd: '/', env: { ...(config.env ?? {}), FIXTURE_LOG: log } });
}

/** The environment a running process has (its own, not its parent's). */
const environOf = (pid: number) =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );

describe('apps: one Fly app per process', () => {
  it('each app runs its own process, PORT from its own [env]; every NAME_URL names an app and port another file serves', async () => {
    const [webPort, apiPort] = await freePorts(2);
    const dir = await project(
      'apps',
      [
        `web=${cmd.server('web', webPort!)}`,
        `api=${PYTHON} ${fixture('server.py')} api $PORT`,
        `worker=${PYTHON} -c "import time; time.sleep(300)"`,
      ],
      [`web=${webPort}`, `api=${apiPort}`],
      { app: 'acme' },
    );
    const configs = appConfigs(dir);
    expect([...configs.keys()]).toEqual(['api', 'web', 'worker']);
    expect(readdirSync(dir)).not.toContain('fly.toml');
    for (const [name, config] of configs) {
      expect(config.app).toBe(`acme-${name}`);
      expect(Object.keys(config.processes)).toEqual([name]);
    }
    // Only the web app is public; api is a private service on Flycast; the worker has none.
    expect(configs.get('web')!.http_service).toMatchObject({ internal_port: webPort, processes: ['web'] });
    expect(configs.get('web')!.services).toBeUndefined();
    expect(configs.get('api')!.http_service).toBeUndefined();
    expect(configs.get('api')!.services).toEqual([
      expect.objectContaining({ internal_port: apiPort, processes: ['api'], ports: [{ port: apiPort }] }),
    ]);
    expect(configs.get('worker')!.services).toBeUndefined();
    expect(configs.get('worker')!.http_service).toBeUndefined();

    // Each NAME_URL points at the app that runs NAME, on the port its file exposes there.
    const urls = [...configs].flatMap(([from, c]) =>
      Object.entries((c.env ?? {}) as Record<string, string>)
        .filter(([k]) => k.endsWith('_URL'))
        .map(([k, v]) => ({ from, k, url: new URL(v) })),
    );
    expect(urls.map(({ from, k }) => `${from}:${k}`).sort()).toEqual([
      'api:WEB_URL',
      'web:API_URL',
      'worker:API_URL',
      'worker:WEB_URL',
    ]);
    for (const { from, k, url } of urls) {
      const target = k.slice(0, -'_URL'.length).toLowerCase();
      const config = configs.get(target)!;
      expect(target, `${from}'s ${k}`).not.toBe(from);
      if (url.hostname.endsWith('.flycast')) {
        expect(url.hostname).toBe(`${config.app}.flycast`);
        expect(config.services.flatMap((s: Toml) => s.ports.map((p: Toml) => p.port))).toContain(Number(url.port));
      } else {
        expect(url.href).toBe(`https://${config.app}.fly.dev/`);
        expect(config.http_service.force_https).toBe(true);
      }
    }

    const log = newFixtureLog(path.dirname(dir));
    const web = runApp(dir, configs.get('web')!, log);
    const api = runApp(dir, configs.get('api')!, log);
    const worker = runApp(dir, configs.get('worker')!, log);
    expect(await waitForHttp(webPort!, 10_000, web)).toBe(`web ${web.pid}\n`);
    // api reads $PORT: its app's [env] sets it, no `env PORT=` in front of its command.
    expect(configs.get('api')!.env.PORT).toBe(String(apiPort));
    expect(configs.get('api')!.processes.api).not.toMatch(/\benv PORT=/);
    expect(await waitForHttp(apiPort!, 10_000, api)).toBe(`api ${api.pid}\n`);
    // The command replaced the entrypoint (exec): the worker's own environment holds the addresses.
    expect(environOf(worker.pid)).toMatchObject({
      API_URL: `http://acme-api.flycast:${apiPort}`,
      WEB_URL: 'https://acme-web.fly.dev',
    });

    // kill_signal reaches each app's process itself, which stops within kill_timeout.
    const signal = configs.get('web')!.kill_signal as NodeJS.Signals;
    for (const run of [web, api]) {
      const stop = await stopWith(run, signal, configs.get('web')!.kill_timeout * 1000);
      expect(stop.killed).toBe(false);
      expect(stop.exit).toMatchObject({ code: 0, signal: null });
      expect(await waitNoLeftovers(run.pid)).toEqual([]);
    }
    expect(
      readLog(log)
        .filter((e) => e.event.startsWith('got'))
        .map((e) => [e.name, e.event])
        .sort(),
    ).toEqual([
      ['api', `got ${signal}`],
      ['web', `got ${signal}`],
    ]);
  }, 30_000);

  it('a fly.toml of your own is left byte for byte; its app, region and stop settings carry over to each app', async () => {
    const flyToml = [
      '# from fly launch',
      "app = 'shop'",
      "primary_region = 'fra'",
      'kill_timeout = 12',
      '',
      '[http_service]',
      '  internal_port = 8080',
      '  # a comment of yours',
      '',
    ].join('\n');
    const dir = projectWith({ 'fly.toml': flyToml });
    await generate(dir, {
      strategy: 'apps',
      processes: ['web=bin/web', 'worker=bin/worker'],
      ports: ['web=8080'],
      yes: true,
    });
    expect(readFileSync(path.join(dir, 'fly.toml'), 'utf8')).toBe(flyToml);
    const configs = appConfigs(dir);
    expect([...configs.values()].map((c) => [c.app, c.primary_region, c.kill_timeout])).toEqual([
      ['shop-web', 'fra', 12],
      ['shop-worker', 'fra', 12],
    ]);
  });
});
