import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { detect } from '../src/detect.js';
import { UsageError } from '../src/errors.js';
import { declaredProcesses, parseFlyToml, parseProcfile, portOf } from '../src/import.js';
import { plan } from '../src/plan.js';
import type { Answers } from '../src/types.js';
import { cleanupTemps, hashTree, projectWith, runCli } from './helpers.js';

afterAll(cleanupTemps);

/** Plan in dir as `create-fly-multiproc` run there would (so messages name ./Procfile as "Procfile"). */
function planIn(dir: string, answers: Partial<Answers> = {}, procfile?: string) {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return plan({ dir: '.', ...answers }, detect('.', procfile === undefined ? {} : { procfile }));
  } finally {
    process.chdir(cwd);
  }
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error.problems;
    throw error;
  }
  throw new Error('expected a UsageError');
}

const HEROKU = `# Heroku-style Procfile
web: bundle exec puma -p 3000 -C config/puma.rb

worker: bundle exec sidekiq -q default\r
release: bin/rails db:migrate
api:gunicorn app:app --bind 0.0.0.0:8000
clock: PORT=9100 node clock.js
`;

describe('parseProcfile', () => {
  it('reads NAME: COMMAND lines, skips comments, blank lines and release, takes ports where they are plain', () => {
    const r = parseProcfile(HEROKU, 'Procfile');
    expect(r.problems).toEqual([]);
    expect(r.processes).toEqual([
      { name: 'web', command: 'bundle exec puma -p 3000 -C config/puma.rb', port: 3000, source: 'Procfile:2' },
      { name: 'worker', command: 'bundle exec sidekiq -q default', source: 'Procfile:4' },
      { name: 'api', command: 'gunicorn app:app --bind 0.0.0.0:8000', port: 8000, source: 'Procfile:6' },
      { name: 'clock', command: 'PORT=9100 node clock.js', port: 9100, source: 'Procfile:7' },
    ]);
    expect(r.notes).toEqual([]);
    expect(r.release).toEqual({ command: 'bin/rails db:migrate', source: 'Procfile:5' });
  });

  it('finds ports only where the command says them plainly', () => {
    const ports = [
      'node server.js --port 8080',
      'node server.js --port=8081',
      'rails server -p 3000',
      'gunicorn app:app -b 0.0.0.0:8000',
      'bundle exec puma --bind tcp://0.0.0.0:9292',
      '/app/bin/api -addr :7070',
      'caddy run --listen=127.0.0.1:2015',
      'PORT=5000 npm start',
      'gunicorn app:app --bind 0.0.0.0:$PORT',
      'celery -A app worker -P threads',
      'node server.js --port 99999',
      'python -m http.server 8000',
    ].map(portOf);
    expect(ports).toEqual([8080, 8081, 3000, 8000, 9292, 7070, 2015, 5000, undefined, undefined, undefined, 8000]);
  });

  it('a line without a colon, a bad name, an empty command, a name used twice, a broken quote: each names file and line', () => {
    const r = parseProcfile(
      'web: ok\nworker bin/worker\nWeb2: x\n: nothing\nempty:\nweb: again\nq: echo "open\n',
      'app/Procfile',
    );
    expect(r.problems).toEqual([
      'app/Procfile:2: "worker bin/worker" has no colon: each line of a Procfile is NAME: COMMAND; fix app/Procfile, or give the processes with --process',
      'app/Procfile:3: invalid name "Web2": a name must start with a lowercase letter, then up to 62 lowercase letters, digits, "_" or "-" (the same name is used as a Fly process group, a supervisord program, a Procfile entry and a log prefix); fix app/Procfile, or give the processes with --process',
      'app/Procfile:4: ": nothing" does not start with a process name (letters, digits, "_" and "-") and a colon; fix app/Procfile, or give the processes with --process',
      'app/Procfile:5: empty has no command; fix app/Procfile, or give the processes with --process',
      'app/Procfile:6: web is already declared on line 1; each process needs its own name; fix app/Procfile, or give the processes with --process',
      'app/Procfile:7: the command has an unterminated double quote; fix app/Procfile, or give the processes with --process',
    ]);
    expect(parseProcfile('# only comments\n\n', 'Procfile').problems).toEqual([
      'Procfile: declares no processes; add NAME: COMMAND lines, or give the processes with --process',
    ]);
  });

  it('leaves ports two entries share to plan(): the first keeps its port, the second is told', () => {
    const r = parseProcfile('web: gunicorn app:app -b 0.0.0.0:$PORT\na: x --port 8080\nb: y --port 8080\n', 'Procfile');
    expect(r.processes.map((p) => p.port)).toEqual([undefined, 8080, 8080]);
    expect(r.notes).toEqual([]);
    const dir = projectWith({
      Procfile: 'web: gunicorn app:app -b 0.0.0.0:$PORT\na: x --port 8080\nb: y --port 8080\n',
    });
    const p = planIn(dir, { yes: true });
    expect(p.processes.map((x) => [x.name, x.port, x.env])).toEqual([
      ['web', 8081, { PORT: '8081' }],
      ['a', 8080, undefined],
      ['b', undefined, undefined],
    ]);
    expect(p.notes).toContain(
      'b: its command listens on port 8080, which a has too: give them distinct ports (--port b=PORT)',
    );
  });
});

const FLY = `# fly.toml app configuration file generated for acme on 2024-05-01
app = 'acme'
primary_region = 'ams'
kill_signal = 'SIGTERM'
kill_timeout = '30s'

[build]

[processes]
  app = 'bin/rails server -b 0.0.0.0 -p 3000'
  worker = 'bundle exec sidekiq'
  metrics = "bin/metrics"

[http_service]
  internal_port = 3000
  force_https = true
  processes = ['app']

[[services]]
  internal_port = 9394
  protocol = 'tcp'
  processes = ['metrics']
`;

describe('parseFlyToml', () => {
  it('reads like flyctl: legacy [[processes]], processes = [], kill_timeout as a Go duration, shlex commands, a byte-order mark', () => {
    const legacy = parseFlyToml(
      '\uFEFFkill_timeout = "1m30s"\n[[processes]]\nname = "web"\ncommand = "bin/web \\"C:\\\\data\\""\n[[processes]]\nname = "worker"\ncommand = "bin/worker # comment"\n',
      'fly.toml',
    );
    expect(legacy.problems).toEqual([]);
    expect(legacy.killTimeout).toBe('90');
    expect(legacy.processes.map((p) => [p.name, p.command])).toEqual([
      ['web', 'bin/web C:data'],
      ['worker', 'bin/worker'],
    ]);
    expect(legacy.notes).toEqual([
      expect.stringContaining('read as flyctl splits it: bin/web C:data'),
      expect.stringContaining('read as flyctl splits it: bin/worker'),
    ]);
    expect(parseFlyToml('processes = []\nkill_timeout = 300\n', 'fly.toml')).toMatchObject({
      processes: [],
      processProblems: [],
      problems: [],
      killTimeout: '300',
    });
    expect(parseFlyToml('kill_timeout = "5"\n', 'fly.toml').problems).toEqual([
      expect.stringContaining('"5" without a unit is invalid'),
    ]);
  });

  it('keeps app, primary_region, kill_signal, kill_timeout (seconds) and [processes] with their service ports', () => {
    expect(parseFlyToml(FLY, 'fly.toml')).toEqual({
      file: 'fly.toml',
      app: 'acme',
      region: 'ams',
      killSignal: 'SIGTERM',
      killTimeout: '30',
      processes: [
        { name: 'app', command: 'bin/rails server -b 0.0.0.0 -p 3000', port: 3000, source: 'fly.toml [processes] app' },
        { name: 'worker', command: 'bundle exec sidekiq', source: 'fly.toml [processes] worker' },
        { name: 'metrics', command: 'bin/metrics', port: 9394, source: 'fly.toml [processes] metrics' },
      ],
      http: 'app',
      problems: [],
      processProblems: [],
      notes: [],
    });
    expect(parseFlyToml('kill_timeout = 5\n', 'fly.toml').killTimeout).toBe('5');
    expect(parseFlyToml('kill_timeout = "1m"\n', 'fly.toml').killTimeout).toBe('60');
  });

  it('one group without a processes filter takes the service port', () => {
    const r = parseFlyToml(
      'app = "x"\n[processes]\nweb = "bin/web"\n[http_service]\ninternal_port = 8080\n',
      'fly.toml',
    );
    expect(r.processes).toEqual([{ name: 'web', command: 'bin/web', port: 8080, source: 'fly.toml [processes] web' }]);
    expect(r.http).toBe('web');
  });

  it('a file that does not parse: file, line and column, and the line itself', () => {
    const r = parseFlyToml('app = "acme"\nprimary_region = ams\n', 'my-app/fly.toml');
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(
      /^my-app\/fly\.toml:2:\d+: not valid TOML: .+ \("primary_region = ams"\); fix it, or move it away to start from a new fly\.toml$/,
    );
  });

  it('values of the wrong type, and [processes] that cannot be used, name the line', () => {
    const r = parseFlyToml(
      'app = 42\nkill_timeout = "soon"\n\n[processes]\n  Web = "bin/web"\n  jobs = ["bin/jobs"]\n',
      'fly.toml',
    );
    expect(r.problems).toEqual([
      'fly.toml:1: app must be a one-line string',
      'fly.toml:2: kill_timeout "soon" is not a duration flyctl reads: write seconds (such as 90) or a duration with a unit (such as "1m30s"; "5" without a unit is invalid)',
    ]);
    expect(r.processProblems).toEqual([
      'fly.toml:5: [processes] Web: invalid name "Web": a name must start with a lowercase letter, then up to 62 lowercase letters, digits, "_" or "-" (the same name is used as a Fly process group, a supervisord program, a Procfile entry and a log prefix); fix fly.toml, or give the processes with --process',
      'fly.toml:6: [processes] jobs must be a one-line command string; fix fly.toml, or give the processes with --process',
    ]);
  });
});

describe('plan with what the project declares', () => {
  it('a Procfile gives the processes and their ports (with --yes, or with no terminal to ask in)', () => {
    const dir = projectWith({
      Procfile: 'web: node server.js --port 3000\nworker: node worker.js\n',
      'package.json': '{}',
    });
    for (const answers of [{ yes: true }, {}]) {
      const p = planIn(dir, answers);
      expect(p.processes.map((x) => [x.name, x.command, x.port])).toEqual([
        ['web', 'node server.js --port 3000', 3000],
        ['worker', 'node worker.js', undefined],
      ]);
      expect(p.http).toBe('web');
      expect(p.notes).toContain('processes from Procfile: web (port 3000), worker; --process replaces them');
    }
    // --port still sets or overrides a port; --process replaces the Procfile.
    expect(planIn(dir, { ports: ['worker=9000'] }).processes.map((x) => x.port)).toEqual([3000, 9000]);
    expect(planIn(dir, { processes: ['only=bin/only'] }).processes.map((x) => x.name)).toEqual(['only']);
  });

  it('Procfile.prod wins over Procfile, and says so', () => {
    const dir = projectWith({ Procfile: 'dev: bin/dev\n', 'Procfile.prod': 'web: bin/web\n' });
    const p = planIn(dir);
    expect(p.processes.map((x) => x.name)).toEqual(['web']);
    expect(p.notes).toContain('Procfile.prod is used, not Procfile: pass --from-procfile to choose');
  });

  it('a malformed Procfile stops the plan when it is used, and not when --process replaces it', () => {
    const dir = projectWith({ Procfile: 'web: bin/web\nworker bin/worker\n' });
    expect(problemsOf(() => planIn(dir, { yes: true }))).toEqual([
      'Procfile:2: "worker bin/worker" has no colon: each line of a Procfile is NAME: COMMAND; fix Procfile, or give the processes with --process',
    ]);
    expect(planIn(dir, { processes: ['web=bin/web'] }).processes).toHaveLength(1);
  });

  it('--from-procfile reads the file given, relative to the working directory, and its problems always count', () => {
    const dir = projectWith({ 'ops/Procfile.fly': 'web: bin/web -p 8080\njobs: bin/jobs\n', Procfile: 'ignored: x\n' });
    const file = path.join(dir, 'ops', 'Procfile.fly');
    expect(planIn(dir, {}, file).processes.map((x) => [x.name, x.port])).toEqual([
      ['web', 8080],
      ['jobs', undefined],
    ]);
    expect(problemsOf(() => planIn(dir, {}, path.join(dir, 'nope')))).toEqual([
      `--from-procfile ${path.join(dir, 'nope')}: no such file`,
    ]);
    expect(problemsOf(() => planIn(dir, { processes: ['a=b'] }, file))).toEqual([
      `--from-procfile ${file} and --process both give the processes: pass one of them`,
    ]);
  });

  it('--from-procfile is relative to the project directory: `create-fly-multiproc my-app --from-procfile Procfile.dev` from outside', async () => {
    const parent = projectWith({
      'my-app/Procfile.dev': 'web: bin/web\nworker: bin/worker\n',
      'my-app/go.mod': 'module example.com/app\n\ngo 1.22\n',
    });
    const run = await runCli(['my-app', '--from-procfile', 'Procfile.dev', '--yes', '--json', '--dry-run'], {
      cwd: parent,
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const report = JSON.parse(run.stdout) as { plan: { processes: { name: string }[] } };
    expect(report.plan.processes.map((p) => p.name)).toEqual(['web', 'worker']);
    // The same file named from the working directory is found too.
    const fromCwd = await runCli(['my-app', '--from-procfile', 'my-app/Procfile.dev', '--yes', '--json', '--dry-run'], {
      cwd: parent,
    });
    expect(fromCwd.exitCode).toBe(0);
  });

  it('an existing fly.toml keeps app, primary_region, kill_signal and kill_timeout; flags override them', () => {
    const dir = projectWith({ 'fly.toml': FLY, Procfile: 'web: bin/web -p 8080\njobs: bin/jobs\n' });
    const p = planIn(dir, { strategy: 'bash' });
    expect(p).toMatchObject({ app: 'acme', region: 'ams', killSignal: 'SIGTERM', killTimeout: 30 });
    expect(p.processes.map((x) => x.name)).toEqual(['web', 'jobs']); // the Procfile wins over [processes]
    expect(p.notes).toContain(
      'kept from fly.toml: app acme, primary_region ams, kill_signal SIGTERM, kill_timeout 30 (flags override them)',
    );
    const flagged = planIn(dir, {
      strategy: 'bash',
      app: 'other',
      region: 'syd',
      killSignal: 'SIGINT',
      killTimeout: '9',
    });
    expect(flagged).toMatchObject({ app: 'other', region: 'syd', killSignal: 'SIGINT', killTimeout: 9 });
  });

  it('fly.toml [processes] are the processes when there is no Procfile, with their ports and http_service', () => {
    const dir = projectWith({ 'fly.toml': FLY });
    const p = planIn(dir, { yes: true });
    expect(p.processes.map((x) => [x.name, x.command, x.port])).toEqual([
      ['app', 'bin/rails server -b 0.0.0.0 -p 3000', 3000],
      ['worker', 'bundle exec sidekiq', undefined],
      ['metrics', 'bin/metrics', 9394],
    ]);
    expect(p.http).toBe('app');
    expect(p.notes).toContain(
      'processes from fly.toml [processes]: app (port 3000), worker, metrics (port 9394); --process replaces them',
    );
  });

  it('values from fly.toml that the strategy cannot take are reported under their fly.toml key', () => {
    const dir = projectWith({ 'fly.toml': 'app = "Bad_Name"\nkill_signal = "SIGQUIT"\nkill_timeout = 2\n' });
    expect(problemsOf(() => planIn(dir, { strategy: 'procfile', processes: ['a=x', 'b=y'] }))).toEqual([
      'fly.toml kill_signal SIGQUIT: the procfile strategy handles only SIGINT and SIGTERM (SIGQUIT would kill the process manager without a clean stop)',
      "fly.toml kill_timeout 2: the procfile strategy needs at least 3 seconds, so that its own stop timeout fits inside Fly's and children are stopped cleanly before the Machine is killed",
      'fly.toml app "Bad_Name": a Fly app name uses lowercase letters, digits and dashes (up to 63), and starts and ends with a letter or digit',
    ]);
  });

  it('a fly.toml that does not parse stops the plan, whatever the flags say', () => {
    const dir = projectWith({ 'fly.toml': 'app = "x"\n[processes\n' });
    const problems = problemsOf(() => planIn(dir, { processes: ['web=bin/web'], app: 'x' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^fly\.toml:2:\d+: not valid TOML: /);
  });

  it('the wizard is offered the declared processes, unless their file has problems', () => {
    expect(declaredProcesses(detect(projectWith({ Procfile: 'web: bin/web\n' }))).map((p) => p.name)).toEqual(['web']);
    expect(declaredProcesses(detect(projectWith({ Procfile: 'web bin/web\n', 'fly.toml': FLY })))).toEqual([]);
    expect(declaredProcesses(detect(projectWith({ 'fly.toml': FLY }))).map((p) => p.name)).toEqual([
      'app',
      'worker',
      'metrics',
    ]);
  });
});

describe('the built CLI with a Procfile and fly.toml', () => {
  it('--yes in a project with a Procfile: its processes in Procfile.fly, fly.toml keeps the app', async () => {
    const dir = projectWith({
      Procfile: 'web: bin/web --port 8080\nworker: bin/worker\n',
      'go.mod': 'module example.com/acme\n\ngo 1.23\n',
      'fly.toml': 'app = "acme-prod"\nprimary_region = "fra"\n',
    });
    const r = await runCli([dir, '--yes', '--strategy', 'procfile', '--force']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'Procfile.fly'), 'utf8')).toContain(
      'web: exec bin/web --port 8080\nworker: exec bin/worker\n',
    );
    const toml = parse(readFileSync(path.join(dir, 'fly.toml'), 'utf8')) as Record<string, any>;
    expect([toml.app, toml.primary_region, toml.http_service.internal_port]).toEqual(['acme-prod', 'fra', 8080]);
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toContain('FROM golang:1.23-bookworm AS build');
    expect(readFileSync(path.join(dir, '.dockerignore'), 'utf8')).toMatch(/^\*\*\/\.env$/m);
  });

  it('a Procfile line without a colon: exit 2, the file and line named, nothing written', async () => {
    const dir = projectWith({ Procfile: 'web: bin/web\nworker bin/worker\n' });
    const before = hashTree(dir);
    const r = await runCli([dir, '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${dir}/Procfile:2: "worker bin/worker" has no colon`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(hashTree(dir)).toBe(before);
  });

  it('a fly.toml that does not parse: exit 2, file and line named, nothing written', async () => {
    const dir = projectWith({ 'fly.toml': 'app = "x"\nkill_timeout = \n', Procfile: 'web: bin/web\n' });
    const before = hashTree(dir);
    const r = await runCli([dir, '--yes', '--force']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${dir}/fly\\.toml:2:\\d+: not valid TOML`));
    expect(hashTree(dir)).toBe(before);
  });

  it('--from-procfile that does not exist, and --runtime that is not one: exit 2, nothing written', async () => {
    const dir = projectWith({ 'main.sh': '' });
    const before = hashTree(dir);
    const missing = await runCli([dir, '--from-procfile', path.join(dir, 'Procfile.none')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`--from-procfile ${path.join(dir, 'Procfile.none')}: no such file`);
    const runtime = await runCli([dir, '--runtime', 'java', '--process', 'a=b']);
    expect(runtime.exitCode).toBe(2);
    expect(runtime.stderr).toContain(
      '--runtime "java": must be one of go, node, python, ruby, rust, bun, static, generic',
    );
    expect(hashTree(dir)).toBe(before);
  });

  it('an existing Dockerfile is never replaced silently, even when the runtime is detected', async () => {
    const dir = projectWith({ 'go.mod': 'module x\n', Dockerfile: 'FROM scratch\n', Procfile: 'web: /app/bin/x\n' });
    const r = await runCli([dir, '--yes']);
    // process-groups needs no change to it: kept byte for byte, the rest written.
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Dockerfile: keep');
    expect(r.stdout).toContain('Dockerfile: kept (the default for the process-groups strategy');
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe('FROM scratch\n');
    expect(existsSync(path.join(dir, 'fly.toml'))).toBe(true);
    expect(existsSync(path.join(dir, 'entrypoint.sh'))).toBe(false);
  });
});
