import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { BIN, cleanupTemps, hashTree, requireTool, runCli, tempDir } from './helpers.js';

afterAll(cleanupTemps);

/** The built CLI in a real pseudo-terminal: tmux on a private socket, driven with keystrokes. */
class Terminal {
  private static count = 0;
  readonly socket = `cfm-test-${process.pid}-${Terminal.count++}`;
  constructor(
    command: string,
    cwd: string,
    env: Record<string, string> = {},
    readonly size = { columns: 160, rows: 60 },
  ) {
    const exports = Object.entries(env)
      .map(([k, v]) => `${k}=${v} `)
      .join('');
    // The exit status is printed, then the pane stays open so the test can read it.
    const script = `cd ${JSON.stringify(cwd)} && ${exports}${command}; echo "EXIT=$?"; sleep 60`;
    this.tmux('new-session', '-d', '-s', 'main', '-x', String(size.columns), '-y', String(size.rows), script);
  }
  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'main');
  }
  /** The visible screen as its rows, as drawn (a wrapped line is two rows), trailing blanks cut. */
  rows(): string[] {
    const rows = this.tmux('capture-pane', '-p', '-t', 'main')
      .split('\n')
      .map((r) => r.trimEnd());
    while (rows.length && rows.at(-1) === '') rows.pop();
    return rows;
  }
  /** Poll until check(rows) holds; fails with the screen when it does not within timeoutMs. */
  async settle(check: (rows: string[]) => boolean, what: string, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = this.rows();
      if (check(rows)) return rows;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${rows.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.screen();
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /** Wait for a prompt, then type. */
  async answer(prompt: RegExp, ...keys: string[]): Promise<void> {
    await this.waitFor(prompt);
    this.keys(...keys);
  }
  /** Key names (Enter, BSpace, C-c) are sent as keys; `text:...` is typed literally. */
  keys(...keys: string[]): void {
    for (const key of keys) {
      if (key.startsWith('text:')) this.tmux('send-keys', '-t', 'main', '-l', key.slice(5));
      else this.tmux('send-keys', '-t', 'main', key);
    }
  }
  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

const terminals: Terminal[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.kill();
});
function terminal(
  args: string,
  cwd: string,
  env: Record<string, string> = {},
  size?: { columns: number; rows: number },
) {
  // A person at a terminal: CI from the test run's environment must not leak in (CI=true never prompts).
  const t = new Terminal(`node ${BIN} ${args}`, cwd, { CI: '', ...env }, size);
  terminals.push(t);
  return t;
}

const hasTmux = requireTool('tmux', 'tmux');

describe.skipIf(!hasTmux)('the wizard in a real terminal', () => {
  it('writes the built-in example with the strategy the answers point to', async () => {
    const dir = tempDir();
    const t = terminal('app', dir);
    await t.answer(/directory is empty\. Write the built-in example/, 'Enter');
    await t.answer(/scale and restart separately/, 'n');
    await t.answer(/restarted on its own/, 'y');
    await t.answer(/How should the processes run\?.*recommended: supervisord/s, 'Enter');
    await t.answer(/Fly app name/, 'Enter');
    await t.answer(/Primary region/, 'a', 'm', 's', 'Enter');
    await t.answer(/Write 8 files\?/, 'Enter');
    const screen = await t.waitFor(/EXIT=\d+/);
    expect(screen).toContain('EXIT=0');
    expect(screen).toContain('npx create-fly-multiproc app --strategy supervisord --app app --region ams --yes');
    const app = path.join(dir, 'app');
    expect(readdirSync(app).sort()).toEqual([
      '.dockerignore',
      'Dockerfile',
      'entrypoint.sh',
      'fly-multiproc.json',
      'fly.toml',
      'server.js',
      'supervisor-fail-fast.sh',
      'supervisor.conf',
    ]);
    const toml = parse(readFileSync(path.join(app, 'fly.toml'), 'utf8')) as Record<string, unknown>;
    expect(toml).toMatchObject({ app: 'app', primary_region: 'ams' });
  });

  it('explains an invalid answer under the prompt and takes the corrected one', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'main.go'), 'package main\n');
    const t = terminal('', dir);
    await t.answer(/Process 1: name/, 'W', 'e', 'b', '!', 'Enter');
    await t.waitFor(/a name must start with a lowercase letter/);
    t.keys('BSpace', 'BSpace', 'BSpace', 'BSpace', 'w', 'e', 'b', 'Enter');
    await t.answer(/Command that runs web/, 'text:bin/web --port 8080', 'Enter');
    await t.answer(/Port web listens on/, 'Enter');
    await t.answer(/Add another process\?/, 'y');
    await t.answer(/Process 2: name/, 'text:jobs', 'Enter');
    await t.answer(/Command that runs jobs/, 'text:bin/jobs --queue $QUEUE', 'Enter');
    await t.waitFor(/uses `\$` expansion: it will run under sh -c/);
    await t.answer(/Port jobs listens on/, 'Enter');
    await t.answer(/Add another process\? .*›/, 'n');
    await t.answer(/scale and restart separately/, 'n');
    await t.answer(/restarted on its own/, 'n');
    await t.answer(/How should the processes run\?/, 'Enter');
    await t.answer(/Fly app name/, 'Enter');
    await t.answer(/Primary region/, 'Enter');
    await t.answer(/Write 5 files\?/, 'y');
    const screen = await t.waitFor(/EXIT=\d+/);
    expect(screen).toContain('EXIT=0');
    const entry = readFileSync(path.join(dir, 'entrypoint.sh'), 'utf8');
    expect(entry).toContain('start web -- bin/web --port 8080');
    expect(entry).toContain(`start jobs -- sh -c 'exec bin/jobs --queue $QUEUE'`);
  });

  // prompts redraws its validation message by erasing the rows it thinks it drew: a message wider
  // than the terminal used to leave a copy on every keystroke, and stay after the answer was fixed.
  it.each([80, 120])(
    'a long validation error at %i columns: one row, redrawn in place, gone once fixed',
    async (columns) => {
      const dir = tempDir();
      writeFileSync(path.join(dir, 'main.go'), 'package main\n');
      const t = terminal('', dir, {}, { columns, rows: 30 });
      await t.answer(/Process 1: name/, 'BSpace', 'BSpace', 'BSpace', 'text:web server', 'Enter');
      const errorRow = (rows: string[]) => rows.filter((r) => r.includes('a name must'));
      let rows = await t.settle((r) => errorRow(r).length > 0, 'the validation error');
      // Typing redraws the prompt: still exactly one error row, right under the prompt, and no row
      // of the screen is a wrapped continuation of it.
      t.keys('text:x');
      rows = await t.settle(
        (r) => r.some((row) => row.includes('Process 1: name') && row.includes('web serverx')),
        'the typed x',
      );
      t.keys('BSpace');
      rows = await t.settle((r) => r.some((row) => /Process 1: name.*web server$/.test(row)), 'the x erased');
      expect(errorRow(rows), rows.join('\n')).toHaveLength(1);
      const prompt = rows.findIndex((r) => r.includes('Process 1: name'));
      expect(rows[prompt + 1]).toBe(errorRow(rows)[0]);
      expect(rows.length, rows.join('\n')).toBe(prompt + 2);
      // The wizard's own lines are wrapped to the width too: no row fills it (a sign of a wrapped line).
      for (const row of rows.slice(0, prompt)) expect([...row].length, row).toBeLessThan(columns);
      // At 120 columns the rule fits whole (without the explanation in parentheses and the answer,
      // which is on the prompt row); at 80 it is cut at a word and marked.
      expect(errorRow(rows)[0]).toBe(
        columns === 120
          ? '› a name must start with a lowercase letter, then up to 62 lowercase letters, digits, "_" or "-"'
          : '› a name must start with a lowercase letter, then up to 62 lowercase letters…',
      );
      // The header above the prompt is intact (prompts' clearing used to erase upwards).
      expect(rows.some((r) => r.includes('Detected in'))).toBe(true);

      // Fixed: the error row goes away, and the next question follows the answered one.
      t.keys(...Array(10).fill('BSpace'), 'text:web', 'Enter');
      rows = await t.settle((r) => r.some((row) => row.includes('Command that runs web')), 'the next question');
      expect(errorRow(rows), rows.join('\n')).toEqual([]);
      const answered = rows.findIndex((r) => /Process 1: name … web$/.test(r));
      expect(answered, rows.join('\n')).toBeGreaterThan(-1);
      expect(rows[answered + 1]).toContain('Command that runs web');
      t.keys('C-c');
      expect(await t.waitFor(/EXIT=\d+/)).toContain('EXIT=130');
    },
  );

  it('takes Web and AMS as web and ams, says so, and the detection line matches what is written', async () => {
    const dir = tempDir();
    const t = terminal('app', dir);
    // An empty directory: the runtime is decided by the example question, and named after it.
    await t.waitFor(/Detected in .*: an empty directory/);
    await t.answer(/directory is empty\. Write the built-in example/, 'n');
    await t.waitFor(/runtime: generic \(nothing to build/);
    await t.answer(/Process 1: name/, 'BSpace', 'BSpace', 'BSpace', 'text:Web', 'Enter');
    await t.waitFor(/"Web" taken as "web": process names are lowercase/);
    await t.answer(/Command that runs web/, 'text:bin/web', 'Enter');
    await t.answer(/Port web listens on/, 'Enter');
    await t.answer(/Add another process\?/, 'n');
    await t.answer(/Fly app name/, 'Enter');
    await t.answer(/Primary region/, 'text:AMS', 'Enter');
    await t.waitFor(/"AMS" taken as "ams": Fly region codes are lowercase/);
    await t.answer(/Write \d+ files\?/, 'Enter');
    const screen = await t.waitFor(/EXIT=\d+/);
    expect(screen).toContain('EXIT=0');
    expect(screen).toContain('--region ams');
    const app = path.join(dir, 'app');
    expect(parse(readFileSync(path.join(app, 'fly.toml'), 'utf8'))).toMatchObject({
      app: 'app',
      primary_region: 'ams',
      processes: { web: 'bin/web' },
    });
    expect(readdirSync(app)).not.toContain('server.js');
    expect(readFileSync(path.join(app, 'Dockerfile'), 'utf8')).not.toMatch(/^FROM node/m);
  });

  it('the example in an empty directory: the detection line says node, and node is what is written', async () => {
    const dir = tempDir();
    const t = terminal('app', dir);
    await t.answer(/directory is empty\. Write the built-in example/, 'Enter');
    await t.waitFor(/runtime: node \(the built-in example\)/);
    expect(t.screen()).not.toMatch(/runtime: generic/);
    await t.answer(/scale and restart separately/, 'y');
    await t.answer(/How should the processes run\?/, 'Enter');
    await t.answer(/Fly app name/, 'Enter');
    await t.answer(/Primary region/, 'Enter');
    await t.answer(/Write \d+ files\?/, 'Enter');
    expect(await t.waitFor(/EXIT=\d+/)).toContain('EXIT=0');
    expect(readFileSync(path.join(dir, 'app', 'Dockerfile'), 'utf8')).toMatch(/^FROM node:/m);
  });

  it('Ctrl-C cancels: exit 130, nothing written', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'main.go'), 'package main\n');
    const before = hashTree(dir);
    const t = terminal('', dir);
    await t.answer(/Process 1: name/, 'C-c');
    const screen = await t.waitFor(/EXIT=\d+/);
    expect(screen).toContain('cancelled: nothing written');
    expect(screen).toContain('EXIT=130');
    expect(hashTree(dir)).toBe(before);
  });

  it('with CI=true it never prompts, even in a terminal', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'main.go'), 'package main\n');
    const t = terminal('', dir, { CI: 'true' });
    const screen = await t.waitFor(/EXIT=\d+/);
    expect(screen).toContain('EXIT=2');
    expect(screen).toContain('no processes given');
    expect(screen).not.toContain('Process 1: name');
  });
});

describe('without a terminal', () => {
  it('no flags: exits 2 at once with the flags to pass, instead of waiting for input', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'main.go'), 'package main\n');
    const started = Date.now();
    const r = await runCli([dir], { env: { CI: '' } });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no processes given, and no terminal to ask in');
    expect(r.stderr).toContain('--process NAME=COMMAND');
    expect(r.stderr).toContain('--yes in an empty directory');
    expect(existsSync(path.join(dir, 'fly.toml'))).toBe(false);
    // Generous bound: it must not wait for input (runCli would time out after 30 s).
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
