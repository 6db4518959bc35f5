import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT, cleanupTemps, tempDir } from './helpers.js';

afterAll(cleanupTemps);

describe('the packed tarball', () => {
  it('runs through npx in an empty directory, as `npx create-fly-multiproc` would', async () => {
    const out = tempDir('cfm-pack-');
    // dist/ is built once by test/global-setup.ts; skip the prepare script so no other test sees it rebuilt.
    const pack = await execa('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', out], { cwd: ROOT });
    const tarball = path.join(out, pack.stdout.trim().split('\n').pop()!);
    expect(existsSync(tarball)).toBe(true);

    const listing = await execa('tar', ['-tzf', tarball]);
    const files = listing.stdout.split('\n');
    expect(files).toContain('package/dist/index.cjs');
    expect(files).toContain('package/bin/create-fly-multiproc.cjs');
    expect(files).toContain('package/templates/bash/entrypoint.sh.ejs');
    expect(files).toContain('package/templates/partials/go/build.ejs');
    expect(files).toContain('package/templates/dockerignore.ejs');
    expect(files.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);

    // An empty directory with only the tarball, run as the README says: npx ./create-fly-multiproc-*.tgz
    const empty = tempDir('cfm-npx-');
    const local = `./${path.basename(tarball)}`;
    copyFileSync(tarball, path.join(empty, local));
    const env = { npm_config_cache: path.join(out, 'cache'), npm_config_update_notifier: 'false', NO_COLOR: '1' };
    const help = await execa('npx', ['--yes', local, '--help'], { cwd: empty, env, timeout: 120_000 });
    expect(help.stdout).toContain('Usage: create-fly-multiproc');

    const run = await execa('npx', ['--yes', local, 'my-app', '--yes', '--strategy', 'bash'], { cwd: empty, env, timeout: 120_000 });
    expect(run.stdout).toContain('create    entrypoint.sh');
    expect(readdirSync(path.join(empty, 'my-app')).sort()).toEqual(['.dockerignore', 'Dockerfile', 'entrypoint.sh', 'fly-multiproc.json', 'fly.toml', 'server.js']);
  }, 180_000);
});
