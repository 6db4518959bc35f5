/**
 * The corpus of real Procfiles and manifests (test/corpus/procfiles, index.json for provenance and
 * expectations), each generated under every strategy. Expectations are a Fly engineer's, not the
 * tool's output: the web process is public on the port it listens on with PORT set where it reads
 * it, release is fly.toml's [deploy] release_command, every command is exec'd (only lists run
 * without), every FROM is a tag of BOOKWORM_LINES, and compiled programs are found on PATH.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { detect } from '../src/detect.js';
import { UsageError } from '../src/errors.js';
import { plan } from '../src/plan.js';
import { render } from '../src/render.js';
import { noPublicProcess } from '../src/report.js';
import { GO_BUILDER_IMAGE } from '../src/strategies/procfile.js';
import { STRATEGY_NAMES, type Plan } from '../src/types.js';
import { STRATEGIES } from '../src/strategies/index.js';
import { cleanupTemps, hashTree, ROOT, runCli, tempDir } from './helpers.js';
import { tabledImages } from './tag-table.js';

afterAll(cleanupTemps);

interface Entry {
  id: string;
  repo: string;
  path: string;
  commit: string;
  files: Record<string, string | null>;
  what: string;
  expect: {
    processes?: string[];
    public?: string | null;
    port?: number;
    portEnv?: boolean;
    release?: string | null;
    single?: boolean;
    shell?: string[];
    runtime?: string;
    bare?: Record<string, string>;
    imageLines?: Record<string, string>;
    versionNote?: string;
    error?: string[];
  };
}

const CORPUS = path.join(ROOT, 'test', 'corpus', 'procfiles');
const index = JSON.parse(readFileSync(path.join(CORPUS, 'index.json'), 'utf8')) as { entries: Entry[] };

function projectOf(entry: Entry): string {
  const dir = tempDir('cfm-corpus-');
  for (const [name, file] of Object.entries(entry.files)) {
    if (file === null) writeFileSync(path.join(dir, name), '');
    else copyFileSync(path.join(CORPUS, file), path.join(dir, name));
  }
  return dir;
}

function planIn(dir: string, strategy: string): Plan {
  const cwd = process.cwd();
  process.chdir(dir); // messages then name ./Procfile as "Procfile", as a user running it there sees
  try {
    return plan({ dir: '.', yes: true, strategy }, detect('.'));
  } finally {
    process.chdir(cwd);
  }
}

/** The image of every FROM that is not an earlier stage. */
function fromImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const m of dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)) {
    if (!stages.has(m[1]!)) images.push(m[1]!);
    if (m[2]) stages.add(m[2]);
  }
  return images;
}

/** Does this argv deliver the stop signal to the program itself (plain argv, or sh -c that execs)? */
function execs(argv: string[]): boolean {
  const words = argv[0] === 'env' ? argv.slice(argv.findIndex((w) => !/^(env|[A-Z_]+=.*)$/.test(w))) : argv;
  if (words[0] !== 'sh' || words[1] !== '-c') return true;
  return /^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*exec\s/.test(words[2]!);
}

const entries = index.entries;

describe('the corpus', () => {
  it('has at least 25 real files, each with provenance, all of them used', () => {
    const files = new Set(entries.flatMap((e) => Object.values(e.files).filter((f): f is string => f !== null)));
    expect(files.size).toBeGreaterThanOrEqual(25);
    for (const e of entries) (expect(e.repo).toMatch(/^[\w.-]+\/[\w.-]+$/), expect(e.commit).toMatch(/^[0-9a-f]{40}$/));
  });
});

describe.each(entries)('$id ($repo $path): $what', (entry) => {
  const x = entry.expect;
  if (x.error) {
    it('is refused with every problem named by line: exit 2, nothing written', async () => {
      const dir = projectOf(entry);
      const before = hashTree(dir);
      const run = await runCli(['--yes'], { cwd: dir });
      expect(run.exitCode).toBe(2);
      for (const part of x.error!) expect(run.stderr).toContain(part);
      expect(run.stderr).not.toMatch(/\bat \S+:\d+:\d+/); // no stack trace
      expect(hashTree(dir)).toBe(before);
    });
    return;
  }

  it.each(STRATEGY_NAMES)('%s', (strategy) => {
    const dir = projectOf(entry);
    if (x.single && STRATEGIES[strategy].minProcesses > 1) {
      // One process does not need a process manager: the strategy refuses it and says what to use.
      expect(() => planIn(dir, strategy)).toThrow(UsageError);
      expect(() => planIn(dir, strategy)).toThrow(/only 1 process was given/);
      return;
    }
    const p = planIn(dir, strategy);
    const project = detect(dir);
    const files = Object.fromEntries(render(p, project).map((f) => [f.path, f.content]));
    // The fly.toml, or with one app per process (apps) the public app's file (the first process's without one).
    const s = STRATEGIES[strategy];
    const main = s.flyToml ? 'fly.toml' : `fly.${p.http ?? p.processes[0]!.name}.toml`;
    const fly = parse(files[main]!) as Record<string, any>;

    expect(p.processes.map((q) => q.name)).toEqual(x.processes);
    if (x.runtime) expect(p.runtime).toBe(x.runtime);

    // Public on the port it listens on, with PORT where the command reads it.
    if (x.public) {
      const web = p.processes.find((q) => q.name === x.public)!;
      expect(p.http).toBe(x.public);
      expect(web.port).toBe(x.port);
      expect(fly.http_service.internal_port).toBe(x.port);
      if (!s.oneMachine) expect(fly.http_service.processes).toEqual([x.public]);
      if (x.portEnv) {
        if (s.portInFlyEnv !== 'none') expect(fly.env?.PORT).toBe(String(x.port));
        else expect(web.argv.slice(0, 2)).toEqual(['env', `PORT=${x.port}`]);
      } else {
        expect(web.env).toBeUndefined();
      }
      expect(noPublicProcess(p)).toBeUndefined();
    } else {
      expect(p.http).toBeUndefined();
      expect(fly.http_service).toBeUndefined();
      expect(noPublicProcess(p)).toMatch(/^no process is public/);
    }

    // release -> [deploy] release_command, going through the entrypoint (the image ENTRYPOINT).
    if (x.release) expect(fly.deploy?.release_command).toBe(x.release);
    else expect(fly.deploy).toBeUndefined();
    expect(files.Dockerfile).toContain('ENTRYPOINT ["/app/entrypoint.sh"]');

    // Every command keeps the stop signal: plain argv, or sh -c that execs the program.
    for (const q of p.processes) {
      expect(execs(q.argv), `${q.name}: ${JSON.stringify(q.argv)}`).toBe(true);
      expect(q.argv.includes('sh'), `${q.name} runs under sh -c`).toBe((x.shell ?? []).includes(q.name));
    }
    if (!s.oneMachine) {
      const groupOf = (name: string) =>
        (s.flyToml ? fly : (parse(files[`fly.${name}.toml`]!) as Record<string, any>)).processes[name];
      for (const q of p.processes)
        expect(groupOf(q.name)).toBe(
          q.argv.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' '),
        );
    }

    // FROM tags exist: every image is a tag of the table (or the pinned Procfile-manager builder).
    const images = tabledImages();
    images.add(GO_BUILDER_IMAGE);
    for (const image of fromImages(files.Dockerfile!)) expect(images, `FROM ${image}`).toContain(image);
    for (const [runtime, line] of Object.entries(x.imageLines ?? {})) {
      expect(p.build.imageVersion, runtime).toBe(line);
    }
    if (x.versionNote) expect(p.notes.join('\n')).toContain(x.versionNote);

    // Compiled programs: on PATH in the image, and the command names one the build makes.
    for (const [name, program] of Object.entries(x.bare ?? {})) {
      const q = p.processes.find((r) => r.name === name)!;
      expect(q.argv[q.argv[0] === 'env' ? 2 : 0]).toBe(program);
      expect(p.build.facts.programs).toContain(program);
      expect(files.Dockerfile).toContain('ENV PATH="/app/bin:$PATH"');
    }
  });
});
