/**
 * Unit checks of src/dockerfile: variable expansion, base families, the ENTRYPOINT verdicts on the
 * forms the corpus does not cover, the owned-block string functions, and .dockerignore matching.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { excludedFiles } from '../src/dockerfile/dockerignore.js';
import { inspectDockerfile } from '../src/dockerfile/index.js';
import { detect } from '../src/detect.js';
import { plan } from '../src/plan.js';
import { checkEntrypoint, expand, familyOfImage, readDockerfile } from '../src/dockerfile/parse.js';
import { applyBlocks, findBlocks, withoutBlocks } from '../src/dockerfile/owned.js';
import { cleanupTemps, hashTree, projectWith, ROOT, runCli } from './helpers.js';

afterAll(cleanupTemps);

describe('expand: ARG and ENV values as the Dockerfile frontend substitutes them', () => {
  const vars = new Map([
    ['V', '3.3'],
    ['EMPTY', ''],
  ]);
  it.each([
    ['ruby:$V-slim', 'ruby:3.3-slim'],
    ['ruby:${V}-slim', 'ruby:3.3-slim'],
    ['${MISSING:-debian}:12', 'debian:12'],
    ['${EMPTY:-x}', 'x'],
    ['${EMPTY-x}', ''],
    ['${V:+set}', 'set'],
    ['\\$V', '$V'],
  ])('%s -> %s', (input, output) => expect(expand(input, vars)).toBe(output));
  it('an unknown variable makes the value unknown', () => expect(expand('node:$NODE-slim', vars)).toBeUndefined());
});

describe('familyOfImage', () => {
  it.each([
    ['debian:bookworm-slim', 'debian'],
    ['docker.io/library/ruby:3.4.1-slim', 'debian'],
    ['node:22', 'debian'],
    ['ubuntu', 'debian'],
    ['hexpm/elixir:1.16.1-erlang-26.2.2-debian-bullseye-20240130-slim', 'debian'],
    ['node:20-alpine3.19', 'alpine'],
    ['alpine', 'alpine'],
    ['golang:1.24.5-alpine', 'alpine'],
    ['scratch', 'none'],
    ['gcr.io/distroless/nodejs22-debian12', 'none'],
    ['registry.example.com/team/base:1.2', undefined],
  ])('%s is %s', (image, family) => expect(familyOfImage(image)).toBe(family));
});

describe('checkEntrypoint on forms beyond the corpus', () => {
  const verdict = (dockerfile: string, files: Record<string, string> = {}) =>
    checkEntrypoint(readDockerfile(dockerfile), 'Dockerfile', (rel) => files[rel]);
  it('tini, dumb-init, an ENTRYPOINT ending in --, sh -c with "$@" pass', () => {
    expect(verdict('FROM debian:12\nENTRYPOINT ["/usr/bin/tini", "--"]\n').verdict).toBe('passes');
    expect(verdict('FROM debian:12\nENTRYPOINT ["dumb-init"]\n').verdict).toBe('passes');
    expect(verdict('FROM debian:12\nENTRYPOINT ["flyctl", "mcp", "wrap", "--"]\n').verdict).toBe('passes');
    expect(verdict('FROM debian:12\nENTRYPOINT ["sh", "-c", "setup && exec \\"$@\\"", "--"]\n').verdict).toBe('passes');
  });
  it('sh -c without "$@" fails, with file:line', () => {
    const r = verdict('FROM debian:12\n\nENTRYPOINT ["sh", "-c", "exec server"]\n');
    expect(r.verdict).toBe('fails');
    expect(r.message).toMatch(/^Dockerfile:3: /);
  });
  it('an ENTRYPOINT set in a parent stage applies; one in the final stage resets an inherited CMD', () => {
    const facts = readDockerfile(
      'FROM debian:12 AS base\nENTRYPOINT ["tini", "--"]\nCMD ["a"]\nFROM base\nENTRYPOINT ["x"]\n',
    );
    expect(facts.entrypoint?.argv).toEqual(['x']);
    expect(facts.cmd).toBeUndefined();
    const inherited = readDockerfile(
      'FROM debian:12 AS base\nUSER app\nWORKDIR /srv\nENTRYPOINT ["tini", "--"]\nFROM base\nWORKDIR app\n',
    );
    expect(inherited.entrypoint?.argv).toEqual(['tini', '--']);
    expect(inherited.user?.raw).toBe('app');
    expect(inherited.workdir).toBe('/srv/app');
  });
  it('WORKDIR from a build argument without a value is unknown, and the block then finds entrypoint.sh through a shell', () => {
    const facts = readDockerfile('FROM debian:12\nARG APP\nWORKDIR $APP\n');
    expect(facts.workdir).toBeUndefined();
  });
});

describe('what cannot be extended is an error, never a silent replacement', () => {
  it('an escape directive other than \\ (the block continues lines with \\)', () => {
    const dir = projectWith({ Dockerfile: '# escape=`\nFROM debian:12\nRUN echo a `\n  b\n' });
    const project = { ...detect(dir), dockerfileInfo: inspectDockerfile(dir) };
    expect(() => plan({ dir, strategy: 'bash', processes: ['a=x', 'b=y'], yes: true }, project)).toThrow(
      /Dockerfile: its escape directive \(# escape=`\)/,
    );
  });
});

describe('owned blocks', () => {
  const blocks = { final: '# >>> create-fly-multiproc final stage (x)\nRUN true\n# <<< create-fly-multiproc' };
  it('apply, find and remove round-trip; CRLF and a missing final newline are kept', () => {
    for (const text of ['FROM a\nRUN b\n', 'FROM a\r\nRUN b\r\n', 'FROM a\nRUN b', 'FROM a\nRUN b\n\n']) {
      const applied = applyBlocks(text, blocks, 0);
      expect(findBlocks(applied).regions.map((r) => r.kind)).toEqual(['final']);
      expect(withoutBlocks(applied)).toBe(text.endsWith('\n') ? text : `${text}\n`);
      if (text.includes('\r\n')) expect(applied.replace(/\r\n/g, '')).not.toContain('\n');
      // Applying again changes nothing; replacing the block keeps the lines around it.
      expect(applyBlocks(applied, blocks, 0)).toBe(applied);
      const eol = text.includes('\r\n') ? '\r\n' : '\n';
      const next = applyBlocks(`${applied}RUN mine${eol}`, { final: blocks.final.replace('RUN true', 'RUN false') }, 0);
      expect(next).toContain('RUN false');
      expect(next.endsWith(`RUN mine${eol}`)).toBe(true);
    }
  });
  it('a stages block goes before the line given, and is removed again when no longer wanted', () => {
    const text = 'FROM a AS build\nRUN x\n\n# final\nFROM b\n';
    const withStages = applyBlocks(
      text,
      {
        stages: '# >>> create-fly-multiproc build stages\nFROM c AS d\n# <<< create-fly-multiproc',
        final: blocks.final,
      },
      3,
    );
    expect(withStages.split('\n').slice(3, 7)).toEqual([
      '# >>> create-fly-multiproc build stages',
      'FROM c AS d',
      '# <<< create-fly-multiproc',
      '',
    ]);
    expect(applyBlocks(withStages, { final: blocks.final }, 3)).toBe(applyBlocks(text, { final: blocks.final }, 3));
  });
  it('unpaired markers are reported with their line', () => {
    expect(findBlocks('FROM a\n# >>> create-fly-multiproc final stage\nRUN x\n').problems).toEqual([
      'Dockerfile:2: a create-fly-multiproc block starts here but its end marker (# <<< create-fly-multiproc) is gone',
    ]);
    expect(findBlocks('FROM a\n# <<< create-fly-multiproc\n').problems[0]).toMatch(/^Dockerfile:2: an end marker/);
  });
});

describe('.dockerignore: the files the block copies must be in the build context', () => {
  const GENERATED = ['entrypoint.sh', 'supervisor.conf', 'supervisor-fail-fast.sh', 'Procfile.fly'];
  const dir = path.join(ROOT, 'test', 'corpus', 'dockerignore');
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    files: Record<string, { excluded: string[] }>;
  };
  it.each(Object.keys(index.files))('real file %s', (name) => {
    expect(excludedFiles(readFileSync(path.join(dir, name), 'utf8'), GENERATED)).toEqual(index.files[name]!.excluded);
  });
  it('Docker pattern rules: last match wins, directories, **, a leading /', () => {
    expect(excludedFiles('*\n!Dockerfile\n!entrypoint.sh\n', GENERATED)).toEqual([
      'supervisor.conf',
      'supervisor-fail-fast.sh',
      'Procfile.fly',
    ]);
    expect(excludedFiles('*.sh\n', GENERATED)).toEqual(['entrypoint.sh', 'supervisor-fail-fast.sh']);
    expect(excludedFiles('/*.conf\n', GENERATED)).toEqual(['supervisor.conf']);
    expect(excludedFiles('**/Procfile*\n', GENERATED)).toEqual(['Procfile.fly']);
    expect(excludedFiles('conf\n', ['conf/nginx.conf', 'confx'])).toEqual(['conf/nginx.conf']);
    expect(excludedFiles('# entrypoint.sh\n', GENERATED)).toEqual([]);
  });
  it('the built CLI stops (exit 2, nothing written) when .dockerignore would leave a copied file out', async () => {
    const dir2 = projectWith({
      Dockerfile: readFileSync(path.join(ROOT, 'test/corpus/dockerfiles/django-gunicorn/Dockerfile'), 'utf8'),
      '.dockerignore': '*\n!requirements.txt\n!gunicorn_app\n',
    });
    const before = hashTree(dir2);
    const r = await runCli([
      dir2,
      '--strategy',
      'bash',
      '--process',
      'web=gunicorn app',
      '--process',
      'w=celery',
      '--yes',
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('.dockerignore leaves entrypoint.sh out of the build context');
    expect(r.stderr).toContain('add !entrypoint.sh at the end of .dockerignore');
    expect(hashTree(dir2)).toBe(before);
    writeFileSync(path.join(dir2, '.dockerignore'), '*\n!requirements.txt\n!gunicorn_app\n!entrypoint.sh\n');
    expect(
      (await runCli([dir2, '--strategy', 'bash', '--process', 'web=gunicorn app', '--process', 'w=celery', '--yes']))
        .exitCode,
    ).toBe(0);
  });
});

describe('the project has an entrypoint.sh of its own', () => {
  const corpus = (file: string) =>
    readFileSync(path.join(ROOT, 'test/corpus/dockerfiles/rails-entrypoint-script', file), 'utf8');
  // ghulevishal/ruby-app: COPY entrypoint.sh /usr/bin/, ENTRYPOINT ["entrypoint.sh"], a script ending in exec "$@".
  it('extend keeps it byte for byte, writes fly-entrypoint.sh, chains theirs first; a re-run changes nothing (built CLI)', async () => {
    const dir = projectWith({ Dockerfile: corpus('Dockerfile'), 'entrypoint.sh': corpus('entrypoint.sh') });
    const args = [
      dir,
      '--strategy',
      'bash',
      '--process',
      'web=bin/rails server',
      '--process',
      'worker=bin/jobs',
      '--yes',
    ];
    const first = await runCli(args);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout + first.stderr).toMatch(
      /entrypoint\.sh is your own \(Dockerfile:8 uses it\): it is kept as it is, and the generated entrypoint is written as fly-entrypoint\.sh/,
    );
    expect(readFileSync(path.join(dir, 'entrypoint.sh'), 'utf8')).toBe(corpus('entrypoint.sh'));
    expect(readFileSync(path.join(dir, 'fly-entrypoint.sh'), 'utf8')).toMatch(/generated by create-fly-multiproc/);
    const facts = readDockerfile(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'));
    expect(facts.entrypoint!.argv).toEqual(['entrypoint.sh', '/myapp/fly-entrypoint.sh']);
    const before = hashTree(dir);
    const again = await runCli(args);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(hashTree(dir)).toBe(before);
  }, 60_000);

  it('a generated entrypoint.sh is ours (regenerated in place); an unused own one still stays, and a taken fly-entrypoint.sh moves ours on', () => {
    const generated =
      '#!/usr/bin/env bash\n# Multi-process entrypoint, generated by create-fly-multiproc (strategy: bash).\nexec "$@"\n';
    const ours = projectWith({ Dockerfile: 'FROM debian:12\n', 'entrypoint.sh': generated });
    expect(inspectDockerfile(ours)!).toMatchObject({ entrypointFile: 'entrypoint.sh' });
    expect(inspectDockerfile(ours)!.ownEntrypoint).toBeUndefined();
    const unused = projectWith({ Dockerfile: 'FROM debian:12\n', 'entrypoint.sh': '#!/bin/sh\necho mine\n' });
    expect(inspectDockerfile(unused)!).toMatchObject({
      entrypointFile: 'fly-entrypoint.sh',
      ownEntrypoint: { file: 'entrypoint.sh' },
    });
    expect(inspectDockerfile(unused)!.ownEntrypoint!.usedAt).toBeUndefined();
    const both = projectWith({
      Dockerfile: 'FROM debian:12\nCOPY ["entrypoint.sh", "/"]\n',
      'entrypoint.sh': '#!/bin/sh\n',
      'fly-entrypoint.sh': '#!/bin/sh\n',
    });
    expect(inspectDockerfile(both)!).toMatchObject({
      entrypointFile: 'fly-multiproc-entrypoint.sh',
      ownEntrypoint: { file: 'entrypoint.sh', usedAt: 2 },
    });
  });

  it('with the Dockerfile created or replaced, nothing is renamed (no user Dockerfile uses it)', () => {
    const dir = projectWith({ Dockerfile: corpus('Dockerfile'), 'entrypoint.sh': corpus('entrypoint.sh') });
    const project = detect(dir);
    project.dockerfileInfo = inspectDockerfile(dir);
    const p = plan(
      {
        dir,
        strategy: 'bash',
        processes: ['web=bin/rails server', 'worker=bin/jobs'],
        dockerfile: 'replace',
        yes: true,
      },
      project,
    );
    expect(p.entrypointFile).toBeUndefined();
    const q = plan(
      { dir, strategy: 'bash', processes: ['web=bin/rails server', 'worker=bin/jobs'], yes: true },
      project,
    );
    expect(q.entrypointFile).toBe('fly-entrypoint.sh');
  });
});
