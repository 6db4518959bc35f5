// Start-up benchmark: `create-fly-multiproc --yes --dry-run` against a bare `node -e 0`, run
// interleaved in one process so machine noise hits both alike. Prints medians and the ratio
// (target: at most 1.3x). Usage: npm run bench [-- RUNS]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 30);
const bin = fileURLToPath(new URL('../bin/create-fly-multiproc.cjs', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'cfm-bench-'));

const commands = {
  'node -e 0': ['-e', '0'],
  'create-fly-multiproc --yes --dry-run': [bin, path.join(dir, 'app'), '--yes', '--dry-run'],
  'create-fly-multiproc --yes --dry-run --strategy supervisord': [
    bin,
    path.join(dir, 'app'),
    '--yes',
    '--dry-run',
    '--strategy',
    'supervisord',
  ],
  // The first run on a machine, before V8's code cache exists (bin/create-fly-multiproc.cjs).
  'same, without the code cache': [bin, path.join(dir, 'app'), '--yes', '--dry-run', '--no-cache-for-bench'],
};
const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));

function once(args) {
  const start = process.hrtime.bigint();
  const noCache = args.at(-1) === '--no-cache-for-bench';
  const r = spawnSync(process.execPath, noCache ? args.slice(0, -1) : args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: noCache ? { ...process.env, CREATE_FLY_MULTIPROC_NO_CACHE: '1' } : process.env,
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

for (const args of Object.values(commands)) once(args); // warm the file cache
for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(commands)) times[name].push(once(args));
rmSync(dir, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(times['node -e 0']);
console.log(`${runs} interleaved runs each, median wall time (node ${process.version}, ${os.cpus().length} cpus)`);
for (const [name, xs] of Object.entries(times)) {
  console.log(`  ${name.padEnd(60)} ${median(xs).toFixed(1).padStart(7)} ms   ${(median(xs) / base).toFixed(2)}x`);
}
