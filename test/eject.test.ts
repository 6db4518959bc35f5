import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detect } from '../src/detect.js';
import { eject, selectTemplates } from '../src/eject.js';
import { UsageError } from '../src/errors.js';
import { plan as makePlan } from '../src/plan.js';
import { BUILTIN_TEMPLATES, listTemplates, render } from '../src/render.js';
import { STRATEGY_NAMES } from '../src/types.js';
import { BASE_PROJECT, CASES, renderCase } from './cases.js';
import { cleanupTemps, hashTree, runCli, tempDir } from './helpers.js';

afterAll(cleanupTemps);

const ALL = listTemplates(BUILTIN_TEMPLATES);

describe('selectTemplates', () => {
  it('no names: every built-in template', () => {
    expect(selectTemplates([])).toEqual(ALL);
    expect(ALL).toContain('Dockerfile.ejs');
    expect(ALL).toContain('partials/app.ejs');
    expect(ALL).toContain('supervisord/supervisor.conf.ejs');
  });

  it('by path (.ejs optional), by directory, by the file a single template writes', () => {
    expect(selectTemplates(['fly.toml.ejs', 'partials/app'])).toEqual(['fly.toml.ejs', 'partials/app.ejs']);
    expect(selectTemplates(['supervisord/'])).toEqual([
      'supervisord/entrypoint.sh.ejs',
      'supervisord/partials/final.ejs',
      'supervisord/supervisor-fail-fast.sh.ejs',
      'supervisord/supervisor.conf.ejs',
    ]);
    expect(selectTemplates(['supervisor.conf', 'Dockerfile'])).toEqual([
      'Dockerfile.ejs',
      'supervisord/supervisor.conf.ejs',
    ]);
  });

  it('unknown and ambiguous names: a UsageError listing every problem and the choices', () => {
    let error: unknown;
    try {
      selectTemplates(['nope', 'entrypoint.sh', 'fly.toml']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).problems).toEqual([
      'eject nope: no built-in template of that name',
      'eject entrypoint.sh: several templates write entrypoint.sh: name one of bash/entrypoint.sh.ejs, process-groups/entrypoint.sh.ejs, procfile/entrypoint.sh.ejs, supervisord/entrypoint.sh.ejs',
    ]);
    expect((error as UsageError).hint).toContain('partials/app.ejs');
  });
});

describe('eject', () => {
  it('copies the built-in templates byte for byte, and never overwrites', () => {
    const dir = path.join(tempDir(), 'templates');
    const first = eject([], dir);
    expect(first.map((f) => f.action)).toEqual(ALL.map(() => 'create'));
    for (const t of ALL)
      expect(readFileSync(path.join(dir, t), 'utf8'), t).toBe(readFileSync(path.join(BUILTIN_TEMPLATES, t), 'utf8'));

    const mine = path.join(dir, 'fly.toml.ejs');
    writeFileSync(mine, '# mine\n');
    rmSync(path.join(dir, 'Dockerfile.ejs'));
    const second = eject([], dir);
    expect(Object.fromEntries(second.map((f) => [f.template, f.action]))).toMatchObject({
      'fly.toml.ejs': 'kept',
      'Dockerfile.ejs': 'create',
      'partials/app.ejs': 'identical',
    });
    expect(readFileSync(mine, 'utf8')).toBe('# mine\n');
  });

  it('an ejected directory renders exactly what the built-ins render, for every case', () => {
    const dir = path.join(tempDir(), 'templates');
    eject([], dir);
    for (const name of Object.keys(CASES)) {
      const c = CASES[name]!;
      const project = { ...BASE_PROJECT, ...c.project };
      const files = render(makePlan({ dir: project.dir, ...c.answers }, project), project, [dir]);
      expect(
        files.every((f) => f.custom),
        name,
      ).toBe(true); // every template came from the ejected copy
      expect(
        files.map(({ path: p, content, executable }) => ({ path: p, content, executable })),
        name,
      ).toEqual(renderCase(name).files.map(({ path: p, content, executable }) => ({ path: p, content, executable })));
    }
  });
});

describe('create-fly-multiproc eject (the built CLI)', () => {
  it.each(STRATEGY_NAMES)('eject, then generate with --templates: the same files as without (%s)', async (strategy) => {
    const args = [
      '--strategy',
      strategy,
      '--process',
      'web=node web.js',
      '--port',
      'web=8080',
      '--process',
      'jobs=node jobs.js',
      '--app',
      'same-app',
      '--kill-timeout',
      '10',
    ];
    const ejected = tempDir();
    const e = await runCli(['eject'], { cwd: ejected });
    expect(e.stderr).toBe('');
    expect(e.exitCode).toBe(0);
    expect(e.stdout).toMatch(/create +\.fly-multiproc\/templates\/partials\/app\.ejs/);
    expect(e.stdout).toContain('--templates .fly-multiproc/templates');
    const r = await runCli(['.', ...args, '--templates', '.fly-multiproc/templates'], { cwd: ejected });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);

    const plain = tempDir();
    // The files the generator renders (a remembered-answers file may differ: it records --templates).
    const project = detect(plain);
    const answers = {
      strategy,
      processes: ['web=node web.js', 'jobs=node jobs.js'],
      ports: ['web=8080'],
      app: 'same-app',
      killTimeout: '10',
    };
    const generated = render(makePlan({ dir: plain, ...answers }, project), project).map((f) => f.path);
    expect(generated).toContain('entrypoint.sh');
    expect((await runCli([plain, ...args])).exitCode).toBe(0);
    for (const file of generated) {
      expect(readFileSync(path.join(ejected, file), 'utf8'), file).toBe(readFileSync(path.join(plain, file), 'utf8'));
      expect(statSync(path.join(ejected, file)).mode, file).toBe(statSync(path.join(plain, file)).mode);
    }
  });

  it('named templates, --to, and a second run that keeps what is there', async () => {
    const dir = tempDir();
    const r = await runCli(['eject', 'fly.toml', 'partials', '--to', 'ops/tpl'], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('create    ops/tpl/fly.toml.ejs');
    expect(r.stdout).toContain('create    ops/tpl/partials/app.ejs');
    expect(r.stdout).toContain('--templates ops/tpl');
    expect(readdirSync(path.join(dir, 'ops', 'tpl')).sort()).toEqual(['fly.toml.ejs', 'partials']);
    writeFileSync(path.join(dir, 'ops', 'tpl', 'fly.toml.ejs'), '# edited\n');
    const before = hashTree(dir);
    const again = await runCli(['eject', 'fly.toml', 'partials', '--to', 'ops/tpl'], { cwd: dir });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('kept      ops/tpl/fly.toml.ejs  (exists and differs: left alone)');
    expect(again.stdout).toContain('identical ops/tpl/partials/app.ejs');
    expect(again.stdout).toContain('Nothing copied');
    expect(hashTree(dir)).toBe(before);
  });

  it('an unknown name or a --to that is a file: exit 2, nothing written', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'afile'), 'x');
    const before = hashTree(dir);
    const unknown = await runCli(['eject', 'Dockerfile', 'nginx.conf'], { cwd: dir });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('eject nginx.conf: no built-in template of that name');
    const toFile = await runCli(['eject', '--to', 'afile'], { cwd: dir });
    expect(toFile.exitCode).toBe(2);
    expect(toFile.stderr).toContain('eject --to afile:');
    expect(hashTree(dir)).toBe(before);
  });

  it('routing: eject --help exits 0, a bad eject option exits 2, [dir] still scaffolds (./eject too)', async () => {
    const help = await runCli(['eject', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: create-fly-multiproc eject [options] [names...]');
    const top = await runCli(['--help']);
    expect(top.stdout).toContain('Usage: create-fly-multiproc [options] [dir]');
    expect(top.stdout).toMatch(/eject \[options\] \[names\.\.\.\]/);
    expect(top.stdout).toContain('--templates <dir>');
    const bad = await runCli(['eject', '--bogus']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("unknown option '--bogus'");

    const dir = tempDir();
    const r = await runCli(['./eject', '--yes'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(existsSync(path.join(dir, 'eject', 'fly.toml'))).toBe(true);
    expect(existsSync(path.join(dir, '.fly-multiproc'))).toBe(false);
    const plainDir = await runCli(['my-app', '--yes'], { cwd: dir });
    expect(plainDir.exitCode).toBe(0);
    expect(existsSync(path.join(dir, 'my-app', 'fly.toml'))).toBe(true);
  });
});
