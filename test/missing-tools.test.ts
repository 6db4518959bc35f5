/**
 * `npm test` on a machine without some Debian tools: the run passes, skips what needs them, and its
 * last line names them with the exact apt-get command (test/missing-tools-reporter.ts).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT } from './helpers.js';

const config = path.join(ROOT, 'test', 'fixtures', 'missing-tools', 'vitest.config.ts');
const vitest = (env: Record<string, string>) =>
  execa(path.join(ROOT, 'node_modules', '.bin', 'vitest'), ['run', '--config', config], {
    cwd: ROOT,
    env: { CI: '', NO_COLOR: '1', ...env },
    reject: false,
    timeout: 120_000,
  });

describe('the summary line of skipped suites', () => {
  it('names the missing tools, the number of skipped tests and the apt-get line, as the last line', async () => {
    const run = await vitest({ CFM_PRETEND_MISSING: 'supervisord,foreman' });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
    expect(lines.at(-1)).toBe(
      `Not run for want of supervisord (supervisor), foreman (ruby-foreman): 3 tests skipped. To run them: ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ruby-foreman supervisor`,
    );
    expect(run.stdout).toMatch(/1 passed \| 3 skipped/);
  }, 120_000);

  it('says nothing when every tool is there', async () => {
    const run = await vitest({ CFM_PRETEND_MISSING: '' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).not.toContain('Not run for want of');
    expect(run.stdout).toMatch(/4 passed/);
  }, 120_000);
});
