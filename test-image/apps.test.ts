/**
 * --strategy apps, built and run for real (podman, as test-image/images.test.ts does for the other
 * strategies): one image, and each fly.NAME.toml run the way Fly runs a Machine of that app: the
 * image with the app's [processes] command as arguments (split by flyctl's rules), its [env] in the
 * environment, an init as PID 1 relaying kill_signal. Every app answers on its own port and stops on
 * kill_signal within kill_timeout; the [env] addresses of the other apps reach the process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { shlexSplit } from '../src/flytoml-rules.js';
import { baseImages, freePorts, generateProject, loseExecutableBits, Podman, removeProject, runTag } from './oci.mjs';

const podman = new Podman(inject('pm'));
const BUILD_TIMEOUT = 15 * 60_000;
const OVERSHOOT = 10_000;

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  await podman.removeAll();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Toml = Record<string, any>;

interface Built {
  dir: string;
  image: string;
  ports: Record<string, number>;
  /** fly.NAME.toml by process name. */
  apps: Map<string, Toml>;
}

/** Generate (web public, api private and reading $PORT, worker without a port), lose the executable bits, build. */
function imageCase(key: string) {
  let built: Built | undefined;
  return {
    get(): Built {
      if (!built) throw new Error(`no image for ${key}: the build test failed`);
      return built;
    },
    build: async () => {
      const [web, api] = await freePorts(2);
      const dir = generateProject({
        strategy: 'apps',
        processes: [
          ['web', `python3 server.py web ${web}`, web],
          ['api', 'python3 server.py api $PORT', api],
          [
            'worker',
            "python3 -c \"import os, time; print('worker sees', os.environ['API_URL'], os.environ['WEB_URL'], flush=True); time.sleep(600)\"",
          ],
        ],
        killTimeout: 5,
      });
      cleanups.push(() => removeProject(dir));
      expect(loseExecutableBits(dir)).toContain('entrypoint.sh');
      const dockerfile = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
      for (const image of baseImages(dockerfile))
        expect(await podman.imageExists(image), `FROM ${image} must be a local image`).toBe(true);
      const image = runTag(key);
      cleanups.push(() => podman.keep(image));
      await podman.build(dir, image, { timeoutMs: BUILD_TIMEOUT });
      const apps = new Map<string, Toml>();
      for (const file of readdirSync(dir).sort()) {
        const m = /^fly\.(.+)\.toml$/.exec(file);
        if (m) apps.set(m[1]!, parse(readFileSync(path.join(dir, file), 'utf8')) as Toml);
      }
      built = { dir, image, ports: { web: web!, api: api! }, apps };
    },
  };
}

/** Start a Machine of one app: the image, its [processes] command, its [env]. */
async function startApp(b: Built, name: string) {
  const config = b.apps.get(name)!;
  const args = shlexSplit(Object.values(config.processes as Record<string, string>)[0]!);
  expect(args).toBeDefined();
  const started = await podman.start(b.image, { args: args!, env: config.env ?? {}, init: true });
  onTestFinished(() => podman.remove(started.name));
  return { name: started.name, config };
}

describe('apps: one image, each process its own Fly app', () => {
  const c = imageCase('apps');

  it('builds from local images only', c.build, BUILD_TIMEOUT + 60_000);

  it.each(['web', 'api'])(
    'the %s app answers on its port and stops on kill_signal within kill_timeout',
    async (app) => {
      const b = c.get();
      const { name, config } = await startApp(b, app);
      const port = b.ports[app]!;
      const { bodies } = await podman.waitForPorts(name, [port], { timeoutMs: 30_000 });
      expect(bodies.get(port)).toMatch(new RegExp(`^${app} \\d+\n$`));
      const stop = await podman.stop(name, config.kill_signal, config.kill_timeout * 1000 + OVERSHOOT);
      const logs = await podman.logs(name);
      expect(stop.code, logs).toBe(0);
      expect(stop.ms, logs).toBeLessThan(config.kill_timeout * 1000);
    },
  );

  it("the worker app gets the other apps' addresses from its [env], and stops on kill_signal", async () => {
    const b = c.get();
    const { name, config } = await startApp(b, 'worker');
    const deadline = performance.now() + 30_000;
    let logs = '';
    while (performance.now() < deadline && !/worker sees/.test(logs)) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      logs = await podman.logs(name);
    }
    expect(logs).toContain(`worker sees http://image-test-api.flycast:${b.ports.api} https://image-test-web.fly.dev`);
    const stop = await podman.stop(name, config.kill_signal, config.kill_timeout * 1000 + OVERSHOOT);
    // python3 -c has no handler: the default action of SIGINT is KeyboardInterrupt (exit 1), which is
    // a stop within kill_timeout all the same: what matters is that the signal reached it.
    expect(stop.code, await podman.logs(name)).not.toBeNull();
    expect(stop.ms).toBeLessThan(config.kill_timeout * 1000);
  });
});
