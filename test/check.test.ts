/**
 * `check` rule by rule: a small setup that breaks one rule (and one that keeps it), the rule id,
 * file and line it must report; then the readers it relies on and the CLI (exit codes, --json,
 * --strict, bad input).
 */
import { chmodSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../src/check/index.js';
import { RULES } from '../src/check/rules.js';
import { flyDuration, needsShell, shlexDiffers } from '../src/check/fly-toml.js';
import { parseGoDuration, shlexSplit, tomlLines } from '../src/check/util.js';
import { cleanupTemps, hashTree, projectWith, requireTool, ROOT, runCli } from './helpers.js';

afterAll(cleanupTemps);

const EP = '#!/usr/bin/env bash\nif [ "$#" -gt 0 ]; then exec "$@"; fi\nexec /app/server\n';
const DOCKERFILE = 'FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\nENTRYPOINT ["/app/entrypoint.sh"]\n';
const GROUPS = 'app = "x"\nkill_timeout = 10\n[processes]\n  web = "/app/server"\n  worker = "/app/worker"\n';

/** A project of these files; scripts (a #! line) are 0755, as git checks them out. */
function setupWith(files: Record<string, string>): string {
  const dir = projectWith(files);
  for (const [name, text] of Object.entries(files)) if (text.startsWith('#!')) chmodSync(path.join(dir, name), 0o755);
  return dir;
}

async function findings(files: Record<string, string>, options: { config?: string; dockerfile?: string } = {}) {
  const r = await check(setupWith(files), { shellcheck: false, ...options });
  return r.findings.map((f) => ({
    rule: f.rule,
    file: f.file,
    line: f.line,
    severity: f.severity,
    message: f.message,
  }));
}
const rules = async (files: Record<string, string>) => (await findings(files)).map((f) => f.rule);

describe('check: fly.toml rules', () => {
  it('a service naming a missing group is an error at its processes line', async () => {
    const f = await findings({
      'fly.toml': `${GROUPS}\n[http_service]\n  internal_port = 8080\n  processes = ["app"]\n`,
      Dockerfile: DOCKERFILE,
      'entrypoint.sh': EP,
    });
    expect(f).toContainEqual(
      expect.objectContaining({ rule: 'fly-toml/service-unknown-group', file: 'fly.toml', line: 9, severity: 'error' }),
    );
  });

  it('an unfiltered service with two groups is an error; a filtered one is not', async () => {
    expect(
      await rules({
        'fly.toml': `${GROUPS}\n[http_service]\n  internal_port = 8080\n`,
        Dockerfile: DOCKERFILE,
        'entrypoint.sh': EP,
      }),
    ).toContain('fly-toml/service-no-filter');
    expect(
      await rules({
        'fly.toml': `${GROUPS}\n[http_service]\n  internal_port = 8080\n  processes = ["web"]\n`,
        Dockerfile: DOCKERFILE,
        'entrypoint.sh': EP,
      }),
    ).toEqual([]);
  });

  it('[[restart]]: a bad policy and a missing group are errors; unfiltered reaches the default group only', async () => {
    const f = await rules({
      'fly.toml': `${GROUPS}\n[[restart]]\n  policy = "no"\n  processes = ["wrker"]\n\n[[restart]]\n  policy = "always"\n`,
      Dockerfile: DOCKERFILE,
      'entrypoint.sh': EP,
    });
    expect(f).toEqual(
      expect.arrayContaining([
        'fly-toml/restart-policy',
        'fly-toml/restart-unknown-group',
        'fly-toml/unfiltered-default-group',
      ]),
    );
  });

  it('reserved group names, unsplittable commands, shell-needing commands and shlex surprises', async () => {
    const f = await findings({
      'fly.toml':
        'app = "x"\nkill_timeout = 10\n[processes]\n  fly_app_console = "/app/server"\n  web = "bin/web \'oops"\n  worker = "bin/worker --queue $QUEUE"\n  cron = "bin/cron \\"C:\\\\data\\""\n[deploy]\n  release_command = "bin/rails db:migrate && echo done"\n',
      Dockerfile: DOCKERFILE,
      'entrypoint.sh': EP,
    });
    expect(f).toContainEqual(expect.objectContaining({ rule: 'fly-toml/reserved-group', line: 4 }));
    expect(f).toContainEqual(expect.objectContaining({ rule: 'fly-toml/command-unsplittable', line: 5 }));
    expect(f).toContainEqual(expect.objectContaining({ rule: 'fly-toml/command-needs-shell', line: 6 }));
    expect(f).toContainEqual(expect.objectContaining({ rule: 'fly-toml/shlex-differs', line: 7 }));
    expect(f).toContainEqual(expect.objectContaining({ rule: 'fly-toml/command-needs-shell', line: 9 }));
  });

  it('kill_timeout is read like flyctl: "5" has no unit, 301 s is over the cap, "1m30s" and 90 are fine', async () => {
    for (const [value, bad] of [
      ['"5"', true],
      ['301', true],
      ['"6m"', true],
      ['"1m30s"', false],
      ['90', false],
      ['"5m0s"', false],
    ] as const) {
      const f = await rules({
        'fly.toml': `app = "x"\nkill_timeout = ${value}\n`,
        Dockerfile: 'FROM x\nCMD ["/app/server"]\n',
      });
      expect(f.includes('fly-toml/kill-timeout'), value).toBe(bad);
    }
  });

  it('kill_signal: SIGUSR2 and unknown names are errors', async () => {
    expect(
      await rules({ 'fly.toml': 'app = "x"\nkill_signal = "SIGUSR2"\n', Dockerfile: 'FROM x\nCMD ["/s"]\n' }),
    ).toContain('fly-toml/kill-signal');
    expect(
      await rules({ 'fly.toml': 'app = "x"\nkill_signal = "SIGFOO"\n', Dockerfile: 'FROM x\nCMD ["/s"]\n' }),
    ).toContain('fly-toml/kill-signal');
    expect(
      await rules({ 'fly.toml': 'app = "x"\nkill_signal = "SIGTERM"\n', Dockerfile: 'FROM x\nCMD ["/s"]\n' }),
    ).toEqual([]);
  });

  it('[[vm]] size and memory, [checks] without a port, [deploy] strategy, canary with mounts', async () => {
    const f = await rules({
      'fly.toml': `${GROUPS}\n[[vm]]\n  size = "shared-cpu-3x"\n  memory = "lots"\n\n[checks.alive]\n  type = "grpc"\n  processes = ["worker"]\n\n[[mounts]]\n  source = "data"\n  destination = "/data"\n  processes = ["web"]\n\n[deploy]\n  strategy = "canary"\n`,
      Dockerfile: DOCKERFILE,
      'entrypoint.sh': EP,
    });
    expect(f).toEqual(
      expect.arrayContaining([
        'fly-toml/vm-size',
        'fly-toml/vm-memory',
        'fly-toml/check-no-port',
        'fly-toml/check-invalid',
        'fly-toml/canary-with-mounts',
      ]),
    );
    expect(
      await rules({
        'fly.toml': 'app = "x"\n[deploy]\n  strategy = "blue-green"\n',
        Dockerfile: 'FROM x\nCMD ["/s"]\n',
      }),
    ).toContain('fly-toml/deploy-strategy');
  });

  it('filters flyctl ignores, and unfiltered [[mounts]] with several groups', async () => {
    const f = await findings({
      'fly.toml': `${GROUPS}\n[[vm]]\n  size = "shared-cpu-1x"\n  processes = ["wrker"]\n\n[[mounts]]\n  source = "data"\n  destination = "/data"\n`,
      Dockerfile: DOCKERFILE,
      'entrypoint.sh': EP,
    });
    expect(f).toContainEqual(
      expect.objectContaining({ rule: 'fly-toml/filter-ignored', line: 9, severity: 'warning' }),
    );
    expect(f).toContainEqual(expect.objectContaining({ rule: 'fly-toml/unfiltered-default-group', line: 11 }));
    expect(f.find((x) => x.rule === 'fly-toml/unfiltered-default-group')!.message).toContain('"web"'); // no app group: the first in sort order
  });

  it('a public port other than 80/443 asks for a dedicated IPv4; a check: ignore comment silences it and says so', async () => {
    const toml = 'app = "x"\n[[services]]\n  internal_port = 5432\n  [[services.ports]]\n    port = 5432\n';
    expect(await rules({ 'fly.toml': toml, Dockerfile: 'FROM x\nCMD ["/s"]\n' })).toEqual(['fly-toml/dedicated-ipv4']);
    const r = await check(
      setupWith({
        'fly.toml': toml.replace(
          '[[services]]',
          '# check: ignore fly-toml/dedicated-ipv4 (IPs allocated by hand)\n[[services]]',
        ),
        Dockerfile: 'FROM x\nCMD ["/s"]\n',
      }),
      { shellcheck: false },
    );
    expect(r.findings).toEqual([]);
    expect(r.suppressed.map((f) => f.rule)).toEqual(['fly-toml/dedicated-ipv4']);
  });

  it('[experimental] entrypoint and [build] image next to a Dockerfile', async () => {
    const f = await rules({
      'fly.toml': 'app = "x"\n[build]\n  image = "nginx:1"\n[experimental]\n  entrypoint = ["/bin/sh"]\n',
      Dockerfile: 'FROM x\nCMD ["/s"]\n',
    });
    expect(f).toEqual(expect.arrayContaining(['fly-toml/experimental-entrypoint', 'fly-toml/build-not-dockerfile']));
  });

  it('[[statics]]: overlapping prefixes, a relative guest_path, a processes key', async () => {
    const f = await findings({
      'fly.toml':
        'app = "x"\n[[statics]]\n  guest_path = "/app/public"\n  url_prefix = "/static"\n[[statics]]\n  guest_path = "public/img"\n  url_prefix = "/static/img"\n  processes = ["web"]\n',
      Dockerfile: 'FROM x\nCMD ["/s"]\n',
    });
    expect(f.filter((x) => x.rule === 'fly-toml/statics').map((x) => x.line)).toEqual([6, 7, 8]);
    expect(
      await rules({
        'fly.toml':
          'app = "x"\n[[statics]]\n  guest_path = "/app/public"\n  url_prefix = "/static"\n[[statics]]\n  guest_path = "/app/assets"\n  url_prefix = "/assets"\n',
        Dockerfile: 'FROM x\nCMD ["/s"]\n',
      }),
    ).toEqual([]);
  });

  it('a TOML syntax error names its line and stops there', async () => {
    const f = await findings({ 'fly.toml': 'app = "x"\n[http_service\n' });
    expect(f).toEqual([expect.objectContaining({ rule: 'fly-toml/syntax', line: 2, severity: 'error' })]);
  });

  it('a worker on one Machine behind auto-stop', async () => {
    const f = await rules({
      'fly.toml':
        'app = "x"\nkill_timeout = 10\n[http_service]\n  internal_port = 8080\n  auto_stop_machines = "stop"\n',
      Dockerfile: DOCKERFILE,
      'entrypoint.sh':
        '#!/usr/bin/env bash\nif [ "$#" -gt 0 ]; then exec "$@"; fi\ntrap \'kill $a $b\' TERM INT\nbin/server --port 8080 &\na=$!\nbundle exec sidekiq &\nb=$!\nwait -n\n',
    });
    expect(f).toContain('fly-toml/autostop-worker');
  });
});

describe('check: Dockerfile rules', () => {
  it('shell-form ENTRYPOINT is an error, shell-form CMD a warning, exec form neither', async () => {
    const f = await findings({ Dockerfile: 'FROM debian:bookworm-slim\nENTRYPOINT /app/run\n' });
    expect(f).toContainEqual(
      expect.objectContaining({ rule: 'dockerfile/shell-form-entrypoint', line: 2, severity: 'error' }),
    );
    expect(await rules({ Dockerfile: 'FROM debian:bookworm-slim\nCMD node server.js\n' })).toEqual([
      'dockerfile/shell-form-cmd',
    ]);
    expect(await rules({ Dockerfile: 'FROM debian:bookworm-slim\nCMD ["node", "server.js"]\n' })).toEqual([]);
  });

  it('supervisord run but not installed in the final stage (installed in a builder stage only)', async () => {
    const conf =
      '[supervisord]\nnodaemon=true\n[program:web]\ncommand=/app/web\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nredirect_stderr=true\nstopwaitsecs=1\n[eventlistener:x]\ncommand=/x\nevents=PROCESS_STATE_FATAL\n';
    const f = await findings({
      'fly.toml': 'app = "x"\nkill_timeout = 10\n',
      Dockerfile:
        'FROM debian:bookworm-slim AS build\nRUN apt-get install -y supervisor\nFROM debian:bookworm-slim\nCOPY supervisord.conf /etc/\nCMD ["supervisord", "-c", "/etc/supervisord.conf"]\n',
      'supervisord.conf': conf,
    });
    expect(f).toEqual([expect.objectContaining({ rule: 'dockerfile/manager-missing', file: 'Dockerfile', line: 5 })]);
    expect(
      await rules({
        'fly.toml': 'app = "x"\nkill_timeout = 10\n',
        Dockerfile:
          'FROM debian:bookworm-slim\nRUN apt-get install -y supervisor\nCOPY supervisord.conf /etc/\nCMD ["supervisord", "-c", "/etc/supervisord.conf"]\n',
        'supervisord.conf': conf,
      }),
    ).toEqual([]);
  });

  it('a bash entrypoint on Alpine without bash', async () => {
    expect(
      await rules({
        Dockerfile: 'FROM alpine:3.20\nCOPY entrypoint.sh /\nENTRYPOINT ["/entrypoint.sh"]\n',
        'entrypoint.sh': EP,
      }),
    ).toContain('dockerfile/bash-missing');
    expect(
      await rules({
        Dockerfile:
          'FROM alpine:3.20\nRUN apk add --no-cache bash\nCOPY entrypoint.sh /\nENTRYPOINT ["/entrypoint.sh"]\n',
        'entrypoint.sh': EP,
      }),
    ).not.toContain('dockerfile/bash-missing');
  });

  it('USER that cannot run an owner-only entrypoint', async () => {
    const f = await findings({
      Dockerfile:
        'FROM debian:bookworm-slim\nCOPY entrypoint.sh /app/\nRUN chmod 700 /app/entrypoint.sh\nUSER app\nENTRYPOINT ["/app/entrypoint.sh"]\n',
      'entrypoint.sh': EP,
    });
    expect(f).toContainEqual(expect.objectContaining({ rule: 'dockerfile/user-cannot-run', line: 3 }));
  });
});

describe('check: entrypoint script rules', () => {
  const df = 'FROM debian:bookworm-slim\nCOPY start.sh /app/\nENTRYPOINT ["/app/start.sh"]\n';
  it("the Fly guide's gross.sh: fg %1 and no signal forwarding", async () => {
    const f = await findings({
      Dockerfile: df,
      'start.sh':
        '#!/bin/bash\n\nset -m # to make job control work\n/app/server &\n/app/server -bar &\nfg %1 # gross!\n',
    });
    expect(f).toContainEqual(
      expect.objectContaining({ rule: 'script/fg-job-control', file: 'start.sh', line: 6, severity: 'error' }),
    );
    expect(f).toContainEqual(expect.objectContaining({ rule: 'script/no-signal-forwarding', line: 4 }));
  });

  it('plain wait after several jobs, missing exec, wait -n in sh, SIGINT to jobs without set -m', async () => {
    expect(
      await rules({
        Dockerfile: df,
        'start.sh': "#!/bin/bash\ntrap 'kill $a $b' TERM\n/app/a &\na=$!\n/app/b &\nb=$!\nwait\n",
      }),
    ).toContain('script/no-fail-fast');
    expect(await rules({ Dockerfile: df, 'start.sh': '#!/bin/sh\nset -e\nbin/migrate\nnode server.js\n' })).toEqual([
      'script/missing-exec',
    ]);
    expect(
      await rules({ Dockerfile: df, 'start.sh': '#!/bin/sh\nset -e\nbin/migrate\nexec node server.js\n' }),
    ).toEqual([]);
    expect(
      await rules({
        Dockerfile: df,
        'start.sh': "#!/bin/sh\ntrap 'kill $a' TERM\n/app/a &\na=$!\n/app/b &\nwait -n\n",
      }),
    ).toContain('script/wait-n-in-sh');
    expect(
      await rules({
        Dockerfile: df,
        'start.sh': "#!/bin/bash\ntrap 'kill -INT $a $b' INT TERM\n/app/a &\na=$!\n/app/b &\nb=$!\nwait -n\n",
      }),
    ).toContain('script/sigint-ignored-children');
  });

  it('an entrypoint that ignores its arguments breaks [processes] and release_command', async () => {
    const f = await findings({
      'fly.toml': `${GROUPS}`,
      Dockerfile: 'FROM debian:bookworm-slim\nCOPY start.sh /app/\nENTRYPOINT ["/app/start.sh"]\n',
      'start.sh': '#!/bin/sh\nexec /app/server\n',
    });
    expect(f).toContainEqual(
      expect.objectContaining({ rule: 'script/args-ignored', file: 'start.sh', severity: 'error' }),
    );
  });

  it.runIf(requireTool('shellcheck', 'shellcheck'))('shellcheck findings when shellcheck is installed', async () => {
    const r = await check(
      setupWith({ Dockerfile: df, 'start.sh': '#!/bin/sh\nif [ -n $X ]; then echo; fi\nexec /app/server\n' }),
    );
    expect(r.findings).toContainEqual(
      expect.objectContaining({ rule: 'script/shellcheck', line: 2, severity: 'warning' }),
    );
    expect(r.findings.find((f) => f.rule === 'script/shellcheck')!.message).toMatch(/^SC2070/);
  });
});

describe('check: supervisord rules', () => {
  const df =
    'FROM debian:bookworm-slim\nRUN apt-get install -y supervisor\nCOPY supervisord.conf /etc/\nCMD ["supervisord", "-c", "/etc/supervisord.conf"]\n';
  it('no nodaemon, logs to files, no fail-fast, a wrapper without stopasgroup, %, a cut value, default stopwaitsecs', async () => {
    const conf =
      "[supervisord]\nlogfile=/var/log/supervisord.log\n\n[program:web]\ncommand=sh -c 'exec bin/web ; echo'\nstdout_logfile=/var/log/web.log\n\n[program:worker]\ncommand=bin/worker --progress 100%\n";
    const f = await findings({ 'fly.toml': 'app = "x"\n', Dockerfile: df, 'supervisord.conf': conf });
    const at = (rule: string) => f.filter((x) => x.rule === rule).map((x) => x.line);
    expect(at('supervisord/no-nodaemon')).toEqual([1]);
    expect(at('supervisord/log-to-file')).toEqual([6, 8]);
    expect(at('supervisord/no-fail-fast')).toEqual([4]);
    expect(at('supervisord/no-stopasgroup')).toEqual([4]);
    expect(at('supervisord/percent')).toEqual([9]);
    expect(f).toContainEqual(
      expect.objectContaining({ rule: 'supervisord/inline-comment', line: 5, severity: 'error' }),
    );
    expect(at('consistency/stop-timeout')).toEqual([4, 8]);
  });

  it('-n on the command line counts as nodaemon; SIGHUP as kill_signal is unhandled (supervisord reloads)', async () => {
    const conf =
      '[supervisord]\n[program:web]\ncommand=/app/web\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nredirect_stderr=true\nstopwaitsecs=1\n[eventlistener:x]\ncommand=/x\nevents=PROCESS_STATE_FATAL\n';
    const f = await rules({
      'fly.toml': 'app = "x"\nkill_signal = "SIGHUP"\nkill_timeout = 10\n',
      Dockerfile: df.replace('"-c"', '"-n", "-c"'),
      'supervisord.conf': conf,
    });
    expect(f).toEqual(['consistency/kill-signal-unhandled']);
  });
});

describe('check: Procfile manager rules', () => {
  const df =
    'FROM debian:bookworm-slim\nCOPY --from=golang:1.22 /go/bin/overmind /usr/local/bin/\nCOPY --from=tmuxbuild /usr/local/bin/tmux /usr/local/bin/\nCOPY . /app\nWORKDIR /app\nCMD ["overmind", "start"]\n';
  it('overmind without OVERMIND_NO_PORT, .env in the image, a line without a space, a release entry', async () => {
    const f = await findings({
      'fly.toml': 'app = "x"\nkill_timeout = 10\n',
      Dockerfile: df,
      Procfile: 'web: bin/web\nworker:bin/worker\nrelease: bin/rails db:migrate\n',
      '.env': 'SECRET=1\n',
    });
    expect(f).toContainEqual(expect.objectContaining({ rule: 'procfile/line-format', file: 'Procfile', line: 2 }));
    expect(f).toContainEqual(expect.objectContaining({ rule: 'procfile/release-entry', line: 3 }));
    expect(f).toContainEqual(expect.objectContaining({ rule: 'procfile/overmind-port' }));
    expect(f).toContainEqual(expect.objectContaining({ rule: 'procfile/overmind-env', severity: 'warning' }));
  });

  it('hivemind exits 0 on a crash: without [[restart]] always it is flagged, with it not', async () => {
    const d =
      'FROM debian:bookworm-slim\nCOPY --from=golang:1.22 /go/bin/hivemind /usr/local/bin/\nCOPY . /app\nCMD ["hivemind", "/app/Procfile"]\n';
    expect(
      await rules({ 'fly.toml': 'app = "x"\nkill_timeout = 10\n', Dockerfile: d, Procfile: 'web: bin/web\n' }),
    ).toEqual(['procfile/exit-zero']);
    expect(
      await rules({
        'fly.toml': 'app = "x"\nkill_timeout = 10\n[[restart]]\n  policy = "always"\n',
        Dockerfile: d,
        Procfile: 'web: bin/web\n',
      }),
    ).toEqual([]);
  });
});

describe('check: across files', () => {
  it('internal_port no process listens on, and a server bound to 127.0.0.1', async () => {
    const df = 'FROM debian:bookworm-slim\nCOPY . /app\nCMD ["sh", "-c", "exec /app/server --port 3000"]\n';
    const f = await findings({ 'fly.toml': 'app = "x"\n[http_service]\n  internal_port = 8080\n', Dockerfile: df });
    expect(f).toEqual([expect.objectContaining({ rule: 'consistency/port-mismatch', line: 3 })]);
    const g = await rules({
      'fly.toml': 'app = "x"\n[http_service]\n  internal_port = 8080\n',
      Dockerfile: 'FROM x\nCMD ["gunicorn", "-b", "127.0.0.1:8080", "app:app"]\n',
    });
    expect(g).toEqual(['consistency/listen-localhost']);
  });

  it('kill_signal the entrypoint script does not trap', async () => {
    const f = await rules({
      'fly.toml': 'app = "x"\nkill_signal = "SIGQUIT"\nkill_timeout = 10\n',
      Dockerfile: 'FROM debian:bookworm-slim\nCOPY start.sh /app/\nENTRYPOINT ["/app/start.sh"]\n',
      'start.sh':
        '#!/bin/bash\nif [ "$#" -gt 0 ]; then exec "$@"; fi\ntrap \'kill $a $b\' INT TERM\n/app/a &\na=$!\n/app/b &\nb=$!\nwait -n\n',
    });
    expect(f).toEqual(['consistency/kill-signal-unhandled']);
  });
});

describe('check: readers', () => {
  it('shlexSplit follows google/shlex', () => {
    expect(shlexSplit('echo a #b')).toEqual({ words: ['echo', 'a'] });
    expect(shlexSplit('a#b "C:\\data"')).toEqual({ words: ['a#b', 'C:data'] });
    expect(shlexSplit('sh -c \'exec x "$Y"\'')).toEqual({ words: ['sh', '-c', 'exec x "$Y"'] });
    expect(shlexSplit('echo "oops')).toHaveProperty('error');
    expect(shlexSplit('echo oops\\')).toHaveProperty('error');
  });

  it('durations like Go, and kill_timeout like flyctl', () => {
    expect(parseGoDuration('1m30s')).toBe(90);
    expect(parseGoDuration('500ms')).toBe(0.5);
    expect(parseGoDuration('5')).toBeUndefined();
    expect(parseGoDuration('0')).toBe(0);
    expect(flyDuration(1.5)).toEqual({ seconds: 1 });
    expect(flyDuration('5m0s')).toEqual({ seconds: 300 });
    expect(flyDuration('5').problem).toContain('needs a unit');
  });

  it('needsShell and shlexDiffers', () => {
    expect(needsShell('bin/x --port $PORT')).toContain('$PORT');
    expect(needsShell("sh -c 'exec bin/x --port $PORT'")).toBeUndefined();
    expect(needsShell('bin/a && bin/b')).toContain('&&');
    expect(shlexDiffers('bin/x #tag')).toContain('comment');
    expect(shlexDiffers("bin/x '#tag'")).toBeUndefined();
  });

  it('tomlLines finds keys, tables and array tables', () => {
    const lines = tomlLines(
      'a = 1\n[[services]]\n  internal_port = 1\n  [[services.ports]]\n    port = 80\n[[services]]\n  processes = ["web"]\n[processes]\n  "web" = "x"\n',
    );
    expect(lines.get('a')).toBe(1);
    expect(lines.get('services[0]')).toBe(2);
    expect(lines.get('services[0].ports[0].port')).toBe(5);
    expect(lines.get('services[1].processes')).toBe(7);
    expect(lines.get('processes.web')).toBe(9);
  });

  it('the README lists every rule with its severity', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const r of RULES) expect(readme, r.id).toContain(`| \`${r.id}\` | ${r.severity} |`);
  });

  it('every rule has an id, a severity, why, fix and source; ids are unique', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^(fly-toml|dockerfile|script|supervisord|procfile|consistency)\/[a-z0-9-]+$/);
      for (const key of ['title', 'why', 'fix', 'source'] as const)
        expect(r[key].length, `${r.id} ${key}`).toBeGreaterThan(5);
    }
  });
});

describe('check: the command', () => {
  const bad = {
    'fly.toml':
      'app = "x"\n[processes]\n  web = "/app/server"\n  worker = "/app/worker"\n[http_service]\n  internal_port = 8080\n',
    Dockerfile: 'FROM x\nCMD ["/s"]\n',
  };
  const warn = { 'fly.toml': 'app = "x"\nkill_timeout = 10\n', Dockerfile: 'FROM x\nCMD node s.js\n' };

  it('exit 1 on an error, with file:line, why and fix; nothing on disk changes', async () => {
    const dir = setupWith(bad);
    const before = hashTree(dir);
    const r = await runCli(['check', dir]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('fly.toml:5  error  fly-toml/service-no-filter');
    expect(r.stdout).toContain('why: ');
    expect(r.stdout).toContain('fix: Add processes = ');
    expect(hashTree(dir)).toBe(before);
  });

  it('warnings pass, --strict makes them fail; --json carries the same findings', async () => {
    const dir = setupWith(warn);
    expect((await runCli(['check', dir])).exitCode).toBe(0);
    const strict = await runCli(['check', dir, '--strict', '--json']);
    expect(strict.exitCode).toBe(1);
    const json = JSON.parse(strict.stdout) as {
      ok: boolean;
      counts: Record<string, number>;
      findings: { rule: string; file: string; line: number }[];
    };
    expect(json.ok).toBe(false);
    expect(json.counts.warning).toBe(1);
    expect(json.findings).toEqual([
      expect.objectContaining({ rule: 'dockerfile/shell-form-cmd', file: 'Dockerfile', line: 2 }),
    ]);
  });

  it('bad input: exit 2, a clear message, no stack trace', async () => {
    const missing = await runCli(['check', path.join(ROOT, 'no-such-dir')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/no such directory/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const empty = await runCli(['check', setupWith({ 'README.md': 'hi\n' })]);
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toContain('nothing to check');
    const config = await runCli(['check', setupWith(warn), '--config', '../fly.toml']);
    expect(config.exitCode).toBe(2);
    expect(config.stderr).toContain('--config ../fly.toml: no such file inside');
  });

  it('never reads outside the directory, not even through a symlink', async () => {
    const outside = setupWith({
      'fly.toml': 'app = "x"\n[processes]\n  web = "a"\n  worker = "b"\n[http_service]\n  internal_port = 1\n',
    });
    const dir = setupWith({ Dockerfile: 'FROM x\nCMD ["/s"]\n' });
    symlinkSync(path.join(outside, 'fly.toml'), path.join(dir, 'fly.toml'));
    const r = await check(dir, { shellcheck: false });
    expect(r.files).toEqual(['Dockerfile']);
    expect(r.findings).toEqual([]);
  });

  it('a normal run does not load the check code: it lives in its own bundle file', () => {
    const main = readFileSync(path.join(ROOT, 'dist', 'index.cjs'), 'utf8');
    const apart = readFileSync(path.join(ROOT, 'dist', 'check.cjs'), 'utf8');
    expect(apart).toContain('fly-toml/service-no-filter');
    expect(main).not.toContain('fly-toml/service-no-filter');
    expect(main).toContain('./check.cjs');
  });

  it('a run without a fly.toml of its own does not load the fly.toml editor: it lives in its own bundle file', () => {
    const main = readFileSync(path.join(ROOT, 'dist', 'index.cjs'), 'utf8');
    const apart = readFileSync(path.join(ROOT, 'dist', 'flytoml.cjs'), 'utf8');
    // A message only the three-way merge writes.
    const marker = 'could not update the keys it owns without touching others of yours';
    expect(apart).toContain(marker);
    expect(main).not.toContain(marker);
    expect(main).toContain('./flytoml.cjs');
  });
});
