/**
 * `check` over real multi-process setups (test/corpus/setups, provenance and expectations in
 * index.json): each case must give exactly the expected rule ids, no more, no fewer.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../src/check/index.js';
import { cleanupTemps, hashTree, ROOT, tempDir } from './helpers.js';

const CORPUS = path.join(ROOT, 'test', 'corpus', 'setups');
interface Case {
  name: string;
  dir?: string;
  doc?: string;
  blocks?: Record<string, number[]>;
  config?: string;
  dockerfile?: string;
  source: { repo: string; commit: string; files: string[] };
  expect: string[];
}
const index = JSON.parse(readFileSync(path.join(CORPUS, 'index.json'), 'utf8')) as { cases: Case[] };

/** The code blocks of a Markdown page, in order. */
function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
}

function caseDir(c: Case): string {
  if (c.dir) return path.join(CORPUS, c.dir);
  const blocks = codeBlocks(readFileSync(path.join(CORPUS, c.doc!), 'utf8'));
  const dir = tempDir('cfm-corpus-');
  for (const [file, numbers] of Object.entries(c.blocks!)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), numbers.map((n) => blocks[n]!).join('\n'));
  }
  return dir;
}

afterAll(cleanupTemps);

describe('check over real setups', () => {
  it('the corpus has cases from several repositories plus the Fly docs recipes', () => {
    expect(index.cases.length).toBeGreaterThanOrEqual(10);
    expect(new Set(index.cases.map((c) => c.source.repo)).size).toBeGreaterThanOrEqual(6);
  });

  for (const c of index.cases) {
    it(`${c.name}: ${c.expect.length ? c.expect.join(', ') : 'nothing to flag'}`, async () => {
      const dir = caseDir(c);
      const before = hashTree(dir);
      const result = await check(dir, {
        shellcheck: false,
        ...(c.config ? { config: c.config } : {}),
        ...(c.dockerfile ? { dockerfile: c.dockerfile } : {}),
      });
      expect(result.findings.map((f) => f.rule).sort()).toEqual([...c.expect].sort());
      for (const f of result.findings) {
        expect(f.file, `${f.rule} names a file it read`).toSatisfy((file: string) => result.files.includes(file));
        if (f.line !== undefined) expect(f.line).toBeGreaterThan(0);
      }
      expect(hashTree(dir)).toBe(before); // check reads, never writes
    });
  }

  it("the files are the repositories' bytes: every file the index names exists", () => {
    for (const c of index.cases.filter((x) => x.dir)) {
      for (const f of c.source.files)
        expect(() =>
          readFileSync(path.join(CORPUS, c.dir!, c.name === 'laravel-docker' ? f.replace(/^src\//, '') : f)),
        ).not.toThrow();
    }
  });
});
