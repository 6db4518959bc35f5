import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffLines, unifiedDiff } from '../src/diff.js';
import { cleanupTemps, requireTool, tempDir } from './helpers.js';

afterAll(cleanupTemps);

/** Length of the longest common subsequence, by dynamic programming: the reference for minimality. */
function lcs(a: string[], b: string[]): number {
  const row = new Array(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : Math.max(row[j], row[j - 1]);
      diagonal = above;
    }
  }
  return row[b.length];
}

/** Apply a unified diff in JS (what `patch` does), to check a diff against its texts without a tool. */
function applyUnified(oldText: string, diff: string): string {
  type Line = { text: string; newline: boolean };
  const split = (text: string): Line[] =>
    text === ''
      ? []
      : text
          .replace(/\n$/, '')
          .split('\n')
          .map((line, i, all) => ({ text: line, newline: i < all.length - 1 || text.endsWith('\n') }));
  const old = split(oldText);
  const out: Line[] = [];
  let at = 0;
  let lastKind = '';
  for (const line of diff.replace(/\n$/, '').split('\n').slice(2)) {
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(line);
    if (hunk) {
      const start = hunk[2] === '0' ? Number(hunk[1]) : Number(hunk[1]) - 1;
      while (at < start) out.push(old[at++]!);
    } else if (line === '\\ No newline at end of file') {
      if (lastKind !== '-') out[out.length - 1]!.newline = false;
    } else {
      lastKind = line[0]!;
      if (lastKind !== '+') expect(old[at++]?.text).toBe(line.slice(1));
      if (lastKind !== '-') out.push({ text: line.slice(1), newline: true });
    }
  }
  while (at < old.length) out.push(old[at++]!);
  return out.map((l) => l.text + (l.newline ? '\n' : '')).join('');
}

// A small deterministic generator: texts over a tiny alphabet have many equal lines, the hard case.
function random(seed: number) {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('diffLines (Myers)', () => {
  it('finds a shortest edit script on 2000 random pairs', () => {
    const rnd = random(42);
    for (let t = 0; t < 2000; t++) {
      const gen = () => Array.from({ length: Math.floor(rnd() * 14) }, () => 'abcd'[Math.floor(rnd() * 4)]!);
      const a = gen();
      const b = gen();
      const ops = diffLines(a, b);
      // The ops rebuild both sides...
      expect(ops.filter((o) => o.kind !== '+').map((o) => o.line)).toEqual(a);
      expect(ops.filter((o) => o.kind !== '-').map((o) => o.line)).toEqual(b);
      // ...with as few insertions and deletions as possible.
      expect(ops.filter((o) => o.kind !== ' ').length).toBe(a.length + b.length - 2 * lcs(a, b));
    }
  });

  it('handles empty sides', () => {
    expect(diffLines([], [])).toEqual([]);
    expect(diffLines([], ['x'])).toEqual([{ kind: '+', line: 'x' }]);
    expect(diffLines(['x'], [])).toEqual([{ kind: '-', line: 'x' }]);
  });
});

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', { from: 'a', to: 'b' })).toBe('');
  });

  it('prints what diff -u prints: labels, hunk headers with 3 lines of context, separate hunks for distant changes', () => {
    const oldText = `${Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n')}\n`;
    const newText = oldText
      .replace('line 2\n', 'line two\n')
      .replace('line 18\n', '')
      .replace('line 20\n', 'line 20\nline 21\n');
    expect(unifiedDiff(oldText, newText, { from: 'a/f', to: 'b/f' })).toBe(
      [
        '--- a/f',
        '+++ b/f',
        '@@ -1,5 +1,5 @@',
        ' line 1',
        '-line 2',
        '+line two',
        ' line 3',
        ' line 4',
        ' line 5',
        '@@ -15,6 +15,6 @@',
        ' line 15',
        ' line 16',
        ' line 17',
        '-line 18',
        ' line 19',
        ' line 20',
        '+line 21',
        '',
      ].join('\n'),
    );
  });

  it('numbers empty ranges like diff -u and marks a missing final newline', () => {
    expect(unifiedDiff('', 'x\n', { from: 'a', to: 'b' })).toBe('--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n');
    expect(unifiedDiff('x\n', 'x', { from: 'a', to: 'b' })).toBe(
      '--- a\n+++ b\n@@ -1 +1 @@\n-x\n+x\n\\ No newline at end of file\n',
    );
  });

  it('round-trips: applying the diff to the old text gives the new one (300 random pairs)', () => {
    const rnd = random(7);
    for (let t = 0; t < 300; t++) {
      const gen = () => {
        const n = Math.floor(rnd() * 12);
        const text = Array.from({ length: n }, () => 'abcde'[Math.floor(rnd() * 5)]!).join('\n');
        return n && rnd() < 0.7 ? `${text}\n` : text;
      };
      const a = gen();
      const b = gen();
      const diff = unifiedDiff(a, b, { from: 'a', to: 'b' });
      if (a === b) expect(diff).toBe('');
      else expect(applyUnified(a, diff)).toBe(b);
    }
  });

  it('GNU patch accepts the diffs and reproduces the new text', () => {
    if (!requireTool('patch', 'patch')) return;
    const dir = tempDir();
    const rnd = random(99);
    for (let t = 0; t < 60; t++) {
      const gen = () => {
        const n = Math.floor(rnd() * 15);
        const text = Array.from({ length: n }, () => 'abc'[Math.floor(rnd() * 3)]!).join('\n');
        return n && rnd() < 0.8 ? `${text}\n` : text;
      };
      const a = gen();
      const b = gen();
      if (a === b) continue;
      const file = path.join(dir, 'f');
      writeFileSync(file, a);
      writeFileSync(path.join(dir, 'p'), unifiedDiff(a, b, { from: 'a/f', to: 'b/f' }));
      execFileSync('patch', ['-s', '-u', file, path.join(dir, 'p')]);
      expect(readFileSync(file, 'utf8')).toBe(b);
    }
  });
});
