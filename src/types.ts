export const STRATEGY_NAMES = ['process-groups', 'bash', 'supervisord', 'procfile'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export const KILL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const;
export type KillSignal = (typeof KILL_SIGNALS)[number];

export const PROCFILE_MANAGERS = ['overmind', 'hivemind'] as const;
export type ProcfileManager = (typeof PROCFILE_MANAGERS)[number];

export type Runtime = 'node' | 'generic';

/** What the user asked for, from flags (and later the wizard). Nothing here is trusted. */
export interface Answers {
  dir: string;
  strategy?: string;
  /** Raw `name=command` values of --process, in order. */
  processes?: string[];
  /** Raw `name=port` values of --port. */
  ports?: string[];
  http?: string;
  app?: string;
  region?: string;
  killSignal?: string;
  killTimeout?: string;
  baseImage?: string;
  procfileManager?: string;
  yes?: boolean;
  /** Write the built-in example (chosen in the wizard; --yes in an empty directory does the same). */
  example?: boolean;
}

/** What detect() learned about the target directory. */
export interface Project {
  dir: string;
  exists: boolean;
  /** No entries other than .git and editor/OS litter. */
  empty: boolean;
  runtime: Runtime;
  packageJson: boolean;
  npmLock: boolean;
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
}

/** The validated, normalised description of what to generate. Everything after plan() trusts it. */
export interface Plan {
  dir: string;
  strategy: StrategyName;
  app: string;
  region?: string;
  processes: PlannedProcess[];
  /** Name of the process that gets Fly's [http_service], if any process has a port. */
  http?: string;
  killSignal: KillSignal;
  killTimeout: number;
  baseImage: string;
  procfileManager: ProcfileManager;
  runtime: Runtime;
  /** Scaffold the built-in example program too. */
  example: boolean;
  /** Things the user should know about the plan (shown in the summary). */
  notes: string[];
}
