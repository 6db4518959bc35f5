import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { UsageError } from '../src/errors.js';
import { plan as makePlan } from '../src/plan.js';
import {
  BUILTIN_TEMPLATES,
  checkRendered,
  extraTarget,
  listTemplates,
  plainFormatOf,
  printPlain,
  render,
  type RenderedFile,
} from '../src/render.js';
import { STRATEGIES } from '../src/strategies/index.js';
import { STRATEGY_NAMES, type Answers } from '../src/types.js';
import { BASE_PROJECT, CASES, renderCase } from './cases.js';
import { ROOT, cleanupTemps, hashTree, requireTool, runCli, tempDir } from './helpers.js';
import { compareDocs, contextKeys, describeDrift, documentedKeys } from './template-docs.js';

afterAll(cleanupTemps);

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'templates');
const fixture = (name: string) => path.join(FIXTURES, name);
/** How messages show a fixture path: the CLI runs with cwd ROOT. */
const shown = (rel: string) => path.join('test', 'fixtures', 'templates', rel);

function renderWith(caseName: string, dirs: string[], answers: Partial<Answers> = {}) {
  const c = CASES[caseName]!;
  const project = { ...BASE_PROJECT, ...c.project };
  const p = makePlan({ dir: project.dir, ...c.answers, ...answers }, project);
  return render(p, project, dirs);
}
const byPath = (files: RenderedFile[]) => Object.fromEntries(files.map((f) => [f.path, f]));
const contents = (files: RenderedFile[]) =>
  files.map(({ path: p, content, executable }) => ({ path: p, content, executable }));

function renderError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('--templates: override one whole template', () => {
  it('replaces fly.toml and leaves every other file as the built-in one renders it', () => {
    const builtin = byPath(renderCase('bash').files);
    const files = byPath(renderWith('bash', [fixture('whole')]));
    expect(Object.keys(files)).toEqual(Object.keys(builtin));
    expect(files['fly.toml']!.content).toBe(`# House fly.toml for acme-bash: every app gets a health check.
app = "acme-bash"
kill_signal = "SIGINT"
kill_timeout = 10

[env]
  LOG_FORMAT = "json"

[http_service]
  internal_port = 8080
  force_https = true

  [[http_service.checks]]
    method = "GET"
    path = "/healthz"
    interval = "15s"
    timeout = "2s"
`);
    expect(files['fly.toml']!.custom).toBe(true);
    expect(parse(files['fly.toml']!.content)).toMatchObject({
      env: { LOG_FORMAT: 'json' },
      http_service: { checks: [{ path: '/healthz' }] },
    });
    for (const name of Object.keys(builtin).filter((n) => n !== 'fly.toml')) {
      expect(files[name]!.content, name).toBe(builtin[name]!.content);
      expect(files[name]!.custom, name).toBe(false);
    }
  });

  it('the built CLI writes it, and the generated fly.toml passes the checks', async () => {
    const dir = tempDir();
    const r = await runCli([dir, '--yes', '--strategy', 'bash', '--templates', fixture('whole')]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'fly.toml'), 'utf8')).toContain('LOG_FORMAT = "json"');
    expect(readFileSync(path.join(dir, 'entrypoint.sh'), 'utf8')).toContain('start bar_web -- node server.js -bar');
  });

  it('a relative --templates is inside the project directory, wherever the command runs, and is remembered so', async () => {
    const parent = tempDir();
    const dir = path.join(parent, 'app');
    mkdirSync(path.join(dir, 'tpl'), { recursive: true });
    cpSync(fixture('whole'), path.join(dir, 'tpl'), { recursive: true });
    const r = await runCli(['app', '--yes', '--example', '--strategy', 'bash', '--templates', 'tpl'], { cwd: parent });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'fly.toml'), 'utf8')).toContain('LOG_FORMAT = "json"');
    expect(JSON.parse(readFileSync(path.join(dir, 'fly-multiproc.json'), 'utf8')).answers.templates).toBe('tpl');
    expect(r.stdout).toContain('--templates tpl');
    // From inside the project, the remembered answer finds the same directory.
    const again = await runCli(['.', '--yes'], { cwd: dir });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/^(create|update) /m);
  });

  it('--templates must name a directory', async () => {
    const dir = tempDir();
    const before = hashTree(dir);
    const missing = await runCli([dir, '--yes', '--templates', path.join(dir, 'nope')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`--templates ${path.join(dir, 'nope')}: no such directory`);
    const file = await runCli([dir, '--yes', '--templates', fixture('whole/fly.toml.ejs')]);
    expect(file.exitCode).toBe(2);
    expect(file.stderr).toContain('not a directory');
    expect(hashTree(dir)).toBe(before);
  });
});

describe('--templates: override one partial only', () => {
  it('replaces partials/app.ejs inside the built-in Dockerfile, nothing else', () => {
    const builtin = byPath(renderCase('supervisord').files);
    const files = byPath(renderWith('supervisord', [fixture('partial')]));
    const dockerfile = files.Dockerfile!;
    expect(dockerfile.custom).toBe(true);
    expect(dockerfile.template).toBe(path.join(BUILTIN_TEMPLATES, 'Dockerfile.ejs')); // the file's own template is the built-in one
    expect(dockerfile.content).not.toBe(builtin.Dockerfile!.content);
    // Everything around the include is the built-in Dockerfile: render it once more with a marker as the partial.
    const marker = tempDir();
    mkdirSync(path.join(marker, 'partials'));
    writeFileSync(path.join(marker, 'partials', 'app.ejs'), '@@APP@@\n');
    const around = byPath(renderWith('supervisord', [marker])).Dockerfile!.content;
    expect(around).toContain('@@APP@@\n');
    expect(dockerfile.content).toBe(
      around.replace(
        '@@APP@@\n',
        '# House rule: the company CA bundle in every image.\nCOPY certs/company-ca.crt /usr/local/share/ca-certificates/company-ca.crt\nRUN update-ca-certificates\nCOPY . .\nRUN chmod 0755 entrypoint.sh supervisor-fail-fast.sh\n',
      ),
    );
    expect(Object.keys(files)).toEqual(Object.keys(builtin));
    for (const name of Object.keys(builtin).filter((n) => n !== 'Dockerfile')) {
      expect(files[name]!.content, name).toBe(builtin[name]!.content);
      expect(files[name]!.custom, name).toBe(false);
    }
  });
});

describe('--templates: override the supervisord program block', () => {
  it('partials/supervisor-program.ejs changes every [program:] block and nothing else', () => {
    const builtin = byPath(renderCase('supervisord').files);
    const dir = tempDir();
    mkdirSync(path.join(dir, 'partials'));
    const original = readFileSync(path.join(BUILTIN_TEMPLATES, 'partials', 'supervisor-program.ejs'), 'utf8');
    writeFileSync(
      path.join(dir, 'partials', 'supervisor-program.ejs'),
      `${original}environment=APP_PROCESS="<%= p.name %>"\n`,
    );
    const files = byPath(renderWith('supervisord', [dir]));
    const conf = files['supervisor.conf']!.content;
    const names = renderCase('supervisord').plan.processes.map((p) => p.name);
    for (const name of names) expect(conf).toContain(`environment=APP_PROCESS="${name}"`);
    // Without the added lines it is the built-in file, byte for byte.
    expect(conf.replace(/^environment=APP_PROCESS=.*\n/gm, '')).toBe(builtin['supervisor.conf']!.content);
    for (const name of Object.keys(builtin).filter((n) => n !== 'supervisor.conf'))
      expect(files[name]!.content, name).toBe(builtin[name]!.content);
  });
});

describe('--templates: extra files', () => {
  it('renders templates with no built-in counterpart; partials/ and non-.ejs files are not written', () => {
    const files = byPath(renderWith('supervisord', [fixture('extra')]));
    const builtin = renderCase('supervisord').files.map((f) => f.path);
    expect(builtin).toContain('supervisor.conf');
    expect(Object.keys(files)).toEqual([...builtin, 'bin/healthcheck.sh', 'logging.conf', 'nginx.conf']);
    expect(files['nginx.conf']).toMatchObject({ executable: false, custom: true });
    expect(files['nginx.conf']!.content).toBe(
      '# nginx config for acme-supervisor, generated by create-fly-multiproc from a house template.\nserver {\n  listen 8000;\n  location / {\n    proxy_pass http://127.0.0.1:8080;\n  }\n}\n',
    );
    expect(files['logging.conf']!.content).toBe('; supervisord only: supervisord\n');
    // .sh: executable, and the Dockerfile's chmod covers it.
    expect(files['bin/healthcheck.sh']).toMatchObject({ executable: true });
    expect(files['bin/healthcheck.sh']!.content).toContain('curl -fsS http://127.0.0.1:8080/ > /dev/null  # web\n');
    expect(files.Dockerfile!.content).toContain(
      'RUN chmod 0755 entrypoint.sh supervisor-fail-fast.sh bin/healthcheck.sh\n',
    );
  });

  it('a template in a strategy directory is written for that strategy only', () => {
    const builtin = renderCase('bash').files.map((f) => f.path);
    expect(Object.keys(byPath(renderWith('bash', [fixture('extra')])))).toEqual([
      ...builtin,
      'bin/healthcheck.sh',
      'nginx.conf',
      'only-bash.txt',
    ]);
    expect(byPath(renderWith('bash', [fixture('extra')]))['only-bash.txt']!.content).toBe(
      'bash only: stop timeout 9\n',
    );
    const plan = renderCase('bash').plan;
    expect(extraTarget('bash/x.conf.ejs', plan)).toBe('x.conf');
    expect(extraTarget('supervisord/x.conf.ejs', plan)).toBeUndefined();
    expect(extraTarget('example/x.js.ejs', plan)).toBeUndefined();
    expect(extraTarget('partials/x.ejs', plan)).toBeUndefined();
    expect(extraTarget('bash/partials/x.ejs', plan)).toBeUndefined();
    expect(extraTarget('partials.conf.ejs', plan)).toBe('partials.conf');
    expect(extraTarget('deep/dir/x.yml.ejs', plan)).toBe('deep/dir/x.yml');
  });

  it('an extra template may not write a file a built-in template writes', () => {
    const error = renderError(() => renderWith('bash', [fixture('collide')]));
    expect(error.problems).toEqual([
      'template entrypoint.sh.ejs would write entrypoint.sh, which the built-in template bash/entrypoint.sh.ejs writes: to replace that one, name your template bash/entrypoint.sh.ejs',
    ]);
  });

  it('the built CLI writes them, scripts executable', async () => {
    const dir = tempDir();
    const r = await runCli([dir, '--yes', '--strategy', 'supervisord', '--templates', fixture('extra')]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/create +nginx\.conf/);
    expect(statSync(path.join(dir, 'bin/healthcheck.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(dir, 'nginx.conf')).mode & 0o777).toBe(0o644);
    expect(readFileSync(path.join(dir, 'logging.conf'), 'utf8')).toBe('; supervisord only: supervisord\n');
  });

  it.runIf(requireTool('shellcheck', 'shellcheck'))(
    'an extra script is checked like the built-in ones would be: shellcheck passes on the fixture',
    async () => {
      const { execa } = await import('execa');
      const script = byPath(renderWith('supervisord', [fixture('extra')]))['bin/healthcheck.sh']!.content;
      const r = await execa('shellcheck', ['-'], { input: script, reject: false });
      expect(r.stdout).toBe('');
      expect(r.exitCode).toBe(0);
    },
  );
});

/** Each broken fixture: where the message must point, and what it must say. */
const BROKEN: { name: string; at: string; says: string }[] = [
  { name: 'syntax', at: `${shown('broken/syntax/fly.toml.ejs')}:3`, says: 'SyntaxError: Unexpected token' },
  {
    name: 'unclosed-tag',
    at: `${shown('broken/unclosed-tag/fly.toml.ejs')}:2`,
    says: 'Could not find matching close tag for "<%-"',
  },
  {
    name: 'unknown-variable',
    at: `${shown('broken/unknown-variable/Dockerfile.ejs')}:3`,
    says: 'ReferenceError: baseImage is not defined (a template can use: plan, processes,',
  },
  { name: 'throws', at: `${shown('broken/throws/partials/app.ejs')}:2`, says: 'Error: use the company base image' },
  {
    name: 'missing-include',
    at: `${shown('broken/missing-include/Dockerfile.ejs')}:3`,
    says: 'include("partials/healthcheck.ejs"): no such template in test/fixtures/templates/broken/missing-include, the built-in templates',
  },
  {
    name: 'invalid-toml',
    at: `fly.toml (from template ${shown('broken/invalid-toml/fly.toml.ejs')}): line 3 of the generated file is not valid TOML`,
    says: '3 | [http_service',
  },
  {
    name: 'bash-syntax',
    at: `entrypoint.sh (from template ${shown('broken/bash-syntax/process-groups/entrypoint.sh.ejs')}): line 5 of the generated file fails \`bash -n\``,
    says: "syntax error near unexpected token `fi'",
  },
];

describe('a broken user template: path and line, exit 2, nothing written', () => {
  it.each(BROKEN)('$name', async ({ name, at, says }) => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'fly.toml'), 'app = "old"\n'); // an existing file must survive too
    const before = hashTree(dir);
    for (const extra of [[], ['--dry-run'], ['--force']]) {
      const r = await runCli([
        dir,
        '--strategy',
        'process-groups',
        '--process',
        'web=bin/web',
        '--port',
        'web=8080',
        '--app',
        'acme',
        '--templates',
        fixture(`broken/${name}`),
        ...extra,
      ]);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toContain(at);
      expect(r.stderr).toContain(says);
      expect(r.stderr).toContain('nothing was written');
      expect(r.stdout).toBe('');
      expect(hashTree(dir)).toBe(before);
    }
  });

  it('checkRendered reports every broken file at once, and skips built-in output unless asked', async () => {
    const good = renderCase('bash').files;
    await expect(checkRendered(good, { all: true })).resolves.toBeUndefined();
    const broken: RenderedFile[] = [
      { path: 'fly.toml', content: 'app = "x"\n[oops\n', executable: false, custom: true, template: '/t/fly.toml.ejs' },
      { path: 'run', content: '#!/bin/sh\nif true; then\n', executable: true, custom: true, template: '/t/run.ejs' },
      { path: 'notes.txt', content: 'if (', executable: false, custom: true, template: '/t/notes.txt.ejs' },
    ];
    const error = await checkRendered(broken).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    const problems = (error as UsageError).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /^fly\.toml \(from template \/t\/fly\.toml\.ejs\): line 2 of the generated file is not valid TOML/,
    );
    expect(problems[1]).toMatch(
      /^run \(from template \/t\/run\.ejs\): line 3 of the generated file fails `bash -n`: syntax error: unexpected end of file/,
    );
    await expect(checkRendered(broken.map((f) => ({ ...f, custom: false })))).resolves.toBeUndefined();
  });
});

describe('the template context is documented (TEMPLATES.md vs src/template-context.ts)', () => {
  const typeFile = path.join(ROOT, 'src', 'template-context.ts');
  const docs = readFileSync(path.join(ROOT, 'TEMPLATES.md'), 'utf8');
  const keys = contextKeys(typeFile);
  /** Drift already there (someone adding a key right now) must not decide the tests below. */
  const baseline = compareDocs(keys, documentedKeys(docs));
  const newlyMissing = (drift: ReturnType<typeof compareDocs>) =>
    drift.missing.filter((k) => !baseline.missing.some((b) => b.key === k.key));

  it('every key of TemplateContext has a row, and every row is a key', () => {
    const drift = compareDocs(keys, documentedKeys(docs));
    expect(describeDrift(drift)).toBe('');
    // Spot checks that the walk goes deep, and the list is covered.
    for (const k of [
      'plan.strategy',
      'plan.runtime',
      'processes[].name',
      'processes[].command',
      'processes[].port',
      'strategy.name',
      's.manager.version',
      'esc.shellQuote',
      'esc.tomlString',
      'esc.supervisorCommand',
      'esc.procfileLine',
    ]) {
      expect(keys.map((x) => x.key)).toContain(k);
    }
  });

  it('fails when a key is undocumented, or a row names no key', () => {
    const withoutRow = docs.replace(/^\| `processes\[\]\.port` .*\n/m, '');
    expect(withoutRow).not.toBe(docs);
    const drift = compareDocs(keys, documentedKeys(withoutRow));
    expect(newlyMissing(drift).map((k) => k.key)).toEqual(['processes[].port']);
    expect(describeDrift(drift)).toContain(
      'TEMPLATES.md does not document processes[].port; add a row: | `processes[].port` | `number` |',
    );

    const extraRow = docs.replace('<!-- context:end -->', '| `plan.colour` | string | gone |\n<!-- context:end -->');
    expect(compareDocs(keys, documentedKeys(extraRow)).stale.filter((k) => !baseline.stale.includes(k))).toEqual([
      'plan.colour',
    ]);
  });

  it('fails when the type gains a key the docs lack', () => {
    const dir = tempDir();
    const source = readFileSync(typeFile, 'utf8')
      .replace(/from '\.\//g, `from '${path.join(ROOT, 'src')}/`)
      .replace(
        '  esc: Escape;\n}',
        "  esc: Escape;\n  /** A new key. */\n  colour: string;\n  palette: Record<'red' | 'blue', { hex: string }>;\n}",
      );
    writeFileSync(path.join(dir, 'template-context.ts'), source);
    const drift = compareDocs(contextKeys(path.join(dir, 'template-context.ts')), documentedKeys(docs));
    expect(newlyMissing(drift).map((k) => ({ key: k.key, doc: k.doc }))).toEqual([
      { key: 'colour', doc: 'A new key.' },
      { key: 'palette', doc: '' },
      { key: 'palette.*', doc: '' }, // a map is one key, its values' keys under it
      { key: 'palette.*.hex', doc: '' },
    ]);
  });

  it('the table of built-in templates covers exactly the files in templates/', () => {
    const section = docs.slice(docs.indexOf('<!-- builtins:start -->'), docs.indexOf('<!-- builtins:end -->'));
    // A row may stand for several partials: `partials/<runtime>/build.ejs`.
    const rows = [...section.matchAll(/^\| `([^`]+\.ejs)` \|/gm)].map((m) => m[1]!);
    const pattern = (row: string) => new RegExp(`^${row.replace(/[.]/g, '\\.').replace(/<[^>]+>/g, '[^/]+')}$`);
    const templates = listTemplates(BUILTIN_TEMPLATES);
    expect(
      templates.filter((t) => !rows.some((r) => pattern(r).test(t))),
      'templates missing from the table',
    ).toEqual([]);
    expect(
      rows.filter((r) => !templates.some((t) => pattern(r).test(t))),
      'rows with no template',
    ).toEqual([]);
  });

  it("each strategy's values are keys of StrategyValues (the type the docs are checked against)", () => {
    const documented = new Set(keys.filter((k) => /^s\.[^.]+$/.test(k.key)).map((k) => k.key.slice(2)));
    for (const name of STRATEGY_NAMES) {
      for (const procfileManager of ['overmind', 'hivemind']) {
        const p = makePlan(
          { dir: '/x', ...CASES.bash!.answers, strategy: name, procfileManager, killTimeout: '30' },
          BASE_PROJECT,
        );
        for (const key of Object.keys(STRATEGIES[name].context(p)))
          expect(documented, `${name}: s.${key}`).toContain(key);
      }
    }
  });
});

describe('include()', () => {
  it('resolves from the template directory, without .ejs, with extra data; a partial of the user is used by built-in templates', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'partials'));
    writeFileSync(
      path.join(dir, 'notes.txt.ejs'),
      "<%- include('partials/line', { text: 'one' }) %><%- include('./partials/line.ejs', { text: 'two' }) %>",
    );
    writeFileSync(path.join(dir, 'partials', 'line.ejs'), '<%= text %> for <%= plan.app %>\n');
    expect(byPath(renderWith('bash', [dir]))['notes.txt']!.content).toBe('one for acme-bash\ntwo for acme-bash\n');
  });

  it('refuses paths outside the template directory', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'x.txt.ejs'), "ok\n<%- include('../secret') %>\n");
    const error = renderError(() => renderWith('bash', [dir]));
    expect(error.message).toContain(
      `${path.join(dir, 'x.txt.ejs')}:2: Error: include("../secret"): include paths are relative to the template directory`,
    );
  });
});

describe('rendering stays deterministic with user templates', () => {
  it('the same inputs give the same files', () => {
    const dirs = [fixture('extra'), fixture('partial')];
    expect(contents(renderWith('supervisord', dirs))).toEqual(contents(renderWith('supervisord', dirs)));
  });

  it('the first user directory wins, then the next, then the built-ins', () => {
    const files = byPath(renderWith('bash', [fixture('whole'), fixture('partial')]));
    expect(files['fly.toml']!.content).toContain('LOG_FORMAT');
    expect(files.Dockerfile!.content).toContain('update-ca-certificates');
  });
});

describe('<%= prints only what needs no escaping in the file it writes', () => {
  it('numbers and plain words pass; quotes, $, newlines, globs in a script or TOML file are refused with the helper to use', () => {
    expect(printPlain(8080)).toBe('8080');
    expect(printPlain('debian:bookworm-slim')).toBe('debian:bookworm-slim');
    expect(printPlain('**/node_modules (from .nvmrc)', 'text')).toBe('**/node_modules (from .nvmrc)');
    for (const bad of ['$HOME', 'a"b', "it's", 'a\nb', 'x`y`', 'a\\b'])
      expect(() => printPlain(bad, 'text'), bad).toThrow(/<%= refuses .*esc\.tomlString/);
    for (const bad of ['*.log', 'a;b', 'a#b', '(x)'])
      expect(() => printPlain(bad, 'strict'), bad).toThrow(/<%= refuses/);
    expect(() => printPlain({})).toThrow(/<%= refuses/);
    expect([
      plainFormatOf('entrypoint.sh'),
      plainFormatOf('fly.web.toml'),
      plainFormatOf('supervisor.conf'),
      plainFormatOf('Procfile.fly'),
      plainFormatOf('Dockerfile'),
      plainFormatOf('.dockerignore'),
    ]).toEqual(['strict', 'strict', 'strict', 'strict', 'text', 'text']);
  });

  it('a user template printing a command with <%= fails with the template, line and the fix; nothing is written', async () => {
    const dir = tempDir();
    const templates = tempDir();
    writeFileSync(path.join(templates, 'fly.toml.ejs'), "app = '<%= plan.app %>'\n# <%= processes[0].command %>\n");
    const r = await runCli([dir, '--process', 'web=bin/web --name "$NAME"', '--app', 'acme', '--templates', templates]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /fly\.toml\.ejs:2: Error: <%= refuses "bin\/web --name \\"\$NAME\\"": it would need escaping/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});
