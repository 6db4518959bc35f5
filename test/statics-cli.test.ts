// --statics end to end: the built CLI writes fly.toml [[statics]], remembers them, refuses bad
// values with nothing written, keeps the user's own entries, and the result passes check --strict.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../src/check/index.js';
import { cleanupTemps, hashTree, mockPrompt, projectWith, runCli } from './helpers.js';
import { wizard } from '../src/wizard.js';
import { detect } from '../src/detect.js';
import { plan } from '../src/plan.js';

afterAll(cleanupTemps);

const PROCESSES = ['--process', 'web=node server.js', '--port', 'web=8080', '--process', 'worker=node worker.js'];
const statics = (dir: string, file = 'fly.toml') =>
  (parse(readFileSync(path.join(dir, file), 'utf8')) as { statics?: unknown[] }).statics;

describe('--statics', () => {
  it('writes [[statics]] (a relative path inside /app), remembers it, and check --strict finds nothing', async () => {
    const dir = projectWith({ 'server.js': '', 'worker.js': '', 'public/index.html': '<p>hi</p>\n' });
    const r = await runCli([dir, ...PROCESSES, '--app', 'shop', '--statics', '/static=public', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("Statics (served by Fly's proxy from the image):");
    expect(r.stdout).toContain('--statics /static=/app/public');
    expect(statics(dir)).toEqual([{ guest_path: '/app/public', url_prefix: '/static' }]);
    expect(JSON.parse(readFileSync(path.join(dir, 'fly-multiproc.json'), 'utf8')).answers.statics).toEqual([
      '/static=public',
    ]);
    const before = hashTree(dir);
    const again = await runCli([dir, '--yes']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(hashTree(dir)).toBe(before);
    const report = await check(dir, { shellcheck: false });
    expect(report.findings.filter((f) => f.severity !== 'advice')).toEqual([]);
  });

  it('check reports a guest_path the image never gets', async () => {
    const dir = projectWith({ 'server.js': '', 'worker.js': '' });
    const r = await runCli([dir, ...PROCESSES, '--app', 'shop', '--statics', '/static=/web/static', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('/web/static: outside /app, where the project is copied');
    const report = await check(dir, { shellcheck: false });
    expect(report.findings.map((f) => f.rule)).toContain('consistency/statics-missing');
  });

  it('bad values: exit 2, every problem named with the flag, nothing written', async () => {
    const dir = projectWith({ 'server.js': '', 'worker.js': '' });
    const before = hashTree(dir);
    const r = await runCli([
      dir,
      ...PROCESSES,
      '--app',
      'shop',
      '--statics',
      '/static',
      '--statics',
      '/a=/app/a',
      '--statics',
      '/a/b=/app/b',
      '--yes',
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--statics "/static": "/static" is not URL_PREFIX=PATH');
    expect(r.stderr).toContain('--statics: url_prefix "/a" and "/a/b" overlap');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
    expect(hashTree(dir)).toBe(before);
  });

  it("keeps the user's own [[statics]] and adds ours", async () => {
    const theirs =
      'app = "shop"\nprimary_region = "ams"\n\n[[statics]]\n  url_prefix = "/images"\n  tigris_bucket = "shop-images"\n';
    const dir = projectWith({ 'server.js': '', 'worker.js': '', 'fly.toml': theirs, 'public/a.css': '' });
    const r = await runCli([dir, ...PROCESSES, '--statics', '/static=public', '--yes', '--force']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(statics(dir)).toEqual([
      { url_prefix: '/images', tigris_bucket: 'shop-images' },
      { guest_path: '/app/public', url_prefix: '/static' },
    ]);
    expect(readFileSync(path.join(dir, 'fly.toml'), 'utf8')).toContain('tigris_bucket = "shop-images"');
  });

  it('apps: only the public app serves the statics', async () => {
    const dir = projectWith({ 'server.js': '', 'worker.js': '', 'public/a.css': '' });
    const r = await runCli([
      dir,
      ...PROCESSES,
      '--strategy',
      'apps',
      '--app',
      'shop',
      '--statics',
      '/static=public',
      '--yes',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(statics(dir, 'fly.web.toml')).toEqual([{ guest_path: '/app/public', url_prefix: '/static' }]);
    expect(statics(dir, 'fly.worker.toml')).toBeUndefined();
  });
});

describe('the wizard offers statics for an obvious directory', () => {
  const answers = {
    name: ['web', 'worker'],
    command: ['node server.js', 'node worker.js'],
    port: ['8080', ''],
    more: [true, false],
    separate: true,
    strategy: 'process-groups',
    app: 'shop',
    region: '',
  };

  it('public/ at / when a process is public; the answer is a relative path', async () => {
    const dir = projectWith({ 'public/index.html': '' });
    const project = detect(dir);
    const io = mockPrompt({ ...answers, statics: true });
    const result = await wizard({ dir }, project, [], io);
    expect(io.unused()).toEqual([]);
    expect(result.statics).toEqual(['/=public']);
    expect(plan(result, project).statics).toEqual([{ urlPrefix: '/', guestPath: '/app/public' }]);
  });

  it('not asked without such a directory, nor when no process is public', async () => {
    const none = projectWith({ 'src/x.js': '' });
    const io = mockPrompt(answers);
    expect((await wizard({ dir: none }, detect(none), [], io)).statics).toBeUndefined();
    expect(io.asked).not.toContain('statics');
    const dir = projectWith({ 'static/app.css': '' });
    const workers = mockPrompt({ ...answers, port: ['', ''], separate: true });
    await wizard({ dir }, detect(dir), [], workers);
    expect(workers.asked).not.toContain('statics');
  });
});
