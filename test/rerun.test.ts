import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import prompts from 'prompts';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { conflictView, resolveConflicts } from '../src/conflicts.js';
import { diffLines } from '../src/diff.js';
import { CancelledError } from '../src/errors.js';
import { STATE_FILE } from '../src/state.js';
import type { FileStatus } from '../src/write.js';
import { BIN, cleanupTemps, hashTree, requireTool, runCli, tempDir } from './helpers.js';

afterAll(cleanupTemps);

const PROCESSES = ['--process', 'web=bin/web --port 8080', '--port', 'web=8080', '--process', 'worker=bin/worker'];
const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');
const state = (dir: string) => JSON.parse(read(dir, STATE_FILE));
/** The action of each file in a run's summary, e.g. { 'fly.toml': 'identical' }. */
function actions(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of stdout.matchAll(/^ {2}(create|identical|update|merge|overwrite|skip|conflict|stale|delete) +(\S+)/gm))
    out[m[2]!] = m[1]!;
  return out;
}

/** Run with --dry-run first: it must exit 0 and write nothing. Then run for real. */
async function dryThenRun(args: string[], dir: string) {
  const before = hashTree(dir);
  const dry = await runCli([...args, '--dry-run']);
  expect(dry.exitCode, dry.stderr).toBe(0);
  expect(hashTree(dir)).toBe(before);
  return { dry, real: await runCli(args) };
}

describe('re-running', () => {
  it('reuses the remembered answers: a second run, with or without the flags, is identical and changes no byte', async () => {
    const dir = tempDir();
    const first = await runCli([
      dir,
      '--strategy',
      'supervisord',
      ...PROCESSES,
      '--app',
      'acme',
      '--kill-timeout',
      '12',
    ]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(actions(first.stdout)[STATE_FILE]).toBe('create');
    expect(state(dir).answers).toEqual({
      strategy: 'supervisord',
      processes: ['web=bin/web --port 8080', 'worker=bin/worker'],
      ports: ['web=8080'],
      app: 'acme',
      killTimeout: '12',
    });
    const before = hashTree(dir);
    for (const args of [
      [dir, '--strategy', 'supervisord', ...PROCESSES, '--app', 'acme', '--kill-timeout', '12'],
      [dir, '--yes'],
      [dir],
    ]) {
      const again = await runCli(args);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(new Set(Object.values(actions(again.stdout)))).toEqual(new Set(['identical']));
      expect(hashTree(dir)).toBe(before);
    }
  });

  it('the state file is deterministic: no timestamps, same bytes for the same inputs anywhere', async () => {
    const a = tempDir();
    const b = tempDir();
    for (const dir of [a, b]) expect((await runCli([dir, ...PROCESSES, '--app', 'same'])).exitCode).toBe(0);
    expect(read(a, STATE_FILE)).toBe(read(b, STATE_FILE));
    expect(read(a, STATE_FILE)).not.toMatch(/20\d\d-\d\d-\d\d|"time|"date|"version/i);
    expect(Object.keys(state(a).files).sort()).toEqual(
      ['.dockerignore', 'Dockerfile', 'entrypoint.sh', 'fly.toml'].filter((f) => existsSync(path.join(a, f))).sort(),
    );
  });

  it('a flag on a re-run overrides the remembered value and is remembered; unedited files are regenerated without asking', async () => {
    const dir = tempDir();
    expect((await runCli([dir, '--strategy', 'bash', ...PROCESSES, '--app', 'acme'])).exitCode).toBe(0);
    const { dry, real } = await dryThenRun([dir, '--kill-timeout', '20'], dir);
    expect(dry.stdout).toContain('--- update: fly.toml: unchanged since the last run: regenerated');
    expect(dry.stdout).toMatch(/^-kill_timeout = 5\n\+kill_timeout = 20$/m);
    expect(real.exitCode, real.stderr).toBe(0);
    expect(actions(real.stdout)).toMatchObject({
      'fly.toml': 'update',
      'entrypoint.sh': 'update',
      [STATE_FILE]: 'update',
    });
    expect((parse(read(dir, 'fly.toml')) as any).kill_timeout).toBe(20);
    expect(state(dir).answers).toMatchObject({ strategy: 'bash', killTimeout: '20' });
    // Remembered in turn: a run without flags keeps 20.
    const again = await runCli([dir, '--yes']);
    expect(new Set(Object.values(actions(again.stdout)))).toEqual(new Set(['identical']));
  });

  it('--port on a re-run sets one port and keeps the others; --process replaces the list and drops ports of removed processes', async () => {
    const dir = tempDir();
    expect(
      (await runCli([dir, ...PROCESSES, '--process', 'admin=bin/admin', '--port', 'admin=9000', '--app', 'acme']))
        .exitCode,
    ).toBe(0);
    expect((await runCli([dir, '--port', 'admin=9001'])).exitCode).toBe(0);
    expect(state(dir).answers.ports).toEqual(['web=8080', 'admin=9001']);
    const r = await runCli([dir, '--process', 'web=bin/web --port 8080', '--process', 'worker=bin/worker']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('forgot the remembered --port admin=9001: that process is gone');
    expect(state(dir).answers.ports).toEqual(['web=8080']);
  });

  it('--no-example turns the remembered example off', async () => {
    const dir = tempDir();
    expect((await runCli([dir, '--yes'])).exitCode).toBe(0);
    expect(state(dir).answers.example).toBe(true);
    expect(new Set(Object.values(actions((await runCli([dir, '--yes'])).stdout)))).toEqual(new Set(['identical']));
    // Without the example, the processes come from the flags (or, as here, from fly.toml's [processes]).
    const off = await runCli([
      dir,
      '--yes',
      '--no-example',
      '--process',
      'web=node app.js',
      '--port',
      'web=8080',
      '--process',
      'jobs=node jobs.js',
    ]);
    expect(off.exitCode, off.stderr).toBe(0);
    expect(actions(off.stdout)['server.js']).toBe('stale');
    expect(state(dir).answers.example).toBeUndefined();
    expect(state(dir).answers.processes).toEqual(['web=node app.js', 'jobs=node jobs.js']);
    expect(new Set(Object.values(actions((await runCli([dir, '--yes'])).stdout)))).toEqual(
      new Set(['identical', 'stale']),
    );
  });

  it('a hand-edited file is a conflict: exit 2, the edit kept, nothing written; --skip keeps it, --force overwrites', async () => {
    const dir = tempDir();
    const args = [dir, '--strategy', 'bash', ...PROCESSES, '--app', 'acme'];
    expect((await runCli(args)).exitCode).toBe(0);
    const edited = `${read(dir, 'entrypoint.sh')}# my change\n`;
    writeFileSync(path.join(dir, 'entrypoint.sh'), edited);
    const before = hashTree(dir);

    // A change of ours too (kill timeout), so that a conflict has both sides.
    const { dry, real } = await dryThenRun([dir, '--kill-timeout', '9'], dir);
    expect(dry.stdout).toContain(
      '--- conflict: entrypoint.sh (executable): was edited since create-fly-multiproc last wrote it',
    );
    expect(dry.stdout).toContain('+# my change'.replace('+', '-')); // the diff from the user's file to ours removes their line
    expect(real.exitCode).toBe(2);
    expect(real.stderr).toContain('entrypoint.sh was edited since create-fly-multiproc last wrote it');
    expect(real.stderr).toContain('nothing was written: pass --force to overwrite these files, --skip to keep them');
    expect(hashTree(dir)).toBe(before);

    const skipped = await runCli([dir, '--kill-timeout', '9', '--skip']);
    expect(skipped.exitCode, skipped.stderr).toBe(0);
    expect(actions(skipped.stdout)).toMatchObject({ 'entrypoint.sh': 'skip', 'fly.toml': 'update' });
    expect(read(dir, 'entrypoint.sh')).toBe(edited);

    const forced = await runCli([dir, '--force']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(actions(forced.stdout)['entrypoint.sh']).toBe('overwrite');
    expect(read(dir, 'entrypoint.sh')).not.toContain('# my change');
    expect(read(dir, 'entrypoint.sh')).toContain('STOP_TIMEOUT');
  });

  it('fly.toml edited by hand is merged: adding a process changes only [processes] and its service, every other line stays', async () => {
    const dir = tempDir();
    expect((await runCli([dir, ...PROCESSES, '--app', 'acme'])).exitCode).toBe(0);
    const generated = read(dir, 'fly.toml');
    const theirs = `${generated.replace('app = "acme"', 'app = "acme"  # production')}
# Set with fly secrets: DATABASE_URL
[env]
  LOG_LEVEL = 'info'

[[vm]]
  memory = "1gb"
  processes = ["worker"]
`;
    writeFileSync(path.join(dir, 'fly.toml'), theirs);
    const add = [
      dir,
      '--process',
      'web=bin/web --port 8080',
      '--process',
      'worker=bin/worker',
      '--process',
      'mail=bin/mail',
      '--port',
      'mail=2525',
    ];
    const { dry, real } = await dryThenRun(add, dir);
    expect(dry.stdout).toContain(
      '--- merge: fly.toml: your edits are kept; only the keys create-fly-multiproc owns change',
    );
    expect(real.exitCode, real.stderr).toBe(0);
    expect(actions(real.stdout)['fly.toml']).toBe('merge');
    const merged = read(dir, 'fly.toml');

    // Every line of the user's file is still there, in order; the added lines are the new group and its service.
    const ops = diffLines(theirs.split('\n'), merged.split('\n'));
    expect(ops.filter((o) => o.kind === '-')).toEqual([]);
    const added = ops
      .filter((o) => o.kind === '+')
      .map((o) => o.line.trim())
      .filter(Boolean);
    expect(added[0]).toBe('mail = "bin/mail"');
    expect(added).toContain('[[services]]');
    expect(added).toContain('internal_port = 2525');
    expect(added).toContain('processes = ["mail"]');
    // The parsed document: the user's, plus exactly that.
    const want = parse(theirs) as Record<string, any>;
    const got = parse(merged) as Record<string, any>;
    expect(got.processes).toEqual({ ...want.processes, mail: 'bin/mail' });
    expect(got.services).toHaveLength(1);
    expect(got.services[0]).toMatchObject({ internal_port: 2525, processes: ['mail'] });
    delete got.services;
    delete got.processes;
    delete want.processes;
    expect(got).toEqual(want);

    // Nothing more to do on the next run, though fly.toml is not what a fresh run writes.
    const again = await runCli([dir, '--yes']);
    expect(new Set(Object.values(actions(again.stdout)))).toEqual(new Set(['identical']));
  });

  it('a re-run that removes a process group warns that its Machines are destroyed on the next deploy', async () => {
    const dir = tempDir();
    expect((await runCli([dir, ...PROCESSES, '--process', 'cron=bin/cron', '--app', 'acme'])).exitCode).toBe(0);
    const { dry, real } = await dryThenRun(
      [dir, '--process', 'web=bin/web --port 8080', '--process', 'worker=bin/worker'],
      dir,
    );
    for (const r of [dry, real]) {
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('Warnings:');
      expect(r.stdout).toContain(
        'process group "cron" is removed from [processes]: the next `fly deploy` destroys its Machines',
      );
    }
    const json = await runCli([dir, '--strategy', 'bash', '--dry-run', '--json']);
    expect(JSON.parse(json.stdout).warnings).toEqual([expect.stringContaining('fly.toml no longer has [processes]')]);
  });

  it('switching strategy lists the files the old one wrote; --prune deletes them, but only unedited ones', async () => {
    const dir = tempDir();
    expect((await runCli([dir, '--strategy', 'supervisord', ...PROCESSES, '--app', 'acme'])).exitCode).toBe(0);
    writeFileSync(path.join(dir, 'supervisor.conf'), `${read(dir, 'supervisor.conf')}; tuned by hand\n`);

    const { dry, real } = await dryThenRun([dir, '--strategy', 'bash'], dir);
    expect(dry.stdout).toContain(
      '--- stale: supervisor-fail-fast.sh (executable): not used by the bash strategy (the supervisord strategy wrote it): delete it, or run again with --prune',
    );
    expect(real.exitCode, real.stderr).toBe(0);
    expect(actions(real.stdout)).toMatchObject({
      'supervisor.conf': 'stale',
      'supervisor-fail-fast.sh': 'stale',
      'entrypoint.sh': 'update',
      Dockerfile: 'update',
    });
    expect(real.stdout).toMatch(/stale +supervisor\.conf .*edited since it was written: kept/);
    expect(existsSync(path.join(dir, 'supervisor-fail-fast.sh'))).toBe(true);
    expect(Object.keys(state(dir).files)).toContain('supervisor.conf'); // still known, so it is listed again

    const pruned = await dryThenRun([dir, '--prune'], dir);
    expect(pruned.dry.stdout).toMatch(/delete +supervisor-fail-fast\.sh/);
    expect(actions(pruned.real.stdout)).toMatchObject({
      'supervisor-fail-fast.sh': 'delete',
      'supervisor.conf': 'stale',
    });
    expect(existsSync(path.join(dir, 'supervisor-fail-fast.sh'))).toBe(false);
    expect(existsSync(path.join(dir, 'supervisor.conf'))).toBe(true);
    expect(Object.keys(state(dir).files)).not.toContain('supervisor-fail-fast.sh');
  });

  it('--dry-run --json gives the same as data: action, reason, diff or content per file', async () => {
    const dir = tempDir();
    expect((await runCli([dir, '--strategy', 'bash', ...PROCESSES, '--app', 'acme'])).exitCode).toBe(0);
    writeFileSync(path.join(dir, 'Dockerfile'), `${read(dir, 'Dockerfile')}# mine\n`);
    const before = hashTree(dir);
    const r = await runCli([
      dir,
      '--kill-timeout',
      '7',
      '--process',
      'web=bin/web --port 8080',
      '--process',
      'worker=bin/worker',
      '--process',
      'extra=bin/extra',
      '--dry-run',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(hashTree(dir)).toBe(before);
    const files = Object.fromEntries(JSON.parse(r.stdout).files.map((f: any) => [f.path, f]));
    expect(files['fly.toml']).toMatchObject({ action: 'update', reason: 'unchanged since the last run: regenerated' });
    expect(files['fly.toml'].diff).toMatch(/^--- a\/fly\.toml\n\+\+\+ b\/fly\.toml\n@@ /);
    expect(files['fly.toml'].diff).toContain('+kill_timeout = 7');
    expect(files.Dockerfile).toMatchObject({
      action: 'conflict',
      reason: 'was edited since create-fly-multiproc last wrote it',
    });
    expect(files.Dockerfile.diff).toContain('-# mine');
    expect(files[STATE_FILE].action).toBe('update');
  });

  it('a broken state file, or a remembered answer that no longer passes, is a usage error saying where the value came from', async () => {
    const dir = tempDir();
    expect((await runCli([dir, ...PROCESSES, '--app', 'acme'])).exitCode).toBe(0);
    const good = read(dir, STATE_FILE);
    writeFileSync(path.join(dir, STATE_FILE), '{ "answers": ');
    let r = await runCli([dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/fly-multiproc\.json: not valid JSON/);
    expect(r.stderr).toContain(`delete ${STATE_FILE} to start afresh`);

    writeFileSync(path.join(dir, STATE_FILE), good.replace('"app": "acme"', '"app": "Not An App"'));
    const before = hashTree(dir);
    r = await runCli([dir]);
    expect(r.exitCode).toBe(2);
    // The problem names where the value came from (no flag was given), and the hint how to replace it.
    expect(r.stderr).toContain(`${STATE_FILE} answers.app "Not An App": a Fly app name uses lowercase letters`);
    expect(r.stderr).toContain(`remembered in ${STATE_FILE}; pass the flag to replace a remembered value`);
    expect(hashTree(dir)).toBe(before);
  });
});

function conflict(path: string, extra: Partial<FileStatus> = {}): FileStatus {
  return {
    path,
    content: 'new\n',
    generated: 'new\n',
    executable: false,
    action: 'conflict',
    existing: 'yours\n',
    reason: 'was edited',
    ...extra,
  };
}

describe('resolveConflicts', () => {
  const out = () => {
    const chunks: string[] = [];
    return { chunks, write: (s: string) => chunks.push(s) };
  };

  it('--force overwrites, --skip keeps, and neither without a terminal leaves the conflicts for exit 2', async () => {
    const statuses = [conflict('a'), { ...conflict('b'), action: 'create' as const }];
    expect((await resolveConflicts(statuses, { interactive: false, policy: 'force' })).map((s) => s.action)).toEqual([
      'overwrite',
      'create',
    ]);
    expect((await resolveConflicts(statuses, { interactive: true, policy: 'skip' })).map((s) => s.action)).toEqual([
      'skip',
      'create',
    ]);
    expect((await resolveConflicts(statuses, { interactive: false, policy: 'ask' })).map((s) => s.action)).toEqual([
      'conflict',
      'create',
    ]);
    expect(statuses[0]!.action).toBe('conflict'); // the input is not changed
  });

  it('asks per file: show diff, then overwrite; skip; overwrite all', async () => {
    const o = out();
    prompts.inject(['diff', 'overwrite', 'skip', 'all']);
    const result = await resolveConflicts(
      [conflict('a', { base: 'base\n' }), conflict('b'), conflict('c'), conflict('d')],
      { interactive: true, policy: 'ask', out: o },
    );
    expect(result.map((s) => s.action)).toEqual(['overwrite', 'skip', 'overwrite', 'overwrite']);
    const shown = o.chunks.join('');
    expect(shown).toContain('Your changes to a since create-fly-multiproc last wrote it:');
    expect(shown).toContain('-base\n+yours\n');
    expect(shown).toContain('What this run changes in its own output:');
    expect(shown).toContain('-base\n+new\n');
  });

  it('quit and Ctrl-C cancel (exit 130 in the CLI), before anything is decided', async () => {
    prompts.inject(['quit']);
    await expect(
      resolveConflicts([conflict('a')], { interactive: true, policy: 'ask', out: out() }),
    ).rejects.toBeInstanceOf(CancelledError);
    prompts.inject([new Error('Ctrl-C')]);
    await expect(
      resolveConflicts([conflict('a')], { interactive: true, policy: 'ask', out: out() }),
    ).rejects.toBeInstanceOf(CancelledError);
  });

  it('shows one diff when the last output is unknown, and the merge for fly.toml', async () => {
    expect(await conflictView(conflict('Dockerfile'))).toContain(
      '--- Dockerfile (yours)\n+++ Dockerfile (new)\n@@ -1 +1 @@\n-yours\n+new\n',
    );
    const fly = conflict('fly.toml', { content: 'merged\n', generated: 'ours\n', base: 'base\n' });
    const view = await conflictView(fly);
    expect(view).toContain('What overwriting does to your fly.toml (only the keys this tool owns):');
    expect(view).toContain('-yours\n+merged\n');
  });
});

describe('the conflict prompt on a real terminal', () => {
  it('lists the conflict, shows the diff, and keeps the file on skip', async () => {
    if (!requireTool('tmux', 'tmux')) return;
    const dir = tempDir();
    expect((await runCli([dir, '--strategy', 'bash', ...PROCESSES, '--app', 'acme', '--region', 'ams'])).exitCode).toBe(
      0,
    );
    const edited = `${read(dir, 'Dockerfile')}# mine\n`;
    writeFileSync(path.join(dir, 'Dockerfile'), edited);
    const socket = `cfm-rerun-${process.pid}`;
    const tmux = (...args: string[]) =>
      execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-300', '-t', 'main');
    const waitFor = async (pattern: RegExp) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const text = screen();
        if (pattern.test(text)) return text;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    // All flags given, so the wizard asks nothing and the first question is the conflict.
    const command = `node ${BIN} ${dir} --kill-timeout 9; echo "EXIT=$?"; sleep 60`;
    tmux('new-session', '-d', '-s', 'main', '-x', '160', '-y', '80', `env -u CI NO_COLOR=1 sh -c '${command}'`);
    try {
      await waitFor(/Dockerfile: what should happen to it\?/);
      expect(screen()).toContain('Dockerfile was edited since create-fly-multiproc last wrote it');
      tmux('send-keys', '-t', 'main', 'Down', 'Down', 'Enter'); // show diff
      const shown = await waitFor(/What this run changes in its own output:/);
      expect(shown).toContain('+# mine');
      await waitFor(/Dockerfile: what should happen to it\?[\s\S]*Dockerfile: what should happen to it\?/);
      tmux('send-keys', '-t', 'main', 'Down', 'Enter'); // skip
      await waitFor(/Write \d+ files?\?/);
      tmux('send-keys', '-t', 'main', 'Enter');
      expect(await waitFor(/EXIT=\d+/)).toContain('EXIT=0');
    } finally {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
    }
    expect(read(dir, 'Dockerfile')).toBe(edited);
    expect((parse(read(dir, 'fly.toml')) as any).kill_timeout).toBe(9);
  });
});
