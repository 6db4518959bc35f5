/**
 * Procfile lists (`cd app && server`, `migrate; server`, `NAME=v step && server`) keep the stop
 * signal: sh runs the first steps, then execs the last program, which becomes the Machine's main
 * process (entrypoint.sh -> sh -> program, one PID) and receives kill_signal itself. A pipeline
 * keeps sh in front, which the plan says.
 *
 * process-groups runs as Fly runs a group: entrypoint.sh + the [processes] command split like a
 * shell (python's shlex; flyctl's google/shlex agrees on these quotes).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupTemps } from '../helpers.js';
import {
  expectNothingLeft,
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
} from './harness.js';

afterEach(killAll);
afterAll(cleanupTemps);

function shlex(command: string): string[] {
  return JSON.parse(
    execFileSync(PYTHON, ['-c', 'import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))', command], {
      encoding: 'utf8',
    }),
  ) as string[];
}

const server = (port: number) => `${PYTHON} ${fixture('server.py')} web ${port}`;

describe('process-groups: the last program of a list gets kill_signal itself', () => {
  it.each([
    [
      'cd first (a `cd backend && gunicorn ...` Procfile line)',
      (port: number) => `cd ${path.dirname(fixture('server.py'))} && ${server(port)}`,
    ],
    ['a step, then the server (`migrate; server`)', (port: number) => `true; ${server(port)}`],
    ['a NAME=value step, then a NAME=value server', (port: number) => `STEP=1 true && GREETING=hello ${server(port)}`],
  ])(
    '%s',
    async (_what, command) => {
      const [port] = await freePorts(1);
      const dir = await project('process-groups', [`web=${command(port!)}`, 'worker=bin/worker'], [`web=${port}`]);
      const fly = parse(readFileSync(path.join(dir, 'fly.toml'), 'utf8')) as { processes: Record<string, string> };
      expect(fly.processes.web).toMatch(/^sh -c '.*(&&|;) (GREETING=hello )?exec /);
      const log = newFixtureLog(path.dirname(dir));
      const run = start(path.join(dir, 'entrypoint.sh'), shlex(fly.processes.web!), { env: { FIXTURE_LOG: log } });
      // The server answers with its PID: the one the entrypoint started with, as each step execs the next.
      expect(await waitForHttp(port!, 15_000, run)).toBe(`web ${run.pid}\n`);
      const stop = await stopWith(run, 'SIGINT', 5000);
      expect(stop.killed).toBe(false);
      expect(stop.exit).toMatchObject({ code: 0, signal: null });
      expect(readLog(log)).toContainEqual(expect.objectContaining({ name: 'web', pid: run.pid, event: 'got SIGINT' }));
      await expectNothingLeft(run, log);
    },
    30_000,
  );

  it('a pipeline keeps sh as the main process: the server is not the PID Fly signals', async () => {
    const [port] = await freePorts(1);
    const dir = await project('process-groups', [`web=${server(port!)} | cat`, 'worker=bin/worker'], [`web=${port}`]);
    const fly = parse(readFileSync(path.join(dir, 'fly.toml'), 'utf8')) as { processes: Record<string, string> };
    expect(fly.processes.web).not.toMatch(/exec /);
    const log = newFixtureLog(path.dirname(dir));
    const run = start(path.join(dir, 'entrypoint.sh'), shlex(fly.processes.web!), { env: { FIXTURE_LOG: log } });
    expect(await waitForHttp(port!, 15_000, run)).not.toBe(`web ${run.pid}\n`);
  }, 30_000);
});
