// Synchronous fs on purpose: a CLI waits for each answer anyway, and node:fs/promises costs start-up time.
// detect() lists the directory once and reads only the few files the listing points to.
import { accessSync, constants, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { FileError, UsageError } from './errors.js';
import { readProjectFile, readRegular } from './fs-safe.js';
import { parseFlyToml, parseProcfile, type ProcfileImport } from './import.js';
import { RUN_TIME_PATHS, type PackageManager, type RuntimeFacts, type VersionHint } from './runtimes.js';
import type { Project, Runtime } from './types.js';

/** Entries that do not make a directory "non-empty" for the built-in example. */
const IGNORED = new Set(['.git', '.DS_Store', 'Thumbs.db']);

function nearestExisting(dir: string): string {
  let current = dir;
  for (;;) {
    try {
      statSync(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

export interface DetectOptions {
  /** --from-procfile: read the processes from this file (relative to the project directory, or absolute). */
  procfile?: string;
}

/** Reads files of one directory by name; undefined when a file is missing or unreadable. */
class Files {
  readonly names: Set<string>;
  private readonly cache = new Map<string, string | undefined>();
  constructor(
    readonly dir: string,
    entries: string[],
  ) {
    this.names = new Set(entries);
  }
  has(name: string): boolean {
    return this.names.has(name);
  }
  read(name: string): string | undefined {
    if (!this.cache.has(name)) {
      // A FIFO, device, directory, huge or binary file, or a link out of the project: an error, not "absent".
      this.cache.set(name, this.has(name) ? readProjectFile(this.dir, name) : undefined);
    }
    return this.cache.get(name);
  }
  /** A file below the project directory ("packages/web/package.json"); undefined when missing. */
  readPath(rel: string): string | undefined {
    if (!rel.includes('/')) return this.read(rel);
    if (!this.cache.has(rel)) this.cache.set(rel, this.exists(rel) ? readProjectFile(this.dir, rel) : undefined);
    return this.cache.get(rel);
  }
  /** Is rel (below the project directory) a directory? */
  isDir(rel: string): boolean {
    return statSync(path.join(this.dir, rel), { throwIfNoEntry: false })?.isDirectory() ?? false;
  }
  /** Entries of a subdirectory (empty when it is not one). */
  list(name: string): string[] {
    if (!this.has(name)) return [];
    try {
      return readdirSync(path.join(this.dir, name), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    } catch {
      return [];
    }
  }
  exists(rel: string): boolean {
    return statSync(path.join(this.dir, rel), { throwIfNoEntry: false })?.isFile() ?? false;
  }
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() && !/[\n\r\0]/.test(v) ? v.trim() : undefined;

/** The first line of a version file such as .nvmrc (comments and blank lines skipped). */
function firstLine(text: string | undefined): string | undefined {
  return text
    ?.split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .find(Boolean);
}

/** asdf's .tool-versions: `nodejs 20.11.1` lines. */
function toolVersion(files: Files, ...tools: string[]): VersionHint | undefined {
  for (const line of files.read('.tool-versions')?.split(/\r?\n/) ?? []) {
    const [tool, version] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (tool && version && tools.includes(tool)) return { value: version, source: '.tool-versions' };
  }
  return undefined;
}

/** The first version hint found, in the order given. */
function firstHint(...hints: (VersionHint | undefined)[]): VersionHint | undefined {
  return hints.find((h) => h !== undefined && h.value !== '');
}

function fileHint(files: Files, name: string): VersionHint | undefined {
  const value = firstLine(files.read(name));
  return value ? { value, source: name } : undefined;
}

function tomlOf(files: Files, name: string, problems: string[]): Table | undefined {
  const text = files.read(name);
  if (text === undefined) return undefined;
  try {
    return parseToml(text) as Table;
  } catch (error) {
    const e = error as { line?: number; column?: number; message: string };
    problems.push(
      `${name}${e.line ? `:${e.line}:${e.column}` : ''}: not valid TOML: ${e.message.replace(/^Invalid TOML document: /, '').split('\n')[0]}`,
    );
    return undefined;
  }
}

function goFacts(files: Files): RuntimeFacts {
  const mod = files.read('go.mod') ?? '';
  const line = (keyword: string) => new RegExp(`^\\s*${keyword}\\s+(\\S+)`, 'm').exec(mod)?.[1];
  const module = line('module')?.replace(/^"|"$/g, '');
  const toolchain = line('toolchain')?.replace(/^go/, '');
  const go = line('go');
  // The binary of a main package is named after the last element of its path (not a /vN suffix).
  const base = module
    ?.split('/')
    .filter((p) => !/^v\d+$/.test(p))
    .pop();
  const programs = [...(files.has('main.go') && base ? [base] : []), ...files.list('cmd')];
  const keep = RUN_TIME_PATHS.filter((p) => files.has(p));
  // replace directives to local directories ("=> ./lib", "=> ../shared" cannot be copied: outside the context)
  const replaceDirs = [...mod.matchAll(/=>\s*(\.\/[^\s"]+|\.\.\/[^\s"]+)/g)].map((m) =>
    m[1]!.replace(/^\.\//, '').replace(/\/+$/, ''),
  );
  const goReplaceDirs = [...new Set(replaceDirs.filter((d) => !d.startsWith('../') && files.isDir(d)))].sort();
  const sum = files.read('go.sum') ?? '';
  const cgo =
    /^github\.com\/mattn\/go-sqlite3 |^github\.com\/mattn\/go-oci8 |^gopkg\.in\/gographics\/imagick/m.test(sum) ||
    /github\.com\/mattn\/go-sqlite3/.test(mod);
  return {
    runtime: 'go',
    evidence: ['go.mod'],
    goSum: files.has('go.sum'),
    ...(goReplaceDirs.length ? { goReplaceDirs } : {}),
    ...(files.exists('vendor/modules.txt') ? { goVendor: true } : {}),
    ...(cgo ? { cgo: true } : {}),
    ...(keep.length ? { keep } : {}),
    ...(programs.length ? { programs } : {}),
    ...optionalVersion(
      firstHint(
        toolchain ? { value: toolchain, source: 'go.mod toolchain' } : undefined,
        go ? { value: go, source: 'go.mod' } : undefined,
        toolVersion(files, 'golang', 'go'),
      ),
    ),
  };
}

const optionalVersion = (version: VersionHint | undefined) => (version ? { version } : {});

const LOCKFILES: [string, PackageManager][] = [
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];

/** Scripts npm, yarn, pnpm and bun run at install time. */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];
/** Packages that compile native code with node-gyp at install (when no prebuilt binary fits). */
const NODE_GYP_PACKAGES = [
  'better-sqlite3',
  'sqlite3',
  'bcrypt',
  'argon2',
  'canvas',
  'node-gyp',
  'libxmljs',
  'cpu-features',
  'ssh2',
];

/** The workspaces' package.json files: package.json "workspaces" patterns ("packages/*", "api"), as they exist. */
function workspaces(files: Files, pkg: Table): string[] {
  const raw = Array.isArray(pkg.workspaces)
    ? pkg.workspaces
    : isTable(pkg.workspaces) && Array.isArray(pkg.workspaces.packages)
      ? pkg.workspaces.packages
      : [];
  const found: string[] = [];
  for (const pattern of raw) {
    if (typeof pattern !== 'string' || pattern.startsWith('!') || pattern.includes('..')) continue;
    const clean = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
    const star = /^([^*?[\]{}]+)\/\*$/.exec(clean);
    const dirs = star
      ? (() => {
          try {
            return readdirSync(path.join(files.dir, star[1]!), { withFileTypes: true })
              .filter((e) => e.isDirectory())
              .map((e) => `${star[1]}/${e.name}`);
          } catch {
            return [];
          }
        })()
      : /[*?[\]{}]/.test(clean)
        ? []
        : [clean];
    for (const d of dirs) if (files.exists(`${d}/package.json`)) found.push(`${d}/package.json`);
  }
  return [...new Set(found)].sort();
}

/** package.json: facts for node and for bun (the package manager decides which is detected). */
function packageJsonFacts(files: Files): { node: RuntimeFacts; bun: RuntimeFacts; detected: 'node' | 'bun' } {
  const problems: string[] = [];
  const notes: string[] = [];
  let pkg: Table = {};
  try {
    const parsed: unknown = JSON.parse(files.read('package.json') ?? '');
    if (isTable(parsed)) pkg = parsed;
    else problems.push('package.json: is not a JSON object');
  } catch (error) {
    problems.push(
      `package.json: not valid JSON (${(error as Error).message}); fix it, or pass --runtime to build the project as another runtime`,
    );
  }
  const field = /^(npm|pnpm|yarn|bun)@(\d+)/.exec(str(pkg.packageManager) ?? '');
  const locks = LOCKFILES.filter(([file]) => files.has(file));
  const manager: PackageManager = (field?.[1] as PackageManager | undefined) ?? locks[0]?.[1] ?? 'npm';
  const lockOf = (pm: PackageManager) => locks.find(([, m]) => m === pm)?.[0];
  if (locks.length > 1) {
    notes.push(
      `several lockfiles (${locks.map(([f]) => f).join(', ')}): installing with ${manager}${field ? ' (package.json "packageManager")' : ''}; delete the others`,
    );
  }
  const scripts = isTable(pkg.scripts) ? pkg.scripts : {};
  const engines = isTable(pkg.engines) ? pkg.engines : {};
  const workspaceManifests = workspaces(files, pkg);
  const installScripts = [
    ...INSTALL_SCRIPTS.filter((k) => typeof scripts[k] === 'string').map((k) => `package.json ${k}`),
    ...workspaceManifests.flatMap((m) => {
      let ws: unknown;
      try {
        ws = JSON.parse(files.readPath(m) ?? '');
      } catch {
        return [];
      }
      const wsScripts = isTable(ws) && isTable(ws.scripts) ? ws.scripts : {};
      return INSTALL_SCRIPTS.filter((k) => typeof wsScripts[k] === 'string').map((k) => `${m} ${k}`);
    }),
  ];
  const lockText = locks.map(([file]) => (file.endsWith('.lockb') ? '' : (files.read(file) ?? ''))).join('\n');
  const deps = {
    ...(isTable(pkg.dependencies) ? pkg.dependencies : {}),
    ...(isTable(pkg.devDependencies) ? pkg.devDependencies : {}),
  };
  const nodeGyp =
    NODE_GYP_PACKAGES.some(
      (name) =>
        name in deps ||
        lockText.includes(`node_modules/${name}"`) ||
        lockText.includes(`\n  ${name}@`) ||
        lockText.includes(`\n"${name}@`),
    ) || files.has('binding.gyp');
  const main = str(pkg.main);
  const base = {
    evidence: ['package.json'],
    buildScript: typeof scripts.build === 'string',
    ...(installScripts.length ? { installScripts } : {}),
    ...(workspaceManifests.length ? { workspaceManifests } : {}),
    ...(nodeGyp ? { nodeGyp: true, nativeBuild: ['python3', 'make', 'g++'] } : {}),
    ...(problems.length ? { problems } : {}),
    ...(notes.length ? { notes } : {}),
  };
  const nodeEntry = main ?? ['server.js', 'index.js'].find((f) => files.has(f));
  const nodeManager: PackageManager = manager === 'bun' ? 'npm' : manager;
  const nodeLock = lockOf(nodeManager);
  const node: RuntimeFacts = {
    ...base,
    runtime: 'node',
    evidence: nodeLock ? ['package.json', nodeLock] : ['package.json'],
    packageManager: nodeManager,
    ...(nodeLock ? { lockfile: nodeLock } : {}),
    ...(nodeManager === 'yarn' && (files.has('.yarnrc.yml') || (field?.[1] === 'yarn' && Number(field[2]) >= 2))
      ? { yarnBerry: true }
      : {}),
    ...(nodeEntry ? { entry: nodeEntry } : {}),
    ...optionalVersion(
      firstHint(
        fileHint(files, '.nvmrc'),
        fileHint(files, '.node-version'),
        str(engines.node) ? { value: str(engines.node)!, source: 'package.json engines.node' } : undefined,
        toolVersion(files, 'nodejs', 'node'),
      ),
    ),
  };
  const bunLock = lockOf('bun');
  const bunEntry = main ?? ['index.ts', 'index.js', 'server.ts'].find((f) => files.has(f));
  const bun: RuntimeFacts = {
    ...base,
    runtime: 'bun',
    evidence: bunLock ? ['package.json', bunLock] : ['package.json'],
    packageManager: 'bun',
    ...(bunLock ? { lockfile: bunLock } : {}),
    ...(bunEntry ? { entry: bunEntry } : {}),
    ...optionalVersion(
      firstHint(
        field?.[1] === 'bun'
          ? { value: str(pkg.packageManager)!.slice(4), source: 'package.json packageManager' }
          : undefined,
        str(engines.bun) ? { value: str(engines.bun)!, source: 'package.json engines.bun' } : undefined,
        fileHint(files, '.bun-version'),
        toolVersion(files, 'bun'),
      ),
    ),
  };
  return { node, bun, detected: manager === 'bun' ? 'bun' : 'node' };
}

const PYTHON_MARKERS = ['pyproject.toml', 'requirements.txt', 'uv.lock', 'poetry.lock'];

function pythonFacts(files: Files): RuntimeFacts {
  const problems: string[] = [];
  const pyproject = tomlOf(files, 'pyproject.toml', problems);
  const project = isTable(pyproject?.project) ? pyproject.project : undefined;
  const tool = isTable(pyproject?.tool) ? pyproject.tool : {};
  const poetry = isTable(tool.poetry) ? tool.poetry : undefined;
  const hasPyproject = files.has('pyproject.toml');
  let installer: RuntimeFacts['pythonInstaller'];
  let lockfile: string | undefined;
  if (files.has('uv.lock') && hasPyproject) [installer, lockfile] = ['uv', 'uv.lock'];
  else if (files.has('poetry.lock') && hasPyproject) [installer, lockfile] = ['poetry', 'poetry.lock'];
  else if (files.has('requirements.txt')) installer = 'requirements';
  else if (poetry) installer = 'poetry';
  else if (project) installer = 'pyproject';
  const poetryDeps = poetry && isTable(poetry.dependencies) ? poetry.dependencies : {};
  const entry = ['main.py', 'app.py'].find((f) => files.has(f));
  const requirementFiles = installer === 'requirements' ? requirementIncludes(files, 'requirements.txt') : [];
  const reqText = [
    files.read('requirements.txt') ?? '',
    ...requirementFiles.map((f) => files.readPath(f) ?? ''),
    files.read('pyproject.toml') ?? '',
    files.read('uv.lock') ?? '',
    files.read('poetry.lock') ?? '',
  ]
    .join('\n')
    .toLowerCase();
  const requires = (name: string) => new RegExp(`(^|[\\s"'\\[,])${name}([\\s=<>~!;\\[,"']|$)`, 'm').test(reqText);
  const nativeBuild: string[] = [];
  const nativeRun: string[] = [];
  if (requires('psycopg2')) (nativeBuild.push('gcc', 'libpq-dev'), nativeRun.push('libpq5'));
  if (requires('mysqlclient'))
    (nativeBuild.push('gcc', 'pkg-config', 'default-libmysqlclient-dev'), nativeRun.push('libmariadb3'));
  const django = files.has('manage.py') && requires('django');
  return {
    runtime: 'python',
    ...(requirementFiles.length ? { requirementFiles } : {}),
    ...(django ? { django: true } : {}),
    ...(nativeBuild.length ? { nativeBuild: [...new Set(nativeBuild)], nativeRun } : {}),
    evidence: PYTHON_MARKERS.filter((f) => files.has(f)),
    ...(installer ? { pythonInstaller: installer } : {}),
    ...(lockfile ? { lockfile } : {}),
    ...((installer === 'pyproject' || installer === 'uv') && project && isTable(pyproject?.['build-system'])
      ? { installProject: true }
      : {}),
    ...(entry ? { entry } : {}),
    ...(problems.length ? { problems } : {}),
    ...optionalVersion(
      firstHint(
        fileHint(files, '.python-version'),
        fileHint(files, 'runtime.txt'),
        str(project?.['requires-python'])
          ? { value: str(project!['requires-python'])!, source: 'pyproject.toml requires-python' }
          : undefined,
        str(poetryDeps.python)
          ? { value: str(poetryDeps.python)!, source: 'pyproject.toml [tool.poetry.dependencies] python' }
          : undefined,
        toolVersion(files, 'python'),
      ),
    ),
  };
}

/**
 * Files a requirements file includes (-r / -c / --requirement / --constraint), relative to the
 * project, followed one level down; only those inside the project that exist.
 */
function requirementIncludes(files: Files, start: string): string[] {
  const found: string[] = [];
  const queue = [start];
  while (queue.length && found.length < 50) {
    const file = queue.shift()!;
    const dir = path.posix.dirname(file);
    for (const line of (files.readPath(file) ?? '').split(/\r?\n/)) {
      const m = /^\s*(?:-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+)(\S+)/.exec(line);
      if (!m) continue;
      const rel = path.posix.normalize(path.posix.join(dir, m[1]!));
      if (
        rel.startsWith('..') ||
        path.posix.isAbsolute(rel) ||
        found.includes(rel) ||
        rel === start ||
        !files.exists(rel)
      )
        continue;
      found.push(rel);
      queue.push(rel);
    }
  }
  return found.sort();
}

/** Native gems and crates, as their lockfiles name them: [build-stage packages, final-stage packages]. */
const NATIVE_GEMS: Record<string, [string[], string[]]> = {
  pg: [['libpq-dev'], ['libpq5']],
  mysql2: [['default-libmysqlclient-dev'], ['libmariadb3']],
  sqlite3: [['libsqlite3-dev'], ['libsqlite3-0']],
};
const NATIVE_CRATES: Record<string, [string[], string[]]> = {
  'openssl-sys': [['pkg-config', 'libssl-dev'], ['libssl3']],
  'pq-sys': [['libpq-dev'], ['libpq5']],
  'mysqlclient-sys': [['pkg-config', 'default-libmysqlclient-dev'], ['libmariadb3']],
  'libsqlite3-sys': [['pkg-config', 'libsqlite3-dev'], ['libsqlite3-0']],
};

function nativeOf(
  table: Record<string, [string[], string[]]>,
  present: (name: string) => boolean,
): { nativeBuild?: string[]; nativeRun?: string[] } {
  const names = Object.keys(table).filter(present);
  if (!names.length) return {};
  return {
    nativeBuild: [...new Set(names.flatMap((n) => table[n]![0]))],
    nativeRun: [...new Set(names.flatMap((n) => table[n]![1]))],
  };
}

function rubyFacts(files: Files): RuntimeFacts {
  const gemfile = files.read('Gemfile') ?? '';
  const lock = files.read('Gemfile.lock') ?? '';
  const gemfileRuby = /^\s*ruby\s+["']([^"']+)["']/m.exec(gemfile)?.[1];
  const entry = ['config.ru', 'app.rb'].find((f) => files.has(f));
  // PLATFORMS of the lockfile: one made on a Mac lists only *-darwin-*, and deployment mode refuses it on Linux
  const platforms = /^PLATFORMS\r?\n((?:[ \t]+\S+\r?\n?)+)/m.exec(lock)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
  const foreign = platforms.length > 0 && !platforms.some((p) => p === 'ruby' || /linux/.test(p));
  const pathDeps = [
    ...gemfile.matchAll(/^\s*gem\s+["'][^"']+["'][^\n#]*\bpath:\s*["']([^"']+)["']/gm),
    ...gemfile.matchAll(/^\s*path\s+["']([^"']+)["']/gm),
  ]
    .map((m) => m[1]!.replace(/^\.\//, '').replace(/\/+$/, ''))
    .filter((d) => d && !d.startsWith('..') && !path.posix.isAbsolute(d) && files.isDir(d));
  const rails = files.exists('config/application.rb') && files.exists('bin/rails');
  return {
    runtime: 'ruby',
    evidence: files.has('Gemfile.lock') ? ['Gemfile', 'Gemfile.lock'] : ['Gemfile'],
    gemfileLock: files.has('Gemfile.lock'),
    ...(foreign ? { foreignLockfile: true } : {}),
    ...(pathDeps.length ? { pathDeps: [...new Set(pathDeps)].sort() } : {}),
    ...(rails ? { rails: true } : {}),
    ...nativeOf(
      NATIVE_GEMS,
      (name) =>
        new RegExp(`^    ${name} \\(`, 'm').test(lock) || new RegExp(`^\\s*gem\\s+["']${name}["']`, 'm').test(gemfile),
    ),
    ...(entry ? { entry } : {}),
    ...optionalVersion(
      firstHint(
        fileHint(files, '.ruby-version'),
        gemfileRuby ? { value: gemfileRuby, source: 'Gemfile' } : undefined,
        toolVersion(files, 'ruby'),
      ),
    ),
  };
}

function rustFacts(files: Files): RuntimeFacts {
  const problems: string[] = [];
  const cargo = tomlOf(files, 'Cargo.toml', problems) ?? {};
  const pkg = isTable(cargo.package) ? cargo.package : undefined;
  const bins = (Array.isArray(cargo.bin) ? cargo.bin : [])
    .map((b) => (isTable(b) ? str(b.name) : undefined))
    .filter((n): n is string => Boolean(n));
  const name = str(pkg?.name);
  const programs = bins.length ? bins : name ? [name] : [];
  let channel: string | undefined;
  let channelSource = 'rust-toolchain.toml';
  if (files.has('rust-toolchain.toml')) {
    const toolchain = tomlOf(files, 'rust-toolchain.toml', problems)?.toolchain;
    channel = isTable(toolchain) ? str(toolchain.channel) : undefined;
  } else if (files.has('rust-toolchain')) {
    // The legacy file holds either a bare channel or the same TOML.
    const text = files.read('rust-toolchain') ?? '';
    channelSource = 'rust-toolchain';
    channel = /channel\s*=\s*["']([^"']+)["']/.exec(text)?.[1] ?? firstLine(text);
  }
  const msrv = str(pkg?.['rust-version']);
  const lockText = files.read('Cargo.lock') ?? '';
  const keep = RUN_TIME_PATHS.filter((p) => files.has(p));
  return {
    runtime: 'rust',
    evidence: files.has('Cargo.lock') ? ['Cargo.toml', 'Cargo.lock'] : ['Cargo.toml'],
    ...(keep.length ? { keep } : {}),
    cargoLock: files.has('Cargo.lock'),
    ...(pkg &&
    cargo.workspace === undefined &&
    pkg.build === undefined &&
    !['lib', 'bin', 'example', 'test', 'bench'].some((t) => cargo[t] !== undefined) &&
    !hasPathDependency(cargo)
      ? { cargoFetchFirst: true }
      : {}),
    ...nativeOf(
      NATIVE_CRATES,
      (name) =>
        new RegExp(`^name = "${name}"$`, 'm').test(lockText) ||
        name in (isTable(cargo.dependencies) ? cargo.dependencies : {}),
    ),
    ...(programs.length ? { programs } : {}),
    ...(problems.length ? { problems } : {}),
    ...optionalVersion(
      firstHint(
        channel ? { value: channel, source: channelSource } : undefined,
        toolVersion(files, 'rust'),
        // rust-version is the oldest supported: any newer toolchain builds the crate.
        msrv ? { value: `>=${msrv}`, source: 'Cargo.toml rust-version' } : undefined,
      ),
    ),
  };
}

/** A dependency on a local crate (`path = "..."`): the placeholder fetch cannot see it, so the source comes first. */
function hasPathDependency(cargo: Table): boolean {
  const tables = [
    cargo.dependencies,
    cargo['build-dependencies'],
    cargo['dev-dependencies'],
    ...(isTable(cargo.target)
      ? Object.values(cargo.target).flatMap((t) => (isTable(t) ? [t.dependencies, t['build-dependencies']] : []))
      : []),
  ];
  return tables.some((t) => isTable(t) && Object.values(t).some((d) => isTable(d) && typeof d.path === 'string'));
}

const SITE_DIRS = ['public', 'dist', 'build', '_site', 'site', 'www'];

function staticFacts(files: Files): RuntimeFacts {
  const siteDir = files.has('index.html')
    ? '.'
    : SITE_DIRS.find((d) => files.has(d) && files.exists(`${d}/index.html`));
  return {
    runtime: 'static',
    evidence: siteDir ? [siteDir === '.' ? 'index.html' : `${siteDir}/index.html`] : [],
    siteDir: siteDir ?? '.',
    ...(files.isDir('nginx/templates') ? { nginxTemplates: 'nginx/templates' } : {}),
  };
}

/** How a file of the project is named in messages: under the directory as the user gave it. */
function shown(targetDir: string, name: string): string {
  return targetDir === '.' || targetDir === '' ? name : path.join(targetDir, name);
}

function procfileOf(files: Files, targetDir: string, given: string | undefined): ProcfileImport | undefined {
  if (given !== undefined) {
    let text: string | undefined;
    // Relative to the project directory (or absolute), like every path the tool is given; a path
    // that only exists from the working directory (`app/Procfile.dev` for project `app`) is taken too.
    const inProject = path.resolve(files.dir, given);
    const fromCwd = path.resolve(given);
    const file =
      statSync(inProject, { throwIfNoEntry: false }) || !statSync(fromCwd, { throwIfNoEntry: false })
        ? inProject
        : fromCwd;
    try {
      text = readRegular(file, { shown: `--from-procfile ${given}` });
    } catch (error) {
      if (!(error instanceof FileError)) throw error;
      return { file: given, explicit: true, processes: [], problems: [error.message], notes: [] };
    }
    if (text === undefined)
      return {
        file: given,
        explicit: true,
        processes: [],
        problems: [`--from-procfile ${given}: no such file`],
        notes: [],
      };
    return parseProcfile(text, given, true);
  }
  // Procfile.prod is the production one where both exist (Procfile is then often for development).
  const name = ['Procfile.prod', 'Procfile'].find((n) => files.read(n) !== undefined);
  if (!name) return undefined;
  const result = parseProcfile(files.read(name)!, shown(targetDir, name));
  if (name === 'Procfile.prod' && files.has('Procfile'))
    result.notes.push(
      `${shown(targetDir, name)} is used, not ${shown(targetDir, 'Procfile')}: pass --from-procfile to choose`,
    );
  return result;
}

/**
 * Look at the target directory: does it exist, is it writable, what does it hold. The runtime
 * is the first of these with evidence: go.mod, package.json (bun when its package manager is
 * bun), Python (pyproject.toml, requirements.txt, uv.lock, poetry.lock), Gemfile, Cargo.toml; else
 * generic. go.mod comes first because a package.json beside it almost always only builds front-end
 * assets, while the Go program is what runs (README "Runtimes").
 */
export function detect(targetDir: string, options: DetectOptions = {}): Project {
  const dir = path.resolve(targetDir);
  const link = lstatSync(dir, { throwIfNoEntry: false });
  if (link?.isSymbolicLink() && !statSync(dir, { throwIfNoEntry: false })) {
    throw new UsageError(
      `target ${targetDir} is a dangling symlink (to ${readlinkSync(dir)}): create the directory it points to, or pass another directory`,
    );
  }
  const existing = nearestExisting(dir);
  const info = statSync(existing, { throwIfNoEntry: false });
  if (info && !info.isDirectory()) {
    throw new UsageError(
      existing === dir
        ? `target ${targetDir} is a file, not a directory: pass a directory (or leave it out for the current one)`
        : `target ${targetDir}: ${existing} is a file, so the directory cannot be created`,
    );
  }
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    throw new UsageError(
      `target ${targetDir}: ${existing} is not writable; pick another directory or fix its permissions`,
    );
  }
  const exists = existing === dir;
  const entries = exists ? readdirSync(dir) : [];
  const files = new Files(dir, entries);
  const has = (name: string) => files.has(name);

  const runtimes: Partial<Record<Runtime, RuntimeFacts>> = {};
  const found: Runtime[] = [];
  if (has('go.mod')) {
    runtimes.go = goFacts(files);
    found.push('go');
  }
  if (has('package.json')) {
    const { node, bun, detected } = packageJsonFacts(files);
    runtimes.node = node;
    runtimes.bun = bun;
    found.push(detected);
  }
  if (PYTHON_MARKERS.some(has)) {
    runtimes.python = pythonFacts(files);
    found.push('python');
  }
  if (has('Gemfile')) {
    runtimes.ruby = rubyFacts(files);
    found.push('ruby');
  }
  if (has('Cargo.toml')) {
    runtimes.rust = rustFacts(files);
    found.push('rust');
  }
  runtimes.static = staticFacts(files);

  const procfile = procfileOf(files, targetDir, options.procfile);
  const flyToml =
    files.read('fly.toml') !== undefined
      ? parseFlyToml(files.read('fly.toml')!, shown(targetDir, 'fly.toml'))
      : undefined;
  const node = runtimes.node;
  return {
    dir,
    exists,
    empty: entries.every((e) => IGNORED.has(e)),
    runtime: found[0] ?? 'generic',
    ...(found.length > 1 ? { otherRuntimes: found.slice(1) } : {}),
    runtimes,
    packageJson: has('package.json'),
    npmLock: node?.packageManager === 'npm' && node.lockfile !== undefined,
    ...(procfile ? { procfile } : {}),
    ...(flyToml ? { flyToml } : {}),
    dockerfile: has('Dockerfile'),
  };
}
