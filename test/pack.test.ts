/**
 * The README's first five minutes, run as written: the quick start's first command in a fresh clone
 * (no dist/), the "Try it before it is published" block (npm pack, npx of the tarball in a new
 * directory), the tarball installed as a dependency, and `npm link`. None of it may print a warning.
 *
 * The "fresh clone" is a copy of every file git would check out (tracked, or new and not ignored),
 * without dist/, with node_modules linked from this checkout so `npm ci` (the registry) is not
 * needed. npm's cache and global prefix point into a temp directory.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT, cleanupTemps, tempDir } from './helpers.js';

afterAll(cleanupTemps);

const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
const tarballName = `create-fly-multiproc-${version}.tgz`;
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The first ```sh block after a heading of the README. */
function readmeBlock(heading: string): string[] {
  const at = readme.indexOf(`\n${heading}\n`);
  expect(at, `README heading ${heading}`).toBeGreaterThan(-1);
  const block = readme.slice(at).match(/```sh\n([\s\S]*?)```/);
  return block![1]!.split('\n').filter((l) => l.trim() !== '');
}

/** A command line without its trailing `# comment`. */
const command = (line: string) => line.replace(/\s+#.*$/, '').trim();

/** Lines that npm or the CLI print as warnings (npm notices list the tarball's files: not warnings). */
const warnings = (text: string) => text.split('\n').filter((l) => /warn|deprecat|error/i.test(l));

let base: string;
let clone: string;
let env: Record<string, string>;

beforeAll(() => {
  base = tempDir('cfm-pack-');
  // Named as `git clone` names it: the README's commands use the name.
  clone = path.join(base, 'create-fly-multiproc');
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
  for (const file of listed) {
    if (file.startsWith('test/') || file.startsWith('test-image/') || !existsSync(path.join(ROOT, file))) continue;
    mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    copyFileSync(path.join(ROOT, file), path.join(clone, file));
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
  env = {
    npm_config_cache: path.join(base, 'npm-cache'),
    npm_config_prefix: path.join(base, 'npm-global'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    NO_COLOR: '1',
    PATH: `${path.join(base, 'npm-global', 'bin')}:${process.env.PATH}`,
  };
});

const sh = (script: string, cwd: string) =>
  execa('bash', ['-euo', 'pipefail', '-c', script], { cwd, env, reject: false, timeout: 150_000 });

describe('the first five minutes, from the README', () => {
  it('quick start, first command, in a fresh clone without dist/: builds it and writes the example', async () => {
    const [first] = readmeBlock('## Quick start (this repository)');
    expect(command(first!)).toBe('npm ci && node bin/create-fly-multiproc.cjs example-app --yes');
    expect(existsSync(path.join(clone, 'dist'))).toBe(false);
    const run = await sh(command(first!).replace(/^npm ci && /, ''), clone);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readdirSync(path.join(clone, 'dist')).sort()).toEqual([
      'check.cjs',
      'check.cjs.LEGAL.txt',
      'dockerfile.cjs',
      'flytoml.cjs',
      'flytoml.cjs.LEGAL.txt',
      'index.cjs',
      'index.cjs.LEGAL.txt',
      'prompts.cjs',
    ]);
    expect(readdirSync(path.join(clone, 'example-app')).sort()).toEqual([
      '.dockerignore',
      'Dockerfile',
      'entrypoint.sh',
      'fly-multiproc.json',
      'fly.toml',
      'server.js',
    ]);
    expect(run.stderr).toBe(
      'create-fly-multiproc: building dist/ (first run from a clone; `npm run build` after changing src/)',
    );
  }, 60_000);

  it('"Try it before it is published": npm pack, then npx of the tarball in a new directory, without a warning', async () => {
    const lines = readmeBlock('## Try it before it is published').map(command);
    expect(lines).toEqual([
      'npm ci',
      'npm pack',
      'mkdir ../my-app && cd ../my-app',
      `npx --yes ../create-fly-multiproc/${tarballName} --yes`,
    ]);
    // npm ci is the one step left out: node_modules is linked in from this checkout.
    const run = await sh(lines.slice(1).join('\n'), clone);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(warnings(run.stdout), 'stdout').toEqual([]);
    expect(warnings(run.stderr), 'stderr').toEqual([]);
    // Only npm pack's notices (the file list) on stderr: nothing from npx or the CLI.
    expect(run.stderr.split('\n').filter((l) => l && !l.startsWith('npm notice'))).toEqual([]);
    expect(run.stdout).toContain('create    server.js');

    const myApp = path.join(base, 'my-app');
    // The built-in example, as Fly process groups (the default strategy).
    expect(readdirSync(myApp).sort()).toEqual([
      '.dockerignore',
      'Dockerfile',
      'entrypoint.sh',
      'fly-multiproc.json',
      'fly.toml',
      'server.js',
    ]);
    const tgz = path.join(clone, tarballName);

    // What the tarball holds: the build, the templates, the LICENSE; no sources or tests.
    const files = (await execa('tar', ['-tzf', tgz])).stdout.split('\n');
    for (const f of [
      'dist/index.cjs',
      'dist/prompts.cjs',
      'dist/check.cjs',
      'dist/dockerfile.cjs',
      'dist/flytoml.cjs',
      'bin/create-fly-multiproc.cjs',
      'templates/bash/entrypoint.sh.ejs',
      'templates/partials/go/build.ejs',
      'LICENSE',
      'README.md',
      'package.json',
    ]) {
      expect(files).toContain(`package/${f}`);
    }
    expect(files.filter((f) => /^package\/(src|test|scripts)\//.test(f))).toEqual([]);
    const license = (await execa('tar', ['-xzOf', tgz, 'package/LICENSE'])).stdout;
    expect(license).toBe(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8').trimEnd());
    expect(license).toMatch(/^MIT License/);
    // No install-time script: npm would list it as "not yet covered by allowScripts" on every install.
    const pkg = JSON.parse((await execa('tar', ['-xzOf', tgz, 'package/package.json'])).stdout);
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare'])
      expect(pkg.scripts?.[hook], hook).toBeUndefined();

    // The wizard's entry without --yes needs a terminal; --help is the no-TTY check of the same path.
    const help = await sh(`npx --yes ../create-fly-multiproc/${tarballName} --help`, myApp);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: create-fly-multiproc');
    expect(help.stderr).toBe('');

    // Installed as a dependency: no warning, and its bin runs.
    const dep = path.join(base, 'dep');
    mkdirSync(dep);
    const install = await sh(
      `echo '{"name":"dep","version":"1.0.0","private":true}' > package.json && npm install ${tgz}`,
      dep,
    );
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stderr).toBe('');
    expect(warnings(install.stdout)).toEqual([]);
    expect((await sh('./node_modules/.bin/create-fly-multiproc --version', dep)).stdout).toBe(version);
  }, 200_000);

  it("npm link puts the clone's command on PATH (global prefix in a temp dir)", async () => {
    expect(readme).toContain('with `npm link`');
    const link = await sh('npm link', clone);
    expect(link.exitCode, link.stderr).toBe(0);
    expect(link.stderr).toBe('');
    const where = tempDir('cfm-linked-');
    const run = await sh('create-fly-multiproc linked-app --yes --strategy supervisord', where);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(readdirSync(path.join(where, 'linked-app'))).toContain('supervisor.conf');
  }, 120_000);
});
