import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import { UsageError } from './errors.js';
import { escape } from './escape.js';
import { STRATEGIES } from './strategies/index.js';
import type { GeneratedFile } from './strategies/index.js';
import type { Plan, Project } from './types.js';

export const BUILTIN_TEMPLATES = fileURLToPath(new URL('../templates', import.meta.url));

export interface RenderedFile {
  path: string;
  content: string;
  executable: boolean;
}

/** The files every strategy writes, then the strategy's own, then the example program. */
export function filesFor(plan: Plan): GeneratedFile[] {
  const files: GeneratedFile[] = [
    { path: 'Dockerfile', template: 'Dockerfile.ejs' },
    { path: 'fly.toml', template: 'fly.toml.ejs' },
    ...STRATEGIES[plan.strategy].files(plan),
  ];
  if (plan.example) files.push({ path: 'server.js', template: 'example/server.js.ejs' });
  return files;
}

/** Everything a template can use. */
export function templateContext(plan: Plan, project: Project) {
  const strategy = STRATEGIES[plan.strategy];
  const files = filesFor(plan);
  const httpProcess = plan.processes.find((p) => p.name === plan.http);
  const alpine = /(^|[/:_-])alpine/.test(plan.baseImage);
  const packages = strategy.aptPackages(plan);
  if (plan.strategy !== 'process-groups' && alpine) packages.unshift('bash');
  return {
    plan,
    project,
    processes: plan.processes,
    strategy: { name: strategy.name, summary: strategy.summary, oneMachine: strategy.oneMachine },
    /** Values the strategy derives from the plan (stop timeouts, manager versions). */
    s: strategy.context(plan),
    httpProcess,
    otherServices: plan.processes.filter((p) => p.port !== undefined && p !== httpProcess),
    /** A Machine that runs a process without a port must not be stopped by the proxy when idle. */
    autoStop: strategy.oneMachine && plan.processes.some((p) => p.port === undefined) ? 'off' : 'stop',
    restartPolicy: strategy.restartPolicy?.(plan),
    alpine,
    packages,
    executables: files.filter((f) => f.executable).map((f) => f.path),
    esc: escape,
  };
}
export type TemplateContext = ReturnType<typeof templateContext>;

/** Pure: (plan, template directories) -> file contents. The first directory holding a template wins. */
export function render(plan: Plan, project: Project, templateDirs: string[] = [BUILTIN_TEMPLATES]): RenderedFile[] {
  const context = templateContext(plan, project);
  const locate = (rel: string) => {
    for (const dir of templateDirs) {
      const file = path.join(dir, rel);
      try {
        return { file, source: readFileSync(file, 'utf8') };
      } catch {
        // not in this directory
      }
    }
    throw new UsageError(`template ${rel} not found in ${templateDirs.join(', ')}`);
  };
  const renderTemplate = (rel: string): string => {
    const { file, source } = locate(rel);
    try {
      return ejs.render(source, context, {
        filename: file,
        strict: true,
        destructuredLocals: Object.keys(context),
        includer: (original: string) => ({ template: locate(original).source }),
      });
    } catch (error) {
      throw new UsageError(`template ${file}: ${(error as Error).message}`);
    }
  };
  return filesFor(plan).map((f) => ({ path: f.path, content: renderTemplate(f.template), executable: f.executable ?? false }));
}
