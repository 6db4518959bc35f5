/**
 * A web process answers: ports from flags, from the command (for --process as for a Procfile),
 * from the $PORT contract, and the PORT each process gets, per strategy; a plan with no public
 * process says so before anything is written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { detect } from '../src/detect.js';
import { listening, portFallback, readsPort } from '../src/import.js';
import { plan } from '../src/plan.js';
import { render } from '../src/render.js';
import { STRATEGY_NAMES, type Answers } from '../src/types.js';
import { STRATEGIES } from '../src/strategies/index.js';
import { cleanupTemps, hashTree, projectWith, runCli } from './helpers.js';

afterAll(cleanupTemps);

const EMPTY = projectWith({ 'README.md': 'x\n' });
const planOf = (answers: Omit<Answers, 'dir'>) => plan({ dir: EMPTY, yes: true, ...answers }, detect(EMPTY));
const flyToml = (answers: Omit<Answers, 'dir'>) => {
  const p = planOf(answers);
  return parse(render(p, detect(EMPTY)).find((f) => f.path === 'fly.toml')!.content) as Record<string, any>;
};

describe('listening', () => {
  it.each([
    ['web', 'uvicorn app:app --host 0.0.0.0 --port 8000', { port: 8000, env: false }],
    ['web', 'python manage.py runserver 0.0.0.0:8000', { port: 8000, env: false }],
    ['web', 'gunicorn app:app -b 0.0.0.0:$PORT', { env: true }],
    ['web', 'gunicorn app:app -b 0.0.0.0:${PORT:-5000}', { port: 5000, env: true }],
    ['web', 'node server.js --port ${PORT:="8080"}', { port: 8080, env: true }],
    ['api', 'bin/api -p $PORT', { env: true }],
    ['web', 'bundle exec puma -C config/puma.rb', { env: true }],
    ['web', 'PORT=3000 bundle exec puma', { port: 3000, env: false }],
  ])('%s: %s', (name, command, expected) => {
    expect(listening(name, command)).toMatchObject(expected);
  });
  it('a worker that names no port does not listen', () => {
    expect(listening('worker', 'bundle exec sidekiq')).toBeUndefined();
    expect(readsPort('echo $PORTAL')).toBe(false);
    expect(portFallback('x ${PORT:-99999}')).toBeUndefined();
  });
});

describe('plan: ports and PORT', () => {
  it('a port written in a --process value is detected as in a Procfile', () => {
    const p = planOf({ processes: ['web=uvicorn app:app --host 0.0.0.0 --port 8000', 'worker=celery -A app worker'] });
    expect(p.processes.map((x) => [x.name, x.port, x.env])).toEqual([
      ['web', 8000, undefined],
      ['worker', undefined, undefined],
    ]);
    expect(p.http).toBe('web');
  });

  it('a web process on $PORT gets 8080, PORT and [http_service] under process groups ([env] PORT)', () => {
    const doc = flyToml({ processes: ['web=bundle exec puma -p $PORT', 'worker=bundle exec sidekiq'] });
    expect(doc.env).toEqual({ PORT: '8080' });
    expect(doc.http_service).toMatchObject({ internal_port: 8080, processes: ['web'] });
    expect(doc.processes.web).toBe(`sh -c 'exec bundle exec puma -p $PORT'`);
  });

  it('web is public even when another process comes first with a port', () => {
    const p = planOf({ processes: ['admin=bin/admin --port 9000', 'web=bin/web'] });
    expect(p.http).toBe('web');
    expect(p.processes.map((x) => x.port)).toEqual([9000, 8080]);
  });

  it.each(STRATEGY_NAMES.filter((s) => STRATEGIES[s].portInFlyEnv === 'none'))(
    '%s: each process on $PORT gets its own PORT in front of its command, none in [env]',
    (strategy) => {
      const p = planOf({
        strategy,
        processes: ['web=gunicorn app:app -b 0.0.0.0:$PORT', 'api=node api.js', 'worker=celery -A app worker'],
        ports: ['api=9000'],
      });
      expect(p.env).toEqual({});
      expect(p.processes.map((x) => x.argv)).toEqual([
        ['env', 'PORT=8080', 'sh', '-c', 'exec gunicorn app:app -b 0.0.0.0:$PORT'],
        ['node', 'api.js'],
        ['celery', '-A', 'app', 'worker'],
      ]);
    },
  );

  it('process groups: [env] PORT for web; a second $PORT process gets its own in front of its command', () => {
    const p = planOf({ processes: ['api=bin/api --listen :$PORT', 'web=bin/web'] });
    expect(p.env).toEqual({ PORT: '8080' });
    expect(p.processes.map((x) => [x.name, x.port, x.argv])).toEqual([
      ['api', 8081, ['env', 'PORT=8081', 'sh', '-c', 'exec bin/api --listen :$PORT']],
      ['web', 8080, ['bin/web']],
    ]);
  });

  it("fly.toml's [env] PORT is the port a $PORT process gets", () => {
    const dir = projectWith({
      Procfile: 'web: bin/web --port $PORT\nworker: bin/worker\n',
      'fly.toml': 'app = "x"\n[env]\n  PORT = "3000"\n',
    });
    const p = plan({ dir, yes: true }, detect(dir));
    expect(p.processes[0]).toMatchObject({ port: 3000, env: { PORT: '3000' } });
  });

  it('a --port flag wins over the command, and PORT follows it', () => {
    const p = planOf({ processes: ['web=bin/web --port $PORT', 'worker=bin/w'], ports: ['web=3000'] });
    expect(p.processes[0]).toMatchObject({ port: 3000, env: { PORT: '3000' } });
  });
});

describe('no process is public', () => {
  it('is said on stderr before writing, not among the notes; --json lists it in warnings', async () => {
    const dir = projectWith({ 'README.md': 'x\n' });
    const before = hashTree(dir);
    const run = await runCli([
      dir,
      '--process',
      'worker=bin/worker',
      '--process',
      'cron=bin/cron',
      '--yes',
      '--dry-run',
    ]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('warning: no process is public: nothing will answer at https://');
    expect(run.stdout).toContain('! no process is public');
    expect(hashTree(dir)).toBe(before);
    const json = await runCli([dir, '--process', 'worker=bin/worker', '--yes', '--dry-run', '--json']);
    expect((JSON.parse(json.stdout) as { warnings: string[] }).warnings[0]).toMatch(/^no process is public/);
  });

  it('is not said when a process is public', async () => {
    const dir = projectWith({ 'README.md': 'x\n' });
    const run = await runCli([dir, '--process', 'web=bin/web', '--process', 'worker=bin/worker', '--yes', '--dry-run']);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('port 8080 (http_service)');
  });
});

describe('Heroku-only assumptions are named', () => {
  it('$DYNO and buildpack programs get a note', () => {
    const p = planOf({
      processes: [
        'web=bin/start-pgbouncer bundle exec puma -C config/puma.rb',
        'worker=bin/worker --id $DYNO',
        'php=vendor/bin/heroku-php-apache2 web/',
      ],
    });
    expect(p.notes).toContain('worker: $DYNO is set by Heroku only; on Fly use $FLY_MACHINE_ID or $FLY_PROCESS_GROUP');
    expect(p.notes).toContain(
      'web: bin/start-pgbouncer comes from a Heroku buildpack and is not in this image; install it in the Dockerfile, or change the command',
    );
    expect(p.notes.join('\n')).toContain('php: heroku-php-apache2 comes from a Heroku buildpack');
  });
});
