import { flyTomlNextSteps } from './steps.js';
import type { Strategy } from './types.js';

export const processGroups: Strategy = {
  name: 'process-groups',
  summary: "Fly's own way: each process is a [processes] group on its own Machines, scaled and restarted separately.",
  help: "each process on its own Machines ([processes] in fly.toml) - Fly's recommended way",
  oneMachine: false,
  processGroups: true,
  flyToml: true,
  runsWithKeptDockerfile: true,
  portInFlyEnv: 'first',
  needsBash: false,
  minProcesses: 1,
  minKillTimeout: 1,
  killSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'],
  files: (plan) => [
    { path: plan.entrypointFile ?? 'entrypoint.sh', template: 'process-groups/entrypoint.sh.ejs', executable: true },
  ],
  aptPackages: () => [],
  programs: () => [],
  partials: {},
  context: () => ({}),
  notes: (plan) =>
    plan.processes
      .filter((p) => p.port === undefined)
      .map(
        (p) =>
          `${p.name} has no port, so it gets no service and is never auto-stopped (fly deploy creates its Machine like every group's)`,
      ),
  nextSteps: flyTomlNextSteps,
  recommend: (prefs) => (prefs.separate ? 'each process scales and restarts on its own Machines' : undefined),
  keepDescription: "unchanged: Fly runs each group's command through your ENTRYPOINT",
};
