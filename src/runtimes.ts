/**
 * Runtimes: what detect() learns about a project per runtime (RuntimeFacts), and how plan() turns
 * that into a Build: the images of the build and final stages, the version the project asks for,
 * and what the final stage needs. The Dockerfile templates (templates/partials/<runtime>/) read
 * plan.build and decide nothing else on their own.
 */
import { shellQuote } from './escape.js';
import { RUNTIMES, type Project, type Runtime } from './types.js';

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';
export type PythonInstaller = 'uv' | 'poetry' | 'requirements' | 'pyproject';

/** A version as the project writes it (a version or a range), and the file it is written in. */
export interface VersionHint {
  value: string;
  source: string;
}

/** What one runtime needs to know about the project. Fields a runtime does not use stay undefined. */
export interface RuntimeFacts {
  runtime: Runtime;
  /** The files that point to this runtime, e.g. ["package.json", "pnpm-lock.yaml"]. */
  evidence: string[];
  /** The version the project asks for, first found wins (e.g. .nvmrc before engines.node). */
  version?: VersionHint;
  /** Problems with the project's files, reported when this runtime is used (e.g. package.json is not JSON). */
  problems?: string[];
  /** Things worth knowing when this runtime is used. */
  notes?: string[];

  /** node, bun: the package manager (from package.json "packageManager", else the lockfile). */
  packageManager?: PackageManager;
  /** node, bun: its lockfile, copied before the install (absent: install without one). */
  lockfile?: string;
  /** node: yarn 2+ ("berry": .yarnrc.yml or packageManager yarn@2+), installed through corepack. */
  yarnBerry?: boolean;
  /** node, bun: package.json has a "build" script, run in the build stage. */
  buildScript?: boolean;
  /**
   * node, bun: package.json (the root's or a workspace's) runs scripts at install time (preinstall,
   * install, postinstall, prepare) that may read the source (prisma generate, a scripts/ helper):
   * the source is copied before the install.
   */
  installScripts?: string[];
  /** node, bun: the workspaces' package.json files (package.json "workspaces"), copied with the lockfile. */
  workspaceManifests?: string[];
  /** node: a dependency builds native code with node-gyp (binding.gyp, or a known native package). */
  nodeGyp?: boolean;

  /** python: how dependencies are installed. */
  pythonInstaller?: PythonInstaller;
  /** python: pyproject.toml declares a [build-system], so the project itself is installed too. */
  installProject?: boolean;
  /** python: files requirements.txt includes (-r/-c), copied with it before the install. */
  requirementFiles?: string[];

  /** go: go.sum exists (copied with go.mod before `go mod download`). */
  goSum?: boolean;
  /** go: directories go.mod's replace directives point to, copied with go.mod before the download. */
  goReplaceDirs?: string[];
  /** go: vendor/modules.txt exists: the build uses the vendored modules, nothing is downloaded. */
  goVendor?: boolean;
  /** go: a dependency needs cgo (go-sqlite3 and the like): CGO_ENABLED=1, a glibc final stage. */
  cgo?: boolean;
  /** rust: Cargo.lock exists (the build uses --locked). */
  cargoLock?: boolean;
  /**
   * rust: a plain package (no workspace, no explicit targets or build script), so its dependencies
   * can be fetched against a placeholder main.rs before the source is copied.
   */
  cargoFetchFirst?: boolean;
  /** ruby: Gemfile.lock exists (bundle install in deployment mode). */
  gemfileLock?: boolean;
  /** ruby: Gemfile.lock lists platforms, none of them Linux (made on a Mac): x86_64-linux is added before the install. */
  foreignLockfile?: boolean;
  /** ruby, rust: directories of local path dependencies (Gemfile `path:` gems), copied with the manifests. */
  pathDeps?: string[];
  /** ruby: a Rails app (config/application.rb and bin/rails): assets are precompiled in the build stage. */
  rails?: boolean;
  /** python: a Django project (manage.py and django in the requirements): collectstatic in the build stage. */
  django?: boolean;
  /**
   * OS packages the project's dependencies need, found in its lockfiles (pg -> libpq, mysql2,
   * sqlite3, openssl-sys, node-gyp): build stage (headers, compilers) and final stage (libraries).
   */
  nativeBuild?: string[];
  nativeRun?: string[];
  /** static: the directory with the site's index.html ("." for the project root). */
  siteDir?: string;
  /** static: nginx/templates/ (*.template files the nginx image's entrypoint fills in with envsubst at start). */
  nginxTemplates?: string;

  /**
   * go, rust: what the programs read at run time, found in the project (RUN_TIME_PATHS: templates/,
   * static/, migrations/, ...), copied into the final stage beside the programs.
   */
  keep?: string[];
  /** go, rust: programs the build produces (their names under /app/bin), when known. */
  programs?: string[];
  /** The file that starts the program, when there is an obvious one (node main, main.py, config.ru). */
  entry?: string;
}

/** The resolved build of the chosen runtime: what detect() found, and the images and versions to use. */
export interface Build {
  /** The runtime to build: --runtime, else the detected one. */
  runtime: Runtime;
  /** What detect() learned about this runtime in the project (only runtime and evidence: [] when there is no evidence). */
  facts: RuntimeFacts;
  /** The version of the runtime's images, e.g. "1.22.3"; absent for static and generic. */
  imageVersion?: string;
  /** Where imageVersion comes from: a project file, or "default". */
  versionSource?: string;
  /** The build stage's image; absent when the Dockerfile has no build stage. */
  image?: string;
  /** The image of the final stage when --base-image does not name one. */
  runImage: string;
  /** Debian packages the final stage needs for the runtime and the project's dependencies, plus extraPackages (the strategy's come on top). */
  aptPackages: string[];
  /** Debian packages the build stage installs before the dependencies: what native dependencies need to compile, plus extraBuildPackages. */
  buildPackages: string[];
  /**
   * The unprivileged user the final stage runs as (created there), or undefined to stay root:
   * static (nginx binds port 80 as root and drops to its own user for the workers).
   */
  user?: string;
  /** .dockerignore lines for this runtime (the common ones are in the template). */
  ignore: string[];
  /** python: the pinned uv image (uv.lock, or pyproject.toml without a lock) and Poetry version. */
  uvImage?: string;
  poetryVersion?: string;
  /**
   * Generated files the image needs at run time, relative to the project directory. The final
   * stage of a compiled runtime copies these (and the programs), not the source.
   */
  runFiles: string[];
}

/**
 * Files and directories a compiled program commonly reads at run time, relative to the project
 * (html/template and Tera/Askama templates, static assets, SQL migrations run by the program,
 * translations, framework config). The Go and Rust final stages copy those that exist; for others,
 * override partials/go/app.ejs or partials/rust/app.ejs (TEMPLATES.md).
 */
export const RUN_TIME_PATHS = [
  'templates',
  'views',
  'static',
  'public',
  'assets',
  'web',
  'migrations',
  'locales',
  'i18n',
  'config',
  'Rocket.toml',
  '.sqlx',
];

/** The final stage's unprivileged user (README "Runtimes and the Dockerfile": what needs root). */
export const RUN_USER = 'app';

/** uv, pinned: installs Python dependencies from uv.lock, or from pyproject.toml without a lock. */
export const UV_IMAGE = 'ghcr.io/astral-sh/uv:0.8.15';
/** Poetry, pinned: installed with pip in the build stage only. */
export const POETRY_VERSION = '2.1.3';

interface RuntimeInfo {
  /** How the runtime is named in messages. */
  label: string;
  defaultVersion?: string;
  /** The oldest version with images on the Debian release the images use (bookworm). */
  minimum?: string;
  buildImage?(version: string): string;
  runImage(version: string | undefined): string;
  aptPackages: string[];
  ignore: string[];
}

/** Build and final images per runtime. Tags are pinned to a version; Debian bookworm throughout. */
export const RUNTIME_INFO: Record<Runtime, RuntimeInfo> = {
  go: {
    label: 'Go',
    defaultVersion: '1.23',
    minimum: '1.20',
    buildImage: (v) => `golang:${v}-bookworm`,
    runImage: () => 'debian:bookworm-slim',
    // Go programs that call out over TLS need the CA bundle; the slim image has none.
    aptPackages: ['ca-certificates'],
    ignore: ['*.test', '*.out', 'coverage.*'],
  },
  node: {
    label: 'Node.js',
    defaultVersion: '22',
    minimum: '18',
    buildImage: (v) => `node:${v}-bookworm-slim`,
    runImage: (v) => `node:${v}-bookworm-slim`,
    aptPackages: [],
    ignore: [
      '**/node_modules',
      'npm-debug.log*',
      'yarn-debug.log*',
      'yarn-error.log*',
      '.pnpm-store',
      '.npm',
      'coverage',
    ],
  },
  bun: {
    label: 'Bun',
    defaultVersion: '1.2',
    minimum: '1.0',
    buildImage: (v) => `oven/bun:${v}-slim`,
    runImage: (v) => `oven/bun:${v}-slim`,
    aptPackages: [],
    ignore: ['**/node_modules', 'coverage'],
  },
  python: {
    label: 'Python',
    defaultVersion: '3.12',
    minimum: '3.8',
    buildImage: (v) => `python:${v}-slim-bookworm`,
    runImage: (v) => `python:${v}-slim-bookworm`,
    aptPackages: [],
    ignore: [
      '**/__pycache__',
      '**/*.py[cod]',
      '.venv',
      'venv',
      '.pytest_cache',
      '.mypy_cache',
      '.ruff_cache',
      '.tox',
      '**/*.egg-info',
    ],
  },
  ruby: {
    label: 'Ruby',
    defaultVersion: '3.3',
    minimum: '3.0',
    buildImage: (v) => `ruby:${v}-slim-bookworm`,
    runImage: (v) => `ruby:${v}-slim-bookworm`,
    aptPackages: [],
    ignore: ['.bundle', 'vendor/bundle', 'log/*', 'tmp/*', '**/node_modules'],
  },
  rust: {
    label: 'Rust',
    defaultVersion: '1.83',
    minimum: '1.70',
    buildImage: (v) => `rust:${v}-slim-bookworm`,
    runImage: () => 'debian:bookworm-slim',
    aptPackages: ['ca-certificates'],
    ignore: ['target'],
  },
  static: {
    label: 'static site',
    runImage: () => 'nginx:1.27-bookworm',
    aptPackages: [],
    ignore: ['**/node_modules'],
  },
  generic: {
    label: 'generic',
    runImage: () => 'debian:bookworm-slim',
    aptPackages: [],
    ignore: [],
  },
};

/** Node.js LTS code names (`lts/iron` in .nvmrc). */
const NODE_LTS: Record<string, string> = {
  argon: '4',
  boron: '6',
  carbon: '8',
  dubnium: '10',
  erbium: '12',
  fermium: '14',
  gallium: '16',
  hydrogen: '18',
  iron: '20',
  jod: '22',
  krypton: '24',
};

function parts(version: string): number[] {
  return version.split('.').map(Number);
}

/** Compare versions on the components both have: "22" vs "18.2" compares 22 with 18. */
function compareCommon(a: string, b: string): number {
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i]! !== y[i]!) return x[i]! - y[i]!;
  }
  return 0;
}

/** Compare versions component by component, missing components as 0. */
function compareFull(a: string, b: string): number {
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

const COMPARATOR = /(>=|<=|>|<|\^|~>|~=|~|===|==|=|!=)?\s*v?(\d+(?:\.(?:\d+|[xX*]))*)/g;

/**
 * A version or range, as projects write them (semver, PEP 440, gem requirements, go.mod), to the
 * version of an image tag: "20.11.1" -> "20.11.1", "^20.11" -> "20", "~3.2.1" / "~> 3.2" -> "3.2",
 * ">=18" -> the default when it satisfies the bound, else "18". Undefined when no version is named
 * ("lts/*", "stable", "<4").
 */
export function versionFromSpec(raw: string, fallback: string): string | undefined {
  let spec = raw.trim();
  const lts = /^lts\/([a-z]+)$/i.exec(spec);
  if (lts) return NODE_LTS[lts[1]!.toLowerCase()];
  // Of alternatives ("^18 || ^20"), the last is usually the newest.
  spec = spec.split('||').pop()!.trim();
  const upper: { op: string; version: string }[] = [];
  let first: { op: string; numeric: string[] } | undefined;
  for (const m of spec.matchAll(COMPARATOR)) {
    const op = m[1] ?? '';
    // The digits must stand alone: "pypy3.10" names no CPython version.
    const before = spec[m.index! - 1];
    if (!op && before !== undefined && /[A-Za-z0-9]/.test(before)) continue;
    const numeric = m[2]!.split('.').filter((p) => /^\d+$/.test(p));
    if (op === '<' || op === '<=') upper.push({ op, version: numeric.join('.') });
    else if (op !== '!=' && !first) first = { op, numeric };
  }
  if (!first) return undefined;
  const { op, numeric } = first;
  const version = numeric.join('.');
  switch (op) {
    case '>=':
    case '>': {
      const below = (v: string) =>
        upper.every((u) => (u.op === '<' ? compareCommon(v, u.version) < 0 : compareCommon(v, u.version) <= 0));
      return compareCommon(fallback, version) >= 0 && below(fallback) ? fallback : version;
    }
    case '^':
      return numeric[0] === '0' && numeric.length > 1 ? numeric.slice(0, 2).join('.') : numeric[0]!;
    case '~':
    case '~>':
    case '~=':
      return numeric.slice(0, 2).join('.');
    default:
      return version;
  }
}

/**
 * The version part of the tags each image has published for Debian bookworm, one per release line
 * (node: major; the others: major.minor); the Dockerfile uses these line tags, which follow the
 * newest patch. Source: docker-library/official-images `library/python` (commit 01732a42:
 * 3.10-3.14 `-slim-bookworm`), `library/golang` (005af6d9: 1.24, 1.25 `-bookworm`), `library/rust`
 * (0458d057: 1.82 `-slim-bookworm`), read 2026-12; lines that left those files at their end of life
 * keep their tags on Docker Hub (python 3.8, 3.9; golang 1.20-1.23; node 18-23; ruby 3.0-3.2), and
 * rust publishes every six-weekly stable (1.70, the first with bookworm images, to 1.91).
 * oven/bun publishes `1.x-slim` (Debian bookworm) for each minor. Tested: test/versions.test.ts.
 */
export const BOOKWORM_LINES = {
  python: ['3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14'],
  go: ['1.20', '1.21', '1.22', '1.23', '1.24', '1.25'],
  node: ['18', '19', '20', '21', '22', '23', '24', '25'],
  ruby: ['3.0', '3.1', '3.2', '3.3', '3.4'],
  rust: Array.from({ length: 22 }, (_, i) => `1.${70 + i}`),
  bun: ['1.0', '1.1', '1.2', '1.3'],
} as const satisfies Partial<Record<Runtime, readonly string[]>>;

type Constraint = { op: string; version: string };

/** A range as projects write it (semver, PEP 440, gem requirements): alternatives (||) of constraints that all hold. */
function parseRange(spec: string): Constraint[][] | undefined {
  const groups: Constraint[][] = [];
  for (const alternative of spec.split('||')) {
    const group: Constraint[] = [];
    for (const m of alternative.matchAll(COMPARATOR)) {
      const before = alternative[m.index! - 1];
      if (!m[1] && before !== undefined && /[A-Za-z0-9]/.test(before)) continue;
      group.push({
        op: m[1] ?? '',
        version: m[2]!
          .split('.')
          .filter((x) => /^\d+$/.test(x))
          .join('.'),
      });
    }
    if (!group.length) return undefined;
    groups.push(group);
  }
  return groups;
}

/** Does some patch of a release line (e.g. "3.13": 3.13.0, 3.13.1, ...) satisfy the constraint? */
function lineSatisfies(line: string, { op, version }: Constraint): boolean {
  const v = parts(version);
  const next = (index: number) => [...v.slice(0, index), (v[index] ?? 0) + 1].join('.');
  // 3.13 satisfies >=3.13.1: its newest patch does.
  const lower = (bound: string) => compareCommon(line, bound) >= 0;
  const below = (bound: string) => compareFull(line, bound) < 0;
  switch (op) {
    case '>=':
      return lower(version);
    case '>':
      return (
        compareCommon(line, version) > 0 ||
        (compareCommon(line, version) === 0 && parts(version).length > parts(line).length)
      );
    case '<':
      return below(version);
    case '<=':
      return compareFull(line, version) <= 0;
    case '!=':
      return parts(version).length > parts(line).length || compareCommon(line, version) !== 0;
    case '^': {
      const first = v.findIndex((x) => x !== 0);
      return lower(version) && below(next(first < 0 ? v.length - 1 : first));
    }
    case '~':
      return lower(version) && below(next(v.length > 1 ? 1 : 0));
    case '~>':
    case '~=':
      return lower(version) && below(next(Math.max(v.length - 2, 0)));
    default:
      // 3.11, ==3.11.*, =20: that line (a bare major names all its lines).
      return compareCommon(line, version) === 0;
  }
}

/**
 * The release line to build with, from what the project asks for: a pinned patch (runtime.txt's
 * python-3.9.12, go.mod's 1.22.3) gives its line (3.9, 1.22); a range gives the default when it
 * satisfies it, else the newest line that does (Poetry's ^3.13 -> 3.14, not Python 3); channels
 * and lines without bookworm images give the default. `note` says why it is not what was written.
 */
export function imageLine(
  runtime: Runtime,
  raw: string,
  source: string,
): { line: string; note?: string; unnamed?: boolean } {
  const info = RUNTIME_INFO[runtime];
  const lines = (BOOKWORM_LINES as Partial<Record<Runtime, readonly string[]>>)[runtime];
  const fallback = info.defaultVersion!;
  const label = info.label;
  const spec = raw.trim().replace(/^(python|ruby|go|node|rust)-/i, '');
  const asked = `${source} asks for ${label} ${JSON.stringify(raw.trim())}`;
  if (!lines) return { line: fallback };
  // Names no version: the default, as asked, without a note.
  if (/^(stable|latest|current|node|lts\/\*|system|\*)$/i.test(spec)) return { line: fallback, unnamed: true };
  if (runtime === 'rust' && /^(beta|nightly)(-\d{4}-\d{2}-\d{2})?$/.test(spec)) {
    return {
      line: fallback,
      note: `${asked}: the official rust images publish stable releases only; building with stable ${fallback} (install the ${spec} toolchain in the build stage, by overriding partials/rust/build.ejs, if the crate needs it)`,
    };
  }
  const lts = /^lts\/([a-z]+)$/i.exec(spec);
  const ranges = lts
    ? NODE_LTS[lts[1]!.toLowerCase()]
      ? [[{ op: '', version: NODE_LTS[lts[1]!.toLowerCase()]! }]]
      : undefined
    : parseRange(spec);
  if (!ranges)
    return {
      line: fallback,
      note: `${asked}, which names no version an image is tagged with: building with ${label} ${fallback}`,
    };
  const ok = (line: string) => ranges.some((group) => group.every((c) => lineSatisfies(line, c)));
  const exact =
    ranges.length === 1 && ranges[0]!.length === 1 && ['', '=', '=='].includes(ranges[0]![0]!.op)
      ? ranges[0]![0]!.version
      : undefined;
  const lineOf = (version: string) =>
    parts(version)
      .slice(0, runtime === 'node' ? 1 : 2)
      .join('.');
  if (exact !== undefined) {
    const line = lineOf(exact);
    const digits = parts(exact).length;
    if (lines.includes(line)) {
      return digits > parts(line).length
        ? {
            line,
            note: `${asked}; images are tagged by release line, and ${exact} was never published for Debian bookworm on its own: building with ${label} ${line}, its newest patch`,
          }
        : { line };
    }
    if (digits < (runtime === 'node' ? 1 : 2) && ok(fallback)) return { line: fallback };
    if (digits < (runtime === 'node' ? 1 : 2)) {
      const newest = [...lines].reverse().find(ok);
      if (newest) return { line: newest };
    }
    const oldest = lines[0]!;
    if (compareFull(line, oldest) < 0)
      return {
        line: fallback,
        note: `${asked}, older than the oldest with Debian bookworm images (${oldest}): building with ${label} ${fallback}`,
      };
    return {
      line: lines[lines.length - 1]!,
      note: `${asked}, newer than the newest line with Debian bookworm images here (${lines[lines.length - 1]}): building with ${label} ${lines[lines.length - 1]}`,
    };
  }
  if (ok(fallback)) return { line: fallback };
  const newest = [...lines].reverse().find(ok);
  if (newest) return { line: newest };
  return {
    line: fallback,
    note: `${asked}, and no ${label} line with Debian bookworm images (${lines[0]} to ${lines[lines.length - 1]}) satisfies it: building with ${label} ${fallback}`,
  };
}

/** OS packages the user adds (the lead's --packages / --build-packages flags, remembered with the other options). */
export interface ExtraPackages {
  /** Debian packages for the final stage. */
  packages?: string[];
  /** Debian packages for the build stage. */
  buildPackages?: string[];
}

/** A Debian package name (policy 5.6.1), optionally with an architecture qualifier; anything else would be shell. */
export const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/;

/** Problems with user-supplied package names, one message per bad name (where it came from: `from`). */
export function packageProblems(names: readonly string[], from: string): string[] {
  return names
    .filter((n) => !DEBIAN_PACKAGE.test(n))
    .map(
      (n) =>
        `${from} ${JSON.stringify(n)}: not a Debian package name (lower-case letters, digits, + - . only, e.g. libpq5); pass one name per package`,
    );
}

const unique = (xs: readonly string[]) => [...new Set(xs)];

/** Resolve the chosen runtime's facts into a Build. Notes explain versions that were not taken as written. */
export function resolveBuild(
  runtime: Runtime,
  facts: RuntimeFacts | undefined,
  notes: string[],
  extra: ExtraPackages = {},
): Build {
  const info = RUNTIME_INFO[runtime];
  const f: RuntimeFacts = facts ?? { runtime, evidence: [] };
  let imageVersion = info.defaultVersion;
  let versionSource = info.defaultVersion ? 'default' : undefined;
  if (info.defaultVersion && f.version) {
    const { line, note, unnamed } = imageLine(runtime, f.version.value, f.version.source);
    if (note) notes.push(note);
    if (line !== info.defaultVersion || (!note && !unnamed)) {
      imageVersion = line;
      versionSource = f.version.source;
    }
  }
  return {
    runtime,
    facts: f,
    ...(imageVersion !== undefined ? { imageVersion, versionSource } : {}),
    ...(hasBuildStage(runtime, f) && info.buildImage && imageVersion ? { image: info.buildImage(imageVersion) } : {}),
    runImage: info.runImage(imageVersion),
    ...(runtime === 'python' ? { uvImage: UV_IMAGE, poetryVersion: POETRY_VERSION } : {}),
    aptPackages: unique([...info.aptPackages, ...(f.nativeRun ?? []), ...(extra.packages ?? [])]),
    buildPackages: unique([...(f.nativeBuild ?? []), ...(extra.buildPackages ?? [])]),
    ...(runtime === 'static' ? {} : { user: RUN_USER }),
    ignore: [...info.ignore],
    runFiles: [],
  };
}

/** Is there anything to build or install before the final stage? */
function hasBuildStage(runtime: Runtime, f: RuntimeFacts): boolean {
  switch (runtime) {
    case 'go':
    case 'rust':
      return true;
    case 'node':
    case 'bun':
      return f.evidence.includes('package.json');
    case 'python':
      return f.pythonInstaller !== undefined;
    case 'ruby':
      return f.evidence.includes('Gemfile');
    default:
      return false;
  }
}

/** Does the final stage get the source tree (interpreted runtimes), or only programs and the generated files? */
export function copiesSource(runtime: Runtime): boolean {
  return runtime !== 'go' && runtime !== 'rust' && runtime !== 'static';
}

export interface SuggestedProcess {
  name: string;
  command: string;
  port?: number;
}

/** A process that runs what the build made, for examples in messages and wizard defaults. */
export function suggestedProcess(build: Pick<RuntimeFacts, 'runtime' | 'programs' | 'entry'>): SuggestedProcess {
  const program = build.programs?.[0];
  switch (build.runtime) {
    case 'go':
    case 'rust':
      return { name: 'web', command: `/app/bin/${program ?? 'server'}`, port: 8080 };
    case 'node':
      return { name: 'web', command: `node ${build.entry ?? 'server.js'}`, port: 8080 };
    case 'bun':
      return { name: 'web', command: `bun run ${build.entry ?? 'index.ts'}`, port: 8080 };
    case 'python':
      return { name: 'web', command: build.entry ? `python ${build.entry}` : 'python -m app', port: 8080 };
    case 'ruby':
      return build.entry === 'config.ru'
        ? { name: 'web', command: 'bundle exec puma -b tcp://0.0.0.0:8080', port: 8080 }
        : { name: 'web', command: `bundle exec ruby ${build.entry ?? 'app.rb'}`, port: 8080 };
    case 'static':
      // through the nginx image's entrypoint, which fills in /etc/nginx/templates before it execs nginx
      return { name: 'web', command: '/docker-entrypoint.sh nginx -g "daemon off;"', port: 80 };
    default:
      return { name: 'web', command: '/app/bin/server', port: 8080 };
  }
}

export function runtimeLabel(runtime: Runtime): string {
  return RUNTIME_INFO[runtime].label;
}

/**
 * The runtime to build and how: --runtime when given, else the detected one (node for the built-in
 * example). Problems of the chosen runtime's files and a --runtime that does not fit go to problems.
 */
export function chooseBuild(
  flag: string | undefined,
  project: Project,
  example: boolean,
  problems: string[],
  notes: string[],
  extra: ExtraPackages = {},
): Build {
  problems.push(
    ...packageProblems(extra.packages ?? [], '--packages'),
    ...packageProblems(extra.buildPackages ?? [], '--build-packages'),
  );
  const valid: ExtraPackages = {
    packages: (extra.packages ?? []).filter((n) => DEBIAN_PACKAGE.test(n)),
    buildPackages: (extra.buildPackages ?? []).filter((n) => DEBIAN_PACKAGE.test(n)),
  };
  let runtime: Runtime = example ? 'node' : project.runtime;
  if (flag !== undefined) {
    if (!(RUNTIMES as readonly string[]).includes(flag)) {
      problems.push(`--runtime ${JSON.stringify(flag)}: must be one of ${RUNTIMES.join(', ')}`);
    } else if (example && flag !== 'node') {
      problems.push(
        `--runtime ${flag}: the built-in example is a Node.js program; leave --runtime out, or give your own processes with --process`,
      );
    } else runtime = flag as Runtime;
  }
  const facts = example ? undefined : project.runtimes?.[runtime];
  const evidence = facts?.evidence ?? [];
  if (flag === runtime && runtime !== project.runtime && !example && runtime !== 'generic') {
    if (!evidence.length) {
      const expects: Partial<Record<Runtime, string>> = {
        go: 'go.mod',
        node: 'package.json',
        bun: 'package.json',
        python: 'pyproject.toml or requirements.txt',
        ruby: 'Gemfile',
        rust: 'Cargo.toml',
        static: 'index.html',
      };
      notes.push(
        `--runtime ${runtime}: ${project.dir} has no ${expects[runtime]}; the Dockerfile builds it as ${runtimeLabel(runtime)} anyway`,
      );
    }
  } else if (flag === undefined && !example && project.otherRuntimes?.length) {
    const others = project.otherRuntimes.map((r) => `${r} (${project.runtimes?.[r]?.evidence[0] ?? '?'})`).join(', ');
    notes.push(
      `runtime ${runtime}, from ${evidence[0] ?? '?'}, which comes first in the detection order; the directory also has ${others}: pass --runtime ${project.otherRuntimes[0]} to build that instead`,
    );
  }
  if (facts) {
    problems.push(...(facts.problems ?? []));
    notes.push(...(facts.notes ?? []));
  }
  return resolveBuild(runtime, facts, notes, valid);
}

/** `--process "web=..." --port web=8080` for messages, fitting the project's runtime. */
export function exampleFlags(project: Project): string {
  const p = suggestedProcess(project.runtimes?.[project.runtime] ?? { runtime: project.runtime });
  return `--process ${shellQuote(`${p.name}=${p.command}`)}${p.port ? ` --port ${p.name}=${p.port}` : ''}`;
}
