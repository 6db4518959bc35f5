// --other-ports: a second process with a port is public over IPv6 (free), over a dedicated IPv4
// too (billed), or internal (no service). The choice is the user's, never made silently: the
// first deploy of a public non-80/443 port would otherwise stop to ask for a dedicated IPv4.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../src/check/index.js';
import { detect } from '../src/detect.js';
import { plan } from '../src/plan.js';
import { wizard } from '../src/wizard.js';
import { cleanupTemps, hashTree, mockPrompt, projectWith, runCli } from './helpers.js';

afterAll(cleanupTemps);

const ARGS = [
  '--process',
  'web=bin/web',
  '--port',
  'web=8080',
  '--process',
  'admin=bin/admin',
  '--port',
  'admin=9000',
  '--app',
  'op',
];
const services = (dir: string) =>
  (parse(readFileSync(path.join(dir, 'fly.toml'), 'utf8')) as { services?: unknown[] }).services;

describe('--other-ports', () => {
  it('ipv6 (the default): [[services]] on 9000, and the next step allocates IPv6 and a shared IPv4 only', async () => {
    const dir = projectWith({});
    const r = await runCli([dir, ...ARGS, '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(services(dir)).toHaveLength(1);
    expect(r.stdout).toContain('fly ips allocate-v6 && fly ips allocate-v4 --shared');
    expect(r.stdout).toContain('port 9000 is then public over IPv6 only');
    expect(r.stdout).not.toContain('--other-ports ipv6 --yes');
  });

  it('ipv4: the next step allocates a dedicated IPv4, and says it is billed', async () => {
    const dir = projectWith({});
    const r = await runCli([dir, ...ARGS, '--other-ports', 'ipv4', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(services(dir)).toHaveLength(1);
    expect(r.stdout).toMatch(
      /fly ips allocate-v6 && fly ips allocate-v4 +# before the first deploy: a dedicated IPv4 \(billed monthly\)/,
    );
    expect(r.stdout).toContain('--other-ports ipv4 --yes');
  });

  it('internal: no service for admin, no IP step, remembered, and check --strict finds nothing', async () => {
    const dir = projectWith({});
    const r = await runCli([dir, ...ARGS, '--other-ports', 'internal', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(services(dir)).toBeUndefined();
    const toml = readFileSync(path.join(dir, 'fly.toml'), 'utf8');
    expect(toml).toContain('# reach it at op.internal:9000 over the private network');
    expect(r.stdout).not.toContain('allocate-v4');
    expect(JSON.parse(readFileSync(path.join(dir, 'fly-multiproc.json'), 'utf8')).answers.otherPorts).toBe('internal');
    const before = hashTree(dir);
    expect((await runCli([dir, '--yes'])).exitCode).toBe(0);
    expect(hashTree(dir)).toBe(before);
    const report = await check(dir, { shellcheck: false });
    expect(report.findings.filter((f) => f.severity !== 'advice')).toEqual([]);
  });

  it('a value it does not take is reported with every other problem; nothing written', async () => {
    const dir = projectWith({});
    const before = hashTree(dir);
    const r = await runCli([dir, ...ARGS, '--other-ports', 'dedicated', '--kill-timeout', '0', '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--other-ports "dedicated": must be one of ipv6, ipv4, internal');
    expect(r.stderr).toContain('--kill-timeout "0"');
    expect(hashTree(dir)).toBe(before);
  });

  it('says when it has no effect (one port; the apps strategy)', () => {
    const project = detect(projectWith({}));
    const one = plan(
      { dir: project.dir, processes: ['web=bin/web', 'worker=bin/worker'], ports: ['web=8080'], otherPorts: 'ipv4' },
      project,
    );
    expect(one.notes).toContain('--other-ports ipv4: no effect here (no process other than the http one has a port)');
    const apps = plan(
      {
        dir: project.dir,
        strategy: 'apps',
        processes: ['web=bin/web', 'admin=bin/admin'],
        ports: ['web=8080', 'admin=9000'],
        otherPorts: 'internal',
      },
      project,
    );
    expect(apps.notes).toContain('--other-ports internal: no effect here (the apps strategy writes its own services)');
  });
});

describe('the wizard asks how a second port is reached', () => {
  const base = {
    example: false,
    name: ['web', 'admin'],
    command: ['bin/web', 'bin/admin'],
    more: [true, false],
    separate: true,
    strategy: 'process-groups',
    app: 'op',
    region: '',
  };

  it('when two processes have ports, after the strategy', async () => {
    const dir = projectWith({});
    const io = mockPrompt({ ...base, port: ['8080', '9000'], http: 'web', otherPorts: 'internal' });
    const answers = await wizard({ dir }, detect(dir), [], io);
    expect(io.unused()).toEqual([]);
    expect(io.asked.indexOf('otherPorts')).toBeGreaterThan(io.asked.indexOf('strategy'));
    expect(answers.otherPorts).toBe('internal');
  });

  it('not when only one process has a port', async () => {
    const dir = projectWith({});
    const io = mockPrompt({ ...base, port: ['8080', ''] });
    const answers = await wizard({ dir }, detect(dir), [], io);
    expect(io.asked).not.toContain('otherPorts');
    expect(answers.otherPorts).toBeUndefined();
  });
});
