/**
 * Every setup the generator writes passes `check --strict`: the golden cases (every strategy and
 * runtime) and a matrix of strategies x kill signals x kill timeouts x process sets. shellcheck
 * runs (when installed) on the golden cases. The only finding allowed is one the generated fly.toml silences on purpose
 * (a public port other than 80/443, explained in a comment above it and in the next steps).
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../src/check/index.js';
import { plan } from '../src/plan.js';
import { render } from '../src/render.js';
import { UsageError } from '../src/errors.js';
import { KILL_SIGNALS, type Answers } from '../src/types.js';
import { BASE_PROJECT, CASES, renderCase } from './cases.js';
import { STRATEGIES } from '../src/strategies/index.js';
import { cleanupTemps, generate, ROOT, tempDir } from './helpers.js';

afterAll(cleanupTemps);

function writeTree(files: { path: string; content: string; executable?: boolean }[]): string {
  const dir = tempDir('cfm-check-gen-');
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeFileSync(path.join(dir, f.path), f.content, { mode: f.executable ? 0o755 : 0o644 });
  }
  return dir;
}

async function expectClean(dir: string, label: string, shellcheck = true, config?: string) {
  const result = await check(dir, { shellcheck, ...(config ? { config } : {}) });
  const failing = result.findings.filter((f) => f.severity !== 'advice');
  expect(failing.map((f) => `${label}: ${f.file}:${f.line} ${f.rule} ${f.message}`)).toEqual([]);
  for (const s of result.suppressed)
    expect(`${s.rule} in ${s.file}`).toBe(`fly-toml/dedicated-ipv4 in ${config ?? 'fly.toml'}`);
  return result;
}

describe('every generated setup passes check --strict', () => {
  for (const name of Object.keys(CASES)) {
    it(`golden case ${name}`, async () => {
      const { plan, files } = renderCase(name);
      const dir = writeTree(files);
      // One fly.toml, or (apps) one config per app, each checked as `check --config` does.
      const configs = STRATEGIES[plan.strategy].flyToml
        ? ['fly.toml']
        : files.filter((f) => /^fly\..+\.toml$/.test(f.path)).map((f) => f.path);
      expect(configs.length).toBeGreaterThan(0);
      for (const config of configs) {
        const result = await expectClean(dir, `${name} ${config}`, true, config);
        expect(result.files).toContain(config);
        expect(result.files).toContain('Dockerfile');
        expect(result.files).toContain('entrypoint.sh');
      }
    });
  }

  it('a matrix of strategies x kill signals x kill timeouts x process sets', async () => {
    const strategies: Partial<Answers>[] = [
      { strategy: 'process-groups' },
      { strategy: 'bash' },
      { strategy: 'supervisord' },
      { strategy: 'procfile', procfileManager: 'overmind' },
      { strategy: 'procfile', procfileManager: 'hivemind' },
    ];
    const processSets: Partial<Answers>[] = [
      { processes: ['web=bin/server --port 8080', 'worker=bin/worker'], ports: ['web=8080'] },
      {
        processes: ['web=bin/server --port 8080', 'admin=bin/admin --port 9000', 'jobs=sh -c "exec bin/jobs $QUEUE"'],
        ports: ['web=8080', 'admin=9000'],
      },
      { processes: ['api=bin/api -p 3000', 'api2=bin/api -p 3001'], ports: ['api=3000', 'api2=3001'], http: 'api' },
    ];
    let checked = 0;
    let rejected = 0;
    for (const s of strategies) {
      for (const killSignal of KILL_SIGNALS) {
        for (const killTimeout of ['5', '300']) {
          for (const set of processSets) {
            const answers = { ...s, ...set, killSignal, killTimeout, app: 'matrix-app' } as Omit<Answers, 'dir'>;
            let files;
            try {
              files = render(plan({ dir: BASE_PROJECT.dir, ...answers }, BASE_PROJECT), BASE_PROJECT);
            } catch (error) {
              if (!(error instanceof UsageError)) throw error;
              rejected++; // a combination the generator refuses is not generated, so not checked
              continue;
            }
            await expectClean(writeTree(files), JSON.stringify(answers), false); // shellcheck: the golden cases above run it
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(70);
    expect(rejected).toBeLessThan(checked);
  }, 300_000);
});

describe('extended real Dockerfiles with a non-root USER pass check --strict', () => {
  // fly launch (dockerfile-rails) and Rails 8 generator outputs: the block installs as root and
  // switches back; the generated files must stay readable and runnable by that USER, and the
  // managers must not write into the root-owned WORKDIR.
  const CORPUS = path.join(ROOT, 'test/corpus/dockerfiles');
  for (const name of ['rails-mysql', 'rails-8-thruster', 'r-base-nonroot']) {
    for (const answers of [
      { strategy: 'bash' },
      { strategy: 'supervisord' },
      { strategy: 'procfile', procfileManager: 'overmind' },
    ] as Partial<Answers>[]) {
      it(`${name}, ${answers.strategy}${answers.procfileManager ? ` (${answers.procfileManager})` : ''}`, async () => {
        const dir = tempDir('cfm-check-ext-');
        cpSync(path.join(CORPUS, name), dir, { recursive: true });
        // Behind the generated entrypoint the Rails 8 bin/docker-entrypoint never meets its db:prepare
        // condition: the plan says so and check reports it, until a release command takes its place.
        const gated = name === 'rails-8-thruster';
        const base = {
          ...answers,
          processes: ['web=bin/server --port 8080', 'worker=bin/worker'],
          ports: ['web=8080'],
          yes: true,
        };
        if (gated) {
          const bare = tempDir('cfm-check-ext-');
          cpSync(path.join(CORPUS, name), bare, { recursive: true });
          await generate(bare, base as Omit<Answers, 'dir'>);
          const found = (await check(bare, { shellcheck: false })).findings.filter((f) => f.severity !== 'advice');
          expect(found.map((f) => `${f.file}:${f.line} ${f.rule}`)).toEqual([
            'bin/docker-entrypoint:4 consistency/rails-prepare-skipped',
          ]);
        }
        await generate(dir, { ...base, ...(gated ? { release: './bin/rails db:prepare' } : {}) } as Omit<
          Answers,
          'dir'
        >);
        const result = await expectClean(dir, `${name} ${answers.strategy}`, false);
        expect(result.files).toContain('Dockerfile');
      });
    }
  }
});
