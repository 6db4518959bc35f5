/**
 * The user's own Dockerfile, on a corpus of real ones (test/corpus/dockerfiles, provenance and
 * expectations in index.json): what the parser reads from each, and for every strategy what the
 * tool does to it. process-groups leaves it byte for byte; bash, supervisord and procfile keep every
 * line of it in order and add one marked block, which parses, lints and is updated in place.
 */
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { detect } from '../src/detect.js';
import { inspectDockerfile, readDockerfile } from '../src/dockerfile/index.js';
import { findBlocks, withoutBlocks } from '../src/dockerfile/owned.js';
import { UsageError } from '../src/errors.js';
import { plan } from '../src/plan.js';
import { render } from '../src/render.js';
import { decide, writeFiles, type FileStatus } from '../src/write.js';
import { resolveConflicts } from '../src/conflicts.js';
import { recordedHashes } from '../src/state.js';
import { STRATEGY_NAMES, type Answers, type StrategyName } from '../src/types.js';
import { STRATEGIES } from '../src/strategies/index.js';
import { lintDockerfile } from './dockerfile-lint.js';
import { cleanupTemps, ROOT, tempDir } from './helpers.js';

afterAll(cleanupTemps);

const CORPUS = path.join(ROOT, 'test', 'corpus', 'dockerfiles');

interface Source {
  repo: string;
  commit: string;
  path: string;
}
interface Entry {
  source: Source;
  companions?: Record<string, Source>;
  kind: string;
  expect: {
    family: 'debian' | 'alpine' | 'none';
    user: string | null;
    workdir: string | null;
    entrypoint: 'none' | 'passes' | 'fails' | 'unknown';
    extendable: boolean;
  };
  why?: string;
}
const INDEX = JSON.parse(readFileSync(path.join(CORPUS, 'index.json'), 'utf8')) as { files: Record<string, Entry> };
const NAMES = Object.keys(INDEX.files).sort();

/** A copy of one corpus project in a temporary directory. */
function projectOf(name: string): string {
  const dir = tempDir(`cfm-df-${name}-`);
  cpSync(path.join(CORPUS, name), dir, { recursive: true });
  return dir;
}

const ANSWERS = (strategy: StrategyName): Omit<Answers, 'dir'> => ({
  strategy,
  processes: ['web=/usr/local/bin/web --port 8080', 'worker=/usr/local/bin/worker'],
  ports: ['web=8080'],
  app: 'corpus',
  killTimeout: '10',
  yes: true,
});

/** One run of the pipeline, as the CLI does it (state file included), with --force as the conflict policy if asked. */
async function run(
  dir: string,
  answers: Omit<Answers, 'dir'>,
  options: { force?: boolean; previous?: { files: Record<string, string> } } = {},
) {
  const project = detect(dir);
  if (project.dockerfile) project.dockerfileInfo = inspectDockerfile(dir);
  const p = plan({ dir, ...answers }, project);
  const files = render(p, project);
  const state = options.previous ? { answers: {}, files: options.previous.files } : undefined;
  const decided = await decide(dir, files, { state });
  const statuses = await resolveConflicts(decided, { interactive: false, policy: options.force ? 'force' : 'ask' });
  const pending = statuses.filter((s) => s.action === 'conflict');
  if (!pending.length) await writeFiles(dir, statuses);
  return { plan: p, files, statuses, pending, recorded: recordedHashes(statuses, undefined) };
}

const statusOf = (statuses: FileStatus[], file: string) => statuses.find((s) => s.path === file);

/** Each instruction as written (continuation and heredoc lines included), in order: "every original instruction is still there". */
function rawInstructions(text: string): string[] {
  const lines = text.split(/\r?\n/);
  return DockerfileParser.parse(text)
    .getInstructions()
    .map((i) => lines.slice(i.getRange().start.line, i.getRange().end.line + 1).join('\n'));
}

describe('corpus of real Dockerfiles: index and files', () => {
  it('has at least 15 files, each with provenance and expectations, kept with their companions', () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(15);
    const dirs = readdirSync(CORPUS)
      .filter((d) => d !== 'index.json')
      .sort();
    expect(dirs).toEqual(NAMES);
    for (const name of NAMES) {
      const e = INDEX.files[name]!;
      expect(e.source.repo, name).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(e.source.commit, name).toMatch(/^[0-9a-f]{40}$/);
      expect(readFileSync(path.join(CORPUS, name, 'Dockerfile'), 'utf8'), name).toMatch(/^FROM|\nFROM /im);
      for (const rel of Object.keys(e.companions ?? {}))
        expect(readFileSync(path.join(CORPUS, name, rel), 'utf8').length, `${name}/${rel}`).toBeGreaterThan(0);
    }
    // The kinds the issue asks for are there.
    const all = NAMES.map((n) => readFileSync(path.join(CORPUS, n, 'Dockerfile'), 'utf8'));
    expect(
      all.some((t) => /<<-?"?EOF/.test(t)),
      'heredocs',
    ).toBe(true);
    expect(
      all.some((t) => /^# syntax/m.test(t)),
      '# syntax',
    ).toBe(true);
    expect(NAMES.filter((n) => INDEX.files[n]!.expect.family === 'alpine').length, 'alpine').toBeGreaterThanOrEqual(3);
    expect(
      NAMES.filter((n) => INDEX.files[n]!.expect.user && INDEX.files[n]!.expect.user !== 'root').length,
      'non-root USER',
    ).toBeGreaterThanOrEqual(3);
    expect(
      NAMES.filter((n) => INDEX.files[n]!.expect.entrypoint === 'fails').length,
      'ENTRYPOINT that drops its arguments',
    ).toBeGreaterThanOrEqual(2);
  });
});

describe.each(NAMES)('%s', (name) => {
  const entry = INDEX.files[name]!;
  const original = readFileSync(path.join(CORPUS, name, 'Dockerfile'), 'utf8');

  it('reads as an experienced Fly engineer reads it (base family, USER, WORKDIR, ENTRYPOINT)', () => {
    const info = inspectDockerfile(path.join(CORPUS, name))!;
    expect(info.error).toBeUndefined();
    const facts = info.facts!;
    expect(facts.family).toBe(entry.expect.family);
    expect(facts.user?.raw ?? null).toBe(entry.expect.user);
    expect(facts.workdir ?? null).toBe(entry.expect.workdir);
    expect(info.entrypoint?.verdict).toBe(entry.expect.entrypoint);
    if (entry.expect.entrypoint === 'fails' || entry.expect.entrypoint === 'unknown') {
      // file:line of the ENTRYPOINT, and what to do about it
      expect(info.entrypoint!.message).toContain(`Dockerfile:${facts.entrypoint!.line}:`);
      expect(info.entrypoint!.fix).toContain('--dockerfile extend');
    }
  });

  it('process-groups keeps it byte for byte (no Dockerfile, .dockerignore or entrypoint.sh written)', async () => {
    const dir = projectOf(name);
    const { plan: p, files } = await run(dir, ANSWERS('process-groups'));
    expect(p.dockerfile).toBe('keep');
    expect(files.map((f) => f.path).sort()).toEqual(['fly.toml']);
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe(original);
    const said = p.notes.join('\n');
    if (entry.expect.entrypoint === 'fails' || entry.expect.entrypoint === 'unknown')
      expect(said).toMatch(/Dockerfile:\d+: .*Fix: /);
    else expect(said).toContain('Dockerfile: kept');
  });

  it.each(STRATEGY_NAMES.filter((s) => !STRATEGIES[s].runsWithKeptDockerfile))(
    '%s extends the final stage: every original line kept in order, the result parses and lints, a re-run changes nothing',
    async (strategy) => {
      const dir = projectOf(name);
      if (!entry.expect.extendable) {
        let error: unknown;
        try {
          await run(dir, ANSWERS(strategy));
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(UsageError);
        const facts = readDockerfile(original);
        expect((error as UsageError).problems.join('\n')).toContain(
          `Dockerfile:${facts.final.fromLine}: the final stage runs on ${facts.baseImage}, which has no shell or package manager`,
        );
        expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe(original);
        return;
      }
      const first = await run(dir, ANSWERS(strategy));
      expect(first.plan.dockerfile).toBe('extend');
      // The project's own entrypoint.sh (the classic Rails one) stays as it is: ours is fly-entrypoint.sh.
      const ownEntrypoint = Object.keys(entry.companions ?? {}).includes('entrypoint.sh');
      const ourEntrypoint = ownEntrypoint ? 'fly-entrypoint.sh' : 'entrypoint.sh';
      expect(first.pending).toEqual([]);
      expect(first.files.some((g) => g.path === ourEntrypoint)).toBe(true);
      for (const [file] of Object.entries(entry.companions ?? {})) {
        expect(readFileSync(path.join(dir, file), 'utf8')).toBe(readFileSync(path.join(CORPUS, name, file), 'utf8'));
        expect(first.files.some((g) => g.path === file)).toBe(false);
      }
      if (ownEntrypoint)
        expect(first.plan.notes.join('\n')).toMatch(
          /entrypoint\.sh is your own \(Dockerfile:\d+ uses it\): it is kept as it is, and the generated entrypoint is written as fly-entrypoint\.sh/,
        );
      expect(statusOf(first.statuses, 'Dockerfile')?.action).toBe('merge');
      expect(first.files.some((f) => f.path === '.dockerignore')).toBe(false);
      const result = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');

      // The user's lines, byte for byte and in order (a missing final newline gets one).
      expect(withoutBlocks(result)).toBe(original.endsWith('\n') ? original : `${original}\n`);
      const before = rawInstructions(original);
      const after = rawInstructions(result);
      let at = 0;
      for (const instruction of before) {
        const found = after.indexOf(instruction, at);
        expect(found, `instruction kept in order: ${instruction.split('\n')[0]}`).toBeGreaterThanOrEqual(at);
        at = found + 1;
      }

      // The blocks: where they belong, and what they say.
      const blocks = findBlocks(result);
      expect(blocks.problems).toEqual([]);
      const final = blocks.regions.find((r) => r.kind === 'final')!;
      const stages = blocks.regions.find((r) => r.kind === 'stages');
      const origFacts = readDockerfile(original);
      const facts = readDockerfile(result);
      expect(facts.final.image).toBe(origFacts.final.image); // still the user's final stage
      expect(facts.stages.length).toBe(origFacts.stages.length + (strategy === 'procfile' ? 1 : 0));
      if (strategy === 'procfile') expect(stages!.begin + 1).toBeLessThan(facts.final.fromLine);
      else expect(stages).toBeUndefined();
      expect(final.end).toBe(result.split(/\r?\n/).length - 2); // the end of the file: the end of the final stage
      expect(facts.entrypoint?.form).toBe('exec');
      expect(facts.entrypoint!.argv.at(-1)).toBe(
        `${origFacts.workdir === '/' ? '' : origFacts.workdir}/${ourEntrypoint}`,
      );
      expect(facts.cmd?.argv).toEqual([]);
      if (entry.expect.entrypoint === 'passes')
        expect(facts.entrypoint!.argv.slice(0, -1)).toEqual(origFacts.entrypoint!.argv);
      else expect(facts.entrypoint!.argv).toHaveLength(1);
      expect(facts.user?.raw ?? null).toBe(entry.expect.user); // switched back to the user's USER
      const manager = entry.expect.family === 'alpine' ? /^RUN apk add --no-cache /m : /^RUN apt-get update/m;
      if (strategy !== 'bash' || entry.expect.family === 'alpine') expect(final.text).toMatch(manager);
      if (entry.expect.family === 'alpine') expect(final.text).toMatch(/^RUN apk add --no-cache bash\b/m);
      expect(final.text).not.toMatch(entry.expect.family === 'alpine' ? /apt-get/ : /\bapk\b/);
      if (entry.expect.user && entry.expect.user !== 'root') expect(final.text).toMatch(/^USER root\n[\s\S]*\nUSER /m);
      else expect(final.text).not.toMatch(/^USER /m);

      // Lint: no problem in the lines we added, and no new parser diagnostics anywhere.
      const ours = (line: number) => blocks.regions.some((r) => line - 1 >= r.begin && line - 1 <= r.end);
      const problems = lintDockerfile(result).filter((p) => {
        const m = /^line (\d+):/.exec(p);
        return m ? ours(Number(m[1])) : true;
      });
      // The user's own lines (an unpinned FROM, a shell-form CMD) are theirs to lint; whole-file rules apply.
      expect(problems).toEqual([]);
      // dockerfile-utils' diagnostics: none new, except that the user's own ENTRYPOINT/CMD now come
      // before ours in the same stage ("only the last one will have an effect", which is the point:
      // their lines are never edited, ours come last and win).
      const diagnostics = (text: string) =>
        validate(text)
          .map((d) => String(d.message))
          .filter((m) => !/^There can only be one (CMD|ENTRYPOINT) instruction/.test(m));
      expect(diagnostics(result)).toEqual(diagnostics(original));

      // A re-run with the hashes of this run: nothing changes.
      const again = await run(dir, ANSWERS(strategy), { previous: { files: first.recorded } });
      expect(statusOf(again.statuses, 'Dockerfile')?.action).toBe('identical');
      expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe(result);
    },
  );
});

describe('re-runs touch only the owned blocks', () => {
  it('a line the user adds is kept; a strategy switch rewrites the block (procfile -> bash drops the build stage); an edited block is a conflict, --force rewrites only it', async () => {
    const dir = projectOf('rails-mysql');
    const first = await run(dir, ANSWERS('procfile'));
    let text = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
    expect(findBlocks(text).regions.map((r) => r.kind)).toEqual(['stages', 'final']);
    // The user edits their own lines (above and below the block).
    text =
      text.replace('# Final stage for app image\n', '# Final stage for app image (edited)\n') + '# a note of mine\n';
    writeFileSync(path.join(dir, 'Dockerfile'), text);
    const second = await run(dir, ANSWERS('bash'), { previous: { files: first.recorded } });
    expect(statusOf(second.statuses, 'Dockerfile')?.action).toBe('merge');
    const afterSwitch = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
    expect(findBlocks(afterSwitch).regions.map((r) => r.kind)).toEqual(['final']);
    expect(afterSwitch).toContain('# Final stage for app image (edited)\n');
    expect(afterSwitch.endsWith('# <<< create-fly-multiproc\n# a note of mine\n')).toBe(true);
    expect(withoutBlocks(afterSwitch)).toBe(withoutBlocks(text));
    // The user edits inside the block, and this run would change it too: conflict, nothing written.
    const edited = afterSwitch.replace('RUN chmod 0755 entrypoint.sh\n', 'RUN chmod 0755 entrypoint.sh && echo mine\n');
    writeFileSync(path.join(dir, 'Dockerfile'), edited);
    const third = await run(dir, { ...ANSWERS('supervisord') }, { previous: { files: second.recorded } });
    expect(third.pending.map((s) => s.path)).toEqual(['Dockerfile']);
    expect(third.pending[0]!.reason).toContain(
      'edited since it was written; overwriting rewrites only that block and keeps your lines',
    );
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe(edited);
    // --force: the block is rewritten, the user's lines stay.
    await run(dir, ANSWERS('supervisord'), { force: true, previous: { files: second.recorded } });
    const forced = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
    expect(forced).not.toContain('echo mine');
    expect(forced).toContain('# a note of mine\n');
    expect(forced).toContain('# Final stage for app image (edited)\n');
    expect(forced).toMatch(/apt-get install -y --no-install-recommends supervisor/);
  });

  it('an edited block that this run would not change is left as the user edited it', async () => {
    const dir = projectOf('node-build');
    const first = await run(dir, ANSWERS('bash'));
    const edited = readFileSync(path.join(dir, 'Dockerfile'), 'utf8').replace(
      'RUN chmod 0755 entrypoint.sh\n',
      'RUN chmod 0755 entrypoint.sh && echo mine\n',
    );
    writeFileSync(path.join(dir, 'Dockerfile'), edited);
    // No record of the last run: an edited block differs from ours and is a conflict (never silently replaced).
    const noRecord = await run(dir, ANSWERS('bash'));
    expect(noRecord.pending.map((s) => s.path)).toEqual(['Dockerfile']);
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe(edited);
    void first;
  });

  it('keeps CRLF line endings and a file without a final newline', async () => {
    const dir = projectOf('r-base-shell-entrypoint');
    const crlf = readFileSync(path.join(dir, 'Dockerfile'), 'utf8').replace(/\n/g, '\r\n');
    writeFileSync(path.join(dir, 'Dockerfile'), crlf);
    await run(dir, ANSWERS('supervisord'));
    const result = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
    expect(result.startsWith(crlf)).toBe(true);
    expect(result.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('broken markers stop the run with file:line (exit 2 material), nothing written', async () => {
    const dir = projectOf('node-alpine');
    await run(dir, ANSWERS('bash'));
    const broken = readFileSync(path.join(dir, 'Dockerfile'), 'utf8').replace('# <<< create-fly-multiproc\n', '');
    writeFileSync(path.join(dir, 'Dockerfile'), broken);
    const line = broken.split('\n').findIndex((l) => l.startsWith('# >>> create-fly-multiproc')) + 1;
    await expect(run(dir, ANSWERS('bash'))).rejects.toThrow(UsageError);
    try {
      await run(dir, ANSWERS('bash'));
    } catch (error) {
      expect((error as UsageError).problems.join('\n')).toContain(
        `Dockerfile:${line}: a create-fly-multiproc block starts here but its end marker (# <<< create-fly-multiproc) is gone`,
      );
    }
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe(broken);
  });

  it('process-groups with --dockerfile extend fixes an ENTRYPOINT that drops its arguments: entrypoint.sh replaces it', async () => {
    const dir = projectOf('r-base-nonroot');
    const { plan: p } = await run(dir, { ...ANSWERS('process-groups'), dockerfile: 'extend' });
    expect(p.dockerfile).toBe('extend');
    const facts = readDockerfile(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'));
    expect(facts.entrypoint!.argv).toEqual(['/usr/app/entrypoint.sh']);
    expect(facts.user!.raw).toBe('docker');
    expect(readFileSync(path.join(dir, 'entrypoint.sh'), 'utf8')).toContain('exec "$@"');
  });

  it('keep and extend need a Dockerfile; replace without one creates it', async () => {
    const dir = tempDir();
    for (const mode of ['keep', 'extend']) {
      await expect(run(dir, { ...ANSWERS('bash'), dockerfile: mode })).rejects.toThrow(
        `--dockerfile ${mode}: there is no Dockerfile in ${dir}`,
      );
    }
    const { plan: p } = await run(dir, { ...ANSWERS('bash'), dockerfile: 'replace' });
    expect(p.dockerfile).toBe('create');
  });
});
