import { flyTomlNextSteps, oneMachineNotes } from './steps.js';
import type { Strategy } from './types.js';

export const bash: Strategy = {
  name: 'bash',
  summary:
    'One bash entrypoint runs every process, forwards stop signals and exits when any one dies (Fly restarts the Machine). Smallest image.',
  help: 'one Machine, a bash entrypoint that forwards signals and exits when any process dies',
  oneMachine: true,
  processGroups: false,
  flyToml: true,
  runsWithKeptDockerfile: false,
  portInFlyEnv: 'none',
  needsBash: true,
  minProcesses: 2,
  // The entrypoint needs ~0.5 s after its own grace period: STOP_TIMEOUT = kill_timeout - 1 >= 1.
  minKillTimeout: 2,
  killSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'],
  files: (plan) => [
    { path: plan.entrypointFile ?? 'entrypoint.sh', template: 'bash/entrypoint.sh.ejs', executable: true },
  ],
  aptPackages: () => [],
  // bash itself: in every Debian image, and installed on Alpine (needsBash).
  programs: () => [],
  partials: {},
  context: (plan) => ({ stopTimeout: plan.killTimeout - 1 }),
  notes: oneMachineNotes,
  nextSteps: flyTomlNextSteps,
  recommend: (prefs) =>
    prefs.separate || prefs.inPlace ? undefined : 'one Machine, the smallest image, and any crash restarts the Machine',
};
