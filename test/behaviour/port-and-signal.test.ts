/**
 * Real projects' commands, run as generated: a web process that reads $PORT answers on the port
 * the plan gave it, under every strategy; and commands with a `NAME=value` prefix or a `$(...)`
 * substitution (which need sh -c) still receive the stop signal themselves, because sh execs them.
 *
 * process-groups runs as Fly runs a group: entrypoint.sh + the [processes] command split like a
 * shell (python's shlex here; flyctl uses google/shlex, which agrees on these quotes), with
 * fly.toml's [env] as the environment. procfile runs Procfile.fly under foreman (overmind and
 * hivemind are not installable here); foreman sets PORT itself, so it also shows the process's own
 * PORT wins over the manager's.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupTemps, requireTool } from '../helpers.js';
import {
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
  waitForLog,
  expectNothingLeft,
  type Run,
} from './harness.js';

afterEach(killAll);
afterAll(cleanupTemps);

const hasForeman = requireTool('foreman', 'ruby-foreman');

function shlex(command: string): string[] {
  return JSON.parse(
    execFileSync(PYTHON, ['-c', 'import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))', command], {
      encoding: 'utf8',
    }),
  ) as string[];
}

/** Start the generated setup of `dir` the way its strategy runs on Fly (process-groups: one group). */
function launch(strategy: string, dir: string, log: string, group = 'web'): Run {
  // A PORT in the surroundings must not matter: each process gets its own.
  const env: Record<string, string> = { FIXTURE_LOG: log, PORT: '1' };
  const fly = parse(readFileSync(path.join(dir, 'fly.toml'), 'utf8')) as {
    env?: Record<string, string>;
    processes?: Record<string, string>;
  };
  if (strategy === 'process-groups') {
    return start(path.join(dir, 'entrypoint.sh'), shlex(fly.processes![group]!), { env: { ...env, ...fly.env } });
  }
  if (strategy === 'procfile')
    return start('foreman', ['start', '-f', path.join(dir, 'Procfile.fly'), '-d', dir], { env });
  if (strategy === 'supervisord') {
    const runDir = path.join(path.dirname(dir), 'run');
    mkdirSync(runDir, { recursive: true });
    return start(path.join(dir, 'entrypoint.sh'), [], { env: { ...env, SUPERVISOR_RUN_DIR: runDir } });
  }
  return start(path.join(dir, 'entrypoint.sh'), [], { env });
}

const server = (name: string, port: string) => `${PYTHON} ${fixture('server.py')} ${name} ${port}`;

describe('a web process on $PORT answers on its port', () => {
  it.each(['process-groups', 'bash', 'supervisord', 'procfile'] as const)(
    '%s',
    async (strategy) => {
      if (strategy === 'procfile' && !hasForeman) return;
      const [webPort, workerPort] = await freePorts(2);
      // As in a Heroku Procfile: the web process reads $PORT; the port comes from the wizard or --port.
      // (foreman replaces `$PORT` in a Procfile line with its own port before the shell sees it, even
      // inside quotes; `${PORT}` it leaves to sh. overmind and hivemind replace nothing.)
      const reads = strategy === 'procfile' ? '${PORT}' : '$PORT';
      const dir = await project(
        strategy,
        [`web=${server('web', reads)}`, `worker=${server('worker', String(workerPort))}`],
        [`web=${webPort}`],
      );
      const fly = parse(readFileSync(path.join(dir, 'fly.toml'), 'utf8')) as Record<string, any>;
      expect(fly.http_service.internal_port).toBe(webPort);
      if (strategy === 'process-groups') expect(fly.env).toEqual({ PORT: String(webPort) });
      else expect(fly.env).toBeUndefined();

      const log = newFixtureLog(path.dirname(dir));
      const run = launch(strategy, dir, log);
      expect(await waitForHttp(webPort!, 15_000, run)).toMatch(/^web \d+\n$/);
      const stop = await stopWith(run, 'SIGINT', strategy === 'procfile' ? 8000 : 5000);
      expect(stop.killed).toBe(false);
      // foreman (a stand-in here) signals its direct children only, and runs this line under its own
      // sh -c, which does not exec: the server is left behind. overmind and hivemind signal process
      // groups (test/behaviour/procfile.test.ts); the other strategies leave nothing.
      if (strategy !== 'procfile') await expectNothingLeft(run, log);
    },
    40_000,
  );
});

describe('commands that need sh -c keep the stop signal', () => {
  it.each([
    ['a NAME=value prefix', (port: number) => `GREETING=hello ${server('web', String(port))}`],
    ['a $(...) substitution', (port: number) => `${server('web', `$(echo ${port})`)}`],
  ])(
    'process-groups, %s: the program is the Machine main process and gets kill_signal itself',
    async (_what, command) => {
      const [port] = await freePorts(1);
      const dir = await project('process-groups', [`web=${command(port!)}`, 'worker=bin/worker'], [`web=${port}`]);
      const fly = parse(readFileSync(path.join(dir, 'fly.toml'), 'utf8')) as { processes: Record<string, string> };
      expect(fly.processes.web).toMatch(/^sh -c '.*exec /);
      const log = newFixtureLog(path.dirname(dir));
      const run = launch('process-groups', dir, log);
      // entrypoint.sh -> sh -> the program: all one PID, because each one execs the next.
      expect(await waitForHttp(port!, 15_000, run)).toBe(`web ${run.pid}\n`);
      for (const signal of ['SIGINT'] as const) {
        const stop = await stopWith(run, signal, 5000);
        expect(stop.killed).toBe(false);
        expect(stop.exit).toMatchObject({ code: 0, signal: null });
        expect(readLog(log)).toContainEqual(
          expect.objectContaining({ name: 'web', pid: run.pid, event: `got ${signal}` }),
        );
      }
      await expectNothingLeft(run, log);
    },
    30_000,
  );

  it("bash: a NAME=value command is the process the entrypoint started and stops (sh exec'd it)", async () => {
    const [webPort, jobPort] = await freePorts(2);
    const dir = await project(
      'bash',
      [`web=${server('web', String(webPort))}`, `job=REMAP_SIGTERM=SIGQUIT ${server('job', String(jobPort))}`],
      [`web=${webPort}`, `job=${jobPort}`],
    );
    const log = newFixtureLog(path.dirname(dir));
    const run = launch('bash', dir, log);
    const body = await waitForHttp(jobPort!, 15_000, run);
    await waitForHttp(webPort!, 15_000, run);
    const started = /started job \(pid (\d+)\)/.exec(run.stderr);
    expect(started).not.toBeNull();
    // The PID the entrypoint started (sh -c) is the server's own: sh replaced itself.
    expect(body).toBe(`job ${started![1]}\n`);
    await stopWith(run, 'SIGINT', 5000);
    await waitForLog(
      log,
      (entries) => entries.some((e) => e.name === 'job' && e.event === 'got SIGTERM'),
      5000,
      'job got SIGTERM',
    );
    expect(readLog(log)).toContainEqual(
      expect.objectContaining({ name: 'job', pid: Number(started![1]), event: 'got SIGTERM' }),
    );
    await expectNothingLeft(run, log);
  }, 30_000);
});
