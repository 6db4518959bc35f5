import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { plan } from '../src/plan.js';
import type { Answers, Project } from '../src/types.js';

const project: Project = { dir: '/work/my-app', exists: true, empty: false, runtime: 'generic', packageJson: false, npmLock: false };
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
    const p = plan({ dir: '.', processes: ['web=bin/server -p 8080', 'worker=bin/worker'], ports: ['web=8080'] }, project);
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
    const p = plan({ dir: '.', processes: ['web=bin/server -p $PORT', 'logs=tail -f log | grep x', 'env=FOO=1 bin/x'] }, project);
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
    expect(plan({ dir: '.', processes: two, killSignal: 'SIGQUIT', killTimeout: '30s' }, project)).toMatchObject({ killSignal: 'SIGQUIT', killTimeout: 30 });
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
    [{ processes: two, ports: ['api=8080'] }, /--port "api=8080": no process is named "api" \(processes: web, worker\)/],
    [{ processes: two, http: 'api' }, /--http "api": no process is named "api"/],
    [{ processes: two, http: 'worker' }, /--http "worker": worker has no port; add --port worker=PORT/],
    [{ processes: two, strategy: 'systemd' }, /--strategy "systemd": must be one of process-groups, bash, supervisord, procfile/],
    [{ processes: ['web=x'], strategy: 'bash' }, /--strategy bash runs several processes in one Machine, but only 1 process was given: add another --process, or use --strategy process-groups/],
    [{ processes: ['web=x'], strategy: 'apps' }, /--strategy apps is for several processes, but only 1 process was given/],
    [{ processes: two, killSignal: 'SIGUSR2' }, /--kill-signal "SIGUSR2": must be one of SIGINT, SIGTERM, SIGQUIT/],
    [{ processes: two, strategy: 'procfile', killSignal: 'SIGQUIT' }, /the procfile strategy handles only SIGINT and SIGTERM/],
    [{ processes: two, killTimeout: '0' }, /--kill-timeout "0": must be a whole number of seconds from 1 to 300/],
    [{ processes: two, killTimeout: '301' }, /from 1 to 300/],
    [{ processes: two, killTimeout: '2.5' }, /from 1 to 300/],
    [{ processes: two, strategy: 'supervisord', killTimeout: '3' }, /--kill-timeout 3: the supervisord strategy needs at least 4 seconds/],
    [{ processes: two, app: 'My_App' }, /--app "My_App": a Fly app name uses lowercase letters, digits and dashes/],
    [{ processes: two, region: 'amsterdam' }, /--region "amsterdam": a Fly region is a three-letter code/],
    [{ processes: two, baseImage: 'debian bookworm' }, /--base-image "debian bookworm": not a valid image reference/],
    [{ processes: two, strategy: 'procfile', procfileManager: 'foreman' }, /--procfile-manager "foreman": must be one of overmind, hivemind/],
  ])('%j', (answers, message) => {
    expect(problems(answers as Partial<Answers>).join('\n')).toMatch(message);
  });

  it('reports every problem at once', () => {
    const list = problems({ processes: ['web=x', 'Bad=y', 'web=z'], ports: ['web=99999'], killTimeout: '0', region: 'x' });
    expect(list).toHaveLength(5);
  });

  it('defaults the app name from the directory name, made safe', () => {
    const app = (dir: string) => plan({ dir: '.', processes: two }, { ...project, dir }).app;
    expect(app('/home/me/My Project_2')).toBe('my-project-2');
    expect(app('/tmp/___')).toBe('my-app');
  });
});
