import type { Plan } from '../types.js';
import { flyTomlNextSteps, oneMachineNotes } from './steps.js';
import type { Strategy } from './types.js';

/**
 * Pinned manager versions, installed with `go install` in a builder stage (module checksums are
 * verified by Go's checksum database). overmind also gets libnoutempter.so (partials/procfile-manager.ejs):
 * tmux < 3.6 loses a process's exit in a libutempter signal race and overmind hangs (overmind#182).
 */
export const MANAGERS = {
  overmind: { module: 'github.com/DarthSim/overmind/v2', version: 'v2.5.1', needs: ['tmux'] },
  hivemind: { module: 'github.com/DarthSim/hivemind', version: 'v1.1.0', needs: [] as string[] },
} as const;

export type ProcfileManager = keyof typeof MANAGERS;
export const PROCFILE_MANAGERS = Object.keys(MANAGERS) as ProcfileManager[];

export const GO_BUILDER_IMAGE = 'golang:1.22-bookworm';

export const procfile: Strategy = {
  name: 'procfile',
  summary:
    'A Procfile run by overmind (or hivemind), set up for a container: no TTY, no .env overrides, socket in /tmp.',
  help: 'one Machine, a Procfile run by overmind (or hivemind)',
  oneMachine: true,
  processGroups: false,
  flyToml: true,
  runsWithKeptDockerfile: false,
  portInFlyEnv: 'none',
  needsBash: true,
  minProcesses: 2,
  // overmind's stop is its timeout + a fixed 1 s sleep + ~0.2 s (measured 6.2 s for 5 s):
  // OVERMIND_TIMEOUT = kill_timeout - 2 >= 1 keeps it 0.8 s inside kill_timeout.
  minKillTimeout: 3,
  // Both stop gracefully on SIGINT and SIGTERM. SIGQUIT kills them outright, and so does SIGHUP
  // hivemind 1.1.0 (its children are SIGKILLed): never offer either.
  killSignals: ['SIGINT', 'SIGTERM'],
  files: (plan) => [
    { path: plan.entrypointFile ?? 'entrypoint.sh', template: 'procfile/entrypoint.sh.ejs', executable: true },
    { path: 'Procfile.fly', template: 'procfile/Procfile.fly.ejs' },
  ],
  aptPackages: (plan: Plan) => [...MANAGERS[plan.procfileManager].needs],
  programs: (plan: Plan) => [
    { program: plan.procfileManager, path: `/usr/local/bin/${plan.procfileManager}` },
    ...MANAGERS[plan.procfileManager].needs.map((pkg) => ({ program: pkg, pkg })),
  ],
  partials: { stages: 'partials/procfile-manager.ejs', final: 'partials/procfile-manager-copy.ejs' },
  context: (plan: Plan) => ({
    manager: MANAGERS[plan.procfileManager],
    goBuilderImage: GO_BUILDER_IMAGE,
    managerTimeout: plan.killTimeout - 2,
  }),
  // hivemind always exits 0; overmind exits 0 when a process exits 0, and when a process whose
  // Procfile command uses `exec` is killed by a signal (tmux reports no status): under Fly's
  // default on-failure policy the Machine would stay stopped.
  restartPolicy: () => 'always',
  notes: oneMachineNotes,
  nextSteps: flyTomlNextSteps,
  options: [
    {
      key: 'procfileManager',
      flag: '--procfile-manager',
      choices: PROCFILE_MANAGERS,
      default: 'overmind',
      help: `${PROCFILE_MANAGERS.join(' or ')} (default overmind)`,
      question: 'Procfile manager',
      describe: {
        overmind: 'runs each process in tmux; exit status of the failed process',
        hivemind: 'no tmux, smaller; always exits 0 (the Machine restarts anyway)',
      },
    },
  ],
};
