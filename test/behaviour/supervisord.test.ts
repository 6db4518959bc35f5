/**
 * Strategy supervisord: Debian's real /usr/bin/supervisord, run through the generated entrypoint.sh
 * with SUPERVISOR_RUN_DIR in a per-test temp dir. kill_timeout is 5 s, so stopwaitsecs is 2.
 * Also: the generated supervisor.conf loaded with supervisord's own parser (/usr/bin/python3).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detect } from '../../src/detect.js';
import { plan } from '../../src/plan.js';
import { cleanupTemps, requireTool } from '../helpers.js';
import {
  API_BANNER,
  apiShellCommand,
  cmd,
  DelayMeter,
  fixture,
  freePorts,
  ignoredSignals,
  killSession,
  isAlive,
  expectNothingLeft,
  killAll,
  newFixtureLog,
  project,
  readLog,
  start,
  stopWith,
  waitForHttp,
  waitForLog,
} from './harness.js';

const KILL_TIMEOUT_MS = 5000;
const STOPWAITSECS_MS = 2000;
/** supervisord looks at its programs once per main-loop tick (1 s): a deadline can be that late. */
const SUPERVISORD_TICK_MS = 1000;
const hasSupervisord = requireTool('supervisord', 'supervisor');

// Timing: mechanism first (who got which signal, the SIGKILL after stopwaitsecs and not before);
// upper bounds add meter.margin(steps), from the scheduling delay measured during the test.
let meter: DelayMeter;
beforeEach(() => {
  meter = new DelayMeter();
});
afterEach(async () => {
  meter.stop();
  await killAll();
});
afterAll(cleanupTemps);

async function launch(processes: string[], ports: string[] = [], env: Record<string, string> = {}) {
  const dir = await project('supervisord', processes, ports);
  const runDir = path.join(path.dirname(dir), 'run');
  mkdirSync(runDir);
  const log = newFixtureLog(path.dirname(dir));
  const run = start(path.join(dir, 'entrypoint.sh'), [], {
    env: { FIXTURE_LOG: log, SUPERVISOR_RUN_DIR: runDir, ...env },
  });
  return { dir, log, run, runDir };
}

const gotSignal = (log: string, name: string, signal: string) =>
  readLog(log).some((e) => e.name === name && e.event === `got ${signal}`);
const starts = (log: string, name: string) => readLog(log).filter((e) => e.name === name && e.event === 'start');

describe.skipIf(!hasSupervisord)('supervisord entrypoint (real supervisord)', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGQUIT'] as const)(
    'runs every program, logs their output to stdout, restarts a SIGKILLed one, and on %s stops all within kill_timeout',
    async (signal) => {
      const [webPort, apiPort] = await freePorts(2);
      const { run, log } = await launch(
        [
          `web=${cmd.server('web', webPort!)}`,
          `api=${apiShellCommand()}`,
          `printer=${cmd.printer('printer', 3)}`,
          // a process tree: the stop signal must go to the group, not just to sh
          `tree=sh -c '${cmd.printer('tree', 1)}; exit 0'`,
        ],
        [`web=${webPort}`, `api=${apiPort}`],
        { API_PORT: String(apiPort) },
      );
      expect(await waitForHttp(webPort!, 15_000, run)).toMatch(/^web \d+/);
      expect(await waitForHttp(apiPort!, 15_000, run)).toMatch(/^api \d+/);
      expect(ignoredSignals(run.pid)).not.toContain(2);

      // Program output (stdout and, redirected, stderr) reaches the entrypoint's stdout.
      await run.waitForOutput(/^printer out 3$/m, 5000, 'stdout');
      await run.waitForOutput(/^printer err 3$/m, 5000, 'stdout');
      // supervisord passes output on at its own pace: the port may answer before the line is through.
      await run.waitForLine(`web listening on 127.0.0.1:${webPort}`, 5000 + meter.margin(10));
      await run.waitForLine(`api listening on 127.0.0.1:${apiPort}`, 5000 + meter.margin(10));
      await run.waitForLine(API_BANNER, 5000);
      await waitForLog(
        log,
        (l) => l.some((e) => e.name === 'tree' && e.event === 'printed'),
        5000,
        'the tree to start',
      );
      // Programs do not inherit the SIGINT that bash ignores for its background job (supervisord).
      for (const e of readLog(log)) expect(ignoredSignals(e.pid), e.name).not.toContain(2);

      // A program killed outright is restarted and answers again.
      const [first] = starts(log, 'web');
      process.kill(first!.pid, 'SIGKILL');
      await waitForLog(
        log,
        (l) => l.filter((e) => e.name === 'web' && e.event === 'start').length === 2,
        10_000,
        'web to be restarted',
      );
      const second = starts(log, 'web')[1]!;
      expect(second.pid).not.toBe(first!.pid);
      expect(await waitForHttp(webPort!, 10_000, run)).toBe(`web ${second.pid}\n`);
      expect(run.stdout).toMatch(/exited: web \(terminated by SIGKILL; not expected\)/);

      const sent = Date.now();
      const stop = await stopWith(run, signal, KILL_TIMEOUT_MS + meter.margin(4));
      expect(stop.killed, meter.describe()).toBe(false);
      expect(stop.exit).toMatchObject({ code: 0, signal: null });
      // Every program got TERM after Fly's signal and exited on it: no SIGKILL was needed.
      for (const name of ['web', 'api']) {
        const term = readLog(log).find(
          (e) => e.name === name && e.event === 'got SIGTERM' && e.pid === starts(log, name).at(-1)!.pid,
        );
        expect(term, `${name} got SIGTERM`).toBeDefined();
        expect(term!.time).toBeGreaterThanOrEqual(sent - 1);
      }
      expect(run.stdout).not.toMatch(/with SIGKILL/);
      // supervisord sees the signal after its current 1 s poll, stops the programs, notices their exit
      // at a later tick and exits at the next: up to three ticks (measured 2.7 s idle, 3.7 s loaded).
      expect(stop.elapsedMs, meter.describe()).toBeLessThan(3 * SUPERVISORD_TICK_MS + meter.margin(4));
      await expectNothingLeft(run, log);
    },
    40_000,
  );

  it('SIGKILLs a program that ignores SIGTERM after stopwaitsecs and exits within kill_timeout', async () => {
    const [webPort, stubPort] = await freePorts(2);
    const { run, log } = await launch(
      [`web=${cmd.server('web', webPort!)}`, `stubborn=${cmd.server('stubborn', stubPort!, '--stubborn')}`],
      [`web=${webPort}`, `stubborn=${stubPort}`],
    );
    await waitForHttp(webPort!, 15_000, run);
    await waitForHttp(stubPort!, 15_000, run);
    const stubPid = starts(log, 'stubborn')[0]!.pid;

    const stop = await stopWith(run, 'SIGINT', KILL_TIMEOUT_MS + meter.margin(4));
    expect(stop.killed, meter.describe()).toBe(false);
    expect(stop.exit).toMatchObject({ code: 0, signal: null });
    // web exits on its TERM; stubborn ignores it and is SIGKILLed at stopwaitsecs: not before, and
    // at most one supervisord tick plus a few scheduling delays after.
    expect(
      readLog(log)
        .filter((e) => e.name === 'web')
        .map((e) => e.event),
    ).toEqual(['start', 'got SIGTERM', 'exit 0']);
    expect(
      readLog(log)
        .filter((e) => e.name === 'stubborn')
        .map((e) => e.event),
    ).toEqual(['start', 'got SIGTERM']);
    const stubTerm = readLog(log).find((e) => e.name === 'stubborn' && e.event === 'got SIGTERM')!;
    const killedAt = run.lineArrival(/killing 'stubborn' \(\d+\) with SIGKILL/, 'stdout');
    expect(killedAt, run.stdout).toBeDefined();
    expect(killedAt! - stubTerm.time, meter.describe()).toBeGreaterThanOrEqual(STOPWAITSECS_MS - meter.margin(2));
    expect(killedAt! - stubTerm.time, meter.describe()).toBeLessThanOrEqual(
      STOPWAITSECS_MS + SUPERVISORD_TICK_MS + meter.margin(4),
    );
    expect(run.stdout).not.toMatch(/killing 'web'/);
    expect(isAlive(stubPid)).toBe(false);
    await expectNothingLeft(run, log);
  }, 30_000);

  it('exits non-zero when a program keeps failing (fail-fast listener), stopping the others', async () => {
    const [webPort] = await freePorts(1);
    const { run, log } = await launch(
      [`web=${cmd.server('web', webPort!)}`, `crash=${cmd.crashAtOnce('crash', 3)}`],
      [`web=${webPort}`],
    );
    await waitForHttp(webPort!, 15_000, run);
    // 1 start + startretries=3, with 1, 2, 3 s back-off: 10-14 s measured. With startsecs=1 some
    // runs took 30-75 s: a crash was often logged as RUNNING first (see supervisor.conf).
    const exit = await run.waitExit(30_000);
    expect(exit, 'the entrypoint kept running with a program that keeps failing').not.toBeNull();
    expect(exit).toMatchObject({ code: 1, signal: null });
    expect(run.stdout).not.toMatch(/success: crash entered RUNNING/);
    expect(starts(log, 'crash')).toHaveLength(4);
    expect(run.stderr).toMatch(/supervisord stopped because a program failed: crash PROCESS_STATE_FATAL/);
    expect(run.stdout).toMatch(/gave up: crash entered FATAL state/);
    expect(gotSignal(log, 'web', 'SIGTERM')).toBe(true);
    await expectNothingLeft(run, log);
  }, 45_000);
});

describe.skipIf(!hasSupervisord)("supervisor.conf read by supervisord's own parser", () => {
  // Commands that stress every layer: ConfigParser (inline ` ;`/` #` comments, `%` interpolation),
  // shlex (quotes, backslashes) and plan's `sh -c 'exec ...'` wrapping of shell syntax.
  const PROCESSES = [
    'web=python3 -m http.server 8080 --bind 127.0.0.1',
    `pct=python3 -c 'print("100% done, 50%% left, %(ENV_HOME)s and %s")'`,
    `quotes=printf '%s\\n' "it's" 'say "hi"' "back\\\\slash"`,
    `semi=sh -c 'echo one ; echo two # not a comment'`,
    `dsemi=sh -c "echo one ; echo two # not a comment;#"`,
    'var=python3 -m http.server $PORT --bind 127.0.0.1',
    'list=echo "$HOME" ; echo a # b',
    'env=FOO=bar env',
    `mixed=echo 'a ;b' "c #d" e\\;f g\\#h 'it'"'"'s'`,
  ];

  it('lists exactly the requested programs, and the argv supervisord will exec equals plan().argv', async () => {
    const dir = await project('supervisord', PROCESSES);
    const p = plan(
      { dir, strategy: 'supervisord', processes: PROCESSES, killTimeout: '5', yes: true },
      await detect(dir),
    );
    const parsed = JSON.parse(
      execFileSync('/usr/bin/python3', [fixture('supervisor_parse.py'), path.join(dir, 'supervisor.conf')], {
        encoding: 'utf8',
        env: { ...process.env, SUPERVISOR_RUN_DIR: '/tmp', PYTHONDONTWRITEBYTECODE: '1' },
        timeout: 20_000,
      }),
    ) as {
      group: string;
      kind: string;
      name: string;
      command: string;
      filename: string;
      argv: string[];
      stopasgroup: boolean;
      killasgroup: boolean;
      stopsignal: number;
      stopwaitsecs: number;
      startsecs: number;
      directory: string;
      stdout_logfile: string;
      redirect_stderr: boolean;
    }[];

    const programs = parsed.filter((x) => x.kind === 'ProcessGroupConfig');
    expect(programs.map((x) => x.name)).toEqual(p.processes.map((x) => x.name));
    expect(new Set(programs.map((x) => x.group))).toEqual(new Set(['app']));
    for (const [i, proc] of p.processes.entries()) {
      expect(programs[i]!.argv, `argv of ${proc.name} (command=${programs[i]!.command})`).toEqual(proc.argv);
    }
    // The wrapping is what the user asked for: plain argv unless shell syntax is used.
    const byName = Object.fromEntries(p.processes.map((x) => [x.name, x.argv]));
    expect(byName.pct).toEqual(['python3', '-c', 'print("100% done, 50%% left, %(ENV_HOME)s and %s")']);
    expect(byName.semi).toEqual(['sh', '-c', 'echo one ; echo two # not a comment']);
    // It reads $PORT: it gets a port (8080 is web's) and its own PORT in front.
    expect(byName.var).toEqual(['env', 'PORT=8081', 'sh', '-c', 'exec python3 -m http.server $PORT --bind 127.0.0.1']);
    expect(byName.list).toEqual(['sh', '-c', 'echo "$HOME" ; exec echo a # b']);

    for (const x of programs) {
      expect(x).toMatchObject({
        stopasgroup: true,
        killasgroup: true,
        stopsignal: 15,
        stopwaitsecs: 2,
        startsecs: 2,
        directory: dir,
        stdout_logfile: '/dev/stdout',
        redirect_stderr: true,
      });
    }
    const listener = parsed.find((x) => x.kind === 'EventListenerPoolConfig');
    expect(listener?.filename).toBe(path.join(dir, 'supervisor-fail-fast.sh'));
  });
});

describe.skipIf(!hasSupervisord)('supervisord entrypoint with stdout and stderr as sockets', () => {
  // supervisord cannot open /dev/stdout when it is a socket (ENXIO) and would never start a
  // program; the entrypoint puts a pipe in between. Node's 'pipe' stdio is a Unix socket.
  it('still starts every program, logs their output, and stops on SIGTERM', async () => {
    const [port] = await freePorts(1);
    const dir = await project(
      'supervisord',
      [`web=${cmd.server('web', port!)}`, `idle=${cmd.server('idle', 0)}`],
      [`web=${port}`],
    );
    const runDir = path.join(path.dirname(dir), 'run');
    mkdirSync(runDir);
    const child = spawn(path.join(dir, 'entrypoint.sh'), [], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SUPERVISOR_RUN_DIR: runDir, FIXTURE_LOG: newFixtureLog(path.dirname(dir)) },
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitForHttp(port!, 10_000);
      process.kill(child.pid!, 'SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), KILL_TIMEOUT_MS + meter.margin(4))),
      ]);
      expect(code).toBe(0);
      expect(output).not.toContain('ENXIO');
      expect(output).toMatch(/spawned: 'web'/);
      expect(output).toMatch(/stopped: web/);
    } finally {
      killSession(child.pid!);
    }
  });
});
