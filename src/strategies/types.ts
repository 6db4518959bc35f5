import type { KillSignal, Plan, StrategyName } from '../types.js';

export interface GeneratedFile {
  /** Path relative to the project directory. */
  path: string;
  /** Template path relative to a template directory. */
  template: string;
  executable?: boolean;
}

export interface Strategy {
  name: StrategyName;
  /** One line: what it is and when to pick it. */
  summary: string;
  /** All processes share one Machine (and so stop and restart together). */
  oneMachine: boolean;
  minProcesses: number;
  /** Below this, the strategy's inner stop timeout would be under one second. */
  minKillTimeout: number;
  killSignals: readonly KillSignal[];
  files(plan: Plan): GeneratedFile[];
  /** Debian packages the final image needs. */
  aptPackages(plan: Plan): string[];
  /** Extra values the strategy's templates use, derived from the plan. */
  context(plan: Plan): Record<string, unknown>;
  /** A fly.toml [[restart]] policy, when Fly's default (on-failure) would leave the Machine stopped. */
  restartPolicy?(plan: Plan): 'always' | undefined;
}
