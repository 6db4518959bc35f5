/**
 * Every strategy's generated Dockerfile, built and run for real (podman, see oci.mjs and
 * shared/reference/container-testing.md). Run with `npm run test:image`; `npm test` does not.
 *
 * For each strategy: generate a runtime `generic` project with the built CLI around a small python
 * server (fixtures/server.py, the "application"), `--base-image localhost/cfm-base:bookworm`
 * (debian:bookworm-slim + python3, built locally by oci-setup.sh, as a company base image would
 * be); drop the executable bits of the build context (a Windows checkout: the Dockerfile sets them
 * again); build it (every FROM a local image, nothing pulled); run it on the host network with
 * its processes on free 127.0.0.1 ports; check every process answers; stop it as Fly stops a
 * Machine (fly.toml's kill_signal to the main process, an init as PID 1 relaying it, the exit
 * expected within kill_timeout); crash a process and check what the strategy promises.
 * The generated files are never edited. The procfile strategy's manager stage is the exception
 * that cannot be avoided here (no Go image or module proxy): it is replaced by the real overmind
 * and hivemind built from the vendored sources, see procfileStandIn() in oci.mjs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { splitWords } from '../src/shell-words.js';
import {
  baseImages,
  freePorts,
  httpGet,
  loseExecutableBits,
  Podman,
  portOpen,
  procfileManagersImage,
  readFlyToml,
  runTag,
  sleep,
  standardProject,
} from './oci.mjs';

const podman = new Podman(inject('pm'));
const KILL_TIMEOUT = 5;
/** A cold build installs packages from Debian's mirror: bounded, but generously. */
const BUILD_TIMEOUT = 15 * 60_000;
/** How long past kill_timeout we keep waiting, only to report by how much a stop overshot. */
const OVERSHOOT = 10_000;

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  await podman.removeAll(); // every container, also after a failure
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const listening = (name: string, port: number) => new RegExp(`${name} listening on 127\\.0\\.0\\.1:${port}`);

interface Built {
  dir: string;
  image: string;
  fly: ReturnType<typeof readFlyToml>;
  ports: Record<string, number>;
}

/**
 * Generate, lose the executable bits, build. The build runs in its own test (so its failure is
 * reported as such); the other tests take the image from `get()`.
 */
function imageCase(
  key: string,
  make: (ports: number[]) => { dir: string; ports: Record<string, number>; cleanup: () => void },
  portCount = 2,
) {
  let built: Built | undefined;
  let buildError: unknown;
  const state = {
    get(): Built {
      if (!built)
        throw new Error(
          `no image for ${key}: the build test failed${buildError ? `: ${String(buildError).split('\n')[0]}` : ''}`,
        );
      return built;
    },
    build: async () => {
      try {
        const { dir, ports, cleanup } = make(await freePorts(portCount));
        cleanups.push(cleanup);
        const dockerfile = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
        // Scripts in the build context lose their executable bit; the Dockerfile must set it again.
        expect(loseExecutableBits(dir)).toContain('entrypoint.sh');
        for (const image of baseImages(dockerfile))
          expect(await podman.imageExists(image), `FROM ${image} must be a local image`).toBe(true);
        const image = runTag(key);
        cleanups.push(() => podman.keep(image));
        await podman.build(dir, image, { timeoutMs: BUILD_TIMEOUT });
        expect(await podman.imageExists(image)).toBe(true);
        built = { dir, image, fly: readFlyToml(dir), ports };
      } catch (error) {
        buildError = error;
        throw error;
      }
    },
  };
  return state;
}

/** Start a container for the running test; it is removed when the test ends, passed or failed (its ports are free for the next). */
async function start(image: string, options: Parameters<Podman['start']>[1] = {}) {
  const started = await podman.start(image, options);
  onTestFinished(() => podman.remove(started.name));
  return started;
}

/** Start the image, wait (bounded) until every port answers; returns the container name. */
async function startAndProbe(
  image: string,
  ports: Record<string, number>,
  options: { args?: string[]; env?: Record<string, string>; init?: boolean } = {},
) {
  const since = performance.now();
  const { name } = await start(image, options);
  const { bodies, ms } = await podman.waitForPorts(name, Object.values(ports), { since, timeoutMs: 30_000 });
  for (const [process, port] of Object.entries(ports))
    expect(bodies.get(port), `${process} on ${port}`).toMatch(new RegExp(`^${process} \\d+\n$`));
  return { name, ms };
}

/** Stop the container as Fly stops a Machine and expect a clean exit within kill_timeout. */
async function stopLikeFly(name: string, fly: Built['fly'], expectedCode = 0) {
  const stop = await podman.stop(name, fly.killSignal, fly.killTimeout * 1000 + OVERSHOOT);
  const logs = await podman.logs(name);
  expect(
    stop.code,
    `exit status after ${fly.killSignal} (null: still running ${fly.killTimeout + OVERSHOOT / 1000} s later)\n${logs}`,
  ).toBe(expectedCode);
  expect(
    stop.ms,
    `${fly.killSignal} -> exit took ${Math.round(stop.ms)} ms; kill_timeout is ${fly.killTimeout} s\n${logs}`,
  ).toBeLessThan(fly.killTimeout * 1000);
  return { ...stop, logs };
}

async function expectPortsClosed(ports: number[]) {
  for (const port of ports)
    expect(await portOpen(port), `port ${port} still open after the container exited`).toBe(false);
}

// ---------------------------------------------------------------------------------------------

describe('process-groups: one image, each [processes] group on its own Machine', () => {
  const c = imageCase('process-groups', (ports) =>
    standardProject('process-groups', ports, { killTimeout: KILL_TIMEOUT }),
  );

  it('builds from local images only', c.build, BUILD_TIMEOUT + 60_000);

  it('runs each group with its fly.toml command as arguments (as Fly does); it answers and stops on kill_signal', async () => {
    const { image, fly, ports } = c.get();
    expect(Object.keys(fly.processes)).toEqual(['web', 'api']);
    for (const [group, command] of Object.entries(fly.processes)) {
      const split = splitWords(command); // flyctl splits the command with shell rules and runs no shell
      if ('error' in split) throw new Error(`fly.toml [processes] ${group}: ${split.error}`);
      const port = ports[group]!;
      const { name } = await startAndProbe(image, { [group]: port }, { args: split.words });
      for (const [other, otherPort] of Object.entries(ports))
        if (other !== group)
          expect(await portOpen(otherPort), `${other} must not run in ${group}'s Machine`).toBe(false);
      const { logs } = await stopLikeFly(name, fly);
      // exec: the group's own process got the signal itself, not a shell in front of it
      expect(logs).toContain(`${group} got ${fly.killSignal}`);
      await expectPortsClosed([port]);
    }
  });

  it('without arguments runs the first process', async () => {
    const { image, fly, ports } = c.get();
    const { name } = await startAndProbe(image, { web: ports.web! });
    expect(await portOpen(ports.api!)).toBe(false);
    await stopLikeFly(name, fly);
  });

  it('stops on kill_signal as PID 1 too (docker run without an init)', async () => {
    const { image, fly, ports } = c.get();
    const { name } = await startAndProbe(image, { web: ports.web! }, { init: false });
    await stopLikeFly(name, fly);
  });

  it("exits with the group's process status when it crashes (the Machine restarts on failure)", async () => {
    const { image, ports } = c.get();
    const { name } = await startAndProbe(
      image,
      { api: ports.api! },
      { args: ['python3', 'server.py', 'api', String(ports.api)] },
    );
    expect(await httpGet(ports.api!, '/exit/3')).toBe('api exits 3\n');
    const exit = await podman.waitExit(name, 10_000);
    expect(exit, 'still running 10 s after its process exited').not.toBeNull();
    expect(exit?.code).toBe(3);
  });
});

/** What every one-Machine strategy must do: all processes answer, kill_signal stops them all within kill_timeout. */
function oneMachineTests(c: ReturnType<typeof imageCase>, stopSignal: string) {
  it('runs every process: each port answers and its output reaches the container log', async () => {
    const { image, fly, ports } = c.get();
    const { name } = await startAndProbe(image, ports);
    const logs = await podman.logs(name);
    for (const [process, port] of Object.entries(ports)) expect(logs).toMatch(listening(process, port));
    const stop = await stopLikeFly(name, fly);
    // The program's own line, or overmind's report that it exited 0 on the stop: overmind relays a
    // process's output through its tmux pane and can lose the last line when the pane closes
    // (seen once in three CI runs), while the clean exit is still reported.
    const plain = stop.logs.replace(/\x1b\[[0-9;]*m/g, '');
    for (const process of Object.keys(ports)) {
      const clean = new RegExp(`^${process}\\s*\\| Exited with code 0\\r?$`, 'm');
      expect(
        plain.includes(`${process} got ${stopSignal}`) || clean.test(plain),
        `${process} was not stopped with ${stopSignal}:\n${plain}`,
      ).toBe(true);
    }
    await expectPortsClosed(Object.values(ports));
  });

  it('stops on kill_signal as PID 1 too (docker run without an init)', async () => {
    const { image, fly, ports } = c.get();
    const { name } = await startAndProbe(image, ports, { init: false });
    await stopLikeFly(name, fly);
    await expectPortsClosed(Object.values(ports));
  });

  it('execs a command given as arguments (release_command, fly ssh console -C)', async () => {
    const { image } = c.get();
    const { name } = await start(image, {
      args: ['python3', '-c', 'print("one-off ran in", __import__("os").getcwd())'],
    });
    const exit = await podman.waitExit(name, 30_000);
    const logs = await podman.logs(name);
    expect(exit, `still running 30 s later: the arguments were not exec'd\n${logs}`).not.toBeNull();
    expect(exit?.code, logs).toBe(0);
    expect(logs).toContain('one-off ran in /app');
  });
}

describe('bash: one entrypoint runs every process and fails fast', () => {
  const c = imageCase('bash', (ports) => standardProject('bash', ports, { killTimeout: KILL_TIMEOUT }));

  it('builds from local images only', c.build, BUILD_TIMEOUT + 60_000);
  oneMachineTests(c, 'SIGTERM');

  it('a crashing process ends the container with its status, after stopping the others', async () => {
    const { image, fly, ports } = c.get();
    const { name } = await startAndProbe(image, ports);
    const crashed = performance.now();
    expect(await httpGet(ports.api!, '/exit/3')).toBe('api exits 3\n');
    const exit = await podman.waitExit(name, fly.killTimeout * 1000 + OVERSHOOT);
    const logs = await podman.logs(name);
    expect(exit?.code, logs).toBe(3);
    expect(performance.now() - crashed, logs).toBeLessThan(fly.killTimeout * 1000);
    expect(logs).toContain('web got SIGTERM');
    expect(logs).toMatch(/^\[web\] web listening on/m); // each line prefixed with its process name
    expect(logs).toMatch(/\[entrypoint\] api exited with status 3/);
    await expectPortsClosed(Object.values(ports));
  });
});

describe('supervisord: restarts a crashed program in place, exits non-zero when one keeps failing', () => {
  const c = imageCase('supervisord', (ports) => standardProject('supervisord', ports, { killTimeout: KILL_TIMEOUT }));

  it('builds from local images only', c.build, BUILD_TIMEOUT + 60_000);
  oneMachineTests(c, 'SIGTERM');

  it('a process that crashes once is restarted in place; the container keeps running', async () => {
    const { image, fly, ports } = c.get();
    const { name } = await startAndProbe(image, ports);
    const before = await httpGet(ports.api!);
    expect(await httpGet(ports.api!, '/exit/3')).toBe('api exits 3\n');
    let after: string | null = null;
    const deadline = performance.now() + 15_000;
    while (performance.now() < deadline) {
      after = await httpGet(ports.api!);
      if (after !== null && after !== before) break;
      await sleep(100);
    }
    expect(after, 'api was not restarted within 15 s').toMatch(/^api \d+\n$/);
    expect(after).not.toBe(before); // a new pid
    expect(await podman.status(name)).toBe('running');
    expect(await httpGet(ports.web!)).toMatch(/^web \d+\n$/);
    await stopLikeFly(name, fly);
  });

  it('a program that keeps failing goes FATAL and the container exits 1', async () => {
    const { dir, image, ports } = c.get();
    const retries = Number(/^startretries=(\d+)$/m.exec(readFileSync(path.join(dir, 'supervisor.conf'), 'utf8'))?.[1]);
    expect(retries).toBeGreaterThan(0);
    // api prints a line and exits 3 at every start: supervisord retries it, then marks it FATAL
    const started = performance.now();
    const { name } = await startAndProbe(image, { web: ports.web! }, { env: { CFM_FAIL_AT_START: 'api' } });
    // 1 + startretries starts with backoffs of 1, 2, 3 s: ~12 s. If a quick crash is taken for
    // RUNNING (startsecs not above supervisord's 1 s tick), the retry count resets and it can take minutes.
    const exit = await podman.waitExit(name, 60_000);
    const logs = await podman.logs(name);
    const took = `${Math.round(performance.now() - started)} ms`;
    expect(exit?.code, `${took}\n${logs}`).toBe(1);
    expect(
      logs.match(/spawned: 'api'/g)?.length,
      `api should start 1 + startretries times, then go FATAL (${took})\n${logs}`,
    ).toBe(retries + 1);
    expect(logs).toMatch(/gave up: api entered FATAL state/);
    expect(logs).toMatch(/\[supervisor-fail-fast\] api: PROCESS_STATE_FATAL/);
    expect(logs).toContain('web got SIGTERM');
    await expectPortsClosed(Object.values(ports));
  }, 90_000);
});

describe.each(['overmind', 'hivemind'] as const)(
  'procfile (%s): Procfile.fly run by the real manager, fail fast',
  (manager) => {
    // The real overmind/hivemind (scripts/procfile-managers.sh, from the vendored sources) in place of
    // the `go install` stage: see procfileStandIn() in oci.mjs.
    let managersImage = '';
    beforeAll(async () => {
      managersImage = await procfileManagersImage(podman);
    }, 15 * 60_000);
    const c = imageCase(`procfile-${manager}`, (ports) => {
      const project = standardProject('procfile', ports, {
        procfileManager: manager,
        killTimeout: KILL_TIMEOUT,
        managersImage,
      });
      expect(project.standIn?.replaced).toMatch(/go install/); // the one stage we cannot build here
      return project;
    });
    /** CFM_TEST_NO_NOUTEMPTER=1: run the containers without the tmux < 3.6 workaround, to see it matter. */
    const env: Record<string, string> = process.env.CFM_TEST_NO_NOUTEMPTER === '1' ? { NOUTEMPTER_LIB: '' } : {};
    /** overmind stops each process with OVERMIND_STOP_SIGNALS (TERM); hivemind always sends SIGINT. */
    const stopSignal = manager === 'overmind' ? 'SIGTERM' : 'SIGINT';

    it(
      'builds from local images only (the manager stage: the real binaries built here)',
      c.build,
      BUILD_TIMEOUT + 60_000,
    );
    oneMachineTests(c, stopSignal);

    it('the final stage holds what the manager needs', async () => {
      const { image } = c.get();
      const check =
        manager === 'overmind'
          ? 'command -v overmind && overmind --version && tmux -V && ls /usr/local/lib/libnoutempter.so'
          : 'command -v hivemind && hivemind --version';
      const { name } = await start(image, { args: ['sh', '-c', check] });
      const exit = await podman.waitExit(name, 30_000);
      const logs = await podman.logs(name);
      expect(exit, `still running 30 s later: the arguments were not exec'd\n${logs}`).not.toBeNull();
      expect(exit?.code, logs).toBe(0);
      expect(logs).toContain(`/usr/local/bin/${manager}`);
      expect(logs).toMatch(manager === 'overmind' ? /Overmind version 2\.5\.1/ : /Hivemind version 1\.1\.0/);
      if (manager === 'overmind') expect(logs).toMatch(/^tmux \d/m);
    });

    if (manager === 'overmind') {
      it("overmind's tmux server runs with libnoutempter.so preloaded (the tmux < 3.6 hang workaround)", async () => {
        const { image, fly, ports } = c.get();
        const { name } = await startAndProbe(image, ports);
        const r = await podman.run(
          [
            'exec',
            name,
            'sh',
            '-c',
            'for p in /proc/[0-9]*; do grep -q libnoutempter "$p/maps" 2>/dev/null && cat "$p/comm"; done; true',
          ],
          { timeoutMs: 30_000 },
        );
        expect(r.stdout.split('\n')).toContain('tmux: server');
        await stopLikeFly(name, fly);
      });
    }

    it(`a crashing process stops the others and ends the container (${manager === 'overmind' ? 'with its status' : 'status 0: [[restart]] policy "always"'})`, async () => {
      const { image, fly, ports } = c.get();
      const { name } = await startAndProbe(image, ports, { env });
      const crashed = performance.now();
      expect(await httpGet(ports.api!, '/exit/3')).toBe('api exits 3\n');
      const exit = await podman.waitExit(name, fly.killTimeout * 1000 + OVERSHOOT);
      const logs = await podman.logs(name);
      expect(exit, `still running ${fly.killTimeout * 1000 + OVERSHOOT} ms after api exited 3\n${logs}`).not.toBeNull();
      // overmind passes the status on; hivemind 1.1.0 always exits 0, so fly.toml restarts the Machine always
      expect(exit?.code, logs).toBe(manager === 'overmind' ? 3 : 0);
      expect(fly.toml.restart).toEqual([{ policy: 'always' }]);
      expect(performance.now() - crashed, logs).toBeLessThan(fly.killTimeout * 1000);
      const plain = logs.replace(/\x1b\][^\x07]*\x07/g, '').replace(/\x1b\[[0-9;]*m/g, ''); // both managers colour the names
      // web's own line, or the manager's report that it exited 0 on the stop: overmind relays output
      // through tmux and can lose a process's last line when its pane closes (seen in CI).
      expect(plain.includes(`web got ${stopSignal}`) || /^web\s*\| Exited with code 0\r?$/m.test(plain), plain).toBe(
        true,
      );
      expect(plain).toMatch(/^web\s*\| web listening on/m); // each line named by the manager
      expect(plain).toMatch(/^api\s*\| api exiting with status 3/m);
      await expectPortsClosed(Object.values(ports));
    });

    it('5 rounds of start/crash and start/stop: no hang', async () => {
      const { image, fly, ports } = c.get();
      for (let round = 0; round < 5; round++) {
        const { name } = await startAndProbe(image, ports, { env });
        if (round % 2) {
          expect(await httpGet(ports.api!, '/exit/3')).toBe('api exits 3\n');
          const exit = await podman.waitExit(name, fly.killTimeout * 1000 + OVERSHOOT);
          expect(exit, `round ${round}: still running after api exited 3\n${await podman.logs(name)}`).not.toBeNull();
        } else {
          await stopLikeFly(name, fly);
        }
        await podman.remove(name);
        await expectPortsClosed(Object.values(ports));
      }
    }, 180_000);
  },
);
