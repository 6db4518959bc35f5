/**
 * Finds and reads the files of a multi-process setup, whoever wrote them: fly.toml, the Dockerfile
 * it builds, the entrypoint script(s) the Dockerfile runs, supervisord configs and Procfiles.
 * Only reads inside the checked directory; never writes.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SourceFile } from './types.js';

export interface Instruction {
  keyword: string;
  /** Arguments as written, continuation lines joined. */
  raw: string;
  /** Arguments split as Docker does for the shell form. */
  args: string[];
  line: number;
  flags: Record<string, string>;
  /** ENTRYPOINT/CMD/RUN in exec form: the JSON array. */
  exec?: string[];
}

export interface Stage {
  image: string;
  name?: string;
  line: number;
  instructions: Instruction[];
}

export interface Dockerfile extends SourceFile {
  stages: Stage[];
}

export interface Setup {
  dir: string;
  flyToml?: SourceFile;
  dockerfile?: Dockerfile;
  /** Entrypoint scripts and scripts the Dockerfile or fly.toml run. */
  scripts: SourceFile[];
  supervisor: SourceFile[];
  procfiles: SourceFile[];
  dockerignore?: string;
  /** Files of the project, relative paths (bounded walk), for lookups by name. */
  files: string[];
}

const SKIP_DIRS = new Set([
  '.git',
  'node_modules',
  'vendor',
  '.venv',
  'venv',
  '__pycache__',
  'target',
  '.next',
  'dist',
  'build',
  'tmp',
  'log',
  'coverage',
]);
const MAX_FILES = 5000;
const MAX_BYTES = 512 * 1024;

function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (rel: string, depth: number) => {
    if (out.length >= MAX_FILES || depth > 4) return;
    let entries;
    try {
      entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) visit(r, depth + 1);
      } else if (e.isFile()) out.push(r);
    }
  };
  visit('', 0);
  return out;
}

function read(dir: string, rel: string): SourceFile | undefined {
  const full = path.join(dir, rel);
  try {
    // Never read outside the project, not even through a symlink.
    const root = realpathSync(dir);
    const resolved = realpathSync(full);
    if (!resolved.startsWith(root + path.sep)) return undefined;
    if (!statSync(full).isFile() || statSync(full).size > MAX_BYTES) return undefined;
    return { path: rel.split(path.sep).join('/'), text: readFileSync(full, 'utf8') };
  } catch {
    return undefined;
  }
}

export async function parseDockerfile(file: SourceFile): Promise<Dockerfile> {
  const { DockerfileParser } = await import('dockerfile-ast');
  const stages: Stage[] = [];
  for (const ins of DockerfileParser.parse(file.text).getInstructions()) {
    const keyword = ins.getKeyword();
    const raw = (ins as unknown as { getArgumentsContent(): string | null }).getArgumentsContent() ?? '';
    const args = ins.getArguments().map((a) => a.getValue());
    const line = ins.getRange().start.line + 1;
    if (keyword === 'FROM') {
      const as = args.findIndex((a) => a.toLowerCase() === 'as');
      stages.push({
        image: args[0] ?? '',
        ...(as > 0 && args[as + 1] ? { name: args[as + 1] } : {}),
        line,
        instructions: [],
      });
      continue;
    }
    const flags: Record<string, string> = {};
    const withFlags = ins as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] };
    for (const f of withFlags.getFlags?.() ?? []) flags[f.getName()] = f.getValue() ?? '';
    let exec: string[] | undefined;
    if (/^\s*\[/.test(raw)) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) exec = parsed as string[];
      } catch {
        // not JSON: Docker runs it in the shell form
      }
    }
    if (!stages.length) stages.push({ image: '', line: 1, instructions: [] }); // ARG before FROM
    stages.at(-1)!.instructions.push({ keyword, raw, args, line, flags, ...(exec ? { exec } : {}) });
  }
  return { ...file, stages };
}

/** The final stage's last ENTRYPOINT and CMD (a CMD before ENTRYPOINT in the same stage is kept, as Docker does). */
export function runInstructions(d: Dockerfile): { entrypoint?: Instruction; cmd?: Instruction } {
  const final = d.stages.at(-1);
  if (!final) return {};
  let entrypoint: Instruction | undefined;
  let cmd: Instruction | undefined;
  for (const ins of final.instructions) {
    if (ins.keyword === 'ENTRYPOINT') {
      entrypoint = ins;
      cmd = undefined; // ENTRYPOINT resets an earlier CMD of the stage
    } else if (ins.keyword === 'CMD') cmd = ins;
  }
  return { ...(entrypoint ? { entrypoint } : {}), ...(cmd ? { cmd } : {}) };
}

/** Words of an ENTRYPOINT/CMD: the exec array, or the shell-form words. */
export function wordsOf(ins: Instruction | undefined): string[] {
  if (!ins) return [];
  return ins.exec ?? ins.args;
}

const SCRIPT_NAME =
  /(^|\/)((docker-)?entrypoint|start|run|boot|launch|init|gross|serve|server|supervise|multi)[\w.-]*\.(sh|bash)$|\.(sh|bash)$/;

/** Map an image path to a project file through the final stage's COPY/ADD lines, else by file name. */
export function resolveImagePath(setup: Pick<Setup, 'files' | 'dockerfile'>, imagePath: string): string | undefined {
  const base = imagePath.split('/').pop()!;
  if (!base || base.startsWith('-')) return undefined;
  const stages = setup.dockerfile?.stages ?? [];
  const workdirs: string[] = [];
  for (const stage of stages.slice(-1)) {
    let workdir = '/';
    for (const ins of stage.instructions) {
      if (ins.keyword === 'WORKDIR') workdir = path.posix.resolve(workdir, ins.args[0] ?? '/');
      if ((ins.keyword === 'COPY' || ins.keyword === 'ADD') && !ins.flags.from) {
        const parts = ins.exec ?? ins.args;
        const dest = path.posix.resolve(workdir, parts.at(-1) ?? '.');
        for (const src of parts.slice(0, -1)) {
          const clean = src.replace(/^\.\//, '').replace(/\/$/, '');
          const target = path.posix.resolve(workdir, imagePath);
          const candidates = [
            // COPY src/entry.sh /app/entry.sh, COPY entry.sh /app/
            target === dest || target === `${dest}/${path.posix.basename(clean)}` ? clean : undefined,
            // COPY . /app  or COPY src/ /app/: the rest of the path below dest
            target.startsWith(`${dest}/`)
              ? path.posix.join(clean === '.' ? '' : clean, target.slice(dest.length + 1))
              : undefined,
          ];
          for (const c of candidates) if (c && setup.files.includes(c)) return c;
        }
      }
    }
    workdirs.push(workdir);
  }
  const relative = imagePath.replace(/^\.\//, '');
  if (setup.files.includes(relative)) return relative;
  const byName = setup.files.filter((f) => f.split('/').pop() === base);
  return byName.length ? byName.sort((a, b) => a.split('/').length - b.split('/').length)[0] : undefined;
}

export interface LoadOptions {
  /** fly.toml path relative to the directory (flyctl's --config). */
  config?: string;
  /** Dockerfile path relative to the directory (flyctl's --dockerfile); also says it builds [build] image. */
  dockerfile?: string;
}

export class SetupInputError extends Error {}

/** Scripts: what ENTRYPOINT/CMD and fly.toml commands run, else well-known names. */
function findScripts(setup: Setup, flyCommands: string[]): void {
  const { dir, files } = setup;
  const scriptPaths = new Set<string>();
  const consider = (word: string) => {
    if (!word || /^-/.test(word) || /[$=]/.test(word)) return;
    const found = resolveImagePath(setup, word);
    if (!found) return;
    const file = read(dir, found);
    if (file && (SCRIPT_NAME.test(found) || /^#!.*\b(ba|da|z|k)?sh\b/.test(file.text))) scriptPaths.add(found);
  };
  if (setup.dockerfile) {
    const { entrypoint, cmd } = runInstructions(setup.dockerfile);
    for (const ins of [entrypoint, cmd]) {
      if (!ins) continue;
      for (const w of ins.exec ?? ins.raw.split(/[\s;&|]+/)) consider(w);
    }
  }
  for (const command of flyCommands) for (const w of command.split(/[\s;&|'"]+/)) consider(w);
  if (!scriptPaths.size) {
    for (const f of files)
      if (f.split('/').length <= 2 && /(^|\/)(docker-)?entrypoint(\.sh)?$|(^|\/)start\.sh$/.test(f)) scriptPaths.add(f);
  }
  for (const p of [...scriptPaths].sort()) {
    const file = read(dir, p);
    if (file) setup.scripts.push(file);
  }
}

/**
 * supervisord configs: files with a [supervisord] or [program:] section among those the scripts,
 * the Dockerfile or the project name; by file name first.
 */
function findSupervisorConfigs(setup: Setup, texts: string): void {
  const { dir, files } = setup;
  const confCandidates = files.filter((f) => /\.(conf|ini)$/.test(f) && /supervisor|programs|process/i.test(f));
  const named = new Set<string>();
  for (const m of texts.matchAll(/(?:supervisord(?:\s+-\S+)*\s+-c\s+|--configuration[= ])["']?([^\s"']+)/g)) {
    const found = resolveImagePath(setup, m[1]!.replace(/^\$\w+\/|^\$\{\w+\}\//, ''));
    if (found) named.add(found);
  }
  // Files the final stage copies to a supervisor path (COPY worker.conf /etc/supervisor/conf.d/).
  for (const ins of setup.dockerfile?.stages.at(-1)?.instructions ?? []) {
    if ((ins.keyword === 'COPY' || ins.keyword === 'ADD') && !ins.flags.from) {
      const parts = ins.exec ?? ins.args;
      if (/supervisor/i.test(parts.at(-1) ?? ''))
        for (const src of parts.slice(0, -1))
          if (files.includes(src.replace(/^\.\//, ''))) named.add(src.replace(/^\.\//, ''));
    }
  }
  for (const f of [...named, ...confCandidates]) {
    if (setup.supervisor.some((s) => s.path === f)) continue;
    const file = read(dir, f);
    if (file && /^\s*\[(supervisord|program:[^\]]+)\]/m.test(file.text)) setup.supervisor.push(file);
  }
  // With a main config ([supervisord]) in hand, fragments count only when its [include] reaches them
  // (matched on the glob's last two path parts, e.g. conf.d/*.conf).
  const main = setup.supervisor.find((s) => /^\s*\[supervisord\]/m.test(s.text));
  if (main) {
    const include =
      /^\s*\[include\][^[]*?^\s*files\s*[=:]\s*([^\n;#]+)/m.exec(main.text)?.[1]?.trim().split(/\s+/) ?? [];
    const globs = include.map(
      (g) =>
        new RegExp(
          `(^|/)${g
            .split('/')
            .slice(-2)
            .join('/')
            .replace(/[.+^${}()|\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]')}$`,
        ),
    );
    setup.supervisor = setup.supervisor.filter(
      (s) => s === main || /^\s*\[supervisord\]/m.test(s.text) || globs.some((g) => g.test(s.path)),
    );
  }
}

/** Procfiles: the one a manager is pointed at, else Procfile* at the top level. */
function findProcfiles(setup: Setup, texts: string): void {
  const { dir, files } = setup;
  const procNames = new Set<string>();
  for (const m of texts.matchAll(
    /(?:OVERMIND_PROCFILE|HIVEMIND_PROCFILE)=["']?(?:\$\w+\/|\$\{\w+\}\/|"\$here\/)?([^\s"']+)|(?:overmind|hivemind|foreman|honcho|nf)\b[^\n]*?\s(?:-f|--procfile)[= ]["']?([^\s"']+)/g,
  )) {
    const found = resolveImagePath(setup, (m[1] ?? m[2])!);
    if (found) procNames.add(found);
  }
  for (const f of files) if (/^Procfile[\w.-]*$/.test(f)) procNames.add(f);
  for (const f of [...procNames].sort()) {
    const file = read(dir, f);
    if (file) setup.procfiles.push(file);
  }
}

export async function loadSetup(dir: string, options: LoadOptions = {}): Promise<Setup> {
  const files = walk(dir);
  const setup: Setup = { dir, files, scripts: [], supervisor: [], procfiles: [] };
  for (const [flag, value] of [
    ['--config', options.config],
    ['--dockerfile', options.dockerfile],
  ] as const) {
    if (value !== undefined && !read(dir, value))
      throw new SetupInputError(`${flag} ${value}: no such file inside ${dir}`);
  }
  setup.flyToml = read(dir, options.config ?? 'fly.toml');
  let flyCommands: string[] = [];
  let dockerfileName = options.dockerfile ?? 'Dockerfile';
  if (setup.flyToml) {
    const m = /^\s*dockerfile\s*=\s*["']([^"']+)["']/m.exec(setup.flyToml.text);
    if (m && !options.dockerfile) dockerfileName = path.posix.join(path.posix.dirname(setup.flyToml.path), m[1]!);
    try {
      const { parse } = await import('smol-toml');
      const doc = parse(setup.flyToml.text) as Record<string, unknown>;
      const processes = doc.processes;
      if (processes && typeof processes === 'object' && !Array.isArray(processes))
        flyCommands = Object.values(processes).filter((v): v is string => typeof v === 'string');
      const experimental = doc.experimental as Record<string, unknown> | undefined;
      for (const key of ['cmd', 'entrypoint']) {
        const v = experimental?.[key];
        if (typeof v === 'string') flyCommands.push(v);
        else if (Array.isArray(v)) flyCommands.push(v.join(' '));
      }
    } catch {
      // a broken fly.toml is reported by its own rules
    }
  }
  const dockerfile =
    read(dir, dockerfileName) ??
    (dockerfileName !== 'Dockerfile' && !options.dockerfile ? read(dir, 'Dockerfile') : undefined);
  if (dockerfile) setup.dockerfile = await parseDockerfile(dockerfile);
  setup.dockerignore = read(dir, '.dockerignore')?.text;

  findScripts(setup, flyCommands);
  const texts = [setup.dockerfile?.text ?? '', ...setup.scripts.map((s) => s.text)].join('\n');
  findSupervisorConfigs(setup, texts);
  findProcfiles(setup, texts);
  return setup;
}

export const exists = (dir: string, rel: string) => existsSync(path.join(dir, rel));
