/**
 * Strategy procfile: Procfile.fly read back with foreman's own line grammar and run under real
 * foreman (Debian ruby-foreman); entrypoint.sh run against a stub manager that records the
 * environment, arguments, working directory and stdin it was exec'd with. The real overmind and
 * hivemind run in procfile-managers.test.ts.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupTemps, requireTool, tempDir } from '../helpers.js';
import {
  cmd,
  freePorts,
  killAll,
  liveFixturePids,
  newFixtureLog,
  project,
  readLog,
  start,
  stopWith,
  waitForHttp,
  waitNoLeftovers,
} from './harness.js';

const hasForeman = requireTool('foreman', 'ruby-foreman');

afterEach(killAll);
afterAll(cleanupTemps);

/** foreman's Procfile reader (lib/foreman/procfile.rb), line by line. */
function parseProcfile(text: string): [string, string][] {
  const entries: [string, string][] = [];
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) || line.trim() === '') continue;
    const m = /^([A-Za-z0-9_-]+):\s*(.+)$/.exec(line);
    if (m) entries.push([m[1]!, m[2]!]);
  }
  return entries;
}

describe('Procfile.fly', () => {
  it('parses back to exactly the requested names and commands', async () => {
    const processes: [string, string][] = [
      ['web', 'python3 -m http.server 8080 --bind 127.0.0.1'],
      ['pct', `python3 -c 'print("100% done, %(x)s")'`],
      ['quotes', `printf '%s\\n' "it's" 'say "hi"'`],
      ['semi', `sh -c 'echo one ; echo two # not a comment'`],
      ['var', 'bin/server --port $PORT'],
      ['list', 'echo "$HOME" && exec bin/worker'],
      ['env_prefix', 'FOO=bar bin/worker'],
      ['colon', 'bin/server --listen=0.0.0.0:8080 --name=a:b'],
    ];
    const dir = await project(
      'procfile',
      processes.map(([n, c]) => `${n}=${c}`),
    );
    const text = readFileSync(path.join(dir, 'Procfile.fly'), 'utf8');
    // `exec` in front, so the manager's stop signal reaches the program; a process that reads $PORT
    // gets its own PORT (8080 is web's) through `env`; a list or a NAME=value prefix keeps the shell,
    // which execs the last program itself.
    const expected = processes.map(([n, c]): [string, string] => {
      if (n === 'var') return [n, `exec env PORT=8081 sh -c 'exec ${c}'`];
      if (n === 'list') return [n, c];
      if (n === 'env_prefix') return [n, 'FOO=bar exec bin/worker'];
      return [n, `exec ${c}`];
    });
    expect(parseProcfile(text)).toEqual(expected);
    // overmind and hivemind need whitespace after the colon: ^([\w-]+):\s+(.+)$
    for (const [name, command] of expected) expect(text.split('\n')).toContain(`${name}: ${command}`);
    // Each of these already ends in exec: no "runs under a shell" comment.
    expect(text).not.toMatch(/^# (env_prefix|list|var):/m);
  });
});

describe.skipIf(!hasForeman)('Procfile.fly under real foreman', () => {
  it('runs every entry: both servers answer, and SIGINT stops them', async () => {
    const [webPort, apiPort] = await freePorts(2);
    const dir = await project(
      'procfile',
      [`web=${cmd.server('web', webPort!)}`, `api=${cmd.server('api', apiPort!)}`],
      [`web=${webPort}`, `api=${apiPort}`],
    );
    const log = newFixtureLog(path.dirname(dir));
    const run = start('foreman', ['start', '-f', path.join(dir, 'Procfile.fly'), '-d', dir], {
      env: { FIXTURE_LOG: log },
    });
    expect(await waitForHttp(webPort!, 15_000, run)).toMatch(/^web \d+/);
    expect(await waitForHttp(apiPort!, 15_000, run)).toMatch(/^api \d+/);
    await run.waitForOutput(/web\.1\s+\| web listening on/, 5000, 'stdout');
    await run.waitForOutput(/api\.1\s+\| api listening on/, 5000, 'stdout');

    // foreman: up to 1 s to notice the signal, then SIGTERM, SIGKILL after its -t (5 s).
    const stop = await stopWith(run, 'SIGINT', 8000);
    expect(stop.killed).toBe(false);
    expect(stop.exit.code).toBe(0);
    expect(
      readLog(log)
        .filter((e) => e.event === 'got SIGTERM')
        .map((e) => e.name)
        .sort(),
    ).toEqual(['api', 'web']);
    expect(await waitNoLeftovers(run.pid)).toEqual([]);
    expect(liveFixturePids(log)).toEqual([]);
  }, 30_000);
});

describe('procfile entrypoint.sh settings for the managers', () => {
  /** A stand-in manager that records how it was exec'd, then exits 0. */
  function stubManager(name: string): { bin: string; record: string } {
    const bin = tempDir('cfm-stub-');
    const record = path.join(bin, 'record.json');
    const script = path.join(bin, name);
    writeFileSync(
      script,
      `#!/usr/bin/env python3\nimport json, os, sys\njson.dump({"pid": os.getpid(), "argv": sys.argv[1:], "cwd": os.getcwd(), "stdin": os.readlink("/proc/self/fd/0"), "env": dict(os.environ)}, open(${JSON.stringify(record)}, "w"))\n`,
    );
    chmodSync(script, 0o755);
    return { bin, record };
  }

  it('overmind: Procfile.fly, socket in /tmp (stale one removed), TERM for each, timeout below kill_timeout, no .env, no port, no daemon', async () => {
    const dir = await project('procfile', ['web=bin/server', 'worker=bin/worker --queue a'], ['web=8080'], {
      procfileManager: 'overmind',
      killTimeout: '10',
    });
    const text = readFileSync(path.join(dir, 'entrypoint.sh'), 'utf8');
    expect(text).toContain('export OVERMIND_TIMEOUT="${OVERMIND_TIMEOUT:-8}"');
    expect(text).toContain('export OVERMIND_STOP_SIGNALS="${OVERMIND_STOP_SIGNALS:-web=TERM,worker=TERM}"');
    expect(text).toMatch(/^exec overmind start <\/dev\/null$/m);

    const { bin, record } = stubManager('overmind');
    const socketDir = tempDir('cfm-sock-');
    const socket = path.join(socketDir, 'overmind.sock');
    writeFileSync(socket, 'stale');
    const shim = path.join(socketDir, 'libnoutempter.so');
    writeFileSync(shim, ''); // only its path matters to the stub
    const run = start(path.join(dir, 'entrypoint.sh'), [], {
      cwd: socketDir,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        OVERMIND_SOCKET: socket,
        OVERMIND_DAEMONIZE: '1',
        NOUTEMPTER_LIB: shim,
        LD_PRELOAD: undefined,
      },
    });
    expect(await run.waitExit(10_000)).toMatchObject({ code: 0 });
    const got = JSON.parse(readFileSync(record, 'utf8')) as {
      pid: number;
      argv: string[];
      cwd: string;
      stdin: string;
      env: Record<string, string>;
    };
    expect(got.pid).toBe(run.pid); // exec: overmind is the entrypoint's process, Fly's signal reaches it
    expect(got.argv).toEqual(['start']);
    expect(got.cwd).toBe('/'); // not the app directory: overmind would read its .overmind.env over Fly secrets
    expect(got.stdin).toBe('/dev/null'); // never a terminal (with a 0x0 one overmind starts only the first process)
    expect(got.env.LD_PRELOAD).toBe(shim); // the tmux < 3.6 workaround
    expect(got.env).toMatchObject({
      OVERMIND_PROCFILE: path.join(dir, 'Procfile.fly'),
      OVERMIND_SOCKET: socket,
      OVERMIND_TIMEOUT: '8',
      OVERMIND_STOP_SIGNALS: 'web=TERM,worker=TERM',
      OVERMIND_NO_PORT: '1',
      OVERMIND_SKIP_ENV: '1',
    });
    expect(got.env.OVERMIND_DAEMONIZE).toBeUndefined();
    expect(existsSync(socket)).toBe(false);

    // Without OVERMIND_SOCKET in the environment, the socket goes to /tmp.
    const run2 = start(path.join(dir, 'entrypoint.sh'), [], {
      cwd: socketDir,
      env: { PATH: `${bin}:${process.env.PATH}`, OVERMIND_SOCKET: undefined },
    });
    expect(await run2.waitExit(10_000)).toMatchObject({ code: 0 });
    expect(JSON.parse(readFileSync(record, 'utf8')).env.OVERMIND_SOCKET).toBe('/tmp/overmind.sock');

    // Without the shim at its path, a warning, and overmind still starts; NOUTEMPTER_LIB= turns it off quietly.
    const missing = path.join(socketDir, 'nowhere', 'libnoutempter.so');
    const run3 = start(path.join(dir, 'entrypoint.sh'), [], {
      env: { PATH: `${bin}:${process.env.PATH}`, NOUTEMPTER_LIB: missing, LD_PRELOAD: undefined },
    });
    expect(await run3.waitExit(10_000)).toMatchObject({ code: 0 });
    expect(run3.stderr).toContain(
      `entrypoint.sh: ${missing} not found: with tmux < 3.6 overmind can miss a crashed process`,
    );
    expect(JSON.parse(readFileSync(record, 'utf8')).env.LD_PRELOAD).toBeUndefined();
    const run4 = start(path.join(dir, 'entrypoint.sh'), [], {
      env: { PATH: `${bin}:${process.env.PATH}`, NOUTEMPTER_LIB: '', LD_PRELOAD: undefined },
    });
    expect(await run4.waitExit(10_000)).toMatchObject({ code: 0 });
    expect(run4.stderr).toBe('');
  });

  it('hivemind: Procfile.fly as argument, timeout below kill_timeout', async () => {
    const dir = await project('procfile', ['web=bin/server', 'worker=bin/worker'], ['web=8080'], {
      procfileManager: 'hivemind',
    });
    const { bin, record } = stubManager('hivemind');
    const cwd = tempDir('cfm-cwd-');
    const run = start(path.join(dir, 'entrypoint.sh'), [], { cwd, env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(await run.waitExit(10_000)).toMatchObject({ code: 0 });
    const got = JSON.parse(readFileSync(record, 'utf8')) as {
      pid: number;
      argv: string[];
      cwd: string;
      stdin: string;
      env: Record<string, string>;
    };
    expect(got.pid).toBe(run.pid);
    expect(got.argv).toEqual([path.join(dir, 'Procfile.fly')]);
    expect(got.env.HIVEMIND_TIMEOUT).toBe('3');
    expect(got.cwd).toBe('/'); // hivemind loads ./.env from its working directory
    expect(got.stdin).toBe('/dev/null');
  });
});
