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
  constructor(command: string, cwd: string, env: Record<string, string> = {}) {
    const exports = Object.entries(env).map(([k, v]) => `${k}=${v} `).join('');
    // The exit status is printed, then the pane stays open so the test can read it.
    const script = `cd ${JSON.stringify(cwd)} && ${exports}${command}; echo "EXIT=$?"; sleep 60`;
    this.tmux('new-session', '-d', '-s', 'main', '-x', '160', '-y', '60', script);
  }
  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'main');
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
function terminal(args: string, cwd: string, env: Record<string, string> = {}) {
  // A person at a terminal: CI from the test run's environment must not leak in (CI=true never prompts).
  const t = new Terminal(`node ${BIN} ${args}`, cwd, { CI: '', ...env });
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
    expect(readdirSync(app).sort()).toEqual(['.dockerignore', 'Dockerfile', 'entrypoint.sh', 'fly-multiproc.json', 'fly.toml', 'server.js', 'supervisor-fail-fast.sh', 'supervisor.conf']);
    const toml = parse(readFileSync(path.join(app, 'fly.toml'), 'utf8')) as Record<string, unknown>;
    expect(toml).toMatchObject({ app: 'app', primary_region: 'ams' });
  });

  it('explains an invalid answer under the prompt and takes the corrected one', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'main.go'), 'package main\n');
    const t = terminal('', dir);
    await t.answer(/Process 1: name/, 'W', 'e', 'b', 'Enter');
    await t.waitFor(/invalid name "Web": a name must start with a lowercase letter/);
    t.keys('BSpace', 'BSpace', 'BSpace', 'w', 'e', 'b', 'Enter');
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
