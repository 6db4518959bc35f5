import type { Strategy } from './types.js';

export const supervisord: Strategy = {
  name: 'supervisord',
  summary: 'supervisord restarts a crashed program in place; the Machine restarts only when a program keeps failing.',
  oneMachine: true,
  minProcesses: 2,
  // supervisord needs ~1 s per stop group plus a 1 s tick: stopwaitsecs = kill_timeout - 3 >= 1.
  minKillTimeout: 4,
  killSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'],
  files: (plan) => [
    { path: plan.entrypointFile ?? 'entrypoint.sh', template: 'supervisord/entrypoint.sh.ejs', executable: true },
    { path: 'supervisor.conf', template: 'supervisord/supervisor.conf.ejs' },
    { path: 'supervisor-fail-fast.sh', template: 'supervisord/supervisor-fail-fast.sh.ejs', executable: true },
  ],
  aptPackages: () => ['supervisor'],
  context: (plan) => ({ stopWaitSecs: plan.killTimeout - 3 }),
};
