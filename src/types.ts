import type { Static } from './statics.js';
import type { FlyTomlImport, ProcfileImport } from './import.js';
import type { Build, RuntimeFacts } from './runtimes.js';
import type { DockerfileInfo, DockerfileMode } from './dockerfile/mode.js';

// The strategies are the registry's (src/strategies/index.ts): one module each.
export { STRATEGY_NAMES, type StrategyName } from './strategies/index.js';
import type { StrategyName } from './strategies/index.js';

export const KILL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const;
export type KillSignal = (typeof KILL_SIGNALS)[number];

export { PROCFILE_MANAGERS, type ProcfileManager } from './strategies/procfile.js';
import type { ProcfileManager } from './strategies/procfile.js';

/** Runtimes the Dockerfile can build; detect.ts says which one a project is (--runtime overrides). */
export const RUNTIMES = ['go', 'node', 'python', 'ruby', 'rust', 'bun', 'static', 'generic'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** What the user asked for, from flags (and later the wizard). Nothing here is trusted. */
export const OTHER_PORTS = ['ipv6', 'ipv4', 'internal'] as const;
export type OtherPorts = (typeof OTHER_PORTS)[number];

export interface Answers {
  dir: string;
  strategy?: string;
  /** Raw `name=command` values of --process, in order. */
  processes?: string[];
  /** Raw `name=port` values of --port. */
  ports?: string[];
  /** --packages / --build-packages: Debian packages for the final image / the build stage (each value may be comma-separated). */
  packages?: string[];
  buildPackages?: string[];
  /** --other-ports: how ports other than the http_service's are reached (ipv6, ipv4, internal). */
  otherPorts?: string;
  /** Raw `url_prefix=guest_path` values of --statics, in order. */
  statics?: string[];
  http?: string;
  app?: string;
  region?: string;
  killSignal?: string;
  killTimeout?: string;
  baseImage?: string;
  procfileManager?: string;
  /** --runtime: overrides the detected runtime. */
  runtime?: string;
  /** A one-off command run before each deploy (fly.toml [deploy] release_command): a Procfile's release entry, or fly.toml's own. */
  release?: string;
  /** --from-procfile: the processes come from this Procfile (detect reads it, relative to the project directory). */
  fromProcfile?: string;
  yes?: boolean;
  /** Write the built-in example (chosen in the wizard; --yes in an empty directory does the same). */
  example?: boolean;
  /** --templates: a directory of templates that replace or add to the built-in ones (as given, relative to the project directory or absolute). */
  templates?: string;
  /** --dockerfile: keep, extend, create or replace the project's Dockerfile. */
  dockerfile?: string;
  /**
   * Where an answer came from when it was not this command line (`fly-multiproc.json answers.app`):
   * problems with it name that, not the flag. fly.toml and Procfile values are named by the import.
   */
  sources?: Partial<Record<keyof Answers, string>>;
}

/** What detect() learned about the target directory (what templates see as `project`). */
export interface ProjectFacts {
  dir: string;
  exists: boolean;
  /** No entries other than .git and editor/OS litter. */
  empty: boolean;
  /** The first runtime with evidence (order in detect.ts), else generic. */
  runtime: Runtime;
  /** Runtimes the directory also has evidence of, which lost on the detection order. */
  otherRuntimes?: Runtime[];
  /** What detect() learned per runtime with evidence (and static, always): versions, lockfiles, programs. */
  runtimes?: Partial<Record<Runtime, RuntimeFacts>>;
  packageJson: boolean;
  npmLock: boolean;
  /** Procfile.prod or Procfile in the directory, or the file given with --from-procfile. */
  procfile?: ProcfileImport;
  /** An existing fly.toml: app, region, stop settings and [processes] to keep as defaults. */
  flyToml?: FlyTomlImport;
  /** A Dockerfile exists already. */
  dockerfile?: boolean;
}

/** The project as the pipeline sees it: detect()'s facts, and the project's own Dockerfile once inspected. */
export interface Project extends ProjectFacts {
  /** That Dockerfile, read by inspectDockerfile (src/dockerfile) before planning: only when it exists. */
  dockerfileInfo?: DockerfileInfo;
}

export interface PlannedProcess {
  name: string;
  /** The command as the user wrote it (shell words). */
  command: string;
  /** What to exec: the command's words, or `sh -c …` when it needs a shell. */
  argv: string[];
  /** Why the command runs under `sh -c`, if it does. */
  shellReason?: string;
  port?: number;
  /** `--port NAME=none`: no port, whatever its command or name suggests (a worker named web). */
  noPort?: true;
  /**
   * Environment the process gets of its own, e.g. { PORT: "8080" } for a process that reads $PORT
   * (or a `web` process whose command names no port). With process groups the first such PORT is
   * fly.toml's [env] PORT; any other, and every one in a one-Machine strategy, is also in argv
   * (`env PORT=8081 ...`), because processes sharing one Machine must not share one PORT.
   */
  env?: Record<string, string>;
}

/** The release command: run by Fly before each deploy (fly.toml [deploy] release_command), through the entrypoint. */
export interface PlannedRelease {
  /** As written in the Procfile or fly.toml. */
  command: string;
  /** The words flyctl runs (`sh -c ...` when the command needs a shell). */
  argv: string[];
  /** The value for fly.toml: fly.toml's own text when it came from there, else argv joined as shell words. */
  toml: string;
  /** Where it came from, e.g. "Procfile:4". */
  source: string;
}

/** The validated, normalised description of what to generate. Everything after plan() trusts it. */
export interface Plan {
  dir: string;
  strategy: StrategyName;
  app: string;
  /** Where the generated files live in the image when they are not in /app (your Dockerfile's WORKDIR, extended). */
  appDir?: string;
  /** The generated entrypoint's file name when the project has an entrypoint.sh of its own (extend/keep): fly-entrypoint.sh. */
  entrypointFile?: string;
  /** The processes were taken from fly.toml's [processes] (which a one-Machine strategy then removes). */
  processesFromFlyToml?: true;
  region?: string;
  processes: PlannedProcess[];
  /** Name of the process that gets Fly's [http_service], if any process has a port. */
  http?: string;
  /** fly.toml [env]: PORT of the process groups' process that reads it (process-groups only). */
  env: Record<string, string>;
  /** fly.toml [deploy] release_command, if the project has one. */
  release?: PlannedRelease;
  /**
   * How ports other than the http_service's are reached (--other-ports): `ipv6` public over IPv6 and
   * Flycast (a shared IPv4 serves only 80/443), `ipv4` also over a dedicated IPv4 (billed),
   * `internal` no [[services]]: only APP.internal:PORT on the private network.
   */
  otherPorts: OtherPorts;
  /** fly.toml [[statics]]: files Fly's proxy serves from the image (--statics); empty when none. */
  statics: Static[];
  killSignal: KillSignal;
  killTimeout: number;
  baseImage: string;
  procfileManager: ProcfileManager;
  runtime: Runtime;
  /** How the Dockerfile builds the runtime: images, version, package manager, files to copy. */
  build: Build;
  /** Scaffold the built-in example program too. */
  example: boolean;
  /** What happens to the Dockerfile: keep or extend the user's, create one, or replace the user's (asked for by name). */
  dockerfile: DockerfileMode;
  /** Things the user should know about the plan (shown in the summary). */
  notes: string[];
}
