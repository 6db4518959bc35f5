/**
 * Every runtime x strategy, built and run for real (`npm run test:image`): the sample projects in
 * test-image/samples/ (shaped like real ones: npm registry dependencies, a postinstall script that
 * reads the source, workspaces, path gems/crates, replaced and vendored Go modules, a Gemfile.lock
 * made on a Mac, requirements includes, a static site with an nginx template), generated with the
 * built CLI and no --base-image, so the Dockerfile's FROM lines are the runtime's official images,
 * here the local stand-ins (test-image/standins/). Each image must answer on its ports, stop on
 * fly.toml's kill_signal within kill_timeout with status 0, and end (or, with supervisord, restart
 * the program) when a process crashes. The build stage is the same text for every strategy of a
 * runtime, so podman's layer cache builds it once.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { splitWords } from '../src/shell-words.js';
import {
  baseImages,
  freePorts,
  httpGet,
  Podman,
  portOpen,
  procfileManagersImage,
  readFlyToml,
  runTag,
  sampleProject,
  sleep,
} from './oci.mjs';

const podman = new Podman(inject('pm'));
const KILL_TIMEOUT = 5;
const BUILD_TIMEOUT = 15 * 60_000;
const OVERSHOOT = 10_000;
const RUNTIMES = ['node', 'bun', 'python', 'ruby', 'go', 'rust', 'static'] as const;
const STRATEGIES = ['process-groups', 'bash', 'supervisord', 'procfile'] as const;

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  await podman.removeAll();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

let managersImage = '';
beforeAll(async () => {
  managersImage = await procfileManagersImage(podman);
}, 15 * 60_000);

async function start(image: string, options: Parameters<Podman['start']>[1] = {}) {
  const started = await podman.start(image, options);
  onTestFinished(() => podman.remove(started.name));
  return started;
}

describe.each(RUNTIMES)('runtime %s', (runtime) => {
  const isStatic = runtime === 'static';
  // static: one process (nginx), and the one-Machine strategies need two; its image has no second
  // server to run (see test-image/samples/README.md)
  describe.each(isStatic ? (['process-groups'] as const) : STRATEGIES)('strategy %s', (strategy) => {
    let built:
      { dir: string; image: string; fly: ReturnType<typeof readFlyToml>; ports: Record<string, number> } | undefined;
    const get = () => {
      if (!built) throw new Error(`no image for ${runtime} x ${strategy}: the build test failed`);
      return built;
    };
    /** static: nginx reads its port from NGINX_PORT through the image's template step. */
    const env = (): Record<string, string> => (isStatic ? { NGINX_PORT: String(get().ports.web) } : {});
    const expectAnswer = (process: string, body: string | undefined) =>
      isStatic
        ? expect(body, `${process}: the site`).toContain('<h1>static sample</h1>')
        : expect(body, process).toMatch(new RegExp(`^${process} \\d+\n$`));

    /** process-groups: one group per Machine, started with its fly.toml command as arguments (as Fly does). */
    const groupArgs = (group: string) => {
      const split = splitWords(get().fly.processes[group]!);
      if ('error' in split) throw new Error(split.error);
      return split.words;
    };
    const running = () => (strategy === 'process-groups' ? { web: get().ports.web! } : get().ports);

    async function startAndProbe() {
      const since = performance.now();
      const { name } = await start(get().image, {
        env: env(),
        ...(strategy === 'process-groups' ? { args: groupArgs('web') } : {}),
      });
      const ports = running();
      const { bodies } = await podman.waitForPorts(name, Object.values(ports), { since, timeoutMs: 60_000 });
      for (const [process, port] of Object.entries(ports)) expectAnswer(process, bodies.get(port));
      return name;
    }

    it(
      'builds from the stand-ins of its official images',
      async () => {
        const { dir, ports, cleanup } = sampleProject(runtime, strategy, await freePorts(isStatic ? 1 : 2), {
          killTimeout: KILL_TIMEOUT,
          managersImage,
          ...(isStatic ? { runtime: 'static' } : {}),
        });
        cleanups.push(cleanup);
        const dockerfile = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
        const images = baseImages(dockerfile);
        for (const image of images)
          expect(await podman.imageExists(image), `FROM ${image} must be a local image (a stand-in)`).toBe(true);
        const image = runTag(`${runtime}-${strategy}`);
        cleanups.push(() => podman.keep(image));
        await podman.build(dir, image, { timeoutMs: BUILD_TIMEOUT });
        built = { dir, image, fly: readFlyToml(dir), ports };
      },
      BUILD_TIMEOUT + 60_000,
    );

    it('answers on its ports and stops on kill_signal within kill_timeout, status 0', async () => {
      const { fly } = get();
      const name = await startAndProbe();
      // the processes run unprivileged (static: nginx's master is root, its workers nginx)
      const ps = await podman.run(
        [
          'exec',
          '--user',
          'root',
          name,
          'sh',
          '-c',
          'for p in /proc/[0-9]*; do printf "%s uid=%s\\n" "$(tr "\\0" " " < $p/cmdline)" "$(awk "/^Uid:/{print \\$2}" $p/status)"; done',
        ],
        { timeoutMs: 30_000 },
      );
      const servers = ps.stdout
        .split('\n')
        .filter((l) =>
          isStatic ? /^nginx: master/.test(l) : Object.values(running()).some((port) => l.includes(` ${port} `)),
        );
      expect(servers.length, ps.stdout).toBeGreaterThan(0);
      for (const line of servers) expect(line, ps.stdout).toMatch(isStatic ? / uid=0$/ : / uid=[1-9]\d*$/);
      const stop = await podman.stop(name, fly.killSignal, fly.killTimeout * 1000 + OVERSHOOT);
      const logs = await podman.logs(name);
      expect(stop.code, `status after ${fly.killSignal} (null: still running)\n${logs}`).toBe(0);
      expect(stop.ms, `${fly.killSignal} -> exit took ${Math.round(stop.ms)} ms\n${logs}`).toBeLessThan(
        fly.killTimeout * 1000,
      );
      for (const port of Object.values(running())) expect(await portOpen(port), `port ${port} still open`).toBe(false);
    }, 120_000);

    if (!isStatic) {
      it(
        strategy === 'supervisord'
          ? 'restarts a crashed program in place'
          : 'ends with the status of a crashed process',
        async () => {
          const { fly, ports } = get();
          const name = await startAndProbe();
          const victim = strategy === 'process-groups' ? 'web' : 'api';
          const before = await httpGet(ports[victim]!);
          expect(await httpGet(ports[victim]!, '/exit/3')).toBe(`${victim} exits 3\n`);
          if (strategy === 'supervisord') {
            let after: string | null = null;
            const deadline = performance.now() + 20_000;
            while (performance.now() < deadline) {
              after = await httpGet(ports[victim]!);
              if (after !== null && after !== before) break;
              await sleep(100);
            }
            expect(after, `${victim} was not restarted within 20 s\n${await podman.logs(name)}`).toMatch(
              new RegExp(`^${victim} \\d+\n$`),
            );
            expect(after).not.toBe(before);
            expect(await podman.status(name)).toBe('running');
            return;
          }
          const exit = await podman.waitExit(name, fly.killTimeout * 1000 + OVERSHOOT);
          const logs = await podman.logs(name);
          expect(exit, `still running after ${victim} exited 3\n${logs}`).not.toBeNull();
          expect(exit?.code, logs).toBe(3);
        },
        120_000,
      );
    }
  });
});
