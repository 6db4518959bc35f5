#!/usr/bin/env node
// bench-image.mjs [--runs N] [--strategies a,b] [--json]
//                 [--runtimes [node,bun,...] [--sample-strategies a,b]]: per strategy (or, with
// --runtimes, per runtime sample x strategy on the stand-in images, see measureSample), the image the generated
// Dockerfile builds and how it behaves, measured the way the image tests run it (test-image/oci.mjs):
//   - image size (podman's uncompressed size) and what the strategy adds over its base image;
//   - build time from scratch (--no-cache: base image present, packages downloaded from Debian);
//   - time from `podman run` to every port answering (all processes up);
//   - time from kill_signal (fly.toml's, SIGINT) to the container's exit, and its status;
//   - fail-fast strategies: time from a process crashing to the container's exit (supervisord: a
//     program that fails at every start, from `run` to the exit once it went FATAL).
// Needs root and what scripts/oci-setup.sh installs (it runs it). `npm run bench:image` builds dist/ first.
// Leaves no container behind (also on Ctrl-C); the images stay tagged for the layer cache.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  BASE_IMAGE,
  freePorts,
  httpGet,
  ociSetup,
  Podman,
  procfileManagersImage,
  readFlyToml,
  ROOT,
  runTag,
  sampleProject,
  standardProject,
} from '../test-image/oci.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    strategies: { type: 'string', default: 'process-groups,bash,supervisord,procfile-overmind,procfile-hivemind' },
    json: { type: 'boolean', default: false },
    // the runtime samples (test-image/samples/) on the stand-in images, per runtime x strategy
    runtimes: { type: 'string' },
    'sample-strategies': { type: 'string', default: 'process-groups,bash,supervisord,procfile' },
  },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) throw new Error(`--runs ${values.runs}: expected 1-50`);
if (!existsSync(path.join(ROOT, 'dist', 'index.cjs')))
  throw new Error('dist/ is missing: run `npm run build` (or `npm run bench:image`)');

const log = (message) => process.stderr.write(`[bench-image] ${message}\n`);
const pm = ociSetup();
const podman = new Podman(pm);
const cleanups = [];
let cleaning;
const cleanup = () =>
  (cleaning ??= (async () => {
    await podman.removeAll();
    for (const c of cleanups.splice(0)) await c();
  })());
process.on('SIGINT', () => {
  log('interrupted: removing containers');
  cleanup().finally(() => process.exit(130));
});

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
};
const mb = (bytes) =>
  Math.abs(bytes) < 1e6 ? `${(bytes / 1e3).toFixed(0)} kB` : `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
/** The base image of a generated `generic` project (src/runtimes.ts), built locally by oci-setup.sh. */
const DEFAULT_BASE = 'docker.io/library/debian:bookworm-slim';
const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
const range = (st) => (st ? `${sec(st.median)} (${sec(st.min)}–${sec(st.max)})` : '-');

let managersImage;
/** A --strategies entry: a strategy, or procfile-overmind / procfile-hivemind (procfile alone: overmind). */
async function measure(entry) {
  const [strategy, procfileManager = 'overmind'] =
    entry === 'procfile'
      ? ['procfile']
      : entry.startsWith('procfile-')
        ? ['procfile', entry.slice('procfile-'.length)]
        : [entry];
  const key = strategy === 'procfile' ? `procfile-${procfileManager}` : strategy;
  const [web, api] = await freePorts(2);
  // procfile: the real manager built here in place of the `go install` stage (see procfileStandIn in oci.mjs)
  if (strategy === 'procfile') managersImage ??= await procfileManagersImage(podman);
  const options = { procfileManager, managersImage };
  const project = standardProject(strategy, [web, api], options);
  cleanups.push(project.cleanup);
  const fly = readFlyToml(project.dir);
  const image = runTag(key);
  cleanups.push(() => podman.keep(image));
  const base = BASE_IMAGE;
  log(`${strategy}: building (--no-cache)`);
  const build = await podman.build(project.dir, image, { noCache: true });
  const size = await podman.imageSize(image);
  const baseSize = await podman.imageSize(base);
  // What a user's image weighs: the same project on the default base image for a generic project.
  const plain = standardProject(strategy, [web, api], { ...options, baseImage: DEFAULT_BASE });
  cleanups.push(plain.cleanup);
  const plainImage = runTag(`${key}-default-base`);
  cleanups.push(() => podman.keep(plainImage));
  await podman.build(plain.dir, plainImage);
  const plainSize = await podman.imageSize(plainImage);
  const defaultBaseSize = await podman.imageSize(DEFAULT_BASE);

  // process-groups: one Machine per group; measure the web group, started with fly.toml's command.
  const args = strategy === 'process-groups' ? fly.processes.web.split(' ') : [];
  const ports = strategy === 'process-groups' ? [web] : [web, api];
  const up = [];
  const stop = [];
  const codes = new Set();
  for (let i = 0; i < RUNS; i++) {
    const since = performance.now();
    const { name } = await podman.start(image, { args });
    up.push((await podman.waitForPorts(name, ports, { since, timeoutMs: 30_000 })).ms);
    const s = await podman.stop(name, fly.killSignal, fly.killTimeout * 1000 + 10_000);
    stop.push(s.ms);
    codes.add(s.code);
    await podman.remove(name);
  }

  const crash = [];
  const crashCodes = new Set();
  if (strategy === 'bash' || strategy === 'procfile') {
    for (let i = 0; i < RUNS; i++) {
      const { name } = await podman.start(image);
      await podman.waitForPorts(name, ports, { timeoutMs: 30_000 });
      const crashed = performance.now();
      await httpGet(api, '/exit/3');
      const exit = await podman.waitExit(name, 30_000);
      crash.push(performance.now() - crashed);
      crashCodes.add(exit ? exit.code : null);
      await podman.remove(name);
    }
  } else if (strategy === 'supervisord') {
    for (let i = 0; i < Math.min(RUNS, 3); i++) {
      const since = performance.now();
      const { name } = await podman.start(image, { env: { CFM_FAIL_AT_START: 'api' } });
      const exit = await podman.waitExit(name, 60_000);
      crash.push(performance.now() - since);
      crashCodes.add(exit ? exit.code : null);
      await podman.remove(name);
    }
  }
  return {
    strategy: key,
    image,
    base,
    sizeBytes: size,
    addedBytes: size - baseSize,
    defaultBaseSizeBytes: plainSize,
    defaultBaseAddedBytes: plainSize - defaultBaseSize,
    buildMs: build.ms,
    up: stats(up),
    stop: stats(stop),
    stopCodes: [...codes],
    crash: crash.length ? stats(crash) : undefined,
    crashCodes: [...crashCodes],
    killSignal: fly.killSignal,
    killTimeout: fly.killTimeout,
  };
}

/**
 * One runtime sample x strategy: build time (the first strategy of a runtime with --no-cache: its
 * build stage included; the others reuse that stage from the layer cache), image size, `run` -> all
 * ports answer, kill_signal -> exit, and a crash -> exit (supervisord: -> restarted).
 */
async function measureSample(runtime, strategy, first) {
  const isStatic = runtime === 'static';
  const ports = await freePorts(isStatic ? 1 : 2);
  if (strategy === 'procfile') managersImage ??= await procfileManagersImage(podman);
  const project = sampleProject(runtime, strategy, ports, {
    managersImage,
    ...(isStatic ? { runtime: 'static' } : {}),
  });
  cleanups.push(project.cleanup);
  const fly = readFlyToml(project.dir);
  const image = runTag(`${runtime}-${strategy}`);
  cleanups.push(() => podman.keep(image));
  log(`${runtime} x ${strategy}: building${first ? ' (--no-cache)' : ''}`);
  const build = await podman.build(project.dir, image, { noCache: first });
  const size = await podman.imageSize(image);
  const env = isStatic ? { NGINX_PORT: String(ports[0]) } : {};
  let args = [];
  if (strategy === 'process-groups') {
    // the samples' commands hold plain words and quoted strings only (test-image/oci.mjs SAMPLE_PROCESSES;
    // fly.toml writes them back single-quoted)
    args = [...fly.processes.web.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  }
  const probe = strategy === 'process-groups' ? [ports[0]] : ports;
  const up = [];
  const stop = [];
  const codes = new Set();
  for (let i = 0; i < RUNS; i++) {
    const since = performance.now();
    const { name } = await podman.start(image, { args, env });
    up.push((await podman.waitForPorts(name, probe, { since, timeoutMs: 60_000 })).ms);
    const s = await podman.stop(name, fly.killSignal, fly.killTimeout * 1000 + 10_000);
    stop.push(s.ms);
    codes.add(s.code);
    await podman.remove(name);
  }
  let crash;
  if (!isStatic) {
    const { name } = await podman.start(image, { args, env });
    await podman.waitForPorts(name, probe, { timeoutMs: 60_000 });
    const victim = strategy === 'process-groups' ? ports[0] : ports[1];
    const crashed = performance.now();
    await httpGet(victim, '/exit/3');
    if (strategy === 'supervisord') {
      let back = null;
      while (performance.now() - crashed < 20_000 && back === null) back = await httpGet(victim);
      crash = { ms: performance.now() - crashed, result: back ? 'restarted' : 'not restarted' };
    } else {
      const exit = await podman.waitExit(name, 30_000);
      crash = { ms: performance.now() - crashed, result: `exit ${exit ? exit.code : 'none'}` };
    }
    await podman.remove(name);
  }
  return {
    runtime,
    strategy,
    buildMs: build.ms,
    noCache: first,
    sizeBytes: size,
    up: stats(up),
    stop: stats(stop),
    stopCodes: [...codes],
    crash,
    killSignal: fly.killSignal,
    killTimeout: fly.killTimeout,
  };
}

if (values.runtimes !== undefined) {
  const runtimes = values.runtimes
    ? values.runtimes.split(',')
    : ['node', 'bun', 'python', 'ruby', 'go', 'rust', 'static'];
  const sampleResults = [];
  const started = performance.now();
  try {
    for (const runtime of runtimes) {
      let first = true;
      // static runs one process (nginx): only process-groups, as in test-image/runtimes.test.ts
      for (const strategy of values['sample-strategies']
        .split(',')
        .filter((x) => runtime.trim() !== 'static' || x.trim() === 'process-groups')) {
        const r = await measureSample(runtime.trim(), strategy.trim(), first);
        sampleResults.push(r);
        log(
          `${r.runtime} x ${r.strategy}: build ${sec(r.buildMs)}, ${mb(r.sizeBytes)}, up ${range(r.up)}, stop ${range(r.stop)} (${r.stopCodes.join('/')}), crash ${r.crash ? `${sec(r.crash.ms)} ${r.crash.result}` : '-'}`,
        );
        first = false;
      }
    }
  } finally {
    await cleanup();
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ runs: RUNS, results: sampleResults }, null, 2)}\n`);
  else {
    const lines = [
      `Runtime samples on the stand-in images: ${RUNS} runs per case; median (min–max); whole bench ${sec(performance.now() - started)}.`,
      '',
      '| runtime | strategy | build | image | `run` → ports answer | kill_signal → exit (status) | crash → |',
      '|---|---|---|---|---|---|---|',
      ...sampleResults.map(
        (r) =>
          `| ${r.runtime} | ${r.strategy} | ${sec(r.buildMs)}${r.noCache ? ' (no cache)' : ''} | ${mb(r.sizeBytes)} | ${range(r.up)} | ${range(r.stop)} (${r.stopCodes.join('/')}) | ${r.crash ? `${sec(r.crash.ms)} ${r.crash.result}` : '-'} |`,
      ),
      '',
      'build: the first strategy of each runtime without the layer cache (its build stage included), the others with it',
      "(the build stage is shared). kill_signal is fly.toml's (SIGINT by default), kill_timeout 5 s.",
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  process.exit(0);
}

const results = [];
try {
  for (const strategy of values.strategies.split(',')) results.push(await measure(strategy.trim()));
} finally {
  await cleanup();
}

if (values.json) {
  process.stdout.write(`${JSON.stringify({ runs: RUNS, results }, null, 2)}\n`);
} else {
  const lines = [
    `Image bench: ${RUNS} runs per strategy; median (min–max). Two python servers per image; kill_signal ${results[0]?.killSignal}, kill_timeout ${results[0]?.killTimeout} s.`,
    '',
    '| strategy | image on debian:bookworm-slim (added) | tested image (added to its base) | build, no cache | `run` → all ports answer | kill_signal → exit (status) | crash → exit (status) |',
    '|---|---|---|---|---|---|---|',
    ...results.map((r) =>
      [
        '',
        r.strategy,
        `${mb(r.defaultBaseSizeBytes)} (+${mb(r.defaultBaseAddedBytes)})`,
        `${mb(r.sizeBytes)} (+${mb(r.addedBytes)} on ${r.base.replace('localhost/', '')})`,
        sec(r.buildMs),
        range(r.up),
        `${range(r.stop)} (${r.stopCodes.join('/')})`,
        r.crash ? `${range(r.crash)} (${r.crashCodes.join('/')})` : '-',
        '',
      ]
        .join(' | ')
        .trim(),
    ),
    '',
    'process-groups: one group (web) per container, started with its fly.toml command. supervisord crash: from `run` to the exit,',
    'with a program that fails at every start (FATAL after startretries). procfile: the real overmind 2.5.1 / hivemind 1.1.0',
    '(built from ../shared/vendor/procfile-managers) copied in place of the `go install` stage, whose time is not in "build";',
    'overmind with tmux 3.3a and libnoutempter.so. Sizes are podman\'s (uncompressed). "build, no cache": packages from the Debian mirror.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
