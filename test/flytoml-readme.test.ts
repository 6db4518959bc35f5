/**
 * The README's fly.toml section and the code say the same thing: the owned keys listed there are the
 * owned-key table of src/flytoml.ts. The behaviour behind each of its other sentences is tested in
 * test/flytoml.test.ts (adoption, flyctl's reading, three-way merge), test/flytoml-cli.test.ts
 * (--force, --skip, exit 2, warnings on every run) and test/flytoml-corpus.test.ts (31 real files).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWNED } from '../src/flytoml.js';
import { ROOT } from './helpers.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(
  readme.indexOf('**fly.toml is merged, not replaced.**'),
  readme.indexOf('**Switching strategy**'),
);
const codes = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe('README: what fly.toml keys this tool owns', () => {
  it('the top-level keys listed are the owned ones', () => {
    const line = /- at the top: ([^\n]+)/.exec(section)?.[1] ?? '';
    expect(codes(line)).toEqual([...OWNED.top]);
  });

  it('the service keys listed are the owned ones, auto_stop_machines only where a one-Machine strategy needs it off', () => {
    const bullet = section.slice(
      section.indexOf('- for each process with a port'),
      section.indexOf('- the `[[restart]]`'),
    );
    expect(codes(bullet).filter((c) => (OWNED.service as readonly string[]).includes(c))).toEqual([...OWNED.service]);
    expect(bullet).toContain('only where a one-Machine strategy needs it `"off"`');
  });

  it('the [[statics]] keys listed are the owned ones', () => {
    const bullet = section.slice(
      section.indexOf('- each `[[statics]]` entry'),
      section.indexOf('Your own `[http_service]`'),
    );
    expect(codes(bullet).filter((c) => (OWNED.statics as readonly string[]).includes(c))).toEqual([...OWNED.statics]);
    expect(bullet).toContain('known by its `url_prefix`');
  });

  it('says what --force does and does not do', () => {
    expect(section).toContain("*overwrite*\n(`--force`) takes this run's value for those keys only");
    expect(section).toContain('`--force` never replaces the whole file');
    expect(section).toContain('`--skip` keeps your fly.toml as it is and writes the rest');
  });
});
