import { flyTomlNextSteps, oneMachineNotes } from './steps.js';
import type { Strategy } from './types.js';

export const supervisord: Strategy = {
  name: 'supervisord',
  summary: 'supervisord restarts a crashed program in place; the Machine restarts only when a program keeps failing.',
  help: 'one Machine, supervisord restarts crashed programs; a program that keeps failing restarts the Machine',
  oneMachine: true,
  processGroups: false,
  flyToml: true,
  runsWithKeptDockerfile: false,
  portInFlyEnv: 'none',
  needsBash: true,
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
  programs: () => [{ program: 'supervisord', pkg: 'supervisor' }],
  partials: { final: 'supervisord/partials/final.ejs' },
  context: (plan) => ({ stopWaitSecs: plan.killTimeout - 3 }),
  notes: oneMachineNotes,
  nextSteps: (plan) => {
    // The files are in /app, or in your extended Dockerfile's WORKDIR (said only when it is a plain path).
    const appDir = (plan.appDir ?? '/app').replace(/\/+$/, '');
    return [
      ...flyTomlNextSteps(plan),
      ...(/^\/[\w./-]*$/.test(appDir)
        ? [`fly ssh console -C "supervisorctl -c ${appDir}/supervisor.conf status"`]
        : []),
    ];
  },
  recommend: (prefs) => (prefs.inPlace ? 'a crashed program is restarted without restarting the Machine' : undefined),
};
