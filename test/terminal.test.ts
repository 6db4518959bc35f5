import prompts from 'prompts';
import { describe, expect, it } from 'vitest';
import { fitLine, wrapText } from '../src/terminal.js';
import { checkApp, checkName, checkRegion } from '../src/validate.js';
import { lowercaseSlip, wizard } from '../src/wizard.js';
import type { Project } from '../src/types.js';

const nameError = checkName('web server')!;

describe('fitLine: one row for prompts validation message', () => {
  it('keeps a message that fits, as it is', () => {
    expect(fitLine('the port must be a whole number from 1 to 65535', 80)).toBe(
      'the port must be a whole number from 1 to 65535',
    );
  });

  it('drops the explanation in parentheses, then the quoted answer, then words, and never exceeds the width', () => {
    for (const columns of [40, 60, 80, 100, 120, 160, 250]) {
      const line = fitLine(nameError, columns);
      expect([...line].length + 2, `${columns}: ${line}`).toBeLessThanOrEqual(columns);
      expect(line).not.toContain('\n');
    }
    expect(fitLine(nameError, 250)).toBe(nameError);
    expect(fitLine(nameError, 160)).toBe(
      'invalid name "web server": a name must start with a lowercase letter, then up to 62 lowercase letters, digits, "_" or "-"',
    );
    expect(fitLine(nameError, 120)).toBe(
      'a name must start with a lowercase letter, then up to 62 lowercase letters, digits, "_" or "-"',
    );
    expect(fitLine(nameError, 80)).toBe('a name must start with a lowercase letter, then up to 62 lowercase letters…');
  });

  it('puts a message with newlines on one line, and leaves it alone without a known width', () => {
    expect(fitLine('one\n  two', 80)).toBe('one two');
    expect(fitLine(nameError, undefined)).toBe(nameError);
    expect(fitLine(nameError, 0)).toBe(nameError);
  });
});

describe('wrapText: the wizard own lines', () => {
  it('wraps at spaces below the width, continuation lines indented', () => {
    const text = wrapText(`✖ ${nameError}`, 80);
    const lines = text.split('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect([...line].length).toBeLessThan(80);
    for (const line of lines.slice(1)) expect(line.startsWith('  ')).toBe(true);
    expect(text.replace(/\n {2}/g, ' ')).toBe(`✖ ${nameError}`);
  });

  it('cuts a word longer than a line, and leaves text alone without a known width', () => {
    const long = `Detected in /${'x'.repeat(150)}: an empty directory`;
    for (const line of wrapText(long, 60).split('\n')) expect([...line].length).toBeLessThan(60);
    expect(wrapText(long, 60).replace(/\s+/g, '')).toBe(long.replace(/\s+/g, ''));
    expect(wrapText(long, undefined)).toBe(long);
  });
});

describe('lowercaseSlip', () => {
  it('lowercases only what fails because of capitals', () => {
    const region = lowercaseSlip((v) => checkRegion(v.trim()), 'why');
    expect(region.apply('AMS')).toBe('ams');
    expect(region.apply(' Iad ')).toBe('iad');
    expect(region.apply('ams')).toBe('ams');
    expect(region.apply('AMSTERDAM')).toBe('AMSTERDAM');
    const name = lowercaseSlip((v) => checkName(v.trim(), new Set(['web'])), 'why');
    expect(name.apply('Worker')).toBe('worker');
    expect(name.apply('Web')).toBe('Web'); // "web" is taken: the error says so instead
    expect(name.apply('Web Server')).toBe('Web Server');
    expect(lowercaseSlip((v) => checkApp(v.trim()), 'why').apply('My-App')).toBe('my-app');
  });
});

describe('wizard: case slips and the detection line (answers injected)', () => {
  const base: Project = {
    dir: '/work/shop',
    exists: true,
    empty: false,
    runtime: 'generic',
    packageJson: false,
    npmLock: false,
  };
  const output = () => {
    const chunks: string[] = [];
    return { write: (s: string) => chunks.push(s), text: () => chunks.join('') };
  };

  it('takes Web, My-App and AMS as web, my-app and ams, with a note for each', async () => {
    prompts.inject(['Web', 'bin/web', '8080', false, 'My-App', 'AMS']);
    const out = output();
    const answers = await wizard({ dir: base.dir }, base, [], out);
    expect(answers).toMatchObject({ processes: ['web=bin/web'], ports: ['web=8080'], app: 'my-app', region: 'ams' });
    expect(out.text()).toContain('"Web" taken as "web": process names are lowercase');
    expect(out.text()).toContain('"My-App" taken as "my-app": Fly app names are lowercase');
    expect(out.text()).toContain('"AMS" taken as "ams": Fly region codes are lowercase');
    expect(out.text()).not.toContain('✖');
  });

  it('names the runtime that will be built: --runtime, the example (node), or the detected one', async () => {
    const empty: Project = { ...base, empty: true };
    prompts.inject([true, false, false, 'bash', 'hello', '']);
    let out = output();
    await wizard({ dir: empty.dir }, empty, [], out);
    expect(out.text()).toContain('Detected in /work/shop: an empty directory');
    expect(out.text()).toContain('runtime: node (the built-in example)');
    expect(out.text()).not.toContain('runtime: generic');

    prompts.inject(['x', '']);
    out = output();
    await wizard({ dir: base.dir, processes: ['web=bin/web'], strategy: 'bash', runtime: 'python' }, base, [], out);
    expect(out.text()).toContain('runtime: python (--runtime)');

    const go: Project = {
      ...base,
      runtime: 'go',
      runtimes: { go: { runtime: 'go', evidence: ['go.mod'] } },
    } as Project;
    prompts.inject(['x', '']);
    out = output();
    await wizard({ dir: base.dir, processes: ['web=/app/bin/web'], strategy: 'bash' }, go, [], out);
    expect(out.text()).toContain('runtime: go (go.mod)');
  });
});
