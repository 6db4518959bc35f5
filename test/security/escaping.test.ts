// The smaller escaping points of issue 12, each checked against its real reader: supervisord's own
// config parser for Python-isspace() comment starts, bash for the $'...' form of printed paths.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detect } from '../../src/detect.js';
import { printable, shellWordForDisplay, supervisorCommand, supervisorValue } from '../../src/escape.js';
import { plan } from '../../src/plan.js';
import { extraNameProblem } from '../../src/render.js';
import { nextSteps } from '../../src/report.js';
import { fixture, project } from '../behaviour/harness.js';
import { cleanupTemps, requireTool } from '../helpers.js';

afterAll(cleanupTemps);

/** Every character Python's str.isspace() accepts (python3 -c "[c for c in range(0x110000) if chr(c).isspace()]"), minus the line breaks plan rejects. */
const PY_SPACES = [
  0x09, 0x0b, 0x0c, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2005, 0x200a, 0x2028, 0x2029, 0x202f,
  0x205f, 0x3000,
].map((c) => String.fromCodePoint(c));

describe('supervisord inline comments follow Python isspace()', () => {
  it('escapes ; and # after every isspace() character, and refuses a raw one in other values', () => {
    for (const space of PY_SPACES) {
      const cmd = supervisorCommand(['sh', '-c', `echo a${space};echo b${space}#c`]);
      expect(cmd, JSON.stringify(space)).not.toMatch(
        new RegExp(`${space.replace(/[\t\v\f ]/, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}[;#]`),
      );
      expect(() => supervisorValue(`x${space};y`), JSON.stringify(space)).toThrow(/inline comment/);
    }
  });

  const hasSupervisord = requireTool('supervisord', 'supervisor');
  it.skipIf(!hasSupervisord)("supervisord's own parser reads back each command whole", async () => {
    const processes = PY_SPACES.filter((s) => s !== '\t' && s !== ' ').map(
      (space, i) => `p${i}=printf %s a${space};b${space}#c`,
    );
    const dir = await project('supervisord', processes);
    const p = plan({ dir, strategy: 'supervisord', processes, killTimeout: '5', yes: true }, detect(dir));
    const parsed = JSON.parse(
      execFileSync('/usr/bin/python3', [fixture('supervisor_parse.py'), path.join(dir, 'supervisor.conf')], {
        encoding: 'utf8',
        env: { ...process.env, SUPERVISOR_RUN_DIR: '/tmp', PYTHONDONTWRITEBYTECODE: '1' },
        timeout: 20_000,
      }),
    ) as { kind: string; name: string; argv: string[] }[];
    const programs = parsed.filter((x) => x.kind === 'ProcessGroupConfig');
    expect(programs.length).toBe(processes.length);
    for (const [i, proc] of p.processes.entries()) expect(programs[i]!.argv, proc.name).toEqual(proc.argv);
    // And the argv still holds the ;/# part: nothing was cut as a comment.
    for (const proc of p.processes) expect(proc.argv.join(' ')).toMatch(/;(exec )?b[^]#c/u); // the last step is exec'd
  });
});

describe('printed paths and output', () => {
  it('a directory with a newline or escape is shown as a $-string bash reads back exactly', () => {
    for (const dir of ['new\nline', 'tab\there', 'esc\x1b[31mred', "quote'and\\back\nslash", 'c1\x85x']) {
      const word = shellWordForDisplay(dir);
      // eslint-disable-next-line no-control-regex
      expect(word).not.toMatch(/[\x00-\x1f\x7f\x85]/);
      expect(execFileSync('bash', ['-c', `printf %s ${word}`], { encoding: 'utf8' })).toBe(dir);
    }
    expect(shellWordForDisplay('plain/dir')).toBe('plain/dir');
    expect(shellWordForDisplay('my app')).toBe("'my app'");
  });

  it('`cd DIR` in the next steps is quoted', () => {
    const p = { strategy: 'bash', processes: [] } as unknown as Parameters<typeof nextSteps>[0];
    expect(nextSteps(p, 'my app; rm -rf ~')[0]).toBe("cd 'my app; rm -rf ~'");
    expect(nextSteps(p, 'a\nb')[0]).toBe("cd $'a\\nb'");
  });

  it('printable() shows control characters instead of sending them', () => {
    expect(printable('a\x1b]0;title\x07b\rc\x9bd')).toBe('a\\x1b]0;title\\x07b\\x0dc\\x9bd');
    expect(printable('tab\tand\nnewline stay')).toBe('tab\tand\nnewline stay');
  });
});

describe('names of files written by extra templates', () => {
  it('accepts plain names and rejects what a Dockerfile shell line or the tool itself cannot take', () => {
    for (const ok of ['nginx.conf', 'bin/start.sh', 'conf.d/x_y-z.conf', '.env.example'])
      expect(extraNameProblem(ok), ok).toBeUndefined();
    for (const bad of [
      'a b.sh',
      '&amp.sh',
      '-rf',
      'x$(id)',
      "it's",
      'a;b',
      'bin/-x.sh',
      'fly-multiproc.json',
      '.fly-multiproc.pending',
      '.fly-multiproc.lock',
      'ü.conf',
    ]) {
      expect(extraNameProblem(bad), bad).toBeDefined();
    }
  });
});
