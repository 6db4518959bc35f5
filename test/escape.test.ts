import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { procfileLine, shellJoin, shellQuote, supervisorCommand, tomlKey, tomlString } from '../src/escape.js';
import { splitWords } from '../src/shell-words.js';

const NASTY = [
  'plain',
  '',
  'two words',
  "it's",
  '"double"',
  '$HOME',
  '`id`',
  'a\\b',
  '100%',
  'semi ;colon',
  'hash #tag',
  '#start',
  ';start',
  'tab\there',
  'ünïcode',
  "'",
  '*',
];

describe('shellQuote', () => {
  it('round-trips every word through a real bash', () => {
    const script = `for a in ${shellJoin(NASTY)}; do printf '%s\\0' "$a"; done`;
    const out = execFileSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(NASTY);
  });
  it('leaves safe words bare', () => {
    expect(shellQuote('bin/server')).toBe('bin/server');
    expect(shellQuote('--port=8080')).toBe('--port=8080');
    expect(shellQuote('a b')).toBe("'a b'");
  });
  it('refuses newlines', () => {
    expect(() => shellQuote('a\nb')).toThrow(/newline/);
  });
});

describe('splitWords', () => {
  it('splits like sh', () => {
    expect(splitWords(`a 'b c' "d \\"e\\"" f\\ g`)).toEqual({
      words: ['a', 'b c', 'd "e"', 'f g'],
      compound: false,
      needsShell: undefined,
      execAt: 0,
    });
  });
  it('agrees with bash on quoted words', () => {
    const command = `x 'a  b' "c'd" e\\'f "g\\\\h"`;
    const out = execFileSync('bash', ['-c', `for a in ${command}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
    const split = splitWords(command);
    expect('words' in split && split.words).toEqual(out.split('\0').slice(0, -1));
  });
  it.each([
    ['echo $HOME', /`\$` expansion/, false],
    ['echo "$HOME"', /`\$` expansion/, false],
    ['a | b', /operator `\|`/, true],
    ['a && b', /operator `&&`/, false],
    ['a > log', /operator `>`/, false],
    ['ls *.txt', /glob/, false],
    ['FOO=1 bin/x', /environment prefix/, false],
    ['x #comment', /comment/, false],
    ['a || b', /operator `\|\|`/, true],
  ])('%s needs a shell', (command, reason, compound) => {
    const split = splitWords(command);
    expect('words' in split && split.needsShell).toMatch(reason);
    expect('words' in split && split.compound).toBe(compound);
  });
  it("does not flag quoted '$' or 'a#b'", () => {
    expect(splitWords(`echo '$HOME' a#b 'x|y'`)).toMatchObject({ needsShell: undefined });
  });
});

describe('toml', () => {
  it('round-trips strings through a TOML parser', () => {
    for (const value of [...NASTY, 'ctl\u0001\u007f', 'back\\slash']) {
      expect(parse(`k = ${tomlString(value)}`)).toEqual({ k: value });
    }
  });
  it('quotes keys only when needed', () => {
    expect(tomlKey('bar_web')).toBe('bar_web');
    expect(tomlKey('a.b')).toBe('"a.b"');
    expect(parse(`${tomlKey('a.b')} = 1`)).toEqual({ 'a.b': 1 });
  });
});

describe('supervisorCommand', () => {
  it('doubles % and keeps ; and # away from whitespace', () => {
    expect(supervisorCommand(['sh', '-c', 'echo 100% done'])).toBe("sh -c 'echo 100%% done'");
    const cmd = supervisorCommand(['sh', '-c', 'echo one ; echo two # three']);
    expect(cmd).not.toMatch(/\s[;#]/);
    expect(cmd).toBe(`sh -c 'echo one '\\;' echo two '\\#' three'`);
  });
});

describe('procfileLine', () => {
  it('writes name, colon, one space, command', () => {
    expect(procfileLine('web', 'bin/server -p $PORT')).toBe('web: bin/server -p $PORT');
    expect(() => procfileLine('web', 'a\nb')).toThrow();
    expect(() => procfileLine('a b', 'x')).toThrow();
  });
});

describe('splitWords and explicit shells', () => {
  it('leaves sh -c "... $VAR" alone: the inner shell expands it', () => {
    expect(splitWords('sh -c "exec bin/worker $QUEUE"')).toMatchObject({
      words: ['sh', '-c', 'exec bin/worker $QUEUE'],
      needsShell: undefined,
    });
    expect(splitWords('/bin/bash -lc "echo `date`"')).toMatchObject({ needsShell: undefined });
    expect(splitWords('echo "$HOME"')).toMatchObject({ needsShell: '`$` expansion' });
  });
});
