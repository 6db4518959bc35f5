import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { CONTAINER_PREFIX, IMAGE_PREFIX, ociSetup, Podman, ROOT } from './oci.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The podman wrapper written by scripts/oci-setup.sh. */
    pm: string;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Containers of this suite (or the bench) left by a run that was killed: its pid is gone. */
async function strays(podman: Podman): Promise<string[]> {
  const r = await podman.run(['ps', '-a', '--filter', `name=^${CONTAINER_PREFIX}`, '--format', '{{.Names}}'], {
    timeoutMs: 30_000,
  });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .filter((name) => {
      const pid = Number(/(\d+)-\d+$/.exec(name)?.[1]);
      return !pid || !alive(pid);
    });
}

/** Image tags of runs that were killed (`:run-<pid>`, see runTag). */
async function strayTags(podman: Podman): Promise<string[]> {
  const r = await podman.run(
    ['images', '--filter', `reference=${IMAGE_PREFIX}*`, '--format', '{{.Repository}}:{{.Tag}}'],
    { timeoutMs: 30_000 },
  );
  return r.stdout.split('\n').filter((tag) => {
    const pid = Number(/:run-(\d+)$/.exec(tag)?.[1]);
    return pid > 0 && !alive(pid);
  });
}

/**
 * Build dist/ (the tests generate projects with the built CLI, as users run it), then make podman
 * usable (scripts/oci-setup.sh: packages, base images; about 1 min the first time, 0.1 s after).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (process.getuid?.() !== 0)
    throw new Error('the image tests need root (podman with native overlay storage); run them as root');
  const pm = ociSetup();
  project.provide('pm', pm);
  const podman = new Podman(pm);
  for (const name of await strays(podman)) await podman.remove(name);
  for (const tag of await strayTags(podman)) await podman.run(['rmi', tag], { check: false, timeoutMs: 60_000 });
  return async () => {
    const left = await strays(podman);
    for (const name of left) await podman.remove(name);
    if (left.length) console.warn(`image tests: removed containers left behind: ${left.join(', ')}`);
  };
}
