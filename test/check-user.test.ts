/**
 * `check`: can the final image's USER run what the setup starts? Each rule with a setup that breaks
 * it and one that keeps it; modes set on disk as a build context has them (COPY keeps them).
 */
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../src/check/index.js';
import { cleanupTemps, projectWith, ROOT } from './helpers.js';

afterAll(cleanupTemps);

const EP =
  '#!/usr/bin/env bash\nif [ "$#" -gt 0 ]; then exec "$@"; fi\nexec supervisord -c /etc/supervisor/supervisord.conf\n';
const CONF =
  '[supervisord]\nnodaemon=true\nlogfile=/dev/null\nlogfile_maxbytes=0\npidfile=/tmp/supervisord.pid\n\n[program:web]\ncommand=/app/server\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nredirect_stderr=true\n\n[eventlistener:fail]\ncommand=/app/fail.sh\nevents=PROCESS_STATE_FATAL\n';

/** Rule ids reported for these files, each file with the given mode (default: 0755 for #! files, 0644 others). */
async function rulesFor(
  files: Record<string, string>,
  modes: Record<string, number> = {},
): Promise<{ rule: string; line?: number; message: string }[]> {
  const dir = projectWith(files);
  for (const [name, text] of Object.entries(files))
    chmodSync(path.join(dir, name), modes[name] ?? (text.startsWith('#!') ? 0o755 : 0o644));
  const r = await check(dir, { shellcheck: false });
  return r.findings
    .filter((f) => f.rule.startsWith('dockerfile/'))
    .map((f) => ({ rule: f.rule, ...(f.line !== undefined ? { line: f.line } : {}), message: f.message }));
}
const ids = async (files: Record<string, string>, modes: Record<string, number> = {}) =>
  (await rulesFor(files, modes)).map((f) => f.rule);

describe('dockerfile/entrypoint-not-executable', () => {
  const dockerfile = (extra = '') =>
    `FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y supervisor\nWORKDIR /app\nCOPY entrypoint.sh supervisord.conf ./\n${extra}ENTRYPOINT ["/app/entrypoint.sh"]\n`;
  const files = (extra = '') => ({ Dockerfile: dockerfile(extra), 'entrypoint.sh': EP, 'supervisord.conf': CONF });

  it('a 0644 script run as the ENTRYPOINT is an error at the ENTRYPOINT line, for root too', async () => {
    const found = await rulesFor(files(), { 'entrypoint.sh': 0o644 });
    expect(found).toContainEqual({
      rule: 'dockerfile/entrypoint-not-executable',
      line: 5,
      message:
        'ENTRYPOINT runs /app/entrypoint.sh, copied from entrypoint.sh (line 4) with mode 0644 and no chmod after it',
    });
  });
  it.each([
    ['a 0755 script', '', 0o755],
    ['RUN chmod +x after the COPY', 'RUN chmod +x /app/entrypoint.sh\n', 0o644],
    ['RUN chmod 0755 by name', 'RUN chmod 0755 entrypoint.sh\n', 0o644],
  ])('%s: nothing to say', async (_what, extra, mode) => {
    expect(await ids(files(extra), { 'entrypoint.sh': mode })).not.toContain('dockerfile/entrypoint-not-executable');
  });
  it('COPY --chmod=0755: nothing to say', async () => {
    const f = files();
    f.Dockerfile = f.Dockerfile.replace('COPY entrypoint.sh', 'COPY --chmod=0755 entrypoint.sh');
    expect(await ids(f, { 'entrypoint.sh': 0o644 })).not.toContain('dockerfile/entrypoint-not-executable');
  });
  it('run through an interpreter (ENTRYPOINT ["bash", "/app/entrypoint.sh"]) it needs no execute bit', async () => {
    const f = files();
    f.Dockerfile = f.Dockerfile.replace(
      'ENTRYPOINT ["/app/entrypoint.sh"]',
      'ENTRYPOINT ["bash", "/app/entrypoint.sh"]',
    );
    expect(await ids(f, { 'entrypoint.sh': 0o644 })).not.toContain('dockerfile/entrypoint-not-executable');
  });
});

describe('dockerfile/user-cannot-read', () => {
  const dockerfile = (copy = 'COPY supervisord.conf /etc/supervisor/supervisord.conf') =>
    `FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y supervisor && useradd app\nWORKDIR /app\nCOPY entrypoint.sh /app/\n${copy}\nUSER app\nENTRYPOINT ["/app/entrypoint.sh"]\n`;

  it('a 0600 supervisord config copied without --chown: USER app cannot read it (error at the COPY line)', async () => {
    const found = await rulesFor(
      { Dockerfile: dockerfile(), 'entrypoint.sh': EP, 'supervisord.conf': CONF },
      { 'supervisord.conf': 0o600 },
    );
    expect(found).toContainEqual({
      rule: 'dockerfile/user-cannot-read',
      line: 5,
      message:
        'supervisord.conf is copied with mode 0600 and no --chown: in the image it belongs to root, and USER app (line 6) cannot read it',
    });
  });
  it('a 0744 entrypoint: root can run it, USER app cannot', async () => {
    const found = await rulesFor(
      { Dockerfile: dockerfile(), 'entrypoint.sh': EP, 'supervisord.conf': CONF },
      { 'entrypoint.sh': 0o744 },
    );
    expect(found).toContainEqual(
      expect.objectContaining({
        rule: 'dockerfile/user-cannot-read',
        line: 4,
        message: expect.stringContaining(
          'entrypoint.sh is copied with mode 0744 and no --chown: in the image it belongs to root, and USER app (line 6) cannot run it',
        ),
      }),
    );
  });
  it.each([
    ['--chown=app', 'COPY --chown=app supervisord.conf /etc/supervisor/supervisord.conf', 0o600],
    [
      'a later chmod 0644',
      'COPY supervisord.conf /etc/supervisor/supervisord.conf\nRUN chmod 0644 /etc/supervisor/supervisord.conf',
      0o600,
    ],
    ['mode 0644', 'COPY supervisord.conf /etc/supervisor/supervisord.conf', 0o644],
  ])('%s: nothing to say', async (_what, copy, mode) => {
    expect(
      await ids(
        { Dockerfile: dockerfile(copy), 'entrypoint.sh': EP, 'supervisord.conf': CONF },
        { 'supervisord.conf': mode },
      ),
    ).not.toContain('dockerfile/user-cannot-read');
  });
  it('without a non-root USER, 0600 is readable (root)', async () => {
    expect(
      await ids(
        { Dockerfile: dockerfile().replace('USER app\n', ''), 'entrypoint.sh': EP, 'supervisord.conf': CONF },
        { 'supervisord.conf': 0o600 },
      ),
    ).toEqual([]);
  });
});

describe('dockerfile/workdir-not-writable', () => {
  // A real fly launch Dockerfile (fly-apps/dockerfile-rails test/results/mysql): WORKDIR /rails is
  // created by root and only db log storage tmp are chowned to rails before USER rails:rails; its
  // ENTRYPOINT replaced by supervisord.
  const rails = readFileSync(path.join(ROOT, 'test/corpus/dockerfiles/rails-mysql/Dockerfile'), 'utf8');
  const withSupervisord = (conf: string) => ({
    Dockerfile: rails.replace(
      'ENTRYPOINT ["/rails/bin/docker-entrypoint"]',
      'COPY supervisord.conf /etc/supervisor/supervisord.conf\nENTRYPOINT ["supervisord", "-c", "/etc/supervisor/supervisord.conf"]',
    ),
    'supervisord.conf': conf,
  });

  it('supervisord with its default logfile and pidfile (the working directory) under USER rails:rails: error at the WORKDIR line', async () => {
    const found = await rulesFor(
      withSupervisord(CONF.replace('logfile=/dev/null\nlogfile_maxbytes=0\npidfile=/tmp/supervisord.pid\n', '')),
    );
    expect(found).toContainEqual({
      rule: 'dockerfile/workdir-not-writable',
      line: 15,
      message:
        "WORKDIR /rails is created by root and never handed to USER rails:rails (line 71), but supervisord's logfile (supervisord.conf: not set, so supervisord.log in the working directory) and supervisord's pidfile (supervisord.conf: not set, so supervisord.pid in the working directory) are written there",
    });
  });
  it('logfile=/dev/null and pidfile in /tmp: nothing to say', async () => {
    expect(await ids(withSupervisord(CONF))).not.toContain('dockerfile/workdir-not-writable');
  });
  it('a WORKDIR chowned to the user: nothing to say', async () => {
    const files = withSupervisord(CONF.replace('pidfile=/tmp/supervisord.pid\n', ''));
    files.Dockerfile = files.Dockerfile.replace(
      'chown -R rails:rails db log storage tmp',
      'chown -R rails:rails db log storage tmp /rails',
    );
    expect(await ids(files)).not.toContain('dockerfile/workdir-not-writable');
  });

  const overmind = (env: string) => ({
    Dockerfile: `FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y tmux && useradd app\nCOPY --from=ghcr.io/darthsim/overmind:2 /usr/bin/overmind /usr/bin/overmind\nWORKDIR /app\nCOPY --chown=app Procfile /app/\n${env}USER app\nCMD ["overmind", "start"]\n`,
    Procfile: 'web: /app/server\nworker: /app/worker\n',
  });
  it('overmind without OVERMIND_SOCKET puts ./.overmind.sock in a root-owned WORKDIR', async () => {
    expect(await rulesFor(overmind(''))).toContainEqual(
      expect.objectContaining({
        rule: 'dockerfile/workdir-not-writable',
        line: 4,
        message: expect.stringContaining(
          "overmind's socket (OVERMIND_SOCKET not set, so ./.overmind.sock) is written there",
        ),
      }),
    );
  });
  it('OVERMIND_SOCKET=/tmp/overmind.sock: nothing to say', async () => {
    expect(await ids(overmind('ENV OVERMIND_SOCKET=/tmp/overmind.sock\n'))).not.toContain(
      'dockerfile/workdir-not-writable',
    );
  });
});

describe('dockerfile/user-cannot-run: a chmod that leaves others without x', () => {
  const dockerfile = (mode: string) =>
    `FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y supervisor && useradd app\nWORKDIR /app\nCOPY entrypoint.sh /app/\nRUN chmod ${mode} entrypoint.sh\nUSER app\nENTRYPOINT ["/app/entrypoint.sh"]\n`;
  it.each(['0744', '700', 'u+x'])('chmod %s: USER app cannot run it', async (mode) => {
    expect(await ids({ Dockerfile: dockerfile(mode), 'entrypoint.sh': EP })).toContain('dockerfile/user-cannot-run');
  });
  // 0755 ends in 5: others may execute (an earlier reading took any last digit up to 6 for owner-only).
  it.each(['0755', '755', '0775', 'a+x'])('chmod %s: nothing to say', async (mode) => {
    expect(await ids({ Dockerfile: dockerfile(mode), 'entrypoint.sh': EP })).not.toContain(
      'dockerfile/user-cannot-run',
    );
  });
});
