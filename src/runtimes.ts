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

  /** python: how dependencies are installed. */
  pythonInstaller?: PythonInstaller;
  /** python: pyproject.toml declares a [build-system], so the project itself is installed too. */
  installProject?: boolean;

  /** go: go.sum exists (copied with go.mod before `go mod download`). */
  goSum?: boolean;
  /** rust: Cargo.lock exists (the build uses --locked). */
  cargoLock?: boolean;
  /**
   * rust: a plain package (no workspace, no explicit targets or build script), so its dependencies
   * can be fetched against a placeholder main.rs before the source is copied.
   */
  cargoFetchFirst?: boolean;
  /** ruby: Gemfile.lock exists (bundle install in deployment mode). */
  gemfileLock?: boolean;
  /** static: the directory with the site's index.html ("." for the project root). */
  siteDir?: string;

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
  /** Debian packages the final stage needs for the runtime (the strategy's come on top). */
  aptPackages: string[];
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
export const RUN_TIME_PATHS = ['templates', 'views', 'static', 'public', 'assets', 'web', 'migrations', 'locales', 'i18n', 'config', 'Rocket.toml', '.sqlx'];

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
    ignore: ['**/node_modules', 'npm-debug.log*', 'yarn-debug.log*', 'yarn-error.log*', '.pnpm-store', '.npm', 'coverage'],
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
    ignore: ['**/__pycache__', '**/*.py[cod]', '.venv', 'venv', '.pytest_cache', '.mypy_cache', '.ruff_cache', '.tox', '**/*.egg-info'],
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
      const below = (v: string) => upper.every((u) => (u.op === '<' ? compareCommon(v, u.version) < 0 : compareCommon(v, u.version) <= 0));
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

/** Resolve the chosen runtime's facts into a Build. Notes explain versions that were not taken as written. */
export function resolveBuild(runtime: Runtime, facts: RuntimeFacts | undefined, notes: string[]): Build {
  const info = RUNTIME_INFO[runtime];
  const f: RuntimeFacts = facts ?? { runtime, evidence: [] };
  let imageVersion = info.defaultVersion;
  let versionSource = info.defaultVersion ? 'default' : undefined;
  if (info.defaultVersion && f.version) {
    const wanted = versionFromSpec(f.version.value, info.defaultVersion);
    if (wanted === undefined) {
      if (!/^(stable|latest|current|node|lts\/\*|system)$/i.test(f.version.value.trim())) {
        notes.push(`${f.version.source} asks for ${info.label} ${JSON.stringify(f.version.value)}, which names no version an image is tagged with: building with ${info.label} ${info.defaultVersion}`);
      }
    } else if (info.minimum && compareFull(wanted, info.minimum) < 0) {
      notes.push(`${f.version.source} asks for ${info.label} ${wanted}, older than the oldest with Debian bookworm images (${info.minimum}): building with ${info.label} ${info.defaultVersion}`);
    } else {
      imageVersion = wanted;
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
    aptPackages: [...info.aptPackages],
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
      return { name: 'web', command: 'nginx -g "daemon off;"', port: 80 };
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
export function chooseBuild(flag: string | undefined, project: Project, example: boolean, problems: string[], notes: string[]): Build {
  let runtime: Runtime = example ? 'node' : project.runtime;
  if (flag !== undefined) {
    if (!(RUNTIMES as readonly string[]).includes(flag)) {
      problems.push(`--runtime ${JSON.stringify(flag)}: must be one of ${RUNTIMES.join(', ')}`);
    } else if (example && flag !== 'node') {
      problems.push(`--runtime ${flag}: the built-in example is a Node.js program; leave --runtime out, or give your own processes with --process`);
    } else runtime = flag as Runtime;
  }
  const facts = example ? undefined : project.runtimes?.[runtime];
  const evidence = facts?.evidence ?? [];
  if (flag === runtime && runtime !== project.runtime && !example && runtime !== 'generic') {
    if (!evidence.length) {
      const expects: Partial<Record<Runtime, string>> = { go: 'go.mod', node: 'package.json', bun: 'package.json', python: 'pyproject.toml or requirements.txt', ruby: 'Gemfile', rust: 'Cargo.toml', static: 'index.html' };
      notes.push(`--runtime ${runtime}: ${project.dir} has no ${expects[runtime]}; the Dockerfile builds it as ${runtimeLabel(runtime)} anyway`);
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
  return resolveBuild(runtime, facts, notes);
}

/** `--process "web=..." --port web=8080` for messages, fitting the project's runtime. */
export function exampleFlags(project: Project): string {
  const p = suggestedProcess(project.runtimes?.[project.runtime] ?? { runtime: project.runtime });
  return `--process ${shellQuote(`${p.name}=${p.command}`)}${p.port ? ` --port ${p.name}=${p.port}` : ''}`;
}
