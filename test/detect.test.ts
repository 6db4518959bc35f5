import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detect } from '../src/detect.js';
import { UsageError } from '../src/errors.js';
import { plan } from '../src/plan.js';
import { suggestedProcess, versionFromSpec } from '../src/runtimes.js';
import type { Answers, Project } from '../src/types.js';
import { fixtureProject } from './cases.js';
import { cleanupTemps, runCli, projectWith, tempDir } from './helpers.js';

afterAll(cleanupTemps);

const pkg = (extra: object = {}) => JSON.stringify({ name: 'x', version: '1.0.0', ...extra });

function planFor(project: Project, answers: Partial<Answers> = {}) {
  return plan({ dir: project.dir, processes: ['web=/app/bin/web', 'worker=/app/bin/worker'], ...answers }, project);
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error.problems;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('detect: the fixture projects', () => {
  it('go: go.mod; version from its go line; programs from the module path and cmd/', () => {
    const p = fixtureProject('go');
    expect(p.runtime).toBe('go');
    expect(p.runtimes?.go).toEqual({
      runtime: 'go',
      evidence: ['go.mod'],
      goSum: false,
      keep: ['templates'],
      programs: ['hello', 'worker'],
      version: { value: '1.22.3', source: 'go.mod' },
    });
  });

  it('node: package.json + package-lock.json -> npm; .nvmrc before engines.node; build script and main', () => {
    const p = fixtureProject('node');
    expect(p.runtime).toBe('node');
    expect(p.packageJson).toBe(true);
    expect(p.npmLock).toBe(true);
    expect(p.runtimes?.node).toMatchObject({
      evidence: ['package.json', 'package-lock.json'],
      packageManager: 'npm',
      lockfile: 'package-lock.json',
      buildScript: true,
      entry: 'server.js',
      version: { value: '20.11.1', source: '.nvmrc' },
    });
  });

  it('bun: package.json whose package manager is bun is the bun runtime', () => {
    const p = fixtureProject('bun');
    expect(p.runtime).toBe('bun');
    expect(p.otherRuntimes).toBeUndefined();
    expect(p.runtimes?.bun).toMatchObject({
      evidence: ['package.json', 'bun.lock'],
      packageManager: 'bun',
      lockfile: 'bun.lock',
      version: { value: '1.1.38', source: 'package.json packageManager' },
    });
    // Built as node instead (--runtime node), the bun lockfile is of no use: npm without a lockfile.
    expect(p.runtimes?.node).toMatchObject({ packageManager: 'npm', evidence: ['package.json'] });
    expect(p.runtimes?.node?.lockfile).toBeUndefined();
  });

  it('python: pyproject.toml + uv.lock -> uv; .python-version before requires-python', () => {
    const p = fixtureProject('python');
    expect(p.runtime).toBe('python');
    expect(p.runtimes?.python).toMatchObject({
      evidence: ['pyproject.toml', 'uv.lock'],
      pythonInstaller: 'uv',
      lockfile: 'uv.lock',
      entry: 'app.py',
      version: { value: '3.12', source: '.python-version' },
    });
    expect(p.runtimes?.python?.installProject).toBeUndefined(); // no [build-system]: an application, not a package
  });

  it('ruby: Gemfile + Gemfile.lock; .ruby-version', () => {
    const p = fixtureProject('ruby');
    expect(p.runtime).toBe('ruby');
    expect(p.runtimes?.ruby).toMatchObject({
      evidence: ['Gemfile', 'Gemfile.lock'],
      gemfileLock: true,
      entry: 'config.ru',
      version: { value: '3.3.6', source: '.ruby-version' },
    });
  });

  it('rust: Cargo.toml + Cargo.lock; rust-toolchain.toml before rust-version; the package is the program', () => {
    const p = fixtureProject('rust');
    expect(p.runtime).toBe('rust');
    expect(p.runtimes?.rust).toMatchObject({
      evidence: ['Cargo.toml', 'Cargo.lock'],
      cargoLock: true,
      cargoFetchFirst: true,
      programs: ['hello-rust'],
      version: { value: '1.79.0', source: 'rust-toolchain.toml' },
    });
  });

  it('static: nothing to detect (generic), but the site is known for --runtime static', () => {
    const p = fixtureProject('static');
    expect(p.runtime).toBe('generic');
    expect(p.runtimes?.static).toEqual({ runtime: 'static', evidence: ['index.html'], siteDir: '.' });
  });
});

describe('detect: order of evidence and conflicting signals', () => {
  it('go.mod wins over package.json (a package.json beside it builds front-end assets); the summary says so', () => {
    const dir = projectWith({
      'go.mod': 'module example.com/app\n\ngo 1.23\n',
      'main.go': '',
      'package.json': pkg({ scripts: { build: 'vite build' } }),
      'package-lock.json': '{}',
    });
    const project = detect(dir);
    expect(project.runtime).toBe('go');
    expect(project.otherRuntimes).toEqual(['node']);
    const p = planFor(project);
    expect(p.runtime).toBe('go');
    expect(p.notes).toContain(
      'runtime go, from go.mod, which comes first in the detection order; the directory also has node (package.json): pass --runtime node to build that instead',
    );
    const asNode = planFor(project, { runtime: 'node' });
    expect(asNode.runtime).toBe('node');
    expect(asNode.build.image).toBe('node:22-bookworm-slim');
    expect(asNode.build.facts.packageManager).toBe('npm');
    expect(asNode.notes.join('\n')).not.toContain('detection order');
  });

  it('the full order: go.mod, package.json, Python, Gemfile, Cargo.toml', () => {
    const all = {
      'go.mod': 'module x\n',
      'package.json': pkg(),
      'requirements.txt': '',
      Gemfile: '',
      'Cargo.toml': '[package]\nname = "x"\n',
    };
    expect(detect(projectWith(all)).otherRuntimes).toEqual(['node', 'python', 'ruby', 'rust']);
    const { 'go.mod': _go, ...noGo } = all;
    expect(detect(projectWith(noGo)).runtime).toBe('node');
    const { 'package.json': _pkg, ...noNode } = noGo;
    expect(detect(projectWith(noNode)).runtime).toBe('python');
    const { 'requirements.txt': _req, ...noPython } = noNode;
    expect(detect(projectWith(noPython)).runtime).toBe('ruby');
    expect(detect(projectWith({ 'Cargo.toml': '[package]\nname = "x"\n' })).runtime).toBe('rust');
    for (const marker of ['pyproject.toml', 'requirements.txt', 'uv.lock', 'poetry.lock']) {
      expect(detect(projectWith({ [marker]: '' })).runtime, marker).toBe('python');
    }
    const generic = detect(projectWith({ 'main.go': '', 'index.html': '', 'app.py': '' })); // source files alone are no evidence
    expect(generic.runtime).toBe('generic');
    expect(planFor(generic).build.image).toBeUndefined();
  });

  it('the lockfile names the package manager; package.json "packageManager" wins; several lockfiles are noted', () => {
    const manager = (files: Record<string, string>) => detect(projectWith({ 'package.json': pkg(), ...files }));
    expect(manager({ 'pnpm-lock.yaml': '' }).runtimes?.node).toMatchObject({
      packageManager: 'pnpm',
      lockfile: 'pnpm-lock.yaml',
    });
    expect(manager({ 'yarn.lock': '' }).runtimes?.node).toMatchObject({
      packageManager: 'yarn',
      lockfile: 'yarn.lock',
    });
    expect(manager({ 'yarn.lock': '' }).runtimes?.node?.yarnBerry).toBeUndefined();
    expect(manager({ 'yarn.lock': '', '.yarnrc.yml': '' }).runtimes?.node?.yarnBerry).toBe(true);
    expect(manager({ 'npm-shrinkwrap.json': '' }).runtimes?.node).toMatchObject({
      packageManager: 'npm',
      lockfile: 'npm-shrinkwrap.json',
    });
    expect(manager({ 'bun.lockb': '' }).runtime).toBe('bun');
    expect(manager({}).runtimes?.node).toMatchObject({ packageManager: 'npm', evidence: ['package.json'] });

    const both = detect(
      projectWith({ 'package.json': pkg({ packageManager: 'yarn@4.5.0' }), 'yarn.lock': '', 'package-lock.json': '' }),
    );
    expect(both.runtimes?.node).toMatchObject({ packageManager: 'yarn', lockfile: 'yarn.lock', yarnBerry: true });
    expect(both.runtimes?.node?.notes).toEqual([
      'several lockfiles (yarn.lock, package-lock.json): installing with yarn (package.json "packageManager"); delete the others',
    ]);
    expect(planFor(both).notes).toContain(
      'several lockfiles (yarn.lock, package-lock.json): installing with yarn (package.json "packageManager"); delete the others',
    );
  });

  it('python installers: uv.lock, then poetry.lock, then requirements.txt, then [tool.poetry], then pyproject.toml alone', () => {
    const installer = (files: Record<string, string>) => detect(projectWith(files)).runtimes?.python?.pythonInstaller;
    const pyproject = '[project]\nname = "x"\nversion = "1"\n';
    expect(installer({ 'pyproject.toml': pyproject, 'uv.lock': '', 'poetry.lock': '', 'requirements.txt': '' })).toBe(
      'uv',
    );
    expect(installer({ 'pyproject.toml': pyproject, 'poetry.lock': '', 'requirements.txt': '' })).toBe('poetry');
    expect(installer({ 'pyproject.toml': pyproject, 'requirements.txt': '' })).toBe('requirements');
    expect(installer({ 'pyproject.toml': '[tool.poetry]\nname = "x"\n' })).toBe('poetry');
    expect(installer({ 'pyproject.toml': pyproject })).toBe('pyproject');
    expect(installer({ 'uv.lock': '' })).toBeUndefined(); // a lock without its pyproject.toml installs nothing
    const lib = detect(
      projectWith({
        'pyproject.toml': `${pyproject}requires-python = ">=3.13"\n[build-system]\nrequires = ["hatchling"]\n`,
      }),
    );
    expect(lib.runtimes?.python).toMatchObject({
      installProject: true,
      version: { value: '>=3.13', source: 'pyproject.toml requires-python' },
    });
    expect(planFor(lib).build.imageVersion).toBe('3.14'); // the default (3.12) is too old: the newest line that satisfies it
  });

  it('versions: .tool-versions is a fallback; rust-version is a minimum; a go toolchain line wins over the go line', () => {
    const tools = '# asdf\nnodejs 20.18.0\npython 3.11.10\nruby 3.2.6\ngolang 1.22.9\nrust 1.80.1\n';
    const all = detect(
      projectWith({
        '.tool-versions': tools,
        'package.json': pkg(),
        'requirements.txt': '',
        Gemfile: '',
        'go.mod': 'module x\n',
        'Cargo.toml': '[package]\nname = "x"\n',
      }),
    );
    expect(
      Object.fromEntries(['node', 'python', 'ruby', 'go', 'rust'].map((r) => [r, all.runtimes?.[r as 'go']?.version])),
    ).toEqual({
      node: { value: '20.18.0', source: '.tool-versions' },
      python: { value: '3.11.10', source: '.tool-versions' },
      ruby: { value: '3.2.6', source: '.tool-versions' },
      go: { value: '1.22.9', source: '.tool-versions' },
      rust: { value: '1.80.1', source: '.tool-versions' },
    });
    const msrv = detect(projectWith({ 'Cargo.toml': '[package]\nname = "x"\nrust-version = "1.85"\n' }));
    expect(planFor(msrv).build.imageVersion).toBe('1.91'); // the default (1.83) is too old: the newest stable line
    const older = detect(projectWith({ 'Cargo.toml': '[package]\nname = "x"\nrust-version = "1.74"\n' }));
    expect(planFor(older).build.imageVersion).toBe('1.83');
    const legacy = detect(projectWith({ 'Cargo.toml': '[package]\nname = "x"\n', 'rust-toolchain': 'stable\n' }));
    expect(planFor(legacy).build).toMatchObject({ imageVersion: '1.83', versionSource: 'default' });
    expect(
      detect(projectWith({ 'go.mod': 'module x\n\ngo 1.21\n\ntoolchain go1.22.5\n' })).runtimes?.go?.version,
    ).toEqual({ value: '1.22.5', source: 'go.mod toolchain' });
  });

  it('versionFromSpec reads versions and ranges as projects write them', () => {
    const cases: [string, string, string | undefined][] = [
      ['20.11.1', '22', '20.11.1'],
      ['v20', '22', '20'],
      ['20.x', '22', '20'],
      ['^20.11', '22', '20'],
      ['~20.11.1', '22', '20.11'],
      ['>=18', '22', '22'],
      ['>=24', '22', '24'],
      ['>= 3.10, <3.12', '3.12', '3.10'],
      ['>=3.10,<3.13', '3.12', '3.12'],
      ['^18 || ^20', '22', '20'],
      ['~> 3.2.0', '3.3', '3.2'],
      ['~=3.11', '3.12', '3.11'],
      ['==3.11.*', '3.12', '3.11'],
      ['lts/iron', '22', '20'],
      ['lts/*', '22', undefined],
      ['stable', '1.83', undefined],
      ['pypy3.10', '3.12', undefined],
      ['ruby-3.3.0', '3.3', '3.3.0'],
      ['python-3.11.4', '3.12', '3.11.4'],
      ['<4', '3.12', undefined],
    ];
    expect(cases.map(([spec, fallback]) => versionFromSpec(spec, fallback))).toEqual(cases.map(([, , want]) => want));
  });

  it('an empty directory: generic, and --yes gives the built-in example as node without an install step', () => {
    const dir = tempDir();
    const project = detect(dir);
    expect(project).toMatchObject({ empty: true, runtime: 'generic', packageJson: false, dockerfile: false });
    const p = plan({ dir, yes: true }, project);
    expect(p).toMatchObject({ example: true, runtime: 'node', baseImage: 'node:22-bookworm-slim' });
    expect(p.build.image).toBeUndefined();
    expect(problemsOf(() => plan({ dir, yes: true, runtime: 'python' }, project))).toEqual([
      '--runtime python: the built-in example is a Node.js program; leave --runtime out, or give your own processes with --process',
    ]);
  });

  it('--runtime: unknown names are refused; a runtime without its files is built anyway, with a note', () => {
    const project = detect(projectWith({ 'main.sh': '' }));
    expect(problemsOf(() => planFor(project, { runtime: 'java' }))).toEqual([
      '--runtime "java": must be one of go, node, python, ruby, rust, bun, static, generic',
    ]);
    const go = planFor(project, { runtime: 'go' });
    expect(go.build.image).toBe('golang:1.23-bookworm');
    expect(go.notes.join('\n')).toContain(
      `--runtime go: ${project.dir} has no go.mod; the Dockerfile builds it as Go anyway`,
    );
  });

  it("a runtime's broken files are a problem only when that runtime is built", () => {
    const dir = projectWith({ 'go.mod': 'module x\n', 'package.json': '{ "name": ' });
    const project = detect(dir);
    expect(planFor(project).runtime).toBe('go'); // package.json is not used
    const problems = problemsOf(() => planFor(project, { runtime: 'node' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^package\.json: not valid JSON \(.+\); fix it, or pass --runtime to build the project as another runtime$/,
    );
    const toml = detect(projectWith({ 'pyproject.toml': '[project\nname = 1\n' }));
    expect(problemsOf(() => planFor(toml))[0]).toMatch(/^pyproject\.toml:1:\d+: not valid TOML: /);
  });

  it('a Dockerfile that exists is noted (write.ts never replaces it without --force)', () => {
    expect(detect(projectWith({ Dockerfile: 'FROM scratch\n' })).dockerfile).toBe(true);
  });

  it('suggested commands point to where the build puts the program', () => {
    expect(suggestedProcess(fixtureProject('go').runtimes!.go!)).toEqual({
      name: 'web',
      command: '/app/bin/hello',
      port: 8080,
    });
    expect(suggestedProcess(fixtureProject('rust').runtimes!.rust!).command).toBe('/app/bin/hello-rust');
    expect(suggestedProcess(fixtureProject('node').runtimes!.node!).command).toBe('node server.js');
    expect(suggestedProcess(fixtureProject('python').runtimes!.python!).command).toBe('python app.py');
    expect(suggestedProcess(fixtureProject('ruby').runtimes!.ruby!).command).toBe(
      'bundle exec puma -b tcp://0.0.0.0:8080',
    );
    expect(suggestedProcess({ runtime: 'static' })).toEqual({
      name: 'web',
      command: '/docker-entrypoint.sh nginx -g "daemon off;"',
      port: 80,
    });
    const go = fixtureProject('go');
    expect(problemsOf(() => plan({ dir: go.dir, yes: true }, go))[0]).toContain(
      'for example --process web=/app/bin/hello --port web=8080 --process "worker=bin/worker"',
    );
  });
});

describe('detect stays small and fast', () => {
  it('reads only the files the listing points to: named pipes in place of every other file would block it', async () => {
    // A FIFO blocks whoever reads it; the CLI (bounded by a timeout) would hang if detect read one.
    const dir = projectWith({ 'go.mod': 'module example.com/x\n\ngo 1.23\n' });
    for (const name of ['main.go', 'README.md', 'index.html', 'app.py', 'server.js', 'notes.txt'])
      execFileSync('mkfifo', [path.join(dir, name)]);
    const r = await runCli(
      [dir, '--dry-run', '--process', 'web=/app/bin/x', '--process', 'jobs=/app/bin/y', '--app', 'fifo'],
      { env: {} },
    );
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('FROM golang:1.23-bookworm AS build');
  });

  it('takes well under a millisecond per project', () => {
    for (const name of ['go', 'node', 'python', 'ruby', 'rust']) {
      const dir = fixtureProject(name).dir;
      // CPU time, not wall time: on a loaded machine the wall clock also counts the time spent
      // waiting for a core (it measured 2.8 ms at load 18), which says nothing about detect().
      const start = process.cpuUsage();
      for (let i = 0; i < 50; i++) detect(dir);
      const used = process.cpuUsage(start);
      const ms = (used.user + used.system) / 1000 / 50;
      expect(ms, name).toBeLessThan(2);
    }
  });
});

describe('detect: what real projects need at build time (issue 18)', () => {
  it("node: install-time scripts of the root and of workspaces, the workspaces' manifests, node-gyp packages", () => {
    const dir = projectWith({
      'package.json': pkg({
        workspaces: ['packages/*', 'tools/cli', '!packages/skip'],
        scripts: { postinstall: 'prisma generate', build: 'tsc' },
        dependencies: { 'better-sqlite3': '^11' },
      }),
      'package-lock.json': '{}',
      'packages/a/package.json': pkg({ name: 'a', scripts: { prepare: 'node gen.js' } }),
      'packages/b/package.json': pkg({ name: 'b' }),
      'packages/notes.md': '',
      'tools/cli/package.json': pkg({ name: 'cli' }),
    });
    const facts = detect(dir).runtimes!.node!;
    expect(facts.installScripts).toEqual(['package.json postinstall', 'packages/a/package.json prepare']);
    expect(facts.workspaceManifests).toEqual([
      'packages/a/package.json',
      'packages/b/package.json',
      'tools/cli/package.json',
    ]);
    expect(facts.nodeGyp).toBe(true);
    const p = planFor(detect(dir), { runtime: 'node' });
    expect(p.build.buildPackages).toEqual(['python3', 'make', 'g++']);
    const plain = detect(projectWith({ 'package.json': pkg({ scripts: { start: 'node .' } }) })).runtimes!.node!;
    expect(plain.installScripts).toBeUndefined();
    expect(plain.workspaceManifests).toBeUndefined();
    expect(plain.nodeGyp).toBeUndefined();
  });

  it('go: replace directives to local directories, vendor/, cgo for go-sqlite3', () => {
    const mod =
      'module example.com/app\n\ngo 1.23\n\nrequire (\n\texample.com/lib v0.0.0\n\tgithub.com/mattn/go-sqlite3 v1.14.22\n)\n\nreplace example.com/lib => ./lib\nreplace example.com/up => ../outside\nreplace example.com/gone => ./missing\n';
    const facts = detect(
      projectWith({
        'go.mod': mod,
        'main.go': '',
        'lib/lib.go': '',
        'vendor/modules.txt': '# example.com/lib v0.0.0 => ./lib\n',
      }),
    ).runtimes!.go!;
    expect(facts.goReplaceDirs).toEqual(['lib']);
    expect(facts.goVendor).toBe(true);
    expect(facts.cgo).toBe(true);
    const plain = detect(projectWith({ 'go.mod': 'module x\n\ngo 1.23\n', 'main.go': '' })).runtimes!.go!;
    expect([plain.goReplaceDirs, plain.goVendor, plain.cgo]).toEqual([undefined, undefined, undefined]);
  });

  it('ruby: a Gemfile.lock made on a Mac, path gems, Rails, native gems', () => {
    const lock =
      'GEM\n  remote: https://rubygems.org/\n  specs:\n    pg (1.5.9)\n    mysql2 (0.5.6)\n\nPLATFORMS\n  arm64-darwin-23\n  x86_64-darwin-22\n\nDEPENDENCIES\n  pg\n';
    const dir = projectWith({
      Gemfile: 'source "https://rubygems.org"\ngem "pg"\ngem "mine", path: "gems/mine"\ngem "far", path: "../far"\n',
      'Gemfile.lock': lock,
      'gems/mine/mine.gemspec': '',
      'config/application.rb': '',
      'bin/rails': '',
    });
    const facts = detect(dir).runtimes!.ruby!;
    expect(facts.foreignLockfile).toBe(true);
    expect(facts.pathDeps).toEqual(['gems/mine']);
    expect(facts.rails).toBe(true);
    expect(facts.nativeBuild).toEqual(['libpq-dev', 'default-libmysqlclient-dev']);
    expect(facts.nativeRun).toEqual(['libpq5', 'libmariadb3']);
    const p = planFor(detect(dir), { runtime: 'ruby' });
    expect(p.build.aptPackages).toEqual(['libpq5', 'libmariadb3']);
    const linux = detect(
      projectWith({ Gemfile: '', 'Gemfile.lock': lock.replace('  x86_64-darwin-22\n', '  x86_64-linux\n') }),
    ).runtimes!.ruby!;
    expect(linux.foreignLockfile).toBeUndefined();
    const pure = detect(projectWith({ Gemfile: '', 'Gemfile.lock': 'PLATFORMS\n  ruby\n\nDEPENDENCIES\n' })).runtimes!
      .ruby!;
    expect(pure.foreignLockfile).toBeUndefined();
  });

  it('python: requirements includes (followed, kept inside the project), psycopg2, Django', () => {
    const dir = projectWith({
      'requirements.txt': '-r requirements/prod.txt\n--constraint=constraints.txt\n-r ../outside.txt\nDjango==5.1\n',
      'requirements/prod.txt': '-r base.txt\npsycopg2==2.9.9\n',
      'requirements/base.txt': 'requests\n',
      'constraints.txt': '',
      'manage.py': '',
    });
    const facts = detect(dir).runtimes!.python!;
    expect(facts.requirementFiles).toEqual(['constraints.txt', 'requirements/base.txt', 'requirements/prod.txt']);
    expect(facts.django).toBe(true);
    expect(facts.nativeBuild).toEqual(['gcc', 'libpq-dev']);
    expect(facts.nativeRun).toEqual(['libpq5']);
    const binary = detect(projectWith({ 'requirements.txt': 'psycopg2-binary==2.9.9\n' })).runtimes!.python!;
    expect(binary.nativeBuild).toBeUndefined();
  });

  it('rust: a path dependency turns the placeholder fetch off; openssl-sys in Cargo.lock needs pkg-config and libssl-dev', () => {
    const facts = detect(
      projectWith({
        'Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\n\n[dependencies]\nlib = { path = "lib" }\n',
        'Cargo.lock': 'version = 4\n\n[[package]]\nname = "openssl-sys"\nversion = "0.9.104"\n',
      }),
    ).runtimes!.rust!;
    expect(facts.cargoFetchFirst).toBeUndefined();
    expect(facts.nativeBuild).toEqual(['pkg-config', 'libssl-dev']);
    expect(facts.nativeRun).toEqual(['libssl3']);
    expect(
      detect(projectWith({ 'Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\n' })).runtimes!.rust!
        .cargoFetchFirst,
    ).toBe(true);
  });

  it("static: nginx/templates is copied for the image's envsubst step", () => {
    expect(
      detect(projectWith({ 'public/index.html': '', 'nginx/templates/default.conf.template': '' })).runtimes!.static!
        .nginxTemplates,
    ).toBe('nginx/templates');
  });

  it('extra packages: added to both stages, bad names rejected with the flag named', async () => {
    const { chooseBuild } = await import('../src/runtimes.js');
    const project = detect(projectWith({ 'go.mod': 'module x\n\ngo 1.23\n', 'main.go': '' }));
    const problems: string[] = [];
    const build = chooseBuild(undefined, project, false, problems, [], {
      packages: ['libvips42', 'x; rm -rf /'],
      buildPackages: ['libvips-dev'],
    });
    expect(build.aptPackages).toEqual(['ca-certificates', 'libvips42']);
    expect(build.buildPackages).toEqual(['libvips-dev']);
    expect(problems).toEqual([
      '--packages "x; rm -rf /": not a Debian package name (lower-case letters, digits, + - . only, e.g. libpq5); pass one name per package',
    ]);
  });
});
