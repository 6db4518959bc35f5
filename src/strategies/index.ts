import type { StrategyName } from '../types.js';
import { bash } from './bash.js';
import { processGroups } from './process-groups.js';
import { procfile } from './procfile.js';
import { supervisord } from './supervisord.js';
import type { Strategy } from './types.js';

export const STRATEGIES: Record<StrategyName, Strategy> = {
  'process-groups': processGroups,
  bash,
  supervisord,
  procfile,
};

export type { Strategy, GeneratedFile } from './types.js';
