// Shared by the image tests (test-image/*.test.ts) and scripts/bench-image.mjs: generate a project
// with the built CLI, build its Dockerfile with podman, run it on the host network, probe its
// ports, stop it the way Fly stops a Machine. Plain JavaScript so the bench runs under bare node;
// the types are in oci.d.mts. Recipe and pitfalls: shared/reference/container-testing.md.
//
// Every wait is bounded; every container started here is tracked and removed by removeAll().
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'create-fly-multiproc.cjs');
export const FIXTURES = path.join(ROOT, 'test-image', 'fixtures');
export const BUILTIN_TEMPLATES = path.join(ROOT, 'templates');

/** The "company base image" the tests pass with --base-image: debian:bookworm-slim + python3 (built by oci-setup.sh). */
export const BASE_IMAGE = 'localhost/cfm-base:bookworm';
/** Images built from generated projects: localhost/cfm-image-test-<key>:run-<pid> while a run uses them, :latest after (Podman.keep). */
export const IMAGE_PREFIX = 'localhost/cfm-image-test-';
/** This process's tag for the image of `key`. */
export const runTag = (key) => `${IMAGE_PREFIX}${key}:run-${process.pid}`;
/** Containers are named cfm-image-test-<pid>-<n>. */
export const CONTAINER_PREFIX = 'cfm-image-test-';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// processes

/**
 * Run a command to completion, bounded: SIGKILL after timeoutMs. Never throws for a non-zero exit.
 * @returns {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string, ms: number, timedOut: boolean }>}
 */
export function exec(file, args, { timeoutMs = 60_000, env, input } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { env: env ? { ...process.env, ...env } : process.env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    if (input !== undefined) child.stdin.end(input);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started, timedOut });
    });
  });
}

/** scripts/oci-setup.sh (idempotent: ~0.1 s when everything is there): returns the podman wrapper's path. */
export function ociSetup({ timeoutMs = 20 * 60_000 } = {}) {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'oci-setup.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: timeoutMs });
  if (r.error) throw new Error(`scripts/oci-setup.sh: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`scripts/oci-setup.sh failed with status ${r.status} (its messages are above)`);
  const pm = r.stdout.trim().split('\n').pop() ?? '';
  if (!pm.startsWith('/')) throw new Error(`scripts/oci-setup.sh printed no wrapper path: ${JSON.stringify(r.stdout)}`);
  return pm;
}

// ---------------------------------------------------------------------------------------------
// network

/** Ports the kernel hands out for port 0 on 127.0.0.1, all distinct, released before returning. */
export async function freePorts(n) {
  const servers = [];
  try {
    const ports = [];
    while (ports.length < n) {
      const server = net.createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      ports.push(server.address().port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** GET http://127.0.0.1:PORT/PATH: the body on a 200, null on anything else (refused, error, timeout). */
export function httpGet(port, urlPath = '/', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 ? body : null));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
  });
}

/** Does anything accept TCP connections on 127.0.0.1:PORT? */
export function portOpen(port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

// ---------------------------------------------------------------------------------------------
// projects

/**
 * Generate a project with the built CLI (node bin/create-fly-multiproc.cjs, as a user runs it) into
 * a fresh temp dir that already holds the application (fixtures/server.py and `files`).
 * `processes` are [name, command, port?]. Returns the project directory.
 */
export function generateProject({ strategy, processes, baseImage = BASE_IMAGE, killTimeout, procfileManager, templates, files = {}, app = 'image-test' }) {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'cfm-image-'));
  const dir = path.join(parent, 'app');
  mkdirSync(dir);
  copyFileSync(path.join(FIXTURES, 'server.py'), path.join(dir, 'server.py'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  const args = [BIN, dir, '--yes', '--strategy', strategy, '--app', app, '--base-image', baseImage];
  for (const [name, command, port] of processes) {
    args.push('--process', `${name}=${command}`);
    if (port !== undefined) args.push('--port', `${name}=${port}`);
  }
  if (killTimeout !== undefined) args.push('--kill-timeout', String(killTimeout));
  if (procfileManager) args.push('--procfile-manager', procfileManager);
  if (templates) args.push('--templates', templates);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' }, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`create-fly-multiproc ${args.slice(1).join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return dir;
}

export function removeProject(dir) {
  rmSync(path.dirname(dir), { recursive: true, force: true });
}

/**
 * Drop the executable bit of every file in the build context, as a Windows checkout or an archive
 * does: the generated Dockerfile promises to set it again (`RUN chmod 0755 ...`).
 */
export function loseExecutableBits(dir) {
  const lost = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const info = statSync(file);
    if (info.isFile() && info.mode & 0o111) {
      chmodSync(file, 0o644);
      lost.push(name);
    }
  }
  return lost.sort();
}

/** What Fly reads from fly.toml to start and stop Machines. */
export function readFlyToml(dir) {
  const toml = parseToml(readFileSync(path.join(dir, 'fly.toml'), 'utf8'));
  return {
    killSignal: toml.kill_signal ?? 'SIGINT',
    killTimeout: toml.kill_timeout ?? 5,
    processes: toml.processes ?? {},
    toml,
  };
}

/** The images a Dockerfile's FROM lines name, without references to its own stages. */
export function baseImages(dockerfile) {
  const stages = new Set();
  const images = [];
  for (const line of dockerfile.split('\n')) {
    const m = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line);
    if (!m) continue;
    if (!stages.has(m[1].toLowerCase())) images.push(m[1]);
    if (m[2]) stages.add(m[2].toLowerCase());
  }
  return images;
}

// ---------------------------------------------------------------------------------------------
// the procfile strategy: the real managers, built here

/** Where scripts/procfile-managers.sh builds overmind, hivemind and libnoutempter.so. */
export const MANAGERS_DIR = process.env.CFM_PROCFILE_MANAGERS || '/var/cache/create-fly-multiproc/procfile-managers';
/** Local images holding the managers where the procfile-manager stage leaves them (see procfileManagersImage). */
export const MANAGERS_IMAGE_PREFIX = 'localhost/cfm-procfile-managers';
/** The built-in template that holds the `AS procfile-manager` stage. */
export const MANAGER_STAGE_TEMPLATE = 'partials/procfile-manager.ejs';

/**
 * Make sure overmind and hivemind are built (scripts/procfile-managers.sh: from
 * ../shared/vendor/procfile-managers, cached outside the clone; seconds when cached). Returns the directory.
 */
export function procfileManagersDir() {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'procfile-managers.sh')], { encoding: 'utf8', timeout: 15 * 60_000 });
  if (r.status !== 0) throw new Error(`scripts/procfile-managers.sh failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Compile libnoutempter.so on this machine from the built-in procfile-manager stage's own RUN line
 * (the C lines it prints, the gcc flags it uses), so the image gets the shim the template builds.
 */
export function buildShimFromTemplate(out) {
  const source = readFileSync(path.join(BUILTIN_TEMPLATES, ...MANAGER_STAGE_TEMPLATE.split('/')), 'utf8');
  const lines = /printf '%s\\n' ((?:'[^']*' ?)+)> \/tmp\/noutempter\.c/.exec(source);
  const flags = /gcc ((?:-\S+ )+)-o \/go\/lib\/libnoutempter\.so \/tmp\/noutempter\.c/.exec(source);
  if (!lines || !flags) throw new Error(`${MANAGER_STAGE_TEMPLATE}: no libnoutempter.so build found: update buildShimFromTemplate() in test-image/oci.mjs`);
  const c = `${out}.c`;
  writeFileSync(c, `${[...lines[1].matchAll(/'([^']*)'/g)].map((m) => m[1]).join('\n')}\n`);
  const r = spawnSync('gcc', [...flags[1].trim().split(' '), '-o', out, c], { encoding: 'utf8', timeout: 60_000 });
  rmSync(c, { force: true });
  if (r.status !== 0) throw new Error(`gcc (libnoutempter.so) failed: ${r.error ?? r.stderr}`);
}

/**
 * A local image (FROM scratch) with the real overmind and hivemind at /go/bin and the shim at
 * /go/lib/libnoutempter.so: what the generated procfile-manager stage leaves there. Tagged by the
 * content of the three files; built once. Returns the tag.
 */
export async function procfileManagersImage(podman) {
  const dir = procfileManagersDir();
  const ctx = mkdtempSync(path.join(os.tmpdir(), 'cfm-managers-image-'));
  try {
    for (const name of ['overmind', 'hivemind']) copyFileSync(path.join(dir, name), path.join(ctx, name));
    buildShimFromTemplate(path.join(ctx, 'libnoutempter.so'));
    const hash = createHash('sha256');
    for (const name of ['overmind', 'hivemind', 'libnoutempter.so']) hash.update(readFileSync(path.join(ctx, name)));
    const tag = `${MANAGERS_IMAGE_PREFIX}:${hash.digest('hex').slice(0, 16)}`;
    if (await podman.imageExists(tag)) return tag;
    writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY overmind hivemind /go/bin/\nCOPY libnoutempter.so /go/lib/\n');
    await podman.run(['build', '--pull=never', '--network', 'none', '-t', tag, ctx], { timeoutMs: 5 * 60_000 });
    return tag;
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/**
 * The generated Dockerfile builds overmind/hivemind with `go install module@version` in a
 * golang:1.22-bookworm stage, and there is no Go image or Go module proxy here. So the image tests
 * replace that one stage through a template override (--templates), the way a user without Go proxy
 * access would: an override of partials/procfile-manager.ejs whose stage is the image from
 * procfileManagersImage() (the real binaries, built from the vendored sources). Everything else,
 * the final stage's COPY --from, tmux, entrypoint.sh and Procfile.fly, is the built-in template's.
 *
 * Writes the override into templatesDir; returns the template it overrode and the text it replaced.
 */
export function procfileStandIn(templatesDir, managersImage) {
  const rel = MANAGER_STAGE_TEMPLATE;
  const source = readFileSync(path.join(BUILTIN_TEMPLATES, ...rel.split('/')), 'utf8');
  if (!/^FROM [^\n]* AS procfile-manager$/m.test(source)) {
    throw new Error(`${rel}: no "FROM ... AS procfile-manager" stage: update procfileStandIn() in test-image/oci.mjs`);
  }
  const replacement = [
    '# IMAGE TESTS (test-image/oci.mjs procfileStandIn): instead of `go install` (no Go image or module proxy here),',
    '# the real overmind/hivemind built by scripts/procfile-managers.sh, and libnoutempter.so compiled from the',
    `# built-in ${rel}.`,
    `FROM ${managersImage} AS procfile-manager`,
    '',
  ].join('\n');
  const target = path.join(templatesDir, ...rel.split('/'));
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, replacement);
  return { template: rel, replaced: source };
}

/**
 * The project the image tests and the bench generate for a strategy: two processes of
 * fixtures/server.py, web and api, on the given ports, kill_timeout 5 (Fly's default). For
 * procfile: the manager stage replaced by managersImage (procfileStandIn). baseImage overrides the
 * base image (the bench builds with debian:bookworm-slim for sizes). cleanup() removes everything it wrote.
 */
export function standardProject(strategy, [web, api], { procfileManager = 'overmind', killTimeout = 5, baseImage, managersImage } = {}) {
  const serve = (name, port) => `python3 server.py ${name} ${port}`;
  const options = { strategy, processes: [['web', serve('web', web), web], ['api', serve('api', api), api]], killTimeout };
  let templates;
  let standIn;
  if (strategy === 'procfile') {
    if (!managersImage) throw new Error('standardProject(procfile): pass managersImage (procfileManagersImage())');
    templates = mkdtempSync(path.join(os.tmpdir(), 'cfm-image-templates-'));
    standIn = procfileStandIn(templates, managersImage);
    Object.assign(options, { procfileManager, templates });
  }
  if (baseImage) options.baseImage = baseImage;
  let dir;
  try {
    dir = generateProject(options);
  } finally {
    if (templates) rmSync(templates, { recursive: true, force: true });
  }
  return { dir, ports: { web, api }, standIn, cleanup: () => removeProject(dir) };
}

// ---------------------------------------------------------------------------------------------
// podman

let counter = 0;

export class Podman {
  /** @param {string} pm the wrapper written by oci-setup.sh */
  constructor(pm) {
    this.pm = pm;
    /** Containers created through this object and not removed yet. */
    this.containers = new Set();
  }

  /** Run `pm ARGS`, bounded. With check (default), a non-zero exit throws with the output. */
  async run(args, { timeoutMs = 60_000, check = true } = {}) {
    const r = await exec(this.pm, args, { timeoutMs });
    if (check && (r.code !== 0 || r.timedOut)) {
      throw new Error(`pm ${args.join(' ')}: ${r.timedOut ? `timed out after ${timeoutMs} ms` : `exit ${r.code}`}\n${r.stdout}${r.stderr}`.trim());
    }
    return r;
  }

  async imageExists(image) {
    return (await this.run(['image', 'exists', image], { check: false, timeoutMs: 30_000 })).code === 0;
  }

  /**
   * Build dir's Dockerfile as tag. Every FROM must already be a local image (nothing can be
   * pulled here); --pull=never makes sure podman does not try. Returns the build time and log.
   */
  async build(dir, tag, { timeoutMs = 15 * 60_000, noCache = false, buildArgs = {} } = {}) {
    const missing = [];
    const expand = (image) => image.replace(/\$\{?(\w+)\}?/g, (m, name) => buildArgs[name] ?? m);
    for (const image of baseImages(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).map(expand)) {
      if (!(await this.imageExists(image))) missing.push(image);
    }
    if (missing.length) throw new Error(`${dir}/Dockerfile: FROM ${missing.join(', ')}: not a local image, and nothing can be pulled here`);
    const args = Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
    const argv = ['build', '--pull=never', '--network', 'host', ...(noCache ? ['--no-cache'] : []), ...args, '-t', tag, dir];
    let r = await this.run(argv, { timeoutMs, check: false });
    // The store is shared with concurrent runs (the bench, another clone's suite): when one of them
    // removes an image while this build looks up its layer cache, podman fails with "layer not known".
    // That is the store's race, not the Dockerfile's: build once more.
    if (r.code !== 0 && !r.timedOut && /layer not known/.test(`${r.stdout}${r.stderr}`)) r = await this.run(argv, { timeoutMs, check: false });
    if (r.code !== 0 || r.timedOut) {
      const out = `${r.stdout}${r.stderr}`.split('\n').slice(-40).join('\n');
      throw new Error(`pm build ${dir} ${r.timedOut ? `timed out after ${timeoutMs} ms` : `failed (exit ${r.code})`}:\n${out}`);
    }
    return { ms: r.ms, log: `${r.stdout}${r.stderr}` };
  }

  /**
   * Runs of the suite or the bench may overlap (each builds under its own tag, runTag()). When one
   * is done with its image it calls keep(): the image becomes `:latest`, which keeps its layers as
   * the build cache for the next run, and the image that was `:latest` before is removed if
   * nothing else names it (a concurrent run's image still has its own tag, so it stays).
   */
  async keep(tag) {
    const latest = tag.replace(/:[^:/]+$/, ':latest');
    if (latest === tag || !(await this.imageExists(tag))) return;
    const previous = await this.imageId(latest);
    await this.run(['tag', tag, latest], { timeoutMs: 60_000 });
    await this.run(['untag', tag, tag], { check: false, timeoutMs: 60_000 });
    if (previous && previous !== (await this.imageId(latest))) {
      const names = await this.run(['image', 'inspect', '--format', '{{len .RepoTags}}', previous], { check: false, timeoutMs: 30_000 });
      if (names.code === 0 && names.stdout.trim() === '0') await this.run(['rmi', previous], { check: false, timeoutMs: 60_000 });
    }
  }

  /** The image's ID, or undefined when there is none. */
  async imageId(image) {
    const r = await this.run(['image', 'inspect', '--format', '{{.Id}}', image], { check: false, timeoutMs: 30_000 });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** Image size in bytes, as `podman images` counts it (all layers, uncompressed). */
  async imageSize(image) {
    const r = await this.run(['image', 'inspect', '--format', '{{.Size}}', image]);
    return Number(r.stdout.trim());
  }

  newName() {
    counter += 1;
    return `${CONTAINER_PREFIX}${process.pid}-${counter}`;
  }

  /**
   * Start a container on the host network (never a bridge), detached. init (default true) puts
   * an init as PID 1 in front of the entrypoint, as on Fly, where Fly's own init is PID 1 and
   * relays kill_signal to the entrypoint; init false makes the entrypoint PID 1 (`docker run`).
   * Returns the name and how long `run` took.
   */
  async start(image, { args = [], env = {}, init = true, name = this.newName() } = {}) {
    const flags = ['run', '-d', '--name', name, '--network', 'host', '--pull=never'];
    if (init) flags.push('--init');
    for (const [k, v] of Object.entries(env)) flags.push('--env', `${k}=${v}`);
    this.containers.add(name);
    const r = await this.run([...flags, image, ...args], { timeoutMs: 60_000 });
    return { name, ms: r.ms };
  }

  /** `running`, `exited`, ... or undefined when there is no such container. */
  async status(name) {
    const r = await this.run(['container', 'inspect', '--format', '{{.State.Status}}', name], { check: false, timeoutMs: 30_000 });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** Exit code of a container that has exited (podman wait), or null if it is still running after timeoutMs. */
  async waitExit(name, timeoutMs) {
    const r = await this.run(['wait', name], { timeoutMs, check: false });
    if (r.timedOut) return null;
    if (r.code !== 0) throw new Error(`pm wait ${name}: exit ${r.code}\n${r.stderr}`);
    return { code: Number(r.stdout.trim().split('\n').pop()), ms: r.ms };
  }

  /**
   * Stop it the way Fly stops a Machine: send kill_signal, wait up to timeoutMs (the caller's
   * bound, e.g. kill_timeout plus slack). Returns the exit code and the time from the signal to
   * the exit, or code null if it had not exited by then.
   */
  async stop(name, signal, timeoutMs) {
    const started = performance.now();
    await this.run(['kill', '--signal', signal, name], { timeoutMs: 30_000 });
    const exit = await this.waitExit(name, timeoutMs);
    return { code: exit ? exit.code : null, ms: performance.now() - started };
  }

  /** stdout and stderr of the container (each in order; the two streams are not interleaved). */
  async logs(name) {
    const r = await this.run(['logs', name], { check: false, timeoutMs: 30_000 });
    return `${r.stdout}${r.stderr}`;
  }

  /** Processes in the container (`pm top`), for messages. */
  async top(name) {
    const r = await this.run(['top', name], { check: false, timeoutMs: 30_000 });
    return r.stdout;
  }

  async remove(name) {
    await this.run(['rm', '-f', '-t', '0', name], { check: false, timeoutMs: 60_000 });
    this.containers.delete(name);
  }

  /** Remove every container created through this object (afterAll; also after a failure). */
  async removeAll() {
    for (const name of [...this.containers]) await this.remove(name);
  }

  /**
   * Wait until every port answers GET / with 200 (each polled every 50 ms), up to timeoutMs. If
   * the container exits first, fail at once. Returns the time since `since` (performance.now()
   * before `pm run`) and the bodies, by port.
   */
  async waitForPorts(name, ports, { since = performance.now(), timeoutMs = 30_000 } = {}) {
    const bodies = new Map();
    const deadline = performance.now() + timeoutMs;
    let nextStatus = performance.now() + 1000;
    while (bodies.size < ports.length) {
      await Promise.all(
        ports
          .filter((p) => !bodies.has(p))
          .map(async (p) => {
            const body = await httpGet(p, '/', 500);
            if (body !== null) bodies.set(p, body);
          }),
      );
      if (bodies.size === ports.length) break;
      if (performance.now() > nextStatus) {
        const status = await this.status(name);
        if (status !== 'running') throw new Error(`${name} is ${status} before ports ${ports.filter((p) => !bodies.has(p)).join(', ')} answered:\n${await this.logs(name)}`);
        nextStatus = performance.now() + 1000;
      }
      if (performance.now() > deadline) {
        throw new Error(`ports ${ports.filter((p) => !bodies.has(p)).join(', ')} did not answer within ${timeoutMs} ms:\n${await this.logs(name)}\n${await this.top(name)}`);
      }
      await sleep(50);
    }
    return { ms: performance.now() - since, bodies };
  }
}

// ---------------------------------------------------------------------------------------------
// runtime samples (test-image/samples/<runtime>/): projects shaped like real ones, built on the
// stand-in images (test-image/standins/) with the runtime's own generated Dockerfile

export const SAMPLES = path.join(ROOT, 'test-image', 'samples');

/** The processes each sample runs, [name, command] for a port: what a user would pass or keep in a Procfile. */
export const SAMPLE_PROCESSES = {
  node: (name, port) => `node server.js ${name} ${port}`,
  bun: (name, port) => `bun server.js ${name} ${port}`,
  python: (name, port) => `python server.py ${name} ${port}`,
  ruby: (name, port) => `bundle exec ruby app.rb ${name} ${port}`,
  // named bare, as in Heroku's go-getting-started Procfile: the binary must be on PATH
  go: (name, port) => `go-getting-started ${name} ${port}`,
  rust: (name, port) => `hello-rust ${name} ${port}`,
  // the image's own entrypoint first: it fills in nginx/templates/*.template (NGINX_PORT), then execs nginx
  static: () => '/docker-entrypoint.sh nginx -g "daemon off;"',
  'extend-node-build': (name, port) => `node server.js ${name} ${port}`,
};

/** Real Dockerfiles of test/corpus/dockerfiles/ (kept byte for byte) that the stand-ins can build, with their sample project. */
export const CORPUS = path.join(ROOT, 'test', 'corpus', 'dockerfiles');

function copyTree(from, to) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dst);
    else copyFileSync(src, dst);
  }
}

/**
 * Copy test-image/samples/<sample> into a fresh temp dir and generate its files with the built CLI,
 * without --base-image: the runtime's own images (the stand-ins). ports: one per process (static: one).
 * procfile: the manager stage replaced by managersImage (procfileStandIn). Returns the project.
 */
export function sampleProject(sample, strategy, ports, { procfileManager = 'overmind', killTimeout = 5, managersImage, runtime, extendCorpus } = {}) {
  const parent = mkdtempSync(path.join(os.tmpdir(), `cfm-sample-${sample}-`));
  const dir = path.join(parent, 'app');
  copyTree(path.join(SAMPLES, sample), dir);
  // --dockerfile extend: the user's own Dockerfile (and its companions) from the corpus, kept as it is
  if (extendCorpus) copyTree(path.join(CORPUS, extendCorpus), dir);
  const command = SAMPLE_PROCESSES[runtime ?? sample];
  const names = ['web', 'api'].slice(0, ports.length);
  const args = [BIN, dir, '--yes', '--strategy', strategy, '--app', `sample-${sample}`, '--kill-timeout', String(killTimeout)];
  if (runtime) args.push('--runtime', runtime);
  if (extendCorpus) args.push('--dockerfile', 'extend');
  names.forEach((name, i) => args.push('--process', `${name}=${command(name, ports[i])}`, '--port', `${name}=${ports[i]}`));
  let templates;
  if (strategy === 'procfile') {
    if (!managersImage) throw new Error('sampleProject(procfile): pass managersImage (procfileManagersImage())');
    templates = mkdtempSync(path.join(os.tmpdir(), 'cfm-image-templates-'));
    procfileStandIn(templates, managersImage);
    args.push('--procfile-manager', procfileManager, '--templates', templates);
  }
  try {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' }, timeout: 60_000 });
    if (r.status !== 0) throw new Error(`create-fly-multiproc ${args.slice(1).join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  } finally {
    if (templates) rmSync(templates, { recursive: true, force: true });
  }
  return { dir, ports: Object.fromEntries(names.map((n, i) => [n, ports[i]])), cleanup: () => rmSync(parent, { recursive: true, force: true }) };
}
