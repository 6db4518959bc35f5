/**
 * The last line of `npm test` when a Debian tool was missing: which tools, how many tests were
 * skipped, and the exact command that installs them. test/helpers.ts requireTool() appends each
 * missing tool to the file this reporter names in $CFM_MISSING_TOOLS (the test workers are forked
 * from this process after onInit, so they inherit it).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export default class MissingToolsReporter implements Reporter {
  private dir = '';

  onInit(): void {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'cfm-missing-tools-'));
    process.env.CFM_MISSING_TOOLS = path.join(this.dir, 'missing');
  }

  private line = '';

  // Counted here, printed in onFinished: the default reporter prints its summary there, and this
  // line comes after it.
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let recorded = '';
    try {
      recorded = readFileSync(path.join(this.dir, 'missing'), 'utf8');
    } catch {
      // nothing missing
    }
    rmSync(this.dir, { recursive: true, force: true });
    const missing = new Map<string, string>(); // tool -> Debian package
    for (const line of recorded.split('\n').filter(Boolean)) {
      const [tool, pkg] = line.split(' ');
      missing.set(tool!, pkg!);
    }
    if (missing.size === 0) return;
    let skipped = 0;
    for (const m of modules) skipped += [...m.children.allTests('skipped')].length;
    const packages = [...new Set(missing.values())].sort();
    const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
    const tools = [...missing].map(([tool, pkg]) => (tool === pkg ? tool : `${tool} (${pkg})`)).join(', ');
    this.line = `\nNot run for want of ${tools}: ${skipped} test${skipped === 1 ? '' : 's'} skipped. To run them: ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${packages.join(' ')}\n`;
  }

  onFinished(): void {
    if (this.line) process.stdout.write(this.line);
    this.line = '';
  }
}
