import type { Strategy } from './types.js';

export const processGroups: Strategy = {
  name: 'process-groups',
  summary: "Fly's own way: each process is a [processes] group on its own Machines, scaled and restarted separately.",
  oneMachine: false,
  minProcesses: 1,
  minKillTimeout: 1,
  killSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'],
  files: (plan) => [{ path: plan.entrypointFile ?? 'entrypoint.sh', template: 'process-groups/entrypoint.sh.ejs', executable: true }],
  aptPackages: () => [],
  context: () => ({}),
};
