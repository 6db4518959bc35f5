import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detect } from '../src/detect.js';
import { plan } from '../src/plan.js';
import { render } from '../src/render.js';
import { RUNTIMES, STRATEGY_NAMES, type Answers, type Project, type Runtime, type StrategyName } from '../src/types.js';
import { BASE_PROJECT, CASES, FIXTURE_PROJECTS, fixtureProject, renderCase } from './cases.js';
import { lintDockerfile, pinned, stagesOf, type Stage } from './dockerfile-lint.js';
import { ROOT, cleanupTemps, projectWith, tempDir } from './helpers.js';

afterAll(cleanupTemps);

const pkg = (extra: object = {}) => JSON.stringify({ name: 'x', version: '1.0.0', private: true, ...extra });

/** Project variants beyond the fixtures: every package manager, installer and layout the templates handle. */
const VARIANTS: Record<string, () => string> = {
  'node-pnpm': () =>
    projectWith({
      'package.json': pkg({ packageManager: 'pnpm@9.12.0', scripts: { build: 'tsc' } }),
      'pnpm-lock.yaml': "lockfileVersion: '9.0'\n",
    }),
  'node-pnpm-node25': () =>
    projectWith({
      'package.json': pkg({ scripts: { build: 'x' } }),
      'pnpm-lock.yaml': "lockfileVersion: '9.0'\n",
      '.nvmrc': '25\n',
    }),
  'node-yarn': () =>
    projectWith({ 'package.json': pkg({ scripts: { build: 'x' } }), 'yarn.lock': '# yarn lockfile v1\n' }),
  'node-yarn-berry': () =>
    projectWith({
      'package.json': pkg(),
      'yarn.lock': '__metadata:\n  version: 8\n',
      '.yarnrc.yml': 'nodeLinker: node-modules\n',
    }),
  'node-no-lock': () => projectWith({ 'package.json': pkg({ engines: { node: '^18.19' } }), 'index.js': '' }),
  'bun-lockb-build': () =>
    projectWith({ 'package.json': pkg({ scripts: { build: 'bun build ./index.ts' } }), 'bun.lockb': '\0' }),
  'python-requirements': () =>
    projectWith({
      'requirements.txt': 'flask==3.0.3\ngunicorn==23.0.0\n',
      'runtime.txt': 'python-3.11.9\n',
      'app.py': '',
    }),
  'python-poetry': () =>
    projectWith({
      'pyproject.toml': '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\npython = "^3.11"\n',
      'poetry.lock': '# poetry\n',
    }),
  'python-pyproject': () =>
    projectWith({
      'pyproject.toml':
        '[project]\nname = "x"\nversion = "1"\ndependencies = ["flask"]\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
    }),
  'ruby-no-lock': () =>
    projectWith({ Gemfile: 'source "https://rubygems.org"\nruby "3.2.4"\ngem "rack"\n', 'app.rb': '' }),
  'rust-workspace': () =>
    projectWith({
      'Cargo.toml': '[workspace]\nmembers = ["api", "worker"]\n',
      'api/Cargo.toml': '[package]\nname = "api"\n',
    }),
  'go-sum': () =>
    projectWith({
      'go.mod': 'module github.com/acme/api/v2\n\ngo 1.21\n\ntoolchain go1.23.4\n',
      'go.sum': '',
      'cmd/api/main.go': 'package main\n',
      'cmd/jobs/main.go': 'package main\n',
    }),
  'static-public': () => projectWith({ 'public/index.html': '<!doctype html>\n', 'README.md': '' }),
  generic: () => projectWith({ 'main.sh': '' }),
};

/** The runtime each variant builds as (the fixtures build as their own name). */
const variantRuntime = (name: string): Runtime => (name === 'generic' ? 'generic' : (name.split('-')[0] as Runtime));

const RUNTIME_PROJECTS: [string, Runtime, () => Project][] = [
  ...(['go', 'node', 'bun', 'python', 'ruby', 'rust', 'static'] as Runtime[]).map(
    (r): [string, Runtime, () => Project] => [`fixture ${r}`, r, () => fixtureProject(r)],
  ),
  ...Object.entries(VARIANTS).map(([name, make]): [string, Runtime, () => Project] => [
    name,
    variantRuntime(name),
    () => detect(make()),
  ]),
];

function renderFor(project: Project, runtime: Runtime, strategy: StrategyName, extra: Partial<Answers> = {}) {
  const answers: Answers = {
    dir: project.dir,
    strategy,
    runtime,
    processes: ['web=/app/bin/web --port 8080', 'worker=/app/bin/worker'],
    ports: ['web=8080'],
    app: 'lint-me',
    killTimeout: '10',
    ...extra,
  };
  const p = plan(answers, project);
  const files = render(p, project);
  return {
    plan: p,
    files,
    dockerfile: files.find((f) => f.path === 'Dockerfile')!.content,
    ignore: files.find((f) => f.path === '.dockerignore')!.content,
  };
}

const INSTALL =
  /\b(npm ci|npm install|pnpm install|yarn install|bun install|pip install|uv sync|uv pip install|poetry install|bundle install|go mod download|cargo fetch)\b/;

/** Structural rules of a multi-stage build, beyond the lint rules. */
function structureProblems(stages: Stage[], runtime: Runtime, projectDir: string, generated: string[]): string[] {
  const problems: string[] = [];
  const final = stages.at(-1)!;
  const build = stages.find((s) => s.name === 'build');
  if (build) {
    const copyAll = build.lines.findIndex((l) => l.keyword === 'COPY' && !l.from && /^\. /.test(l.args));
    const install = build.lines.findIndex((l) => l.keyword === 'RUN' && INSTALL.test(l.args));
    if (copyAll < 0) problems.push('the build stage never copies the source');
    // Dependencies are installed from the manifests alone, before the source is copied (layer caching);
    // a Rust workspace is the one case where the manifests need the source.
    if (
      install >= 0 &&
      install > copyAll &&
      !(runtime === 'rust' && !build.lines.some((l) => /cargo fetch/.test(l.args)))
    ) {
      problems.push('dependencies are installed after the source is copied');
    }
  }
  // Every file copied from the build context exists there (in the project or among the generated files).
  for (const stage of stages) {
    for (const l of stage.lines) {
      if (l.keyword !== 'COPY' || l.from) continue;
      for (const source of l.args.split(' ').slice(0, -1)) {
        if (source === '.' || source.endsWith('/')) continue;
        if (!existsSync(path.join(projectDir, source)) && !generated.includes(source))
          problems.push(`COPY ${source}: not in the build context`);
      }
    }
  }
  const copiesContext = final.lines.some((l) => l.keyword === 'COPY' && !l.from && /^\. /.test(l.args));
  if ((runtime === 'go' || runtime === 'rust') && copiesContext)
    problems.push('the final stage of a compiled runtime copies the source');
  if (
    (runtime === 'go' || runtime === 'rust') &&
    !final.lines.some((l) => l.from === 'build' && /\/out\/bin\/ \/app\/bin\//.test(l.args))
  ) {
    problems.push('the final stage does not copy the programs to /app/bin');
  }
  if (runtime === 'python' && !final.lines.some((l) => l.keyword === 'ENV' && /PYTHONUNBUFFERED=1/.test(l.args)))
    problems.push('python: no PYTHONUNBUFFERED=1');
  return problems;
}

function ignoreProblems(ignore: string): string[] {
  const lines = ignore.split('\n').filter((l) => l && !l.startsWith('#'));
  return ['.env', '.overmind.env']
    .filter((name) => !lines.includes(name) && !lines.includes(`**/${name}`))
    .map((name) => `.dockerignore does not exclude ${name}`);
}

describe('the linter can fail', () => {
  it('flags unpinned images, shell form, ADD, apt-get without its flags or cleanup, apk without --no-cache', () => {
    const bad = [
      'FROM debian AS one',
      'FROM node:latest',
      'COPY --from=ghcr.io/astral-sh/uv /uv /uv',
      'COPY --from=one /x /x',
      'ADD . /app',
      'RUN apt-get install x',
      'RUN apk add bash',
      'ENTRYPOINT /app/e.sh',
    ].join('\n');
    expect(lintDockerfile(`${bad}\n`)).toEqual([
      'line 1: FROM debian: base image tag not pinned',
      'line 2: FROM node:latest: base image tag not pinned',
      'line 3: COPY --from=ghcr.io/astral-sh/uv: image not pinned',
      'line 5: ADD: use COPY for local files',
      'line 6: apt-get install without --no-install-recommends',
      'line 6: apt-get install without -y',
      'line 6: apt-get install without apt-get update in the same RUN',
      'line 6: apt-get lists not cleaned up',
      'line 7: apk add without --no-cache',
      'line 8: ENTRYPOINT /app/e.sh: shell form (use the exec form ["..."])',
    ]);
  });

  it('reports syntax errors from the parser and a final stage without ENTRYPOINT', () => {
    expect(
      lintDockerfile(
        'FROM debian:bookworm-slim\nFROMM x\nCOPY --frm=x a b\nCOPY a\nENTRYPOINT ["/e"]\nFROM debian:bookworm-slim\n',
      ),
    ).toEqual([
      'line 2: Unknown instruction: FROMM',
      'line 3: Unknown flag: frm',
      'line 4: COPY requires at least two arguments',
      'the final stage has no ENTRYPOINT',
    ]);
    expect(pinned('alpine:3.20')).toBe(true);
    expect(pinned('registry:5000/team/base')).toBe(false);
    expect(pinned(`debian@sha256:${'a'.repeat(64)}`)).toBe(true);
  });

  it('structure rules catch an install after the source and a compiled final stage with the source', () => {
    const text = [
      'FROM golang:1.23-bookworm AS build',
      'COPY . .',
      'RUN go mod download',
      'FROM debian:bookworm-slim',
      'COPY . .',
      'ENTRYPOINT ["/e"]',
    ].join('\n');
    expect(structureProblems(stagesOf(text), 'go', FIXTURE_PROJECTS, [])).toEqual([
      'dependencies are installed after the source is copied',
      'the final stage of a compiled runtime copies the source',
      'the final stage does not copy the programs to /app/bin',
    ]);
    expect(ignoreProblems('# x\n.env\n')).toEqual(['.dockerignore does not exclude .overmind.env']);
  });
});

describe.each(Object.keys(CASES))('golden case %s: Dockerfile', (name) => {
  const { plan: p, files } = renderCase(name);
  const dockerfile = files.find((f) => f.path === 'Dockerfile')!.content;
  it('parses and passes the lint rules', () => {
    expect(lintDockerfile(dockerfile)).toEqual([]);
  });
  it('has the build structure of its runtime, and a .dockerignore without secrets', () => {
    const projectDir = { ...BASE_PROJECT, ...CASES[name]!.project }.dir;
    expect(
      structureProblems(
        stagesOf(dockerfile),
        p.runtime,
        projectDir,
        files.map((f) => f.path),
      ),
    ).toEqual([]);
    expect(ignoreProblems(files.find((f) => f.path === '.dockerignore')!.content)).toEqual([]);
  });
});

describe.each(RUNTIME_PROJECTS)('%s, every strategy', (_name, runtime, makeProject) => {
  const project = makeProject();
  it.each(STRATEGY_NAMES)('%s: parses, passes the lint rules and the structure rules', (strategy) => {
    const { plan: p, files, dockerfile, ignore } = renderFor(project, runtime, strategy);
    expect(p.runtime).toBe(runtime);
    expect(lintDockerfile(dockerfile)).toEqual([]);
    expect(
      structureProblems(
        stagesOf(dockerfile),
        runtime,
        project.dir,
        files.map((f) => f.path),
      ),
    ).toEqual([]);
    expect(ignoreProblems(ignore)).toEqual([]);
  });
});

describe('what each build stage does', () => {
  const stagesFor = (name: string, runtime: Runtime, extra: Partial<Answers> = {}) => {
    const project = name.startsWith('fixture ') ? fixtureProject(name.slice(8)) : detect(VARIANTS[name]!());
    const r = renderFor(project, runtime, 'bash', extra);
    return { ...r, stages: stagesOf(r.dockerfile) };
  };
  const runs = (stage: Stage | undefined) =>
    stage?.lines
      .filter((l) => l.keyword === 'RUN' || l.keyword === 'COPY')
      .map((l) => `${l.keyword}${l.from ? ` --from=${l.from}` : ''} ${l.args}`);

  it('go: version from go.mod, go.sum copied with go.mod, programs into /app/bin of a slim Debian with CA certificates', () => {
    const { stages, plan: p } = stagesFor('go-sum', 'go');
    expect(stages.map((s) => s.image)).toEqual(['golang:1.23-bookworm', 'debian:bookworm-slim']); // toolchain go1.23.4 wins over go 1.21
    expect(runs(stages[0])!.slice(0, 2)).toEqual(['COPY go.mod go.sum ./', 'RUN go mod download']);
    expect(runs(stages[1])).toEqual([
      'RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*',
      'RUN useradd --system --user-group --create-home --home-dir /home/app --shell /bin/sh app',
      'COPY --from=build /out/bin/ /app/bin/',
      'COPY entrypoint.sh ./',
      'RUN chmod 0755 entrypoint.sh',
    ]);
    expect(p.build.facts.programs).toEqual(['api', 'jobs']);
  });

  it('node: the package manager from the lockfile, build script run, dev dependencies pruned', () => {
    expect(runs(stagesFor('node-pnpm', 'node').stages[0])).toEqual([
      'RUN corepack enable',
      'COPY package.json pnpm-lock.yaml ./',
      'RUN pnpm install --frozen-lockfile',
      'COPY . .',
      'RUN pnpm run build',
      'RUN pnpm prune --prod',
    ]);
    expect(runs(stagesFor('node-pnpm-node25', 'node').stages[0])![0]).toBe(
      'RUN npm install -g corepack@0.36.0 && corepack enable',
    );
    expect(runs(stagesFor('node-yarn', 'node').stages[0])).toEqual([
      'COPY package.json yarn.lock ./',
      'RUN yarn install --frozen-lockfile',
      'COPY . .',
      'RUN yarn run build',
      'RUN yarn install --frozen-lockfile --production --ignore-scripts --prefer-offline',
    ]);
    expect(runs(stagesFor('node-yarn-berry', 'node').stages[0])).toEqual([
      'RUN corepack enable',
      'COPY package.json yarn.lock ./',
      'RUN yarn workspaces focus --all --production',
      'COPY . .',
    ]);
    const noLock = stagesFor('node-no-lock', 'node');
    expect(noLock.stages.map((s) => s.image)).toEqual(['node:18-bookworm-slim', 'node:18-bookworm-slim']); // engines.node ^18.19
    expect(runs(noLock.stages[0])).toEqual(['COPY package.json ./', 'RUN npm install --omit=dev', 'COPY . .']);
    expect(runs(stagesFor('fixture node', 'node').stages[0])).toEqual([
      'COPY package.json package-lock.json ./',
      'RUN npm ci',
      'COPY . .',
      'RUN npm run build',
      'RUN npm prune --omit=dev',
    ]);
  });

  it('the built-in example (node, no package.json) has no build stage and no install step', () => {
    const dir = tempDir();
    const project = detect(dir);
    const p = plan({ dir, yes: true }, project);
    const dockerfile = render(p, project).find((f) => f.path === 'Dockerfile')!.content;
    const stages = stagesOf(dockerfile);
    expect(p.runtime).toBe('node');
    expect(stages.map((s) => s.image)).toEqual(['node:22-bookworm-slim']);
    expect(runs(stages[0])).toEqual([
      'RUN useradd --system --user-group --create-home --home-dir /home/app --shell /bin/sh app',
      'COPY . .',
      'RUN chmod 0755 entrypoint.sh',
    ]);
    expect(lintDockerfile(dockerfile)).toEqual([]);
  });

  it('bun: bun install from the lockfile, then only production dependencies', () => {
    const { stages } = stagesFor('bun-lockb-build', 'bun');
    expect(stages.map((s) => s.image)).toEqual(['oven/bun:1.2-slim', 'oven/bun:1.2-slim']);
    expect(runs(stages[0])).toEqual([
      'COPY package.json bun.lockb ./',
      'RUN bun install --frozen-lockfile',
      'COPY . .',
      'RUN bun run build',
      'RUN rm -rf node_modules && bun install --frozen-lockfile --production',
    ]);
    expect(stagesFor('fixture bun', 'bun').stages[0]!.image).toBe('oven/bun:1.1-slim'); // packageManager bun@1.1.38
  });

  it('python: a virtual environment per installer, unbuffered output in the final stage', () => {
    const req = stagesFor('python-requirements', 'python');
    expect(req.stages.map((s) => s.image)).toEqual(['python:3.11-slim-bookworm', 'python:3.11-slim-bookworm']); // runtime.txt
    expect(runs(req.stages[0])).toEqual([
      'COPY requirements.txt ./',
      'RUN python -m venv /app/.venv && /app/.venv/bin/pip install -r requirements.txt',
      'COPY . .',
    ]);
    expect(runs(stagesFor('python-poetry', 'python').stages[0])).toEqual([
      'RUN pip install poetry==2.1.3',
      'COPY pyproject.toml poetry.lock ./',
      'RUN poetry install --only main --no-root',
      'COPY . .',
    ]);
    expect(runs(stagesFor('python-pyproject', 'python').stages[0])).toEqual([
      'COPY --from=ghcr.io/astral-sh/uv:0.8.15 /uv /usr/local/bin/uv',
      'COPY pyproject.toml ./',
      'RUN uv venv /app/.venv && uv pip install --python /app/.venv/bin/python -r pyproject.toml',
      'COPY . .',
      'RUN uv pip install --python /app/.venv/bin/python --no-deps .',
    ]);
    const uv = stagesFor('fixture python', 'python');
    expect(runs(uv.stages[0])).toEqual([
      'COPY --from=ghcr.io/astral-sh/uv:0.8.15 /uv /usr/local/bin/uv',
      'COPY pyproject.toml uv.lock ./',
      'RUN uv sync --locked --no-dev --no-install-project',
      'COPY . .',
      'RUN uv sync --locked --no-dev',
    ]);
    const env = uv.stages[1]!.lines.filter((l) => l.keyword === 'ENV')
      .map((l) => l.args)
      .join(' ');
    expect(env).toContain('PYTHONUNBUFFERED=1');
    expect(env).toContain('PATH="/app/.venv/bin:$PATH"');
  });

  it('ruby: gems in deployment mode with a lockfile, the version file copied for `ruby file:`', () => {
    expect(runs(stagesFor('fixture ruby', 'ruby').stages[0])!.slice(1, 4)).toEqual([
      'COPY Gemfile Gemfile.lock .ruby-version ./',
      'RUN bundle install && rm -rf ~/.bundle "${BUNDLE_PATH}"/ruby/*/cache',
      'COPY . .',
    ]);
    const noLock = stagesFor('ruby-no-lock', 'ruby');
    expect(noLock.stages[0]!.image).toBe('ruby:3.2-slim-bookworm'); // Gemfile `ruby "3.2.4"`
    expect(noLock.dockerfile).not.toContain('BUNDLE_DEPLOYMENT');
  });

  it('rust: fetch first for a plain package, not for a workspace; toolchain from rust-toolchain.toml', () => {
    const plain = stagesFor('fixture rust', 'rust');
    expect(plain.stages[0]!.image).toBe('rust:1.79-slim-bookworm');
    expect(runs(plain.stages[0])!.slice(0, 2)).toEqual([
      'COPY Cargo.toml Cargo.lock ./',
      "RUN mkdir -p src && echo 'fn main() {}' > src/main.rs && cargo fetch --locked && rm -rf src",
    ]);
    const workspace = stagesFor('rust-workspace', 'rust');
    expect(workspace.stages[0]!.image).toBe('rust:1.83-slim-bookworm');
    expect(workspace.dockerfile).not.toContain('cargo fetch');
    expect(workspace.dockerfile).not.toContain('--locked');
  });

  it('static: nginx serves the site; a site at the root loses the generated files first', () => {
    const root = stagesFor('fixture static', 'static', { strategy: 'supervisord' });
    expect(root.stages.map((s) => s.image)).toEqual(['nginx:1.27-bookworm', 'nginx:1.27-bookworm']);
    expect(runs(root.stages[0])).toEqual([
      'COPY . /site',
      'RUN cd /site && rm -f entrypoint.sh supervisor.conf supervisor-fail-fast.sh',
    ]);
    const sub = stagesFor('static-public', 'static');
    expect(sub.stages).toHaveLength(1);
    expect(runs(sub.stages[0])![0]).toBe('COPY public/ /usr/share/nginx/html/');
  });

  it('generic: one stage on --base-image; an Alpine image gets apk packages', () => {
    const { stages, dockerfile } = stagesFor('generic', 'generic', { baseImage: 'alpine:3.20' });
    expect(stages.map((s) => s.image)).toEqual(['alpine:3.20']);
    expect(dockerfile).toContain('RUN apk add --no-cache bash\n');
    expect(lintDockerfile(dockerfile)).toEqual([]);
    const go = stagesFor('go-sum', 'go', { baseImage: 'alpine:3.20' });
    expect(go.dockerfile).toContain('RUN apk add --no-cache ca-certificates bash\n');
  });
});

describe('a final stage without the source', () => {
  it('copies the generated files and your own *.sh templates, each into its directory, so chmod finds them', () => {
    const project = fixtureProject('go');
    const p = plan(
      {
        dir: project.dir,
        strategy: 'supervisord',
        processes: ['web=/app/bin/hello', 'worker=/app/bin/worker'],
        ports: ['web=8080'],
        app: 'x',
      },
      project,
    );
    const files = render(p, project, [path.join(ROOT, 'test', 'fixtures', 'templates', 'extra')]);
    expect(files.map((f) => f.path)).toContain('bin/healthcheck.sh');
    const dockerfile = files.find((f) => f.path === 'Dockerfile')!.content;
    expect(dockerfile).toContain(
      'COPY --from=build /out/bin/ /app/bin/\n# What the programs read at run time, found in the project (README "Go and Rust: PATH and run-time\n# files"; add more by overriding this partial).\nCOPY --from=build /src/templates ./templates\nCOPY entrypoint.sh supervisor.conf supervisor-fail-fast.sh ./\nCOPY bin/healthcheck.sh ./bin/\n# The executable bit can be lost on the way (Windows checkouts, archives): set it again.\nRUN chmod 0755 entrypoint.sh supervisor-fail-fast.sh bin/healthcheck.sh\n',
    );
    expect(lintDockerfile(dockerfile)).toEqual([]);
    expect(
      structureProblems(
        stagesOf(dockerfile),
        'go',
        project.dir,
        files.map((f) => f.path),
      ),
    ).toEqual([]);
  });
});

describe('runtime versions the project cannot have', () => {
  it('a version older than any bookworm image falls back to the default, with a note', () => {
    const dir = projectWith({ 'go.mod': 'module x\n\ngo 1.16\n' });
    const p = plan({ dir, processes: ['web=/app/bin/x'] }, detect(dir));
    expect(p.build.image).toBe('golang:1.23-bookworm');
    expect(p.notes.join('\n')).toContain(
      'go.mod asks for Go "1.16", older than the oldest with Debian bookworm images (1.20): building with Go 1.23',
    );
  });

  it('a version that names none (lts/*, pypy) builds with the default, noting only what is unusual', () => {
    const lts = projectWith({ 'package.json': pkg(), '.nvmrc': 'lts/*\n' });
    const p = plan({ dir: lts, processes: ['web=node x.js'] }, detect(lts));
    expect(p.build.image).toBe('node:22-bookworm-slim');
    expect(p.notes.join('\n')).not.toContain('.nvmrc');
    const pypy = projectWith({ 'requirements.txt': '', '.python-version': 'pypy3.10\n' });
    const q = plan({ dir: pypy, processes: ['web=python x.py'] }, detect(pypy));
    expect(q.build.image).toBe('python:3.12-slim-bookworm');
    expect(q.notes.join('\n')).toContain(
      '.python-version asks for Python "pypy3.10", which names no version an image is tagged with',
    );
  });

  it('every runtime is covered by the matrix above', () => {
    expect(new Set(RUNTIME_PROJECTS.map(([, r]) => r))).toEqual(new Set(RUNTIMES));
  });
});
