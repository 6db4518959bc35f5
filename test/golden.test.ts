import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CASES, renderCase } from './cases.js';

// Refresh after an intended template change with `npm run golden:update`, then review the diff.
const GOLDEN = path.join(import.meta.dirname, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

describe('golden files', () => {
  for (const name of Object.keys(CASES)) {
    it(name, () => {
      const { files } = renderCase(name);
      const dir = path.join(GOLDEN, name);
      if (UPDATE) {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        for (const f of files) writeFileSync(path.join(dir, f.path), f.content);
      }
      expect(files.map((f) => f.path).sort()).toEqual(readdirSync(dir).sort());
      for (const f of files) expect(f.content, `${name}/${f.path}`).toBe(readFileSync(path.join(dir, f.path), 'utf8'));
    });
  }

  it('the same inputs render byte-identical files', () => {
    for (const name of Object.keys(CASES)) expect(renderCase(name).files).toEqual(renderCase(name).files);
  });

  it('has no stale golden directories', () => {
    if (!existsSync(GOLDEN)) return;
    expect(readdirSync(GOLDEN).sort()).toEqual(Object.keys(CASES).sort());
  });
});
