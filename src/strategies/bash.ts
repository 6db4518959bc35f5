import type { Strategy } from './types.js';

export const bash: Strategy = {
  name: 'bash',
  summary: 'One bash entrypoint runs every process, forwards stop signals and exits when any one dies (Fly restarts the Machine). Smallest image.',
  oneMachine: true,
  minProcesses: 2,
  // The entrypoint needs ~0.5 s after its own grace period: STOP_TIMEOUT = kill_timeout - 1 >= 1.
  minKillTimeout: 2,
  killSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'],
  files: (plan) => [{ path: plan.entrypointFile ?? 'entrypoint.sh', template: 'bash/entrypoint.sh.ejs', executable: true }],
  aptPackages: () => [],
  context: (plan) => ({ stopTimeout: plan.killTimeout - 1 }),
};
