import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { detect } from '../src/detect.js';
import { plan } from '../src/plan.js';
import { render } from '../src/render.js';
import type { Answers, Project } from '../src/types.js';

/** Small real projects, one per runtime (test/fixtures/projects/RUNTIME). */
export const FIXTURE_PROJECTS = fileURLToPath(new URL('./fixtures/projects/', import.meta.url));
/** A fixture project as detect() sees it. */
export const fixtureProject = (name: string): Project => detect(path.join(FIXTURE_PROJECTS, name));

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
      processes: [
        `web=python3 -m http.server 8080`,
        `report=sh -c 'echo 100% done ; sleep 1000 # tail'`,
        `echo=printf "%s\\n" "it's $HOME"`,
      ],
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
    project: fixtureProject('node'),
  },
  // One Fly app per process: public web, a private api on Flycast reading $PORT, a worker with no port.
  apps: {
    answers: {
      strategy: 'apps',
      processes: ['web=bin/server --port 8080', 'api=bin/api -p $PORT', 'worker=bin/worker --queue "$QUEUE"'],
      ports: ['web=8080', 'api=9000'],
      release: 'bin/migrate',
      app: 'acme',
      region: 'ams',
      killSignal: 'SIGTERM',
      killTimeout: '30',
    },
  },
  'node-apps': {
    answers: {
      strategy: 'apps',
      processes: ['web=node server.js', 'bar_web=node server.js -bar'],
      ports: ['web=8080', 'bar_web=8081'],
      app: 'hello-node',
    },
    project: fixtureProject('node'),
  },
  'bash-alpine': {
    answers: {
      strategy: 'bash',
      processes: ['web=/app/server', 'worker=/app/worker'],
      ports: ['web=8080'],
      app: 'tiny',
      baseImage: 'alpine:3.20',
    },
  },
  // One fixture project per runtime, each with at least two strategies; commands run what the build made.
  'go-bash': {
    answers: {
      strategy: 'bash',
      processes: ['web=/app/bin/hello', 'worker=/app/bin/worker'],
      ports: ['web=8080'],
      app: 'hello-go',
    },
    project: fixtureProject('go'),
  },
  'go-procfile': {
    // Bare program names, as Heroku Procfiles write them: /app/bin is on PATH.
    answers: {
      strategy: 'procfile',
      processes: ['web=hello', 'worker=worker'],
      ports: ['web=8080'],
      app: 'hello-go',
      killSignal: 'SIGTERM',
    },
    project: fixtureProject('go'),
  },
  'node-process-groups': {
    answers: {
      processes: ['web=node server.js', 'rebuild=node build.js'],
      ports: ['web=8080'],
      app: 'hello-node',
      region: 'ams',
    },
    project: fixtureProject('node'),
  },
  'node-supervisord': {
    answers: {
      strategy: 'supervisord',
      processes: ['web=node server.js', 'rebuild=node build.js'],
      ports: ['web=8080'],
      app: 'hello-node',
    },
    project: fixtureProject('node'),
  },
  'bun-process-groups': {
    answers: { processes: ['web=bun run index.js'], ports: ['web=8080'], app: 'hello-bun' },
    project: fixtureProject('bun'),
  },
  'bun-bash': {
    answers: {
      strategy: 'bash',
      processes: ['web=bun run index.js', 'admin=bun run index.js'],
      ports: ['web=8080'],
      app: 'hello-bun',
    },
    project: fixtureProject('bun'),
  },
  'python-bash': {
    answers: {
      strategy: 'bash',
      processes: ['web=python app.py', 'worker=python worker.py'],
      ports: ['web=8080'],
      app: 'hello-python',
    },
    project: fixtureProject('python'),
  },
  'python-supervisord': {
    answers: {
      strategy: 'supervisord',
      processes: ['web=python app.py', 'worker=python worker.py'],
      ports: ['web=8080'],
      app: 'hello-python',
      killTimeout: '10',
    },
    project: fixtureProject('python'),
  },
  'ruby-procfile': {
    answers: {
      strategy: 'procfile',
      processes: [
        'web=bundle exec puma -b tcp://0.0.0.0:8080',
        'worker=bundle exec ruby -e "loop { puts :tick; sleep 5 }"',
      ],
      ports: ['web=8080'],
      app: 'hello-ruby',
    },
    project: fixtureProject('ruby'),
  },
  'ruby-process-groups': {
    answers: {
      processes: ['web=bundle exec puma -b tcp://0.0.0.0:8080'],
      ports: ['web=8080'],
      app: 'hello-ruby',
      killSignal: 'SIGTERM',
    },
    project: fixtureProject('ruby'),
  },
  // A Heroku-style Rails app: web on PORT, a NAME=value worker, release migrations.
  'ruby-heroku-release': {
    answers: {
      processes: ['web=bundle exec puma -C config/puma.rb', 'worker=REMAP_SIGTERM=SIGQUIT bundle exec sidekiq'],
      release: 'bin/rails db:migrate',
      app: 'hello-rails',
      killSignal: 'SIGTERM',
    },
    project: fixtureProject('ruby'),
  },
  'rust-supervisord': {
    answers: {
      strategy: 'supervisord',
      processes: ['web=/app/bin/hello-rust', 'other=/app/bin/hello-rust'],
      ports: ['web=8080'],
      app: 'hello-rust',
    },
    project: fixtureProject('rust'),
  },
  'rust-process-groups': {
    answers: { processes: ['web=hello-rust'], ports: ['web=8080'], app: 'hello-rust' },
    project: fixtureProject('rust'),
  },
  'static-process-groups': {
    answers: { runtime: 'static', processes: ['web=nginx -g "daemon off;"'], ports: ['web=80'], app: 'hello-static' },
    project: fixtureProject('static'),
  },
  'static-supervisord': {
    answers: {
      runtime: 'static',
      strategy: 'supervisord',
      processes: [
        'web=nginx -g "daemon off;"',
        'clock=sh -c "while sleep 60; do date > /usr/share/nginx/html/time.txt; done"',
      ],
      ports: ['web=80'],
      app: 'hello-static',
    },
    project: fixtureProject('static'),
  },
};

export const BASE_PROJECT: Project = {
  dir: '/work/project',
  exists: true,
  empty: false,
  runtime: 'generic',
  packageJson: false,
  npmLock: false,
};

export function renderCase(name: string) {
  const c = CASES[name]!;
  const project = { ...BASE_PROJECT, ...c.project };
  const p = plan({ dir: project.dir, ...c.answers }, project);
  return { plan: p, files: render(p, project) };
}
