/**
 * Every strategy: shellcheck finds nothing in any generated shell script, and generating twice
 * with the same inputs gives byte-identical files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTemps, generate, hashTree, requireTool, tempDir } from '../helpers.js';

afterAll(cleanupTemps);

const hasShellcheck = requireTool('shellcheck', 'shellcheck');

/** Inputs that exercise every escaping path. */
const PROCESSES = [
  'web=bin/server --port 8080 --bind 0.0.0.0',
  `pct=python3 -c 'print("100% done, %(ENV_HOME)s")'`,
  `quotes=printf '%s\\n' "it's" 'say "hi"' back\\\\slash`,
  `semi=sh -c 'echo one ; echo two # not a comment'`,
  'var=bin/server --port $PORT',
  'list=echo "$HOME" ; exec bin/worker # trailing',
  'env=FOO=bar bin/worker',
  'glob=ls *.txt',
];
const PORTS = ['web=8080'];

const VARIANTS = [
  { strategy: 'process-groups' },
  { strategy: 'bash' },
  { strategy: 'supervisord' },
  { strategy: 'procfile', procfileManager: 'overmind' },
  { strategy: 'procfile', procfileManager: 'hivemind' },
] as const;
const label = (v: (typeof VARIANTS)[number]) =>
  'procfileManager' in v ? `${v.strategy} (${v.procfileManager})` : v.strategy;

async function gen(v: (typeof VARIANTS)[number]): Promise<string> {
  const dir = path.join(tempDir('cfm-files-'), 'app');
  await generate(dir, { ...v, processes: PROCESSES, ports: PORTS, killTimeout: '7', yes: true });
  return dir;
}

function files(dir: string): Map<string, { mode: number; content: Buffer }> {
  const out = new Map<string, { mode: number; content: Buffer }>();
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const full = path.join(dir, name);
    const info = statSync(full);
    if (info.isFile()) out.set(name, { mode: info.mode, content: readFileSync(full) });
  }
  return out;
}

describe.skipIf(!hasShellcheck)('shellcheck', () => {
  it.each(VARIANTS.map((v) => [label(v), v] as const))('%s: every generated .sh file is clean', async (_, v) => {
    const dir = await gen(v);
    const scripts = [...files(dir).keys()].filter((f) => f.endsWith('.sh'));
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      const result = await execa('shellcheck', ['--norc', '--severity=style', '--external-sources', script], {
        cwd: dir,
        reject: false,
        timeout: 30_000,
      });
      expect(`${result.stdout}${result.stderr}`, `shellcheck ${script}`).toBe('');
      expect(result.exitCode).toBe(0);
    }
  });
});

describe('deterministic output', () => {
  it.each(VARIANTS.map((v) => [label(v), v] as const))(
    '%s: the same inputs give byte-identical files',
    async (_, v) => {
      const a = await gen(v);
      const b = await gen(v);
      const fa = files(a);
      const fb = files(b);
      expect([...fb.keys()].sort()).toEqual([...fa.keys()].sort());
      for (const [name, { mode, content }] of fa) {
        expect(fb.get(name)!.mode, `mode of ${name}`).toBe(mode);
        expect(fb.get(name)!.content.equals(content), `content of ${name}`).toBe(true);
      }
      // ...and generating again over the first copy changes nothing on disk.
      const before = hashTree(a);
      await generate(a, { ...v, processes: PROCESSES, ports: PORTS, killTimeout: '7', yes: true });
      expect(hashTree(a)).toBe(before);
    },
  );
});
