/**
 * Strategy process-groups: entrypoint.sh replaces itself with its arguments (each [processes]
 * command, release_command, `fly ssh console -C`), or with the first process when given none.
 */
import { readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanupTemps } from '../helpers.js';
import {
  cmd,
  DelayMeter,
  fixture,
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
  waitNoLeftovers,
} from './harness.js';

let meter: DelayMeter;
beforeEach(() => {
  meter = new DelayMeter();
});
afterEach(async () => {
  meter.stop();
  await killAll();
});
afterAll(cleanupTemps);

describe('process-groups entrypoint', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'execs its arguments: same PID, and %s reaches the command itself',
    async (signal) => {
      const [webPort, workerPort] = await freePorts(2);
      const dir = await project(
        'process-groups',
        [`web=${cmd.server('web', webPort!)}`, `worker=${cmd.server('worker', workerPort!)}`],
        [`web=${webPort}`],
      );
      const log = newFixtureLog(path.dirname(dir));
      // As Fly runs the worker group: ENTRYPOINT + the [processes] command.
      const run = start(path.join(dir, 'entrypoint.sh'), [PYTHON, fixture('server.py'), 'worker', String(workerPort)], {
        env: { FIXTURE_LOG: log },
      });
      expect(await waitForHttp(workerPort!, 10_000, run)).toBe(`worker ${run.pid}\n`);
      expect(procInfo(run.pid)?.cmdline).toContain('server.py worker');

      const stop = await stopWith(run, signal, 5000);
      expect(stop.killed).toBe(false);
      expect(stop.exit).toMatchObject({ code: 0, signal: null });
      // The signal Fly sent reached the command itself (no shell in between), which exited on it.
      expect(
        readLog(log)
          .filter((e) => e.name === 'worker')
          .map((e) => [e.pid, e.event]),
      ).toEqual([
        [run.pid, 'start'],
        [run.pid, `got ${signal}`],
        [run.pid, 'exit 0'],
      ]);
      expect(stop.elapsedMs, meter.describe()).toBeLessThan(meter.margin(6));
      expect(await waitNoLeftovers(run.pid)).toEqual([]);
    },
    20_000,
  );

  it('runs the first process, from the project directory, when given no arguments', async () => {
    const [webPort, workerPort] = await freePorts(2);
    const dir = await project(
      'process-groups',
      [`web=${cmd.server('web', webPort!)}`, `worker=${cmd.server('worker', workerPort!)}`],
      [`web=${webPort}`],
    );
    const log = newFixtureLog(path.dirname(dir));
    const run = start(path.join(dir, 'entrypoint.sh'), [], { cwd: '/', env: { FIXTURE_LOG: log } });
    expect(await waitForHttp(webPort!, 10_000, run)).toBe(`web ${run.pid}\n`);
    expect(readlinkSync(`/proc/${run.pid}/cwd`)).toBe(dir);
    const stop = await stopWith(run, 'SIGINT', 5000);
    expect(stop.exit).toMatchObject({ code: 0, signal: null });
    expect(readLog(log).map((e) => e.name)).not.toContain('worker');
  }, 20_000);
});

describe('entrypoint.sh with arguments, every strategy', () => {
  const strategies = ['process-groups', 'bash', 'supervisord', 'procfile'] as const;

  it.each(strategies)(
    '%s: execs the command in place, passes its exit status, runs a release_command',
    async (strategy) => {
      const dir = await project(strategy, ['web=bin/server --port 8080', 'worker=bin/worker'], ['web=8080']);
      const entrypoint = path.join(dir, 'entrypoint.sh');

      const pid = start(entrypoint, [PYTHON, '-c', 'import os; print(os.getpid())']);
      expect(await pid.waitExit(10_000)).toMatchObject({ code: 0, signal: null });
      expect(pid.stdout.trim()).toBe(String(pid.pid));

      const status = start(entrypoint, ['sh', '-c', 'exit 7']);
      expect(await status.waitExit(10_000)).toMatchObject({ code: 7 });

      const killed = start(entrypoint, ['sh', '-c', 'kill -TERM $$']);
      expect(await killed.waitExit(10_000)).toMatchObject({ code: null, signal: 'SIGTERM' });

      const release = start(entrypoint, ['sh', '-c', 'echo migrated']);
      expect(await release.waitExit(10_000)).toMatchObject({ code: 0, signal: null });
      expect(release.stdout).toBe('migrated\n');
      expect(release.stderr).toBe('');
    },
    30_000,
  );
});
