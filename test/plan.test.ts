import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { assignPorts, chooseHttp, chooseStrategy, inferPorts, placePort, plan, planKillTimeout } from '../src/plan.js';
import { STRATEGIES } from '../src/strategies/index.js';
import type { Answers, PlannedProcess, Project } from '../src/types.js';

const project: Project = {
  dir: '/work/my-app',
  exists: true,
  empty: false,
  runtime: 'generic',
  packageJson: false,
  npmLock: false,
};
const emptyProject: Project = { ...project, empty: true };

function problems(answers: Partial<Answers>, p: Project = project): string[] {
  try {
    plan({ dir: '.', ...answers }, p);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).problems;
  }
  throw new Error('expected a UsageError');
}

const two = ['web=bin/server', 'worker=bin/worker'];

describe('plan: good input', () => {
  it('normalises processes, ports and defaults', () => {
    const p = plan(
      { dir: '.', processes: ['web=bin/server -p 8080', 'worker=bin/worker'], ports: ['web=8080'] },
      project,
    );
    expect(p.strategy).toBe('process-groups');
    expect(p.app).toBe('my-app');
    expect(p.http).toBe('web');
    expect(p.killSignal).toBe('SIGINT');
    expect(p.killTimeout).toBe(5);
    expect(p.baseImage).toBe('debian:bookworm-slim');
    expect(p.processes).toEqual([
      { name: 'web', command: 'bin/server -p 8080', argv: ['bin/server', '-p', '8080'], port: 8080 },
      { name: 'worker', command: 'bin/worker', argv: ['bin/worker'] },
    ]);
    expect(p.notes.join('\n')).toContain('worker has no port, so it gets no service and is never auto-stopped');
  });

  it('scaffolds the example only with --yes in an empty directory', () => {
    const p = plan({ dir: '.', yes: true }, emptyProject);
    expect(p.example).toBe(true);
    expect(p.runtime).toBe('node');
    expect(p.processes.map((x) => [x.name, x.command, x.port])).toEqual([
      ['web', 'node server.js', 8080],
      ['bar_web', 'node server.js -bar', 8081],
    ]);
    expect(problems({ yes: true })[0]).toMatch(/no processes given: pass --process NAME=COMMAND/);
    expect(problems({}, emptyProject)[0]).toMatch(/--yes in an empty directory/);
  });

  it('runs shell syntax under sh -c, with exec for simple commands', () => {
    const p = plan(
      { dir: '.', processes: ['web=bin/server -p $PORT', 'logs=tail -f log | grep x', 'env=FOO=1 bin/x'] },
      project,
    );
    expect(p.processes.map((x) => x.argv)).toEqual([
      ['sh', '-c', 'exec bin/server -p $PORT'],
      ['sh', '-c', 'tail -f log | grep x'],
      ['sh', '-c', 'FOO=1 exec bin/x'],
    ]);
    expect(p.notes.join('\n')).toMatch(/web: the command uses `\$` expansion/);
    expect(p.notes.join('\n')).toMatch(/logs: with shell operators the Machine's main process is sh/);
  });

  it('accepts signal names in any case and with or without SIG', () => {
    expect(plan({ dir: '.', processes: two, killSignal: 'term' }, project).killSignal).toBe('SIGTERM');
    expect(plan({ dir: '.', processes: two, killSignal: 'SIGQUIT', killTimeout: '30s' }, project)).toMatchObject({
      killSignal: 'SIGQUIT',
      killTimeout: 30,
    });
  });

  it('chooses --http, else the first process with a port', () => {
    const p = plan({ dir: '.', processes: ['a=x', 'b=y', 'c=z'], ports: ['c=3000', 'b=2000'] }, project);
    expect(p.http).toBe('b');
    expect(plan({ dir: '.', processes: ['a=x', 'b=y'], ports: ['a=1', 'b=2'], http: 'b' }, project).http).toBe('b');
    expect(plan({ dir: '.', processes: ['a=x'] }, project).http).toBeUndefined();
  });
});

describe('plan: bad input names the flag and the fix', () => {
  it.each([
    [{ processes: ['=bin/x'] }, /--process "=bin\/x": the process name is empty/],
    [{ processes: ['web'] }, /--process "web": expected NAME=COMMAND/],
    [{ processes: ['Web=x'] }, /invalid name "Web": a name must start with a lowercase letter/],
    [{ processes: ['web.1=x'] }, /invalid name "web.1"/],
    [{ processes: [`${'a'.repeat(64)}=x`] }, /invalid name/],
    [{ processes: ['fly_app_console=x'] }, /"fly_app_console" starts with fly_app_, which flyctl reserves/],
    [{ processes: ['web=x', 'fly_app_release_command=y'] }, /flyctl reserves for its own process groups/],
    [{ processes: ['web=x', 'web=y'] }, /the name "web" is used twice/],
    [{ processes: ['web=x\ny'] }, /contains a newline or NUL/],
    [{ processes: ['web=x\0'] }, /contains a newline or NUL/],
    [{ processes: ['web='] }, /the command is empty/],
    [{ processes: ["web=echo 'hi"] }, /unterminated single quote/],
    [{ processes: ['web=echo "hi'] }, /unterminated double quote/],
    [{ processes: two, ports: ['web=0'] }, /--port "web=0": the port must be a whole number from 1 to 65535/],
    [{ processes: two, ports: ['web=65536'] }, /from 1 to 65535/],
    [{ processes: two, ports: ['web=80x'] }, /from 1 to 65535/],
    [{ processes: two, ports: ['web=8080', 'worker=8080'] }, /port 8080 is already used by web/],
    [{ processes: two, ports: ['web=8080', 'web=8081'] }, /web already has a port/],
    [
      { processes: two, ports: ['api=8080'] },
      /--port "api=8080": no process is named "api" \(processes: web, worker\)/,
    ],
    [{ processes: two, http: 'api' }, /--http "api": no process is named "api"/],
    [{ processes: two, http: 'worker' }, /--http "worker": worker has no port; add --port worker=PORT/],
    [
      { processes: two, strategy: 'systemd' },
      /--strategy "systemd": must be one of process-groups, bash, supervisord, procfile/,
    ],
    [
      { processes: ['web=x'], strategy: 'bash' },
      /--strategy bash runs several processes in one Machine, but only 1 process was given: add another --process, or use --strategy process-groups/,
    ],
    [
      { processes: ['web=x'], strategy: 'apps' },
      /--strategy apps is for several processes, but only 1 process was given/,
    ],
    [{ processes: two, killSignal: 'SIGUSR2' }, /--kill-signal "SIGUSR2": must be one of SIGINT, SIGTERM, SIGQUIT/],
    [
      { processes: two, strategy: 'procfile', killSignal: 'SIGQUIT' },
      /the procfile strategy handles only SIGINT and SIGTERM/,
    ],
    [{ processes: two, killTimeout: '0' }, /--kill-timeout "0": must be a whole number of seconds from 1 to 300/],
    [{ processes: two, killTimeout: '301' }, /from 1 to 300/],
    [{ processes: two, killTimeout: '2.5' }, /from 1 to 300/],
    [
      { processes: two, strategy: 'supervisord', killTimeout: '3' },
      /--kill-timeout 3: the supervisord strategy needs at least 4 seconds/,
    ],
    [{ processes: two, app: 'My_App' }, /--app "My_App": a Fly app name uses lowercase letters, digits and dashes/],
    [{ processes: two, region: 'amsterdam' }, /--region "amsterdam": a Fly region is a three-letter code/],
    [{ processes: two, baseImage: 'debian bookworm' }, /--base-image "debian bookworm": not a valid image reference/],
    [
      { processes: two, strategy: 'procfile', procfileManager: 'foreman' },
      /--procfile-manager "foreman": must be one of overmind, hivemind/,
    ],
  ])('%j', (answers, message) => {
    expect(problems(answers as Partial<Answers>).join('\n')).toMatch(message);
  });

  it('reports every problem at once', () => {
    const list = problems({
      processes: ['web=x', 'Bad=y', 'web=z'],
      ports: ['web=99999'],
      killTimeout: '0',
      region: 'x',
    });
    expect(list).toHaveLength(5);
  });

  it('defaults the app name from the directory name, made safe', () => {
    const app = (dir: string) => plan({ dir: '.', processes: two }, { ...project, dir }).app;
    expect(app('/home/me/My Project_2')).toBe('my-project-2');
    expect(app('/tmp/___')).toBe('my-app');
  });
});

describe('plan: a problem names where its value came from', () => {
  it('fly-multiproc.json, else the flag; every problem at once', () => {
    const sources = { app: 'fly-multiproc.json answers.app', killTimeout: 'fly-multiproc.json answers.killTimeout' };
    expect(problems({ processes: two, app: 'Bad_App', killTimeout: '0', strategy: 'nope', sources })).toEqual([
      '--strategy "nope": must be one of process-groups, bash, supervisord, procfile, apps',
      'fly-multiproc.json answers.killTimeout "0": must be a whole number of seconds from 1 to 300 (Fly\'s limit), such as 30, "30s" or "1m30s"',
      'fly-multiproc.json answers.app "Bad_App": a Fly app name uses lowercase letters, digits and dashes (up to 63), and starts and ends with a letter or digit',
    ]);
  });
});

describe("plan's steps, each alone", () => {
  const proc = (name: string, extra: Partial<PlannedProcess> = {}): PlannedProcess => ({
    name,
    command: `bin/${name}`,
    argv: [`bin/${name}`],
    ...extra,
  });

  it('chooseStrategy: the default when none is given, a problem naming its source for a wrong one', () => {
    const found: string[] = [];
    expect(chooseStrategy(undefined, '--strategy', found)).toBe('process-groups');
    expect(chooseStrategy('apps', '--strategy', found)).toBe('apps');
    expect(chooseStrategy('nope', 'fly-multiproc.json answers.strategy', found)).toBeUndefined();
    expect(found).toEqual([
      'fly-multiproc.json answers.strategy "nope": must be one of process-groups, bash, supervisord, procfile, apps',
    ]);
  });

  it('assignPorts: one per process, unknown names and clashes refused, NAME=none marks no port', () => {
    const procs = [proc('web'), proc('api'), proc('worker')];
    const found: string[] = [];
    const used = assignPorts(
      ['web=8080', 'api=8080', 'nope=1', 'worker=none'],
      procs,
      new Set(['web', 'api', 'worker']),
      found,
    );
    expect([...used]).toEqual([[8080, 'web']]);
    expect(procs.map((p) => [p.port, p.noPort])).toEqual([
      [8080, undefined],
      [undefined, undefined],
      [undefined, true],
    ]);
    expect(found).toEqual([
      expect.stringContaining('--port "api=8080": port 8080 is already used by web'),
      expect.stringContaining('--port "nope=1": no process is named "nope"'),
    ]);
  });

  it('inferPorts: web gets 8080 first, a $PORT reader the next free port with PORT set', () => {
    const procs = [proc('api', { command: 'bin/api --port $PORT' }), proc('web'), proc('worker')];
    const notes: string[] = [];
    inferPorts(procs, new Map(), undefined, notes);
    expect(procs.map((p) => [p.name, p.port, p.env?.PORT])).toEqual([
      ['api', 8081, '8081'],
      ['web', 8080, '8080'],
      ['worker', undefined, undefined],
    ]);
  });

  it('chooseHttp: --http, else web, else the first with a port; a process without a port cannot be it', () => {
    const procs = [proc('admin', { port: 9000 }), proc('web', { port: 8080 }), proc('worker')];
    const found: string[] = [];
    expect(chooseHttp(undefined, '--http', procs, new Set(), found)).toBe('web');
    expect(chooseHttp('admin', '--http', procs, new Set(), found)).toBe('admin');
    expect(chooseHttp('worker', '--http', procs, new Set(['worker']), found)).toBeUndefined();
    expect(found).toEqual(['--http "worker": worker has no port; add --port worker=PORT']);
  });

  it('planKillTimeout: seconds or a Go duration, within 1..300 and the strategy minimum', () => {
    const found: string[] = [];
    expect(planKillTimeout('1m30s', '--kill-timeout', STRATEGIES.bash, found)).toBe(90);
    expect(planKillTimeout(undefined, '--kill-timeout', STRATEGIES.bash, found)).toBe(5);
    planKillTimeout('3', '--kill-timeout', STRATEGIES.supervisord, found);
    expect(found).toEqual([
      expect.stringMatching(/^--kill-timeout 3: the supervisord strategy needs at least 4 seconds/),
    ]);
  });

  it('placePort: [env] PORT for the first (process groups), each its own (apps), in front of the command (one Machine)', () => {
    const make = () => [
      proc('web', { port: 8080, env: { PORT: '8080' } }),
      proc('api', { port: 8081, env: { PORT: '8081' } }),
    ];
    const groups = make();
    expect(placePort(groups, 'web', STRATEGIES['process-groups'])).toEqual({ PORT: '8080' });
    expect(groups.map((p) => p.argv[0])).toEqual(['bin/web', 'env']);
    const apps = make();
    expect(placePort(apps, 'web', STRATEGIES.apps)).toEqual({});
    expect(apps.map((p) => p.argv[0])).toEqual(['bin/web', 'bin/api']);
    const bash = make();
    expect(placePort(bash, 'web', STRATEGIES.bash)).toEqual({});
    expect(bash.map((p) => p.argv.slice(0, 2))).toEqual([
      ['env', 'PORT=8080'],
      ['env', 'PORT=8081'],
    ]);
  });
});
