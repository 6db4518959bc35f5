import { plan } from '../src/plan.js';
import { render } from '../src/render.js';
import type { Answers, Project } from '../src/types.js';

/** Fixed inputs for golden files and static checks: one or more per strategy. */
export const CASES: Record<string, { answers: Omit<Answers, 'dir'>; project?: Partial<Project> }> = {
  'process-groups-example': { answers: { yes: true, app: 'hello-multi' }, project: { empty: true } },
  'process-groups-worker': {
    answers: {
      processes: ['web=bin/server --port 8080', 'worker=sh -c "exec bin/worker --queue $QUEUE"', 'cron=bin/cron'],
      ports: ['web=8080'],
      app: 'acme-api',
      region: 'ams',
      killSignal: 'SIGTERM',
      killTimeout: '30',
    },
  },
  bash: {
    answers: {
      strategy: 'bash',
      processes: ['web=bin/server --port 8080', 'admin=bin/admin -p 9000', 'worker=bin/worker --queue "$QUEUE"'],
      ports: ['web=8080', 'admin=9000'],
      app: 'acme-bash',
      killTimeout: '10',
    },
  },
  supervisord: {
    answers: {
      strategy: 'supervisord',
      processes: [`web=python3 -m http.server 8080`, `report=sh -c 'echo 100% done ; sleep 1000 # tail'`, `echo=printf "%s\\n" "it's $HOME"`],
      ports: ['web=8080'],
      app: 'acme-supervisor',
      region: 'syd',
      killSignal: 'SIGTERM',
    },
  },
  'procfile-overmind': {
    answers: {
      strategy: 'procfile',
      processes: ['web=bundle exec puma -p 3000', 'worker=bundle exec sidekiq'],
      ports: ['web=3000'],
      app: 'acme-rails',
      baseImage: 'ruby:3.3-slim-bookworm',
    },
  },
  'procfile-hivemind': {
    answers: {
      strategy: 'procfile',
      procfileManager: 'hivemind',
      processes: ['web=node server.js', 'bar_web=node server.js -bar'],
      ports: ['web=8080', 'bar_web=8081'],
      app: 'hello-hivemind',
      killTimeout: '8',
    },
    project: { runtime: 'node', packageJson: true, npmLock: true },
  },
  'bash-alpine': {
    answers: { strategy: 'bash', processes: ['web=/app/server', 'worker=/app/worker'], ports: ['web=8080'], app: 'tiny', baseImage: 'alpine:3.20' },
  },
};

export const BASE_PROJECT: Project = { dir: '/work/project', exists: true, empty: false, runtime: 'generic', packageJson: false, npmLock: false };

export function renderCase(name: string) {
  const c = CASES[name]!;
  const project = { ...BASE_PROJECT, ...c.project };
  const p = plan({ dir: project.dir, ...c.answers }, project);
  return { plan: p, files: render(p, project) };
}
