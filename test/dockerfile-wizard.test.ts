/**
 * The wizard's Dockerfile question: asked when the project has a Dockerfile of its own, after the
 * strategy; it says what the file does (and so what replace would lose), recommends keep for process
 * groups and extend for the others, and its answer becomes --dockerfile.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import prompts from 'prompts';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectDockerfileText } from '../src/dockerfile/index.js';
import { plan } from '../src/plan.js';
import type { Project } from '../src/types.js';
import { wizard } from '../src/wizard.js';
import { ROOT } from './helpers.js';

const CORPUS = path.join(ROOT, 'test', 'corpus', 'dockerfiles');

function projectWith(name: string): Project {
  const dir = path.join(CORPUS, name);
  const info = inspectDockerfileText(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), dir);
  return {
    dir,
    exists: true,
    empty: false,
    runtime: 'generic',
    packageJson: false,
    npmLock: false,
    dockerfile: true,
    dockerfileInfo: info,
  };
}

async function run(inject: unknown[], p: Project, given: { strategy?: string } = {}) {
  prompts.inject(inject);
  const lines: string[] = [];
  const answers = await wizard(
    {
      dir: p.dir,
      processes: ['web=bin/rails server', 'worker=bin/jobs'],
      ports: ['web=3000'],
      app: 'shop',
      region: 'ams',
      ...given,
    },
    p,
    [],
    { write: (s: string) => lines.push(s) },
  );
  return { answers, out: lines.join('') };
}

afterEach(() => {
  expect((prompts as unknown as { _injected?: unknown[] })._injected ?? []).toEqual([]);
});

describe('wizard: your Dockerfile', () => {
  it('says what the Rails Dockerfile does (what replace would lose), and the answer is --dockerfile', async () => {
    const p = projectWith('rails-mysql');
    const { answers, out } = await run(['replace'], p, { strategy: 'supervisord' });
    expect(answers.dockerfile).toBe('replace');
    expect(out).toContain('Dockerfile is yours: 3 stages, final one from ruby:xxx-slim');
    expect(out).toContain('default-mysql-client');
    expect(out).toContain('assets:precompile');
    expect(out).toContain('USER rails:rails');
    expect(out).toContain('replace would lose it');
    const planned = plan(answers, p);
    expect(planned.dockerfile).toBe('replace');
    expect(planned.notes.join('\n')).toMatch(
      /Dockerfile: replaced \(--dockerfile replace\) by a generated one; yours had .*assets:precompile/,
    );
  });

  it('extend for a one-Machine strategy', async () => {
    const p = projectWith('node-alpine');
    const { answers } = await run(['extend'], p, { strategy: 'bash' });
    expect(plan(answers, p).dockerfile).toBe('extend');
  });

  it('keep for process groups', async () => {
    const p = projectWith('django-gunicorn');
    const { answers } = await run(['keep'], p, { strategy: 'process-groups' });
    expect(plan(answers, p).dockerfile).toBe('keep');
  });

  it('not asked when --dockerfile is given', async () => {
    const p = projectWith('django-gunicorn');
    prompts.inject([]);
    const answers = await wizard(
      { dir: p.dir, processes: ['web=x', 'w=y'], app: 'shop', region: 'ams', strategy: 'bash', dockerfile: 'extend' },
      p,
      [],
      { write: () => {} },
    );
    expect(answers.dockerfile).toBe('extend');
  });
});
