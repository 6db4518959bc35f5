import { checkApp } from '../validate.js';
import type { Plan, PlannedProcess } from '../types.js';
import type { PerProcessFile } from '../template-context.js';
import type { Strategy } from './types.js';

/**
 * Multiple apps over private networking (https://fly.io/docs/app-guides/multiple-processes/, "Use
 * multiple apps"): each process is its own Fly app, `<app>-<name>`, configured by fly.<name>.toml
 * and built from the same Dockerfile. A process with a port is reached by the others through Flycast
 * (`<app>-<name>.flycast`, Fly's proxy on the app's private IPv6, so a server bound to 0.0.0.0 is
 * reachable and stopped Machines start on demand), the public one at its .fly.dev address; each
 * address is in every other app's [env] as NAME_URL.
 * fly.toml is not written: the user's own stays exactly as it is.
 */

/** The Fly app of one process: app names take dashes, not underscores. */
export const appName = (plan: Plan, p: PlannedProcess) => `${plan.app}-${p.name.replace(/_/g, '-')}`;

/** The [env] variable that holds a process's address, e.g. WORKER_URL. */
export const urlVariable = (p: PlannedProcess) => `${p.name.toUpperCase().replace(/-/g, '_')}_URL`;

/**
 * Where the other apps reach a process: a private one through Flycast on its service's port; the
 * public one at its public address (its [http_service] forces HTTPS, which a plain-HTTP Flycast
 * request would only be redirected by).
 */
export function serviceUrl(plan: Plan, p: PlannedProcess): string {
  return p.name === plan.http ? `https://${appName(plan, p)}.fly.dev` : `http://${appName(plan, p)}.flycast:${p.port}`;
}

/** One app's config file: its process, app name and [env] (its own PORT, the others' addresses). */
export function appFile(plan: Plan, p: PlannedProcess): PerProcessFile {
  const env: Record<string, string> = { ...(p.env?.PORT !== undefined ? { PORT: p.env.PORT } : {}) };
  for (const other of plan.processes)
    if (other !== p && other.port !== undefined) env[urlVariable(other)] = serviceUrl(plan, other);
  return { process: p, app: appName(plan, p), env };
}

/** Deploy order: the apps others call first, the public one last (it is what users reach). */
const deployOrder = (plan: Plan) =>
  [...plan.processes].sort((a, b) => Number(a.name === plan.http) - Number(b.name === plan.http));

export const apps: Strategy = {
  name: 'apps',
  summary:
    'Each process is its own Fly app (fly.NAME.toml, app APP-NAME) on the same image: deployed, scaled, configured and placed on its own; they reach each other over private networking (Flycast).',
  help: 'each process its own Fly app (fly.NAME.toml), reached by the others over private networking',
  oneMachine: false,
  processGroups: false,
  flyToml: false,
  runsWithKeptDockerfile: true,
  portInFlyEnv: 'each',
  needsBash: false,
  // One process is one app: fly launch's own Dockerfile and fly.toml do that (or process-groups).
  minProcesses: 2,
  minKillTimeout: 1,
  killSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'],
  files: (plan) => [
    // The same entrypoint as process groups: Fly runs each app's [processes] command through it.
    { path: plan.entrypointFile ?? 'entrypoint.sh', template: 'process-groups/entrypoint.sh.ejs', executable: true },
    ...plan.processes.map((p) => ({
      path: `fly.${p.name}.toml`,
      template: 'apps/fly.app.toml.ejs',
      current: appFile(plan, p),
    })),
  ],
  aptPackages: () => [],
  programs: () => [],
  partials: {},
  context: () => ({}),
  validate: (plan) => {
    const problems: string[] = [];
    const apps = new Map<string, string>();
    for (const p of plan.processes) {
      const name = appName(plan, p);
      const problem = checkApp(name);
      if (problem)
        problems.push(
          `--strategy apps: ${p.name} would be the Fly app ${JSON.stringify(name)}: ${problem}; pass a shorter --app, or rename the process`,
        );
      const twin = apps.get(name);
      if (twin)
        problems.push(
          `--strategy apps: ${twin} and ${p.name} would both be the Fly app ${name} (underscores become dashes): rename one`,
        );
      apps.set(name, p.name);
    }
    return problems;
  },
  notes: (plan) => [
    `each process is its own Fly app: ${plan.processes.map((p) => `${appName(plan, p)} (fly.${p.name}.toml)`).join(', ')}; fly.toml is not written (one of yours is left as it is): deploy each with fly deploy -c fly.NAME.toml`,
    ...(plan.processes.some((p) => p.port !== undefined && p.name !== plan.http)
      ? [
          `a private port is reached through Flycast only: its app needs a private IPv6 (fly ips allocate-v6 --private, in the next steps) and no public IP`,
        ]
      : []),
    ...(plan.release
      ? [
          `the release command runs with ${appName(plan, plan.processes.find((p) => p.name === plan.http) ?? plan.processes[0]!)}'s deploys only`,
        ]
      : []),
  ],
  nextSteps: (plan) => {
    const steps: string[] = [];
    for (const p of deployOrder(plan)) steps.push(`fly apps create ${appName(plan, p)}   # once`);
    for (const p of deployOrder(plan)) {
      if (p.port === undefined) continue;
      if (p.name !== plan.http)
        steps.push(
          `fly ips allocate-v6 --private -a ${appName(plan, p)}   # its Flycast address, so the other apps reach it (once)`,
        );
    }
    for (const p of deployOrder(plan)) steps.push(`fly deploy -c fly.${p.name}.toml`);
    steps.push(`fly logs -a ${appName(plan, deployOrder(plan).at(-1)!)}`);
    return steps;
  },
  keepDescription: "unchanged: Fly runs each app's command through your ENTRYPOINT",
};
