// npm run test:stress: the behaviour suite (real processes, real signals, timing assertions) run
// several times in a row while every core is kept busy by a CPU-burning loop, to show that its
// timing assertions hold on a loaded machine. Exits 0 only when every run passed with no test
// skipped for a missing tool.
//
//   STRESS_RUNS=10 (runs), STRESS_BURNERS=<cores> (busy loops), STRESS_RUN_TIMEOUT=900 (s per run)
//
// Bounded: each burner stops by itself after STRESS_RUNS * STRESS_RUN_TIMEOUT seconds even if this
// script is killed, and this script stops them (SIGKILL, by PID) on exit, Ctrl-C or SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = positive('STRESS_RUNS', 10);
const burnerCount = positive('STRESS_BURNERS', os.availableParallelism());
const runTimeoutS = positive('STRESS_RUN_TIMEOUT', 900);
const tests = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['test/behaviour'];

function positive(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9]\d*$/.test(raw)) {
    console.error(`test:stress: ${name}=${raw} is not a positive whole number`);
    process.exit(2);
  }
  return Number(raw);
}

// ---- burners -------------------------------------------------------------------------------
const burnerLifetimeMs = runs * runTimeoutS * 1000;
const burners = [];
function startBurners() {
  for (let i = 0; i < burnerCount; i++) {
    const child = spawn(
      process.execPath,
      ['-e', `const end = Date.now() + ${burnerLifetimeMs}; while (Date.now() < end) {}`],
      { stdio: 'ignore' },
    );
    burners.push(child);
  }
}
function stopBurners() {
  for (const b of burners.splice(0)) {
    if (b.exitCode === null && b.signalCode === null) {
      try {
        process.kill(b.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}
/** CPU seconds the burners have used so far (utime + stime from /proc/PID/stat). */
function burnerCpuSeconds() {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const b of burners) {
    try {
      const stat = readFileSync(`/proc/${b.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      // gone
    }
  }
  return total;
}
process.on('exit', stopBurners);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    stopBurners();
    if (current) {
      try {
        process.kill(-current.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    process.exit(130);
  });
}

// ---- runs ----------------------------------------------------------------------------------
let current;
function runSuite(jsonFile) {
  return new Promise((resolve) => {
    const started = performance.now();
    // Its own process group, so a timeout can stop vitest and everything it started.
    current = spawn(
      path.join(root, 'node_modules', '.bin', 'vitest'),
      ['run', ...tests, '--reporter=dot', '--reporter=json', `--outputFile.json=${jsonFile}`],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, CI: 'true' }, // a missing tool fails its tests instead of skipping them
      },
    );
    let output = '';
    current.stdout.on('data', (d) => (output += d));
    current.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\ntest:stress: run timed out after ${runTimeoutS} s`;
      try {
        process.kill(-current.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, runTimeoutS * 1000);
    current.once('close', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ code, signal, output, seconds: (performance.now() - started) / 1000 });
    });
  });
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cfm-stress-'));
const cores = os.availableParallelism();
console.log(
  `test:stress: ${runs} runs of ${tests.join(' ')}, ${burnerCount} CPU-burning loops on ${cores} cores (${os.cpus()[0]?.model ?? 'cpu'})`,
);
console.log(
  `load average before: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (this machine may be shared: it includes other users' work)`,
);
startBurners();
const results = [];
try {
  for (let i = 1; i <= runs; i++) {
    const jsonFile = path.join(tmp, `run-${i}.json`);
    const cpuBefore = burnerCpuSeconds();
    const res = await runSuite(jsonFile);
    const burnt = burnerCpuSeconds() - cpuBefore;
    let report;
    try {
      report = JSON.parse(readFileSync(jsonFile, 'utf8'));
    } catch {
      report = undefined;
    }
    const passed =
      res.code === 0 &&
      report !== undefined &&
      report.numFailedTests === 0 &&
      report.numPendingTests === 0 &&
      report.numTotalTests > 0;
    const load = os.loadavg()[0];
    results.push({ passed, load });
    const counts = report
      ? `${report.numPassedTests}/${report.numTotalTests} tests passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped`
      : 'no report';
    console.log(
      `run ${String(i).padStart(2)}/${runs}: ${passed ? 'PASS' : 'FAIL'}  ${counts}  ${res.seconds.toFixed(0)} s  ` +
        `load(1m) ${load.toFixed(2)}  burners busy ${((burnt / res.seconds / burnerCount) * 100).toFixed(0)}% of their cores`,
    );
    if (!passed) {
      const failed =
        report?.testResults?.flatMap((f) =>
          f.assertionResults
            .filter((a) => a.status === 'failed')
            .map((a) => `  ${a.fullName}\n    ${(a.failureMessages[0] ?? '').split('\n')[0]}`),
        ) ?? [];
      console.log(failed.length > 0 ? failed.join('\n') : res.output.slice(-4000));
    }
  }
} finally {
  stopBurners();
  rmSync(tmp, { recursive: true, force: true });
}
const green = results.filter((r) => r.passed).length;
const loads = results.map((r) => r.load);
console.log(
  `test:stress: ${green}/${runs} runs green with ${burnerCount} burners on ${cores} cores; ` +
    `load(1m) after each run min ${Math.min(...loads).toFixed(2)} max ${Math.max(...loads).toFixed(2)}`,
);
process.exit(green === runs ? 0 : 1);
