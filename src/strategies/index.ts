/**
 * The strategy registry: one module per strategy (plus its templates). The strategy list, --help,
 * the wizard's choices and recommendation, and test/contract.test.ts all derive from it.
 */
import { apps } from './apps.js';
import { bash } from './bash.js';
import { processGroups } from './process-groups.js';
import { procfile } from './procfile.js';
import { supervisord } from './supervisord.js';
import type { Preferences, Strategy, StrategyOption } from './types.js';

const REGISTRY = {
  'process-groups': processGroups,
  bash,
  supervisord,
  procfile,
  apps,
} satisfies Record<string, Strategy>;

export type StrategyName = keyof typeof REGISTRY;
export const STRATEGIES: Record<StrategyName, Strategy> = REGISTRY;
/** In the registry's order: --help, the wizard's choices. */
export const STRATEGY_NAMES = Object.keys(REGISTRY) as StrategyName[];

/** The strategy --yes (and one process) takes. */
export const DEFAULT_STRATEGY: StrategyName = 'process-groups';

export function isStrategyName(name: string | undefined): name is StrategyName {
  return name !== undefined && Object.hasOwn(STRATEGIES, name);
}

/** The strategy the wizard recommends for these preferences, and why. */
export function recommendStrategy(prefs: Preferences): { strategy: StrategyName; why: string } {
  for (const [name, s] of Object.entries(STRATEGIES) as [StrategyName, Strategy][]) {
    const why = s.recommend?.(prefs);
    if (why) return { strategy: name, why };
  }
  return { strategy: DEFAULT_STRATEGY, why: STRATEGIES[DEFAULT_STRATEGY].summary };
}

/** Every strategy's own options, each with the strategy it belongs to. */
export function strategyOptions(): { strategy: StrategyName; option: StrategyOption }[] {
  return (Object.entries(STRATEGIES) as [StrategyName, Strategy][]).flatMap(([strategy, s]) =>
    (s.options ?? []).map((option) => ({ strategy, option })),
  );
}

export type { Strategy, GeneratedFile, InstalledProgram, StrategyOption, Preferences } from './types.js';
