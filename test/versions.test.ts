/**
 * Versions as projects write them map to image tags that exist: the release lines each official
 * image publishes for Debian bookworm (BOOKWORM_LINES, sourced in src/runtimes.ts). Every mapping
 * below ends in the table, and every FROM the Dockerfile writes is one of the table's tags.
 */
import { describe, expect, it } from 'vitest';
import { detect } from '../src/detect.js';
import { plan } from '../src/plan.js';
import { BOOKWORM_LINES, imageLine, RUNTIME_INFO } from '../src/runtimes.js';
import type { Runtime } from '../src/types.js';
import { projectWith } from './helpers.js';
import { tabledImages } from './tag-table.js';

type Tabled = keyof typeof BOOKWORM_LINES;
const RUNTIMES = Object.keys(BOOKWORM_LINES) as Tabled[];

describe('BOOKWORM_LINES', () => {
  it.each(RUNTIMES)('%s: the default is a line of the table, and the lines are sorted and distinct', (runtime) => {
    const lines = BOOKWORM_LINES[runtime] as readonly string[];
    expect(lines).toContain(RUNTIME_INFO[runtime].defaultVersion);
    expect(new Set(lines).size).toBe(lines.length);
    const key = (v: string) =>
      v
        .split('.')
        .map((n) => n.padStart(4, '0'))
        .join('.');
    expect([...lines].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...lines]);
  });

  it.each(RUNTIMES)(
    '%s: each line, and each line with a pinned patch, maps to that line (the patch with a note)',
    (runtime) => {
      for (const line of BOOKWORM_LINES[runtime]) {
        expect(imageLine(runtime, line, 'f')).toEqual({ line });
        const pinned = runtime === 'node' ? `${line}.11.1` : `${line}.7`;
        const r = imageLine(runtime, pinned, 'f');
        expect(r.line).toBe(line);
        expect(r.note).toContain(`building with ${RUNTIME_INFO[runtime].label} ${line}`);
      }
    },
  );
});

describe('imageLine: versions as real projects write them', () => {
  it.each<[Runtime, string, string, RegExp | undefined]>([
    // Heroku runtime.txt and .python-version pin a patch that was never published for bookworm.
    ['python', 'python-3.9.12', '3.9', /asks for Python "python-3.9.12".*building with Python 3.9/],
    ['python', '3.8.10', '3.8', /3.8.10 was never published/],
    ['go', '1.20.3', '1.20', /building with Go 1.20/],
    ['ruby', 'ruby-3.2.2', '3.2', /building with Ruby 3.2/],
    ['node', '20.11.1', '20', /building with Node.js 20/],
    // Poetry / PEP 440 / semver ranges: the default if it satisfies, else the newest that does.
    ['python', '^3.13', '3.14', undefined],
    ['python', '~=3.11', '3.12', undefined],
    ['python', '>=3.10,<3.13', '3.12', undefined],
    ['python', '>=3.9,<3.12', '3.11', undefined],
    ['python', '~=3.11.4', '3.11', undefined],
    ['python', '>=3.8', '3.12', undefined],
    ['python', '==3.10.*', '3.10', undefined],
    ['node', '>=18', '22', undefined],
    ['node', '^18 || ^20', '20', undefined],
    ['node', '18.x', '18', undefined],
    ['node', 'lts/iron', '20', undefined],
    ['node', 'lts/*', '22', undefined],
    ['ruby', '~> 3.1.0', '3.1', undefined],
    ['ruby', '>= 3.0', '3.3', undefined],
    ['rust', '>=1.85', '1.91', undefined], // Cargo.toml rust-version: the newest stable builds it
    // Channels.
    ['rust', 'stable', '1.83', undefined],
    ['rust', 'nightly', '1.83', /publish stable releases only; building with stable 1.83/],
    ['rust', 'nightly-2023-12-03', '1.83', /nightly-2023-12-03/],
    ['rust', 'beta', '1.83', /stable releases only/],
    ['rust', '1.75.0', '1.75', /building with Rust 1.75/],
    // Nothing with bookworm images: the default, said.
    ['python', '2.7', '3.12', /older than the oldest with Debian bookworm images \(3.8\)/],
    ['go', '1.16', '1.23', /older than the oldest/],
    ['python', 'pypy3.10', '3.12', /names no version/],
    ['python', '3.15', '3.14', /newer than the newest/],
    ['python', '<3.8', '3.12', /no Python line with Debian bookworm images \(3.8 to 3.14\) satisfies it/],
  ])('%s %s -> %s', (runtime, raw, line, note) => {
    const r = imageLine(runtime, raw, 'f');
    expect(r.line).toBe(line);
    if (note) expect(r.note).toMatch(note);
    else expect(r.note).toBeUndefined();
    expect(BOOKWORM_LINES[runtime as Tabled]).toContain(r.line);
  });
});

describe('the Dockerfile FROMs are tags of the table', () => {
  it.each<[string, Record<string, string>]>([
    ['runtime.txt python-3.9.12', { 'requirements.txt': 'flask\n', 'runtime.txt': 'python-3.9.12\n' }],
    [
      'Poetry ^3.13',
      {
        'pyproject.toml': '[tool.poetry]\nname = "x"\n\n[tool.poetry.dependencies]\npython = "^3.13"\n',
        'poetry.lock': '',
      },
    ],
    ['go.mod 1.20.3', { 'go.mod': 'module example.com/x\n\ngo 1.20.3\n', 'main.go': 'package main\nfunc main() {}\n' }],
    [
      'rust nightly-2023-12-03',
      {
        'Cargo.toml': '[package]\nname = "x"\nversion = "0.1.0"\n',
        'rust-toolchain.toml': '[toolchain]\nchannel = "nightly-2023-12-03"\n',
      },
    ],
    ['.ruby-version 3.1.4', { Gemfile: 'source "https://rubygems.org"\n', '.ruby-version': '3.1.4\n' }],
    ['.nvmrc 18.17.0', { 'package.json': '{"name":"x"}', '.nvmrc': '18.17.0\n' }],
  ])('%s', (_name, files) => {
    const dir = projectWith(files);
    const p = plan({ dir, yes: true, processes: ['web=x'] }, detect(dir));
    const images = tabledImages();
    for (const image of [p.build.image, p.baseImage].filter((i): i is string => i !== undefined))
      expect(images, image).toContain(image);
  });
});

describe('the image suite has a stand-in for every default image (test-image/standins/IMAGES)', () => {
  it("each runtime's default build and final images are tagged by a stand-in recipe", async () => {
    const { readFileSync } = await import('node:fs');
    const tagged = new Set(
      readFileSync(new URL('../test-image/standins/IMAGES', import.meta.url), 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'))
        .flatMap((l) => l.trim().split(/\s+/).slice(1))
        .map((t) => t.replace(/^docker\.io\/(library\/)?/, '')),
    );
    for (const [runtime, info] of Object.entries(RUNTIME_INFO)) {
      const v = info.defaultVersion;
      for (const image of [v && info.buildImage?.(v), info.runImage(v)]) {
        if (!image || image === 'debian:bookworm-slim') continue; // imported by oci-setup.sh
        expect(tagged.has(image), `${runtime}: ${image} has no stand-in in test-image/standins/IMAGES`).toBe(true);
      }
    }
  });
});
