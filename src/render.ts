import { readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import ejs from 'ejs';
import { UsageError } from './errors.js';
import { readRegular } from './fs-safe.js';
import { STRATEGIES } from './strategies/index.js';
import type { GeneratedFile } from './strategies/index.js';
import { templateContext, type TemplateContext } from './template-context.js';
import { applyBlocks, serializeBlocks } from './dockerfile/owned.js';
import { STRATEGY_NAMES, type Plan, type Project } from './types.js';

export const BUILTIN_TEMPLATES = fileURLToPath(new URL('../templates', import.meta.url));

/** Template files end in this; the generated file drops it. */
export const TEMPLATE_EXT = '.ejs';
/** Templates in a directory of this name are only included by others, never rendered on their own. */
export const PARTIALS_DIR = 'partials';
/** A template in one of these directories belongs to that strategy (or the example) and is written without the prefix. */
const SCOPED_DIRS: readonly string[] = [...STRATEGY_NAMES, 'example'];

export interface RenderedFile {
  path: string;
  content: string;
  executable: boolean;
  /** The template file it was rendered from (for messages). */
  template?: string;
  /** A user template (the file's own, or a partial it included) took part in it. */
  custom?: boolean;
  /** Only part of the file is ours (the blocks in a user's Dockerfile): that part, which is what fly-multiproc.json hashes. */
  owned?: string;
  /** The user asked for this file to replace theirs (--dockerfile replace): no conflict. */
  replaces?: boolean;
}

/** The blocks added to a user's own Dockerfile (--dockerfile extend). */
const EXTEND_FINAL = 'partials/extend-final.ejs';
const EXTEND_STAGES = 'partials/extend-stages.ejs';

/** The files every strategy writes, then the strategy's own, then the example program. */
export function filesFor(plan: Plan): GeneratedFile[] {
  // The user's own Dockerfile (keep, extend) builds from their own build context: no .dockerignore
  // of ours; kept as it is, process groups run without entrypoint.sh.
  const own = plan.dockerfile === 'keep' || plan.dockerfile === 'extend';
  const strategy = STRATEGIES[plan.strategy];
  const files: GeneratedFile[] = [
    ...(plan.dockerfile === 'keep'
      ? []
      : [{ path: 'Dockerfile', template: plan.dockerfile === 'extend' ? EXTEND_FINAL : 'Dockerfile.ejs' }]),
    ...(own ? [] : [{ path: '.dockerignore', template: 'dockerignore.ejs' }]),
    ...(strategy.flyToml ? [{ path: 'fly.toml', template: 'fly.toml.ejs' }] : []),
    ...(plan.dockerfile === 'keep' && strategy.runsWithKeptDockerfile ? [] : strategy.files(plan)),
  ];
  if (plan.example) files.push({ path: 'server.js', template: 'example/server.js.ejs' });
  return files;
}

/** A templates directory holds a few dozen files: a walk that finds this many was pointed at the wrong place (`--templates /`). */
const MAX_TEMPLATE_ENTRIES = 5000;

/** Every template under dir, as sorted `/`-separated paths relative to it. */
export function listTemplates(dir: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>(); // a symlinked directory must not send the walk round in circles
  let counted = 0;
  const walk = (rel: string) => {
    const full = path.join(dir, rel);
    let entries: string[];
    try {
      const real = realpathSync(full);
      if (seen.has(real)) return;
      seen.add(real);
      entries = readdirSync(full).sort();
    } catch (error) {
      throw new UsageError(
        `template directory ${displayPath(full)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
    }
    if ((counted += entries.length) > MAX_TEMPLATE_ENTRIES) {
      throw new UsageError(
        `template directory ${displayPath(dir)}: more than ${MAX_TEMPLATE_ENTRIES} files and directories; is this really a templates directory?`,
        'pass the directory eject made, e.g. --templates .fly-multiproc/templates',
      );
    }
    for (const name of entries) {
      const child = rel ? `${rel}/${name}` : name;
      const info = statSync(path.join(dir, child), { throwIfNoEntry: false });
      if (info?.isDirectory()) walk(child);
      else if (info?.isFile() && name.endsWith(TEMPLATE_EXT)) found.push(child);
    }
  };
  walk('');
  return found;
}

/**
 * Where an extra template (one with no built-in counterpart) is written, or undefined when it is
 * not for this plan: `nginx.conf.ejs` -> `nginx.conf`; `supervisord/x.conf.ejs` -> `x.conf`, for
 * the supervisord strategy only; a template in a `partials/` directory is never written.
 */
export function extraTarget(template: string, plan: Plan): string | undefined {
  const parts = template.slice(0, -TEMPLATE_EXT.length).split('/');
  const [first, ...rest] = parts;
  if (parts.slice(0, -1).includes(PARTIALS_DIR)) return undefined;
  if (rest.length && first !== undefined && SCOPED_DIRS.includes(first)) {
    const applies = first === 'example' ? plan.example : first === plan.strategy;
    return applies ? rest.join('/') : undefined;
  }
  return parts.join('/');
}

/**
 * The name of a file an extra template writes ends up in shell-form Dockerfile lines (`RUN chmod`,
 * `COPY`) and in the project: plain names only, and never a file the tool keeps for itself.
 */
export function extraNameProblem(target: string): string | undefined {
  const parts = target.split('/');
  if (parts.some((p) => !/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(p) || p === '.' || p === '..')) {
    return `would write ${JSON.stringify(target)}: the names of generated files may use only letters, digits, ".", "_" and "-" (not first), so that Dockerfile and shell lines can name them unquoted`;
  }
  if (
    ['fly-multiproc.json', '.fly-multiproc.lock', '.fly-multiproc.pending'].includes(target) ||
    /\.cfm-[0-9a-f]{12}\.tmp$/.test(target)
  ) {
    return `would write ${target}, which create-fly-multiproc keeps for itself`;
  }
  return undefined;
}

/** An extra file is executable when its name ends in `.sh`. */
const isScript = (file: string) => file.endsWith('.sh');

/** The user's extra templates that apply to this plan, sorted by the file they write. */
export function extraFiles(
  plan: Plan,
  userDirs: readonly string[],
  builtins: readonly string[] = listTemplates(BUILTIN_TEMPLATES),
): GeneratedFile[] {
  const builtin = new Set(builtins);
  const seen = new Set<string>();
  const extras: GeneratedFile[] = [];
  for (const dir of userDirs) {
    for (const template of listTemplates(dir)) {
      if (builtin.has(template) || seen.has(template)) continue;
      seen.add(template);
      const target = extraTarget(template, plan);
      if (target === undefined) continue;
      const problem = extraNameProblem(target);
      if (problem)
        throw new UsageError(
          `template ${displayPath(path.join(dir, template))}: ${problem}`,
          'nothing was written: rename the template',
        );
      extras.push({ path: target, template, executable: isScript(target) });
    }
  }
  return extras.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The user's template directories, resolved, without the built-in one (which always comes last). */
function userDirsOf(templateDirs: readonly string[]): string[] {
  const builtin = path.resolve(BUILTIN_TEMPLATES);
  return [...new Set(templateDirs.map((d) => path.resolve(d)))].filter((d) => d !== builtin);
}

/** How a template path is shown in messages: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/**
 * A template failed: file and line, and what went wrong. An include fails inside its parent,
 * so the innermost template is reported and passed through by every rethrow above it.
 */
class TemplateError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`${displayPath(file)}${line ? `:${line}` : ''}: ${reason}`);
  }
}

const describe = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${String(error)}`;

/** Line of an unclosed `<%` tag, found the way ejs finds it (its own tokens). */
function unclosedTagLine(template: ejs.Template): number | undefined {
  const tokens = (template as unknown as { parseTemplateText(): string[] }).parseTemplateText();
  let line = 1;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.startsWith('<%') && !token.startsWith('<%%')) {
      const close = tokens[i + 2];
      if (close !== '%>' && close !== '-%>' && close !== '_%>') return line;
    }
    line += token.split('\n').length - 1;
  }
  return undefined;
}

/**
 * Line of a JavaScript syntax error in a template. ejs reports none: parse its generated code with
 * node:vm, which does, and map that back through the `__line = N` markers ejs puts in the code.
 */
function syntaxErrorLine(template: ejs.Template, error: SyntaxError): { line?: number; message: string } {
  const source = (template as unknown as { source?: string }).source;
  if (!source) return { message: error.message };
  const wrapped = `function template(locals, escapeFn, include, rethrow) {"use strict";\n${source}\n}`;
  try {
    new vm.Script(wrapped, { filename: 'ejs-template' }); // parsed, never run
  } catch (parseError) {
    const at = /^ejs-template:(\d+)/.exec((parseError as Error).stack ?? '');
    let line: number | undefined;
    if (at) {
      for (const codeLine of wrapped.split('\n').slice(0, Number(at[1]))) {
        const marker = /__line = (\d+)/.exec(codeLine);
        if (marker) line = Number(marker[1]);
      }
    }
    return { line, message: (parseError as Error).message };
  }
  return { message: error.message };
}

interface Located {
  file: string;
  source: string;
  custom: boolean;
}

type ClientFunction = (
  locals: object,
  escapeFn: (s: unknown) => string,
  include: (p: string, data?: object) => string,
  rethrow: (...args: unknown[]) => never,
) => string;

/** Renders templates by relative path, looking in the user's directories first, then the built-ins. */
class Renderer {
  private readonly compiled = new Map<string, ClientFunction>();
  private readonly located = new Map<string, Located>();
  /** Set while one output file renders: did a user template take part? */
  private customSeen = false;
  /** Set while one output file renders: what `<%= %>` may print into it. */
  private format: PlainFormat = 'strict';
  private readonly print = (value: unknown) => printPlain(value, this.format);

  constructor(
    private readonly dirs: readonly string[],
    private readonly userDirs: ReadonlySet<string>,
    private readonly context: TemplateContext,
  ) {}

  /** Render one output file; returns its content, its template file and whether a user template was used. */
  renderFile(
    rel: string,
    output: string,
    locals?: Partial<TemplateContext>,
  ): { content: string; file: string; custom: boolean } {
    this.customSeen = false;
    this.format = plainFormatOf(output);
    const content = this.run(rel, locals ? { ...this.context, ...locals } : this.context, false);
    return { content, file: this.locate(rel, false).file, custom: this.customSeen };
  }

  private locate(rel: string, included: boolean): Located {
    const cached = this.located.get(rel);
    if (cached) return cached;
    for (const dir of this.dirs) {
      const file = path.join(dir, ...rel.split('/'));
      const source = readRegular(file, { shown: `template ${displayPath(file)}` });
      if (source === undefined) continue; // not in this directory
      const found = { file, source, custom: this.userDirs.has(dir) };
      this.located.set(rel, found);
      return found;
    }
    const where = this.dirs.map((d) => (this.userDirs.has(d) ? displayPath(d) : 'the built-in templates')).join(', ');
    // Thrown inside the including template, whose rethrow adds its file and line.
    if (included) throw new Error(`include(${JSON.stringify(rel)}): no such template in ${where}`);
    throw new UsageError(`template ${rel} not found in ${where}`);
  }

  private run(rel: string, locals: object, included: boolean): string {
    const { file, source, custom } = this.locate(rel, included);
    if (custom) this.customSeen = true;
    const names = Object.keys(locals);
    const key = `${rel}\0${names.join(',')}`;
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = compile(file, source, names);
      this.compiled.set(key, fn);
    }
    const include = (target: string, data?: object) =>
      this.run(includePath(target), data ? { ...locals, ...data } : locals, true);
    const rethrow = (error: unknown, _lines: unknown, _file: unknown, line: unknown): never => {
      if (error instanceof TemplateError || error instanceof UsageError) throw error;
      const known = error instanceof ReferenceError ? ` (a template can use: ${names.join(', ')})` : '';
      throw new TemplateError(file, typeof line === 'number' ? line : undefined, `${describe(error)}${known}`);
    };
    return fn(locals, this.print, include, rethrow);
  }
}

/** The format of a generated file, for what `<%= %>` may print into it. */
export type PlainFormat = 'strict' | 'text';
/** Shell scripts, TOML, supervisord and Procfile lines read quotes, `$`, `#`, `;`, globs...: strict. Dockerfile, .dockerignore and the rest: text. */
export const plainFormatOf = (file: string): PlainFormat =>
  /\.(sh|toml|conf)$|(^|\/)Procfile[^/]*$/.test(file) ? 'strict' : 'text';

const PLAIN: Record<PlainFormat, RegExp> = {
  strict: /^[A-Za-z0-9_.,:/@+=%~ -]*$/,
  // No control characters, quotes, `$`, backtick or backslash (a Dockerfile's escape and variables).
  text: /^[^\x00-\x1f\x7f"'`$\\]*$/,
};

/**
 * What `<%= value %>` prints: a number, or a string that the file's format reads as plain text.
 * Anything else must go through the escaping helper of the format (`<%- esc.tomlString(v) %>`,
 * `esc.shellQuote`, `esc.jsonString`...): ejs's default, HTML escaping, is wrong for every one of them.
 */
export function printPlain(value: unknown, format: PlainFormat = 'strict'): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && PLAIN[format].test(value)) return value;
  throw new Error(
    `<%= refuses ${JSON.stringify(value) ?? String(value)}: it would need escaping for this file's format; print it with <%- and the helper for the format, such as esc.tomlString(...), esc.shellQuote(...) or esc.jsonString(...)`,
  );
}

/** Include paths are relative to the template directory (never to the including file); `.ejs` may be left out. */
function includePath(target: string): string {
  const rel = path.posix.normalize(target.replace(/\\/g, '/')).replace(/^\.\//, '');
  if (rel.startsWith('../') || rel === '..' || path.posix.isAbsolute(rel)) {
    throw new Error(
      `include(${JSON.stringify(target)}): include paths are relative to the template directory, e.g. include('partials/app.ejs')`,
    );
  }
  return path.posix.extname(rel) ? rel : `${rel}${TEMPLATE_EXT}`;
}

function compile(file: string, source: string, names: string[]): ClientFunction {
  const options = {
    client: true as const,
    filename: file,
    strict: true,
    destructuredLocals: names,
    compileDebug: true,
  };
  try {
    return ejs.compile(source, options) as unknown as ClientFunction;
  } catch (error) {
    const template = new ejs.Template(source, options);
    if (error instanceof SyntaxError) {
      try {
        template.compile();
      } catch {
        // fills template.source, which is all syntaxErrorLine needs
      }
      const { line, message } = syntaxErrorLine(template, error);
      throw new TemplateError(file, line, `SyntaxError: ${message}`);
    }
    const message = (error as Error).message;
    const line = /matching close tag/.test(message) ? unclosedTagLine(template) : undefined;
    throw new TemplateError(file, line, message);
  }
}

/**
 * Pure: (plan, template directories) -> file contents. templateDirs are the user's directories,
 * searched in order before the built-in templates; a template or partial found there replaces the
 * built-in one, and a template with no built-in counterpart adds a file (see extraTarget).
 */
export function render(plan: Plan, project: Project, templateDirs: readonly string[] = []): RenderedFile[] {
  const userDirs = userDirsOf(templateDirs);
  const files = filesFor(plan);
  if (userDirs.length) {
    const builtin = new Map(files.map((f) => [f.path, f.template]));
    const taken = new Map(builtin);
    const problems: string[] = [];
    for (const extra of extraFiles(plan, userDirs)) {
      const other = taken.get(extra.path);
      if (other !== undefined) {
        problems.push(
          builtin.has(extra.path)
            ? `template ${extra.template} would write ${extra.path}, which the built-in template ${other} writes: to replace that one, name your template ${other}`
            : `templates ${other} and ${extra.template} would both write ${extra.path}: remove or rename one`,
        );
      } else {
        taken.set(extra.path, extra.template);
        files.push(extra);
      }
    }
    if (problems.length) throw new UsageError(problems, 'nothing was written');
  }
  const renderer = new Renderer(
    [...userDirs, path.resolve(BUILTIN_TEMPLATES)],
    new Set(userDirs),
    templateContext(plan, project, files),
  );
  try {
    return files.map((f) => {
      const { content, file, custom } = renderer.renderFile(
        f.template,
        f.path,
        f.current ? { current: f.current } : undefined,
      );
      if (f.template === EXTEND_FINAL && project.dockerfileInfo) {
        // The user's Dockerfile with our blocks in it; `owned` is what we generated (hashed, compared on a re-run).
        const stages = renderer.renderFile(EXTEND_STAGES, f.path);
        const blocks = {
          ...(stages.content.trim() ? { stages: stages.content.trimEnd() } : {}),
          final: content.trimEnd(),
        };
        const info = project.dockerfileInfo;
        return {
          path: f.path,
          content: applyBlocks(info.text, blocks, info.stagesAt),
          owned: serializeBlocks(blocks),
          executable: false,
          template: file,
          custom: custom || stages.custom,
        };
      }
      return {
        path: f.path,
        content,
        executable: f.executable ?? false,
        template: file,
        custom,
        ...(f.path === 'Dockerfile' && plan.dockerfile === 'replace' ? { replaces: true } : {}),
      };
    });
  } catch (error) {
    if (error instanceof TemplateError) {
      throw new UsageError(
        `template ${error.message}`,
        'nothing was written: fix the template (or delete it to use the built-in one again); TEMPLATES.md lists what a template can use',
      );
    }
    throw error;
  }
}

/** `--templates DIR`: it must be a directory. Returns the directories to pass to render(). */
export function templateDirsFor(value: string | undefined, projectDir: string, flag = '--templates'): string[] {
  if (value === undefined) return [];
  // Like --from-procfile: relative to the project directory (or absolute), wherever the command runs.
  const dir = path.resolve(projectDir, value);
  const info = statSync(dir, { throwIfNoEntry: false });
  if (!info)
    throw new UsageError(
      `${flag} ${value}: no such directory (create it with \`create-fly-multiproc eject --to ${value}\`, then edit the templates you want to change)`,
    );
  if (!info.isDirectory()) throw new UsageError(`${flag} ${value}: not a directory`);
  return [dir];
}

/** Does a generated file get the `bash -n` check? Scripts by name or by a sh/bash #! line. */
export function isShellScript(file: RenderedFile): boolean {
  if (file.path.endsWith('.sh')) return true;
  const first = file.content.split('\n', 1)[0] ?? '';
  return /^#!\s*\S*\/(?:env\s+)?(?:ba)?sh\b/.test(first);
}

/**
 * Check what user templates produced before anything is written: every `.toml` file must parse,
 * every shell script must pass `bash -n`. Built-in output is covered by the test suite, and the
 * checks cost start-up time (smol-toml, execa, one bash per script), so only files a user template
 * took part in are checked (pass all: true to check everything).
 */
export async function checkRendered(files: readonly RenderedFile[], options: { all?: boolean } = {}): Promise<void> {
  const targets = files.filter((f) => options.all || f.custom);
  if (!targets.length) return;
  const problems: string[] = [];
  const from = (f: RenderedFile) => `${f.path} (from template ${f.template ? displayPath(f.template) : '?'})`;
  const lineText = (f: RenderedFile, line: number) => {
    const text = f.content.split('\n')[line - 1];
    return text === undefined ? '' : `\n      ${line} | ${text.trim()}`;
  };

  const tomls = targets.filter((f) => f.path.endsWith('.toml'));
  if (tomls.length) {
    const { parse, TomlError } = await import('smol-toml');
    for (const f of tomls) {
      try {
        parse(f.content);
      } catch (error) {
        if (!(error instanceof TomlError)) throw error;
        const reason = error.message.split('\n')[0];
        problems.push(
          `${from(f)}: line ${error.line} of the generated file is not valid TOML: ${reason}${lineText(f, error.line)}`,
        );
      }
    }
  }

  const scripts = targets.filter(isShellScript);
  const results = await Promise.all(scripts.map((f) => bashSyntaxCheck(f.content)));
  results.forEach((r, i) => {
    const f = scripts[i]!;
    if (r.status === 0 || r.status === undefined) return; // passed, or no bash here to check with
    const first = r.stderr.split('\n').find(Boolean) ?? `exit status ${r.status}`;
    const at = /line (\d+):/.exec(first);
    const line = at ? Number(at[1]) : undefined;
    const reason = first.replace(/^bash: (line \d+: )?/, '');
    problems.push(
      `${from(f)}: ${line ? `line ${line} of the generated file` : 'the generated file'} fails \`bash -n\`: ${reason}${line ? lineText(f, line) : ''}`,
    );
  });

  if (problems.length) {
    throw new UsageError(
      problems,
      'nothing was written: fix the template (the line shown is from the file it generated)',
    );
  }
}

/**
 * `bash -n` on a script given on stdin. node:child_process rather than execa: execa would add
 * ~115 kB to the bundle, parsed on every start even when no check runs. status undefined: no bash.
 */
async function bashSyntaxCheck(script: string): Promise<{ status?: number; stderr: string }> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn('bash', ['-n'], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
      timeout: 10_000,
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => {}); // bash may exit before reading all of it
    child.on('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ENOENT' ? { stderr } : { status: -1, stderr: String(error) }),
    );
    child.on('close', (code) => resolve({ status: code ?? -1, stderr }));
    child.stdin.end(script);
  });
}
