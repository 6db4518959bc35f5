import type { KillSignal, Plan } from '../types.js';
import type { PerProcessFile } from '../template-context.js';

export interface GeneratedFile {
  /** Path relative to the project directory. */
  path: string;
  /** Template path relative to a template directory. */
  template: string;
  executable?: boolean;
  /** A file written once per process: what its template sees as `current`. */
  current?: PerProcessFile;
}

/** A program a strategy's entrypoint or config runs (besides the user's processes), and how the image gets it. */
export interface InstalledProgram {
  program: string;
  /** The Debian/Alpine package that installs it (its name goes into the final stage's package install). */
  pkg?: string;
  /** Or the path a Dockerfile COPY puts it at. */
  path?: string;
}

/** A strategy-specific option: a flag, a remembered answer and a wizard question, declared by its strategy. */
export interface StrategyOption {
  /** Key in Answers and fly-multiproc.json. */
  key: 'procfileManager';
  flag: string;
  choices: readonly string[];
  default: string;
  help: string;
  /** One line per choice, shown in the wizard. */
  describe: Record<string, string>;
  question: string;
}

/** The wizard's two preference questions, which the registry turns into a recommendation. */
export interface Preferences {
  separate: boolean;
  inPlace: boolean;
}

export interface Strategy {
  name: string;
  /** One line: what it is and when to pick it. */
  summary: string;
  /** One line for --help's strategy list. */
  help: string;
  /** All processes share one Machine (and so stop and restart together). */
  oneMachine: boolean;
  /** fly.toml holds one [processes] group per process, and each service names its group. */
  processGroups: boolean;
  /** The strategy writes fly.toml (merged into the user's); false: it writes its own per-app files and leaves fly.toml alone. */
  flyToml: boolean;
  /** With --dockerfile keep, the user's own ENTRYPOINT runs each command: none of the strategy's files is needed. */
  runsWithKeptDockerfile: boolean;
  /** A process reading $PORT gets it from its own fly.toml [env], not from `env PORT=` in front of its command. */
  portInFlyEnv: 'first' | 'each' | 'none';
  /** Its scripts are bash scripts: an Alpine image needs bash installed (process-groups' only with a Dockerfile of yours). */
  needsBash: boolean;
  minProcesses: number;
  /** Below this, the strategy's inner stop timeout would be under one second. */
  minKillTimeout: number;
  killSignals: readonly KillSignal[];
  files(plan: Plan): GeneratedFile[];
  /** OS packages the final image needs. */
  aptPackages(plan: Plan): string[];
  /** Programs its entrypoint or config runs, and what installs each (test/contract.test.ts checks the Dockerfile does). */
  programs(plan: Plan): InstalledProgram[];
  /** Template partials the Dockerfile includes: build stages before the final stage, and lines in the final stage. */
  partials: { stages?: string; final?: string };
  /** Extra values the strategy's templates use, derived from the plan. */
  context(plan: Plan): Record<string, unknown>;
  /** A fly.toml [[restart]] policy, when Fly's default (on-failure) would leave the Machine stopped. */
  restartPolicy?(plan: Plan): 'always' | undefined;
  /** Problems with a valid-looking plan that only this strategy has. */
  validate?(plan: Plan): string[];
  /** Notes on a valid plan that only this strategy makes. */
  notes?(plan: Plan): string[];
  /** The deploy commands after the files are written (a `cd` comes before them). */
  nextSteps(plan: Plan): string[];
  /** Why the wizard recommends it for these preferences, or undefined: the first strategy that answers wins. */
  recommend?(prefs: Preferences): string | undefined;
  /** Its own options (flags, remembered, asked in the wizard). */
  options?: readonly StrategyOption[];
  /** The wizard's text for keeping a Dockerfile of the user's own. */
  keepDescription?: string;
}
