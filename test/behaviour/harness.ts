/**
 * Harness for the behaviour tests: run generated entrypoints with real processes, the way Fly's
 * init starts them, and look at what is left afterwards.
 *
 * - start(): a new session (spawn detached: setsid), default signal dispositions (libuv resets
 *   them in the child; the tests check /proc/PID/status SigIgn), stdin /dev/null, stdout and
 *   stderr as real pipes (FIFOs, see pipe()) that are collected.
 * - stopWith(): send the kill signal, wait up to kill_timeout, then SIGKILL the whole session, as
 *   Fly does with the VM; reports exit code/signal and the time it took.
 * - Leftovers are counted by session id (the entrypoint is the session leader, so SID = its PID;
 *   none of the managers under test call setsid for their children), zombies ignored; fixtures
 *   also log their PIDs, which lets a test check those exact processes are gone.
 *   No PID namespace (unshare): inside one the entrypoint would be PID 1, whose default signal
 *   dispositions differ and whose exit kills the whole namespace, hiding leftovers.
 * - killAll() (afterEach) SIGKILLs every session started here and every PID a fixture logged.
 */
import { expect } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, tempDir } from '../helpers.js';
import type { Answers } from '../../src/types.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const fixture = (name: string) => path.join(FIXTURES, name);

/** The real python3 behind PATH (pyenv's shim is a bash script that adds ~0.1 s per start). */
export const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

/** Commands for the fixtures, as a user would write them in --process. */
export const cmd = {
  server: (name: string, port: number, ...flags: string[]) =>
    [PYTHON, fixture('server.py'), name, String(port), ...flags].join(' '),
  exitAfter: (name: string, ms: number, code: number) =>
    [PYTHON, fixture('exit_after.py'), name, String(ms), String(code)].join(' '),
  printer: (name: string, count: number) => [PYTHON, fixture('printer.py'), name, String(count)].join(' '),
  /**
   * Logs "start" and exits with code at once, in sh: a Python fixture needs a second or more to
   * start on a loaded machine, longer than supervisord's startsecs, which then counts it as started.
   */
  crashAtOnce: (name: string, code: number) =>
    `sh -c 'printf "%s %s %s start\\n" ${name} "$$" "$(date +%s.%N)" >> "$FIXTURE_LOG"; exit ${code}'`,
};

/**
 * A command with shell syntax that stresses every escaping layer (`%`, both quotes, ` ; ` and ` # `
 * inside quotes, `&&`, `$VAR`): it prints API_BANNER, then execs the fixture server on $API_PORT.
 */
export const API_BANNER = `api: 100% ready ; it's "quoted" # not a comment`;
export const apiShellCommand = () =>
  `echo "api: 100% ready ; it's \\"quoted\\" # not a comment" && exec ${PYTHON} ${fixture('server.py')} api "$API_PORT"`;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Free ports on 127.0.0.1, all distinct, released before returning. Picked at random below the
 * kernel's ephemeral range: a port from that range, once released, can be taken by any outgoing
 * connection on the machine (every waitForHttp makes some) before the fixture binds it; the fixture
 * then fails and another program answers on its port.
 */
export async function freePorts(n: number): Promise<number[]> {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: keep the default
  }
  const floor = Math.min(20000, low - 1000);
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let attempt = 0; ports.length < n; attempt++) {
      const port = attempt < 200 ? floor + Math.floor(Math.random() * (low - floor)) : 0;
      if (ports.includes(port)) continue;
      const server = net.createServer();
      const ok = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (!ok) continue;
      servers.push(server);
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** Generate a project for the behaviour tests into a fresh temp dir; returns the dir. */
export async function project(
  strategy: string,
  processes: string[],
  ports: string[] = [],
  extra: Partial<Omit<Answers, 'dir'>> = {},
): Promise<string> {
  const dir = path.join(tempDir('cfm-behave-'), 'app');
  await generate(dir, { strategy, processes, ports, killTimeout: '5', yes: true, ...extra });
  return dir;
}

// ---------------------------------------------------------------------------------------------
// processes

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the exit was seen. */
  at: number;
  /** Date.now() when the exit was seen (to compare with fixture log times). */
  wall: number;
}

export class Run {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startedAt = performance.now();
  stdout = '';
  stderr = '';
  /** stdout and stderr interleaved in arrival order. */
  output = '';
  /** Every chunk as it arrived, with the time it was read (for lineArrival()). */
  readonly chunks: { stream: 'stdout' | 'stderr'; text: string; at: number; wall: number }[] = [];
  exit: Exit | undefined;
  readonly exited: Promise<Exit>;
  readonly streams: net.Socket[];
  private waiters = new Set<() => void>();

  constructor(file: string, args: string[], options: { cwd?: string; env?: Record<string, string | undefined> }) {
    const out = pipe();
    const err = pipe();
    try {
      this.child = spawn(file, args, {
        cwd: options.cwd,
        // No PYTHONUNBUFFERED: the fixtures flush whole lines, and unbuffered print() writes the
        // text and its newline separately, which supervisord interleaves with other programs' output.
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: undefined, ...options.env },
        detached: true, // setsid(): a new session and process group, like an init starts its child
        stdio: ['ignore', out.writeFd, err.writeFd],
      });
    } finally {
      closeSync(out.writeFd);
      closeSync(err.writeFd);
    }
    if (this.child.pid === undefined) throw new Error(`could not start ${file}`);
    this.pid = this.child.pid;
    this.streams = [out.reader, err.reader];
    out.reader.setEncoding('utf8').on('data', (d: string) => this.add('stdout', d));
    err.reader.setEncoding('utf8').on('data', (d: string) => this.add('stderr', d));
    // Resolved on 'exit' once the output is drained, or 500 ms later: orphaned grandchildren (a
    // leak the tests look for) may hold the pipes open, so 'close' might never come.
    const drained = Promise.all(this.streams.map((st) => new Promise((resolve) => st.once('close', resolve))));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        const exit: Exit = { code, signal, at: performance.now(), wall: Date.now() };
        void Promise.race([drained, sleep(500)]).then(() => {
          this.exit = exit;
          this.notify();
          resolve(exit);
        });
      });
    });
    running.add(this);
  }

  private add(stream: 'stdout' | 'stderr', data: string) {
    this.chunks.push({ stream, text: data, at: performance.now(), wall: Date.now() });
    this[stream] += data;
    this.output += data;
    this.notify();
  }

  private notify() {
    for (const w of [...this.waiters]) w();
  }

  /** Resolve once check() is true (re-checked on every output chunk, exit and every 50 ms). */
  async until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        if (!check()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
      const poll = setInterval(done, 50);
      const cleanup = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.waiters.delete(done);
      };
      this.waiters.add(done);
    });
  }

  waitForOutput(pattern: RegExp, timeoutMs = 10_000, stream: 'stdout' | 'stderr' | 'output' = 'output'): Promise<void> {
    return this.until(() => pattern.test(this[stream]), timeoutMs, `${pattern} on ${stream}`);
  }

  /** Wait for an exact line on a stream. */
  waitForLine(line: string, timeoutMs = 10_000, stream: 'stdout' | 'stderr' | 'output' = 'stdout'): Promise<void> {
    return this.until(
      () => this[stream].split('\n').includes(line),
      timeoutMs,
      `the line ${JSON.stringify(line)} on ${stream}`,
    );
  }

  /** Wait for the exit; null if it did not happen within timeoutMs. */
  async waitExit(timeoutMs: number): Promise<Exit | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Date.now() when the first line matching pattern had fully arrived on stream (an upper bound
   * of when the program wrote it), or undefined.
   */
  lineArrival(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stderr'): number | undefined {
    let text = '';
    for (const chunk of this.chunks) {
      if (chunk.stream !== stream) continue;
      text += chunk.text;
      if (
        text
          .split('\n')
          .slice(0, -1)
          .some((line) => pattern.test(line))
      )
        return chunk.wall;
    }
    return undefined;
  }

  /** Session members (this process's SID) that are not zombies. */
  live(): ProcInfo[] {
    return sessionMembers(this.pid).filter((p) => p.state !== 'Z' && p.state !== 'X');
  }
}

const running = new Set<Run>();

/**
 * A real pipe for a child's stdout or stderr. Node's 'pipe' stdio is a socketpair, and
 * supervisord cannot open /dev/stdout on a socket (ENXIO: every program goes FATAL); Fly's init,
 * Docker and a shell pipeline give pipes. So: a FIFO, unlinked once both ends are open.
 */
function pipe(): { writeFd: number; reader: net.Socket } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cfm-fifo-'));
  const fifo = path.join(dir, 'pipe');
  try {
    execFileSync('mkfifo', [fifo]);
    const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(fifo, constants.O_WRONLY);
    return { writeFd, reader: new net.Socket({ fd: readFd, readable: true, writable: false }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const fixtureLogs = new Set<string>();

/** Start a program the way Fly's init starts the entrypoint (see the file comment). */
export function start(
  file: string,
  args: string[] = [],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Run {
  return new Run(file, args, options);
}

export interface StopResult {
  exit: Exit;
  /** From sending the signal until the exit was seen. */
  elapsedMs: number;
  /** The harness had to SIGKILL the session after kill_timeout. */
  killed: boolean;
}

/** Send Fly's kill_signal to the entrypoint, wait kill_timeout, then SIGKILL the session. */
export async function stopWith(run: Run, signal: NodeJS.Signals, killTimeoutMs: number): Promise<StopResult> {
  const t0 = performance.now();
  process.kill(run.pid, signal);
  let exit = await run.waitExit(killTimeoutMs);
  let killed = false;
  if (!exit) {
    killed = true;
    killSession(run.pid);
    exit = await run.exited;
  }
  return { exit, elapsedMs: exit.at - t0, killed };
}

// ---------------------------------------------------------------------------------------------
// /proc

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  state: string;
  cmdline: string;
}

export function procInfo(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').split('\0').join(' ');
    } catch {
      // gone meanwhile
    }
    return { pid, state: rest[0]!, ppid: Number(rest[1]), pgid: Number(rest[2]), sid: Number(rest[3]), cmdline };
  } catch {
    return undefined;
  }
}

export function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = procInfo(Number(name));
    if (info) out.push(info);
  }
  return out;
}

export function sessionMembers(sid: number): ProcInfo[] {
  return allProcs().filter((p) => p.sid === sid);
}

/** True while pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const info = procInfo(pid);
  return info !== undefined && info.state !== 'Z' && info.state !== 'X';
}

/** Signals ignored by pid (SigIgn from /proc/PID/status), as signal numbers. */
export function ignoredSignals(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^SigIgn:\s*([0-9a-f]+)$/m);
  if (!line) throw new Error(`no SigIgn for ${pid}`);
  const mask = BigInt(`0x${line[1]}`);
  const out: number[] = [];
  for (let s = 1; s <= 64; s++) if (mask & (1n << BigInt(s - 1))) out.push(s);
  return out;
}

/** Poll until the session has no live member; returns what is still there after timeoutMs. */
export async function waitNoLeftovers(sid: number, timeoutMs = 1500): Promise<ProcInfo[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const live = sessionMembers(sid).filter((p) => p.state !== 'Z' && p.state !== 'X');
    if (live.length === 0 || performance.now() > deadline) return live;
    await sleep(50);
  }
}

export function killSession(sid: number): void {
  for (const p of sessionMembers(sid)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// ---------------------------------------------------------------------------------------------
// fixture logs

export interface LogEntry {
  name: string;
  pid: number;
  /** Wall clock (ms since the epoch) when the fixture wrote the line. */
  time: number;
  event: string;
}

/** A fresh $FIXTURE_LOG path; killAll() also kills every PID logged in it. */
export function newFixtureLog(dir: string): string {
  const file = path.join(dir, `fixtures-${fixtureLogs.size}.log`);
  fixtureLogs.add(file);
  return file;
}

export function readLog(file: string): LogEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, pid, time, ...event] = line.split(' ');
      return { name: name!, pid: Number(pid), time: Number(time) * 1000, event: event.join(' ') };
    });
}

export async function waitForLog(
  file: string,
  check: (entries: LogEntry[]) => boolean,
  timeoutMs: number,
  what: string,
): Promise<LogEntry[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const entries = readLog(file);
    if (check(entries)) return entries;
    if (performance.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; log:\n${entries.map((e) => `${e.name} ${e.pid} ${e.event}`).join('\n')}`,
      );
    await sleep(50);
  }
}

/** Fixture PIDs (from a log) that are still alive. */
export function liveFixturePids(file: string): LogEntry[] {
  const seen = new Map<number, LogEntry>();
  for (const e of readLog(file)) if (e.event === 'start') seen.set(e.pid, e);
  return [...seen.values()].filter((e) => isAlive(e.pid) && procInfo(e.pid)?.cmdline.includes(FIXTURES));
}

// ---------------------------------------------------------------------------------------------
// HTTP on 127.0.0.1

export function httpGet(port: number, timeoutMs = 1000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port} timed out`)));
    req.on('error', reject);
  });
}

/** Poll until 127.0.0.1:port answers 200; returns the body. */
export async function waitForHttp(port: number, timeoutMs = 10_000, run?: Run): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const res = await httpGet(port, 500);
      if (res.status === 200) return res.body;
      last = `status ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (run?.exit)
      throw new Error(
        `the entrypoint exited (${JSON.stringify(run.exit)}) before 127.0.0.1:${port} answered\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`,
      );
    if (performance.now() > deadline) {
      throw new Error(
        `127.0.0.1:${port} did not answer within ${timeoutMs} ms (${last})${run ? `\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}` : ''}`,
      );
    }
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// cleanup

/** SIGKILL everything started through this harness (afterEach/afterAll, also after failures). */
export async function killAll(): Promise<void> {
  const runs = [...running];
  running.clear();
  for (const run of runs) {
    if (!run.exit) {
      try {
        process.kill(-run.pid, 'SIGKILL');
      } catch {
        // group gone
      }
    }
    killSession(run.pid);
  }
  for (const file of fixtureLogs) {
    for (const e of liveFixturePids(file)) {
      try {
        process.kill(e.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  fixtureLogs.clear();
  await Promise.all(runs.map((r) => r.waitExit(3000)));
  for (const run of runs) for (const stream of run.streams) stream.destroy();
}

/** After a stop: no live process left in the entrypoint's session, and no fixture still running. */
export async function expectNothingLeft(run: Run, log: string): Promise<void> {
  expect(await waitNoLeftovers(run.pid), 'live processes left in the entrypoint session').toEqual([]);
  expect(liveFixturePids(log), 'fixture processes still running').toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// scheduling delay: margins for timing assertions

/**
 * How late this machine runs things, measured while a test runs: every 200 ms, one fork+exec+exit
 * round trip of `true` (what a shell loop pays per external command, seen from this event loop)
 * and how late the timer itself fired. Timing assertions add margin(steps) instead of a fixed
 * slack, so they hold on a loaded machine and stay tight on an idle one.
 */
export class DelayMeter {
  private readonly samples: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private last = performance.now();

  constructor(private readonly everyMs = 200) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  private sample() {
    const now = performance.now();
    const lateness = Math.max(0, now - this.last - this.everyMs);
    this.last = now;
    this.samples.push(lateness);
    if (this.busy) return;
    this.busy = true;
    const t0 = performance.now();
    const child = spawn('true', [], { stdio: 'ignore' });
    const done = () => {
      this.samples.push(performance.now() - t0);
      this.busy = false;
    };
    child.once('exit', done);
    child.once('error', done);
  }

  /** The worst delay seen so far (ms; at least 1). */
  get worstMs(): number {
    return Math.max(1, ...this.samples);
  }

  /**
   * Allowance for something that takes `steps` scheduling delays (a fork, a wake-up after a signal,
   * a pipe read), plus a fixed base for timestamp granularity and the 0.1 s polling of the scripts.
   */
  margin(steps: number, baseMs = 250): number {
    return Math.round(baseMs + steps * this.worstMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  describe(): string {
    return `worst scheduling delay ${this.worstMs.toFixed(0)} ms over ${this.samples.length} samples`;
  }
}
