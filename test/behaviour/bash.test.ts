/**
 * Strategy bash: run the generated entrypoint.sh with real processes, started like Fly's init
 * starts it, and check signals, fail-fast, exit codes, output prefixes and leftovers.
 * kill_timeout is 5 s, so the entrypoint's STOP_TIMEOUT is 4 s.
 *
 * Timing: the tests assert the mechanism (which signal reached which process, in what order, that
 * the SIGKILL comes at the grace deadline and not before). Lower bounds are exact (a deadline cannot
 * fire early); upper bounds are the expected time plus meter.margin(steps), derived from the
 * scheduling delay measured during the test, so they hold on a loaded machine (npm run test:stress).
 */
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanupTemps } from '../helpers.js';
import {
  API_BANNER,
  apiShellCommand,
  cmd,
  DelayMeter,
  freePorts,
  ignoredSignals,
  isAlive,
  expectNothingLeft,
  killAll,
  liveFixturePids,
  newFixtureLog,
  project,
  readLog,
  start,
  stopWith,
  waitForHttp,
  waitForLog,
} from './harness.js';

const KILL_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 4000;
/**
 * Scheduling steps for meter.margin(), counted on the entrypoint's paths. One round of its stop
 * loop forks `sleep 0.1` and a subshell for $(alive), which scans /proc (slow when the machine runs
 * many processes): ROUND. Reacting to an exit: `wait -n` returns, $(name_of), TERM sent, the
 * fixture's handler runs: REACT. Finishing: up to two rounds, then reap, exit, and the harness
 * seeing it: FINISH. (Measured under load: the second-signal exit took 953 ms with a 138 ms
 * worst delay, over a 4-step margin of 802 ms.)
 */
const ROUND = 4;
const REACT = 6;
const FINISH = 2 * ROUND + 2;
// Fixtures that exit on their own wait 3 s: on a loaded machine their siblings (Python) need more
// than a second to start, and a stop signal before a fixture installed its handler kills it silently.

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
  const dir = await project('bash', processes, ports);
  const log = newFixtureLog(path.dirname(dir));
  const run = start(path.join(dir, 'entrypoint.sh'), [], { env: { FIXTURE_LOG: log, ...env } });
  return { dir, log, run };
}

const gotSignal = (log: string, name: string, signal: string) =>
  readLog(log).some((e) => e.name === name && e.event === `got ${signal}`);
/** The fixture log entry (time in ms since the epoch) of name's event; fails when there is none. */
const logged = (log: string, name: string, event: string) => {
  const entry = readLog(log).find((e) => e.name === name && e.event === event);
  expect(entry, `${name}: ${event} in the fixture log`).toBeDefined();
  return entry!;
};
/** The entrypoint's "NAME still running after 4s: SIGKILL" line. */
const sigkillLine = (name: string) => new RegExp(`^\\[entrypoint\\] ${name} still running after 4s: SIGKILL$`);

describe('bash entrypoint', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGQUIT'] as const)(
    'runs every process with prefixed output, and on %s stops them all and exits 0 within the grace period',
    async (signal) => {
      const [webPort, apiPort] = await freePorts(2);
      const { run, log } = await launch(
        [
          `web=${cmd.server('web', webPort!)}`,
          // shell syntax: runs under sh -c, $API_PORT expanded at run time
          `api=${apiShellCommand()}`,
          `printer=${cmd.printer('printer', 3)}`,
          // a process tree: the stop signal must go to the group, not just to sh
          `tree=sh -c '${cmd.printer('tree', 1)}; exit 0'`,
        ],
        [`web=${webPort}`, `api=${apiPort}`],
        { API_PORT: String(apiPort) },
      );

      expect(await waitForHttp(webPort!, 10_000, run)).toMatch(/^web \d+/);
      expect(await waitForHttp(apiPort!, 10_000, run)).toMatch(/^api \d+/);
      await run.waitForOutput(/^\[printer\] printer err 3$/m, 5000, 'stdout');
      await run.waitForOutput(/^\[printer\] printer out 3$/m, 5000, 'stdout');
      await run.waitForOutput(/^\[tree\] tree err 1$/m, 5000, 'stdout');
      await run.waitForLine(`[api] ${API_BANNER}`, 5000);
      // A port can answer before its "listening" line has come through the prefixer and the pipe.
      await run.waitForLine(`[web] web listening on 127.0.0.1:${webPort}`, 5000 + meter.margin(10));
      await run.waitForLine(`[api] api listening on 127.0.0.1:${apiPort}`, 5000 + meter.margin(10));

      // Started like an init starts it: SIGINT and SIGTERM are not ignored (a shell `&` would ignore SIGINT).
      const ignored = ignoredSignals(run.pid);
      expect(ignored).not.toContain(2);
      expect(ignored).not.toContain(15);

      // Every line of the processes' stdout and stderr arrives on stdout, prefixed with its name.
      const lines = run.stdout.split('\n').filter(Boolean);
      for (const line of lines) expect(line).toMatch(/^\[(web|api|printer|tree)\] /);
      for (const i of [1, 2, 3]) {
        expect(lines).toContain(`[printer] printer out ${i}`);
        expect(lines).toContain(`[printer] printer err ${i}`);
      }
      expect(lines).toContain(`[web] web listening on 127.0.0.1:${webPort}`);
      expect(lines).toContain(`[api] api listening on 127.0.0.1:${apiPort}`);
      expect(lines).toContain(`[api] ${API_BANNER}`);
      // The entrypoint's own messages go to stderr.
      for (const line of run.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^\[entrypoint\] /);

      // set -m: the children do not inherit an ignored SIGINT either (STOP_SIGNAL=INT would work).
      for (const e of readLog(log)) expect(ignoredSignals(e.pid), e.name).not.toContain(2);

      const printerPid = readLog(log).find((e) => e.name === 'printer')!.pid;
      const sent = Date.now();
      const stop = await stopWith(run, signal, Math.max(KILL_TIMEOUT_MS, STOP_TIMEOUT_MS + meter.margin(FINISH)));
      expect(stop.killed, meter.describe()).toBe(false);
      expect(stop.exit).toMatchObject({ code: 0, signal: null });
      expect(run.stderr).toContain(`received ${signal}`);
      // Each child got the stop signal (TERM, whatever Fly sent), after Fly's signal, and exited on it:
      // nobody needed the SIGKILL at the deadline.
      for (const name of ['web', 'api']) {
        expect(logged(log, name, 'got SIGTERM').time).toBeGreaterThanOrEqual(sent - 1);
        expect(logged(log, name, 'exit 0').time).toBeLessThanOrEqual(stop.exit.wall + 1);
      }
      expect(run.stderr).not.toMatch(/still running after/);
      expect(stop.elapsedMs, meter.describe()).toBeLessThan(STOP_TIMEOUT_MS + meter.margin(FINISH));
      expect(liveFixturePids(log).map((e) => e.pid)).not.toContain(printerPid);
      await expectNothingLeft(run, log);
    },
    20_000,
  );

  it('SIGKILLs a child that ignores the stop signal after STOP_TIMEOUT, within kill_timeout, and exits 0', async () => {
    const [webPort, stubPort] = await freePorts(2);
    const { run, log } = await launch(
      [`web=${cmd.server('web', webPort!)}`, `stubborn=${cmd.server('stubborn', stubPort!, '--stubborn')}`],
      [`web=${webPort}`, `stubborn=${stubPort}`],
    );
    await waitForHttp(webPort!, 10_000, run);
    await waitForHttp(stubPort!, 10_000, run);

    const stubPid = logged(log, 'stubborn', 'start').pid;
    const sent = Date.now();
    const stop = await stopWith(run, 'SIGINT', Math.max(KILL_TIMEOUT_MS, STOP_TIMEOUT_MS + meter.margin(FINISH)));
    expect(stop.killed, meter.describe()).toBe(false);
    expect(stop.exit).toMatchObject({ code: 0, signal: null });
    // TERM to both after Fly's signal; web exits on it, stubborn does not.
    const webTerm = logged(log, 'web', 'got SIGTERM');
    const stubTerm = logged(log, 'stubborn', 'got SIGTERM');
    expect(webTerm.time).toBeGreaterThanOrEqual(sent - 1);
    expect(stubTerm.time).toBeGreaterThanOrEqual(sent - 1);
    expect(logged(log, 'web', 'exit 0').time).toBeGreaterThanOrEqual(webTerm.time);
    expect(
      readLog(log)
        .filter((e) => e.name === 'stubborn')
        .map((e) => e.event),
    ).toEqual(['start', 'got SIGTERM']);
    // The SIGKILL comes at the deadline, STOP_TIMEOUT after the TERM: never before it (the deadline
    // starts after the signal was sent), at most a few scheduling delays after it.
    expect(stop.elapsedMs).toBeGreaterThanOrEqual(STOP_TIMEOUT_MS);
    const killedAt = run.lineArrival(sigkillLine('stubborn'));
    expect(killedAt, run.stderr).toBeDefined();
    expect(killedAt! - stubTerm.time, meter.describe()).toBeGreaterThanOrEqual(STOP_TIMEOUT_MS - meter.margin(REACT));
    expect(killedAt! - stubTerm.time, meter.describe()).toBeLessThanOrEqual(STOP_TIMEOUT_MS + meter.margin(2 * ROUND));
    expect(run.stderr).not.toMatch(/web still running/);
    // ... and the entrypoint exits right after it, well inside Fly's kill_timeout.
    expect(stop.exit.wall - killedAt!, meter.describe()).toBeLessThanOrEqual(meter.margin(FINISH));
    expect(isAlive(stubPid)).toBe(false);
    await expectNothingLeft(run, log);
  }, 20_000);

  it('SIGKILLs everything at once on a second signal during shutdown', async () => {
    const [webPort, stubPort] = await freePorts(2);
    const { run, log } = await launch(
      [`web=${cmd.server('web', webPort!)}`, `stubborn=${cmd.server('stubborn', stubPort!, '--stubborn')}`],
      [`web=${webPort}`, `stubborn=${stubPort}`],
    );
    // Our fixtures answer (their PIDs), not another program that took a port.
    expect(await waitForHttp(webPort!, 10_000, run)).toBe(`web ${logged(log, 'web', 'start').pid}\n`);
    expect(await waitForHttp(stubPort!, 10_000, run)).toBe(`stubborn ${logged(log, 'stubborn', 'start').pid}\n`);

    const stubPid = logged(log, 'stubborn', 'start').pid;
    process.kill(run.pid, 'SIGINT');
    await waitForLog(
      log,
      (l) => l.some((e) => e.name === 'stubborn' && e.event === 'got SIGTERM'),
      3000 + meter.margin(4),
      'stubborn to get SIGTERM',
    );
    const second = performance.now();
    process.kill(run.pid, 'SIGTERM');
    const exit = await run.waitExit(KILL_TIMEOUT_MS);
    expect(exit, run.stderr).toMatchObject({ code: 0, signal: null });
    expect(run.stderr).toContain('received SIGTERM during shutdown: SIGKILL to all');
    // SIGKILLed by the second signal, not at the deadline: no deadline message, and the exit follows
    // the second signal by a few scheduling delays.
    expect(run.stderr).not.toMatch(/still running after/);
    expect(exit!.at - second, meter.describe()).toBeLessThan(meter.margin(FINISH));
    expect(isAlive(stubPid)).toBe(false);
    await expectNothingLeft(run, log);
  }, 20_000);

  it('exits promptly with the status of a child that crashes, after stopping the others', async () => {
    const [webPort, apiPort] = await freePorts(2);
    const { run, log } = await launch(
      [
        `web=${cmd.server('web', webPort!)}`,
        `api=${cmd.server('api', apiPort!)}`,
        `crash=${cmd.exitAfter('crash', 3000, 3)}`,
      ],
      [`web=${webPort}`, `api=${apiPort}`],
    );
    await waitForLog(
      log,
      (l) => ['web', 'api', 'crash'].every((n) => l.some((e) => e.name === n && e.event === 'start')),
      10_000,
      'all three to start',
    );
    const exit = await run.waitExit(10_000);
    expect(exit).toMatchObject({ code: 3, signal: null });
    // Order: crash exits, then web and api get TERM and exit on it, then the entrypoint exits.
    const crashed = logged(log, 'crash', 'exit 3');
    for (const name of ['web', 'api']) {
      const term = logged(log, name, 'got SIGTERM');
      expect(term.time).toBeGreaterThanOrEqual(crashed.time);
      expect(logged(log, name, 'exit 0').time).toBeLessThanOrEqual(exit!.wall + 1);
    }
    expect(run.stderr).toMatch(/crash exited with status 3: stopping the others/);
    expect(run.stderr).not.toMatch(/still running after/);
    // Promptly: a handful of scheduling delays (exit seen, TERM sent, handlers run, 0.1 s poll).
    expect(exit!.wall - crashed.time, meter.describe()).toBeLessThan(meter.margin(REACT + FINISH));
    await expectNothingLeft(run, log);
  }, 20_000);

  it('exits 1 when a child exits 0 (so on-failure restarts the Machine)', async () => {
    const [webPort] = await freePorts(1);
    const { run, log } = await launch(
      [`web=${cmd.server('web', webPort!)}`, `oneshot=${cmd.exitAfter('oneshot', 3000, 0)}`],
      [`web=${webPort}`],
    );
    await waitForHttp(webPort!, 10_000, run);
    const exit = await run.waitExit(10_000);
    expect(exit).toMatchObject({ code: 1, signal: null });
    const exited = logged(log, 'oneshot', 'exit 0');
    expect(logged(log, 'web', 'got SIGTERM').time).toBeGreaterThanOrEqual(exited.time);
    expect(run.stderr).not.toMatch(/still running after/);
    expect(exit!.wall - exited.time, meter.describe()).toBeLessThan(meter.margin(REACT + FINISH));
    await expectNothingLeft(run, log);
  }, 20_000);

  it('exits 137 when a child is SIGKILLed from outside (the OOM killer, say)', async () => {
    const [webPort, apiPort] = await freePorts(2);
    const { run, log } = await launch(
      [`web=${cmd.server('web', webPort!)}`, `api=${cmd.server('api', apiPort!)}`],
      [`web=${webPort}`, `api=${apiPort}`],
    );
    const body = await waitForHttp(apiPort!, 10_000, run);
    await waitForHttp(webPort!, 10_000, run);
    process.kill(Number(body.split(' ')[1]), 'SIGKILL');
    const exit = await run.waitExit(5000);
    expect(exit).toMatchObject({ code: 137, signal: null });
    expect(gotSignal(log, 'web', 'SIGTERM')).toBe(true);
    await expectNothingLeft(run, log);
  }, 20_000);

  it('after a crash, SIGKILLs a sibling that ignores the stop signal and still exits with the crash status', async () => {
    const [stubPort] = await freePorts(1);
    const { run, log } = await launch(
      [`stubborn=${cmd.server('stubborn', stubPort!, '--stubborn')}`, `crash=${cmd.exitAfter('crash', 3000, 3)}`],
      [`stubborn=${stubPort}`],
    );
    await waitForHttp(stubPort!, 10_000, run);
    const stubPid = logged(log, 'stubborn', 'start').pid;
    const exit = await run.waitExit(15_000);
    expect(exit).toMatchObject({ code: 3, signal: null });
    // Order: crash exits; then stubborn gets TERM (promptly) and ignores it; at the deadline,
    // STOP_TIMEOUT after the TERM, the entrypoint SIGKILLs it; then it exits with the crash status.
    const crashed = logged(log, 'crash', 'exit 3');
    const stubTerm = logged(log, 'stubborn', 'got SIGTERM');
    expect(stubTerm.time).toBeGreaterThanOrEqual(crashed.time);
    expect(stubTerm.time - crashed.time, meter.describe()).toBeLessThan(meter.margin(REACT));
    expect(
      readLog(log)
        .filter((e) => e.name === 'stubborn')
        .map((e) => e.event),
    ).toEqual(['start', 'got SIGTERM']);
    const killedAt = run.lineArrival(sigkillLine('stubborn'));
    expect(killedAt, run.stderr).toBeDefined();
    expect(killedAt! - stubTerm.time, meter.describe()).toBeGreaterThanOrEqual(STOP_TIMEOUT_MS - meter.margin(REACT));
    expect(killedAt! - stubTerm.time, meter.describe()).toBeLessThanOrEqual(STOP_TIMEOUT_MS + meter.margin(2 * ROUND));
    expect(exit!.wall - killedAt!, meter.describe()).toBeLessThanOrEqual(meter.margin(FINISH));
    expect(run.stderr).toMatch(/crash exited with status 3: stopping the others/);
    expect(isAlive(stubPid)).toBe(false);
    await expectNothingLeft(run, log);
  }, 25_000);
});
