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
// procfile runs under Debian's ruby-foreman (`foreman start -f Procfile.fly`): the generated
// entrypoint.sh execs overmind, which cannot be installed here.
// Usage: npm run bench:runtime   (BENCH_RUNS=N, default 5)
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';

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
const session = (sid) => readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map((n) => proc(Number(n))).filter((p) => p && p.sid === sid && p.state !== 'Z');

function generate(strategy, dir, ports) {
  execFileSync(process.execPath, [BIN, dir, '--strategy', strategy, '--yes', '--kill-timeout', '5',
    '--process', `web=${PYTHON} -m http.server ${ports[0]} --bind 127.0.0.1`, '--port', `web=${ports[0]}`,
    '--process', `api=${PYTHON} -m http.server ${ports[1]} --bind 127.0.0.1`, '--port', `api=${ports[1]}`],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
}

/** One run: start the entrypoint(s), wait for both ports, SIGINT, wait for the exit. */
async function once(s, dir, ports, work) {
  const logFile = path.join(work, 'out.log');
  const out = openSync(logFile, 'a'); // O_APPEND: supervisord reopens /dev/stdout
  const env = { ...process.env, SUPERVISOR_RUN_DIR: work };
  const spawnOne = (file, args) => spawn(file, args, { cwd: dir, env, detached: true, stdio: ['ignore', out, out] });
  const t0 = performance.now();
  const children = s.commands(dir).map(([file, args]) => spawnOne(file, args));
  closeSync(out);
  const exits = children.map((c) => new Promise((r) => c.once('exit', (code, signal) => r({ code, signal, at: performance.now() }))));
  const peak = new Map(); // pid -> { hwm, cmdline }
  const sample = () => {
    for (const c of children) for (const p of session(c.pid)) peak.set(p.pid, { hwm: Math.max(p.hwm, peak.get(p.pid)?.hwm ?? 0), cmdline: p.cmdline });
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
    const helpers = children.flatMap((c) => session(c.pid)).filter((p) => !/http\.server/.test(p.cmdline));
    const t1 = performance.now();
    for (const c of children) process.kill(c.pid, 'SIGINT');
    const timeout = sleep(15_000).then(() => null);
    const ended = await Promise.all(exits.map((e) => Promise.race([e, timeout])));
    if (ended.some((e) => e === null)) throw new Error(`${s.name}: did not exit within 15 s of SIGINT`);
    const stopMs = Math.max(...ended.map((e) => e.at)) - t1;
    const codes = ended.map((e) => e.code ?? e.signal).join(',');
    const pids = new Set(children.map((c) => c.pid));
    const manager = [...peak.entries()].find(([pid, p]) => s.manager(p.cmdline, pids.has(pid)));
    return { startMs, stopMs, codes, managerKb: manager?.[1].hwm ?? 0, helpersKb: helpers.reduce((a, p) => a + p.hwm, 0), helperCount: helpers.length };
  } finally {
    clearInterval(sampler);
    for (const c of children) for (const p of session(c.pid)) {
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

const STRATEGIES = [
  { name: 'bash', managerName: 'bash entrypoint.sh', commands: (d) => [[path.join(d, 'entrypoint.sh'), []]], manager: (cmd, isLeader) => isLeader },
  { name: 'supervisord', tool: 'supervisord', managerName: 'supervisord 4.2.5', commands: (d) => [[path.join(d, 'entrypoint.sh'), []]], manager: (cmd) => /supervisord -c/.test(cmd) },
  { name: 'procfile', tool: 'foreman', managerName: 'foreman (ruby)', commands: (d) => [['foreman', ['start', '-f', path.join(d, 'Procfile.fly'), '-d', d]]], manager: (cmd, isLeader) => isLeader },
  {
    name: 'process-groups', managerName: 'none (exec)',
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
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
  } catch {
    return 'n/a';
  }
};
console.log(`bench:runtime — ${RUNS} runs per strategy, kill_timeout 5, two servers: ${PYTHON} -m http.server on 127.0.0.1`);
console.log(`${os.cpus().length} CPUs, node ${process.version}, ${version('bash', ['--version'])}, supervisord ${version('supervisord', ['--version'])}, foreman ${version('foreman', ['version'])}\n`);

const rows = [];
for (const s of STRATEGIES) {
  if (s.tool && !has(s.tool)) {
    rows.push([s.name, s.managerName, `skipped: ${s.tool} not installed`, '', '', '', '']);
    continue;
  }
  const base = mkdtempSync(path.join(os.tmpdir(), `cfm-bench-${s.name}-`));
  try {
    const ports = await freePorts(2);
    const dir = path.join(base, 'app');
    generate(s.name, dir, ports);
    const results = [];
    for (let i = 0; i < RUNS; i++) {
      const work = path.join(base, `run-${i}`);
      mkdirSync(work);
      results.push(await once(s, dir, ports, work));
    }
    rows.push([
      s.name,
      s.managerName,
      fmt(results.map((r) => r.startMs)),
      fmt(results.map((r) => r.stopMs)),
      [...new Set(results.map((r) => r.codes))].join(' '),
      mb(Math.max(...results.map((r) => r.managerKb))),
      `${mb(Math.max(...results.map((r) => r.helpersKb)))} (${Math.max(...results.map((r) => r.helperCount))})`,
    ]);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

const head = ['strategy', 'supervising process', 'start→both answer, ms: median (min–max)', 'SIGINT→exit, ms', 'exit', 'peak RSS of supervisor', 'peak RSS, all non-server processes (count)'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
