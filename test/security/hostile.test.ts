// Hostile checkouts and unlucky machines, run through the built CLI. Every case snapshots the
// project and an `outside/` directory before and after: outside never changes; a failed run leaves
// the project exactly as it was; a successful one leaves no temporary file, lock or journal; every
// failure is `error: ...` with the right exit code and no stack trace.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTemps } from '../helpers.js';
import { cli, expectCleanFailure, leftovers, sandbox, snapshot, type Run, type Sandbox } from './harness.js';

afterAll(cleanupTemps);

const BASE = [
  '.',
  '--process',
  'web=node server.js',
  '--process',
  'worker=node worker.js',
  '--port',
  'web=8080',
  '--strategy',
  'bash',
  '--app',
  'demo',
  '--yes',
];

function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

interface Case {
  name: string;
  setup: (sb: Sandbox) => void;
  args?: (sb: Sandbox) => string[];
  /** 'ok': exit 0; 1 or 2: that exit code, project unchanged. */
  expect: 'ok' | 1 | 2;
  mentions?: string | RegExp;
  /** Extra checks after the run. */
  after?: (sb: Sandbox, r: Run) => void;
}

const cases: Case[] = [
  // --- symlinks: final files, directories on the way, temp names ---
  {
    name: 'a symlink spray at the old predictable temp names is never written through',
    setup: ({ project, outside }) => {
      for (const name of ['Dockerfile', '.dockerignore', 'fly.toml', 'entrypoint.sh', 'fly-multiproc.json']) {
        for (let pid = 1; pid <= 200; pid++)
          for (const n of [1, 2, 3, 4, 5])
            symlinkSync(path.join(outside, 'secret'), path.join(project, `.${name}.${pid}-${n}.tmp`));
      }
    },
    expect: 'ok',
  },
  {
    name: 'Dockerfile is a symlink to a file outside: a conflict, the link is not written through',
    setup: ({ project, outside }) => symlinkSync(path.join(outside, 'target.txt'), path.join(project, 'Dockerfile')),
    expect: 2,
    mentions: /Dockerfile[\s\S]*symlink/,
  },
  {
    name: 'Dockerfile is a symlink to outside, --dockerfile replace --force: the link is replaced by a file, outside untouched',
    setup: ({ project, outside }) => symlinkSync(path.join(outside, 'target.txt'), path.join(project, 'Dockerfile')),
    args: () => [...BASE, '--dockerfile', 'replace', '--force'],
    expect: 'ok',
    after: ({ project }, r) => {
      expect(snapshot(project).Dockerfile).toMatch(/^file 644/);
      expect(r.stdout).toMatch(/overwrite\s+Dockerfile/);
    },
  },
  {
    name: 'entrypoint.sh is a symlink to the 0600 secret outside, --force: the secret keeps its mode and content',
    setup: ({ project, outside }) => symlinkSync(path.join(outside, 'secret'), path.join(project, 'entrypoint.sh')),
    args: () => [...BASE, '--force'],
    expect: 'ok',
  },
  {
    name: 'a symlink loop at Dockerfile (ELOOP)',
    setup: ({ project }) => symlinkSync('Dockerfile', path.join(project, 'Dockerfile')),
    expect: 2,
    mentions: /Dockerfile/,
  },
  {
    name: 'a dangling symlink at fly.toml',
    setup: ({ project }) => symlinkSync('nowhere/fly.toml', path.join(project, 'fly.toml')),
    expect: 2,
    mentions: /fly\.toml/,
  },
  {
    name: 'a user symlink to a generated file inside the project, content differs: a conflict, not replaced',
    setup: ({ project }) => {
      writeFileSync(path.join(project, 'Dockerfile.real'), 'FROM scratch\n');
      symlinkSync('Dockerfile.real', path.join(project, 'Dockerfile'));
    },
    expect: 2,
    mentions: /Dockerfile/,
  },
  {
    name: 'an extra template writes through a symlinked directory pointing outside: refused',
    setup: ({ root, project, outside }) => {
      mkdirSync(path.join(root, 'tpl', 'conf'), { recursive: true });
      writeFileSync(path.join(root, 'tpl', 'conf', 'file.ejs'), 'hello\n');
      symlinkSync(path.join(outside, 'd'), path.join(project, 'conf'));
    },
    args: ({ root }) => [...BASE, '--templates', path.join(root, 'tpl'), '--force'],
    expect: 2,
    mentions: /conf: is a symlink to a directory/,
  },
  {
    name: '--prune through a symlinked directory named in fly-multiproc.json: refused, the outside file stays',
    setup: ({ project, outside }) => {
      symlinkSync(path.join(outside, 'd'), path.join(project, 'sub'));
      const hash = execFileSync('sha256sum', [path.join(outside, 'd', 'file')], { encoding: 'utf8' }).split(' ')[0];
      writeFileSync(
        path.join(project, 'fly-multiproc.json'),
        JSON.stringify({ format: 1, answers: {}, files: { 'sub/file': hash } }),
      );
    },
    args: () => [...BASE, '--prune'],
    expect: 2,
    mentions: /sub: is a symlink to a directory/,
  },
  {
    name: 'fly-multiproc.json is a symlink to a file outside: refused',
    setup: ({ project, outside }) =>
      symlinkSync(path.join(outside, 'secret'), path.join(project, 'fly-multiproc.json')),
    expect: 2,
    mentions: /fly-multiproc\.json: is a symlink to .*outside the project/,
  },
  {
    name: 'Procfile is a symlink to a secret outside: refused without printing it',
    setup: ({ project, outside }) => symlinkSync(path.join(outside, 'secret'), path.join(project, 'Procfile')),
    args: () => ['.', '--strategy', 'bash', '--yes'],
    expect: 2,
    mentions: /Procfile: is a symlink/,
    after: (_sb, r) => expect(r.stderr + r.stdout).not.toContain('TOP SECRET'),
  },
  {
    name: 'the target directory is a dangling symlink',
    setup: ({ root }) => symlinkSync(path.join(root, 'missing'), path.join(root, 'app')),
    args: () => ['../app', ...BASE.slice(1)],
    expect: 2,
    mentions: /target \.\.\/app is a dangling symlink/,
  },
  // --- special files and unbounded inputs ---
  ...['Procfile', 'fly.toml', 'package.json', 'fly-multiproc.json'].map((name): Case => ({
    name: `a FIFO named ${name} gives an error instead of hanging`,
    setup: ({ project }) => mkfifo(path.join(project, name)),
    args: () => (name === 'Procfile' ? ['.', '--strategy', 'bash', '--yes'] : BASE),
    expect: 2,
    mentions: new RegExp(`${name.replace('.', '\\.')}: is a FIFO`),
  })),
  {
    name: 'a FIFO given to --from-procfile',
    setup: ({ root }) => mkfifo(path.join(root, 'procs')),
    args: ({ root }) => ['.', '--from-procfile', path.join(root, 'procs'), '--strategy', 'bash', '--yes'],
    expect: 2,
    mentions: /--from-procfile .*procs: is a FIFO/,
  },
  {
    name: 'a FIFO as a user template',
    setup: ({ root }) => {
      mkdirSync(path.join(root, 'tpl'));
      mkfifo(path.join(root, 'tpl', 'Dockerfile.ejs'));
    },
    args: ({ root }) => [...BASE, '--templates', path.join(root, 'tpl')],
    expect: 2,
    mentions: /template .*tpl\/Dockerfile\.ejs: is a FIFO/,
  },
  {
    name: 'Procfile -> /dev/zero is refused at once',
    setup: ({ project }) => symlinkSync('/dev/zero', path.join(project, 'Procfile')),
    args: () => ['.', '--strategy', 'bash', '--yes'],
    expect: 2,
    mentions: /Procfile/,
  },
  {
    name: 'Procfile of 11 MB is refused',
    setup: ({ project }) =>
      writeFileSync(
        path.join(project, 'Procfile'),
        `web: node s.js\n${'# filler line of a huge Procfile\n'.repeat(360_000)}`,
      ),
    args: () => ['.', '--strategy', 'bash', '--yes'],
    expect: 2,
    mentions: /Procfile: is larger than 10 MB/,
  },
  {
    name: 'a binary Procfile (with NUL bytes) gives one short error',
    setup: ({ project }) =>
      writeFileSync(
        path.join(project, 'Procfile'),
        Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256)),
      ),
    args: () => ['.', '--strategy', 'bash', '--yes'],
    expect: 2,
    mentions: /Procfile: contains NUL bytes/,
    after: (_sb, r) => expect(r.stderr.length).toBeLessThan(2000),
  },
  {
    name: 'a binary-ish Procfile without NUL bytes: the problems are capped, output stays small',
    setup: ({ project }) =>
      writeFileSync(
        path.join(project, 'Procfile'),
        Buffer.from(Array.from({ length: 300_000 }, (_, i) => 1 + ((i * 7919) % 255))),
      ),
    args: () => ['.', '--strategy', 'bash', '--yes'],
    expect: 2,
    after: (_sb, r) => expect(r.stderr.length).toBeLessThan(20_000),
  },
  {
    name: 'fly-multiproc.json is a directory',
    setup: ({ project }) => mkdirSync(path.join(project, 'fly-multiproc.json')),
    expect: 2,
    mentions: /fly-multiproc\.json: is a directory/,
  },
  {
    name: 'Dockerfile is a directory',
    setup: ({ project }) => mkdirSync(path.join(project, 'Dockerfile')),
    expect: 2,
    mentions: /Dockerfile/,
  },
  {
    name: 'a 300-character directory name',
    setup: () => {},
    args: () => ['x'.repeat(300), ...BASE.slice(1)],
    expect: 2,
    mentions: /name is too long/,
  },
  {
    name: '--templates / is refused quickly',
    setup: () => {},
    args: () => [...BASE, '--templates', '/'],
    expect: 2,
    mentions: /template/,
  },
  {
    name: '100k processes in a Procfile: no RangeError, a clean answer',
    setup: ({ project }) =>
      writeFileSync(
        path.join(project, 'Procfile'),
        Array.from({ length: 100_000 }, (_, i) => `p${i}: node p${i}.js`).join('\n'),
      ),
    args: () => ['.', '--strategy', 'bash', '--yes'],
    expect: 'ok',
  },
  {
    name: 'a directory name with a newline: written, and `cd` is shown quoted',
    setup: () => {},
    args: () => ['new\nline', ...BASE.slice(1)],
    expect: 'ok',
    after: ({ project }, r) => {
      expect(existsSync(path.join(project, 'new\nline', 'Dockerfile'))).toBe(true);
      expect(r.stdout).toContain("cd $'new\\nline'");
    },
  },
  {
    name: 'terminal escape sequences in a Procfile never reach the terminal raw',
    setup: ({ project }) =>
      writeFileSync(
        path.join(project, 'Procfile'),
        'web: node s.js \x1b]0;pwned\x07 \x1b[2J\nworker: node w.js \x1b[31mred\n',
      ),
    args: () => ['.', '--strategy', 'bash', '--yes'],
    expect: 'ok',
    // eslint-disable-next-line no-control-regex
    after: (_sb, r) => expect(r.stdout + r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/),
  },
  // --- tampered fly-multiproc.json ---
  ...[
    ['.', /files\["\."\]/],
    ['../outside/secret', /files\["\.\.\/outside\/secret"\]/],
    ['/etc/passwd', /files\["\/etc\/passwd"\]/],
  ].map(([rel, mentions]): Case => ({
    name: `fly-multiproc.json names files[${JSON.stringify(rel)}]`,
    setup: ({ project }) =>
      writeFileSync(
        path.join(project, 'fly-multiproc.json'),
        JSON.stringify({ format: 1, answers: {}, files: { [rel as string]: 'a'.repeat(64) } }),
      ),
    args: () => [...BASE, '--prune'],
    expect: 2,
    mentions: mentions as RegExp,
  })),
  {
    name: 'remembered templates from the checkout are announced before they run',
    setup: ({ project }) => {
      mkdirSync(path.join(project, 'tpl'));
      writeFileSync(path.join(project, 'tpl', 'extra.txt.ejs'), 'generated by the checkout\n');
      writeFileSync(
        path.join(project, 'fly-multiproc.json'),
        JSON.stringify({ format: 1, answers: { templates: 'tpl' }, files: {} }),
      );
    },
    args: () => [...BASE.slice(0, -1), '--dry-run'],
    expect: 'ok',
    after: (_sb, r) =>
      expect(r.stderr).toMatch(/using templates from tpl, remembered in fly-multiproc\.json: templates are code/),
  },
  {
    name: 'a remembered --from-procfile outside the project is refused',
    setup: ({ project }) =>
      writeFileSync(
        path.join(project, 'fly-multiproc.json'),
        JSON.stringify({ format: 1, answers: { fromProcfile: '../outside/secret', strategy: 'bash' }, files: {} }),
      ),
    args: () => ['.', '--yes'],
    expect: 2,
    mentions: /answers\.fromProcfile "\.\.\/outside\/secret" is outside the project/,
    after: (_sb, r) => expect(r.stderr + r.stdout).not.toContain('TOP SECRET'),
  },
  // --- hostile names from templates ---
  ...['a b.sh', '&x.sh', '-rf.sh', "it's.sh", 'fly-multiproc.json', '.fly-multiproc.lock', 'x$(id).sh'].map(
    (name): Case => ({
      name: `an extra template writing ${JSON.stringify(name)} is rejected`,
      setup: ({ root }) => {
        mkdirSync(path.join(root, 'tpl'), { recursive: true });
        writeFileSync(path.join(root, 'tpl', `${name}.ejs`), 'echo hi\n');
      },
      args: ({ root }) => [...BASE, '--templates', path.join(root, 'tpl')],
      expect: 2,
      mentions: /template .*would write/,
    }),
  ),
  // --- leftovers and locks ---
  {
    name: 'temporary files of a killed run are removed; a planted symlink with that name is left alone',
    setup: ({ project, outside }) => {
      writeFileSync(path.join(project, '.Dockerfile.cfm-0123456789ab.tmp'), 'half a Dockerfile');
      symlinkSync(path.join(outside, 'target.txt'), path.join(project, '.fly.toml.cfm-ba9876543210.tmp'));
    },
    expect: 'ok',
    after: ({ project }) => {
      const snap = snapshot(project);
      expect(snap['.Dockerfile.cfm-0123456789ab.tmp']).toBeUndefined();
      expect(snap['.fly.toml.cfm-ba9876543210.tmp']).toMatch(/^link/);
    },
  },
  {
    name: 'a stale lock of a dead process is taken over',
    setup: ({ project }) =>
      writeFileSync(
        path.join(project, '.fly-multiproc.lock'),
        `999999 ${execFileSync('hostname', { encoding: 'utf8' }).trim()}\n`,
      ),
    expect: 'ok',
  },
  {
    name: 'a lock held by a live process refuses the run',
    setup: ({ project }) =>
      writeFileSync(
        path.join(project, '.fly-multiproc.lock'),
        `${process.pid} ${execFileSync('hostname', { encoding: 'utf8' }).trim()}\n`,
      ),
    expect: 1,
    mentions: /\.fly-multiproc\.lock: another create-fly-multiproc run \(pid \d+\) is writing this project/,
  },
  {
    name: 'a FIFO at the lock name refuses the run without hanging',
    setup: ({ project }) => mkfifo(path.join(project, '.fly-multiproc.lock')),
    expect: 1,
    mentions: /\.fly-multiproc\.lock/,
  },
  // --- eject ---
  {
    name: 'eject --to a dangling symlink',
    setup: ({ root }) => symlinkSync(path.join(root, 'missing'), path.join(root, 'ej')),
    args: ({ root }) => ['eject', '--to', path.join(root, 'ej')],
    expect: 2,
    mentions: /dangling symlink/,
  },
  {
    name: 'eject onto a dangling symlink at a template path',
    setup: ({ root }) => {
      mkdirSync(path.join(root, 'ej'));
      symlinkSync(path.join(root, 'outside', 'new-file'), path.join(root, 'ej', 'Dockerfile.ejs'));
    },
    args: ({ root }) => ['eject', 'Dockerfile.ejs', '--to', path.join(root, 'ej')],
    expect: 2,
    mentions: /Dockerfile\.ejs/,
  },
];

describe('hostile checkouts: outside never changes, a failure changes nothing', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const sb = sandbox();
      c.setup(sb);
      const outsideBefore = snapshot(sb.outside);
      const projectBefore = snapshot(sb.project);
      const rootBefore = snapshot(sb.root);
      const r = await cli(c.args?.(sb) ?? BASE, { cwd: sb.project });
      expect(snapshot(sb.outside), 'outside/ changed').toEqual(outsideBefore);
      if (c.expect === 'ok') {
        expect(r.timedOut).toBe(false);
        expect(r.stderr).not.toMatch(/^\s+at .+[(:]\d+/m);
        expect(r.exitCode, r.stderr).toBe(0);
        // No temp file, lock or journal is left; links planted at such names are not ours to remove.
        expect(leftovers(snapshot(sb.project))).toEqual(
          leftovers(projectBefore).filter((f) => projectBefore[f]!.startsWith('link')),
        );
      } else {
        expectCleanFailure(r, c.expect, c.mentions);
        expect(snapshot(sb.project), 'a failed run changed the project').toEqual(projectBefore);
        expect(snapshot(sb.root), 'a failed run changed the sandbox').toEqual(rootBefore);
      }
      c.after?.(sb, r);
    });
  }
});

describe('what the user set on generated files is kept', () => {
  it('a regenerated file keeps its mode (0600 fly.toml, 0700 entrypoint.sh)', async () => {
    const sb = sandbox();
    const first = await cli(BASE, { cwd: sb.project });
    expect(first.exitCode, first.stderr).toBe(0);
    chmodSync(path.join(sb.project, 'fly.toml'), 0o600);
    chmodSync(path.join(sb.project, 'entrypoint.sh'), 0o700);
    const again = await cli([...BASE, '--kill-timeout', '20'], { cwd: sb.project });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/update\s+fly\.toml/);
    expect(again.stdout).toMatch(/update\s+entrypoint\.sh/);
    const snap = snapshot(sb.project);
    expect(snap['fly.toml']).toMatch(/^file 600 /);
    expect(snap['entrypoint.sh']).toMatch(/^file 700 /);
    expect(readFileSync(path.join(sb.project, 'fly.toml'), 'utf8')).toMatch(/kill_timeout = 20/);
  });

  it('an entrypoint.sh that lost its executable bit gets it back, keeping the rest of its mode', async () => {
    const sb = sandbox();
    expect((await cli(BASE, { cwd: sb.project })).exitCode).toBe(0);
    chmodSync(path.join(sb.project, 'entrypoint.sh'), 0o640);
    const again = await cli(BASE, { cwd: sb.project });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(snapshot(sb.project)['entrypoint.sh']).toMatch(/^file 750 /);
  });
});

export { cases };
