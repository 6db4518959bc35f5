/**
 * Rails' bin/docker-entrypoint prepares the database only for one spelling of the server command.
 * The gate is read from the real scripts (the Rails 8 generator's, dockerfile-rails', older
 * `${*}` ones), checked against bash itself with a stand-in ./bin/rails, and the plan says when no
 * process can open it (process groups spelling the command otherwise, or our entrypoint in front).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detect } from '../src/detect.js';
import { inspectDockerfile } from '../src/dockerfile/index.js';
import { describeGate, findPrepareGate, opens } from '../src/dockerfile/rails-prepare.js';
import { plan } from '../src/plan.js';
import type { Answers } from '../src/types.js';
import { cleanupTemps, projectWith, ROOT, tempDir } from './helpers.js';

afterAll(cleanupTemps);

const DOCKERFILES = path.join(ROOT, 'test/corpus/dockerfiles');
const ENTRYPOINTS = path.join(ROOT, 'test/corpus/dockerfile/entrypoints');
const read = (file: string) => readFileSync(file, 'utf8');

const SCRIPTS: [string, string, { line: number; task: string; words: string } | undefined][] = [
  [
    path.join(DOCKERFILES, 'rails-8-thruster/bin/docker-entrypoint'),
    '6temes/invoices (Rails 8 generator)',
    { line: 4, task: 'db:prepare', words: 'end in `./bin/rails server`' },
  ],
  [
    path.join(DOCKERFILES, 'rails-alpine/bin/docker-entrypoint'),
    'dockerfile-rails alpine',
    { line: 10, task: 'db:prepare', words: 'end in `./bin/rails server`' },
  ],
  [
    path.join(DOCKERFILES, 'rails-litefs/bin/docker-entrypoint'),
    'dockerfile-rails litefs',
    { line: 13, task: 'db:prepare', words: 'end in `./bin/rails server`' },
  ],
  [
    path.join(DOCKERFILES, 'rails-idle/bin/docker-entrypoint'),
    'dockerfile-rails idle (nginx)',
    { line: 18, task: 'db:prepare', words: 'end in `nginx`' },
  ],
  [
    path.join(DOCKERFILES, 'rails-nginx/bin/docker-entrypoint'),
    'dockerfile-rails nginx (foreman)',
    { line: 10, task: 'db:prepare', words: 'end in `foreman start --procfile=Procfile.prod`' },
  ],
  [
    path.join(ENTRYPOINTS, 'Acero-AD__shopping-friend__docker__entrypoint.sh'),
    'Acero-AD/shopping-friend (${*})',
    { line: 4, task: 'db:prepare', words: 'are `./bin/rails server`' },
  ],
  [
    path.join(ENTRYPOINTS, 'AlchemyCMS__alchemy-demo__bin__docker-entrypoint'),
    'AlchemyCMS/alchemy-demo (db:migrate)',
    { line: 6, task: 'db:migrate', words: 'end in `./bin/rails server`' },
  ],
  // `echo "${1}" | grep -q "rails$"`: a test this reader does not model, so it claims nothing.
  [path.join(ENTRYPOINTS, 'AllYourBot__hostedgpt__bin__docker-entrypoint'), 'AllYourBot/hostedgpt (grep)', undefined],
];

/** Run the script under bash in a directory with a ./bin/rails that logs its arguments; what did it log? */
function railsCalls(script: string, args: string[]): string[] {
  const dir = tempDir('cfm-rails-');
  mkdirSync(path.join(dir, 'bin'));
  const log = path.join(dir, 'calls');
  writeFileSync(path.join(dir, 'bin/rails'), `#!/bin/sh\necho "$*" >> ${log}\n`);
  chmodSync(path.join(dir, 'bin/rails'), 0o755);
  writeFileSync(log, '');
  // The last step (exec "$@") runs true instead of the server; litestream/fallocate lines may fail harmlessly.
  const text = read(script).replace(
    /^(fallocate|mkswap|swapon|echo \d+ >|chmod 0600 \/swapfile|\s*litestream).*$/gm,
    ':',
  );
  writeFileSync(path.join(dir, 'entrypoint'), text);
  // exec "${@}" then runs the stand-in or fails to find the program: its exit status does not matter here.
  spawnSync('bash', [path.join(dir, 'entrypoint'), ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH, FLY_REGION: 'ams', PRIMARY_REGION: 'ams', LD_PRELOAD: '' },
    stdio: 'ignore',
    timeout: 10_000,
  });
  return read(log).split('\n').filter(Boolean);
}

describe('findPrepareGate reads the condition of real entrypoint scripts', () => {
  it.each(SCRIPTS)('%s (%s)', (file, _what, expected) => {
    const gate = findPrepareGate('bin/docker-entrypoint', read(file));
    if (!expected) return expect(gate).toBeUndefined();
    expect(gate).toMatchObject({ line: expected.line, task: expected.task });
    expect(describeGate(gate!).words).toBe(expected.words);
  });

  // The reading agrees with bash: the stand-in ./bin/rails is called with the task exactly when opens() says so.
  it.each(SCRIPTS.filter(([, , e]) => e && e.words.includes('./bin/rails server')))(
    '%s: bash agrees with opens()',
    (file) => {
      const gate = findPrepareGate('x', read(file))!;
      for (const args of [
        ['./bin/rails', 'server'],
        ['bin/rails', 'server'],
        ['bundle', 'exec', 'puma'],
        ['./bin/thrust', './bin/rails', 'server'],
        ['/rails/entrypoint.sh'],
        ['/rails/entrypoint.sh', './bin/rails', 'server'],
        ['true'],
      ]) {
        const ran = railsCalls(file, args).some((c) => c.startsWith('db:'));
        expect(ran, `${JSON.stringify(args)}`).toBe(opens(gate, args));
      }
    },
  );
});

describe('the plan says when the Rails entrypoint will never prepare the database', () => {
  const rails8 = () =>
    projectWith({
      Dockerfile: read(path.join(DOCKERFILES, 'rails-8-thruster/Dockerfile')),
      'bin/docker-entrypoint': read(path.join(DOCKERFILES, 'rails-8-thruster/bin/docker-entrypoint')),
    });
  function notesFor(answers: Omit<Answers, 'dir' | 'yes'>, files: Record<string, string> = {}): string {
    const dir = rails8();
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    const project = detect(dir);
    project.dockerfileInfo = inspectDockerfile(dir);
    return plan({ dir, yes: true, ...answers }, project)
      .notes.filter((n) => n.startsWith('bin/docker-entrypoint:'))
      .join('\n');
  }
  const WORKER = 'worker=bin/jobs';

  it.each([
    'bin/rails server',
    'bundle exec rails s',
    'bundle exec puma -C config/puma.rb',
    'bin/thrust bin/rails server',
  ])('process groups, web=%s: db:prepare never runs; the note names the line and both fixes', (web) => {
    const said = notesFor({ strategy: 'process-groups', processes: [`web=${web}`, WORKER] });
    expect(said).toContain(
      'bin/docker-entrypoint:4: runs db:prepare only when its arguments end in `./bin/rails server`; no process command reaches it spelled that way',
    );
    expect(said).toContain(
      'Fix: add `release: ./bin/rails db:prepare` to the Procfile or `release_command = "./bin/rails db:prepare"` under [deploy] in fly.toml',
    );
    expect(said).toContain('or spell the web command `./bin/rails server`');
  });

  it.each(['./bin/rails server', './bin/thrust ./bin/rails server'])(
    'process groups, web=%s: the gate opens, nothing to say',
    (web) => {
      expect(notesFor({ strategy: 'process-groups', processes: [`web=${web}`, WORKER] })).toBe('');
    },
  );

  it('a release command (Procfile release:) takes the place of the gate: nothing to say', () => {
    expect(
      notesFor(
        { strategy: 'process-groups' },
        { Procfile: 'web: bin/rails server\nworker: bin/jobs\nrelease: ./bin/rails db:prepare\n' },
      ),
    ).toBe('');
  });

  it.each(['bash', 'supervisord'] as const)(
    '%s extends the Dockerfile: behind the generated entrypoint the script only ever receives its path',
    (strategy) => {
      const said = notesFor({ strategy, processes: ['web=./bin/rails server', WORKER] });
      expect(said).toContain(
        'bin/docker-entrypoint:4: runs db:prepare only when its arguments end in `./bin/rails server`; behind the generated entrypoint it receives only ["/rails/entrypoint.sh"]',
      );
      expect(said).not.toContain('spell the web command');
    },
  );

  it('process groups with --dockerfile extend: the group command follows our entrypoint, so ./bin/rails server still opens the gate', () => {
    expect(
      notesFor({ strategy: 'process-groups', dockerfile: 'extend', processes: ['web=./bin/rails server', WORKER] }),
    ).toBe('');
    expect(
      notesFor({ strategy: 'process-groups', dockerfile: 'extend', processes: ['web=bin/rails server', WORKER] }),
    ).toMatch(
      /no process command reaches it spelled that way \(web: \["\/rails\/entrypoint\.sh","bin\/rails","server"\]/,
    );
  });
});
