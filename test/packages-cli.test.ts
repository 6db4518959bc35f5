// --packages / --build-packages: one option-table entry each, handed to the runtime's Build; the
// Dockerfile installs them in the right stage, a re-run remembers them, a bad name changes nothing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTemps, hashTree, projectWith, runCli } from './helpers.js';

afterAll(cleanupTemps);

const NODE = {
  'package.json': '{"name":"x","version":"1.0.0","dependencies":{}}\n',
  'package-lock.json':
    '{"name":"x","lockfileVersion":3,"requires":true,"packages":{"":{"name":"x","version":"1.0.0"}}}\n',
};
const ARGS = [
  '--process',
  'web=node server.js',
  '--port',
  'web=8080',
  '--process',
  'worker=node worker.js',
  '--app',
  'pk',
];

/** The stage (index of its FROM) each apt-get install line of a Dockerfile is in, with its packages. */
function installs(dockerfile: string): { stage: number; packages: string[] }[] {
  let stage = -1;
  const out: { stage: number; packages: string[] }[] = [];
  for (const line of dockerfile.split('\n')) {
    if (/^FROM /.test(line)) stage++;
    const m = /apt-get install -y --no-install-recommends (.+?) \\?$/.exec(line);
    if (m) out.push({ stage, packages: m[1]!.trim().split(/\s+/) });
  }
  return out;
}

describe('--packages and --build-packages', () => {
  it('install in the final stage and the build stage, and are remembered', async () => {
    const dir = projectWith(NODE);
    const r = await runCli([
      dir,
      ...ARGS,
      '--packages',
      'libvips42,ffmpeg',
      '--packages',
      'imagemagick',
      '--build-packages',
      'libvips-dev',
      '--yes',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const found = installs(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'));
    const last = Math.max(...found.map((f) => f.stage));
    expect(found.filter((f) => f.stage === last).flatMap((f) => f.packages)).toEqual(
      expect.arrayContaining(['libvips42', 'ffmpeg', 'imagemagick']),
    );
    expect(found.filter((f) => f.stage < last).flatMap((f) => f.packages)).toContain('libvips-dev');
    expect(found.filter((f) => f.stage === last).flatMap((f) => f.packages)).not.toContain('libvips-dev');
    expect(r.stdout).toContain('--packages libvips42,ffmpeg,imagemagick --build-packages libvips-dev');
    const state = JSON.parse(readFileSync(path.join(dir, 'fly-multiproc.json'), 'utf8'));
    expect(state.answers.packages).toEqual(['libvips42,ffmpeg', 'imagemagick']);
    const before = hashTree(dir);
    expect((await runCli([dir, '--yes'])).exitCode).toBe(0);
    expect(hashTree(dir)).toBe(before);
  });

  it('a name apt-get would not take (or a shell word) is exit 2 with the flag, and nothing is written', async () => {
    const dir = projectWith(NODE);
    const before = hashTree(dir);
    const r = await runCli([dir, ...ARGS, '--packages', 'libpq5;rm -rf /', '--build-packages', 'Libssl-Dev', '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--packages "libpq5;rm": not a Debian package name');
    expect(r.stderr).toContain('--build-packages "Libssl-Dev": not a Debian package name');
    expect(hashTree(dir)).toBe(before);
  });
});
