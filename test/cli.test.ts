import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { parse } from 'smol-toml';
import { STRATEGY_NAMES } from '../src/types.js';
import { BIN, ROOT, cleanupTemps, hashTree, runCli, tempDir } from './helpers.js';

afterAll(cleanupTemps);

const FILES = {
  'process-groups': ['Dockerfile', 'entrypoint.sh', 'fly.toml', 'server.js'],
  bash: ['Dockerfile', 'entrypoint.sh', 'fly.toml', 'server.js'],
  supervisord: ['Dockerfile', 'entrypoint.sh', 'fly.toml', 'server.js', 'supervisor-fail-fast.sh', 'supervisor.conf'],
  procfile: ['Dockerfile', 'Procfile.fly', 'entrypoint.sh', 'fly.toml', 'server.js'],
  // One Fly app per process: the example's web and bar_web.
  apps: ['Dockerfile', 'entrypoint.sh', 'fly.bar_web.toml', 'fly.web.toml', 'server.js'],
};
/** The file that configures the public app, and its app name, for the example in directory `app`. */
const PUBLIC: Record<keyof typeof FILES, [string, string]> = {
  'process-groups': ['fly.toml', 'app'],
  bash: ['fly.toml', 'app'],
  supervisord: ['fly.toml', 'app'],
  procfile: ['fly.toml', 'app'],
  apps: ['fly.web.toml', 'app-web'],
};

describe('the built CLI', () => {
  it('the bundle is plain CommonJS: no import() left (bin/ runs it through vm.Script for the code cache)', () => {
    const bundle = readFileSync(path.join(ROOT, 'dist', 'index.cjs'), 'utf8');
    expect(bundle).not.toMatch(/\bimport\(/);
    expect(bundle).toContain('./prompts.cjs');
  });

  it('gives the same output with and without the code cache', async () => {
    const dir = tempDir();
    const args = [path.join(dir, 'app'), '--yes', '--dry-run', '--strategy', 'procfile'];
    const cached = await runCli(args);
    const plain = await runCli(args, { env: { CREATE_FLY_MULTIPROC_NO_CACHE: '1' } });
    expect(cached.exitCode).toBe(0);
    expect(cached.stdout).toBe(plain.stdout);
  });

  it('--help shows usage with examples, exit 0', async () => {
    const r = await runCli(['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: create-fly-multiproc [options] [dir]');
    expect(r.stdout).toContain('--process <name=command>');
    expect(r.stdout).toContain('Examples:');
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it.each(STRATEGY_NAMES)('--yes --strategy %s scaffolds the example into an empty directory', async (strategy) => {
    const dir = tempDir();
    const r = await runCli([path.join(dir, 'app'), '--yes', '--strategy', strategy]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const app = path.join(dir, 'app');
    expect(FILES[strategy].filter((f) => existsSync(path.join(app, f)))).toEqual(FILES[strategy]);
    expect(statSync(path.join(app, 'entrypoint.sh')).mode & 0o777).toBe(0o755);
    const [config, appName] = PUBLIC[strategy];
    expect(r.stdout).toContain(`create    ${config}`);
    expect(r.stdout).toContain('fly deploy');
    const toml = parse(readFileSync(path.join(app, config), 'utf8')) as Record<string, any>;
    expect(toml.app).toBe(appName);
    expect(toml.http_service.internal_port).toBe(8080);
  });

  it('a second identical run reports every file identical and changes nothing', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'package.json'), '{"name":"x","private":true}\n');
    const args = [
      dir,
      '--strategy',
      'supervisord',
      '--process',
      'web=node web.js',
      '--port',
      'web=8080',
      '--process',
      'jobs=node jobs.js',
      '--app',
      'same',
    ];
    expect((await runCli(args)).exitCode).toBe(0);
    const before = hashTree(dir);
    const r = await runCli(args);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/identical fly\.toml/);
    expect(r.stdout).not.toMatch(/^  (create|overwrite) /m);
    expect(hashTree(dir)).toBe(before);
  });

  it('the printed equivalent command line reproduces the same files', async () => {
    const first = tempDir();
    const second = tempDir();
    const args = [
      'app',
      '--strategy',
      'supervisord',
      '--process',
      `web=sh -c 'exec bin/web --port "$PORT"'`,
      '--port',
      'web=8080',
      '--process',
      'jobs=bin/jobs 100%',
      '--http',
      'web',
      '--region',
      'ams',
      '--kill-signal',
      'SIGTERM',
      '--kill-timeout',
      '12',
      '--base-image',
      'debian:bookworm-slim',
      '--runtime',
      'generic',
    ];
    const r = await runCli([...args, '--json'], { cwd: first });
    expect(r.exitCode).toBe(0);
    const command: string = JSON.parse(r.stdout).command;
    expect(command.startsWith('npx create-fly-multiproc app ')).toBe(true);
    // Run it through a real shell, as a user would paste it.
    const replay = await execa(
      'bash',
      ['-c', command.replace(/^npx create-fly-multiproc/, `node ${JSON.stringify(BIN)}`)],
      { cwd: second, reject: false, env: { NO_COLOR: '1' } },
    );
    expect(replay.exitCode).toBe(0);
    expect(hashTree(path.join(second, 'app'))).toBe(hashTree(path.join(first, 'app')));
  });

  it('--dry-run writes nothing and shows the content', async () => {
    const dir = tempDir();
    const before = hashTree(dir);
    const r = await runCli([dir, '--yes', '--dry-run', '--strategy', 'bash']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('--- create: entrypoint.sh (executable)');
    expect(r.stdout).toContain('start bar_web -- node server.js -bar');
    expect(r.stdout).toContain('dry run: nothing written');
    expect(hashTree(dir)).toBe(before);
  });

  it('--json prints a parseable plan with each file and its action', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'fly.toml'), 'app = "mine"\n');
    const r = await runCli([
      dir,
      '--json',
      '--skip',
      '--strategy',
      'bash',
      '--process',
      'web=bin/web',
      '--port',
      'web=3000',
      '--process',
      'jobs=bin/jobs $QUEUE',
    ]);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.plan.strategy).toBe('bash');
    expect(report.plan.processes[1]).toMatchObject({ name: 'jobs', argv: ['sh', '-c', 'exec bin/jobs $QUEUE'] });
    expect(report.files.map((f: any) => [f.path, f.action])).toEqual([
      ['Dockerfile', 'create'],
      ['.dockerignore', 'create'],
      ['fly.toml', 'skip'],
      ['entrypoint.sh', 'create'],
      ['fly-multiproc.json', 'create'],
    ]);
    expect(readFileSync(path.join(dir, 'fly.toml'), 'utf8')).toBe('app = "mine"\n');
  });

  it('an existing file that differs stops the run before anything is written', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'entrypoint.sh'), '#!/bin/sh\nexec "$@"\n');
    const before = hashTree(dir);
    const args = [dir, '--strategy', 'bash', '--process', 'a=x', '--process', 'b=y'];
    const r = await runCli(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('entrypoint.sh exists and differs from what would be generated');
    expect(r.stderr).toContain('pass --force to overwrite');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(hashTree(dir)).toBe(before);

    const forced = await runCli([...args, '--force']);
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout).toMatch(/overwrite entrypoint\.sh/);
    expect(readFileSync(path.join(dir, 'entrypoint.sh'), 'utf8')).toMatch(/^#!\/usr\/bin\/env bash/);
  });

  it('a Dockerfile of your own is never replaced by --force: a base without a shell stops the run (file:line); --dockerfile replace replaces it', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY app /app\n');
    const before = hashTree(dir);
    const args = [dir, '--strategy', 'bash', '--process', 'a=x', '--process', 'b=y'];
    for (const extra of [[], ['--force']]) {
      const r = await runCli([...args, ...extra]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(
        'Dockerfile:1: the final stage runs on scratch, which has no shell or package manager',
      );
      expect(r.stderr).toContain('--dockerfile replace');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(hashTree(dir)).toBe(before);
    }
    const replaced = await runCli([...args, '--dockerfile', 'replace']);
    expect(replaced.exitCode).toBe(0);
    expect(replaced.stdout).toMatch(/overwrite Dockerfile/);
    expect(replaced.stdout).toContain('Dockerfile: replace');
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toMatch(/^# syntax=docker\/dockerfile:1/);
  });

  it('bad input: every problem at once, exit 2, nothing written, no stack trace', async () => {
    const dir = tempDir();
    const before = hashTree(dir);
    const r = await runCli([
      dir,
      '--strategy',
      'bash',
      '--process',
      'Web=x',
      '--process',
      'ok=y',
      '--port',
      'ok=70000',
      '--kill-timeout',
      '0',
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^3 problems:/);
    expect(r.stderr).toContain('invalid name "Web"');
    expect(r.stderr).toContain('--port "ok=70000"');
    expect(r.stderr).toContain('--kill-timeout "0"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(hashTree(dir)).toBe(before);
  });

  it('unknown options and bad choices exit 2', async () => {
    const r = await runCli(['--nope']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("unknown option '--nope'");
    const s = await runCli(['--strategy', 'docker-compose']);
    expect(s.exitCode).toBe(2);
    expect(s.stderr).toContain(
      '--strategy "docker-compose": must be one of process-groups, bash, supervisord, procfile, apps',
    );
    // Every problem at once: commander's .choices() stopped at the first.
    const two = await runCli([tempDir(), '--yes', '--strategy', 'nope', '--kill-timeout', '0']);
    expect(two.exitCode).toBe(2);
    expect(two.stderr).toContain('2 problems:');
    expect(two.stderr).toContain('--strategy "nope": must be one of');
    expect(two.stderr).toContain('--kill-timeout "0": must be a whole number of seconds from 1 to 300');
    const both = await runCli([tempDir(), '--yes', '--force', '--skip']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('--force and --skip contradict each other');
  });

  it('a target that is a file, or not writable, is refused', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'file');
    writeFileSync(file, 'x');
    const r = await runCli([file, '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('is a file, not a directory');

    if (process.getuid?.() === 0) return; // root can write anywhere: the permission check cannot be observed
    const locked = path.join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const w = await runCli([path.join(locked, 'app'), '--yes']);
    expect(w.exitCode).toBe(2);
    expect(w.stderr).toContain('is not writable');
  });

  it('a non-empty directory without --process explains what to pass', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'main.go'), 'package main\n');
    const r = await runCli([dir, '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no processes given: pass --process NAME=COMMAND');
    expect(existsSync(path.join(dir, 'fly.toml'))).toBe(false);
  });
});
