#!/usr/bin/env node
// Runtime benchmark of the generated files, per strategy, with two small HTTP servers
// (python3 -m http.server on 127.0.0.1, free ports):
//   - start: from spawning the entrypoint until both ports answer 200
//   - stop:  from SIGINT (Fly's default kill_signal) until the entrypoint exits
//   - RSS:   peak resident memory (VmHWM, sampled every 20 ms) of the supervising process (bash /
//            supervisord / foreman), and the sum of VmHWM over every process in the session(s)
//            that is not a server, taken just before SIGINT (bash: the entrypoint and its output
//            prefixers; supervisord: the wrapper, supervisord and the fail-fast listener)
// The entrypoint is started like Fly's init starts it: new session, default signal
// dispositions, stdout/stderr not a socket (an O_APPEND log file here).
// procfile runs three ways: the generated entrypoint.sh with the real overmind (+ Debian's tmux and
// libnoutempter.so compiled from the Dockerfile template) and hivemind, built by
// scripts/procfile-managers.sh from ../shared/vendor/procfile-managers; and Procfile.fly under
// Debian's ruby-foreman. Processes are found by a marker variable in /proc/PID/environ, so tmux's
// server and panes (which leave the entrypoint's session) are counted too.
// Usage: npm run bench:runtime   (BENCH_RUNS=N, default 5)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { buildShimFromTemplate } from '../test-image/oci.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const BIN = path.join(ROOT, typeof pkg.bin === 'string' ? pkg.bin : Object.values(pkg.bin)[0]);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const has = (tool) => (process.env.PATH ?? '').split(':').some((d) => existsSync(path.join(d, tool)));

async function freePorts(n) {
  const servers = [];
  const ports = [];
  for (let i = 0; i < n; i++) {
    const s = net.createServer();
    servers.push(s);
    await new Promise((res, rej) => s.once('error', rej).listen(0, '127.0.0.1', res));
    ports.push(s.address().port);
  }
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function answers(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 500 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function proc(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return { pid, state: f[0], sid: Number(f[3]), hwm: kb('VmHWM'), cmdline };
  } catch {
    return undefined;
  }
}
const MARKER = 'CFM_BENCH_RUN';
/** Live processes whose environment holds MARKER=marker: everything a run started, wherever it went. */
function marked(marker) {
  const needle = `\0${MARKER}=${marker}\0`;
  const out = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    let environ;
    try {
      environ = `\0${readFileSync(`/proc/${n}/environ`, 'latin1')}`;
    } catch {
      continue;
    }
    if (!environ.includes(needle)) continue;
    const p = proc(Number(n));
    if (p && p.state !== 'Z') out.push(p);
  }
  return out;
}
let runCount = 0;

function generate(strategy, dir, ports, extra = []) {
  execFileSync(
    process.execPath,
    [
      BIN,
      dir,
      '--strategy',
      strategy,
      '--yes',
      '--kill-timeout',
      '5',
      '--process',
      `web=${PYTHON} -m http.server ${ports[0]} --bind 127.0.0.1`,
      '--port',
      `web=${ports[0]}`,
      '--process',
      `api=${PYTHON} -m http.server ${ports[1]} --bind 127.0.0.1`,
      '--port',
      `api=${ports[1]}`,
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NO_COLOR: '1' } },
  );
}

/** The crash project: web serves, api waits for the file crash-now in the app directory, then exits 3. */
const CRASHER = `import os, sys, time\nwhile not os.path.exists("crash-now"): time.sleep(0.01)\nsys.exit(3)\n`;
function generateCrash(strategy, dir, port, extra = []) {
  execFileSync(
    process.execPath,
    [
      BIN,
      dir,
      '--strategy',
      strategy,
      '--yes',
      '--kill-timeout',
      '5',
      '--process',
      `web=${PYTHON} -m http.server ${port} --bind 127.0.0.1`,
      '--port',
      `web=${port}`,
      '--process',
      `api=${PYTHON} crasher.py`,
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NO_COLOR: '1' } },
  );
  writeFileSync(path.join(dir, 'crasher.py'), CRASHER);
}

/** One run: start the entrypoint(s), wait for both ports, SIGINT, wait for the exit. */
async function once(s, dir, ports, work) {
  const logFile = path.join(work, 'out.log');
  const out = openSync(logFile, 'a'); // O_APPEND: supervisord reopens /dev/stdout
  const marker = `${process.pid}-${runCount++}`;
  const env = { ...process.env, SUPERVISOR_RUN_DIR: work, [MARKER]: marker, ...(s.env?.(work) ?? {}) };
  const session = () => marked(marker);
  const spawnOne = (file, args) => spawn(file, args, { cwd: dir, env, detached: true, stdio: ['ignore', out, out] });
  const t0 = performance.now();
  const children = s.commands(dir).map(([file, args]) => spawnOne(file, args));
  closeSync(out);
  const exits = children.map(
    (c) => new Promise((r) => c.once('exit', (code, signal) => r({ code, signal, at: performance.now() }))),
  );
  const peak = new Map(); // pid -> { hwm, cmdline }
  const sample = () => {
    for (const p of session()) peak.set(p.pid, { hwm: Math.max(p.hwm, peak.get(p.pid)?.hwm ?? 0), cmdline: p.cmdline });
  };
  const sampler = setInterval(sample, 20);
  try {
    let up = false;
    const deadline = t0 + 20_000;
    while (!up && performance.now() < deadline) {
      up = (await Promise.all(ports.map(answers))).every(Boolean);
      if (!up) await sleep(10);
    }
    if (!up) throw new Error(`${s.name}: ports did not answer within 20 s; output:\n${readFileSync(logFile, 'utf8')}`);
    const startMs = performance.now() - t0;
    sample();
    // Steady state, just before the signal: every process in the session(s) but the servers.
    const helpers = session().filter((p) => !/http\.server/.test(p.cmdline));
    const t1 = performance.now();
    for (const c of children) process.kill(c.pid, 'SIGINT');
    const timeout = sleep(15_000).then(() => null);
    const ended = await Promise.all(exits.map((e) => Promise.race([e, timeout])));
    if (ended.some((e) => e === null)) throw new Error(`${s.name}: did not exit within 15 s of SIGINT`);
    const stopMs = Math.max(...ended.map((e) => e.at)) - t1;
    const left = await leftovers(session);
    if (left.length)
      throw new Error(`${s.name}: processes left after the exit: ${left.map((p) => p.cmdline).join('; ')}`);
    const codes = ended.map((e) => e.code ?? e.signal).join(',');
    const pids = new Set(children.map((c) => c.pid));
    const manager = [...peak.entries()].find(([pid, p]) => s.manager(p.cmdline, pids.has(pid)));
    return {
      startMs,
      stopMs,
      codes,
      managerKb: manager?.[1].hwm ?? 0,
      helpersKb: helpers.reduce((a, p) => a + p.hwm, 0),
      helperCount: helpers.length,
    };
  } finally {
    clearInterval(sampler);
    for (const p of session()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

/** What is still alive 2 s after the exit (tmux's server exits shortly after overmind). */
async function leftovers(session) {
  const deadline = performance.now() + 2000;
  for (;;) {
    const live = session();
    if (!live.length || performance.now() > deadline) return live;
    await sleep(50);
  }
}

/** Crash: api exits 3 by itself when told (CRASHER); the time from then until the entrypoint exits, and its status. */
async function crashOnce(s, dir, ports, work) {
  const out = openSync(path.join(work, 'crash.log'), 'a');
  const marker = `${process.pid}-${runCount++}`;
  const env = { ...process.env, SUPERVISOR_RUN_DIR: work, [MARKER]: marker, ...(s.env?.(work) ?? {}) };
  const [file, args] = s.commands(dir)[0];
  const child = spawn(file, args, { cwd: dir, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = new Promise((r) =>
    child.once('exit', (code, signal) => r({ code: code ?? signal, at: performance.now() })),
  );
  try {
    const deadline = performance.now() + 20_000;
    while (!(await answers(ports[0])) && performance.now() < deadline) await sleep(10);
    // api is `python3 -c ...` that exits 3 once a file appears: the crash happens at a known moment
    const crashedAt = performance.now();
    writeFileSync(path.join(dir, 'crash-now'), '');
    const ended = await Promise.race([exited, sleep(15_000).then(() => null)]);
    if (!ended) throw new Error(`${s.name}: did not exit within 15 s of a crash`);
    return { ms: ended.at - crashedAt, code: ended.code };
  } finally {
    rmSync(path.join(dir, 'crash-now'), { force: true });
    for (const p of marked(marker)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

const managers = (() => {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'procfile-managers.sh')], {
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  if (r.status !== 0) {
    console.error(
      `[bench-runtime] overmind/hivemind not available (scripts/procfile-managers.sh: ${r.stderr.trim().split('\n').pop()}): their rows are skipped`,
    );
    return undefined;
  }
  return r.stdout.trim();
})();
let shim;
const managerEnv = (work) => {
  if (!shim) {
    shim = path.join(mkdtempSync(path.join(os.tmpdir(), 'cfm-bench-shim-')), 'libnoutempter.so');
    buildShimFromTemplate(shim);
  }
  return {
    PATH: `${managers}:${process.env.PATH}`,
    NOUTEMPTER_LIB: shim,
    OVERMIND_SOCKET: path.join(work, 'overmind.sock'),
    TMPDIR: work,
    TMUX_TMPDIR: work,
  };
};

const STRATEGIES = [
  {
    name: 'bash',
    managerName: 'bash entrypoint.sh',
    commands: (d) => [[path.join(d, 'entrypoint.sh'), []]],
    manager: (cmd, isLeader) => isLeader,
    crash: true,
  },
  {
    name: 'supervisord',
    tool: 'supervisord',
    managerName: 'supervisord 4.2.5',
    commands: (d) => [[path.join(d, 'entrypoint.sh'), []]],
    manager: (cmd) => /supervisord -c/.test(cmd),
  },
  {
    name: 'procfile',
    label: 'procfile: overmind',
    manager_: 'overmind',
    needsManagers: true,
    managerName: 'overmind 2.5.1 (tmux 3.3a + shim)',
    commands: (d) => [[path.join(d, 'entrypoint.sh'), []]],
    manager: (cmd, isLeader) => isLeader,
    env: managerEnv,
    crash: true,
  },
  {
    name: 'procfile',
    label: 'procfile: hivemind',
    manager_: 'hivemind',
    needsManagers: true,
    managerName: 'hivemind 1.1.0',
    commands: (d) => [[path.join(d, 'entrypoint.sh'), []]],
    manager: (cmd, isLeader) => isLeader,
    env: managerEnv,
    crash: true,
  },
  {
    name: 'procfile',
    label: 'procfile: foreman',
    tool: 'foreman',
    managerName: 'foreman (ruby)',
    commands: (d) => [['foreman', ['start', '-f', path.join(d, 'Procfile.fly'), '-d', d]]],
    manager: (cmd, isLeader) => isLeader,
  },
  {
    name: 'process-groups',
    managerName: 'none (exec)',
    // Two Machines, one per group: ENTRYPOINT + each [processes] command, signalled separately.
    commands: (d) => {
      const { processes } = parseToml(readFileSync(path.join(d, 'fly.toml'), 'utf8'));
      return ['web', 'api'].map((g) => [path.join(d, 'entrypoint.sh'), processes[g].split(' ')]); // plain commands: no quoting
    },
    manager: () => false,
  },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
const mb = (kb) => (kb ? `${(kb / 1024).toFixed(1)} MB` : '—');

const version = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]
      .trim();
  } catch {
    return 'n/a';
  }
};
console.log(
  `bench:runtime — ${RUNS} runs per strategy, kill_timeout 5, two servers: ${PYTHON} -m http.server on 127.0.0.1`,
);
console.log(
  `${os.cpus().length} CPUs, node ${process.version}, ${version('bash', ['--version'])}, supervisord ${version('supervisord', ['--version'])}, foreman ${version('foreman', ['version'])}\n`,
);

const rows = [];
for (const s of STRATEGIES) {
  const label = s.label ?? s.name;
  if (s.tool && !has(s.tool)) {
    rows.push([label, s.managerName, `skipped: ${s.tool} not installed`, '', '', '', '', '']);
    continue;
  }
  if (s.needsManagers && (!managers || (s.manager_ === 'overmind' && !has('tmux')))) {
    rows.push([label, s.managerName, 'skipped: not built (scripts/procfile-managers.sh)', '', '', '', '', '']);
    continue;
  }
  const base = mkdtempSync(path.join(os.tmpdir(), `cfm-bench-${s.name}-`));
  try {
    const ports = await freePorts(2);
    const dir = path.join(base, 'app');
    const extra = s.manager_ ? ['--procfile-manager', s.manager_] : [];
    generate(s.name, dir, ports, extra);
    const results = [];
    for (let i = 0; i < RUNS; i++) {
      const work = path.join(base, `run-${i}`);
      mkdirSync(work);
      results.push(await once(s, dir, ports, work));
    }
    const crashes = [];
    if (s.crash) {
      const crashDir = path.join(base, 'crash');
      generateCrash(s.name, crashDir, ports[0], extra);
      for (let i = 0; i < RUNS; i++) {
        const work = path.join(base, `crash-${i}`);
        mkdirSync(work);
        crashes.push(await crashOnce(s, crashDir, ports, work));
      }
    }
    rows.push([
      label,
      s.managerName,
      fmt(results.map((r) => r.startMs)),
      `${fmt(results.map((r) => r.stopMs))} (${[...new Set(results.map((r) => r.codes))].join(' ')})`,
      crashes.length ? `${fmt(crashes.map((r) => r.ms))} (${[...new Set(crashes.map((r) => r.code))].join(' ')})` : '—',
      mb(Math.max(...results.map((r) => r.managerKb))),
      `${mb(Math.max(...results.map((r) => r.helpersKb)))} (${Math.max(...results.map((r) => r.helperCount))})`,
    ]);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
if (shim) rmSync(path.dirname(shim), { recursive: true, force: true });

const head = [
  'strategy',
  'supervising process',
  'start→both answer, ms: median (min–max)',
  'SIGINT→exit, ms (status)',
  'crash→exit, ms (status)',
  'peak RSS of supervisor',
  'peak RSS, all non-server processes (count)',
];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
const line = (cells) => `| ${head.map((_, i) => String(cells[i] ?? '').padEnd(widths[i])).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
