import { describe, expect, it } from 'vitest';
import { CancelledError } from '../src/errors.js';
import { plan } from '../src/plan.js';
import { equivalentCommand } from '../src/report.js';
import type { Answers, Project } from '../src/types.js';
import { canPrompt, ENTER_THROUGH, recommend, wizard } from '../src/wizard.js';
import { CANCEL, ENTER, mockPrompt } from './helpers.js';

const project: Project = {
  dir: '/work/shop',
  exists: true,
  empty: false,
  runtime: 'generic',
  packageJson: false,
  npmLock: false,
};

/** Run the wizard answering by question name; every answer given must have been asked for. */
async function run(
  answers: Record<string, unknown>,
  given: Partial<Answers> = {},
  p: Project = project,
  detected: Parameters<typeof wizard>[2] = [],
) {
  const io = mockPrompt(answers);
  const result = await wizard({ dir: p.dir, ...given }, p, detected, io);
  expect(io.unused(), `answers never asked for (asked: ${io.asked.join(', ')})`).toEqual([]);
  return { answers: result, out: io.text(), asked: io.asked };
}

describe('wizard (questions answered by name, mockPrompt)', () => {
  it('bash: two processes, no separate scaling, no restart in place', async () => {
    const { answers } = await run({
      name: ['web', 'worker'],
      command: ['bin/web --port 8080', 'bin/worker'],
      port: ['8080', ''],
      more: [true, false],
      separate: false,
      inPlace: false,
      strategy: 'bash',
      app: 'shop',
      region: 'ams',
    });
    expect(answers).toMatchObject({
      processes: ['web=bin/web --port 8080', 'worker=bin/worker'],
      ports: ['web=8080'],
      strategy: 'bash',
      app: 'shop',
      region: 'ams',
    });
    expect(plan(answers, project).strategy).toBe('bash');
  });

  it('supervisord: recommended when a crashed process should restart on its own', async () => {
    const { answers } = await run({
      name: ['web', 'jobs'],
      command: ['gunicorn app:app', 'celery worker'],
      port: ['8000', ''],
      more: [true, false],
      separate: false,
      inPlace: true,
      strategy: 'supervisord',
      app: 'shop',
      region: '',
    });
    expect(answers.strategy).toBe('supervisord');
    expect(answers.region).toBeUndefined();
    expect(recommend(false, true).strategy).toBe('supervisord');
  });

  it('procfile: also asks for the manager', async () => {
    const { answers } = await run({
      name: ['web', 'worker'],
      command: ['bin/web', 'bin/worker'],
      port: ['8080', ''],
      more: [true, false],
      separate: false,
      inPlace: false,
      strategy: 'procfile',
      app: 'shop',
      region: 'syd',
      procfileManager: 'hivemind',
    });
    expect(answers).toMatchObject({ strategy: 'procfile', procfileManager: 'hivemind' });
    expect(plan(answers, project).procfileManager).toBe('hivemind');
  });

  it('process-groups: recommended for separate scaling; asks which process serves HTTP when two have ports', async () => {
    const { answers } = await run({
      name: ['web', 'admin'],
      command: ['bin/web', 'bin/admin'],
      port: ['8080', '9000'],
      more: [true, false],
      http: 'admin',
      separate: true,
      strategy: 'process-groups',
      otherPorts: 'ipv6',
      app: 'shop',
      region: '',
    });
    expect(answers).toMatchObject({
      strategy: 'process-groups',
      http: 'admin',
      otherPorts: 'ipv6',
      ports: ['web=8080', 'admin=9000'],
    });
    expect(recommend(true, false).strategy).toBe('process-groups');
  });

  it("clearing the web process's port means no port (a worker named web), not the 8080 plan would infer", async () => {
    const { answers } = await run({
      name: 'web',
      command: 'bin/web',
      port: '',
      more: false,
      app: 'shop',
      region: 'ams',
    });
    expect(answers.ports).toEqual(['web=none']);
    const p = plan(answers, project);
    expect(p.processes).toEqual([{ name: 'web', command: 'bin/web', argv: ['bin/web'], noPort: true }]);
    expect(p.http).toBeUndefined();
    expect(equivalentCommand(p, '.')).toContain('--process web=bin/web --port web=none');
    // Without the cleared answer, plan gives a process named web the port Fly's examples use.
    expect(plan({ ...answers, ports: [] }, project).processes[0]!.port).toBe(8080);
  });

  it('an invalid answer is explained with the flag rules, then asked again', async () => {
    const { answers, out } = await run({
      name: ['Web!', 'web', 'web', 'worker'],
      command: ["echo 'oops", 'bin/web', 'bin/w'],
      port: ['99999', '8080', '8080', ''],
      more: [true, false],
      separate: false,
      inPlace: false,
      strategy: 'bash',
      app: ['Bad_App', 'shop'],
      region: ['amsterdam', 'ams'],
    });
    expect(out).toContain('invalid name "Web!": a name must start with a lowercase letter');
    expect(out).toContain('the command has an unterminated single quote');
    expect(out).toContain('the port must be a whole number from 1 to 65535');
    expect(out).toContain('the name "web" is used twice');
    expect(out).toContain('port 8080 is already used by web');
    expect(out).toContain('a Fly app name uses lowercase letters');
    expect(out).toContain('a Fly region is a three-letter code');
    expect(answers).toMatchObject({
      processes: ['web=bin/web', 'worker=bin/w'],
      ports: ['web=8080'],
      app: 'shop',
      region: 'ams',
    });
  });

  it('asks only what the flags left open', async () => {
    const { answers } = await run(
      { app: 'shop', region: 'iad' },
      { processes: ['web=bin/web', 'worker=bin/w'], ports: ['web=8080'], strategy: 'supervisord' },
    );
    expect(answers).toMatchObject({ strategy: 'supervisord', app: 'shop', region: 'iad' });
    const none = await run({}, { processes: ['web=bin/web'], strategy: 'process-groups', app: 'x', region: 'ams' });
    expect(none.answers.app).toBe('x');
    expect(none.asked).toEqual([]);
  });

  it('one process: no strategy question, process groups', async () => {
    const { answers, out } = await run({
      name: 'web',
      command: 'bin/web',
      port: '8080',
      more: false,
      app: 'shop',
      region: '',
    });
    expect(answers.strategy).toBe('process-groups');
    expect(out).toContain('One process');
  });

  it('offers the built-in example in an empty directory', async () => {
    const empty = { ...project, empty: true };
    const { answers } = await run(
      { example: true, separate: false, inPlace: false, strategy: 'bash', app: 'hello', region: '' },
      {},
      empty,
    );
    expect(answers.example).toBe(true);
    const p = plan(answers, empty);
    expect(p.example).toBe(true);
    expect(p.processes.map((x) => x.name)).toEqual(['web', 'bar_web']);
  });

  it('offers processes found in the project as the default, with what the import noticed', async () => {
    const declared = [
      { name: 'web', command: 'bin/web -p 3000', port: 3000, source: 'Procfile:1' },
      { name: 'worker', command: 'bin/worker', source: 'Procfile:2' },
    ];
    const notes = ['Procfile:4: a note the import made'];
    const release = { command: 'bin/rails db:migrate', source: 'Procfile:3' };
    const withProcfile: Project = {
      ...project,
      procfile: { file: 'Procfile', explicit: false, processes: declared, release, problems: [], notes },
    };
    // Use them; web's port: Enter (the one detected).
    const { answers, out } = await run(
      { useDetected: true, port: ENTER, separate: true, strategy: 'process-groups', app: 'shop', region: '' },
      {},
      withProcfile,
      declared,
    );
    expect(answers).toMatchObject({
      processes: ['web=bin/web -p 3000', 'worker=bin/worker'],
      ports: ['web=3000'],
      release: 'bin/rails db:migrate',
    });
    expect(out).toContain('Procfile:4: a note the import made');
    expect(out).toContain("Procfile:3: release runs before each deploy as fly.toml's [deploy] release_command");
  });

  it('asks a port for every imported process that listens ($PORT, or named web), the detected one as default', async () => {
    const declared = [
      { name: 'web', command: 'gunicorn app:app -b 0.0.0.0:${PORT:-5000}', source: 'Procfile:1' },
      { name: 'worker', command: 'celery -A app worker', source: 'Procfile:2' },
      { name: 'api', command: 'node api.js --port $PORT', source: 'Procfile:3' },
    ];
    const withProcfile: Project = {
      ...project,
      procfile: { file: 'Procfile', explicit: false, processes: declared, problems: [], notes: [] },
    };
    // web (reads $PORT with fallback 5000): Enter; api (reads $PORT): 9000; worker: not asked; then which one is public.
    const { answers } = await run(
      {
        useDetected: true,
        port: [ENTER, '9000'],
        http: 'web',
        separate: true,
        strategy: 'process-groups',
        otherPorts: ENTER,
        app: 'shop',
        region: '',
      },
      {},
      withProcfile,
      declared,
    );
    expect(answers.ports).toEqual(['web=5000', 'api=9000']);
    const p = plan(answers, withProcfile);
    expect(p.processes.map((x) => [x.name, x.port, x.env?.PORT])).toEqual([
      ['web', 5000, '5000'],
      ['worker', undefined, undefined],
      ['api', 9000, '9000'],
    ]);
    expect(p.http).toBe('web');
  });

  it('Enter through the strategy questions recommends what --yes takes', () => {
    expect(recommend(ENTER_THROUGH.separate, ENTER_THROUGH.inPlace).strategy).toBe(
      plan({ dir: '.', yes: true, processes: ['web=a', 'worker=b'] }, project).strategy,
    );
  });

  it("takes an existing fly.toml's app and region as the defaults, and says what it found", async () => {
    const withFly: Project = {
      ...project,
      flyToml: {
        file: 'fly.toml',
        app: 'from-fly',
        region: 'ams',
        processes: [],
        problems: [],
        processProblems: [],
        notes: [],
      },
    };
    // Enter takes the prompt's default.
    const { answers, out } = await run(
      { app: ENTER, region: ENTER },
      { processes: ['web=bin/web'], strategy: 'process-groups' },
      withFly,
    );
    expect(answers).toMatchObject({ app: 'from-fly', region: 'ams' });
    expect(out).toContain('fly.toml (app from-fly)');
  });

  it('Ctrl-C or Esc cancels', async () => {
    await expect(
      wizard({ dir: project.dir }, project, [], mockPrompt({ name: 'web', command: CANCEL })),
    ).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('canPrompt', () => {
  it('prompts only on a terminal, never with --yes, --json or CI=true', () => {
    expect(canPrompt({}, {}, true)).toBe(true);
    expect(canPrompt({}, { CI: 'false' }, true)).toBe(true);
    expect(canPrompt({}, {}, false)).toBe(false);
    expect(canPrompt({ yes: true }, {}, true)).toBe(false);
    expect(canPrompt({ json: true }, {}, true)).toBe(false);
    expect(canPrompt({}, { CI: 'true' }, true)).toBe(false);
  });
});
