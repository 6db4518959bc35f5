/**
 * Issue 15's image part: real users' Dockerfiles from test/corpus/dockerfiles/ (byte for byte, source
 * in its index.json), extended with `--dockerfile extend`, built on the stand-ins, run, and stopped
 * with fly.toml's kill_signal within kill_timeout. Only those whose base images can be stood in here
 * and whose steps need no registry but npm's: see the report in CHANGELOG/README for the others.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { CORPUS, freePorts, httpGet, Podman, portOpen, readFlyToml, runTag, sampleProject } from './oci.mjs';

const podman = new Podman(inject('pm'));
const BUILD_TIMEOUT = 15 * 60_000;
const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  await podman.removeAll();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** corpus entry, the sample project around it, and the build args fly launch would have written in. */
const CASES = [{ corpus: 'node-build', sample: 'extend-node-build', buildArgs: { NODE_VERSION: '22' } }] as const;

describe.each(CASES)('extended corpus Dockerfile $corpus', ({ corpus, sample, buildArgs }) => {
  it.each(['bash', 'supervisord'] as const)(
    '%s: builds, every process answers, kill_signal stops it within kill_timeout',
    async (strategy) => {
      const ports = await freePorts(2);
      const { dir, cleanup } = sampleProject(sample, strategy, ports, { extendCorpus: corpus });
      cleanups.push(cleanup);
      const original = readFileSync(path.join(CORPUS, corpus, 'Dockerfile'), 'utf8');
      const extended = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
      expect(extended.startsWith(original.trimEnd()), "the user's lines are kept as they were").toBe(true);
      expect(extended).toContain('# >>> create-fly-multiproc final stage');
      const image = runTag(`extend-${corpus}-${strategy}`);
      cleanups.push(() => podman.keep(image));
      await podman.build(dir, image, { timeoutMs: BUILD_TIMEOUT, buildArgs });
      const fly = readFlyToml(dir);
      const since = performance.now();
      const { name } = await podman.start(image);
      onTestFinished(() => podman.remove(name));
      const { bodies } = await podman.waitForPorts(name, ports, { since, timeoutMs: 60_000 });
      expect(bodies.get(ports[0]!)).toMatch(/^web \d+\n$/);
      expect(bodies.get(ports[1]!)).toMatch(/^api \d+\n$/);
      const stop = await podman.stop(name, fly.killSignal, fly.killTimeout * 1000 + 10_000);
      const logs = await podman.logs(name);
      expect(stop.code, `status after ${fly.killSignal}\n${logs}`).toBe(0);
      expect(stop.ms, logs).toBeLessThan(fly.killTimeout * 1000);
      for (const port of ports) expect(await portOpen(port)).toBe(false);
      expect(await httpGet(ports[0]!)).toBeNull();
    },
    BUILD_TIMEOUT + 120_000,
  );
});
