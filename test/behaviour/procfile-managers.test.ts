/**
 * Strategy procfile under the real managers: overmind 2.5.1 (with Debian's tmux) and hivemind 1.1.0,
 * built from ../shared/vendor/procfile-managers by scripts/procfile-managers.sh (.ci/run does it)
 * into $CFM_PROCFILE_MANAGERS (default /var/cache/create-fly-multiproc/procfile-managers). Missing
 * binaries skip these tests with a message, or fail them under CI=true.
 *
 * The generated entrypoint.sh is started as Fly's init starts it (harness.start). overmind's tmux
 * server and panes leave the entrypoint's session (tmux calls setsid), so leftovers are also found by
 * a marker variable in /proc/PID/environ, which every process of a run inherits.
 *
 * libnoutempter.so, the workaround for the tmux < 3.6 hang, is built here from the generated
 * Dockerfile's own RUN line (C source and gcc flags), so these tests run the shim the image gets.
 * CFM_TEST_NO_NOUTEMPTER=1 runs the overmind tests without it (NOUTEMPTER_LIB=): with Debian's tmux
 * 3.3a they then hang and fail, which is how the workaround was shown to matter.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTemps, requireTool, tempDir } from '../helpers.js';
import {
  API_BANNER,
  apiShellCommand,
  cmd,
  expectNothingLeft,
  freePorts,
  killAll,
  newFixtureLog,
  procInfo,
  project,
  PYTHON,
  readLog,
  start,
  stopWith,
  waitForHttp,
  waitForLog,
  type ProcInfo,
  type Run,
} from './harness.js';

const MANAGERS_DIR = process.env.CFM_PROCFILE_MANAGERS || '/var/cache/create-fly-multiproc/procfile-managers';
const KILL_TIMEOUT_MS = 5000;
const NO_SHIM = process.env.CFM_TEST_NO_NOUTEMPTER === '1';

function requireManager(name: string): boolean {
  const found = existsSync(path.join(MANAGERS_DIR, name));
  const how = `build it with scripts/procfile-managers.sh (Debian golang-go, gcc, tmux; sources in ../shared/vendor/procfile-managers)`;
  if (!found && process.env.CI === 'true')
    throw new Error(`${name} not found in ${MANAGERS_DIR}: ${how}; .ci/run does`);
  if (!found) console.warn(`SKIPPED: ${name} not found in ${MANAGERS_DIR} (${how}); these tests need it`);
  return found;
}

const hasTmux = requireTool('tmux', 'tmux');
const hasGcc = requireTool('gcc', 'gcc');
const available = {
  overmind: requireManager('overmind') && hasTmux && hasGcc,
  hivemind: requireManager('hivemind'),
};

// ---------------------------------------------------------------------------------------------
// processes of a run, wherever they went (tmux daemonizes)

const MARKER = 'CFM_PROCFILE_TEST_RUN';
let markerCount = 0;
const markers = new Set<string>();

function newMarker(): string {
  const marker = `${process.pid}-${markerCount++}`;
  markers.add(marker);
  return marker;
}

/** Live processes whose environment holds MARKER=marker (the tmux server and its panes included). */
function withMarker(marker: string): ProcInfo[] {
  const needle = `\0${MARKER}=${marker}\0`;
  const found: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string;
    try {
      environ = `\0${readFileSync(`/proc/${name}/environ`, 'latin1')}`;
    } catch {
      continue; // gone meanwhile
    }
    if (!environ.includes(needle)) continue;
    const info = procInfo(Number(name));
    if (info && info.state !== 'Z' && info.state !== 'X') found.push(info);
  }
  return found;
}

async function waitNoMarked(marker: string, timeoutMs = 3000): Promise<ProcInfo[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const live = withMarker(marker);
    if (live.length === 0 || performance.now() > deadline) return live;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

afterEach(async () => {
  await killAll();
  for (const marker of markers) {
    for (const p of withMarker(marker)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  markers.clear();
});
afterAll(cleanupTemps);

// ---------------------------------------------------------------------------------------------
// the shim, built the way the generated Dockerfile builds it

/**
 * Build libnoutempter.so from the generated Dockerfile's RUN line: the C lines it prints and the
 * gcc flags it uses, with the output paths moved into a temp dir.
 */
function buildShimFromDockerfile(dockerfile: string): string {
  const source = /printf '%s\\n' ((?:'[^']*' ?)+)> \/tmp\/noutempter\.c/.exec(dockerfile);
  const compile = /gcc ((?:-\S+ )+)-o \/go\/lib\/libnoutempter\.so \/tmp\/noutempter\.c/.exec(dockerfile);
  if (!source || !compile) throw new Error(`no libnoutempter.so build in the generated Dockerfile:\n${dockerfile}`);
  const lines = [...source[1]!.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
  const dir = tempDir('cfm-shim-');
  writeFileSync(path.join(dir, 'noutempter.c'), `${lines.join('\n')}\n`);
  const lib = path.join(dir, 'libnoutempter.so');
  execFileSync('gcc', [...compile[1]!.trim().split(' '), '-o', lib, path.join(dir, 'noutempter.c')]);
  return lib;
}

// ---------------------------------------------------------------------------------------------

type Manager = 'overmind' | 'hivemind';

/** The signal each process gets on stop: overmind as OVERMIND_STOP_SIGNALS says, hivemind always SIGINT. */
const stopSignalOf = (manager: Manager) => (manager === 'overmind' ? 'SIGTERM' : 'SIGINT');

const plain = (text: string) => text.replace(/\x1b\][^\x07]*\x07/g, '').replace(/\x1b\[[0-9;]*m/g, '');

interface Launched {
  dir: string;
  log: string;
  run: Run;
  marker: string;
  /** Every process of the run, after a stop: the session, the fixtures, and anything with the marker (tmux). */
  expectNothingLeft(): Promise<void>;
  output(): string;
}

describe.each(['overmind', 'hivemind'] as const)('procfile entrypoint under real %s', (manager) => {
  let shim = '';

  beforeAll(async () => {
    if (!available[manager] || manager !== 'overmind') return;
    const dir = await project('procfile', ['web=bin/web', 'api=bin/api'], [], { procfileManager: 'overmind' });
    shim = buildShimFromDockerfile(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'));
  });

  async function launch(
    processes: string[],
    ports: string[] = [],
    env: Record<string, string> = {},
    files: Record<string, string> = {},
  ): Promise<Launched> {
    const dir = await project('procfile', processes, ports, {
      procfileManager: manager,
      killTimeout: String(KILL_TIMEOUT_MS / 1000),
    });
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
    const scratch = tempDir('cfm-pm-run-');
    const log = newFixtureLog(scratch);
    const marker = newMarker();
    const run = start(path.join(dir, 'entrypoint.sh'), [], {
      cwd: dir,
      env: {
        PATH: `${MANAGERS_DIR}:${process.env.PATH}`,
        FIXTURE_LOG: log,
        [MARKER]: marker,
        // per run: overmind's script dir, tmux's socket dir, overmind's control socket
        TMPDIR: scratch,
        TMUX_TMPDIR: scratch,
        TMUX: undefined,
        OVERMIND_SOCKET: path.join(scratch, 'overmind.sock'),
        NOUTEMPTER_LIB: NO_SHIM ? '' : shim,
        ...env,
      },
    });
    return {
      dir,
      log,
      run,
      marker,
      output: () => plain(run.output),
      async expectNothingLeft() {
        await expectNothingLeft(run, log);
        expect(
          await waitNoMarked(marker),
          'processes of this run still alive (tmux server, panes, their children)',
        ).toEqual([]);
      },
    };
  }

  describe.skipIf(!available[manager])(manager, () => {
    it.each(['SIGINT', 'SIGTERM'] as const)(
      'runs every process, names their output on stdout, and on %s stops all within kill_timeout, nothing left',
      async (signal) => {
        const [webPort, apiPort] = await freePorts(2);
        const l = await launch(
          [`web=${cmd.server('web', webPort!)}`, `api=${apiShellCommand()}`],
          [`web=${webPort}`, `api=${apiPort}`],
          { API_PORT: String(apiPort) },
        );
        expect(await waitForHttp(webPort!, 15_000, l.run)).toMatch(/^web \d+/);
        expect(await waitForHttp(apiPort!, 15_000, l.run)).toMatch(/^api \d+/);
        await l.run.until(
          () => /^web\s*\| web listening on/m.test(l.output()) && /^api\s*\| api listening on/m.test(l.output()),
          5000,
          'both servers named on stdout',
        );
        expect(l.output()).toMatch(new RegExp(`^web\\s*\\| web listening on 127\\.0\\.0\\.1:${webPort}\\r?$`, 'm'));
        expect(l.output()).toMatch(new RegExp(`^api\\s*\\| api listening on 127\\.0\\.0\\.1:${apiPort}\\r?$`, 'm'));
        // the shell syntax of the command survived Procfile.fly and the manager's shell
        expect(l.output().split(/\r?\n/)).toEqual(
          expect.arrayContaining([
            expect.stringMatching(new RegExp(`^api\\s*\\| ${API_BANNER.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)),
          ]),
        );
        if (manager === 'overmind' && !NO_SHIM) {
          // the tmux server really runs with the shim
          const tmux = withMarker(l.marker).filter((p) => /^tmux/.test(p.cmdline));
          expect(tmux.length, 'a tmux server').toBeGreaterThan(0);
          for (const p of tmux) expect(readFileSync(`/proc/${p.pid}/maps`, 'utf8')).toContain(shim);
        }

        const stop = await stopWith(l.run, signal, KILL_TIMEOUT_MS);
        expect(stop.killed, `${manager} still running ${KILL_TIMEOUT_MS} ms after ${signal}\n${l.output()}`).toBe(
          false,
        );
        expect(stop.exit.code, l.output()).toBe(0);
        const got = readLog(l.log)
          .filter((e) => e.event.startsWith('got '))
          .map((e) => `${e.name} ${e.event}`);
        expect(got.sort()).toEqual([`api got ${stopSignalOf(manager)}`, `web got ${stopSignalOf(manager)}`]);
        await l.expectNothingLeft();
      },
      30_000,
    );

    it('a process that ignores the stop signal is SIGKILLed, and the manager still exits within kill_timeout', async () => {
      const [webPort, apiPort] = await freePorts(2);
      const l = await launch([
        `web=${cmd.server('web', webPort!, '--stubborn')}`,
        `api=${cmd.server('api', apiPort!)}`,
      ]);
      await waitForHttp(webPort!, 15_000, l.run);
      await waitForHttp(apiPort!, 15_000, l.run);
      const stop = await stopWith(l.run, 'SIGTERM', KILL_TIMEOUT_MS);
      expect(stop.killed, `${manager} still running ${KILL_TIMEOUT_MS} ms after SIGTERM\n${l.output()}`).toBe(false);
      // the manager's own timeout (kill_timeout - 2) did it, not the harness: web got the signal and lived on
      expect(readLog(l.log).some((e) => e.name === 'web' && e.event === `got ${stopSignalOf(manager)}`)).toBe(true);
      expect(stop.elapsedMs).toBeGreaterThan((KILL_TIMEOUT_MS - 2000) * 0.9);
      await l.expectNothingLeft();
    }, 30_000);

    it('a crashing process stops the others and ends the manager, so that Fly restarts the Machine', async () => {
      const [webPort] = await freePorts(1);
      const l = await launch(
        [`web=${cmd.server('web', webPort!)}`, `api=${cmd.exitAfter('api', 1500, 3)}`],
        [`web=${webPort}`],
      );
      await waitForHttp(webPort!, 15_000, l.run);
      const exit = await l.run.waitExit(15_000);
      expect(exit, `${manager} still running 15 s after api exited 3\n${l.output()}`).not.toBeNull();
      const crashed = readLog(l.log).find((e) => e.name === 'api' && e.event === 'exit 3');
      expect(crashed).toBeDefined();
      expect(exit!.wall - crashed!.time, l.output()).toBeLessThan(KILL_TIMEOUT_MS);
      expect(readLog(l.log).some((e) => e.name === 'web' && e.event === `got ${stopSignalOf(manager)}`)).toBe(true);
      // overmind passes the status on; hivemind always exits 0, and fly.toml's [[restart]] covers that
      expect(exit!.code, l.output()).toBe(manager === 'overmind' ? 3 : 0);
      if (manager === 'hivemind') expect(l.output()).toMatch(/^api\s*\| exit status 3/m);
      const fly = parseToml(readFileSync(path.join(l.dir, 'fly.toml'), 'utf8')) as { restart?: { policy?: string }[] };
      expect(fly.restart).toEqual([{ policy: 'always' }]);
      await l.expectNothingLeft();
    }, 30_000);

    it.each([
      ['exec added by Procfile.fly', (c: string) => c, 0],
      ["the last program of a list, exec'd: `cd . && program`", (c: string) => `cd . && ${c}`, 0],
      ['under a shell that stays: `if true; then program; fi`', (c: string) => `if true; then ${c}; fi`, 137],
    ])(
      'a process killed outright (%s) ends the manager',
      async (_what, wrap, overmindCode) => {
        const [webPort, apiPort] = await freePorts(2);
        const l = await launch([`web=${wrap(cmd.server('web', webPort!))}`, `api=${cmd.server('api', apiPort!)}`]);
        await waitForHttp(webPort!, 15_000, l.run);
        await waitForHttp(apiPort!, 15_000, l.run);
        const web = readLog(l.log).find((e) => e.name === 'web' && e.event === 'start')!;
        process.kill(web.pid, 'SIGKILL');
        const exit = await l.run.waitExit(KILL_TIMEOUT_MS + 5000);
        expect(exit, `${manager} still running after web was SIGKILLed\n${l.output()}`).not.toBeNull();
        // overmind: 0 with exec (tmux reports no status for a signal death), 137 from a shell around
        // the program; hivemind: always 0. [[restart]] policy "always" restarts the Machine anyway.
        expect(exit!.code, l.output()).toBe(manager === 'overmind' ? overmindCode : 0);
        expect(readLog(l.log).some((e) => e.name === 'api' && e.event === `got ${stopSignalOf(manager)}`)).toBe(true);
        await l.expectNothingLeft();
      },
      30_000,
    );

    it('reads neither .env nor .overmind.env from the app directory: Fly secrets win, nothing is added', async () => {
      const [webPort] = await freePorts(1);
      const show = `${PYTHON} -c 'import os; print("env FOO=%s BAR=%s" % (os.environ.get("FOO"), os.environ.get("BAR")), flush=True)' && exec ${cmd.server('web', webPort!)}`;
      const l = await launch(
        [`web=${show}`, `api=${cmd.server('api', (await freePorts(1))[0]!)}`],
        [],
        { FOO: 'secret' },
        {
          '.env': 'FOO=from-dotenv\nBAR=from-dotenv\n',
          '.overmind.env': 'FOO=from-overmind-env\nBAR=from-overmind-env\n',
        },
      );
      await waitForHttp(webPort!, 15_000, l.run);
      await l.run.until(() => /env FOO=/.test(l.output()), 5000, 'the env line');
      expect(l.output()).toMatch(/^web\s*\| env FOO=secret BAR=None\r?$/m);
      await stopWith(l.run, 'SIGTERM', KILL_TIMEOUT_MS);
      await l.expectNothingLeft();
    }, 30_000);

    it('started on a terminal of size 0x0 (docker run -t, `script` without one), every process still starts', async () => {
      const [webPort, apiPort] = await freePorts(2);
      const l = await launch([`web=${cmd.server('web', webPort!)}`, `api=${cmd.server('api', apiPort!)}`]);
      // launch() started entrypoint.sh directly; stop it, and start it again under script(1), which
      // gives it a pseudo-terminal of size 0x0 as stdin (overmind#161: only the first entry would start)
      await stopWith(l.run, 'SIGTERM', KILL_TIMEOUT_MS);
      await l.expectNothingLeft();
      const scratch = tempDir('cfm-pm-tty-');
      const marker = newMarker();
      const run = start('script', ['-qefc', path.join(l.dir, 'entrypoint.sh'), '/dev/null'], {
        cwd: l.dir,
        env: {
          PATH: `${MANAGERS_DIR}:${process.env.PATH}`,
          [MARKER]: marker,
          TMPDIR: scratch,
          TMUX_TMPDIR: scratch,
          TMUX: undefined,
          OVERMIND_SOCKET: path.join(scratch, 'overmind.sock'),
          NOUTEMPTER_LIB: NO_SHIM ? '' : shim,
        },
      });
      expect(await waitForHttp(webPort!, 15_000, run)).toMatch(/^web \d+/);
      expect(await waitForHttp(apiPort!, 15_000, run)).toMatch(/^api \d+/);
      const tty = withMarker(marker).filter((p) => /overmind|hivemind/.test(p.cmdline));
      expect(tty.length).toBeGreaterThan(0);
      for (const p of withMarker(marker)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }, 60_000);

    if (manager === 'overmind') {
      it('starts although a stale control socket is left from an unclean stop', async () => {
        const [webPort, apiPort] = await freePorts(2);
        const scratch = tempDir('cfm-stale-');
        const socket = path.join(scratch, 'overmind.sock');
        // a bound, never-listening unix socket: what a SIGKILLed overmind leaves
        execFileSync(PYTHON, ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', socket]);
        expect(existsSync(socket)).toBe(true);
        const l = await launch([`web=${cmd.server('web', webPort!)}`, `api=${cmd.server('api', apiPort!)}`], [], {
          OVERMIND_SOCKET: socket,
        });
        await waitForHttp(webPort!, 15_000, l.run);
        await waitForHttp(apiPort!, 15_000, l.run);
        const stop = await stopWith(l.run, 'SIGINT', KILL_TIMEOUT_MS);
        expect(stop.exit.code).toBe(0);
        await l.expectNothingLeft();
      }, 30_000);
    }

    it('20 start/stop and start/crash rounds in a row: no hang, nothing left', async () => {
      const results: string[] = [];
      for (let round = 0; round < 20; round++) {
        const [webPort] = await freePorts(1);
        const crash = round % 2 === 1;
        const api = crash ? cmd.exitAfter('api', 1000, 3) : cmd.server('api', (await freePorts(1))[0]!);
        const l = await launch([`web=${cmd.server('web', webPort!)}`, `api=${api}`]);
        await waitForHttp(webPort!, 15_000, l.run);
        let exit;
        if (crash) {
          await waitForLog(
            l.log,
            (entries) => entries.some((e) => e.name === 'api' && e.event === 'exit 3'),
            10_000,
            'api to exit',
          );
          exit = await l.run.waitExit(KILL_TIMEOUT_MS);
        } else {
          const stop = await stopWith(l.run, 'SIGTERM', KILL_TIMEOUT_MS);
          exit = stop.killed ? null : stop.exit;
        }
        results.push(`${round} ${crash ? 'crash' : 'stop'}: ${exit ? `exit ${exit.code}` : 'HUNG'}`);
        expect(
          exit,
          `round ${round} (${crash ? 'api exited 3' : 'SIGTERM'}): ${manager} hung\n${results.join('\n')}\n${l.output()}`,
        ).not.toBeNull();
        expect(exit!.code, l.output()).toBe(crash && manager === 'overmind' ? 3 : 0);
        await l.expectNothingLeft();
        await killAll();
      }
    }, 300_000);
  });
});
