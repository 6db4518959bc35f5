/**
 * The context every template receives. TEMPLATES.md documents each key of TemplateContext (and of
 * the types it uses); test/templates.test.ts reads this file with the TypeScript compiler and fails
 * when a key is missing from the docs, or the docs list a key that no longer exists.
 */
import { escape, type Escape } from './escape.js';
import { STRATEGIES } from './strategies/index.js';
import type { GeneratedFile } from './strategies/index.js';
import type { Plan, PlannedProcess, Project, StrategyName } from './types.js';
import { userDockerfileContext, type UserDockerfile } from './dockerfile/mode.js';

/** What a template knows about the strategy itself. */
export interface StrategyInfo {
  /** A strategy of the registry (src/strategies/index.ts): `process-groups`, `bash`, `supervisord`, `procfile`... */
  name: StrategyName;
  /** One line: what the strategy does. */
  summary: string;
  /** All processes share one Machine (and stop and restart together). */
  oneMachine: boolean;
  /** fly.toml has one [processes] group per process, and each service names its group. */
  processGroups: boolean;
  /** Partials the Dockerfile includes for the strategy: its build stages, its lines in the final stage (undefined: none). */
  partials: { stages?: string; final?: string };
}

/** A Procfile manager pinned by version, installed with `go install module@version`. */
export interface ManagerInfo {
  module: string;
  version: string;
  /** Debian packages the manager needs at run time. */
  needs: readonly string[];
}

/**
 * Values a strategy derives from the plan (`s` in templates). Each key is set by one strategy
 * only; the others leave it undefined.
 */
export interface StrategyValues {
  /** bash: seconds the entrypoint waits for processes to stop (kill_timeout - 1). */
  stopTimeout?: number;
  /** supervisord: `stopwaitsecs` of each program (kill_timeout - 3). */
  stopWaitSecs?: number;
  /** procfile: the manager to install (overmind or hivemind). */
  manager?: ManagerInfo;
  /** procfile: image of the Go build stage that installs the manager. */
  goBuilderImage?: string;
  /** procfile: OVERMIND_TIMEOUT / HIVEMIND_TIMEOUT (kill_timeout - 2). */
  managerTimeout?: number;
}

/** A file a strategy writes once per process (e.g. one Fly app config per process). */
export interface PerProcessFile {
  /** The process this file is for. */
  process: PlannedProcess;
  /** The Fly app it configures. */
  app: string;
  /** That app's fly.toml [env], in order. */
  env: Record<string, string>;
}

/** Everything a template can use, each key a local variable of the template. */
export interface TemplateContext {
  /** The validated plan: what the user asked for, normalised. */
  plan: Plan;
  /** The processes in the order given (same as plan.processes). */
  processes: PlannedProcess[];
  strategy: StrategyInfo;
  /** Values the strategy derives from the plan. */
  s: StrategyValues;
  /** The process that gets Fly's [http_service], if any. */
  httpProcess: PlannedProcess | undefined;
  /** Processes with a port other than httpProcess: each gets a [[services]] block. */
  otherServices: PlannedProcess[];
  /** Processes with a port other than httpProcess that get no service (`--other-ports internal`): reached at APP.internal:PORT only. */
  internalPorts: PlannedProcess[];
  /** fly.toml auto_stop_machines: "off" when one Machine runs a process without a port. */
  autoStop: 'off' | 'stop';
  /** fly.toml [[restart]] policy, when Fly's default would leave the Machine stopped. */
  restartPolicy: 'always' | undefined;
  /** The base image is Alpine (apk instead of apt-get). */
  alpine: boolean;
  /** OS packages the strategy needs (with --dockerfile extend, the block installs these). */
  packages: string[];
  /** OS packages a generated Dockerfile's final stage installs: the runtime's, then the strategy's. */
  osPackages: string[];
  /** The generated files (and your `*.sh`) a final stage without the source copies, grouped by directory, in order. */
  runFileCopies: { dir: string; files: string[] }[];
  /** Generated files that must be executable, relative to the project directory. */
  executables: string[];
  /** With --dockerfile extend: what the user's own Dockerfile has (USER, WORKDIR, ENTRYPOINT, base family); undefined otherwise. */
  userDockerfile: UserDockerfile | undefined;
  /** In a file written once per process: that process, its app and [env]; undefined in every other file. */
  current: PerProcessFile | undefined;
  /** Escaping helpers, one per target format. */
  esc: Escape;
}

/** Build the context. `files` is everything this run writes (built-in and extra templates). */
export function templateContext(plan: Plan, project: Project, files: readonly GeneratedFile[]): TemplateContext {
  const strategy = STRATEGIES[plan.strategy];
  const httpProcess = plan.processes.find((p) => p.name === plan.http);
  // Extending the user's Dockerfile: the family of their final stage's base image decides apk vs apt-get.
  const userDockerfile =
    plan.dockerfile === 'extend' && project.dockerfileInfo ? userDockerfileContext(project.dockerfileInfo) : undefined;
  const alpine = userDockerfile ? userDockerfile.family === 'alpine' : /(^|[/:_-])alpine/.test(plan.baseImage);
  const packages = strategy.aptPackages(plan);
  const executables = files.filter((f) => f.executable).map((f) => f.path);
  if ((strategy.needsBash || userDockerfile) && alpine) packages.unshift('bash');
  return {
    plan,
    processes: plan.processes,
    strategy: {
      name: plan.strategy,
      summary: strategy.summary,
      oneMachine: strategy.oneMachine,
      processGroups: strategy.processGroups,
      partials: strategy.partials,
    },
    s: strategy.context(plan) as StrategyValues,
    httpProcess,
    otherServices:
      plan.otherPorts === 'internal' ? [] : plan.processes.filter((p) => p.port !== undefined && p !== httpProcess),
    internalPorts:
      plan.otherPorts === 'internal' ? plan.processes.filter((p) => p.port !== undefined && p !== httpProcess) : [],
    // A Machine that runs a process without a port must not be stopped by the proxy when idle.
    autoStop: strategy.oneMachine && plan.processes.some((p) => p.port === undefined) ? 'off' : 'stop',
    restartPolicy: strategy.restartPolicy?.(plan),
    alpine,
    packages,
    osPackages: [...plan.build.aptPackages.filter((p) => !packages.includes(p)), ...packages],
    runFileCopies: groupByDir([...new Set([...(plan.build.runFiles ?? []), ...executables])]),
    executables,
    esc: escape,
    userDockerfile,
    current: undefined,
  };
}

/** Files grouped by their directory ("" for the top), directories in the order first seen: one COPY each. */
function groupByDir(files: readonly string[]): { dir: string; files: string[] }[] {
  const byDir = new Map<string, string[]>();
  for (const file of files) {
    const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
    byDir.set(dir, [...(byDir.get(dir) ?? []), file]);
  }
  return [...byDir].map(([dir, grouped]) => ({ dir, files: grouped }));
}
