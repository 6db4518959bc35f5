/**
 * `check`: the Rails entrypoint's db:prepare gate against the commands Fly passes it. The real
 * Rails 8 Dockerfile and bin/docker-entrypoint (6temes/invoices, test/corpus/dockerfiles/rails-8-thruster)
 * with the fly.toml a user adding a worker writes.
 */
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../src/check/index.js';
import { cleanupTemps, projectWith, ROOT } from './helpers.js';

afterAll(cleanupTemps);

const corpus = (file: string) =>
  readFileSync(path.join(ROOT, 'test/corpus/dockerfiles/rails-8-thruster', file), 'utf8');
const toml = (web: string | undefined, release = '') =>
  `app = "invoices"\nkill_timeout = 10\n${release}${web === undefined ? '' : `\n[processes]\n  web = "${web}"\n  worker = "./bin/jobs"\n`}\n[http_service]\n  internal_port = 80\n${web === undefined ? '' : '  processes = ["web"]\n'}`;

async function gate(flyToml: string) {
  const dir = projectWith({
    Dockerfile: corpus('Dockerfile'),
    'bin/docker-entrypoint': corpus('bin/docker-entrypoint'),
    'fly.toml': flyToml,
  });
  chmodSync(path.join(dir, 'bin/docker-entrypoint'), 0o755);
  const r = await check(dir, { shellcheck: false });
  return r.findings
    .filter((f) => f.rule === 'consistency/rails-prepare-skipped')
    .map((f) => ({ file: f.file, line: f.line, message: f.message, fix: f.fix }));
}

describe('consistency/rails-prepare-skipped', () => {
  it.each(['bin/rails server', 'bundle exec puma -C config/puma.rb', './bin/thrust bin/rails server'])(
    '[processes] web = %s, no release_command: db:prepare never runs',
    async (web) => {
      const found = await gate(toml(web));
      expect(found).toEqual([
        {
          file: 'bin/docker-entrypoint',
          line: 4,
          message: expect.stringMatching(
            /^runs db:prepare only when its arguments end in `\.\/bin\/rails server`, but web passes \[.*\]; worker passes \["\.\/bin\/jobs"\], and fly.toml has no release_command$/,
          ),
          fix: 'Add release_command = "./bin/rails db:prepare" under [deploy] in fly.toml (it runs once per deploy, before the new Machines start), or spell the web group\'s command `./bin/rails server`.',
        },
      ]);
    },
  );
  it.each(['./bin/rails server', './bin/thrust ./bin/rails server'])(
    '[processes] web = %s opens the gate: nothing to say',
    async (web) => {
      expect(await gate(toml(web))).toEqual([]);
    },
  );
  it('a release_command takes its place: nothing to say', async () => {
    expect(await gate(toml('bin/rails server', '\n[deploy]\n  release_command = "./bin/rails db:prepare"\n'))).toEqual(
      [],
    );
  });
  it("no [processes]: the Dockerfile's CMD (./bin/thrust ./bin/rails server) opens it: nothing to say", async () => {
    expect(await gate(toml(undefined))).toEqual([]);
  });
});
